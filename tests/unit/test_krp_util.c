// SPDX-License-Identifier: GPL-2.0
/* Unit tests for krp/krp_util.c: name lists, control commands, histograms. */
#include <errno.h>
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

static void test_hist(void)
{
	u64 h[KRP_HIST] = { 0 };
	unsigned int i;

	ok(krp_bucket(0) == 0 && krp_bucket(1) == 0, "0 and 1 ns in bucket 0");
	ok(krp_bucket(2) == 1 && krp_bucket(3) == 1, "2..3 ns in bucket 1");
	ok(krp_bucket(1024) == 10 && krp_bucket(2047) == 10, "1024..2047 in bucket 10");
	ok(krp_bucket(~0ULL) == KRP_HIST - 1, "huge durations in the last bucket");
	ok(krp_percentile(h, 50, 0, 0) == 0, "empty histogram");
	h[10] = 100;	/* 100 calls of 1024..2047 ns */
	ok(krp_percentile(h, 50, 1100, 1900) == 1900, "p50 clamped to max");
	ok(krp_percentile(h, 50, 1000, 5000) == 2047, "p50 is the bucket's upper bound");
	h[20] = 1;	/* one slow call of ~1 ms */
	ok(krp_percentile(h, 99, 1000, 1500000) == 2047, "p99 of 101 calls: rank 100 in bucket 10");
	ok(krp_percentile(h, 100, 1000, 1500000) == 1500000, "p100 is max");
	for (i = 0; i < KRP_HIST; i++)
		h[i] = 0;
	h[0] = 9;
	h[30] = 1;
	ok(krp_percentile(h, 90, 0, 1 << 30) == 1, "p90 of 9 fast + 1 slow is fast");
	ok(krp_percentile(h, 91, 0, 1 << 30) == 1 << 30, "p91 is slow");
	h[0] = ~0ULL / 50;
	ok(krp_percentile(h, 99, 0, 1ULL << 40) == 1, "no overflow with huge counts");
}

int main(void)
{
	test_split();
	test_cmd();
	test_hist();
	return tap_done();
}
