// SPDX-License-Identifier: GPL-2.0
/*
 * tkctl_top.c - `tkctl top`: a refreshing view of /proc/kmonpro.
 *
 * Interactive on a terminal (plain ANSI: home, clear to end of line and of
 * screen; no curses, so it works over a bare ssh session), plain frames
 * separated by a blank line in batch mode (-b, or stdout not a terminal),
 * one JSON object per line with --json.  The parsing and the arithmetic
 * are in kmonpro.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "kmonpro.h"
#include "tkctl.h"

#define TOP_BAR 20		/* width of a CPU bar, brackets excluded */

struct top_opts {
	unsigned int delay_ms, count;	/* count 0: until 'q' or a signal */
	bool batch, json;
};

/* One read and what `top` derives from it. */
struct top_frame {
	struct km_snap s;
	struct km_rate *net, *proc;	/* for s.nets, s.nettop */
	uint64_t t_ms;			/* CLOCK_MONOTONIC when read */
	bool valid;
};

static int top_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tkctl: top: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tkctl help top'.\n");
	return TKCTL_EUSAGE;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reading ---- */

/* The whole file in one buffer (proc files have no size). -errno on error. */
static int slurp(const char *path, char **out)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static void frame_free(struct top_frame *f)
{
	km_snap_free(&f->s);
	free(f->net);
	free(f->proc);
	memset(f, 0, sizeof(*f));
}

/*
 * Read and parse /proc/kmonpro into @f, rates against @prev (may be
 * invalid).  Returns TKCTL_OK or an exit code after saying why.
 */
static int top_read(const char *proc_root, struct top_frame *f,
		    const struct top_frame *prev, char *msg, size_t msglen)
{
	char path[4096], tel[4096], *text = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/kmonpro", proc_root);
	err = slurp(path, &text);
	if (err == -ENOENT) {
		snprintf(tel, sizeof(tel), "%s/telemetry", proc_root);
		if (!access(tel, F_OK))
			snprintf(msg, msglen, "%s not found: the tkcore loaded is too old to provide it",
				 path);
		else
			snprintf(msg, msglen, "%s not found: tkcore is not loaded (tkctl load core)",
				 path);
		return TKCTL_EFAIL;
	}
	if (err) {
		snprintf(msg, msglen, "%s: %s", path, strerror(-err));
		return TKCTL_EFAIL;
	}
	memset(f, 0, sizeof(*f));
	f->t_ms = now_ms();
	err = km_parse(text, &f->s);
	free(text);
	if (err == -EINVAL) {
		snprintf(msg, msglen, "%s: no valid 'kmonpro' header line: not the layout tkctl top reads",
			 path);
		frame_free(f);
		return TKCTL_EFAIL;
	}
	f->net = calloc(f->s.nnets + 1, sizeof(*f->net));
	f->proc = calloc(f->s.nnettop + 1, sizeof(*f->proc));
	if (err || !f->net || !f->proc) {
		snprintf(msg, msglen, "out of memory");
		frame_free(f);
		return TKCTL_EFAIL;
	}
	km_net_rates(prev->valid ? &prev->s : NULL, prev->net, &f->s,
		     prev->valid ? f->t_ms - prev->t_ms : 0, f->net);
	km_proc_rates(prev->valid ? &prev->s : NULL, prev->proc, &f->s,
		      prev->valid ? f->t_ms - prev->t_ms : 0, f->proc);
	f->valid = true;
	return TKCTL_OK;
}

/* ---- text frames ---- */

struct screen {
	FILE *out;
	int width;		/* layout width */
	int maxcols;		/* truncate lines to this; 0: never */
	int maxlines;		/* stop after this many; 0: no limit */
	int lines;
	bool tty;		/* clear each line's rest; no newline after the last */
};

