/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krp_util.h - krp's pure logic (name lists, control commands, percentiles),
 * built both into krp.ko and into the host-side unit tests.
 */
#ifndef _KRP_UTIL_H
#define _KRP_UTIL_H

#include <linux/bitops.h>
#include <linux/types.h>

/* Longest function name krp accepts, without the NUL. */
#define KRP_NAME_MAX	127
/* Log2 buckets of stats_ext's hist=: i holds 2^i <= d < 2^(i+1) ns (0 also 0). */
#define KRP_HIST	40

/*
 * The latency histogram krp keeps: log-linear, HdrHistogram's layout.
 *
 * Durations below 2 * KRP_SUB = 64 ns each have a bucket of their own
 * (width 1 ns).  Above, every octave [2^k, 2^(k+1)) ns, k = 6..35, is cut
 * into KRP_SUB = 32 linear sub-buckets of width 2^(k-5) ns.  Bucket b
 * holds [krp_bucket_lo(b), krp_bucket_lo(b) + krp_bucket_width(b)); the
 * last one, KRP_BUCKETS - 1, also holds everything longer, from
 * 63 * 2^30 ns (67.6 s) up.
 *
 * Error bound.  A percentile is the duration of the call of rank
 * r = ceil(n * p) in sorted order; the histogram finds, exactly, the bucket
 * that call fell in, [lo, lo + w), and reports its midpoint lo + w / 2,
 * clamped to the smallest and largest duration seen.  The true value v
 * (an integer) is in [lo, lo + w - 1], so |reported - v| <= w / 2.  Below
 * 64 ns w = 1 and the answer is exact.  Above, lo = m * w with m >= 32
 * (the bucket's offset in its octave counts from 2^k = 32 * w), so
 * |reported - v| / v <= (w / 2) / (32 * w) = 1/64 = 1.5625%.  Clamping to
 * [min, max] only moves the answer towards v, which lies in that range.
 * The bound holds for every duration below 63 * 2^30 ns; a percentile that
 * falls in the last bucket is reported as the largest duration seen.
 * (16 sub-buckets would give 1/32 = 3.125%; 32 is the fewest power of two
 * under 3%.)
 *
 * Memory.  The per-CPU counts are u16: 1024 * 2 = 2048 bytes, plus the
 * 32 bytes of count, total, min and max, per function per CPU.  When a
 * per-CPU count wraps (every 65536 calls in one bucket on one CPU) the
 * handler adds 65536 to the function's shared u64 count of that bucket
 * (1024 * 8 = 8192 bytes per function).  1000 functions on 64 CPUs: 1000 *
 * (64 * 2080 + 8192) = 141 MB, where u64 per-CPU counts would take 526 MB
 * and u32 ones 264 MB.  A reader sums the shared count and every CPU's.
 */
#define KRP_SUB_BITS	5
#define KRP_SUB		BIT(KRP_SUB_BITS)
#define KRP_BUCKETS	1024
#define KRP_WRAP	BIT(16)		/* per-CPU counts are u16 */

struct krp_name {
	char s[KRP_NAME_MAX + 1];
};

enum krp_cmd {
	KRP_CMD_ADD,
	KRP_CMD_DEL,
	KRP_CMD_RESET,
};

int krp_split_names(const char *buf, size_t len, struct krp_name *out,
		    unsigned int max, unsigned int *n);
int krp_parse_cmd(const char *buf, size_t len, enum krp_cmd *cmd,
		  const char **args, size_t *args_len);
u64 krp_bucket_lo(unsigned int b);
u64 krp_bucket_width(unsigned int b);
u64 krp_percentile(const u64 *hist, unsigned int permille, u64 min, u64 max);
unsigned int krp_log2_bucket(unsigned int b);

/**
 * krp_bucket() - the histogram bucket of a duration
 * @ns: duration in ns
 *
 * One fls64(), two shifts and an add: with s = max(0, fls64(@ns) - 6),
 * b = 32 * s + (@ns >> s), which is @ns itself below 64 and counts on by
 * 32 buckets an octave above; capped at KRP_BUCKETS - 1.
 *
 * Return: the bucket, 0..KRP_BUCKETS - 1.
 */
static inline unsigned int krp_bucket(u64 ns)
{
	unsigned int s = fls64(ns | (2 * KRP_SUB - 1)) - (KRP_SUB_BITS + 1);
	unsigned int b = (s << KRP_SUB_BITS) + (unsigned int)(ns >> s);

	return b < KRP_BUCKETS - 1 ? b : KRP_BUCKETS - 1;
}

#endif /* _KRP_UTIL_H */
