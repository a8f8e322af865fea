// SPDX-License-Identifier: GPL-2.0
/*
 * tk-exporter: the Kernel Telemetry Kit's Prometheus exporter.
 *
 * Serves GET /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the
 * Accept header prefers it), GET / and GET /healthz with libmicrohttpd.
 * Reads the kit's files only when asked (no timers).  One internal polling
 * thread serves every connection, so collections never run concurrently
 * and the collection state needs no lock.  It uses poll(2), not epoll:
 * libmicrohttpd 0.9.75's edge-triggered epoll mode misses the EOF of a
 * client that sends an incomplete request and half-closes, and holds such
 * a connection until the idle timeout; poll sees it at once.
 * Metrics: docs/metrics.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <tkcore/version.h>
#include "tkread.h"

#define DEFAULT_LISTEN "127.0.0.1:9839"

static struct {
	const char *listen;
	struct tk_roots roots;
	int kmp_scan;
	unsigned int max_conn;
	unsigned int timeout;
} cfg = {
	.listen = DEFAULT_LISTEN,
	.roots = { "/sys", "/proc" },
	.max_conn = 512,
	.timeout = 10,
};

/* Touched only by MHD's single polling thread. */
static struct tk_state st;
static unsigned long long read_errors_total, scrapes_total;
static unsigned long long http_requests_total;

/* ---- exposition ---- */

struct out {
	struct tk_buf *b;
	int om;			/* OpenMetrics 1.0.0 */
};

/*
 * A metric family.  For counters name is the family name without _total:
 * 0.0.4 names the family with the suffix, OpenMetrics without.
 */
static void fam(struct out *o, const char *name, const char *type,
		const char *help)
{
	const char *sfx = "";

	if (!strcmp(type, "counter") && !o->om)
		sfx = "_total";
	if (!strcmp(type, "info") && !o->om) {
		sfx = "_info";
		type = "gauge";
	}
	tk_buf_printf(o->b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help,
		      name, sfx, type);
}

/* Appending without a call on the fast path: scrapes are mostly this. */
static inline void put(struct tk_buf *b, const char *s, size_t n)
{
	if (b->p && b->len + n < b->cap) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else {
		tk_buf_put(b, s, n);
	}
}

