/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tkread: reading and parsing the Kernel Telemetry Kit's proc and sysfs
 * files, shared by tk-exporter and tk-logger.  No I/O beyond open/read of
 * the files named in docs/ABI/testing and docs/metrics.md; no global state.
 */
#ifndef TK_READ_H
#define TK_READ_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; p is always NUL-terminated once allocated. */
struct tk_buf {
	char *p;
	size_t len, cap;
};

int tk_buf_reserve(struct tk_buf *b, size_t extra);
int tk_buf_put(struct tk_buf *b, const char *s, size_t n);
int tk_buf_puts(struct tk_buf *b, const char *s);
int tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tk_buf_free(struct tk_buf *b);

/* Largest file tk_read_file accepts (a 16384-entry ring is a few MB). */
#define TK_READ_MAX (64u << 20)

/*
 * Read the whole file at path into b (b->len bytes, NUL-terminated).
 * Returns 0, or -errno: -ENOENT/-ENODEV/-ENXIO mean "not there" (a module
 * absent or unloading), -EFBIG a file over TK_READ_MAX, others an error.
 */
int tk_read_file(const char *path, struct tk_buf *b);
int tk_errno_absent(int err);	/* err (negative) means "file not there" */

/* Parse an unsigned decimal with an optional single trailing newline. */
int tk_parse_u64(const char *s, uint64_t *v);
/* "[0-9]+" or "[0-9]+.[0-9]+" (load averages) */
int tk_valid_decimal(const char *s);
/* Function name rule for krp: [A-Za-z0-9_.]{1,127} */
int tk_valid_name(const char *s);
/* Snapshot key rule: [a-z0-9_]{1,63} */
int tk_valid_key(const char *s);

struct tk_kv {
	const char *key;
	const char *val;
};

/* The newest snapshot of /proc/telemetry (pointers into the read buffer). */
struct tk_snap {
	int have_header;
	char version[32];
	uint64_t ring_size, log_interval, enable;
	int have_snap;		/* at least one snapshot line */
	struct tk_kv *kv;
	size_t n, cap;
	unsigned int bad;	/* malformed or duplicate pairs skipped */
};

/* Parse text (modified in place: NULs written) into s. -ENOMEM, else 0. */
int tk_parse_telemetry(char *text, size_t len, struct tk_snap *s);
const char *tk_snap_get(const struct tk_snap *s, const char *key);
void tk_snap_free(struct tk_snap *s);

#define TK_KRP_BUCKETS 40
#define TK_NAME_MAX 128
/*
 * krp's log-linear histogram (stats_ext's hist2=): TK_KRP_FINE buckets;
 * bucket b starts at b ns below 64, else at (b % 32 + 32) << (b / 32 - 1)
 * ns (see krp/krp_util.h).
 */
#define TK_KRP_FINE 1024
/*
 * The fixed bucket edges krp's histograms are exported with, the same on
 * every host: E_j = 2^k * (4 + q) / 4 ns for j = 4 * (k - 6) + q, k = 6..35,
 * q = 0..3 (each octave cut in 4, 64 ns to 60.1 s).  qhist[j] counts the
 * calls in [E_(j-1), E_j) (qhist[0]: under 64 ns; qhist[TK_KRP_QEDGES]: at
 * least E_(TK_KRP_QEDGES - 1)).  Every E_j is an edge of hist2's buckets.
 */
#define TK_KRP_QEDGES 120

struct tk_krp_fn {
	char name[TK_NAME_MAX];
	char target[TK_NAME_MAX];
	char mech[16];
	int ext;		/* from stats_ext (all fields) or stats */
	int fine;		/* the line had hist2= (and p999_ns=): qhist is set */
	uint64_t count, total_ns, min_ns, max_ns, missed;
	uint64_t p50_ns, p90_ns, p99_ns, p999_ns, avg_ns;
	uint64_t hist[TK_KRP_BUCKETS];	/* log2: 2^i <= d < 2^(i+1) ns */
	uint64_t qhist[TK_KRP_QEDGES + 1];
};

