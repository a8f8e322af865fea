// SPDX-License-Identifier: GPL-2.0
/* Unit tests for exporters/tkread.c: the parsers tk-exporter and tk-logger share. */
#include <stdlib.h>
#include <string.h>
#include "tkread.h"
#include "tap.h"

static void test_numbers(void)
{
	uint64_t v = 0;
	char out[64];

	ok(tk_parse_u64("42\n", &v) == 0 && v == 42, "u64 with newline");
	ok(tk_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "u64 max");
	ok(tk_parse_u64("18446744073709551616", &v) != 0, "u64 overflow refused");
	ok(tk_parse_u64("", &v) != 0 && tk_parse_u64("-1", &v) != 0 &&
	   tk_parse_u64("1x", &v) != 0, "u64 malformed refused");
	ok(tk_valid_decimal("0.31") && tk_valid_decimal("12") &&
	   !tk_valid_decimal("1.") && !tk_valid_decimal(".5") &&
	   !tk_valid_decimal("1e5") && !tk_valid_decimal("NaN"), "decimal rule");
	ok(tk_valid_name("sys_getpid") && tk_valid_name("a.b_C9") &&
	   !tk_valid_name("") && !tk_valid_name("a\"b") && !tk_valid_name("a b") &&
	   !tk_valid_name("a{b}") && !tk_valid_name("a\\n"), "function name rule");
	tk_fmt_ns_sec(1, out, sizeof(out));
	ok(!strcmp(out, "0.000000001"), "1 ns = %s s", out);
	tk_fmt_ns_sec(1099511627775ull, out, sizeof(out));
	ok(!strcmp(out, "1099.511627775"), "2^40-1 ns = %s s (exact)", out);
	tk_fmt_ns_sec(3000000000ull, out, sizeof(out));
	ok(!strcmp(out, "3"), "3e9 ns = %s s", out);
	tk_fmt_ms_sec(11236, out, sizeof(out));
	ok(!strcmp(out, "11.236"), "11236 ms = %s s", out);
	tk_fmt_ms_sec(2500, out, sizeof(out));
	ok(!strcmp(out, "2.5"), "2500 ms = %s s", out);
}

static void test_telemetry(void)
{
	char text[] =
		"# tkcore 0.1.0 ring_size=10 log_interval=2 enable=1\n"
		"seq=1 a=1\n"
		"seq=2 irqs=5 load1=0.31 bad-key=1 x=abc x2=1 x2=2 cpu0_busy_ms=7 lone\n";
	char empty[] = "# tkcore 0.1.0 ring_size=10 log_interval=2 enable=0\n";
	struct tk_snap s = { 0 };

	ok(tk_parse_telemetry(text, strlen(text), &s) == 0, "parse /proc/telemetry");
	ok(s.have_header && !strcmp(s.version, "0.1.0") && s.ring_size == 10 &&
	   s.log_interval == 2 && s.enable == 1, "header fields");
	ok(s.have_snap && !strcmp(tk_snap_get(&s, "seq"), "2"), "newest line taken");
	ok(!tk_snap_get(&s, "a"), "older line's keys absent");
	ok(!strcmp(tk_snap_get(&s, "load1"), "0.31"), "decimal value kept as text");
	ok(!strcmp(tk_snap_get(&s, "x2"), "1"), "duplicate key: first kept");
	ok(s.bad == 4, "bad key, bad value, duplicate, no '=' counted (%u)", s.bad);
	ok(s.n == 5, "five good pairs (%zu)", s.n);
	ok(tk_parse_telemetry(empty, strlen(empty), &s) == 0 && s.have_header &&
	   !s.have_snap && s.n == 0, "empty ring: header, no snapshot");
	tk_snap_free(&s);
}

