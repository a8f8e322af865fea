/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmonpro: parsing /proc/kmonpro (layout: docs/ABI/testing/procfs-kmonpro)
 * and the arithmetic of `tkctl top` on it.  Pure: text in, structs out;
 * unit-tested in tests/unit/test_kmonpro.c.
 */
#ifndef KMONPRO_H
#define KMONPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Percentages are kept in tenths (the file has exactly one decimal). */
struct km_cpu {
	char name[32];
	uint32_t user, nice, system, irq, softirq, iowait, idle, busy;
};

struct km_net {
	char name[64];
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};

/* A `top` (cpu_pct, rss_kb set) or `nettop` (has_cpu false) line. */
struct km_proc {
	uint64_t pid;
	bool has_cpu;
	uint32_t cpu_pct;	/* tenths of a percent of one CPU */
	uint64_t rss_kb, tx_bytes, rx_bytes;
	bool net_hidden;	/* top line without tx_bytes/rx_bytes: not ours to see */
	char comm[64];		/* truncated to fit, as read (unsanitised) */
};

struct km_snap {
	char version[32];
	uint64_t seq, uptime_ms, interval_ms;
	bool procnet;
	bool since_boot;	/* the interval runs from boot (first sample) */
	bool have_cpu_all, have_mem, have_tasks;
	struct km_cpu cpu_all;
	struct km_cpu *cpus;	/* per-CPU lines, in file order */
	size_t ncpus;
	uint64_t mem_total_kb, mem_free_kb, mem_avail_kb, mem_buffers_kb,
		 mem_cached_kb, swap_free_kb;
	uint64_t procs, threads, running;
	struct km_net *nets;
	size_t nnets;
	struct km_proc *top;
	size_t ntop;
	struct km_proc *nettop;
	size_t nnettop;
	/* Lines of a known type that were malformed and skipped. */
	unsigned int skipped;
	unsigned int first_bad_line;	/* 1-based line number, 0 if none */
};

/*
 * Parse the whole text of /proc/kmonpro into @s (which km_snap_free()
 * releases, also after an error).  Returns 0, -EINVAL when the first
 * non-comment line is not a valid `kmonpro` header (not this file, or
 * empty), or -ENOMEM.  A line of a known type with a missing or malformed
 * documented key, a word that is not key=value, or no final newline
 * (truncated read) is skipped and counted in s->skipped; unknown record
 * types and unknown keys are ignored; comments ('#') and blank lines too.
 */
int km_parse(const char *text, struct km_snap *s);
void km_snap_free(struct km_snap *s);

/* Parse a percentage with at most one decimal ("12.5", "100") into tenths. */
int km_parse_pct(const char *s, size_t len, uint32_t *tenths);

/*
 * Strictly parse a refresh interval in seconds: digits, optionally a '.'
 * and up to three more digits ("2", "0.2", "1.500").  Range 0.1 to 86400 s.
 * Returns 0 and the interval in milliseconds, or -EINVAL.
 */
int km_parse_interval(const char *s, unsigned int *ms);
/* A strictly positive decimal count ("-n 5"), 1..1000000000. */
int km_parse_count(const char *s, unsigned int *n);

/* Per-interface rates between two reads of the cumulative counters. */
struct km_rate {
	bool valid;		/* false: new interface, counter reset, no time */
	uint64_t rx_bps, tx_bps, rx_pps, tx_pps;	/* per second */
};

/*
 * Rates for every interface of @cur (rates[i] for cur->nets[i]) from the
 * counters of @prev, over the time between the two snapshots (uptime_ms),
 * or over @wall_ms when the snapshots carry no usable time.  When @prev is
 * the same snapshot as @cur (same seq and uptime_ms: tkcore has not sampled
 * since), the rates of @prev_rates (for prev->nets) carry over.  A rate is
 * not valid for an interface new in @cur or whose counters went backwards.
 * @prev may be NULL.
 */
void km_net_rates(const struct km_snap *prev, const struct km_rate *prev_rates,
		  const struct km_snap *cur, uint64_t wall_ms,
		  struct km_rate *rates);

/*
 * Socket byte rates of every nettop process of @cur from @prev's nettop and
 * top lines (same pid), with the same rules as km_net_rates().
 */
void km_proc_rates(const struct km_snap *prev, const struct km_rate *prev_rates,
		   const struct km_snap *cur, uint64_t wall_ms,
		   struct km_rate *rates);

/* Human-readable sizes: "512B", "1.5K", "12.0M" (base 1024). */
const char *km_fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* "1d 02:03:04" or "02:03:04". */
const char *km_fmt_uptime(uint64_t ms, char *buf, size_t len);
/* Replace what a terminal would interpret (controls, non-ASCII) by '?'. */
void km_sanitize(char *s);

#endif
