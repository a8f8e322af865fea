// SPDX-License-Identifier: GPL-2.0
/* Unit tests for tools/kmonpro.c: /proc/kmonpro parsing and top's arithmetic. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../tools/kmonpro.h"
#include "tap.h"

#define HDR "kmonpro 0.1.0 seq=12 uptime_ms=3723004 interval_ms=1000 procnet=1\n"
#define CPU(n, busy) "cpu name=" n " user_pct=40.0 nice_pct=0.5 system_pct=10.5 irq_pct=0.2 " \
	"softirq_pct=1.0 iowait_pct=0.3 idle_pct=47.5 busy_pct=" busy "\n"

static const char good[] =
	"# a comment\n"
	HDR
	CPU("all", "52.5")
	CPU("cpu0", "100.0")
	CPU("cpu1", "5.0")
	"mem total_kb=2014124 free_kb=1721612 avail_kb=1798764 buffers_kb=1024 cached_kb=50176 swap_free_kb=7\n"
	"tasks procs=71 threads=89 running=2\n"
	"\n"
	"net name=lo rx_bytes=123456 rx_packets=100 tx_bytes=654321 tx_packets=101\n"
	"net name=eth0 rx_bytes=18446744073709551615 rx_packets=1 tx_bytes=0 tx_packets=0\n"
	"top pid=4242 cpu_pct=99.5 rss_kb=1200 tx_bytes=10 rx_bytes=20 comm=busy loop\n"
	"top pid=1 cpu_pct=250.0 rss_kb=10240 tx_bytes=0 rx_bytes=0 comm=init\n"
	"nettop pid=777 tx_bytes=5000000 rx_bytes=3 comm=nc\n";

static struct km_snap s;

static int P(const char *text)
{
	km_snap_free(&s);
	return km_parse(text, &s);
}

static void test_good(void)
{
	ok(P(good) == 0, "parses a complete file");
	ok(!strcmp(s.version, "0.1.0") && s.seq == 12 && s.uptime_ms == 3723004 &&
	   s.interval_ms == 1000 && s.procnet, "header: version, seq, uptime, interval, procnet");
	ok(s.have_cpu_all && !strcmp(s.cpu_all.name, "all") && s.cpu_all.user == 400 &&
	   s.cpu_all.nice == 5 && s.cpu_all.system == 105 && s.cpu_all.irq == 2 &&
	   s.cpu_all.softirq == 10 && s.cpu_all.iowait == 3 && s.cpu_all.idle == 475 &&
	   s.cpu_all.busy == 525, "cpu all: every percentage, in tenths");
	ok(s.ncpus == 2 && !strcmp(s.cpus[0].name, "cpu0") && s.cpus[0].busy == 1000 &&
	   !strcmp(s.cpus[1].name, "cpu1") && s.cpus[1].busy == 50, "per-CPU lines in order");
	ok(s.have_mem && s.mem_total_kb == 2014124 && s.mem_free_kb == 1721612 &&
	   s.mem_avail_kb == 1798764 && s.mem_buffers_kb == 1024 && s.mem_cached_kb == 50176 &&
	   s.swap_free_kb == 7, "mem");
	ok(s.have_tasks && s.procs == 71 && s.threads == 89 && s.running == 2, "tasks");
	ok(s.nnets == 2 && !strcmp(s.nets[0].name, "lo") && s.nets[0].rx_bytes == 123456 &&
	   s.nets[0].rx_packets == 100 && s.nets[0].tx_bytes == 654321 &&
	   s.nets[0].tx_packets == 101, "net lo");
	ok(!strcmp(s.nets[1].name, "eth0") && s.nets[1].rx_bytes == UINT64_MAX,
	   "net: a counter at UINT64_MAX");
	ok(s.ntop == 2 && s.top[0].pid == 4242 && s.top[0].has_cpu && s.top[0].cpu_pct == 995 &&
	   s.top[0].rss_kb == 1200 && s.top[0].tx_bytes == 10 && s.top[0].rx_bytes == 20,
	   "top: pid, cpu, rss, tx, rx");
	ok(!strcmp(s.top[0].comm, "busy loop"), "comm with a space runs to the end of the line");
	ok(s.top[1].cpu_pct == 2500 && !strcmp(s.top[1].comm, "init"),
	   "cpu_pct above 100 (threads)");
	ok(s.nnettop == 1 && s.nettop[0].pid == 777 && !s.nettop[0].has_cpu &&
	   s.nettop[0].tx_bytes == 5000000 && s.nettop[0].rx_bytes == 3 &&
	   !strcmp(s.nettop[0].comm, "nc"), "nettop");
	ok(s.skipped == 0 && s.first_bad_line == 0, "nothing skipped");
}

static void test_tolerated(void)
{
	ok(P(HDR "top rx_bytes=2 comm=a b=c  d pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1\n") == 0 &&
	   s.ntop == 0 && s.skipped == 1,
	   "pairs after comm= belong to the comm (so a line ending in comm= early misses keys)");
	ok(P(HDR "top comm=x\n") == 0 && s.skipped == 1, "top with only a comm: skipped");
	ok(P(HDR "top pid=5 cpu_pct=1.0 rss_kb=1 comm=x\n") == 0 && s.ntop == 1 &&
	   s.top[0].net_hidden && s.skipped == 0,
	   "top without tx_bytes and rx_bytes: the reader may not see them");
	ok(P(HDR "top pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1 comm=x\n") == 0 && s.ntop == 0 &&
	   s.skipped == 1, "top with tx_bytes but no rx_bytes: skipped");
	ok(P(HDR "top pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1 rx_bytes=2 comm=x\n") == 0 &&
	   s.ntop == 1 && !s.top[0].net_hidden && !s.since_boot,
	   "top with both: not hidden; no since_boot in the header: false");
	ok(P("kmonpro 0.2.0 seq=1 uptime_ms=9000 interval_ms=9000 procnet=0 since_boot=1\n") == 0 &&
	   s.since_boot && s.interval_ms == 9000, "header since_boot=1");
	ok(P("kmonpro 0.2.0 seq=1 uptime_ms=9000 interval_ms=9000 procnet=0 since_boot=2\n") == -EINVAL,
	   "header since_boot=2: not a header");
	ok(P(HDR "top pid=5 rss_kb=1 tx_bytes=1 rx_bytes=2 cpu_pct=1.0 comm=a b=c  d \n") == 0 &&
	   s.ntop == 1 && !strcmp(s.top[0].comm, "a b=c  d "),
	   "keys in any order; comm keeps '=', double and trailing spaces");
	ok(P(HDR "top pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1 rx_bytes=2 comm=\n") == 0 &&
	   s.ntop == 1 && s.top[0].comm[0] == '\0', "an empty comm");
	ok(P(HDR "nettop pid=5 tx_bytes=1 rx_bytes=2 comm=0123456789012345678901234567890123456789"
	     "0123456789012345678901234567890123456789\n") == 0 && s.nnettop == 1 &&
	   strlen(s.nettop[0].comm) == 63, "a long comm is cut to the buffer");
	ok(P(HDR "disk name=sda reads=5\nmem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 "
	     "cached_kb=5 swap_free_kb=6 swap_total_kb=9 huge=x\n") == 0 && s.have_mem &&
	   s.mem_cached_kb == 5 && s.skipped == 0,
	   "unknown record types and unknown keys (with any value) ignored");
	ok(P(HDR "tasks  procs=1   threads=2 running=3 \n") == 0 && s.have_tasks && s.running == 3,
	   "extra spaces between pairs");
	ok(P("# tkcore\n\n" HDR "# comment\ntasks procs=1 threads=2 running=3\n") == 0 &&
	   s.have_tasks, "comments and blank lines anywhere");
	ok(P("kmonpro 0.2.0 seq=1 uptime_ms=5 interval_ms=0 procnet=0 future=1\n"
	     "mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=6\n") == 0 &&
	   !s.have_cpu_all && !s.ncpus && !s.ntop && !s.procnet && s.interval_ms == 0,
	   "first sample: no cpu or top lines, procnet=0");
	ok(P(HDR "cpu name=all user_pct=1 nice_pct=0 system_pct=0 irq_pct=0 softirq_pct=0 "
	     "iowait_pct=0 idle_pct=99 busy_pct=1\n") == 0 && s.have_cpu_all && s.cpu_all.idle == 990,
	   "a percentage without its decimal");
}

static void test_many(void)
{
	char *text = malloc(200 * 200 + 100), *p = text;
	int i, good_names = 1;

	p += sprintf(p, HDR);
	for (i = 0; i < 200; i++)
		p += sprintf(p, "cpu name=cpu%d user_pct=0.0 nice_pct=0.0 system_pct=0.0 irq_pct=0.0 "
			     "softirq_pct=0.0 iowait_pct=0.0 idle_pct=%d.0 busy_pct=%d.%d\n",
			     i, 100 - i % 100, i % 100, i % 10);
	ok(P(text) == 0 && s.ncpus == 200, "200 CPUs");
	for (i = 0; i < 200; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu%d", i);
		if (strcmp(s.cpus[i].name, name) || s.cpus[i].busy != (uint32_t)(i % 100 * 10 + i % 10))
			good_names = 0;
	}
	ok(good_names, "each in order with its value");
	free(text);
}

static void test_rejected(void)
{
	static const char *const bad[] = {
		"mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5\n",	/* truncated */
		"mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=\n",
		"mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=6x\n",
		"mem total_kb=-1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=6\n",
		"mem total_kb=18446744073709551616 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=6\n",
		"mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 swap_free_kb=6 junk\n",
		"mem total_kb=1 free_kb=2 avail_kb=3 buffers_kb=4 cached_kb=5 =6 swap_free_kb=6\n",
		"tasks procs=1 threads=2 running=+3\n",
		"tasks procs=1 threads=2 running= 3\n",
		"net name= rx_bytes=1 rx_packets=1 tx_bytes=1 tx_packets=1\n",
		"net name=0123456789012345678901234567890123456789012345678901234567890123456789 "
		"rx_bytes=1 rx_packets=1 tx_bytes=1 tx_packets=1\n",
		"cpu name=all user_pct=1.25 nice_pct=0.0 system_pct=0.0 irq_pct=0.0 softirq_pct=0.0 "
		"iowait_pct=0.0 idle_pct=0.0 busy_pct=0.0\n",
		"cpu name=all user_pct=.5 nice_pct=0.0 system_pct=0.0 irq_pct=0.0 softirq_pct=0.0 "
		"iowait_pct=0.0 idle_pct=0.0 busy_pct=0.0\n",
		"cpu name=all user_pct=5. nice_pct=0.0 system_pct=0.0 irq_pct=0.0 softirq_pct=0.0 "
		"iowait_pct=0.0 idle_pct=0.0 busy_pct=0.0\n",
		"cpu name=all user_pct=1e2 nice_pct=0.0 system_pct=0.0 irq_pct=0.0 softirq_pct=0.0 "
		"iowait_pct=0.0 idle_pct=0.0 busy_pct=0.0\n",
		"top pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1 rx_bytes=2\n",	/* no comm */
		"top pid=5 cpu_pct=1.0 rss_kb=1 tx_bytes=1 rx_bytes=2 com\n",
		"nettop pid=x tx_bytes=1 rx_bytes=2 comm=a\n",
	};
	char text[512];
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), HDR "%s" "tasks procs=9 threads=9 running=9\n", bad[i]);
		if (P(text) || s.skipped != 1 || s.first_bad_line != 2 || s.ncpus || s.have_cpu_all ||
		    s.nnets || s.ntop || s.nnettop || s.procs != 9 || s.mem_total_kb) {
			all = 0;
			printf("# not skipped alone: %s", bad[i]);
		}
	}
	ok(all, "%zu kinds of malformed line skipped, counted, the next line still read", i);
	ok(P(HDR "tasks procs=1 threads=2 running=3\ntasks procs=7 threads=2 running=3") == 0 &&
	   s.procs == 1 && s.skipped == 1 && s.first_bad_line == 3,
	   "a last line without its newline (truncated read) is skipped");
	ok(P(HDR "tasks procs=1 threads=2 running=3\n" "tasks procs=1 threads=2\n") == 0 &&
	   s.procs == 1 && s.skipped == 1, "a truncated line does not overwrite a good one");

	ok(P("") == -EINVAL, "empty input");
	ok(P("# only a comment\n") == -EINVAL, "no header");
	ok(P("tasks procs=1 threads=2 running=3\n" HDR) == -EINVAL, "header not first");
	ok(P("kmonpro seq=1 uptime_ms=5 interval_ms=0 procnet=0\n") == -EINVAL, "header without version");
	ok(P("kmonpro 0.1.0 seq=1 uptime_ms=5 interval_ms=0\n") == -EINVAL, "header without procnet");
	ok(P("kmonpro 0.1.0 seq=1 uptime_ms=5 interval_ms=0 procnet=2\n") == -EINVAL, "procnet=2");
	ok(P("kmonpro 0.1.0 seq=1 uptime_ms=5 interval_ms=0 procnet=1") == -EINVAL,
	   "header cut before its newline");
	ok(P("seq=1 time_ns=1795430069318522591 uptime_ns=12011953367\n") == -EINVAL,
	   "/proc/telemetry is not kmonpro");
	ok(P("\x01\xff garbage\n\n") == -EINVAL, "binary garbage");
}

