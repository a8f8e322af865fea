// SPDX-License-Identifier: GPL-2.0
/* Unit tests for tools/tkctl_lib.c: argument grouping and output parsing. */
#include <string.h>
#include "../../tools/tkctl.h"
#include "tap.h"

static struct tk_request req[TK_MAX_REQ];
static size_t n;
static char err[256];

static int parse(int argc, const char **argv)
{
	return tk_parse_requests(argc, (char **)argv, req, &n, err, sizeof(err));
}

static void test_requests(void)
{
	const char *a1[] = { "krp", "funcs=sys_getpid,sys_clone", "maxactive=8" };
	const char *a2[] = { "leaksim", "core", "log_interval=1" };
	const char *a3[] = { "all" };
	const char *a4[] = { "funcs=x" };
	const char *a5[] = { "bogus" };
	const char *a6[] = { "tkcore", "krp", "krp", "funcs=a" };
	const char *a7[] = { "all", "funcs=a" };
	const char *a8[] = { "krp", "=x" };

	ok(parse(3, a1) == TKCTL_OK && n == 1 && !strcmp(req[0].feat->module, "krp") &&
	   !strcmp(req[0].params, "funcs=sys_getpid,sys_clone maxactive=8"),
	   "feature with two parameters");
	ok(parse(3, a2) == TKCTL_OK && n == 2 && !strcmp(req[0].feat->name, "core") &&
	   !strcmp(req[0].params, "log_interval=1") && !strcmp(req[1].feat->name, "leaksim") &&
	   req[1].params[0] == '\0', "core goes first and keeps its parameters");
	ok(parse(1, a3) == TKCTL_OK && n == 4 && !strcmp(req[0].feat->name, "core") &&
	   !strcmp(req[3].feat->name, "irqstat"), "all = core krp kmp irqstat, not leaksim");
	ok(!req[0].optional && req[1].optional && req[3].optional,
	   "from all, core is required and the rest optional");
	ok(parse(2, (const char *[]){ "krp", "all" }) == TKCTL_OK && !req[1].optional,
	   "a feature named explicitly stays required");
	ok(parse(1, a4) == TKCTL_EUSAGE && strstr(err, "before any feature"), "parameter first");
	ok(parse(1, a5) == TKCTL_ENOFEATURE && strstr(err, "bogus"), "unknown feature");
	ok(parse(0, a5) == TKCTL_EUSAGE, "nothing named");
	ok(parse(4, a6) == TKCTL_OK && n == 2 && !strcmp(req[1].params, "funcs=a"),
	   "module names accepted, duplicates merged");
	ok(parse(2, a7) == TKCTL_EUSAGE, "parameters after all are ambiguous");
	ok(parse(2, a8) == TKCTL_EUSAGE, "parameter without a name");
	ok(tk_feature_lookup("tkcore") == &tk_features[0] && !tk_feature_lookup("x"), "lookup");
}

static void test_krp_row(void)
{
	struct tk_krp_row r;
	char line[1024];

	strcpy(line, "sys_getpid target=__x64_sys_getpid mech=fprobe count=13 total_ns=18473 "
	       "min_ns=900 max_ns=4000 missed=2 p50_ns=1023 p90_ns=2047 p99_ns=4000 "
	       "hist=0,0,0,0,0,0,0,0,0,5,7,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n");
	ok(tk_parse_krp_row(line, &r) == 0, "parses a stats_ext line");
	ok(!strcmp(r.name, "sys_getpid") && !strcmp(r.target, "__x64_sys_getpid") &&
	   !strcmp(r.mech, "fprobe"), "names");
	ok(r.count == 13 && r.total_ns == 18473 && r.min_ns == 900 && r.max_ns == 4000 &&
	   r.missed == 2 && r.p50 == 1023 && r.p90 == 2047 && r.p99 == 4000, "numbers");
	ok(r.hist[9] == 5 && r.hist[10] == 7 && r.hist[11] == 1 && r.hist[39] == 0, "histogram");
	ok(!r.has_p999, "no p999 in a log2-only line");
	strcpy(line, "sys_getpid target=__x64_sys_getpid mech=fprobe count=13 total_ns=18473 "
	       "min_ns=900 max_ns=4000 missed=2 p50_ns=1488 p90_ns=1488 p99_ns=4000 p999_ns=4000 "
	       "hist2=184:5,206:7,254:1 "
	       "hist=0,0,0,0,0,0,0,0,0,5,7,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n");
	ok(tk_parse_krp_row(line, &r) == 0 && r.has_p999 && r.p999 == 4000 && r.p50 == 1488 &&
	   r.hist[10] == 7, "a line with hist2 and p999");
	strcpy(line, "sys_getpid target=x mech=fprobe count=1 total_ns=1 min_ns=1 max_ns=1 "
	       "missed=0 p50_ns=1 p90_ns=1 p99_ns=1 hist=1,2");
	ok(tk_parse_krp_row(line, &r) == -1, "short histogram rejected");
	ok(tk_parse_krp_row("garbage", &r) == -1, "garbage rejected");
	ok(tk_parse_krp_row("", &r) == -1, "empty rejected");
}

static void test_fmt(void)
{
	char b[32];

	ok(!strcmp(tk_fmt_ns(999, b, sizeof(b)), "999 ns"), "ns");
	ok(!strcmp(tk_fmt_ns(1500, b, sizeof(b)), "1.50 us"), "us");
	ok(!strcmp(tk_fmt_ns(2500000, b, sizeof(b)), "2.50 ms"), "ms");
	ok(!strcmp(tk_fmt_ns(3000000000ULL, b, sizeof(b)), "3.00 s"), "s");
}

int main(void)
{
	test_requests();
	test_krp_row();
	test_fmt();
	return tap_done();
}