static inline void puts_(struct tk_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Label value escaping of the exposition formats: \\, \", \n. */
static void esc(struct tk_buf *b, const char *v)
{
	const char *run = v;

	for (; *v; v++) {
		const char *e = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" :
				*v == '\n' ? "\\n" : NULL;

		if (!e)
			continue;
		put(b, run, (size_t)(v - run));
		put(b, e, 2);
		run = v + 1;
	}
	put(b, run, (size_t)(v - run));
}

/* sample(o, name, value, k1, v1, k2, v2, ..., NULL) */
static void sample(struct out *o, const char *name, const char *value, ...)
{
	va_list ap;
	const char *k;
	int first = 1;

	puts_(o->b, name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		put(o->b, first ? "{" : ",", 1);
		puts_(o->b, k);
		put(o->b, "=\"", 2);
		esc(o->b, v);
		put(o->b, "\"", 1);
		first = 0;
	}
	va_end(ap);
	if (!first)
		put(o->b, "}", 1);
	put(o->b, " ", 1);
	puts_(o->b, value);
	put(o->b, "\n", 1);
}

/* Decimal without printf. */
static void u64s(uint64_t v, char *out, size_t n)
{
	char tmp[24];
	size_t i = sizeof(tmp), len;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	len = sizeof(tmp) - i;
	if (len >= n)
		len = n - 1;
	memcpy(out, tmp + i, len);
	out[len] = '\0';
}

/*
 * The fixed bucket bounds of krp's histograms, (E_j - 1) ns in seconds
 * (durations are whole ns: "at most E_j - 1" is "under E_j"), made once.
 */
static char le_str[TK_KRP_QEDGES][24];

static void init_le(void)
{
	int j;

	for (j = 0; j < TK_KRP_QEDGES; j++)
		tk_fmt_ns_sec(tk_krp_qedge_ns(j) - 1, le_str[j], sizeof(le_str[j]));
}

enum conv { C_RAW, C_NS, C_KB };

static const struct known {
	const char *key, *name, *type, *help;
	enum conv conv;
} known[] = {
	{ "seq", "qeexo_snapshots", "counter",
	  "Snapshots tkcore has taken since it loaded (seq of the newest).", C_RAW },
	{ "time_ns", "qeexo_snapshot_timestamp_seconds", "gauge",
	  "Wall-clock time of the newest snapshot, seconds since the epoch.", C_NS },
	{ "uptime_ns", "qeexo_uptime_seconds", "gauge",
	  "Time since boot (CLOCK_BOOTTIME) at the newest snapshot.", C_NS },
	{ "mem_total_kb", "qeexo_memory_total_bytes", "gauge",
	  "MemTotal of /proc/meminfo.", C_KB },
	{ "mem_free_kb", "qeexo_memory_free_bytes", "gauge",
	  "MemFree of /proc/meminfo.", C_KB },
	{ "mem_avail_kb", "qeexo_memory_available_bytes", "gauge",
	  "MemAvailable of /proc/meminfo.", C_KB },
	{ "buffers_kb", "qeexo_memory_buffers_bytes", "gauge",
	  "Buffers of /proc/meminfo.", C_KB },
	{ "cached_kb", "qeexo_memory_cached_bytes", "gauge",
	  "Cached of /proc/meminfo.", C_KB },
	{ "swap_free_kb", "qeexo_swap_free_bytes", "gauge",
	  "SwapFree of /proc/meminfo.", C_KB },
	{ "irqs", "qeexo_interrupts", "counter",
	  "Interrupts handled since boot, all CPUs.", C_RAW },
	{ "ctxt", "qeexo_context_switches", "counter",
	  "Context switches since tkcore loaded, all CPUs.", C_RAW },
	{ "load1", "qeexo_load1", "gauge", "1-minute load average.", C_RAW },
	{ "load5", "qeexo_load5", "gauge", "5-minute load average.", C_RAW },
	{ "load15", "qeexo_load15", "gauge", "15-minute load average.", C_RAW },
	{ "procs", "qeexo_processes", "gauge",
	  "Processes (thread-group leaders).", C_RAW },
	{ "threads", "qeexo_threads", "gauge", "Tasks (all threads).", C_RAW },
	{ "running", "qeexo_tasks_running", "gauge",
	  "Tasks running or runnable.", C_RAW },
	{ "irqstat_irqs", "qeexo_irqstat_interrupts", "counter",
	  "Interrupts irqstat counted at the snapshot, all lines (since irqstat loaded or was reset).", C_RAW },
	{ "irqstat_handler_ns", "qeexo_irqstat_handler_seconds", "counter",
	  "Time in hard interrupt handlers irqstat measured at the snapshot, all lines.", C_NS },
	{ "irqstat_irqs_per_s", "qeexo_irqstat_interrupt_rate", "gauge",
	  "Interrupts per second between the two newest snapshots (irqstat).", C_RAW },
	{ "irqstat_softirqs", "qeexo_irqstat_softirqs", "counter",
	  "Softirqs run at the snapshot, all vectors (since irqstat loaded or was reset).", C_RAW },
	{ "irqstat_softirqs_per_s", "qeexo_irqstat_softirq_rate", "gauge",
	  "Softirqs per second between the two newest snapshots (irqstat).", C_RAW },
	{ "irqstat_seed_count", "qeexo_irqstat_seed_calls", "counter",
	  "Calls of irqstat's seed-mode shared handler at the snapshot.", C_RAW },
	{ "net_rx_bytes", "qeexo_network_receive_bytes", "counter",
	  "Bytes received, all interfaces of the initial network namespace (loopback included).", C_RAW },
	{ "net_rx_packets", "qeexo_network_receive_packets", "counter",
	  "Packets received, all interfaces of the initial network namespace (loopback included).", C_RAW },
	{ "net_tx_bytes", "qeexo_network_transmit_bytes", "counter",
	  "Bytes sent, all interfaces of the initial network namespace (loopback included).", C_RAW },
	{ "net_tx_packets", "qeexo_network_transmit_packets", "counter",
	  "Packets sent, all interfaces of the initial network namespace (loopback included).", C_RAW },
};

/* "cpu<N>_busy_ms" / "cpu<N>_idle_ms": N into cpu, mode into mode. */
static int cpu_key(const char *k, char *cpu, size_t n, const char **mode)
{
	size_t i = 3, d;

	if (strncmp(k, "cpu", 3))
		return 0;
	while (k[i] >= '0' && k[i] <= '9')
		i++;
	d = i - 3;
	if (!d || d >= n)
		return 0;
	if (!strcmp(k + i, "_busy_ms"))
		*mode = "busy";
	else if (!strcmp(k + i, "_idle_ms"))
		*mode = "idle";
	else
		return 0;
	memcpy(cpu, k + 3, d);
	cpu[d] = '\0';
	return 1;
}

static const struct known *known_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].key, k))
			return &known[i];
	return NULL;
}

/* A value converted to its base unit; 0 if it cannot be. */
static int convert(const char *val, enum conv c, char *out, size_t n)
{
	uint64_t v;

	if (c == C_RAW) {
		snprintf(out, n, "%s", val);
		return 1;
	}
	if (tk_parse_u64(val, &v))
		return 0;
	if (c == C_NS) {
		tk_fmt_ns_sec(v, out, n);
		return 1;
	}
	if (v > UINT64_MAX / 1024)
		return 0;
	u64s(v * 1024, out, n);
	return 1;
}

/*
 * A family with one unlabelled sample of value val; a counter's sample is
 * named with _total, as fam() expects.
 */
static void scalar(struct out *o, const char *name, const char *type,
		   const char *help, uint64_t val)
{
	char v[32], sname[128];

	fam(o, name, type, help);
	u64s(val, v, sizeof(v));
	snprintf(sname, sizeof(sname), "%s%s", name,
		 strcmp(type, "counter") ? "" : "_total");
	sample(o, sname, v, NULL);
}