/* Random byte changes, cuts and splices of a good file, under ASan/UBSan. */
static void test_mutations(void)
{
	static const char bytes[] = " =\n#.0123456789-xcomm=\x1b\xff";
	size_t len = strlen(good), i, lines;
	unsigned int seed = 12345, bad = 0;
	char buf[sizeof(good)];
	int r, round;

	for (round = 0; round < 20000; round++) {
		memcpy(buf, good, len + 1);
		for (i = 0; i < 1 + (size_t)round % 4; i++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = bytes[(seed >> 20) % (sizeof(bytes) - 1)];
		}
		if (round % 3 == 0) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = '\0';	/* a short read */
		}
		for (i = 0, lines = 0; buf[i]; i++)
			lines += buf[i] == '\n';
		r = P(buf);
		if ((r && r != -EINVAL) || s.skipped > lines + 1 || s.ncpus + s.have_cpu_all > 3 || s.nnets > 2 ||
		    s.ntop > 2 || s.nnettop > 1)
			bad++;
	}
	ok(!bad, "20000 mutated files: 0 or -EINVAL, never more records than lines");
}

static void test_pct(void)
{
	uint32_t t;

	ok(!km_parse_pct("12.5", 4, &t) && t == 125, "12.5");
	ok(!km_parse_pct("100", 3, &t) && t == 1000, "100");
	ok(!km_parse_pct("0.0", 3, &t) && t == 0, "0.0");
	ok(!km_parse_pct("99999999.9", 10, &t) && t == 999999999, "largest");
	ok(km_parse_pct("999999999.9", 11, &t) == -EINVAL, "too large for tenths in 32 bits");
	ok(km_parse_pct("1.", 2, &t) == -EINVAL && km_parse_pct("", 0, &t) == -EINVAL &&
	   km_parse_pct("1.x", 3, &t) == -EINVAL && km_parse_pct("1.0.0", 5, &t) == -EINVAL,
	   "malformed percentages");
}

