// SPDX-License-Identifier: GPL-2.0
/*
 * tk-logger: the Kernel Telemetry Kit's JSON-lines logger.
 *
 * Every log_interval seconds (re-read from sysfs each cycle) it appends one
 * JSON object holding everything the stack exposes at that moment to the
 * output file (default telemetry_log.json).  Schema: docs/metrics.md.
 *
 * Line atomicity.  A line is 30 kB and more with many krp functions, and
 * Linux ends a regular-file write(2) early, between pages, when a fatal
 * signal is pending (generic_perform_write), so a kill -9 of a process in
 * the middle of its write() leaves a torn line.  Hence two processes:
 *
 *   logger (the PID started)  collects, builds each line whole and sends it
 *         |                   over a pipe as one frame: header {op, len},
 *         | frames            then len bytes;
 *         v
 *   writer (forked at start)  owns the output fd.  It reads a frame
 *                             completely before it write()s it, so it only
 *                             ever writes whole lines; at EOF it drops a
 *                             partial frame (the logger died mid-send) and
 *                             exits.  It ignores SIGINT, SIGTERM, SIGHUP
 *                             and SIGTTOU and has a process group of its
 *                             own, so neither a signal for the logger nor
 *                             kill -9 of the logger's process group reaches
 *                             it in the middle of a write.
 *
 * SIGHUP: the logger sends a "reopen" frame and the writer opens the file
 * anew (logrotate).  SIGTERM/SIGINT: the logger closes the pipe and waits
 * for the writer, which writes every frame still queued and exits; exit 0.
 * A kill -9 of the logger: the writer finishes the line it is writing,
 * drops a half-sent one and exits at EOF (no orphan).  Only a kill of the
 * writer itself (systemd's final SIGKILL of the cgroup after
 * TimeoutStopSec, an explicit kill of its PID) or a machine crash can still
 * tear the last line; the next start cuts it back (repair_tail), and a
 * logger whose writer died exits 1.  --output - works the same: the writer
 * writes to stdout (a pipe reader never sees half a line from a kill -9).
 *
 * --events: the logger also holds /dev/qeexo_events open (O_NONBLOCK) and
 * waits in ppoll() on it and on a signalfd until the next snapshot is due.
 * Each line the device gives is checked with jansson (one JSON object with a
 * string "type") and logged as a line of its own, {"time", "time_ns",
 * "logger", "kind":"event", "event": the kernel's object as it came}; the
 * lines of one read() go to the writer as one frame of whole lines, so the
 * atomicity above holds for them too.  A line that fails the check is
 * counted and skipped, never logged raw; the device's "dropped" lines are
 * logged like any event and summed.  The writer closes its copy of the
 * device at once, so only the logger holds it (a restarted logger does not
 * find it busy).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <tkcore/version.h>
#include "tkread.h"

#define DEFAULT_OUTPUT "telemetry_log.json"
#define DEFAULT_INTERVAL 5	/* tkcore's default log_interval */
#define EVENTS_DEV "qeexo_events"	/* under --dev-root */

static struct {
	const char *output;
	struct tk_roots roots;
	const char *dev_root;
	long long interval_ms;	/* -1: follow log_interval */
	unsigned long long count;	/* 0: forever */
	int kmp_scan;
	int events;		/* --events */
	const char *events_path;	/* NULL: dev_root/qeexo_events */
} cfg = {
	.output = DEFAULT_OUTPUT,
	.roots = { "/sys", "/proc" },
	.dev_root = "/dev",
	.interval_ms = -1,
};

/* ---- the event reader (--events) ---- */

#define EV_LINE_MAX (64u << 10)	/* the kernel's lines are < 2 KiB */
#define EV_READS 16		/* read()s per wake-up before looking at the clock */
#define EV_DRAIN_SECS 2.0	/* at exit: read what is queued, at most this long */
#define EV_WARN_MAX 10		/* malformed lines reported on stderr */

static struct {
	char path[4096];
	int fd;			/* -1: not open (never, or closed after EOF/error) */
	char *buf;		/* EV_LINE_MAX: a line not yet complete */
	size_t len;
	int skipping;		/* inside an overlong line: drop up to its '\n' */
	uint64_t lines;		/* lines logged */
	uint64_t malformed;	/* lines skipped */
	uint64_t dropped;	/* sum of the device's "dropped" counts */
	char *out;		/* the lines of one read(), sent as one frame */
	size_t out_len, out_cap;
} ev = { .fd = -1 };

