// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for krp/krp_util.c: name lists, control commands, and the
 * log-linear histogram (every bucket edge; percentiles of synthetic
 * distributions against the sorted samples).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../../krp/krp_util.h"
#include "tap.h"

static struct krp_name names[8];

#define SPLIT(s, n) krp_split_names(s, sizeof(s) - 1, names, 8, n)

static void test_split(void)
{
	static char big[10240];
	unsigned int n = 99;

	ok(SPLIT("", &n) == 0 && n == 0, "empty list");
	ok(SPLIT("\n", &n) == 0 && n == 0, "newline only is empty");
	ok(SPLIT("sys_getpid", &n) == 0 && n == 1 && !strcmp(names[0].s, "sys_getpid"), "one name");
	ok(SPLIT("sys_getpid,sys_clone\n", &n) == 0 && n == 2 &&
	   !strcmp(names[1].s, "sys_clone"), "two names and a newline");
	ok(SPLIT("foo.isra.0,Bar_9", &n) == 0 && n == 2, "dots, capitals, digits");
	ok(SPLIT("a,,b", &n) == -EINVAL, "empty item");
	ok(SPLIT(",a", &n) == -EINVAL, "leading comma");
	ok(SPLIT("a,", &n) == -EINVAL, "trailing comma");
	ok(SPLIT("a, b", &n) == -EINVAL, "space");
	ok(SPLIT("a\nb", &n) == -EINVAL, "inner newline");
	ok(SPLIT("a\n\n", &n) == -EINVAL, "two newlines");
	ok(SPLIT("a\0b", &n) == -EINVAL, "NUL");
	ok(SPLIT("a,b,a", &n) == -EINVAL, "duplicate");
	ok(SPLIT("a-b", &n) == -EINVAL, "dash");
	ok(SPLIT("1,2,3,4,5,6,7,8", &n) == 0 && n == 8, "exactly max");
	ok(SPLIT("1,2,3,4,5,6,7,8,9", &n) == -E2BIG, "over max");
	memset(big, 'a', sizeof(big));
	ok(krp_split_names(big, sizeof(big), names, 8, &n) == -ENAMETOOLONG, "10 KiB name");
	memset(big, 'a', 127);
	ok(krp_split_names(big, 127, names, 8, &n) == 0 && strlen(names[0].s) == 127, "127-char name");
	ok(krp_split_names(big, 128, names, 8, &n) == -ENAMETOOLONG, "128-char name");
}

static void test_cmd(void)
{
	enum krp_cmd cmd;
	const char *args;
	size_t al;

#define CMD(s) krp_parse_cmd(s, sizeof(s) - 1, &cmd, &args, &al)
	ok(CMD("add sys_getpid\n") == 0 && cmd == KRP_CMD_ADD && al == 10 &&
	   !memcmp(args, "sys_getpid", 10), "add with newline (not in the list)");
	ok(CMD("del a,b") == 0 && cmd == KRP_CMD_DEL && al == 3, "del list");
	ok(CMD("reset") == 0 && cmd == KRP_CMD_RESET && al == 0, "reset all");
	ok(CMD("reset\n") == 0 && cmd == KRP_CMD_RESET && al == 0, "reset all, newline");
	ok(CMD("reset a") == 0 && cmd == KRP_CMD_RESET && al == 1, "reset one");
	ok(CMD("add") == -EINVAL, "add without list");
	ok(CMD("add ") == -EINVAL, "add with empty list");
	ok(CMD("del\n") == -EINVAL, "del without list");
	ok(CMD("addx a") == -EINVAL, "unknown word");
	ok(CMD("ad a") == -EINVAL, "short word");
	ok(CMD("") == -EINVAL, "empty");
	ok(CMD("\n") == -EINVAL, "newline");
	ok(CMD(" add a") == -EINVAL, "leading space");
	ok(CMD("add\ta") == -EINVAL, "tab separator");
#undef CMD
}