struct tk_krp {
	struct tk_krp_fn *fn;
	size_t n, cap;
	unsigned int bad;	/* lines dropped: malformed, bad name, dup */
};

/* E_j in ns, j < TK_KRP_QEDGES (see TK_KRP_QEDGES). */
uint64_t tk_krp_qedge_ns(unsigned int j);
/* The lowest duration (ns) of hist2's bucket b, b < TK_KRP_FINE. */
uint64_t tk_krp_fine_lo(unsigned int b);
/* stats_ext lines (see docs/metrics.md); text modified in place. */
int tk_parse_krp_ext(char *text, struct tk_krp *k);
/* seed format "<name>:<avg_ns>:<count>" */
int tk_parse_krp_stats(char *text, struct tk_krp *k);
void tk_krp_free(struct tk_krp *k);

/* irqstat: one line of irqstat/irqs (see docs/metrics.md). */
#define TK_IRQ_NAME_MAX 64
struct tk_irq_line {
	unsigned int irq;
	char name[TK_IRQ_NAME_MAX];
	uint64_t count, calls, total_ns, max_ns;
	size_t cpu0;		/* first of ncpu counts in tk_irqstat.cpu */
	size_t ncpu;
};

/* irqstat: one line of irqstat/softirqs. */
struct tk_softirq {
	unsigned int vec;
	char name[16];
	uint64_t count;
};

/* irqstat: one line of irqstat/vectors (an architecture row). */
struct tk_irq_vec {
	char row[8];		/* /proc/interrupts row: LOC, RES, ... */
	char name[TK_IRQ_NAME_MAX];
	int timed;
	uint64_t count, calls, total_ns, max_ns;
	size_t cpu0;		/* first of ncpu counts in tk_irqstat.vcpu */
	size_t ncpu;
};

struct tk_irqstat {
	struct tk_irq_line *line;
	size_t n, cap;
	uint64_t *cpu;		/* per-CPU counts of every line, in order */
	size_t ncpu_used, ncpu_cap;
	struct tk_softirq *soft;
	size_t n_soft, cap_soft;
	struct tk_irq_vec *vec;
	size_t n_vec, cap_vec;
	uint64_t *vcpu;		/* per-CPU counts of every row, in order */
	size_t nvcpu_used, nvcpu_cap;
	unsigned int bad;	/* lines dropped: malformed, bad name, dup */
};

/* irqs lines "irq=<n> name=<s> count=.. calls=.. total_ns=.. max_ns=..
 * cpu<i>=.. ..."; text modified in place.
 */
int tk_parse_irqs(char *text, struct tk_irqstat *q);
/* vectors lines "row=<ROW> name=<s> timed=<0|1> count=.. calls=..
 * total_ns=.. max_ns=.. cpu<i>=.. ..."; text modified in place.
 */
int tk_parse_vectors(char *text, struct tk_irqstat *q);
/* softirqs lines "vec=<n> name=<NAME> count=.. cpu<i>=.." */
int tk_parse_softirqs(char *text, struct tk_irqstat *q);
/* irq name rule: printable ASCII without spaces, 1..63 bytes */
int tk_valid_irq_name(const char *s);
void tk_irqstat_free(struct tk_irqstat *q);

/*
 * events (tkcore's telemetry event API): one line of events/producers,
 * "<uuid> name=<s> version=<s> session=<n> sessions=<n> msgs=<n> drops=<n>
 * rej_<reason>=<n> ..." (docs/ABI/testing/sysfs-class-qeexo-events).
 */
#define TK_EV_UUID_LEN 36
#define TK_EV_STR_MAX 64	/* name and version, with the NUL */
#define TK_EV_REASON_MAX 24	/* a reject reason, with the NUL */
#define TK_EV_MAX_REASONS 16

struct tk_ev_reason {
	char name[TK_EV_REASON_MAX];	/* "rej_" stripped: "payload", ... */
	uint64_t count;
};

struct tk_ev_producer {
	char uuid[TK_EV_UUID_LEN + 1];	/* lower case */
	char name[TK_EV_STR_MAX];
	char version[TK_EV_STR_MAX];
	uint64_t sessions, msgs, drops;
	struct tk_ev_reason rej[TK_EV_MAX_REASONS];
	unsigned int n_rej;
};