static void render_snapshot(struct out *o)
{
	const struct tk_snap *s = &st.snap;
	char v[64], cpu[16], fname[128];
	const char *mode;
	size_t i;
	int any_cpu = 0;

	if (s->have_header) {
		fam(o, "qeexo_tkcore", "info", "tkcore's version.");
		sample(o, "qeexo_tkcore_info", "1", "version",
		       s->version[0] ? s->version : "unknown", NULL);
		scalar(o, "qeexo_tkcore_ring_size", "gauge",
		       "Snapshots /proc/telemetry keeps.",
		       s->ring_size);
		scalar(o, "qeexo_tkcore_log_interval_seconds", "gauge",
		       "Seconds between two snapshots.",
		       s->log_interval);
		scalar(o, "qeexo_tkcore_enabled", "gauge",
		       "1 while tkcore samples periodically.",
		       s->enable);
	}
	if (!s->have_snap)
		return;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *val = tk_snap_get(s, known[i].key);

		if (!val || !convert(val, known[i].conv, v, sizeof(v)))
			continue;
		fam(o, known[i].name, known[i].type, known[i].help);
		snprintf(fname, sizeof(fname), "%s%s", known[i].name,
			 strcmp(known[i].type, "counter") ? "" : "_total");
		sample(o, fname, v, NULL);
	}
	for (i = 0; i < s->n; i++) {
		uint64_t ms;

		if (!cpu_key(s->kv[i].key, cpu, sizeof(cpu), &mode) ||
		    tk_parse_u64(s->kv[i].val, &ms))
			continue;
		if (!any_cpu)
			fam(o, "qeexo_cpu_seconds", "counter",
			    "CPU time by CPU and mode (busy: user+nice+system+irq+softirq+steal; idle: idle+iowait).");
		any_cpu = 1;
		tk_fmt_ms_sec(ms, v, sizeof(v));
		sample(o, "qeexo_cpu_seconds_total", v, "cpu", cpu, "mode",
		       mode, NULL);
	}
	/* Fields of feature modules and keys added later: gauges. */
	for (i = 0; i < s->n; i++) {
		const char *k = s->kv[i].key;

		if (known_key(k) || cpu_key(k, cpu, sizeof(cpu), &mode))
			continue;
		snprintf(fname, sizeof(fname), "qeexo_feature_%s", k);
		fam(o, fname, "gauge",
		    "A snapshot field of /proc/telemetry without a metric of its own.");
		sample(o, fname, s->kv[i].val, NULL);
	}
}