static void test_opts(void)
{
	static const char *const bad[] = {
		"0", "0.0", "0.05", "0.099", "-1", "", "1.", ".5", "1e3", "0x10", "1.2345",
		" 1", "1 ", "inf", "nan", "2s", "86400.001", "1,5", "+1", "1000000",
	};
	unsigned int ms, n;
	size_t i;
	int all = 1;

	ok(!km_parse_interval("2", &ms) && ms == 2000, "-d 2");
	ok(!km_parse_interval("0.2", &ms) && ms == 200, "-d 0.2");
	ok(!km_parse_interval("1.5", &ms) && ms == 1500, "-d 1.5");
	ok(!km_parse_interval("0.1", &ms) && ms == 100, "-d 0.1 (smallest)");
	ok(!km_parse_interval("1.250", &ms) && ms == 1250, "three decimals");
	ok(!km_parse_interval("86400", &ms) && ms == 86400000, "-d 86400 (largest)");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 7;
		if (km_parse_interval(bad[i], &ms) != -EINVAL || ms != 7) {
			all = 0;
			printf("# accepted -d '%s'\n", bad[i]);
		}
	}
	ok(all, "%zu bad intervals rejected, nothing stored", i);
	ok(!km_parse_count("1", &n) && n == 1 && !km_parse_count("250", &n) && n == 250, "-n");
	ok(km_parse_count("0", &n) == -EINVAL && km_parse_count("-1", &n) == -EINVAL &&
	   km_parse_count("", &n) == -EINVAL && km_parse_count("2x", &n) == -EINVAL &&
	   km_parse_count("1000000001", &n) == -EINVAL && km_parse_count(" 2", &n) == -EINVAL,
	   "bad counts rejected");
}

