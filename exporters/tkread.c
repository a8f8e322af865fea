// SPDX-License-Identifier: GPL-2.0
/* tkread: the kit's proc/sysfs files, read and parsed (see tkread.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tkread.h"

const char *const tk_feature_names[TK_F_NR] = {
	"tkcore", "krp", "kmp", "leaksim", "irqstat",
};

/* ---- buffers ---- */

int tk_buf_reserve(struct tk_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int tk_buf_put(struct tk_buf *b, const char *s, size_t n)
{
	if (tk_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int tk_buf_puts(struct tk_buf *b, const char *s)
{
	return tk_buf_put(b, s, strlen(s));
}

int tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tk_buf_reserve(b, 256))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		if (tk_buf_reserve(b, (size_t)n))
			return -ENOMEM;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

void tk_buf_free(struct tk_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- files ---- */

int tk_errno_absent(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ENXIO ||
	       err == -ENOTDIR;
}

int tk_read_file(const char *path, struct tk_buf *b)
{
	int fd, err = 0;
	ssize_t r;

	b->len = 0;
	if (tk_buf_reserve(b, 4096))
		return -ENOMEM;
	b->p[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (b->cap - b->len < 4096 + 1 && tk_buf_reserve(b, 4096)) {
			err = -ENOMEM;
			break;
		}
		r = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		if (b->len > TK_READ_MAX) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	b->p[b->len] = '\0';
	if (err)
		b->len = 0, b->p[0] = '\0';
	return err;
}

/* ---- syntax ---- */

int tk_parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*v = x;
	return 0;
}

static int digits(const char *s, size_t *n)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	*n = i;
	return i > 0 && i <= 20;
}

int tk_valid_decimal(const char *s)
{
	size_t n, m;

	if (!digits(s, &n))
		return 0;
	if (s[n] == '\0')
		return 1;
	if (s[n] != '.' || !digits(s + n + 1, &m))
		return 0;
	return s[n + 1 + m] == '\0';
}

int tk_valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return i > 0 && i < TK_NAME_MAX;
}

int tk_valid_key(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return i > 0 && i < 64;
}

/* ---- /proc/telemetry ---- */

static void parse_header(char *line, struct tk_snap *s)
{
	char *save = NULL, *tok;
	int i = 0;

	s->have_header = 1;
	s->version[0] = '\0';
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save), i++) {
		char *eq = strchr(tok, '=');
		uint64_t v;

		if (i == 2 && !eq) {
			if (strlen(tok) < sizeof(s->version) &&
			    tk_valid_name(tok))
				strcpy(s->version, tok);
			continue;
		}
		if (!eq)
			continue;
		*eq = '\0';
		if (tk_parse_u64(eq + 1, &v))
			continue;
		if (!strcmp(tok, "ring_size"))
			s->ring_size = v;
		else if (!strcmp(tok, "log_interval"))
			s->log_interval = v;
		else if (!strcmp(tok, "enable"))
			s->enable = v;
	}
}

const char *tk_snap_get(const struct tk_snap *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].key, key))
			return s->kv[i].val;
	return NULL;
}

int tk_parse_telemetry(char *text, size_t len, struct tk_snap *s)
{
	char *p = text, *end = text + len, *last = NULL, *save = NULL, *tok;

	s->have_header = s->have_snap = 0;
	s->version[0] = '\0';
	s->ring_size = s->log_interval = s->enable = 0;
	s->n = 0;
	s->bad = 0;
	/* Header lines start with '#'; the newest snapshot is the last
	 * non-empty other line.
	 */
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;

		*le = '\0';
		if (*p == '#') {
			if (!strncmp(p, "# tkcore ", 9))
				parse_header(p, s);
		} else if (*p) {
			last = p;
		}
		p = le + 1;
	}
	if (!last)
		return 0;
	s->have_snap = 1;
	for (tok = strtok_r(last, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			s->bad++;
			continue;
		}
		*eq = '\0';
		if (!tk_valid_key(tok) || !tk_valid_decimal(eq + 1) ||
		    tk_snap_get(s, tok)) {
			s->bad++;
			continue;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct tk_kv *kv = realloc(s->kv, cap * sizeof(*kv));

			if (!kv)
				return -ENOMEM;
			s->kv = kv;
			s->cap = cap;
		}
		s->kv[s->n].key = tok;
		s->kv[s->n].val = eq + 1;
		s->n++;
	}
	return 0;
}

void tk_snap_free(struct tk_snap *s)
{
	free(s->kv);
	s->kv = NULL;
	s->n = s->cap = 0;
}