static int out_fd = -1;		/* the writer's output (the logger's until the fork) */
static int wr_pipe = -1;	/* logger: write end of the pipe to the writer */
static pid_t wr_pid = -1;

/* a frame on the pipe: this header, then len bytes (a whole line) */
struct frame {
	uint32_t op;
	uint32_t len;
};

enum { FR_LINE = 1, FR_REOPEN = 2 };
#define MAX_LINE (256u << 20)

/* ---- output file ---- */

/*
 * A file whose last byte is not '\n' ends in a line torn by a crash of an
 * earlier writer (see docs/metrics.md): cut it back to its last full line.
 */
static void repair_tail(int fd)
{
	struct stat sb;
	char buf[4096];
	off_t end, pos;

	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return;
	end = sb.st_size;
	if (pread(fd, buf, 1, end - 1) != 1 || buf[0] == '\n')
		return;
	for (pos = end; pos > 0;) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r;

		pos -= (off_t)n;
		r = pread(fd, buf, n, pos);
		if (r != (ssize_t)n)
			return;
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		if (n > 0) {
			pos += (off_t)n;
			break;
		}
	}
	fprintf(stderr, "tk-logger: %s ended in a torn line: cut %lld bytes\n",
		cfg.output, (long long)(end - pos));
	if (ftruncate(fd, pos))
		fprintf(stderr, "tk-logger: ftruncate: %s\n", strerror(errno));
}

static int open_output(void)
{
	int fd;

	if (!strcmp(cfg.output, "-")) {
		out_fd = STDOUT_FILENO;
		return 0;
	}
	/* read access for repair_tail; write-only if that is all we may */
	fd = open(cfg.output, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EACCES)
		fd = open(cfg.output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644);
	if (fd < 0) {
		fprintf(stderr, "tk-logger: %s: %s\n", cfg.output, strerror(errno));
		return -1;
	}
	repair_tail(fd);
	if (out_fd >= 0 && out_fd != STDOUT_FILENO)
		close(out_fd);
	out_fd = fd;
	return 0;
}

/* All of it; a pipe may take it in parts.  0 or -errno. */
static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Whole reads: what was read (less than n only at EOF), or -errno. */
static ssize_t read_all(int fd, void *p, size_t n)
{
	char *s = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, s + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* ---- the writer process ---- */

/*
 * Writes whole frames only; exits at EOF (0) or on a write error (1).  A
 * write that failed after part of a line (ENOSPC, EIO) leaves a torn tail:
 * it is cut back at once.
 */
static void __attribute__((noreturn)) writer_main(int rfd)
{
	char *buf = NULL;
	size_t cap = 0;
	int rc = 0;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);	/* stdout a tty and we a background group */
	signal(SIGPIPE, SIG_IGN);	/* EPIPE instead */
	setpgid(0, 0);
	if (ev.fd >= 0)		/* only the logger holds the event device */
		close(ev.fd);
	for (;;) {
		struct frame h;
		ssize_t r = read_all(rfd, &h, sizeof(h));
		int err;

		if (r == 0)
			break;			/* the logger closed the pipe */
		if (r != (ssize_t)sizeof(h)) {
			if (r > 0)
				fprintf(stderr, "tk-logger: writer: logger ended mid-frame, dropped it\n");
			else
				fprintf(stderr, "tk-logger: writer: read: %s\n", strerror((int)-r));
			break;
		}
		if (h.op == FR_REOPEN) {
			if (open_output())
				fprintf(stderr, "tk-logger: reopen failed, keeping the old file\n");
			continue;
		}
		if (h.op != FR_LINE || h.len == 0 || h.len > MAX_LINE) {
			fprintf(stderr, "tk-logger: writer: bad frame %u/%u\n", h.op, h.len);
			rc = 1;
			break;
		}
		if (h.len > cap) {
			char *nb = realloc(buf, h.len);

			if (!nb) {
				fprintf(stderr, "tk-logger: writer: out of memory\n");
				rc = 1;
				break;
			}
			buf = nb;
			cap = h.len;
		}
		r = read_all(rfd, buf, h.len);
		if (r != (ssize_t)h.len) {
			/* the logger died in the middle of sending this line */
			fprintf(stderr, "tk-logger: writer: logger ended mid-line, dropped %zd of %u bytes\n",
				r < 0 ? (ssize_t)0 : r, h.len);
			break;
		}
		err = write_all(out_fd, buf, h.len);
		if (err) {
			fprintf(stderr, "tk-logger: write %s: %s\n", cfg.output,
				strerror(-err));
			repair_tail(out_fd);
			rc = 1;
			break;
		}
	}
	free(buf);
	close(rfd);
	if (out_fd != STDOUT_FILENO)
		close(out_fd);
	exit(rc);
}