static void render_krp(struct out *o)
{
	static struct tk_buf pre;	/* kept: no allocation per scrape */
	const struct tk_krp *k = &st.krp;
	char v[64];
	size_t i;
	int j, l;

	if (!st.up[TK_F_KRP] || !k->n)
		return;
	fam(o, "qeexo_krp_function", "info",
	    "A profiled function: its probed symbol and mechanism.");
	for (i = 0; i < k->n; i++)
		if (k->fn[i].ext)
			sample(o, "qeexo_krp_function_info", "1", "function",
			       k->fn[i].name, "target", k->fn[i].target,
			       "mech", k->fn[i].mech, NULL);
	fam(o, "qeexo_krp_calls", "counter", "Calls of the profiled function.");
	for (i = 0; i < k->n; i++) {
		u64s(k->fn[i].count, v, sizeof(v));
		sample(o, "qeexo_krp_calls_total", v, "function", k->fn[i].name,
		       NULL);
	}
	fam(o, "qeexo_krp_duration_seconds", "histogram",
	    "Duration of the profiled function; fixed bounds, each octave cut in 4.");
	for (i = 0; i < k->n; i++) {
		const struct tk_krp_fn *f = &k->fn[i];
		uint64_t cum = 0, cnt;

		if (!f->ext)
			continue;
		/* 120 lines per function: the common prefix is built once */
		pre.len = 0;
		tk_buf_puts(&pre, "qeexo_krp_duration_seconds_bucket{function=\"");
		esc(&pre, f->name);
		tk_buf_puts(&pre, "\",le=\"");
		for (j = 0; j < TK_KRP_QEDGES; j++) {
			if (f->fine) {
				cum += f->qhist[j];
			} else {
				/* a log2 line (no hist2=): octave bounds only */
				if (j % 4)
					continue;
				for (l = j ? j / 4 + 5 : 0; l < j / 4 + 6; l++)
					cum += f->hist[l];
			}
			u64s(cum, v, sizeof(v));
			put(o->b, pre.p, pre.len);
			puts_(o->b, le_str[j]);
			put(o->b, "\"} ", 3);
			puts_(o->b, v);
			put(o->b, "\n", 1);
		}
		if (!f->fine)	/* the log2 buckets 36..39 */
			for (l = TK_KRP_QEDGES / 4 + 6; l < TK_KRP_BUCKETS; l++)
				cum += f->hist[l];
		else
			cum += f->qhist[TK_KRP_QEDGES];
		/* count and buckets are read apart: keep +Inf >= buckets */
		cnt = f->count > cum ? f->count : cum;
		u64s(cnt, v, sizeof(v));
		sample(o, "qeexo_krp_duration_seconds_bucket", v, "function",
		       f->name, "le", "+Inf", NULL);
		tk_fmt_ns_sec(f->total_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_seconds_sum", v, "function",
		       f->name, NULL);
		u64s(cnt, v, sizeof(v));
		sample(o, "qeexo_krp_duration_seconds_count", v, "function",
		       f->name, NULL);
	}
	fam(o, "qeexo_krp_duration_percentile_seconds", "gauge",
	    "Duration percentiles krp computed (50, 90, 99, and 99.9 where krp gives it).");
	for (i = 0; i < k->n; i++) {
		const struct tk_krp_fn *f = &k->fn[i];

		if (!f->ext)
			continue;
		tk_fmt_ns_sec(f->p50_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_percentile_seconds", v, "function",
		       f->name, "percentile", "50", NULL);
		tk_fmt_ns_sec(f->p90_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_percentile_seconds", v, "function",
		       f->name, "percentile", "90", NULL);
		tk_fmt_ns_sec(f->p99_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_percentile_seconds", v, "function",
		       f->name, "percentile", "99", NULL);
		if (!f->fine)
			continue;
		tk_fmt_ns_sec(f->p999_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_percentile_seconds", v, "function",
		       f->name, "percentile", "99.9", NULL);
	}
	fam(o, "qeexo_krp_duration_min_seconds", "gauge",
	    "Shortest call of the profiled function.");
	for (i = 0; i < k->n; i++)
		if (k->fn[i].ext) {
			tk_fmt_ns_sec(k->fn[i].min_ns, v, sizeof(v));
			sample(o, "qeexo_krp_duration_min_seconds", v,
			       "function", k->fn[i].name, NULL);
		}
	fam(o, "qeexo_krp_duration_max_seconds", "gauge",
	    "Longest call of the profiled function.");
	for (i = 0; i < k->n; i++)
		if (k->fn[i].ext) {
			tk_fmt_ns_sec(k->fn[i].max_ns, v, sizeof(v));
			sample(o, "qeexo_krp_duration_max_seconds", v,
			       "function", k->fn[i].name, NULL);
		}
	fam(o, "qeexo_krp_duration_average_seconds", "gauge",
	    "Mean duration of the profiled function.");
	for (i = 0; i < k->n; i++) {
		tk_fmt_ns_sec(k->fn[i].avg_ns, v, sizeof(v));
		sample(o, "qeexo_krp_duration_average_seconds", v, "function",
		       k->fn[i].name, NULL);
	}
	fam(o, "qeexo_krp_missed", "counter",
	    "Calls krp could not time (probe missed).");
	for (i = 0; i < k->n; i++)
		if (k->fn[i].ext) {
			u64s(k->fn[i].missed, v, sizeof(v));
			sample(o, "qeexo_krp_missed_total", v, "function",
			       k->fn[i].name, NULL);
		}
}

static void render_kmp(struct out *o)
{
	char v[32];

	if (st.kmp_have_blocks)
		scalar(o, "qeexo_kmp_tracked_blocks", "gauge",
		       "vmalloc blocks kmp tracks (allocated, not yet freed).",
		       st.kmp_blocks);
	if (st.kmp_have_bytes)
		scalar(o, "qeexo_kmp_tracked_bytes", "gauge",
		       "Bytes of the vmalloc blocks kmp tracks.",
		       st.kmp_bytes);
	if (st.kmp_have_overflow)
		scalar(o, "qeexo_kmp_track_overflow", "counter",
		       "vmalloc blocks not tracked because max_blocks were tracked.",
		       st.kmp_overflow);
	if (st.kmp_have_missed)
		scalar(o, "qeexo_kmp_missed", "counter",
		       "vmalloc/vfree calls kmp's probes missed.",
		       st.kmp_missed);
	if (st.kmp_have_leaks) {
		fam(o, "qeexo_kmp_scan_blocks", "gauge",
		    "Tracked blocks by status at this scrape's memleaks scan (--kmp-scan).");
		u64s(st.kmp_leaks, v, sizeof(v));
		sample(o, "qeexo_kmp_scan_blocks", v, "status", "possible_leak", NULL);
		u64s(st.kmp_notfreed, v, sizeof(v));
		sample(o, "qeexo_kmp_scan_blocks", v, "status", "not_freed_yet", NULL);
	}
	if (st.kmp_have_skipped)
		scalar(o, "qeexo_kmp_scan_skipped_pages", "gauge",
		       "Pages of the range that this scrape's memleaks scan skipped (unmapped or device memory).",
		       st.kmp_skipped);
}

/*
 * One family with a sample per irqstat line, labelled irq and name: the
 * uint64_t field at @off of each line, as nanoseconds shown in seconds when
 * @ns.  Sample names follow scalar()'s rule (_total on counters).
 */