/* ---- krp ---- */

static struct tk_krp_fn *krp_new(struct tk_krp *k)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct tk_krp_fn *fn = realloc(k->fn, cap * sizeof(*fn));

		if (!fn)
			return NULL;
		k->fn = fn;
		k->cap = cap;
	}
	memset(&k->fn[k->n], 0, sizeof(k->fn[0]));
	return &k->fn[k->n];
}

static int krp_dup(const struct tk_krp *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->fn[i].name, name))
			return 1;
	return 0;
}

static int parse_hist(char *v, uint64_t *h)
{
	char *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(v, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (i >= TK_KRP_BUCKETS || tk_parse_u64(tok, &h[i]))
			return -EINVAL;
		i++;
	}
	return i == TK_KRP_BUCKETS ? 0 : -EINVAL;
}

uint64_t tk_krp_fine_lo(unsigned int b)
{
	unsigned int s = b < 64 ? 0 : b / 32 - 1;

	return (uint64_t)(b - 32 * s) << s;
}

uint64_t tk_krp_qedge_ns(unsigned int j)
{
	return (uint64_t)(4 + j % 4) << (j / 4 + 4);
}

/* The qhist slot of a duration @ns (see TK_KRP_QEDGES). */
static unsigned int krp_qslot(uint64_t ns)
{
	unsigned int k = 0;

	if (ns < 64)
		return 0;
	while (ns >> (k + 1))
		k++;
	if (k > 35)
		return TK_KRP_QEDGES;
	return 4 * (k - 6) + ((ns >> (k - 2)) & 3) + 1;
}

/*
 * hist2=: "b:count" pairs, b ascending, only non-zero counts; empty when
 * nothing was counted.  Folded into the fixed edges of @f->qhist.
 */
static int parse_hist2(char *v, struct tk_krp_fn *f)
{
	char *save = NULL, *tok, *colon;
	uint64_t b, c;
	long prev = -1;

	for (tok = strtok_r(v, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strchr(tok, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		if (tk_parse_u64(tok, &b) || tk_parse_u64(colon + 1, &c) ||
		    b >= TK_KRP_FINE || (long)b <= prev)
			return -EINVAL;
		prev = (long)b;
		f->qhist[krp_qslot(tk_krp_fine_lo((unsigned int)b))] += c;
	}
	return 0;
}

/*
 * Hand each line of @text but empty ones and '#' comments to @one: a line
 * it takes (0) is counted in *@n, one it refuses in *@bad; -ENOMEM ends the
 * parse.  @one stores a taken line at index *@n.
 */
static int each_line(char *text, int (*one)(char *line, void *ctx),
		     void *ctx, size_t *n, unsigned int *bad)
{
	char *line, *save = NULL;
	int r;

	*n = 0;
	*bad = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		r = one(line, ctx);
		if (r == -ENOMEM)
			return r;
		if (r)
			(*bad)++;
		else
			(*n)++;
	}
	return 0;
}

/* One stats_ext line; 0 if it became k->fn[k->n] (each_line()'s @one). */
static int krp_ext_line(char *line, void *ctx)
{
	struct tk_krp *k = ctx;
	char *save = NULL, *tok;
	struct tk_krp_fn *f;
	int have_count = 0, have_hist = 0;

	tok = strtok_r(line, " \t", &save);
	if (!tok || !tk_valid_name(tok) || krp_dup(k, tok))
		return -EINVAL;
	f = krp_new(k);
	if (!f)
		return -ENOMEM;
	strcpy(f->name, tok);
	f->ext = 1;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '='), *v;
		uint64_t *dst = NULL;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(tok, "target") || !strcmp(tok, "mech")) {
			char *d = tok[0] == 't' ? f->target : f->mech;
			size_t max = tok[0] == 't' ? sizeof(f->target) :
						       sizeof(f->mech);

			if (strlen(v) >= max || !*v)
				return -EINVAL;
			strcpy(d, v);
			continue;
		}
		if (!strcmp(tok, "hist")) {
			if (parse_hist(v, f->hist))
				return -EINVAL;
			have_hist = 1;
			continue;
		}
		if (!strcmp(tok, "hist2")) {
			if (parse_hist2(v, f))
				return -EINVAL;
			f->fine = 1;
			continue;
		}
		if (!strcmp(tok, "count"))
			dst = &f->count, have_count = 1;
		else if (!strcmp(tok, "total_ns"))
			dst = &f->total_ns;
		else if (!strcmp(tok, "min_ns"))
			dst = &f->min_ns;
		else if (!strcmp(tok, "max_ns"))
			dst = &f->max_ns;
		else if (!strcmp(tok, "missed"))
			dst = &f->missed;
		else if (!strcmp(tok, "p50_ns"))
			dst = &f->p50_ns;
		else if (!strcmp(tok, "p90_ns"))
			dst = &f->p90_ns;
		else if (!strcmp(tok, "p99_ns"))
			dst = &f->p99_ns;
		else if (!strcmp(tok, "p999_ns"))
			dst = &f->p999_ns;
		if (!dst)	/* a key added later: ignored */
			continue;
		if (tk_parse_u64(v, dst))
			return -EINVAL;
	}
	if (!have_count || !have_hist)
		return -EINVAL;
	f->avg_ns = f->count ? f->total_ns / f->count : 0;
	return 0;
}