/* Fork the writer; it takes over out_fd. */
static int start_writer(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "tk-logger: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	wr_pid = fork();
	if (wr_pid < 0) {
		fprintf(stderr, "tk-logger: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (wr_pid == 0) {
		close(p[1]);
		writer_main(p[0]);
	}
	/* also here, so no group signal can reach it before its own call */
	setpgid(wr_pid, wr_pid);
	close(p[0]);
	wr_pipe = p[1];
	if (out_fd != STDOUT_FILENO)
		close(out_fd);
	out_fd = -1;
	return 0;
}

/* Hand a frame to the writer: 0, or -errno (EPIPE: the writer is gone). */
static int send_frame(uint32_t op, const char *s, size_t n)
{
	struct frame h = { op, (uint32_t)n };
	int err = write_all(wr_pipe, &h, sizeof(h));

	return err ? err : write_all(wr_pipe, s, n);
}

/* Close the pipe, let the writer drain it, reap it: 0 if it ended well. */
static int stop_writer(void)
{
	int ws;
	pid_t r;

	close(wr_pipe);
	wr_pipe = -1;
	while ((r = waitpid(wr_pid, &ws, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		fprintf(stderr, "tk-logger: waitpid: %s\n", strerror(errno));
		return 1;
	}
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws) ? 1 : 0;
	fprintf(stderr, "tk-logger: writer killed by signal %d\n",
		WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	return 1;
}

/* ---- JSON ---- */

static json_t *number(const char *v)
{
	uint64_t u;

	if (!tk_parse_u64(v, &u)) {
		if (u <= (uint64_t)INT64_MAX)
			return json_integer((json_int_t)u);
		return json_real((double)u);
	}
	return json_real(strtod(v, NULL));
}

static json_t *u64j(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? json_integer((json_int_t)u) :
					  json_real((double)u);
}

/* The wall clock as "time" (UTC, ms; tbuf >= 32 bytes) and "time_ns". */
static uint64_t now_utc(char *tbuf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + strlen(tbuf), n - strlen(tbuf), ".%03ldZ",
		 ts.tv_nsec / 1000000);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static json_t *build(const struct tk_state *st, unsigned long long line)
{
	json_t *o = json_object(), *mods = json_object(), *feats = json_array();
	char tbuf[64];
	uint64_t ns;
	size_t i;
	int f;

	ns = now_utc(tbuf, sizeof(tbuf));
	json_object_set_new(o, "time", json_string(tbuf));
	json_object_set_new(o, "time_ns", u64j(ns));
	json_object_set_new(o, "logger", json_pack("{s:s,s:I}", "version",
						   TK_VERSION, "line",
						   (json_int_t)line));
	for (f = 0; f < TK_F_NR; f++)
		json_object_set_new(mods, tk_feature_names[f],
				    json_boolean(st->up[f]));
	for (f = 0; f < st->n_extra; f++)
		json_object_set_new(mods, st->extra[f], json_true());
	json_object_set_new(o, "modules", mods);
	for (f = 0; f < st->n_reg; f++)
		json_array_append_new(feats, json_string(st->reg[f]));
	json_object_set_new(o, "features", feats);

	if (st->up[TK_F_TKCORE] && st->snap.have_header)
		json_object_set_new(o, "tkcore", json_pack(
			"{s:s,s:o,s:o,s:o}", "version", st->snap.version,
			"ring_size", u64j(st->snap.ring_size),
			"log_interval", u64j(st->snap.log_interval),
			"enable", u64j(st->snap.enable)));
	else
		json_object_set_new(o, "tkcore", json_null());
	if (st->up[TK_F_TKCORE] && st->snap.have_snap) {
		json_t *s = json_object();

		for (i = 0; i < st->snap.n; i++)
			json_object_set_new(s, st->snap.kv[i].key,
					    number(st->snap.kv[i].val));
		json_object_set_new(o, "snapshot", s);
	} else {
		json_object_set_new(o, "snapshot", json_null());
	}

	if (st->up[TK_F_KRP]) {
		json_t *fns = json_array();

		for (i = 0; i < st->krp.n; i++) {
			const struct tk_krp_fn *fn = &st->krp.fn[i];
			json_t *j = json_object();

			json_object_set_new(j, "name", json_string(fn->name));
			json_object_set_new(j, "count", u64j(fn->count));
			json_object_set_new(j, "avg_ns", u64j(fn->avg_ns));
			if (fn->ext) {
				json_t *h = json_array();
				int b;

				json_object_set_new(j, "target", json_string(fn->target));
				json_object_set_new(j, "mech", json_string(fn->mech));
				json_object_set_new(j, "total_ns", u64j(fn->total_ns));
				json_object_set_new(j, "min_ns", u64j(fn->min_ns));
				json_object_set_new(j, "max_ns", u64j(fn->max_ns));
				json_object_set_new(j, "missed", u64j(fn->missed));
				json_object_set_new(j, "p50_ns", u64j(fn->p50_ns));
				json_object_set_new(j, "p90_ns", u64j(fn->p90_ns));
				json_object_set_new(j, "p99_ns", u64j(fn->p99_ns));
				for (b = 0; b < TK_KRP_BUCKETS; b++)
					json_array_append_new(h, u64j(fn->hist[b]));
				json_object_set_new(j, "hist", h);
				if (fn->fine) {
					/* krp with hist2=: p999 and the fixed-edge counts */
					json_object_set_new(j, "p999_ns", u64j(fn->p999_ns));
					h = json_array();
					for (b = 0; b <= TK_KRP_QEDGES; b++)
						json_array_append_new(h, u64j(fn->qhist[b]));
					json_object_set_new(j, "hist_q", h);
				}
			}
			json_array_append_new(fns, j);
		}
		json_object_set_new(o, "krp", json_pack("{s:o}", "functions", fns));
	} else {
		json_object_set_new(o, "krp", json_null());
	}

	if (st->up[TK_F_KMP]) {
		json_t *k = json_object();

		if (st->kmp_have_blocks)
			json_object_set_new(k, "tracked_blocks", u64j(st->kmp_blocks));
		if (st->kmp_have_bytes)
			json_object_set_new(k, "tracked_bytes", u64j(st->kmp_bytes));
		if (st->kmp_have_overflow)
			json_object_set_new(k, "track_overflow", u64j(st->kmp_overflow));
		if (st->kmp_have_missed)
			json_object_set_new(k, "missed", u64j(st->kmp_missed));
		if (st->kmp_have_leaks) {
			json_object_set_new(k, "scan_possible_leak", u64j(st->kmp_leaks));
			json_object_set_new(k, "scan_not_freed_yet", u64j(st->kmp_notfreed));
		}
		if (st->kmp_have_skipped)
			json_object_set_new(k, "scan_skipped_pages", u64j(st->kmp_skipped));
		json_object_set_new(o, "kmp", k);
	} else {
		json_object_set_new(o, "kmp", json_null());
	}
	if (st->up[TK_F_IRQSTAT]) {
		json_t *q = json_object(), *ls = json_array();

		for (i = 0; i < st->irq.n; i++) {
			const struct tk_irq_line *l = &st->irq.line[i];
			json_t *j = json_object(), *cpu = json_array();
			size_t c;

			json_object_set_new(j, "irq", json_integer(l->irq));
			json_object_set_new(j, "name", json_string(l->name));
			json_object_set_new(j, "count", u64j(l->count));
			json_object_set_new(j, "calls", u64j(l->calls));
			json_object_set_new(j, "total_ns", u64j(l->total_ns));
			json_object_set_new(j, "max_ns", u64j(l->max_ns));
			for (c = 0; c < l->ncpu; c++)
				json_array_append_new(cpu, u64j(st->irq.cpu[l->cpu0 + c]));
			json_object_set_new(j, "cpu", cpu);
			json_array_append_new(ls, j);
		}
		json_object_set_new(q, "lines", ls);
		if (st->irq_have_vec) {
			json_t *vs = json_array();

			for (i = 0; i < st->irq.n_vec; i++) {
				const struct tk_irq_vec *r = &st->irq.vec[i];
				json_t *j = json_object(), *cpu = json_array();
				size_t c;

				json_object_set_new(j, "row", json_string(r->row));
				json_object_set_new(j, "name", json_string(r->name));
				json_object_set_new(j, "timed", json_boolean(r->timed));
				json_object_set_new(j, "count", u64j(r->count));
				json_object_set_new(j, "calls", u64j(r->calls));
				json_object_set_new(j, "total_ns", u64j(r->total_ns));
				json_object_set_new(j, "max_ns", u64j(r->max_ns));
				for (c = 0; c < r->ncpu; c++)
					json_array_append_new(cpu, u64j(st->irq.vcpu[r->cpu0 + c]));
				json_object_set_new(j, "cpu", cpu);
				json_array_append_new(vs, j);
			}
			json_object_set_new(q, "vectors", vs);
		}
		if (st->irq_have_nest)
			json_object_set_new(q, "nest_overflow", u64j(st->irq_nest_overflow));
		if (st->irq_have_soft) {
			json_t *sf = json_object();

			for (i = 0; i < st->irq.n_soft; i++)
				json_object_set_new(sf, st->irq.soft[i].name,
						    u64j(st->irq.soft[i].count));
			json_object_set_new(q, "softirqs", sf);
		}
		if (st->irq_have_untracked)
			json_object_set_new(q, "untracked", u64j(st->irq_untracked));
		if (st->irq_have_seed) {
			json_object_set_new(q, "seed_irq", json_integer(st->irq_seed_irq));
			json_object_set_new(q, "seed_count", u64j(st->irq_seed_count));
		}
		json_object_set_new(o, "irqstat", q);
	} else {
		json_object_set_new(o, "irqstat", json_null());
	}
	json_object_set_new(o, "read_errors", json_integer(st->errors));
	if (st->errors)
		json_object_set_new(o, "last_error", json_string(st->last_error));
	if (cfg.events)
		json_object_set_new(o, "event_reader", json_pack(
			"{s:s,s:b,s:o,s:o,s:o}", "path", ev.path,
			"open", ev.fd >= 0, "lines", u64j(ev.lines),
			"malformed", u64j(ev.malformed),
			"dropped", u64j(ev.dropped)));
	return o;
}

/* ---- the event reader ---- */

static unsigned long long n_lines;	/* lines sent, of all kinds: logger.line */

static int ev_open(void)
{
	const char *why = "";
	int fd, e;

	if (cfg.events_path)
		snprintf(ev.path, sizeof(ev.path), "%s", cfg.events_path);
	else
		snprintf(ev.path, sizeof(ev.path), "%s/" EVENTS_DEV, cfg.dev_root);
	ev.buf = malloc(EV_LINE_MAX);
	if (!ev.buf) {
		fprintf(stderr, "tk-logger: out of memory\n");
		return -1;
	}
	fd = open(ev.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		ev.fd = fd;
		return 0;
	}
	e = errno;
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		why = " (tkcore is not loaded, or has no event reader)";
		break;
	case EBUSY:
		why = " (another process reads the events: the device has one reader at a time)";
		break;
	case EACCES:
	case EPERM:
		why = " (the device is root's only, mode 0400)";
		break;
	}
	fprintf(stderr, "tk-logger: --events: %s: %s%s\n", ev.path, strerror(e), why);
	return -1;
}

static void ev_close(void)
{
	if (ev.fd >= 0)
		close(ev.fd);
	ev.fd = -1;
}

/* A line that is not logged: counted (event_reader.malformed), reported. */
static void ev_malformed(const char *why, const char *p, size_t n)
{
	char show[48];
	size_t i;

	ev.malformed++;
	if (ev.malformed > EV_WARN_MAX)
		return;
	for (i = 0; i < n && i < sizeof(show) - 1; i++)
		show[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	show[i] = '\0';
	fprintf(stderr, "tk-logger: events: skipped a line of %zu bytes (%s): %s%s\n",
		n, why, show, n > i ? "..." : "");
	if (ev.malformed == EV_WARN_MAX)
		fprintf(stderr, "tk-logger: events: further bad lines only counted (event_reader.malformed)\n");
}

static int ev_reserve(size_t more)
{
	size_t cap = ev.out_cap ? ev.out_cap : 65536;
	char *nb;

	while (cap < ev.out_len + more)
		cap *= 2;
	if (cap == ev.out_cap)
		return 0;
	nb = realloc(ev.out, cap);
	if (!nb)
		return -1;
	ev.out = nb;
	ev.out_cap = cap;
	return 0;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * One line from the device (without its '\n'): checked with jansson, then
 * appended to ev.out as {"time":..,"time_ns":..,"logger":{..},"kind":"event",
 * "event":<the line as it came>}.  -1: out of memory.
 */
static int ev_line(const char *p, size_t n, const char *tbuf, uint64_t ns)
{
	json_error_t err;
	json_t *o, *t;
	char pre[256];
	int pn;

	while (n && is_ws(*p)) {
		p++;
		n--;
	}
	while (n && is_ws(p[n - 1]))
		n--;
	if (!n) {
		ev_malformed("empty", p, n);
		return 0;
	}
	if (memchr(p, '\0', n)) {
		ev_malformed("NUL byte", p, n);
		return 0;
	}
	/* integers as reals: a payload's 2^64 is valid JSON, not a bad line */
	o = json_loadb(p, n, JSON_DECODE_INT_AS_REAL, &err);
	if (!o) {
		ev_malformed(err.text, p, n);
		return 0;
	}
	t = json_object_get(o, "type");
	if (!json_is_object(o) || !json_is_string(t)) {
		json_decref(o);
		ev_malformed("not an object with a \"type\"", p, n);
		return 0;
	}
	if (!strcmp(json_string_value(t), "dropped")) {
		json_t *c = json_object_get(o, "count");

		if (json_is_number(c) && json_number_value(c) > 0)
			ev.dropped += (uint64_t)json_number_value(c);
	}
	json_decref(o);
	pn = snprintf(pre, sizeof(pre),
		      "{\"time\":\"%s\",\"time_ns\":%llu,\"logger\":{\"version\":\"%s\",\"line\":%llu},\"kind\":\"event\",\"event\":",
		      tbuf, (unsigned long long)ns, TK_VERSION, n_lines + 1);
	if (ev_reserve((size_t)pn + n + 2))
		return -1;
	memcpy(ev.out + ev.out_len, pre, (size_t)pn);
	memcpy(ev.out + ev.out_len + pn, p, n);
	ev.out_len += (size_t)pn + n;
	ev.out[ev.out_len++] = '}';
	ev.out[ev.out_len++] = '\n';
	n_lines++;
	ev.lines++;
	return 0;
}

/*
 * Up to max_reads read()s of the device, each one's lines sent as one frame.
 * 1: it may have more; 0: nothing more for now (EAGAIN; or closed at EOF or
 * on an error); -1: the writer is gone, or out of memory.
 */
static int ev_read(int max_reads)
{
	int i;

	for (i = 0; i < max_reads; i++) {
		char tbuf[64];
		uint64_t ns;
		size_t start = 0, total, rem;
		char *nl;
		ssize_t r;
		int err;

		if (ev.fd < 0)
			return 0;
		r = read(ev.fd, ev.buf + ev.len, EV_LINE_MAX - ev.len);
		if (r < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			if (errno == EAGAIN)
				return 0;
			fprintf(stderr, "tk-logger: events: read %s: %s, no more events\n",
				ev.path, strerror(errno));
			ev_close();
			return 0;
		}
		if (r == 0) {
			/* a FIFO or file: the device itself never ends */
			if (ev.len && !ev.skipping)
				ev_malformed("cut by the end of file", ev.buf, ev.len);
			ev.len = 0;
			fprintf(stderr, "tk-logger: events: %s: end of file, no more events\n",
				ev.path);
			ev_close();
			return 0;
		}
		ns = now_utc(tbuf, sizeof(tbuf));
		total = ev.len + (size_t)r;
		while ((nl = memchr(ev.buf + start, '\n', total - start))) {
			size_t n = (size_t)(nl - (ev.buf + start));

			if (ev.skipping)
				ev.skipping = 0;	/* the end of an overlong line */
			else if (ev_line(ev.buf + start, n, tbuf, ns)) {
				fprintf(stderr, "tk-logger: out of memory\n");
				return -1;
			}
			start += n + 1;
		}
		rem = total - start;
		if (rem == EV_LINE_MAX && !ev.skipping) {
			ev_malformed("longer than 64 KiB", ev.buf, rem);
			ev.skipping = 1;
		}
		if (ev.skipping)
			rem = 0;
		memmove(ev.buf, ev.buf + start, rem);
		ev.len = rem;
		if (ev.out_len) {
			err = send_frame(FR_LINE, ev.out, ev.out_len);
			ev.out_len = 0;
			if (err) {
				fprintf(stderr, "tk-logger: writer gone (%s)\n", strerror(-err));
				return -1;
			}
		}
	}
	return 1;
}

/* At exit: what the device has queued, for at most EV_DRAIN_SECS. */
static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ev_drain(void)
{
	double end = mono() + EV_DRAIN_SECS;
	int r;

	while ((r = ev_read(EV_READS)) > 0 && mono() < end)
		;
	if (!r && ev.len && ev.fd >= 0)
		ev_malformed("cut at exit", ev.buf, ev.len);
	return r < 0 ? -1 : 0;
}

/* ---- main loop ---- */

/* SIGHUP: the writer reopens the file (not stdout).  EPIPE shows later. */
static void reopen(void)
{
	if (strcmp(cfg.output, "-"))
		send_frame(FR_REOPEN, NULL, 0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tk-logger [options]\n"
		"  --output FILE     JSON lines appended here, - for stdout\n"
		"                    (env TK_LOGGER_OUTPUT, default " DEFAULT_OUTPUT ")\n"
		"  --interval SEC    fixed interval instead of log_interval, 1..3600\n"
		"                    (env TK_LOGGER_INTERVAL, default: follow log_interval)\n"
		"  --interval-ms MS  fixed interval in ms, 0 = back to back (env TK_LOGGER_INTERVAL_MS)\n"
		"  --count N         exit after N snapshot lines (env TK_LOGGER_COUNT, default 0: forever)\n"
		"  --events[=PATH]   also log every event of tkcore's event device, one line each\n"
		"                    (env TK_LOGGER_EVENTS=1 or =PATH; default DEV/" EVENTS_DEV ")\n"
		"  --sysfs-root DIR  sysfs mount (env TK_SYSFS_ROOT, default /sys)\n"
		"  --proc-root DIR   procfs mount (env TK_PROC_ROOT, default /proc)\n"
		"  --dev-root DEV    devtmpfs mount (env TK_DEV_ROOT, default /dev)\n"
		"  --kmp-scan        also read profiler/memleaks each cycle (env TK_LOGGER_KMP_SCAN=1)\n"
		"  --version, --help\n");
}

static int parse_num(const char *s, uint64_t max, uint64_t *v)
{
	return tk_parse_u64(s, v) || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "interval-ms", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "proc-root", required_argument, NULL, 'p' },
		{ "kmp-scan", no_argument, NULL, 'k' },
		{ "events", optional_argument, NULL, 'e' },
		{ "dev-root", required_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tk_state st = { 0 };
	unsigned long long snaps = 0;
	int prev_up[TK_F_NR];
	struct pollfd pfd[2];
	const char *e;
	sigset_t set;
	uint64_t v;
	int opt, f, rc = 0, sfd, stop = 0;

	if ((e = getenv("TK_LOGGER_OUTPUT")) && *e)
		cfg.output = e;
	if ((e = getenv("TK_SYSFS_ROOT")) && *e)
		cfg.roots.sys = e;
	if ((e = getenv("TK_PROC_ROOT")) && *e)
		cfg.roots.proc = e;
	if ((e = getenv("TK_DEV_ROOT")) && *e)
		cfg.dev_root = e;
	if ((e = getenv("TK_LOGGER_EVENTS")) && *e && strcmp(e, "0") &&
	    strcasecmp(e, "false")) {
		cfg.events = 1;
		if (strcmp(e, "1") && strcasecmp(e, "true"))
			cfg.events_path = e;
	}
	if ((e = getenv("TK_LOGGER_KMP_SCAN")) && (!strcmp(e, "1") || !strcasecmp(e, "true")))
		cfg.kmp_scan = 1;
	if ((e = getenv("TK_LOGGER_INTERVAL")) && *e) {
		if (parse_num(e, 3600, &v) || !v) {
			fprintf(stderr, "tk-logger: bad TK_LOGGER_INTERVAL\n");
			return 2;
		}
		cfg.interval_ms = (long long)v * 1000;
	}
	if ((e = getenv("TK_LOGGER_INTERVAL_MS")) && *e) {
		if (parse_num(e, 3600000, &v)) {
			fprintf(stderr, "tk-logger: bad TK_LOGGER_INTERVAL_MS\n");
			return 2;
		}
		cfg.interval_ms = (long long)v;
	}
	if ((e = getenv("TK_LOGGER_COUNT")) && *e) {
		if (parse_num(e, UINT64_MAX, &v)) {
			fprintf(stderr, "tk-logger: bad TK_LOGGER_COUNT\n");
			return 2;
		}
		cfg.count = v;
	}
	while ((opt = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		switch (opt) {
		case 'o': cfg.output = optarg; break;
		case 's': cfg.roots.sys = optarg; break;
		case 'p': cfg.roots.proc = optarg; break;
		case 'k': cfg.kmp_scan = 1; break;
		case 'd': cfg.dev_root = optarg; break;
		case 'e':
			if (optarg && !*optarg) {
				fprintf(stderr, "tk-logger: bad --events= (empty path)\n");
				return 2;
			}
			cfg.events = 1;
			cfg.events_path = optarg;
			break;
		case 'i':
			if (parse_num(optarg, 3600, &v) || !v) {
				fprintf(stderr, "tk-logger: bad --interval (1..3600)\n");
				return 2;
			}
			cfg.interval_ms = (long long)v * 1000;
			break;
		case 'm':
			if (parse_num(optarg, 3600000, &v)) {
				fprintf(stderr, "tk-logger: bad --interval-ms (0..3600000)\n");
				return 2;
			}
			cfg.interval_ms = (long long)v;
			break;
		case 'n':
			if (parse_num(optarg, UINT64_MAX, &v)) {
				fprintf(stderr, "tk-logger: bad --count\n");
				return 2;
			}
			cfg.count = v;
			break;
		case 'V': printf("tk-logger %s\n", TK_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the device first: a busy or missing one leaves the output untouched */
	if (cfg.events && ev_open())
		return 1;
	if (open_output() || start_writer())
		return 1;
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "tk-logger: signalfd: %s\n", strerror(errno));
		stop_writer();
		return 1;
	}
	for (f = 0; f < TK_F_NR; f++)
		prev_up[f] = -1;

	for (;;) {
		json_t *obj;
		char *s;
		size_t n;
		double interval, deadline;

		tk_collect(&st, &cfg.roots, cfg.kmp_scan ? TK_COLLECT_KMP_SCAN : 0);
		for (f = 0; f < TK_F_NR; f++) {
			if (prev_up[f] != st.up[f] && (prev_up[f] != -1 || !st.up[f]))
				fprintf(stderr, "tk-logger: %s %s\n", tk_feature_names[f],
					st.up[f] ? "present" : "absent");
			prev_up[f] = st.up[f];
		}
		obj = build(&st, ++n_lines);
		s = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
		json_decref(obj);
		if (!s) {
			fprintf(stderr, "tk-logger: out of memory\n");
			rc = 1;
			break;
		}
		n = strlen(s);
		s[n] = '\n';	/* replaces the NUL: one frame, no copy */
		if (n + 1 > MAX_LINE) {
			fprintf(stderr, "tk-logger: line of %zu bytes too long, not logged\n", n + 1);
		} else if ((rc = send_frame(FR_LINE, s, n + 1))) {
			fprintf(stderr, "tk-logger: writer gone (%s)\n", strerror(-rc));
			free(s);
			rc = 1;
			break;
		}
		free(s);
		if (cfg.count && ++snaps >= cfg.count)
			break;

		if (cfg.interval_ms >= 0)
			interval = (double)cfg.interval_ms / 1000;
		else if (st.have_log_interval && st.log_interval >= 1)
			interval = (double)st.log_interval;
		else
			interval = DEFAULT_INTERVAL;
		deadline = mono() + interval;
		/*
		 * Wait for the deadline, logging events meanwhile; the last
		 * round (or the only one, back to back) polls without waiting,
		 * so a pending signal or event is never left behind.
		 */
		for (;;) {
			double left = deadline - mono();
			struct timespec ts = { 0, 0 };
			int nfd = 1, r;

			if (left > 0) {
				ts.tv_sec = (time_t)left;
				ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
			}
			pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
			if (ev.fd >= 0)
				pfd[nfd++] = (struct pollfd){ .fd = ev.fd, .events = POLLIN };
			r = ppoll(pfd, (nfds_t)nfd, &ts, NULL);
			if (r < 0 && errno != EINTR) {
				fprintf(stderr, "tk-logger: poll: %s\n", strerror(errno));
				rc = 1;
				stop = 1;
				break;
			}
			if (r > 0 && nfd > 1 && pfd[1].revents && ev_read(EV_READS) < 0) {
				rc = 1;
				stop = 1;
				break;
			}
			if (r > 0 && pfd[0].revents) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reopen();
					else
						stop = 1;
				}
			}
			if (stop || left <= 0)
				break;
		}
		if (stop)
			break;
	}
	/* the events queued before SIGTERM or the last --count line */
	if (!rc && ev.fd >= 0 && ev_drain())
		rc = 1;
	/* SIGTERM, --count, or an error: the writer writes what it has */
	if (stop_writer())
		rc = 1;
	close(sfd);
	ev_close();
	free(ev.buf);
	free(ev.out);
	tk_state_free(&st);
	return rc;
}
