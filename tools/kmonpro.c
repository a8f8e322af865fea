// SPDX-License-Identifier: GPL-2.0
/*
 * kmonpro.c - the pure parts of `tkctl top`: parsing /proc/kmonpro (layout
 * in docs/ABI/testing/procfs-kmonpro), rates between two reads, strict
 * option parsing and formatting.  Unit-tested in tests/unit/test_kmonpro.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmonpro.h"

enum km_kind { KM_U64, KM_PCT, KM_NAME, KM_BOOL };

struct km_key {
	const char *key;
	enum km_kind kind;
	size_t off;		/* into the record's destination object */
	size_t size;		/* of a KM_NAME buffer */
	bool opt;		/* may be absent */
};

#define U64(k, type, f)	{ k, KM_U64, offsetof(type, f), 0, false }
#define PCT(k, f)	{ k, KM_PCT, offsetof(struct km_cpu, f), 0, false }
#define NAME(k, type, f) { k, KM_NAME, offsetof(type, f), sizeof(((type *)0)->f), false }

static const struct km_key hdr_keys[] = {
	U64("seq", struct km_snap, seq),
	U64("uptime_ms", struct km_snap, uptime_ms),
	U64("interval_ms", struct km_snap, interval_ms),
	{ "procnet", KM_BOOL, offsetof(struct km_snap, procnet), 0, false },
	{ "since_boot", KM_BOOL, offsetof(struct km_snap, since_boot), 0, true },
};

static const struct km_key cpu_keys[] = {
	NAME("name", struct km_cpu, name),
	PCT("user_pct", user), PCT("nice_pct", nice), PCT("system_pct", system),
	PCT("irq_pct", irq), PCT("softirq_pct", softirq),
	PCT("iowait_pct", iowait), PCT("idle_pct", idle), PCT("busy_pct", busy),
};

static const struct km_key mem_keys[] = {
	U64("total_kb", struct km_snap, mem_total_kb),
	U64("free_kb", struct km_snap, mem_free_kb),
	U64("avail_kb", struct km_snap, mem_avail_kb),
	U64("buffers_kb", struct km_snap, mem_buffers_kb),
	U64("cached_kb", struct km_snap, mem_cached_kb),
	U64("swap_free_kb", struct km_snap, swap_free_kb),
};

static const struct km_key tasks_keys[] = {
	U64("procs", struct km_snap, procs),
	U64("threads", struct km_snap, threads),
	U64("running", struct km_snap, running),
};

static const struct km_key net_keys[] = {
	NAME("name", struct km_net, name),
	U64("rx_bytes", struct km_net, rx_bytes),
	U64("rx_packets", struct km_net, rx_packets),
	U64("tx_bytes", struct km_net, tx_bytes),
	U64("tx_packets", struct km_net, tx_packets),
};

static const struct km_key top_keys[] = {
	U64("pid", struct km_proc, pid),
	{ "cpu_pct", KM_PCT, offsetof(struct km_proc, cpu_pct), 0, false },
	U64("rss_kb", struct km_proc, rss_kb),
	/* absent: the reader may not see this process's socket bytes */
	{ "tx_bytes", KM_U64, offsetof(struct km_proc, tx_bytes), 0, true },
	{ "rx_bytes", KM_U64, offsetof(struct km_proc, rx_bytes), 0, true },
};
#define TOP_TX_RX	(3u << 3)	/* their bits in top_keys */