int tk_parse_krp_ext(char *text, struct tk_krp *k)
{
	return each_line(text, krp_ext_line, k, &k->n, &k->bad);
}

int tk_parse_krp_stats(char *text, struct tk_krp *k)
{
	char *line, *save = NULL;

	k->n = 0;
	k->bad = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1, *c2;
		struct tk_krp_fn *f;
		uint64_t avg, cnt;

		if (!*line)
			continue;
		c2 = strrchr(line, ':');
		if (!c2 || c2 == line)
			goto bad;
		*c2 = '\0';
		c1 = strrchr(line, ':');
		if (!c1)
			goto bad;
		*c1 = '\0';
		if (!tk_valid_name(line) || krp_dup(k, line) ||
		    tk_parse_u64(c1 + 1, &avg) || tk_parse_u64(c2 + 1, &cnt))
			goto bad;
		f = krp_new(k);
		if (!f)
			return -ENOMEM;
		strcpy(f->name, line);
		f->avg_ns = avg;
		f->count = cnt;
		k->n++;
		continue;
bad:
		k->bad++;
	}
	return 0;
}

void tk_krp_free(struct tk_krp *k)
{
	free(k->fn);
	k->fn = NULL;
	k->n = k->cap = 0;
}

/* ---- irqstat ---- */

int tk_valid_irq_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return i > 0 && i < TK_IRQ_NAME_MAX;
}

/* "cpu<digits>=": the CPU number, or -1 for another key. */
static long cpu_count_key(const char *k)
{
	long n = 0;
	size_t i = 3;

	if (strncmp(k, "cpu", 3) || k[3] < '0' || k[3] > '9')
		return -1;
	for (; k[i] >= '0' && k[i] <= '9'; i++) {
		if (n > 100000)
			return -1;
		n = n * 10 + (k[i] - '0');
	}
	return k[i] ? -1 : n;
}

static int irq_dup(const struct tk_irqstat *q, unsigned int irq)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->line[i].irq == irq)
			return 1;
	return 0;
}

static int irq_put_cpu(struct tk_irqstat *q, uint64_t v)
{
	if (q->ncpu_used == q->ncpu_cap) {
		size_t cap = q->ncpu_cap ? q->ncpu_cap * 2 : 64;
		uint64_t *c = realloc(q->cpu, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		q->cpu = c;
		q->ncpu_cap = cap;
	}
	q->cpu[q->ncpu_used++] = v;
	return 0;
}

/* One irqs line into q->line[q->n]; 0 if it is whole and valid. */
static int irqs_line(char *line, struct tk_irqstat *q)
{
	char *save = NULL, *tok;
	struct tk_irq_line *l;
	unsigned int seen = 0;
	uint64_t v;
	long cpu;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 32;
		struct tk_irq_line *nl = realloc(q->line, cap * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		q->line = nl;
		q->cap = cap;
	}
	l = &q->line[q->n];
	memset(l, 0, sizeof(*l));
	l->cpu0 = q->ncpu_used;
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t *dst = NULL;
		unsigned int bit = 0;

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(tok, "name")) {
			if (!tk_valid_irq_name(eq))
				return -EINVAL;
			strcpy(l->name, eq);
			seen |= 2;
			continue;
		}
		if (!strcmp(tok, "irq")) {
			if (tk_parse_u64(eq, &v) || v > 0xffffffffu)
				return -EINVAL;
			l->irq = (unsigned int)v;
			bit = 1;
		} else if (!strcmp(tok, "count")) {
			dst = &l->count, bit = 4;
		} else if (!strcmp(tok, "calls")) {
			dst = &l->calls, bit = 8;
		} else if (!strcmp(tok, "total_ns")) {
			dst = &l->total_ns, bit = 16;
		} else if (!strcmp(tok, "max_ns")) {
			dst = &l->max_ns, bit = 32;
		} else if ((cpu = cpu_count_key(tok)) >= 0) {
			/* cpu<i>= in order, possible CPUs only: keep as listed */
			if (tk_parse_u64(eq, &v))
				return -EINVAL;
			if (irq_put_cpu(q, v))
				return -ENOMEM;
			l->ncpu++;
			continue;
		} else {
			continue;	/* cpu<i>_ns, keys added later */
		}
		if (seen & bit)
			return -EINVAL;
		seen |= bit;
		if (dst && tk_parse_u64(eq, dst))
			return -EINVAL;
	}
	if (seen != 63 || irq_dup(q, l->irq))
		return -EINVAL;
	return 0;
}