static void __attribute__((format(printf, 2, 3))) put(struct screen *sc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (sc->maxlines && sc->lines >= sc->maxlines)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	km_sanitize(buf);	/* nothing of the kernel's reaches the terminal raw */
	n = strlen(buf);
	if (sc->maxcols && n > sc->maxcols)
		n = sc->maxcols;
	if (sc->tty)
		fprintf(sc->out, "%s%.*s\033[K", sc->lines ? "\n" : "", n, buf);
	else
		fprintf(sc->out, "%.*s\n", n, buf);
	sc->lines++;
}

/* A blank line between tables on a terminal; in batch mode blank lines only
 * separate frames (each frame is one paragraph: awk -v RS= reads frames). */
static void gap(struct screen *sc)
{
	if (sc->tty)
		put(sc, "%s", "");
}

static const char *pct(uint32_t tenths, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", tenths / 10, tenths % 10);
	return buf;
}

static const char *bar(uint32_t tenths, char *buf)
{
	int fill = (tenths * TOP_BAR + 500) / 1000, i;

	if (fill > TOP_BAR)
		fill = TOP_BAR;
	buf[0] = '[';
	for (i = 0; i < TOP_BAR; i++)
		buf[i + 1] = i < fill ? '|' : ' ';
	buf[TOP_BAR + 1] = ']';
	buf[TOP_BAR + 2] = '\0';
	return buf;
}

static const char *rate(const struct km_rate *r, uint64_t v, char *buf, size_t len)
{
	if (!r->valid) {
		snprintf(buf, len, "-");
		return buf;
	}
	km_fmt_bytes(v, buf, len - 2);
	strcat(buf, "/s");
	return buf;
}

static const char *bytes(uint64_t v, bool on, char *buf, size_t len)
{
	if (!on) {
		snprintf(buf, len, "-");
		return buf;
	}
	return km_fmt_bytes(v, buf, len);
}

/*
 * Rows for the tables when the screen has fewer lines than the frame: one
 * more row to each table in turn, in order of importance, a table's first
 * row costing its blank line and headings too, until the lines left are
 * used.  A table given no row is left out.  Without a line limit every
 * table gets all its rows.
 */
static void budget(const struct screen *sc, int fixed, const int *want,
		   const int *cost, int *give, int n)
{
	int left = sc->maxlines - fixed, k, c, more = 1;

	for (k = 0; k < n; k++)
		give[k] = sc->maxlines ? 0 : want[k];
	while (sc->maxlines && more) {
		more = 0;
		for (k = 0; k < n; k++) {
			c = give[k] ? 1 : cost[k] + 1;
			if (give[k] < want[k] && c <= left) {
				give[k]++;
				left -= c;
				more = 1;
			}
		}
	}
}

enum { T_TOP, T_CPUS, T_NETTOP, T_NET, T_N };