struct tk_events {
	struct tk_ev_producer *prod;
	size_t n, cap;
	struct tk_ev_reason grej[TK_EV_MAX_REASONS];	/* events/rejects */
	unsigned int n_grej;
	unsigned int bad;	/* lines or pairs dropped: malformed, dup */
};

/* producers lines; text modified in place. -ENOMEM, else 0. */
int tk_parse_ev_producers(char *text, struct tk_events *e);
/* events/rejects: "reason=N ..." on one line into e->grej; -EINVAL when
 * nothing valid was found.
 */
int tk_parse_ev_rejects(char *text, struct tk_events *e);
/* uuid rule: 8-4-4-4-12 lower-case hex */
int tk_valid_uuid(const char *s);
/* producer name and version rule: printable ASCII without spaces, 1..63 */
int tk_valid_ev_str(const char *s);
void tk_events_free(struct tk_events *e);

/* Known features and what makes them present. */
enum tk_feature { TK_F_TKCORE, TK_F_KRP, TK_F_KMP, TK_F_LEAKSIM, TK_F_IRQSTAT,
	TK_F_NR };
extern const char *const tk_feature_names[TK_F_NR];

struct tk_roots {
	const char *sys;	/* default "/sys" */
	const char *proc;	/* default "/proc" */
};

#define TK_MAX_EXTRA_FEATURES 32

/* Everything one collection saw. Reused across collections. */
struct tk_state {
	int up[TK_F_NR];
	/* features listed in telemetry/features that are not in the list */
	char extra[TK_MAX_EXTRA_FEATURES][64];
	int n_extra;
	/* every feature listed in telemetry/features, in order */
	char reg[TK_MAX_EXTRA_FEATURES][64];
	int n_reg;
	struct tk_buf tel_buf;
	struct tk_snap snap;
	struct tk_buf krp_buf;
	struct tk_krp krp;
	int kmp_have_blocks, kmp_have_bytes, kmp_have_leaks;
	int kmp_have_overflow, kmp_have_missed;
	uint64_t kmp_blocks, kmp_bytes, kmp_overflow, kmp_missed;
	uint64_t kmp_leaks;		/* memleaks: "possible leak" lines */
	uint64_t kmp_notfreed;		/* memleaks: "not freed yet" lines */
	int kmp_have_skipped;
	uint64_t kmp_skipped;		/* scan_skipped_pages after the scan */
	struct tk_buf irq_buf;
	struct tk_irqstat irq;
	int irq_have_soft, irq_have_untracked, irq_have_seed;
	int irq_have_vec, irq_have_nest;
	uint64_t irq_untracked, irq_seed_count, irq_nest_overflow;
	int64_t irq_seed_irq;		/* -1: no seed line */
	struct tk_buf ev_buf;
	struct tk_events ev;
	/* events: not in enum tk_feature (tk-logger's "modules" stay as
	 * they are); up when events/producers was read and parsed.
	 */
	int ev_up, ev_have_rejects, ev_have_dropped, ev_have_readers;
	int ev_have_buffer_kb;
	uint64_t ev_dropped, ev_readers, ev_buffer_kb;
	struct tk_buf feat_buf;
	struct tk_buf tmp;
	int have_log_interval;
	uint64_t log_interval;	/* from telemetry/log_interval */
	unsigned int errors;	/* read errors of this collection */
	char last_error[256];
};

#define TK_COLLECT_KMP_SCAN 1	/* also read profiler/memleaks (a scan) */

void tk_collect(struct tk_state *st, const struct tk_roots *r, int flags);
void tk_state_free(struct tk_state *st);

/* ns as exact decimal seconds ("0.000001023", "12"); out >= 32 bytes */
void tk_fmt_ns_sec(uint64_t ns, char *out, size_t n);
/* ms as exact decimal seconds */
void tk_fmt_ms_sec(uint64_t ms, char *out, size_t n);

#endif