static void test_rates(void)
{
	struct km_snap a, b;
	struct km_rate ra[4], rb[4];

	ok(km_parse(HDR "net name=lo rx_bytes=1000 rx_packets=10 tx_bytes=500 tx_packets=5\n"
		    "net name=eth0 rx_bytes=9000 rx_packets=90 tx_bytes=0 tx_packets=0\n"
		    "top pid=10 cpu_pct=1.0 rss_kb=1 tx_bytes=100 rx_bytes=0 comm=x\n"
		    "nettop pid=20 tx_bytes=1000 rx_bytes=1000 comm=y\n", &a) == 0, "snapshot a");
	ok(km_parse("kmonpro 0.1.0 seq=14 uptime_ms=3725004 interval_ms=1000 procnet=1\n"
		    "net name=lo rx_bytes=3001 rx_packets=30 tx_bytes=4500 tx_packets=45\n"
		    "net name=eth0 rx_bytes=100 rx_packets=1 tx_bytes=0 tx_packets=0\n"
		    "net name=wg0 rx_bytes=5 rx_packets=1 tx_bytes=5 tx_packets=1\n"
		    "nettop pid=10 tx_bytes=2100 rx_bytes=0 comm=x\n"
		    "nettop pid=20 tx_bytes=1000 rx_bytes=5000 comm=y\n"
		    "nettop pid=30 tx_bytes=7 rx_bytes=7 comm=z\n", &b) == 0, "snapshot b, 2 s later");

	km_net_rates(NULL, NULL, &a, 0, ra);
	ok(!ra[0].valid && !ra[1].valid, "first read: no rates");
	km_net_rates(&a, ra, &b, 999999, rb);
	ok(rb[0].valid && rb[0].rx_bps == 1001 && rb[0].tx_bps == 2000 && rb[0].rx_pps == 10 &&
	   rb[0].tx_pps == 20, "lo: deltas over the snapshots' 2000 ms, rounded (2001/2 -> 1001)");
	ok(!rb[1].valid, "a counter gone backwards: no rate");
	ok(!rb[2].valid, "an interface new in this read: no rate");

	km_proc_rates(&a, NULL, &b, 0, ra);
	ok(ra[0].valid && ra[0].tx_bps == 1000 && ra[0].rx_bps == 0,
	   "pid only in the previous top lines: rate from them");
	ok(ra[1].valid && ra[1].tx_bps == 0 && ra[1].rx_bps == 2000, "pid in both nettops");
	ok(!ra[2].valid, "new pid: no rate");

	/* the same snapshot read again: the rates shown stay */
	km_net_rates(&b, rb, &b, 2000, ra);
	ok(ra[0].valid && ra[0].rx_bps == 1001 && !ra[1].valid && !ra[2].valid,
	   "same seq and uptime: previous rates carry over");
	km_net_rates(&b, NULL, &b, 2000, ra);
	ok(!ra[0].valid, "nothing to carry over: no rate");

	/* a new seq whose uptime did not move: the wall clock between the reads */
	b.seq = 12;
	a.seq = 11;
	b.uptime_ms = a.uptime_ms;
	km_net_rates(&a, NULL, &b, 4000, rb);
	ok(rb[0].valid && rb[0].tx_bps == 1000, "no snapshot time: wall-clock time used");
	km_net_rates(&a, NULL, &b, 0, rb);
	ok(!rb[0].valid, "no time at all: no rate");
	a.procnet = false;
	km_proc_rates(&a, NULL, &b, 4000, ra);
	ok(!ra[0].valid && !ra[1].valid, "procnet was off before: no per-process rate");
	km_snap_free(&a);
	km_snap_free(&b);
}