static void render(struct screen *sc, const struct top_frame *f,
		   const struct top_opts *o)
{
	const struct km_snap *s = &f->s;
	char a[32], b[32], c[32], d[32], e[32], g[32], cell[512], row[1024];
	int cellw, per_line, k, fixed, want[T_N], give[T_N];
	/* lines above a table's rows: blank, title, column heads */
	const int cost[T_N] = { [T_TOP] = 3, [T_CPUS] = 0, [T_NETTOP] = 3, [T_NET] = 2 };
	size_t i, rows;

	cellw = 6 + TOP_BAR + 2 + 7;
	per_line = (sc->width + 2) / (cellw + 2);
	if (per_line < 1)
		per_line = 1;
	fixed = 1 + s->have_tasks + s->have_mem + !!s->skipped +
		(s->have_cpu_all || !s->interval_ms);
	want[T_TOP] = s->ntop ? s->ntop : 1;
	want[T_CPUS] = (s->ncpus + per_line - 1) / per_line;
	want[T_NETTOP] = s->procnet ? (s->nnettop ? s->nnettop : 1) : 0;
	want[T_NET] = s->nnets;
	budget(sc, fixed, want, cost, give, T_N);

	put(sc, "up %s, sample %" PRIu64 " over %s s%s, refresh %u.%u s, procnet %s, tkcore %s",
	    km_fmt_uptime(s->uptime_ms, a, sizeof(a)), s->seq,
	    pct(s->interval_ms / 100, b, sizeof(b)),
	    s->since_boot ? " since boot" : "", o->delay_ms / 1000,
	    o->delay_ms % 1000 / 100, s->procnet ? "on" : "off", s->version);
	if (s->have_tasks)
		put(sc, "Tasks: %" PRIu64 " processes, %" PRIu64 " threads, %" PRIu64 " running",
		    s->procs, s->threads, s->running);
	if (s->have_mem)
		put(sc, "Mem: %s total, %s free, %s avail, %s buff, %s cache, %s swap free",
		    km_fmt_bytes(s->mem_total_kb * 1024, a, sizeof(a)),
		    km_fmt_bytes(s->mem_free_kb * 1024, b, sizeof(b)),
		    km_fmt_bytes(s->mem_avail_kb * 1024, c, sizeof(c)),
		    km_fmt_bytes(s->mem_buffers_kb * 1024, d, sizeof(d)),
		    km_fmt_bytes(s->mem_cached_kb * 1024, e, sizeof(e)),
		    km_fmt_bytes(s->swap_free_kb * 1024, g, sizeof(g)));
	if (s->skipped)
		put(sc, "warning: %u malformed line(s) of kmonpro skipped, the first at line %u",
		    s->skipped, s->first_bad_line);

	/* CPUs: the total with its breakdown, then bars, as many per line as fit */
	if (s->have_cpu_all) {
		const struct km_cpu *x = &s->cpu_all;
		char p[8][16];

		put(sc, "CPU %5s%% busy: us %s sy %s ni %s hi %s si %s wa %s id %s",
		    pct(x->busy, p[0], 16), pct(x->user, p[1], 16), pct(x->system, p[2], 16),
		    pct(x->nice, p[3], 16), pct(x->irq, p[4], 16), pct(x->softirq, p[5], 16),
		    pct(x->iowait, p[6], 16), pct(x->idle, p[7], 16));
	} else if (!s->interval_ms) {
		put(sc, "CPU  (waiting for tkcore's second sample)");
	}
	row[0] = '\0';
	rows = 0;
	for (i = 0, k = 0; i < s->ncpus && rows < (size_t)give[T_CPUS]; i++) {
		snprintf(cell, sizeof(cell), "%-5s %s %5s%%", s->cpus[i].name,
			 bar(s->cpus[i].busy, b), pct(s->cpus[i].busy, a, sizeof(a)));
		if (strlen(row) + strlen(cell) + cellw + 3 < sizeof(row))
			snprintf(row + strlen(row), sizeof(row) - strlen(row), "%s%-*s",
				 k ? "  " : "", k + 1 < per_line && i + 1 < s->ncpus ? cellw : 0,
				 cell);
		if (++k == per_line || i + 1 == s->ncpus) {
			put(sc, "%s", row);
			row[0] = '\0';
			k = 0;
			rows++;
		}
	}

	/* Processes by CPU over tkcore's interval */
	if (give[T_TOP]) {
		gap(sc);
		put(sc, "Processes by CPU over tkcore's last interval:");
		put(sc, "%7s %6s %9s %9s %9s  %s", "PID", "CPU%", "RSS", "TX", "RX", "COMM");
	}
	for (i = 0; i < s->ntop && i < (size_t)give[T_TOP]; i++) {
		const struct km_proc *p = &s->top[i];

		put(sc, "%7" PRIu64 " %6s %9s %9s %9s  %s", p->pid, pct(p->cpu_pct, a, sizeof(a)),
		    km_fmt_bytes(p->rss_kb * 1024, b, sizeof(b)),
		    bytes(p->tx_bytes, s->procnet && !p->net_hidden, c, sizeof(c)),
		    bytes(p->rx_bytes, s->procnet && !p->net_hidden, d, sizeof(d)), p->comm);
	}
	if (!s->ntop && give[T_TOP])
		put(sc, "%s", s->interval_ms ? "(no process used CPU over the interval)" :
		    "(waiting for tkcore's second sample)");

	/* Processes by socket bytes, while tkcore counts them */
	if (give[T_NETTOP]) {
		gap(sc);
		put(sc, "Processes by socket bytes since procnet was switched on:");
		put(sc, "%7s %9s %9s %11s %11s  %s", "PID", "TX", "RX", "TX/s", "RX/s", "COMM");
		for (i = 0; i < s->nnettop && i < (size_t)give[T_NETTOP]; i++) {
			const struct km_proc *p = &s->nettop[i];
			const struct km_rate *r = &f->proc[i];

			put(sc, "%7" PRIu64 " %9s %9s %11s %11s  %s", p->pid,
			    km_fmt_bytes(p->tx_bytes, a, sizeof(a)),
			    km_fmt_bytes(p->rx_bytes, b, sizeof(b)),
			    rate(r, r->tx_bps, c, sizeof(c)), rate(r, r->rx_bps, d, sizeof(d)),
			    p->comm);
		}
		if (!s->nnettop)
			put(sc, "%s", "(no socket traffic counted yet)");
	}

	/* Interfaces: rates between this read and the one before */
	if (!give[T_NET])
		return;
	gap(sc);
	put(sc, "%-12s %11s %11s %9s %9s %9s %9s", "IFACE", "RX/s", "TX/s", "RX pkt/s",
	    "TX pkt/s", "RX total", "TX total");
	for (i = 0; i < s->nnets && i < (size_t)give[T_NET]; i++) {
		const struct km_net *n = &s->nets[i];
		const struct km_rate *r = &f->net[i];
		char rp[24] = "-", tp[24] = "-";

		if (r->valid) {
			snprintf(rp, sizeof(rp), "%" PRIu64, r->rx_pps);
			snprintf(tp, sizeof(tp), "%" PRIu64, r->tx_pps);
		}
		put(sc, "%-12s %11s %11s %9s %9s %9s %9s", n->name,
		    rate(r, r->rx_bps, a, sizeof(a)), rate(r, r->tx_bps, b, sizeof(b)),
		    rp, tp, km_fmt_bytes(n->rx_bytes, c, sizeof(c)),
		    km_fmt_bytes(n->tx_bytes, d, sizeof(d)));
	}
}