/* irqs_line() for each_line(): a refused line's per-CPU counts are dropped. */
static int irqs_one(char *line, void *ctx)
{
	struct tk_irqstat *q = ctx;
	size_t used = q->ncpu_used;
	int r;

	r = irqs_line(line, q);
	if (r && r != -ENOMEM)
		q->ncpu_used = used;
	return r;
}

int tk_parse_irqs(char *text, struct tk_irqstat *q)
{
	q->ncpu_used = 0;
	return each_line(text, irqs_one, q, &q->n, &q->bad);
}

/* Append @v to a per-CPU count array of @used/@cap entries. */
static int put_u64(uint64_t **a, size_t *used, size_t *cap, uint64_t v)
{
	if (*used == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint64_t *c = realloc(*a, nc * sizeof(*c));

		if (!c)
			return -ENOMEM;
		*a = c;
		*cap = nc;
	}
	(*a)[(*used)++] = v;
	return 0;
}

/* A /proc/interrupts row name: 1..7 upper-case letters or digits. */
static int valid_row_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return i > 0 && i < 8;
}

/* One vectors line into q->vec[q->n_vec]; 0 if it is whole and valid. */
static int vectors_line(char *line, struct tk_irqstat *q)
{
	char *save = NULL, *tok;
	struct tk_irq_vec *r;
	unsigned int seen = 0;
	uint64_t v;
	size_t i;

	if (q->n_vec == q->cap_vec) {
		size_t cap = q->cap_vec ? q->cap_vec * 2 : 32;
		struct tk_irq_vec *nv = realloc(q->vec, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		q->vec = nv;
		q->cap_vec = cap;
	}
	r = &q->vec[q->n_vec];
	memset(r, 0, sizeof(*r));
	r->cpu0 = q->nvcpu_used;
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t *dst = NULL;
		unsigned int bit;

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(tok, "row")) {
			if (!valid_row_name(eq))
				return -EINVAL;
			strcpy(r->row, eq);
			bit = 1;
		} else if (!strcmp(tok, "name")) {
			if (!tk_valid_irq_name(eq))
				return -EINVAL;
			strcpy(r->name, eq);
			bit = 2;
		} else if (!strcmp(tok, "timed")) {
			if (strcmp(eq, "0") && strcmp(eq, "1"))
				return -EINVAL;
			r->timed = eq[0] == '1';
			bit = 4;
		} else if (!strcmp(tok, "count")) {
			dst = &r->count, bit = 8;
		} else if (!strcmp(tok, "calls")) {
			dst = &r->calls, bit = 16;
		} else if (!strcmp(tok, "total_ns")) {
			dst = &r->total_ns, bit = 32;
		} else if (!strcmp(tok, "max_ns")) {
			dst = &r->max_ns, bit = 64;
		} else if (cpu_count_key(tok) >= 0) {
			if (tk_parse_u64(eq, &v))
				return -EINVAL;
			if (put_u64(&q->vcpu, &q->nvcpu_used, &q->nvcpu_cap, v))
				return -ENOMEM;
			r->ncpu++;
			continue;
		} else {
			continue;	/* cpu<i>_ns, keys added later */
		}
		if (seen & bit)
			return -EINVAL;
		seen |= bit;
		if (dst && tk_parse_u64(eq, dst))
			return -EINVAL;
	}
	if (seen != 127)
		return -EINVAL;
	for (i = 0; i < q->n_vec; i++)
		if (!strcmp(q->vec[i].row, r->row))
			return -EINVAL;
	return 0;
}

/* vectors_line() for each_line(): a refused row's per-CPU counts are dropped. */
static int vectors_one(char *line, void *ctx)
{
	struct tk_irqstat *q = ctx;
	size_t used = q->nvcpu_used;
	int r;

	r = vectors_line(line, q);
	if (r && r != -ENOMEM)
		q->nvcpu_used = used;
	return r;
}