static void irq_family(struct out *o, const char *name, const char *type,
		       const char *help, size_t off, bool ns)
{
	const struct tk_irqstat *q = &st.irq;
	char v[64], irq[16], sname[128];
	uint64_t val;
	size_t i;

	fam(o, name, type, help);
	snprintf(sname, sizeof(sname), "%s%s", name,
		 strcmp(type, "counter") ? "" : "_total");
	for (i = 0; i < q->n; i++) {
		memcpy(&val, (const char *)&q->line[i] + off, sizeof(val));
		u64s(q->line[i].irq, irq, sizeof(irq));
		if (ns)
			tk_fmt_ns_sec(val, v, sizeof(v));
		else
			u64s(val, v, sizeof(v));
		sample(o, sname, v, "irq", irq, "name", q->line[i].name, NULL);
	}
}

/*
 * One family with a sample per irqstat vectors row, labelled row and name,
 * as irq_family(); @timed_only: only rows irqstat times.
 */
static void vec_family(struct out *o, const char *name, const char *type,
		       const char *help, size_t off, bool ns, bool timed_only)
{
	const struct tk_irqstat *q = &st.irq;
	char v[64], sname[128];
	uint64_t val;
	size_t i;

	fam(o, name, type, help);
	snprintf(sname, sizeof(sname), "%s%s", name,
		 strcmp(type, "counter") ? "" : "_total");
	for (i = 0; i < q->n_vec; i++) {
		if (timed_only && !q->vec[i].timed)
			continue;
		memcpy(&val, (const char *)&q->vec[i] + off, sizeof(val));
		if (ns)
			tk_fmt_ns_sec(val, v, sizeof(v));
		else
			u64s(val, v, sizeof(v));
		sample(o, sname, v, "row", q->vec[i].row, "name",
		       q->vec[i].name, NULL);
	}
}

/* Per line: interrupts, handler calls, handler time; softirqs by vector. */
static void render_irqstat(struct out *o)
{
	const struct tk_irqstat *q = &st.irq;
	char v[64], irq[16];
	size_t i;

	if (!st.up[TK_F_IRQSTAT])
		return;
	if (q->n) {
		irq_family(o, "qeexo_irq_handled", "counter",
			   "Interrupts on the line (once per interrupt, however many handlers share it), since irqstat loaded or was reset.",
			   offsetof(struct tk_irq_line, count), false);
		irq_family(o, "qeexo_irq_handler_calls", "counter",
			   "Handler calls on the line (every action of a shared line).",
			   offsetof(struct tk_irq_line, calls), false);
		irq_family(o, "qeexo_irq_handler_seconds", "counter",
			   "Time spent in the line's handlers.",
			   offsetof(struct tk_irq_line, total_ns), true);
		irq_family(o, "qeexo_irq_handler_max_seconds", "gauge",
			   "Longest single handler call on the line.",
			   offsetof(struct tk_irq_line, max_ns), true);
	}
	if (st.irq_have_soft && q->n_soft) {
		fam(o, "qeexo_softirqs", "counter",
		    "Softirqs run, by vector, since irqstat loaded or was reset.");
		for (i = 0; i < q->n_soft; i++) {
			u64s(q->soft[i].count, v, sizeof(v));
			sample(o, "qeexo_softirqs_total", v, "vector",
			       q->soft[i].name, NULL);
		}
	}
	if (st.irq_have_vec && q->n_vec) {
		vec_family(o, "qeexo_irq_vector_handled", "counter",
			   "Interrupts of an architecture row of /proc/interrupts (row: LOC, RES, ...), since irqstat loaded or was reset.",
			   offsetof(struct tk_irq_vec, count), false, false);
		vec_family(o, "qeexo_irq_vector_handler_seconds", "counter",
			   "Time in the row's handlers (rows timed by irq_vectors tracepoints only).",
			   offsetof(struct tk_irq_vec, total_ns), true, true);
		vec_family(o, "qeexo_irq_vector_handler_max_seconds", "gauge",
			   "Longest single handler call of the row (rows timed by irq_vectors tracepoints only).",
			   offsetof(struct tk_irq_vec, max_ns), true, true);
	}
	if (st.irq_have_nest)
		scalar(o, "qeexo_irq_nest_overflow", "counter",
		       "Handler calls nested deeper than irqstat's stack on their CPU (counted, not timed).",
		       st.irq_nest_overflow);
	if (st.irq_have_untracked)
		scalar(o, "qeexo_irq_untracked", "counter",
		       "Interrupts on lines numbered past those irqstat sized its tables for.",
		       st.irq_untracked);
	if (st.irq_have_seed) {
		fam(o, "qeexo_irq_seed_calls", "counter",
		    "Calls of irqstat's shared seed-mode handler (irq= parameter).");
		u64s((uint64_t)st.irq_seed_irq, irq, sizeof(irq));
		u64s(st.irq_seed_count, v, sizeof(v));
		sample(o, "qeexo_irq_seed_calls_total", v, "irq", irq, NULL);
	}
}

/* A producer's labels: uuid, name, version (escaped by sample()). */
#define EV_LABELS(p) "uuid", (p)->uuid, "name", (p)->name, "version", (p)->version