static void test_fmt(void)
{
	char b[32], evil[] = "\033[2J\x07ok\xc3\xa9\x7f";

	ok(!strcmp(km_fmt_bytes(0, b, sizeof(b)), "0B") &&
	   !strcmp(km_fmt_bytes(1023, b, sizeof(b)), "1023B"), "bytes");
	ok(!strcmp(km_fmt_bytes(1024, b, sizeof(b)), "1.0K") &&
	   !strcmp(km_fmt_bytes(1536, b, sizeof(b)), "1.5K"), "K");
	ok(!strcmp(km_fmt_bytes(1048575, b, sizeof(b)), "1.0M"), "just under 1M rounds to 1.0M, not 1024.0K");
	ok(!strcmp(km_fmt_bytes(2014124ULL * 1024, b, sizeof(b)), "1.9G"), "G");
	ok(!strcmp(km_fmt_bytes(UINT64_MAX, b, sizeof(b)), "16.0E"), "UINT64_MAX");
	ok(!strcmp(km_fmt_uptime(3723004, b, sizeof(b)), "01:02:03"), "uptime under a day");
	ok(!strcmp(km_fmt_uptime(90061000, b, sizeof(b)), "1d 01:01:01"), "uptime over a day");
	km_sanitize(evil);
	ok(!strcmp(evil, "?[2J?ok???"), "escape sequences and non-ASCII made harmless");
}

int main(void)
{
	test_good();
	test_tolerated();
	test_many();
	test_rejected();
	test_mutations();
	test_pct();
	test_opts();
	test_rates();
	test_fmt();
	km_snap_free(&s);
	return tap_done();
}