int tk_parse_vectors(char *text, struct tk_irqstat *q)
{
	unsigned int bad = 0;
	int r;

	q->nvcpu_used = 0;
	r = each_line(text, vectors_one, q, &q->n_vec, &bad);
	q->bad += bad;
	return r;
}

static int valid_soft_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return i > 0 && i < 16;
}

int tk_parse_softirqs(char *text, struct tk_irqstat *q)
{
	char *line, *save = NULL;

	q->n_soft = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *tok;
		struct tk_softirq sf = { 0 };
		unsigned int seen = 0;
		uint64_t v;
		size_t i;

		if (!*line || *line == '#')
			continue;
		for (tok = strtok_r(line, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				goto bad;
			*eq++ = '\0';
			if (!strcmp(tok, "vec")) {
				if (tk_parse_u64(eq, &v) || v > 255)
					goto bad;
				sf.vec = (unsigned int)v;
				seen |= 1;
			} else if (!strcmp(tok, "name")) {
				if (!valid_soft_name(eq))
					goto bad;
				strcpy(sf.name, eq);
				seen |= 2;
			} else if (!strcmp(tok, "count")) {
				if (tk_parse_u64(eq, &sf.count))
					goto bad;
				seen |= 4;
			}
		}
		if (seen != 7)
			goto bad;
		for (i = 0; i < q->n_soft; i++)
			if (!strcmp(q->soft[i].name, sf.name))
				goto bad;
		if (q->n_soft == q->cap_soft) {
			size_t cap = q->cap_soft ? q->cap_soft * 2 : 16;
			struct tk_softirq *ns = realloc(q->soft, cap * sizeof(*ns));

			if (!ns)
				return -ENOMEM;
			q->soft = ns;
			q->cap_soft = cap;
		}
		q->soft[q->n_soft++] = sf;
		continue;
bad:
		q->bad++;
	}
	return 0;
}

void tk_irqstat_free(struct tk_irqstat *q)
{
	free(q->line);
	free(q->cpu);
	free(q->soft);
	free(q->vec);
	free(q->vcpu);
	memset(q, 0, sizeof(*q));
}

/* ---- events ---- */

int tk_valid_uuid(const char *s)
{
	size_t i;

	for (i = 0; i < TK_EV_UUID_LEN; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return s[i] == '\0';
}

int tk_valid_ev_str(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return i > 0 && i < TK_EV_STR_MAX;
}

/* "reason=N" into r[*n] unless reason is bad, a duplicate or r is full. */
static int ev_reason(struct tk_ev_reason *r, unsigned int *n,
		     const char *reason, const char *val)
{
	unsigned int i;
	uint64_t v;

	if (!tk_valid_key(reason) || strlen(reason) >= TK_EV_REASON_MAX ||
	    tk_parse_u64(val, &v) || *n >= TK_EV_MAX_REASONS)
		return -EINVAL;
	for (i = 0; i < *n; i++)
		if (!strcmp(r[i].name, reason))
			return -EINVAL;
	strcpy(r[*n].name, reason);
	r[*n].count = v;
	(*n)++;
	return 0;
}

/*
 * One producers line into e->prod[e->n]; 0 if it is whole and valid
 * (each_line()'s @one).
 */
static int ev_line(char *line, void *ctx)
{
	struct tk_events *e = ctx;
	char *save = NULL, *tok;
	struct tk_ev_producer *p;
	unsigned int seen = 0;
	size_t i;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct tk_ev_producer *np = realloc(e->prod, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		e->prod = np;
		e->cap = cap;
	}
	p = &e->prod[e->n];
	memset(p, 0, sizeof(*p));
	tok = strtok_r(line, " \t", &save);
	if (!tok || !tk_valid_uuid(tok))
		return -EINVAL;
	for (i = 0; i < e->n; i++)
		if (!strcmp(e->prod[i].uuid, tok))
			return -EINVAL;
	strcpy(p->uuid, tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		uint64_t *dst = NULL;
		unsigned int bit = 0;

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(tok, "name") || !strcmp(tok, "version")) {
			int is_name = tok[0] == 'n';

			bit = is_name ? 1 : 2;
			if ((seen & bit) || !tk_valid_ev_str(eq))
				return -EINVAL;
			strcpy(is_name ? p->name : p->version, eq);
			seen |= bit;
			continue;
		}
		if (!strncmp(tok, "rej_", 4)) {
			if (ev_reason(p->rej, &p->n_rej, tok + 4, eq))
				return -EINVAL;
			continue;
		}
		if (!strcmp(tok, "msgs"))
			dst = &p->msgs, bit = 4;
		else if (!strcmp(tok, "drops"))
			dst = &p->drops, bit = 8;
		else if (!strcmp(tok, "sessions"))
			dst = &p->sessions, bit = 16;
		else
			continue;	/* session=, keys added later */
		if ((seen & bit) || tk_parse_u64(eq, dst))
			return -EINVAL;
		seen |= bit;
	}
	return seen == 31 ? 0 : -EINVAL;
}