/*
 * One counter family with a sample per event producer: the uint64_t field
 * at @off of each producer, as irq_family() does for irqstat's lines.
 */
static void prod_family(struct out *o, const char *name, const char *help,
			size_t off)
{
	const struct tk_events *e = &st.ev;
	char v[32], sname[128];
	uint64_t val;
	size_t i;

	fam(o, name, "counter", help);
	snprintf(sname, sizeof(sname), "%s_total", name);
	for (i = 0; i < e->n; i++) {
		memcpy(&val, (const char *)&e->prod[i] + off, sizeof(val));
		u64s(val, v, sizeof(v));
		sample(o, sname, v, EV_LABELS(&e->prod[i]), NULL);
	}
}

static void render_events(struct out *o)
{
	const struct tk_events *e = &st.ev;
	char v[32];
	size_t i;
	unsigned int j;

	if (!st.ev_up)
		return;
	if (e->n) {
		prod_family(o, "qeexo_event_producer_messages",
			    "Messages the producer's tk_telemetry_msg() accepted.",
			    offsetof(struct tk_ev_producer, msgs));
		prod_family(o, "qeexo_event_producer_sessions",
			    "Sessions the producer began.",
			    offsetof(struct tk_ev_producer, sessions));
		prod_family(o, "qeexo_event_producer_dropped_records",
			    "The producer's records /dev/qeexo_events had no room for.",
			    offsetof(struct tk_ev_producer, drops));
		fam(o, "qeexo_event_producer_rejects", "counter",
		    "The producer's calls rejected, by reason.");
		for (i = 0; i < e->n; i++)
			for (j = 0; j < e->prod[i].n_rej; j++) {
				u64s(e->prod[i].rej[j].count, v, sizeof(v));
				sample(o, "qeexo_event_producer_rejects_total", v,
				       EV_LABELS(&e->prod[i]), "reason",
				       e->prod[i].rej[j].name, NULL);
			}
	}
	if (st.ev_have_rejects) {
		fam(o, "qeexo_events_rejects", "counter",
		    "Rejected event API calls with no producer to count them on, by reason.");
		for (j = 0; j < e->n_grej; j++) {
			u64s(e->grej[j].count, v, sizeof(v));
			sample(o, "qeexo_events_rejects_total", v, "reason",
			       e->grej[j].name, NULL);
		}
	}
	if (st.ev_have_dropped)
		scalar(o, "qeexo_events_dropped_records", "counter",
		       "Records of all producers /dev/qeexo_events dropped (buffer full) since tkcore loaded.",
		       st.ev_dropped);
	if (st.ev_have_readers)
		scalar(o, "qeexo_events_readers", "gauge",
		       "1 while /dev/qeexo_events is open, else 0.",
		       st.ev_readers);
	if (st.ev_have_buffer_kb && st.ev_buffer_kb <= UINT64_MAX / 1024)
		scalar(o, "qeexo_events_buffer_bytes", "gauge",
		       "Size of each per-CPU buffer of /dev/qeexo_events.",
		       st.ev_buffer_kb * 1024);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void render_self(struct out *o, double dur)
{
	char v[64];
	int i;

	fam(o, "qeexo_up", "gauge",
	    "1 when the feature's files are there and were read, else 0.");
	for (i = 0; i < TK_F_NR; i++)
		sample(o, "qeexo_up", st.up[i] ? "1" : "0", "feature",
		       tk_feature_names[i], NULL);
	sample(o, "qeexo_up", st.ev_up ? "1" : "0", "feature", "events", NULL);
	for (i = 0; i < st.n_extra; i++)
		if (strcmp(st.extra[i], "events"))
			sample(o, "qeexo_up", "1", "feature", st.extra[i],
			       NULL);
	fam(o, "qeexo_exporter_scrape_duration_seconds", "gauge",
	    "Time this scrape took to read and parse the kit's files.");
	snprintf(v, sizeof(v), "%.9f", dur);
	sample(o, "qeexo_exporter_scrape_duration_seconds", v, NULL);
	scalar(o, "qeexo_exporter_scrape_read_errors", "gauge",
	       "Read or parse errors in this scrape.",
	       st.errors);
	scalar(o, "qeexo_exporter_read_errors", "counter",
	       "Read or parse errors since the exporter started.",
	       read_errors_total);
	scalar(o, "qeexo_exporter_scrapes", "counter",
	       "Scrapes of /metrics since the exporter started.",
	       scrapes_total);
	scalar(o, "qeexo_exporter_http_requests", "counter",
	       "HTTP requests answered since the exporter started.",
	       http_requests_total);
	fam(o, "qeexo_exporter_build", "info",
	    "The exporter's version (the kit's TK_VERSION).");
	sample(o, "qeexo_exporter_build_info", "1", "version", TK_VERSION,
	       NULL);
}

static void collect(void)
{
	tk_collect(&st, &cfg.roots, cfg.kmp_scan ? TK_COLLECT_KMP_SCAN : 0);
	read_errors_total += st.errors;
}

static void render_metrics(struct tk_buf *b, int om)
{
	static size_t last_len;	/* one allocation of the right size */
	struct out o = { b, om };
	double t0 = now_s();

	tk_buf_reserve(b, last_len + last_len / 8 + 4096);

	collect();
	scrapes_total++;
	render_snapshot(&o);
	render_krp(&o);
	render_kmp(&o);
	render_irqstat(&o);
	render_events(&o);
	render_self(&o, now_s() - t0);
	if (om)
		tk_buf_puts(b, "# EOF\n");
	last_len = b->len;
}

static void render_health(struct tk_buf *b)
{
	int i;

	collect();
	tk_buf_printf(b, "{\"status\":\"%s\",\"version\":\"%s\",\"features\":{",
		      st.up[TK_F_TKCORE] ? "ok" : "tkcore-missing", TK_VERSION);
	for (i = 0; i < TK_F_NR; i++)
		tk_buf_printf(b, "%s\"%s\":%s", i ? "," : "",
			      tk_feature_names[i], st.up[i] ? "true" : "false");
	tk_buf_printf(b, ",\"events\":%s", st.ev_up ? "true" : "false");
	for (i = 0; i < st.n_extra; i++)
		if (strcmp(st.extra[i], "events"))
			tk_buf_printf(b, ",\"%s\":true", st.extra[i]);
	tk_buf_printf(b, "},\"read_errors\":%u,\"read_errors_total\":%llu,\"last_error\":\"",
		      st.errors, read_errors_total);
	/* last_error holds paths and strerror text: JSON-escape it */
	for (const char *p = st.last_error; *p; p++) {
		if (*p == '"' || *p == '\\')
			tk_buf_printf(b, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			tk_buf_printf(b, "\\u%04x", (unsigned char)*p);
		else
			tk_buf_put(b, p, 1);
	}
	tk_buf_puts(b, "\"}\n");
}

/* ---- HTTP ---- */

/* q of the best range in Accept matching type (or its wildcards). */
static double accept_q(const char *accept, const char *type)
{
	const char *p = accept;
	double best = -1;
	const char *slash = strchr(type, '/');
	size_t major = (size_t)(slash - type);

	while (*p) {
		const char *end = strchr(p, ','), *semi;
		size_t tl;
		double q = 1;
		int match;

		if (!end)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		tl = (size_t)((semi ? semi : end) - p);
		while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
			tl--;
		match = (tl == strlen(type) && !strncasecmp(p, type, tl)) ||
			(tl == 3 && !strncmp(p, "*/*", 3)) ||
			(tl == major + 2 && !strncasecmp(p, type, major) &&
			 !strncmp(p + major, "/*", 2));
		for (const char *s = semi; s && s < end;) {
			const char *nx = memchr(s + 1, ';', (size_t)(end - s - 1));

			s++;
			while (s < end && *s == ' ')
				s++;
			if (!strncasecmp(s, "q=", 2))
				q = strtod(s + 2, NULL);
			s = nx;
		}
		if (match && q > best)
			best = q;
		p = *end ? end + 1 : end;
	}
	return best;
}

static int wants_om(const char *accept)
{
	double om, text;

	if (!accept)
		return 0;
	om = accept_q(accept, "application/openmetrics-text");
	text = accept_q(accept, "text/plain");
	/* OpenMetrics only when named explicitly and preferred */
	if (!strcasestr(accept, "application/openmetrics-text"))
		return 0;
	return om > 0 && om > text;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, struct tk_buf *b)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		tk_buf_free(b);
		return MHD_NO;
	}
	b->p = NULL;		/* owned by the response now */
	b->len = b->cap = 0;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tk-exporter</title></head>\n"
	"<body><h1>Kernel Telemetry Kit exporter</h1>\n"
	"<p>Version " TK_VERSION ".</p>\n<ul>\n"
	"<li><a href=\"/metrics\">/metrics</a> &mdash; Prometheus metrics</li>\n"
	"<li><a href=\"/healthz\">/healthz</a> &mdash; module presence and read errors (JSON)</li>\n"
	"</ul></body></html>\n";

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct tk_buf b = { 0 };

	(void)cls;
	(void)version;
	(void)upload_data;
	/*
	 * First call: headers only.  Refuse other methods and request bodies
	 * at once (MHD then closes the connection without reading the body);
	 * answer a plain GET once the request is whole, keeping keep-alive.
	 */
	if (!*con_cls) {
		*con_cls = (void *)1;
		const char *cl;

		if (strcmp(method, MHD_HTTP_METHOD_GET) &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
			http_requests_total++;
			tk_buf_puts(&b, "method not allowed\n");
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "text/plain; charset=utf-8", &b);
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);

		if ((cl && strcmp(cl, "0")) ||
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
			http_requests_total++;
			tk_buf_puts(&b, "no request body expected\n");
			return reply(c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "text/plain; charset=utf-8", &b);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {	/* not reached: bodies are refused */
		*upload_data_size = 0;
		return MHD_YES;
	}
	http_requests_total++;
	if (!strcmp(url, "/metrics")) {
		const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_ACCEPT);
		int om = wants_om(acc);

		render_metrics(&b, om);
		if (!b.p) {
			tk_buf_puts(&b, "out of memory\n");
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "text/plain; charset=utf-8", &b);
		}
		return reply(c, MHD_HTTP_OK, om ?
			     "application/openmetrics-text; version=1.0.0; charset=utf-8" :
			     "text/plain; version=0.0.4; charset=utf-8", &b);
	}
	if (!strcmp(url, "/healthz")) {
		render_health(&b);
		return reply(c, MHD_HTTP_OK, "application/json", &b);
	}
	if (!strcmp(url, "/")) {
		tk_buf_puts(&b, landing);
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
	}
	tk_buf_puts(&b, "not found\n");
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", &b);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tk-exporter [options]\n"
		"  --listen ADDR:PORT    listen address (env TK_EXPORTER_LISTEN, default " DEFAULT_LISTEN ";\n"
		"                        IPv6 as [::1]:9839)\n"
		"  --sysfs-root DIR      sysfs mount (env TK_SYSFS_ROOT, default /sys)\n"
		"  --proc-root DIR       procfs mount (env TK_PROC_ROOT, default /proc)\n"
		"  --kmp-scan            read profiler/memleaks (a kmp scan) on each scrape\n"
		"                        (env TK_EXPORTER_KMP_SCAN=1, default off)\n"
		"  --max-connections N   concurrent connections (env TK_EXPORTER_MAX_CONNECTIONS, default 512)\n"
		"  --timeout SEC         idle connection timeout (env TK_EXPORTER_TIMEOUT, default 10)\n"
		"  --version, --help\n");
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	uint64_t v;

	if (tk_parse_u64(s, &v) || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int env_true(const char *v)
{
	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") ||
		     !strcasecmp(v, "yes"));
}