static void test_krp(void)
{
	char ext[] =
		"sys_getpid target=__x64_sys_getpid mech=fprobe count=3 total_ns=30 min_ns=5 max_ns=15 missed=1 p50_ns=7 p90_ns=15 p99_ns=15 hist=0,0,1,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 future=9\n"
		"bad\"name target=x mech=fprobe count=1 hist=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
		"short target=x mech=fprobe count=1 hist=1,2\n"
		"nohist target=x mech=fprobe count=1\n"
		"sys_getpid target=dup mech=fprobe count=1 hist=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
		"neg target=x mech=fprobe count=-1 hist=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
		"v.ok target=x mech=kretprobe count=0 hist=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n";
	char stats[] = "sys_getpid:250:1000\nbad name:1:1\nx:1\nvfs_read:7:2\n";
	struct tk_krp k = { 0 };

	ok(tk_parse_krp_ext(ext, &k) == 0, "parse stats_ext");
	ok(k.n == 2, "two good functions (%zu)", k.n);
	ok(k.bad == 5, "bad name, short hist, no hist, duplicate, negative dropped (%u)", k.bad);
	ok(!strcmp(k.fn[0].name, "sys_getpid") && !strcmp(k.fn[0].target, "__x64_sys_getpid") &&
	   !strcmp(k.fn[0].mech, "fprobe") && k.fn[0].count == 3 && k.fn[0].missed == 1 &&
	   k.fn[0].hist[3] == 2 && k.fn[0].avg_ns == 10, "fields of sys_getpid");
	ok(!strcmp(k.fn[1].name, "v.ok"), "dotted name accepted");
	ok(tk_parse_krp_stats(stats, &k) == 0 && k.n == 2 && k.bad == 2 &&
	   k.fn[0].avg_ns == 250 && k.fn[0].count == 1000 && !k.fn[0].ext,
	   "seed stats format");
	tk_krp_free(&k);
}

/* stats_ext lines with hist2= (the log-linear histogram) and p999_ns=. */
static void test_krp_hist2(void)
{
	static const char z40[] = "hist=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0";
	char ext[2048];
	struct tk_krp k = { 0 };
	uint64_t sum = 0;
	unsigned int j, b, bad = 0;

	/* 150, 200 ns; 1 ms (bucket 509); 60.2 s and 100 s (bucket 1023) */
	snprintf(ext, sizeof(ext),
		 "a target=x mech=fprobe count=9 p999_ns=77 hist2=101:3,114:2,509:1,1023:3 %s\n"
		 "empty target=x mech=fprobe count=0 p999_ns=0 hist2= %s\n"
		 "desc target=x mech=fprobe count=2 hist2=114:1,101:1 %s\n"
		 "dupb target=x mech=fprobe count=2 hist2=101:1,101:1 %s\n"
		 "big target=x mech=fprobe count=1 hist2=1024:1 %s\n"
		 "nocolon target=x mech=fprobe count=1 hist2=5 %s\n"
		 "old target=x mech=fprobe count=0 %s\n", z40, z40, z40, z40, z40, z40, z40);
	ok(tk_parse_krp_ext(ext, &k) == 0, "parse stats_ext with hist2");
	ok(k.n == 3 && k.bad == 4, "descending, repeated, out-of-range and malformed hist2 dropped (%zu, %u)",
	   k.n, k.bad);
	ok(k.fn[0].fine && k.fn[0].p999_ns == 77, "hist2 and p999_ns read");
	/* E_j: 64 80 96 112 | 128 160 192 224 | ...; 150 in [128, 160): slot 5 */
	ok(k.fn[0].qhist[5] == 3 && k.fn[0].qhist[7] == 2, "150 ns and 200 ns in their quarter-octave slots");
	/* 1 ms = 999424..1015807: 2^19 * 1.75 = 917504 <= d < 2^20: slot 4 * 13 + 3 + 1 */
	ok(k.fn[0].qhist[56] == 1, "1 ms in [917504, 1048576) ns");
	ok(k.fn[0].qhist[TK_KRP_QEDGES] == 3, "the last bucket beyond the last bound");
	for (j = 0; j <= TK_KRP_QEDGES; j++)
		sum += k.fn[0].qhist[j];
	ok(sum == 9, "every call in one slot (%llu)", (unsigned long long)sum);
	ok(k.fn[1].fine && k.fn[1].qhist[0] == 0, "an empty hist2 is a histogram with nothing in it");
	ok(!strcmp(k.fn[2].name, "old") && !k.fn[2].fine, "a line without hist2 is the log2 format");
	ok(tk_krp_qedge_ns(0) == 64 && tk_krp_qedge_ns(1) == 80 && tk_krp_qedge_ns(4) == 128 &&
	   tk_krp_qedge_ns(TK_KRP_QEDGES - 1) == 60129542144ULL, "fixed bounds");
	/* every fixed bound is the start of a hist2 bucket */
	for (j = 0; j < TK_KRP_QEDGES; j++) {
		for (b = 0; b < TK_KRP_FINE; b++)
			if (tk_krp_fine_lo(b) == tk_krp_qedge_ns(j))
				break;
		bad += b == TK_KRP_FINE;
	}
	ok(!bad, "every fixed bound is a hist2 bucket edge (%u not)", bad);
	tk_krp_free(&k);
}