/* Every bucket holds its own bounds and nothing else; the buckets tile [0, inf). */
static void test_buckets(void)
{
	unsigned int b, bad_tile = 0, bad_in = 0, bad_log2 = 0, bad_small = 0;
	double worst = 0, e;
	u64 lo, w, v;

	ok(krp_bucket(0) == 0 && krp_bucket(63) == 63, "0..63 ns exact");
	ok(krp_bucket(64) == 64 && krp_bucket(65) == 64 && krp_bucket(66) == 65,
	   "64 and 65 ns share bucket 64 (width 2)");
	ok(krp_bucket(127) == 95 && krp_bucket(128) == 96, "octave 2^7 starts at bucket 96");
	ok(krp_bucket(63ULL << 30) == KRP_BUCKETS - 1 &&
	   krp_bucket((63ULL << 30) - 1) == KRP_BUCKETS - 2, "last bucket from 63 * 2^30 ns");
	ok(krp_bucket(~0ULL) == KRP_BUCKETS - 1 && krp_bucket(1ULL << 40) == KRP_BUCKETS - 1,
	   "huge durations in the last bucket");
	ok(krp_bucket_lo(0) == 0 && krp_bucket_width(0) == 1, "bucket 0 is [0, 1)");
	for (b = 0; b < KRP_BUCKETS; b++) {
		lo = krp_bucket_lo(b);
		w = krp_bucket_width(b);
		if (b + 1 < KRP_BUCKETS && krp_bucket_lo(b + 1) != lo + w)
			bad_tile++;
		if (krp_bucket(lo) != b || (b + 1 < KRP_BUCKETS && krp_bucket(lo + w - 1) != b) ||
		    (b && krp_bucket(lo - 1) != b - 1))
			bad_in++;
		if (lo > 1 && (krp_log2_bucket(b) != (unsigned int)fls64(lo) - 1 ||
			       (unsigned int)fls64(lo + w - 1) - 1 != krp_log2_bucket(b)))
			bad_log2++;
		/* worst relative error of the midpoint over the bucket's values */
		if (b + 1 < KRP_BUCKETS && lo) {
			e = (double)(lo + w / 2 - lo) / lo;
			if (e > worst)
				worst = e;
			e = (double)(lo + w - 1 - (lo + w / 2)) / (lo + w - 1);
			if (e > worst)
				worst = e;
		}
	}
	ok(!bad_tile, "the %u buckets tile the range (%u gaps)", KRP_BUCKETS, bad_tile);
	ok(!bad_in, "each bucket holds its lowest and highest value, not its neighbours' (%u bad)",
	   bad_in);
	ok(!bad_log2, "no bucket straddles a power of two (%u bad)", bad_log2);
	ok(worst <= 1.0 / 64 && worst < 0.03, "worst midpoint error over all buckets %.4f%% <= 1/64",
	   worst * 100);
	/* every value below 2^22 ns, one by one */
	for (v = 0; v < 1ULL << 22; v++) {
		b = krp_bucket(v);
		if (v < krp_bucket_lo(b) || v >= krp_bucket_lo(b) + krp_bucket_width(b))
			bad_small++;
	}
	ok(!bad_small, "every duration below 2^22 ns lies in its bucket (%u not)", bad_small);
	ok(krp_log2_bucket(0) == 0 && krp_log2_bucket(1) == 0 && krp_log2_bucket(2) == 1 &&
	   krp_log2_bucket(KRP_BUCKETS - 1) == 35, "log2 buckets of the edges");
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 rnd_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define NS 20000
static u64 sample[NS];
static u64 hist[KRP_BUCKETS];

/*
 * The histogram's p50..p999 (and p1, p100) of sample[0..n) against the true
 * ones (the value of rank ceil(n * p) in sorted order): the worst relative
 * error in per cent.
 */
static double worst_error(unsigned int n)
{
	static const unsigned int pm[] = { 1, 100, 500, 900, 990, 999, 1000 };
	u64 mn = ~0ULL, mx = 0, rank, truth, got;
	double e, worst = 0;
	unsigned int i;

	memset(hist, 0, sizeof(hist));
	for (i = 0; i < n; i++) {
		hist[krp_bucket(sample[i])]++;
		if (sample[i] < mn)
			mn = sample[i];
		if (sample[i] > mx)
			mx = sample[i];
	}
	qsort(sample, n, sizeof(sample[0]), cmp_u64);
	for (i = 0; i < sizeof(pm) / sizeof(pm[0]); i++) {
		rank = ((u64)n * pm[i] + 999) / 1000;
		truth = sample[rank - 1];
		got = krp_percentile(hist, pm[i], mn, mx);
		e = truth ? 100.0 * (got > truth ? got - truth : truth - got) / truth :
			    (got ? 100 : 0);
		if (e > worst)
			worst = e;
	}
	return worst;
}

/* Percentiles of synthetic distributions, against the sorted samples. */
static void test_percentiles(void)
{
	unsigned int i, k;
	double e, worst;

	ok(krp_percentile(hist, 500, 0, 0) == 0, "empty histogram");
	hist[krp_bucket(1000000)] = 100;
	ok(krp_percentile(hist, 500, 1000100, 1000200) == 1000200, "p50 clamped to max");
	ok(krp_percentile(hist, 500, 1000, 5000000) == 999424 + 8192,
	   "p50 is its bucket's midpoint (1 ms: [999424, 1015808))");
	hist[KRP_BUCKETS - 1] = 1000;
	ok(krp_percentile(hist, 999, 1000, 90000000000ULL) == 90000000000ULL,
	   "a percentile in the last bucket is the max");
	memset(hist, 0, sizeof(hist));
	hist[0] = 9;
	hist[krp_bucket(1 << 30)] = 1;
	ok(krp_percentile(hist, 900, 0, 1 << 30) == 0, "p90 of 9 fast + 1 slow is fast");
	ok(krp_percentile(hist, 910, 0, 1 << 30) == 1 << 30, "p91 is slow (clamped to max)");
	hist[0] = ~0ULL / 1000;
	ok(krp_percentile(hist, 990, 0, 1ULL << 40) == 0, "no overflow with huge counts");

	/* constant durations at bucket edges: 1 ms, 100 us, 10 ms, 65 ns */
	for (k = 0; k < 4; k++) {
		static const u64 c[] = { 1000000, 100000, 10000000, 65 };

		for (i = 0; i < 1000; i++)
			sample[i] = c[k];
		e = worst_error(1000);
		ok(e <= 100.0 / 64, "constant %llu ns: worst error %.3f%%", (unsigned long long)c[k], e);
	}
	/* log-uniform over 2^6..2^34 ns */
	worst = 0;
	for (k = 0; k < 50; k++) {
		for (i = 0; i < NS; i++)
			sample[i] = (rnd() >> (30 + rnd() % 28)) + 64;
		e = worst_error(NS);
		if (e > worst)
			worst = e;
	}
	ok(worst <= 100.0 / 64, "log-uniform, 50 draws: worst error %.3f%% <= 1.5625%%", worst);
	/* sleeps: 1 ms plus a jitter of up to 200 us */
	for (i = 0; i < NS; i++)
		sample[i] = 1000000 + rnd() % 200000;
	e = worst_error(NS);
	ok(e <= 100.0 / 64, "1 ms + jitter: worst error %.3f%%", e);
	/* bimodal: 80% near 100 us, 20% near 10 ms; then 95/5 */
	for (k = 0; k < 2; k++) {
		unsigned int slow = k ? 20 : 5;

		for (i = 0; i < NS; i++)
			sample[i] = i % 100 < slow ? 10000000 + rnd() % 500000 :
						     100000 + rnd() % 20000;
		e = worst_error(NS);
		ok(e <= 100.0 / 64, "bimodal %u%% slow: worst error %.3f%%", slow, e);
	}
	/* adversarial: every sample at the low edge of a bucket of width >= 2 */
	for (i = 0; i < NS; i++)
		sample[i] = krp_bucket_lo(64 + rnd() % (KRP_BUCKETS - 65));
	e = worst_error(NS);
	ok(e <= 100.0 / 64, "bucket low edges: worst error %.3f%%", e);
	for (i = 0; i < NS; i++) {
		k = 64 + rnd() % (KRP_BUCKETS - 65);
		sample[i] = krp_bucket_lo(k) + krp_bucket_width(k) - 1;
	}
	e = worst_error(NS);
	ok(e <= 100.0 / 64, "bucket high edges: worst error %.3f%%", e);
}

int main(void)
{
	test_split();
	test_cmd();
	test_buckets();
	test_percentiles();
	return tap_done();
}