static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	char host[256];
	const char *port;
	struct addrinfo hints = { 0 }, *ai;
	size_t hl;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || e[1] != ':')
			return -1;
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		port = e + 2;
	} else {
		const char *c = strrchr(s, ':');

		if (!c)
			return -1;
		hl = (size_t)(c - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		port = c + 1;
	}
	host[hl] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(hl ? host : NULL, port, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "proc-root", required_argument, NULL, 'p' },
		{ "kmp-scan", no_argument, NULL, 'k' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_storage ss;
	socklen_t sl;
	struct MHD_Daemon *d;
	sigset_t set;
	const char *e;
	int opt, sig;
	unsigned int flags;

	if ((e = getenv("TK_EXPORTER_LISTEN")) && *e)
		cfg.listen = e;
	if ((e = getenv("TK_SYSFS_ROOT")) && *e)
		cfg.roots.sys = e;
	if ((e = getenv("TK_PROC_ROOT")) && *e)
		cfg.roots.proc = e;
	cfg.kmp_scan = env_true(getenv("TK_EXPORTER_KMP_SCAN"));
	if ((e = getenv("TK_EXPORTER_MAX_CONNECTIONS")) && *e &&
	    parse_uint(e, 1, 65536, &cfg.max_conn)) {
		fprintf(stderr, "tk-exporter: bad TK_EXPORTER_MAX_CONNECTIONS\n");
		return 2;
	}
	if ((e = getenv("TK_EXPORTER_TIMEOUT")) && *e &&
	    parse_uint(e, 1, 3600, &cfg.timeout)) {
		fprintf(stderr, "tk-exporter: bad TK_EXPORTER_TIMEOUT\n");
		return 2;
	}
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'l': cfg.listen = optarg; break;
		case 's': cfg.roots.sys = optarg; break;
		case 'p': cfg.roots.proc = optarg; break;
		case 'k': cfg.kmp_scan = 1; break;
		case 'c':
			if (parse_uint(optarg, 1, 65536, &cfg.max_conn)) {
				fprintf(stderr, "tk-exporter: bad --max-connections\n");
				return 2;
			}
			break;
		case 't':
			if (parse_uint(optarg, 1, 3600, &cfg.timeout)) {
				fprintf(stderr, "tk-exporter: bad --timeout\n");
				return 2;
			}
			break;
		case 'V': printf("tk-exporter %s\n", TK_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (parse_listen(cfg.listen, &ss, &sl)) {
		fprintf(stderr, "tk-exporter: bad listen address '%s'\n", cfg.listen);
		return 2;
	}

	init_le();
	/* Signals go to sigwait below, never to MHD's thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, cfg.max_conn,
			     MHD_OPTION_CONNECTION_TIMEOUT, cfg.timeout,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "tk-exporter: cannot listen on %s: %s\n",
			cfg.listen, strerror(errno));
		return 1;
	}
	fprintf(stderr, "tk-exporter %s listening on %s (sysfs %s, proc %s)\n",
		TK_VERSION, cfg.listen, cfg.roots.sys, cfg.roots.proc);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig != SIGHUP)
			break;
	}
	MHD_stop_daemon(d);
	tk_state_free(&st);
	fprintf(stderr, "tk-exporter: stopped\n");
	return 0;
}