static void test_irqstat(void)
{
	char irqs[] =
		"irq=4 name=ttyS0 count=10 calls=20 total_ns=300 max_ns=90 cpu0=6 cpu0_ns=1 cpu0_max_ns=1 cpu1=4 cpu1_ns=2 cpu1_max_ns=2\n"
		"irq=24 name=virtio0-requests count=7 calls=7 total_ns=70 max_ns=20 cpu0=7 new_key=1\n"
		"irq=5 name=has space count=1 calls=1 total_ns=1 max_ns=1\n"
		"irq=6 name=x count=1 calls=1 total_ns=1\n"
		"irq=4 name=dup count=1 calls=1 total_ns=1 max_ns=1\n"
		"irq=7 name=x count=-1 calls=1 total_ns=1 max_ns=1\n"
		"irq=8 name=x count=1 count=2 calls=1 total_ns=1 max_ns=1\n"
		"irq=9 name=x count=1 calls=1 total_ns=1 max_ns=1 cpu0=x\n"
		"irq=10 name=q\"\\ count=1 calls=2 total_ns=3 max_ns=3 cpu0=1\n";
	char soft[] =
		"vec=0 name=HI count=3 cpu0=3\n"
		"vec=3 name=NET_RX count=42 cpu0=40 cpu1=2\n"
		"vec=4 name=bad count=1\n"
		"vec=3 name=NET_RX count=1\n"
		"vec=5 name=BLOCK\n";
	struct tk_irqstat q = { 0 };

	ok(tk_parse_irqs(irqs, &q) == 0, "parse irqstat irqs");
	ok(q.n == 3, "three good lines (%zu)", q.n);
	ok(q.bad == 6, "name with space, missing field, dup irq, negative, repeated key, bad cpu dropped (%u)", q.bad);
	ok(q.line[0].irq == 4 && !strcmp(q.line[0].name, "ttyS0") && q.line[0].count == 10 &&
	   q.line[0].calls == 20 && q.line[0].total_ns == 300 && q.line[0].max_ns == 90,
	   "line 4 fields");
	ok(q.line[0].ncpu == 2 && q.cpu[q.line[0].cpu0] == 6 && q.cpu[q.line[0].cpu0 + 1] == 4,
	   "line 4 per-CPU counts");
	ok(q.line[1].ncpu == 1 && q.cpu[q.line[1].cpu0] == 7, "unknown keys ignored, per-CPU kept");
	ok(q.line[2].irq == 10 && !strcmp(q.line[2].name, "q\"\\") && q.line[2].ncpu == 1 &&
	   q.cpu[q.line[2].cpu0] == 1, "a dropped line's per-CPU counts do not leak into the next");
	ok(tk_parse_softirqs(soft, &q) == 0 && q.n_soft == 2 && q.soft[1].count == 42 &&
	   !strcmp(q.soft[1].name, "NET_RX"), "softirqs: two good vectors");
	ok(q.bad == 9, "softirqs: lowercase name, duplicate, missing count dropped (%u)", q.bad);
	{
		char vec[] =
			"row=LOC name=local_timer timed=1 count=30 calls=31 total_ns=900 max_ns=60 cpu0=10 cpu0_ns=1 cpu0_max_ns=1 cpu1=20 cpu1_ns=1 cpu1_max_ns=1\n"
			"row=TLB name=tlb_shootdown timed=0 count=5 calls=0 total_ns=0 max_ns=0 cpu0=5\n"
			"row=loc name=x timed=0 count=1 calls=0 total_ns=0 max_ns=0 cpu0=1\n"
			"row=LOC name=again timed=1 count=1 calls=1 total_ns=1 max_ns=1 cpu0=1\n"
			"row=RES name=r timed=2 count=1 calls=1 total_ns=1 max_ns=1 cpu0=1\n"
			"row=CAL name=c timed=1 count=1 calls=1 total_ns=1 cpu0=1\n"
			"row=NMI name=nmi timed=0 count=3 calls=0 total_ns=0 max_ns=0 cpu0=9\n";
		unsigned int bad0 = q.bad;

		ok(tk_parse_vectors(vec, &q) == 0 && q.n_vec == 3, "vectors: three good rows (%zu)", q.n_vec);
		ok(q.bad == bad0 + 4, "vectors: lowercase row, duplicate row, bad timed, missing max_ns dropped (%u)",
		   q.bad - bad0);
		ok(!strcmp(q.vec[0].row, "LOC") && !strcmp(q.vec[0].name, "local_timer") && q.vec[0].timed &&
		   q.vec[0].count == 30 && q.vec[0].calls == 31 && q.vec[0].total_ns == 900 &&
		   q.vec[0].max_ns == 60 && q.vec[0].ncpu == 2 && q.vcpu[q.vec[0].cpu0 + 1] == 20,
		   "vectors: LOC fields and per-CPU counts");
		ok(!q.vec[1].timed && !strcmp(q.vec[2].row, "NMI") && q.vec[2].ncpu == 1 &&
		   q.vcpu[q.vec[2].cpu0] == 9, "vectors: a dropped row's per-CPU counts do not leak");
	}
	ok(tk_valid_irq_name("a-b:c.0") && !tk_valid_irq_name("") && !tk_valid_irq_name("a b") &&
	   !tk_valid_irq_name("\x7f"), "irq name rule");
	tk_irqstat_free(&q);
}

