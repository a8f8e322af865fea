// SPDX-License-Identifier: GPL-2.0
/*
 * krp_util.c - krp's pure logic: splitting "a,b,c" name lists, parsing the
 * funcs control file's commands, and the latency histogram's arithmetic.  No
 * kernel state here, so tests/unit builds this file on the host.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "krp_util.h"

static bool krp_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/**
 * krp_split_names() - split and check a comma-separated list of names
 * @buf: the list; need not be NUL-terminated
 * @len: its length; one trailing newline is ignored
 * @out: where the names go
 * @max: room in @out
 * @n: number of names found
 *
 * An empty list (len 0) gives *n = 0.  Names are [A-Za-z0-9_.]+.
 *
 * Return: 0, -EINVAL for an empty item, a character outside the name set
 * (spaces, newlines, NULs, ...) or a name given twice, -ENAMETOOLONG for a
 * name over KRP_NAME_MAX, -E2BIG for more than @max names.
 */
int krp_split_names(const char *buf, size_t len, struct krp_name *out,
		    unsigned int max, unsigned int *n)
{
	unsigned int cnt = 0, i;
	size_t pos = 0, start, l;

	if (len && buf[len - 1] == '\n')
		len--;
	*n = 0;
	if (!len)
		return 0;
	while (pos <= len) {
		start = pos;
		while (pos < len && buf[pos] != ',') {
			if (!krp_name_char(buf[pos]))
				return -EINVAL;
			pos++;
		}
		l = pos - start;
		if (!l)
			return -EINVAL;
		if (l > KRP_NAME_MAX)
			return -ENAMETOOLONG;
		if (cnt == max)
			return -E2BIG;
		memcpy(out[cnt].s, buf + start, l);
		out[cnt].s[l] = '\0';
		for (i = 0; i < cnt; i++)
			if (!strcmp(out[i].s, out[cnt].s))
				return -EINVAL;
		cnt++;
		pos++;	/* skip the comma; past len ends the loop */
	}
	*n = cnt;
	return 0;
}

/**
 * krp_parse_cmd() - parse one command written to the funcs control file
 * @buf: what was written; need not be NUL-terminated
 * @len: its length
 * @cmd: the command
 * @args: start of its argument (a name list), within @buf
 * @args_len: length of the argument; 0 if none
 *
 * Commands: "add LIST", "del LIST", "reset" and "reset LIST", each
 * optionally followed by one newline; one space separates a command from
 * its list.
 *
 * Return: 0, or -EINVAL for anything else (add/del without a list, unknown
 * words, extra spaces).
 */
int krp_parse_cmd(const char *buf, size_t len, enum krp_cmd *cmd,
		  const char **args, size_t *args_len)
{
	static const struct {
		const char *word;
		enum krp_cmd cmd;
		bool needs_list;
	} cmds[] = {
		{ "add", KRP_CMD_ADD, true },
		{ "del", KRP_CMD_DEL, true },
		{ "reset", KRP_CMD_RESET, false },
	};
	unsigned int i;
	size_t wl;

	if (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		wl = strlen(cmds[i].word);
		if (len < wl || memcmp(buf, cmds[i].word, wl))
			continue;
		if (len == wl) {
			if (cmds[i].needs_list)
				return -EINVAL;
			*cmd = cmds[i].cmd;
			*args = buf + len;
			*args_len = 0;
			return 0;
		}
		if (buf[wl] != ' ' || len == wl + 1)
			return -EINVAL;
		*cmd = cmds[i].cmd;
		*args = buf + wl + 1;
		*args_len = len - wl - 1;
		return 0;
	}
	return -EINVAL;
}

/**
 * krp_bucket_lo() - the shortest duration a histogram bucket holds
 * @b: the bucket, 0..KRP_BUCKETS - 1
 *
 * Return: the bucket's lower bound in ns.
 */
u64 krp_bucket_lo(unsigned int b)
{
	unsigned int s = b < 2 * KRP_SUB ? 0 : (b >> KRP_SUB_BITS) - 1;

	return (u64)(b - (s << KRP_SUB_BITS)) << s;
}

/**
 * krp_bucket_width() - the width of a histogram bucket
 * @b: the bucket, 0..KRP_BUCKETS - 1
 *
 * Return: the bucket's width in ns (the last bucket also holds everything
 * beyond).
 */
u64 krp_bucket_width(unsigned int b)
{
	return 1ULL << (b < 2 * KRP_SUB ? 0 : (b >> KRP_SUB_BITS) - 1);
}

/**
 * krp_log2_bucket() - the log2 bucket (stats_ext's hist=) a bucket lies in
 * @b: the bucket, 0..KRP_BUCKETS - 1
 *
 * No bucket straddles a power of two, so the log2 histogram is the sum of
 * the fine one; durations of 2^35 ns and longer all land in log2 bucket 35.
 *
 * Return: i with 2^i <= every duration in @b < 2^(i+1), 0 for 0 and 1 ns.
 */
unsigned int krp_log2_bucket(unsigned int b)
{
	u64 lo = krp_bucket_lo(b);

	return lo > 1 ? fls64(lo) - 1 : 0;
}

/**
 * krp_percentile() - a percentile from the log-linear histogram
 * @hist: KRP_BUCKETS bucket counts
 * @permille: the percentile in thousandths, 1..1000 (990 for p99)
 * @min: smallest duration seen
 * @max: largest duration seen
 *
 * The answer is the midpoint of the bucket holding the call of rank
 * ceil(count * @permille / 1000), clamped to [@min, @max]: within 1/64 of
 * the true percentile (see krp_util.h).  In the last bucket, @max.
 *
 * Return: the percentile in ns, 0 for an empty histogram.
 */
u64 krp_percentile(const u64 *hist, unsigned int permille, u64 min, u64 max)
{
	u64 count = 0, cum = 0, rank, v;
	unsigned int i;

	for (i = 0; i < KRP_BUCKETS; i++)
		count += hist[i];
	if (!count)
		return 0;
	/* ceil(count * permille / 1000) without overflow for any count */
	rank = count / 1000 * permille + ((count % 1000) * permille + 999) / 1000;
	if (!rank)
		rank = 1;
	for (i = 0; i < KRP_BUCKETS - 1; i++) {
		cum += hist[i];
		if (cum >= rank)
			break;
	}
	if (i == KRP_BUCKETS - 1)
		v = max;
	else
		v = krp_bucket_lo(i) + krp_bucket_width(i) / 2;
	if (v > max)
		v = max;
	if (v < min)
		v = min;
	return v;
}