static const struct km_key nettop_keys[] = {
	U64("pid", struct km_proc, pid),
	U64("tx_bytes", struct km_proc, tx_bytes),
	U64("rx_bytes", struct km_proc, rx_bytes),
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static int km_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!len || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int km_parse_pct(const char *s, size_t len, uint32_t *tenths)
{
	const char *dot = memchr(s, '.', len);
	size_t ilen = dot ? (size_t)(dot - s) : len;
	uint64_t v;

	/* integer part, then nothing or '.' and exactly one digit */
	if (!ilen || ilen > 8 || km_u64(s, ilen, &v))
		return -EINVAL;
	v *= 10;
	if (dot) {
		if (len - ilen != 2 || dot[1] < '0' || dot[1] > '9')
			return -EINVAL;
		v += dot[1] - '0';
	}
	*tenths = v;
	return 0;
}

/*
 * Parse the key=value words of a line (after its type word, and for the
 * header its version) into @dst.  comm= takes the rest of the line.
 * Returns 0 when every documented key that is not optional was present and
 * all were valid; *@seenp (if not NULL) gets the keys seen, bit i for
 * keys[i].
 */
static int km_fields(char *p, const struct km_key *keys, size_t nkeys,
		     void *dst, char *comm, size_t commlen, unsigned int *seenp)
{
	unsigned int seen = 0, want = 0;
	bool have_comm = false;
	char *word, *eq;
	size_t i, vlen;

	for (i = 0; i < nkeys; i++)
		if (!keys[i].opt)
			want |= 1u << i;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!strncmp(p, "comm=", 5)) {
			/* the last pair: the comm runs to the end of the line */
			p += 5;
			if (comm) {
				snprintf(comm, commlen, "%s", p);
				have_comm = true;
			}
			break;
		}
		word = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
		eq = strchr(word, '=');
		if (!eq || eq == word)
			return -EINVAL;	/* not key=value */
		*eq++ = '\0';
		vlen = strlen(eq);
		for (i = 0; i < nkeys; i++)
			if (!strcmp(word, keys[i].key))
				break;
		if (i == nkeys)
			continue;	/* unknown key: the layout may grow */
		switch (keys[i].kind) {
		case KM_U64:
			if (km_u64(eq, vlen, (uint64_t *)((char *)dst + keys[i].off)))
				return -EINVAL;
			break;
		case KM_PCT:
			if (km_parse_pct(eq, vlen, (uint32_t *)((char *)dst + keys[i].off)))
				return -EINVAL;
			break;
		case KM_NAME:
			if (!vlen || vlen >= keys[i].size)
				return -EINVAL;
			memcpy((char *)dst + keys[i].off, eq, vlen + 1);
			break;
		case KM_BOOL:
			if (strcmp(eq, "0") && strcmp(eq, "1"))
				return -EINVAL;
			*(bool *)((char *)dst + keys[i].off) = eq[0] == '1';
			break;
		}
		seen |= 1u << i;
	}
	if ((seen & want) != want || (comm && !have_comm))
		return -EINVAL;
	if (seenp)
		*seenp = seen;
	return 0;
}

/* Append @elem (of @size bytes) to the array *@arr of *@n elements. */
static int km_push(void *arr, size_t *n, const void *elem, size_t size)
{
	void **a = arr;
	void *na;

	/* capacity: 4, then doubled whenever a power of two >= 4 is full */
	if (!*n || (*n >= 4 && !(*n & (*n - 1)))) {
		na = realloc(*a, (*n ? *n * 2 : 4) * size);
		if (!na)
			return -ENOMEM;
		*a = na;
	}
	memcpy((char *)*a + *n * size, elem, size);
	(*n)++;
	return 0;
}

/* One record line (NUL-terminated, no newline).  -EINVAL: malformed. */
static int km_record(char *line, struct km_snap *s)
{
	size_t tlen = strcspn(line, " ");
	char *rest = line + tlen + (line[tlen] == ' ');
	struct km_snap tmp;
	struct km_cpu cpu;
	struct km_net net;
	struct km_proc pr;
	unsigned int seen;

	line[tlen] = '\0';
	if (!strcmp(line, "cpu")) {
		memset(&cpu, 0, sizeof(cpu));
		if (km_fields(rest, cpu_keys, NKEYS(cpu_keys), &cpu, NULL, 0, NULL))
			return -EINVAL;
		if (!strcmp(cpu.name, "all")) {
			s->cpu_all = cpu;
			s->have_cpu_all = true;
			return 0;
		}
		return km_push(&s->cpus, &s->ncpus, &cpu, sizeof(cpu));
	}
	if (!strcmp(line, "mem") || !strcmp(line, "tasks")) {
		bool mem = line[0] == 'm';

		tmp = *s;
		if (km_fields(rest, mem ? mem_keys : tasks_keys,
			      mem ? NKEYS(mem_keys) : NKEYS(tasks_keys), &tmp, NULL, 0,
			      NULL))
			return -EINVAL;
		*s = tmp;
		if (mem)
			s->have_mem = true;
		else
			s->have_tasks = true;
		return 0;
	}
	if (!strcmp(line, "net")) {
		memset(&net, 0, sizeof(net));
		if (km_fields(rest, net_keys, NKEYS(net_keys), &net, NULL, 0, NULL))
			return -EINVAL;
		return km_push(&s->nets, &s->nnets, &net, sizeof(net));
	}
	if (!strcmp(line, "top") || !strcmp(line, "nettop")) {
		bool top = line[0] == 't';

		memset(&pr, 0, sizeof(pr));
		pr.has_cpu = top;
		if (km_fields(rest, top ? top_keys : nettop_keys,
			      top ? NKEYS(top_keys) : NKEYS(nettop_keys), &pr,
			      pr.comm, sizeof(pr.comm), &seen))
			return -EINVAL;
		/* tx_bytes and rx_bytes come together or not at all */
		if (top && (seen & TOP_TX_RX) != TOP_TX_RX && (seen & TOP_TX_RX))
			return -EINVAL;
		pr.net_hidden = top && !(seen & TOP_TX_RX);
		if (top)
			return km_push(&s->top, &s->ntop, &pr, sizeof(pr));
		return km_push(&s->nettop, &s->nnettop, &pr, sizeof(pr));
	}
	return 0;	/* unknown record type: ignored */
}