int tk_parse_ev_producers(char *text, struct tk_events *e)
{
	return each_line(text, ev_line, e, &e->n, &e->bad);
}

int tk_parse_ev_rejects(char *text, struct tk_events *e)
{
	char *save = NULL, *tok;

	e->n_grej = 0;
	for (tok = strtok_r(text, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			e->bad++;
			continue;
		}
		*eq = '\0';
		if (ev_reason(e->grej, &e->n_grej, tok, eq + 1))
			e->bad++;
	}
	return e->n_grej ? 0 : -EINVAL;
}

void tk_events_free(struct tk_events *e)
{
	free(e->prod);
	memset(e, 0, sizeof(*e));
}

/* ---- number formatting ---- */

static void fmt_frac(uint64_t whole, uint64_t frac, int width, char *out,
		     size_t n)
{
	int len;

	if (!frac) {
		snprintf(out, n, "%llu", (unsigned long long)whole);
		return;
	}
	len = snprintf(out, n, "%llu.%0*llu", (unsigned long long)whole, width,
		       (unsigned long long)frac);
	while (len > 0 && (size_t)len < n && out[len - 1] == '0')
		out[--len] = '\0';
}

void tk_fmt_ns_sec(uint64_t ns, char *out, size_t n)
{
	fmt_frac(ns / 1000000000u, ns % 1000000000u, 9, out, n);
}

void tk_fmt_ms_sec(uint64_t ms, char *out, size_t n)
{
	fmt_frac(ms / 1000u, ms % 1000u, 3, out, n);
}

/* ---- collection ---- */

static void path_of(char *out, size_t n, const char *root, const char *rel)
{
	snprintf(out, n, "%s/%s", root, rel);
}

static void note_error(struct tk_state *st, const char *path, int err)
{
	st->errors++;
	{
	int n = snprintf(st->last_error, sizeof(st->last_error), "%s: %s",
			 path, strerror(-err));

	if (n >= (int)sizeof(st->last_error))	/* cut: keep it short */
		st->last_error[sizeof(st->last_error) - 1] = '\0';
	}
}

static int exists(const char *root, const char *rel)
{
	char p[PATH_MAX];

	path_of(p, sizeof(p), root, rel);
	return access(p, F_OK) == 0;
}

/*
 * Read root/rel into b.  1 when read, 0 when absent (not counted), -1 on an
 * error (counted).
 */
static int read_rel(struct tk_state *st, const char *root, const char *rel,
		    struct tk_buf *b)
{
	char p[PATH_MAX];
	int r;

	path_of(p, sizeof(p), root, rel);
	r = tk_read_file(p, b);
	if (!r)
		return 1;
	if (tk_errno_absent(r))
		return 0;
	note_error(st, p, r);
	return -1;
}

/* A one-number file: 1 read, 0 absent, -1 error (counted). */
static int read_u64_rel(struct tk_state *st, const char *root, const char *rel,
			uint64_t *v)
{
	int r = read_rel(st, root, rel, &st->tmp);

	if (r <= 0)
		return r;
	if (tk_parse_u64(st->tmp.p, v)) {
		char p[PATH_MAX];

		path_of(p, sizeof(p), root, rel);
		note_error(st, p, -EINVAL);
		return -1;
	}
	return 1;
}

#define QX "class/qeexo"