/* ---- JSON ---- */

/* A string as read if it is valid UTF-8, else with the odd bytes as '?'. */
static json_t *jstr(const char *str)
{
	json_t *j = json_string(str);
	char tmp[128];

	if (j)
		return j;
	snprintf(tmp, sizeof(tmp), "%s", str);
	km_sanitize(tmp);
	return json_string(tmp);
}

static json_t *jcpu(const struct km_cpu *c)
{
	return json_pack("{s:o,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "name", jstr(c->name),
			 "user_pct", c->user / 10.0, "nice_pct", c->nice / 10.0,
			 "system_pct", c->system / 10.0, "irq_pct", c->irq / 10.0,
			 "softirq_pct", c->softirq / 10.0, "iowait_pct", c->iowait / 10.0,
			 "idle_pct", c->idle / 10.0, "busy_pct", c->busy / 10.0);
}

static json_t *jrate(const struct km_rate *r, uint64_t v)
{
	return r->valid ? json_integer((json_int_t)v) : json_null();
}

static void emit_json(const struct top_frame *f)
{
	const struct km_snap *s = &f->s;
	json_t *o, *arr;
	size_t i;

	o = json_pack("{s:o,s:I,s:I,s:I,s:b,s:b,s:i}", "version", jstr(s->version),
		      "seq", (json_int_t)s->seq, "uptime_ms", (json_int_t)s->uptime_ms,
		      "interval_ms", (json_int_t)s->interval_ms, "procnet", s->procnet,
		      "since_boot", s->since_boot, "skipped_lines", (int)s->skipped);
	json_object_set_new(o, "cpu", s->have_cpu_all ? jcpu(&s->cpu_all) : json_null());
	arr = json_array();
	for (i = 0; i < s->ncpus; i++)
		json_array_append_new(arr, jcpu(&s->cpus[i]));
	json_object_set_new(o, "cpus", arr);
	json_object_set_new(o, "mem", !s->have_mem ? json_null() :
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
			  "total_kb", (json_int_t)s->mem_total_kb, "free_kb", (json_int_t)s->mem_free_kb,
			  "avail_kb", (json_int_t)s->mem_avail_kb,
			  "buffers_kb", (json_int_t)s->mem_buffers_kb,
			  "cached_kb", (json_int_t)s->mem_cached_kb,
			  "swap_free_kb", (json_int_t)s->swap_free_kb));
	json_object_set_new(o, "tasks", !s->have_tasks ? json_null() :
		json_pack("{s:I,s:I,s:I}", "procs", (json_int_t)s->procs,
			  "threads", (json_int_t)s->threads, "running", (json_int_t)s->running));
	arr = json_array();
	for (i = 0; i < s->nnets; i++) {
		const struct km_net *n = &s->nets[i];
		const struct km_rate *r = &f->net[i];

		json_array_append_new(arr, json_pack("{s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
			"name", jstr(n->name), "rx_bytes", (json_int_t)n->rx_bytes,
			"rx_packets", (json_int_t)n->rx_packets, "tx_bytes", (json_int_t)n->tx_bytes,
			"tx_packets", (json_int_t)n->tx_packets,
			"rx_bytes_per_s", jrate(r, r->rx_bps), "tx_bytes_per_s", jrate(r, r->tx_bps),
			"rx_packets_per_s", jrate(r, r->rx_pps),
			"tx_packets_per_s", jrate(r, r->tx_pps)));
	}
	json_object_set_new(o, "net", arr);
	arr = json_array();
	for (i = 0; i < s->ntop; i++) {
		const struct km_proc *p = &s->top[i];

		/* bytes the reader may not see: null */
		json_array_append_new(arr, json_pack("{s:I,s:o,s:f,s:I,s:o,s:o}",
			"pid", (json_int_t)p->pid, "comm", jstr(p->comm),
			"cpu_pct", p->cpu_pct / 10.0, "rss_kb", (json_int_t)p->rss_kb,
			"tx_bytes", p->net_hidden ? json_null() : json_integer((json_int_t)p->tx_bytes),
			"rx_bytes", p->net_hidden ? json_null() : json_integer((json_int_t)p->rx_bytes)));
	}
	json_object_set_new(o, "top", arr);
	arr = json_array();
	for (i = 0; i < s->nnettop; i++) {
		const struct km_proc *p = &s->nettop[i];
		const struct km_rate *r = &f->proc[i];

		json_array_append_new(arr, json_pack("{s:I,s:o,s:I,s:I,s:o,s:o}",
			"pid", (json_int_t)p->pid, "comm", jstr(p->comm),
			"tx_bytes", (json_int_t)p->tx_bytes, "rx_bytes", (json_int_t)p->rx_bytes,
			"tx_bytes_per_s", jrate(r, r->tx_bps), "rx_bytes_per_s", jrate(r, r->rx_bps)));
	}
	json_object_set_new(o, "nettop", arr);
	json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	putchar('\n');
	fflush(stdout);
	json_decref(o);
}