static void test_events(void)
{
	char prod[] =
		"5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13 name=tksample version=0.1.0 session=2 sessions=3 msgs=2000 drops=7 rej_event=1 rej_payload=2 rej_size=3 rej_no_session=4 rej_session=5 rej_dead=0 future=1\n"
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 name=odd\"p\\ version=1.2.3-rc.1+b5 session=0 sessions=0 msgs=17 drops=0\n"
		"5A3B1E0C-7D2F-4C8E-9B61-0E4F2A7C9D13 name=upper version=1.0.0 sessions=0 msgs=1 drops=0\n"
		"5a3b1e0c-7d2f-4c8e-9b61 name=short version=1.0.0 sessions=0 msgs=1 drops=0\n"
		"5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13 name=dup version=1.0.0 sessions=0 msgs=1 drops=0\n"
		"11111111-2222-3333-4444-555555555555 name=nomsgs version=1.0.0 sessions=0 drops=0\n"
		"11111111-2222-3333-4444-555555555556 name=neg version=1.0.0 sessions=0 msgs=-1 drops=0\n"
		"11111111-2222-3333-4444-555555555557 name=twice version=1.0.0 sessions=0 msgs=1 msgs=2 drops=0\n"
		"11111111-2222-3333-4444-555555555558 name=rej version=1.0.0 sessions=0 msgs=1 drops=0 rej_a=1 rej_a=2\n"
		"11111111-2222-3333-4444-555555555559 name=rej version=1.0.0 sessions=0 msgs=1 drops=0 rej_Bad=1\n"
		"11111111-2222-3333-4444-55555555555a name= version=1.0.0 sessions=0 msgs=1 drops=0\n";
	char rej[] = "uuid=1 name=2 version=3 exists=4 full=0 unknown=6 handle=7 Bad=1 lone\n";
	char norej[] = "garbage\n";
	struct tk_events e = { 0 };

	ok(tk_parse_ev_producers(prod, &e) == 0, "parse events/producers");
	ok(e.n == 2, "two good producers (%zu)", e.n);
	ok(e.bad == 9, "upper-case uuid, short uuid, dup uuid, no msgs, negative, repeated key, dup reason, bad reason, empty name dropped (%u)", e.bad);
	ok(!strcmp(e.prod[0].uuid, "5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13") &&
	   !strcmp(e.prod[0].name, "tksample") && !strcmp(e.prod[0].version, "0.1.0") &&
	   e.prod[0].sessions == 3 && e.prod[0].msgs == 2000 && e.prod[0].drops == 7,
	   "fields of tksample");
	ok(e.prod[0].n_rej == 6 && !strcmp(e.prod[0].rej[0].name, "event") &&
	   e.prod[0].rej[0].count == 1 && !strcmp(e.prod[0].rej[3].name, "no_session") &&
	   e.prod[0].rej[3].count == 4, "rejects by reason, rej_ stripped, in order");
	ok(!strcmp(e.prod[1].name, "odd\"p\\") && e.prod[1].n_rej == 0 && e.prod[1].msgs == 17,
	   "a name needing escaping is kept as is; no reasons is fine");
	e.bad = 0;
	ok(tk_parse_ev_rejects(rej, &e) == 0 && e.n_grej == 7 &&
	   !strcmp(e.grej[6].name, "handle") && e.grej[6].count == 7,
	   "global rejects: seven reasons");
	ok(e.bad == 2, "global rejects: bad reason and no '=' counted (%u)", e.bad);
	ok(tk_parse_ev_rejects(norej, &e) != 0 && e.n_grej == 0, "global rejects: nothing valid refused");
	ok(tk_valid_uuid("00000000-0000-0000-0000-00000000000f") &&
	   !tk_valid_uuid("00000000-0000-0000-0000-00000000000g") &&
	   !tk_valid_uuid("00000000-0000-0000-0000-0000000000000") &&
	   !tk_valid_uuid("000000000-000-0000-0000-000000000000"), "uuid rule");
	tk_events_free(&e);
}

int main(void)
{
	test_numbers();
	test_telemetry();
	test_krp();
	test_krp_hist2();
	test_irqstat();
	test_events();
	return tap_done();
}