static void collect_features(struct tk_state *st, const char *sys)
{
	char *line, *save = NULL;

	st->n_extra = 0;
	st->n_reg = 0;
	if (read_rel(st, sys, QX "/telemetry/features", &st->feat_buf) <= 0)
		return;
	for (line = strtok_r(st->feat_buf.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		int i, known = 0;

		if (sp)
			*sp = '\0';
		if (!tk_valid_key(line))
			continue;
		if (st->n_reg < TK_MAX_EXTRA_FEATURES)
			snprintf(st->reg[st->n_reg++], sizeof(st->reg[0]),
				 "%s", line);
		for (i = 0; i < TK_F_NR; i++)
			known |= !strcmp(line, tk_feature_names[i]);
		for (i = 0; i < st->n_extra; i++)
			known |= !strcmp(line, st->extra[i]);
		if (known || st->n_extra == TK_MAX_EXTRA_FEATURES)
			continue;
		snprintf(st->extra[st->n_extra++], sizeof(st->extra[0]), "%s",
			 line);
	}
}

/*
 * A read of memleaks scans memory ("<start>:<status>:<ip>" lines).  ENODATA
 * (no scan range written yet) is not an error: no figures.
 */
static void kmp_scan(struct tk_state *st, const char *sys)
{
	char p[PATH_MAX];
	char *line, *save = NULL;
	int r;

	path_of(p, sizeof(p), sys, QX "/profiler/memleaks");
	r = tk_read_file(p, &st->tmp);
	if (r) {
		if (!tk_errno_absent(r) && r != -ENODATA)
			note_error(st, p, r);
		return;
	}
	st->kmp_leaks = st->kmp_notfreed = 0;
	for (line = strtok_r(st->tmp.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, ":possible leak:"))
			st->kmp_leaks++;
		else if (strstr(line, ":not freed yet:"))
			st->kmp_notfreed++;
	}
	st->kmp_have_leaks = 1;
	/* Pages that scan skipped (unmapped, device memory). */
	if (read_u64_rel(st, sys, QX "/profiler/scan_skipped_pages",
			 &st->kmp_skipped) > 0)
		st->kmp_have_skipped = 1;
}

/* irqstat: up when its irqs file was read and parsed. */
static void collect_irqstat(struct tk_state *st, const char *sys)
{
	uint64_t v;

	st->irq.n = 0;
	st->irq.n_soft = 0;
	st->irq.bad = 0;
	st->irq.n_vec = 0;
	st->irq_have_soft = st->irq_have_untracked = st->irq_have_seed = 0;
	st->irq_have_vec = st->irq_have_nest = 0;
	st->irq_seed_irq = -1;
	if (read_rel(st, sys, QX "/irqstat/irqs", &st->irq_buf) <= 0)
		return;
	if (tk_parse_irqs(st->irq_buf.p, &st->irq)) {
		note_error(st, "irqstat irqs", -ENOMEM);
		return;
	}
	st->up[TK_F_IRQSTAT] = 1;
	if (read_rel(st, sys, QX "/irqstat/softirqs", &st->irq_buf) > 0) {
		if (tk_parse_softirqs(st->irq_buf.p, &st->irq))
			note_error(st, "irqstat softirqs", -ENOMEM);
		else
			st->irq_have_soft = 1;
	}
	if (read_rel(st, sys, QX "/irqstat/vectors", &st->irq_buf) > 0) {
		if (tk_parse_vectors(st->irq_buf.p, &st->irq))
			note_error(st, "irqstat vectors", -ENOMEM);
		else
			st->irq_have_vec = 1;
	}
	if (read_u64_rel(st, sys, QX "/irqstat/nest_overflow",
			 &st->irq_nest_overflow) > 0)
		st->irq_have_nest = 1;
	if (st->irq.bad)
		note_error(st, "irqstat: malformed lines dropped", -EINVAL);
	if (read_u64_rel(st, sys, QX "/irqstat/untracked",
			 &st->irq_untracked) > 0)
		st->irq_have_untracked = 1;
	/* seed_irq is -1 without seed mode: not a u64, read it apart */
	if (read_rel(st, sys, QX "/irqstat/seed_irq", &st->tmp) > 0 &&
	    !tk_parse_u64(st->tmp.p, &v) && v <= 0xffffffffu &&
	    read_u64_rel(st, sys, QX "/irqstat/seed_count",
			 &st->irq_seed_count) > 0) {
		st->irq_seed_irq = (int64_t)v;
		st->irq_have_seed = 1;
	}
}

/* events: up when events/producers was read and parsed. */
static void collect_events(struct tk_state *st, const char *sys)
{
	st->ev.n = 0;
	st->ev.n_grej = 0;
	st->ev.bad = 0;
	st->ev_up = st->ev_have_rejects = st->ev_have_dropped = 0;
	st->ev_have_readers = st->ev_have_buffer_kb = 0;
	if (read_rel(st, sys, QX "/events/producers", &st->ev_buf) <= 0)
		return;
	if (tk_parse_ev_producers(st->ev_buf.p, &st->ev)) {
		note_error(st, "events producers", -ENOMEM);
		return;
	}
	st->ev_up = 1;
	if (read_rel(st, sys, QX "/events/rejects", &st->ev_buf) > 0) {
		if (tk_parse_ev_rejects(st->ev_buf.p, &st->ev))
			note_error(st, "events rejects", -EINVAL);
		else
			st->ev_have_rejects = 1;
	}
	if (st->ev.bad)
		note_error(st, "events: malformed lines or pairs dropped",
			   -EINVAL);
	if (read_u64_rel(st, sys, QX "/events/dropped", &st->ev_dropped) > 0)
		st->ev_have_dropped = 1;
	if (read_u64_rel(st, sys, QX "/events/readers", &st->ev_readers) > 0)
		st->ev_have_readers = 1;
	if (read_u64_rel(st, sys, QX "/events/buffer_kb",
			 &st->ev_buffer_kb) > 0)
		st->ev_have_buffer_kb = 1;
}