/* ---- the terminal ---- */

/*
 * The signals that end or suspend the view (and SIGWINCH) stay blocked
 * from before the terminal is touched until it is restored: they are only
 * taken inside ppoll() in wait_keys(), where the handler just notes them,
 * and the main loop restores the terminal before dying of the signal.  So
 * no signal can find the terminal raw with the original settings not yet
 * saved, or the handlers not yet installed.
 */
static struct termios saved_tio;
static bool tio_raw;
static volatile sig_atomic_t got_sig, got_winch, got_tstp;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else if (sig == SIGTSTP)
		got_tstp = 1;
	else
		got_sig = sig;
}

static int tio_set(const struct termios *t)
{
	int r;

	/*
	 * TCSANOW: TCSADRAIN and TCSAFLUSH first wait for the output to drain,
	 * which does not end while the output is stopped (^S, a serial line's
	 * flow control) and fails with EINTR on a signal; TCSAFLUSH also
	 * throws away what was typed ahead (a 'q' typed while tkctl starts
	 * was lost, and the view never quit; the next command typed before
	 * quitting).  Output already queued is sent the same way in both
	 * modes: only ICANON and ECHO differ.
	 */
	do
		r = tcsetattr(STDIN_FILENO, TCSANOW, t);
	while (r && errno == EINTR);
	return r;
}