static int km_header(char *line, struct km_snap *s)
{
	struct km_snap tmp = *s;
	char *ver;
	size_t n;

	if (strncmp(line, "kmonpro ", 8))
		return -EINVAL;
	ver = line + 8;
	n = strcspn(ver, " ");
	if (!n || n >= sizeof(tmp.version) || memchr(ver, '=', n))
		return -EINVAL;
	memcpy(tmp.version, ver, n);
	tmp.version[n] = '\0';
	if (km_fields(ver + n, hdr_keys, NKEYS(hdr_keys), &tmp, NULL, 0, NULL))
		return -EINVAL;
	*s = tmp;
	return 0;
}

int km_parse(const char *text, struct km_snap *s)
{
	const char *p = text, *nl;
	bool header = false;
	unsigned int lineno = 0;
	char *line;
	size_t len;
	int err;

	memset(s, 0, sizeof(*s));
	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (!len || p[0] == '#') {
			p += len + !!nl;
			continue;
		}
		line = strndup(p, len);
		if (!line)
			return -ENOMEM;
		if (!header) {
			/* the header must be complete and come first */
			err = nl ? km_header(line, s) : -EINVAL;
			free(line);
			if (err)
				return err;
			header = true;
			p += len + 1;
			continue;
		}
		/* no newline at the end: a truncated read, not trusted */
		err = nl ? km_record(line, s) : -EINVAL;
		free(line);
		if (err == -ENOMEM)
			return err;
		if (err) {
			s->skipped++;
			if (!s->first_bad_line)
				s->first_bad_line = lineno;
		}
		p += len + !!nl;
	}
	return header ? 0 : -EINVAL;
}

void km_snap_free(struct km_snap *s)
{
	free(s->cpus);
	free(s->nets);
	free(s->top);
	free(s->nettop);
	s->cpus = NULL;
	s->nets = NULL;
	s->top = NULL;
	s->nettop = NULL;
	s->ncpus = s->nnets = s->ntop = s->nnettop = 0;
}

int km_parse_interval(const char *s, unsigned int *ms)
{
	uint64_t whole = 0, frac = 0;
	size_t n = strspn(s, "0123456789"), f = 0, i;

	if (!n || n > 6 || km_u64(s, n, &whole))
		return -EINVAL;
	s += n;
	if (*s == '.') {
		s++;
		f = strspn(s, "0123456789");
		if (!f || f > 3 || km_u64(s, f, &frac))
			return -EINVAL;
		for (i = f; i < 3; i++)
			frac *= 10;
		s += f;
	}
	if (*s != '\0')
		return -EINVAL;
	whole = whole * 1000 + frac;
	if (whole < 100 || whole > 86400000)
		return -EINVAL;
	*ms = whole;
	return 0;
}

int km_parse_count(const char *s, unsigned int *n)
{
	uint64_t v;

	if (km_u64(s, strlen(s), &v) || v < 1 || v > 1000000000)
		return -EINVAL;
	*n = v;
	return 0;
}

/* The same snapshot read twice: tkcore has not sampled in between. */
static bool km_same(const struct km_snap *prev, const struct km_snap *cur)
{
	return prev->seq == cur->seq && prev->uptime_ms == cur->uptime_ms;
}

