/* SPDX-License-Identifier: GPL-2.0 */
/* tkctl: shared between the CLI (tkctl.c) and its pure helpers (tkctl_lib.c). */
#ifndef TKCTL_H
#define TKCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes; documented in tkctl(1). */
enum {
	TKCTL_OK = 0,
	TKCTL_EFAIL = 1,	/* anything not listed below */
	TKCTL_EUSAGE = 2,	/* bad command line */
	TKCTL_ENOTROOT = 3,	/* the command changes the kernel and needs root */
	TKCTL_ENOFEATURE = 4,	/* unknown feature name */
	TKCTL_ENOMODULE = 5,	/* module file not found */
	TKCTL_EINSERT = 6,	/* the kernel refused the module or a parameter */
	TKCTL_EBUSY = 7,	/* module in use */
};

struct tk_featdef {
	const char *name;	/* what users type: core, krp, ... */
	const char *module;	/* module name: tkcore, krp, ... */
	bool in_all;		/* part of "all" */
};

extern const struct tk_featdef tk_features[];
extern const size_t tk_nr_features;

const struct tk_featdef *tk_feature_lookup(const char *name);

#define TK_MAX_REQ 16

struct tk_request {
	const struct tk_featdef *feat;
	bool optional;		/* from "all": skipped if its module is absent */
	char params[1024];	/* space-separated name=value, as insmod takes */
};

/*
 * Group "FEATURE [name=value...] FEATURE ..." into requests, core first,
 * "all" expanded, duplicates merged.  Returns 0, or TKCTL_EUSAGE /
 * TKCTL_ENOFEATURE with a message in err.
 */
int tk_parse_requests(int argc, char **argv, struct tk_request *req,
		      size_t *nreq, char *err, size_t errlen);

/* One line of /sys/class/qeexo/profiler/stats_ext. */
struct tk_krp_row {
	char name[128];
	char target[160];
	char mech[16];
	uint64_t count, total_ns, min_ns, max_ns, missed, p50, p90, p99;
	uint64_t p999;		/* valid when has_p999: krp with hist2= */
	int has_p999;
	uint64_t hist[40];
};

int tk_parse_krp_row(const char *line, struct tk_krp_row *row);
/* "1.23 ms"-style duration, into buf. */
const char *tk_fmt_ns(uint64_t ns, char *buf, size_t len);

/* tkctl top (tkctl_top.c): the arguments after "top". */
int cmd_top(int argc, char **argv, const char *proc_root, bool json);

#endif