/* Keys one at a time, no echo; ^C and ^Z still signal. */
static void term_enter(void)
{
	struct termios t;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		t = saved_tio;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (!tio_set(&t))
			tio_raw = true;
	}
	fputs("\033[?25l\033[H\033[2J", stdout);	/* hide the cursor, clear */
	fflush(stdout);
}

/*
 * The terminal's settings first: writing may block (output stopped with
 * ^S, a terminal nobody reads) or fail, and must not keep the terminal
 * raw.  The last frame stays on screen, the prompt comes below it.
 */
static void term_leave(void)
{
	if (tio_raw)
		tio_set(&saved_tio);
	tio_raw = false;
	fputs("\033[?25h\n", stdout);
	fflush(stdout);
}

static void term_size(int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static void draw(const struct top_frame *f, const struct top_opts *o)
{
	struct screen sc = { .tty = true };
	char *buf = NULL;
	size_t len = 0;

	term_size(&sc.width, &sc.maxlines);
	sc.maxcols = sc.width;
	/* the whole frame in one write: no flicker over slow links */
	sc.out = open_memstream(&buf, &len);
	if (!sc.out)
		return;
	fputs("\033[H", sc.out);
	render(&sc, f, o);
	fputs("\033[J", sc.out);
	fclose(sc.out);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
}

/*
 * Wait until @deadline (ms, CLOCK_MONOTONIC) in interactive mode: keys,
 * resizes, ^Z.  The signals are blocked outside ppoll, so none is missed.
 * Returns 1 to go on, 0 when 'q' or a signal asked to quit.
 */
static int wait_keys(uint64_t deadline, const struct top_frame *f,
		     const struct top_opts *o, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec ts;
	uint64_t now;
	char ch;
	int r;

	for (;;) {
		if (got_sig)
			return 0;
		if (got_tstp) {
			struct sigaction dfl = { .sa_handler = SIG_DFL };
			struct sigaction ours = { .sa_handler = on_signal };
			sigset_t m;

			got_tstp = 0;
			term_leave();
			sigaction(SIGTSTP, &dfl, NULL);
			sigemptyset(&m);
			sigaddset(&m, SIGTSTP);
			raise(SIGTSTP);		/* pending until unblocked */
			sigprocmask(SIG_UNBLOCK, &m, NULL);
			/* stopped here; continued with SIGCONT */
			sigprocmask(SIG_BLOCK, &m, NULL);
			sigaction(SIGTSTP, &ours, NULL);
			term_enter();
			got_winch = 1;
		}
		if (got_winch) {
			got_winch = 0;
			draw(f, o);
		}
		now = now_ms();
		if (now >= deadline)
			return 1;
		ts.tv_sec = (deadline - now) / 1000;
		ts.tv_nsec = (deadline - now) % 1000 * 1000000;
		r = ppoll(&pfd, tio_raw ? 1 : 0, &ts, waitmask);
		if (r > 0) {
			if (read(STDIN_FILENO, &ch, 1) != 1) {
				pfd.fd = -1;	/* stdin closed: no more keys */
				continue;
			}
			if (ch == 'q' || ch == 'Q')
				return 0;
			if (ch == ' ')
				return 1;	/* refresh now */
		}
	}
}

/* ---- the command ---- */

static int parse_opts(int argc, char **argv, struct top_opts *o)
{
	const char *v;
	bool delay;
	int a;

	o->delay_ms = 2000;
	for (a = 0; a < argc; a++) {
		const char *arg = argv[a];

		if (!strcmp(arg, "-b") || !strcmp(arg, "--batch")) {
			o->batch = true;
			continue;
		}
		if (!strcmp(arg, "-d") || !strcmp(arg, "-n") ||
		    !strcmp(arg, "--delay") || !strcmp(arg, "--iterations")) {
			if (a + 1 == argc)
				return top_usage("%s needs a value", arg);
			v = argv[++a];
		} else if (!strncmp(arg, "-d", 2) || !strncmp(arg, "-n", 2)) {
			v = arg + 2;
		} else if (!strncmp(arg, "--delay=", 8) || !strncmp(arg, "--iterations=", 13)) {
			v = strchr(arg, '=') + 1;
		} else {
			return top_usage("unknown argument '%s'", arg);
		}
		delay = arg[1] == 'd' || !strncmp(arg, "--delay", 7);
		if (delay) {
			if (km_parse_interval(v, &o->delay_ms))
				return top_usage("bad interval '%s' (seconds, 0.1 to 86400, at most 3 decimals)", v);
		} else if (km_parse_count(v, &o->count)) {
			return top_usage("bad number of iterations '%s' (a whole number, at least 1)", v);
		}
	}
	return TKCTL_OK;
}

int cmd_top(int argc, char **argv, const char *proc_root, bool json)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP };
	struct top_frame fr[2] = { 0 };
	struct top_opts o = { .json = json };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	bool interactive;
	char msg[8192];
	uint64_t next;
	unsigned int i;
	int ret, cur = 0;
	size_t k;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret;
	interactive = !o.json && !o.batch && isatty(STDOUT_FILENO);
	/* Say what is wrong before touching the terminal. */
	ret = top_read(proc_root, &fr[0], &fr[1], msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "tkctl: %s\n", msg);
		return ret;
	}
	if (interactive) {
		/* blocked first: none is taken before the terminal is restorable */
		sigemptyset(&block);
		for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			sigaddset(&block, sigs[k]);
		sigprocmask(SIG_BLOCK, &block, &waitmask);
		sa.sa_mask = block;
		for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			sigaction(sigs[k], &sa, NULL);
		term_enter();
	}
	next = now_ms();
	for (i = 0;; i++) {
		struct top_frame *f = &fr[cur];

		if (i) {
			frame_free(&fr[cur]);
			ret = top_read(proc_root, f, &fr[!cur], msg, sizeof(msg));
			if (ret)
				break;
		}
		if (o.json) {
			emit_json(f);
		} else if (interactive) {
			draw(f, &o);
		} else {
			struct screen sc = { .out = stdout, .width = 80 };

			if (i)
				putchar('\n');
			render(&sc, f, &o);
			fflush(stdout);
		}
		if (o.count && i + 1 == o.count)
			break;
		next += o.delay_ms;
		if (interactive) {
			if (!wait_keys(next, f, &o, &waitmask))
				break;
		} else {
			uint64_t now = now_ms();

			if (next > now) {
				struct timespec ts = { (next - now) / 1000,
						       (next - now) % 1000 * 1000000 };

				while (nanosleep(&ts, &ts) && errno == EINTR)
					;
			}
		}
		if (now_ms() > next + o.delay_ms)
			next = now_ms();	/* fell behind (stopped): no burst */
		cur = !cur;
	}
	if (interactive) {
		term_leave();
		if (got_sig) {
			struct sigaction dfl = { .sa_handler = SIG_DFL };
			sigset_t m;

			frame_free(&fr[0]);
			frame_free(&fr[1]);
			/* die of the signal, as the caller expects */
			sigaction(got_sig, &dfl, NULL);
			sigemptyset(&m);
			sigaddset(&m, got_sig);
			raise(got_sig);		/* pending until unblocked */
			sigprocmask(SIG_UNBLOCK, &m, NULL);
		}
	}
	frame_free(&fr[0]);
	frame_free(&fr[1]);
	if (ret)	/* after the terminal is back to normal */
		fprintf(stderr, "tkctl: %s\n", msg);
	return ret;
}
