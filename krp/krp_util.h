/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krp_util.h - krp's pure logic (name lists, control commands, percentiles),
 * built both into krp.ko and into the host-side unit tests.
 */
#ifndef _KRP_UTIL_H
#define _KRP_UTIL_H

#include <linux/types.h>

/* Longest function name krp accepts, without the NUL. */
#define KRP_NAME_MAX	127
/* Log2 latency buckets: bucket i holds 2^i <= d < 2^(i+1) ns (0 also d=0). */
#define KRP_HIST	40

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
unsigned int krp_bucket(u64 ns);
u64 krp_percentile(const u64 *hist, unsigned int pct, u64 min, u64 max);

#endif /* _KRP_UTIL_H */