/* Time between two snapshots for rates, in ms; 0 when there is none. */
static uint64_t km_span(const struct km_snap *prev, const struct km_snap *cur,
			uint64_t wall_ms)
{
	if (cur->uptime_ms > prev->uptime_ms)
		return cur->uptime_ms - prev->uptime_ms;
	return wall_ms;
}

static uint64_t km_per_s(uint64_t now, uint64_t before, uint64_t ms)
{
	/* (now - before) * 1000 / ms, rounded, without overflowing */
	uint64_t d = now - before;

	if (d <= UINT64_MAX / 1000)
		return (d * 1000 + ms / 2) / ms;
	return d / ms * 1000;
}

void km_net_rates(const struct km_snap *prev, const struct km_rate *prev_rates,
		  const struct km_snap *cur, uint64_t wall_ms,
		  struct km_rate *rates)
{
	const struct km_net *a, *b;
	uint64_t ms;
	size_t i, j;

	for (i = 0; i < cur->nnets; i++) {
		memset(&rates[i], 0, sizeof(rates[i]));
		if (!prev)
			continue;
		b = &cur->nets[i];
		for (j = 0; j < prev->nnets; j++)
			if (!strcmp(prev->nets[j].name, b->name))
				break;
		if (j == prev->nnets)
			continue;
		if (km_same(prev, cur)) {
			/* the same snapshot again: keep what was shown */
			if (prev_rates)
				rates[i] = prev_rates[j];
			continue;
		}
		a = &prev->nets[j];
		ms = km_span(prev, cur, wall_ms);
		if (!ms || b->rx_bytes < a->rx_bytes || b->tx_bytes < a->tx_bytes ||
		    b->rx_packets < a->rx_packets || b->tx_packets < a->tx_packets)
			continue;	/* counters reset (interface re-created) */
		rates[i].valid = true;
		rates[i].rx_bps = km_per_s(b->rx_bytes, a->rx_bytes, ms);
		rates[i].tx_bps = km_per_s(b->tx_bytes, a->tx_bytes, ms);
		rates[i].rx_pps = km_per_s(b->rx_packets, a->rx_packets, ms);
		rates[i].tx_pps = km_per_s(b->tx_packets, a->tx_packets, ms);
	}
}

static const struct km_proc *km_find_pid(const struct km_proc *v, size_t n,
					 uint64_t pid, size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].pid == pid) {
			if (idx)
				*idx = i;
			return &v[i];
		}
	}
	return NULL;
}

void km_proc_rates(const struct km_snap *prev, const struct km_rate *prev_rates,
		   const struct km_snap *cur, uint64_t wall_ms,
		   struct km_rate *rates)
{
	const struct km_proc *a, *b;
	uint64_t ms;
	size_t i, j;

	for (i = 0; i < cur->nnettop; i++) {
		memset(&rates[i], 0, sizeof(rates[i]));
		if (!prev)
			continue;
		b = &cur->nettop[i];
		if (km_same(prev, cur)) {
			if (prev_rates && km_find_pid(prev->nettop, prev->nnettop, b->pid, &j))
				rates[i] = prev_rates[j];
			continue;
		}
		a = km_find_pid(prev->nettop, prev->nnettop, b->pid, NULL);
		if (!a)
			a = km_find_pid(prev->top, prev->ntop, b->pid, NULL);
		ms = km_span(prev, cur, wall_ms);
		if (!a || !ms || !prev->procnet || b->tx_bytes < a->tx_bytes ||
		    b->rx_bytes < a->rx_bytes)
			continue;	/* unknown before, or pid reused */
		rates[i].valid = true;
		rates[i].tx_bps = km_per_s(b->tx_bytes, a->tx_bytes, ms);
		rates[i].rx_bps = km_per_s(b->rx_bytes, a->rx_bytes, ms);
	}
}

const char *km_fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* 1023.96 would print as 1024.0: go one unit up instead */
	if (v >= 1023.95 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

const char *km_fmt_uptime(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %02u:%02u:%02u", s / 86400,
			 (unsigned int)(s % 86400 / 3600), (unsigned int)(s % 3600 / 60),
			 (unsigned int)(s % 60));
	else
		snprintf(buf, len, "%02u:%02u:%02u", (unsigned int)(s / 3600),
			 (unsigned int)(s % 3600 / 60), (unsigned int)(s % 60));
	return buf;
}

void km_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}