void tk_collect(struct tk_state *st, const struct tk_roots *r, int flags)
{
	int rc;

	memset(st->up, 0, sizeof(st->up));
	st->errors = 0;
	st->last_error[0] = '\0';
	st->snap.have_header = st->snap.have_snap = 0;
	st->snap.n = 0;
	st->krp.n = 0;
	st->kmp_have_blocks = st->kmp_have_bytes = st->kmp_have_leaks = 0;
	st->kmp_have_overflow = st->kmp_have_missed = 0;
	st->kmp_have_skipped = 0;
	st->have_log_interval = 0;

	/* tkcore: /proc/telemetry */
	rc = read_rel(st, r->proc, "telemetry", &st->tel_buf);
	if (rc > 0) {
		if (tk_parse_telemetry(st->tel_buf.p, st->tel_buf.len,
				       &st->snap)) {
			note_error(st, "/proc/telemetry", -ENOMEM);
		} else {
			st->up[TK_F_TKCORE] = 1;
			if (st->snap.bad)
				note_error(st, "telemetry: malformed fields",
					   -EINVAL);
		}
	}
	if (read_u64_rel(st, r->sys, QX "/telemetry/log_interval",
			 &st->log_interval) > 0)
		st->have_log_interval = 1;
	collect_features(st, r->sys);

	/* krp: stats_ext, or the seed's stats */
	rc = read_rel(st, r->sys, QX "/profiler/stats_ext", &st->krp_buf);
	if (rc > 0) {
		if (tk_parse_krp_ext(st->krp_buf.p, &st->krp))
			note_error(st, "krp stats_ext", -ENOMEM);
		else
			st->up[TK_F_KRP] = 1;
	} else if (rc == 0) {
		rc = read_rel(st, r->sys, QX "/profiler/stats", &st->krp_buf);
		if (rc > 0) {
			if (tk_parse_krp_stats(st->krp_buf.p, &st->krp))
				note_error(st, "krp stats", -ENOMEM);
			else
				st->up[TK_F_KRP] = 1;
		}
	}
	if (st->up[TK_F_KRP] && st->krp.bad)
		note_error(st, "krp: malformed lines or names dropped",
			   -EINVAL);

	/* kmp: tracked_blocks / tracked_bytes; memleaks only when asked */
	rc = read_u64_rel(st, r->sys, QX "/profiler/tracked_blocks",
			  &st->kmp_blocks);
	if (rc > 0) {
		st->kmp_have_blocks = 1;
		st->up[TK_F_KMP] = 1;
		if (read_u64_rel(st, r->sys, QX "/profiler/tracked_bytes",
				 &st->kmp_bytes) > 0)
			st->kmp_have_bytes = 1;
		if (read_u64_rel(st, r->sys, QX "/profiler/track_overflow",
				 &st->kmp_overflow) > 0)
			st->kmp_have_overflow = 1;
		if (read_u64_rel(st, r->sys, QX "/profiler/missed",
				 &st->kmp_missed) > 0)
			st->kmp_have_missed = 1;
		if (flags & TK_COLLECT_KMP_SCAN)
			kmp_scan(st, r->sys);
	}

	st->up[TK_F_LEAKSIM] = exists(r->sys, QX "/leaksim/kmalloc_dropped");
	collect_irqstat(st, r->sys);
	collect_events(st, r->sys);
}

void tk_state_free(struct tk_state *st)
{
	tk_buf_free(&st->tel_buf);
	tk_buf_free(&st->krp_buf);
	tk_buf_free(&st->feat_buf);
	tk_buf_free(&st->irq_buf);
	tk_irqstat_free(&st->irq);
	tk_buf_free(&st->ev_buf);
	tk_events_free(&st->ev);
	tk_buf_free(&st->tmp);
	tk_snap_free(&st->snap);
	tk_krp_free(&st->krp);
}
