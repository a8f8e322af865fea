// SPDX-License-Identifier: GPL-2.0
/*
 * tkctl_lib.c - the pure parts of tkctl: the feature table, command-line
 * grouping of features and parameters, parsing krp's stats_ext lines and
 * formatting durations.  Unit-tested on the host (tests/unit/test_tkctl.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tkctl.h"

const struct tk_featdef tk_features[] = {
	{ "core", "tkcore", true },
	{ "krp", "krp", true },
	{ "kmp", "kmp", true },
	{ "irqstat", "irqstat", true },
	{ "leaksim", "leaksim", false },
};
const size_t tk_nr_features = sizeof(tk_features) / sizeof(tk_features[0]);

const struct tk_featdef *tk_feature_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < tk_nr_features; i++)
		if (!strcmp(name, tk_features[i].name) ||
		    !strcmp(name, tk_features[i].module))
			return &tk_features[i];
	return NULL;
}

static struct tk_request *tk_req_get(const struct tk_featdef *f,
				     struct tk_request *req, size_t *nreq)
{
	size_t i;

	for (i = 0; i < *nreq; i++)
		if (req[i].feat == f)
			return &req[i];
	if (*nreq == TK_MAX_REQ)
		return NULL;
	req[*nreq].feat = f;
	req[*nreq].optional = false;
	req[*nreq].params[0] = '\0';
	return &req[(*nreq)++];
}

int tk_parse_requests(int argc, char **argv, struct tk_request *req,
		      size_t *nreq, char *err, size_t errlen)
{
	struct tk_request *cur = NULL, tmp;
	const struct tk_featdef *f;
	size_t i, len;
	int a;

	*nreq = 0;
	if (argc == 0) {
		snprintf(err, errlen, "no feature named");
		return TKCTL_EUSAGE;
	}
	for (a = 0; a < argc; a++) {
		const char *arg = argv[a];

		if (strchr(arg, '=')) {
			if (!cur) {
				snprintf(err, errlen, "parameter '%s' comes before any feature", arg);
				return TKCTL_EUSAGE;
			}
			if (arg[0] == '=') {
				snprintf(err, errlen, "parameter '%s' has no name", arg);
				return TKCTL_EUSAGE;
			}
			len = strlen(cur->params);
			if (len + strlen(arg) + 2 > sizeof(cur->params)) {
				snprintf(err, errlen, "parameters of %s too long", cur->feat->name);
				return TKCTL_EUSAGE;
			}
			snprintf(cur->params + len, sizeof(cur->params) - len,
				 "%s%s", len ? " " : "", arg);
			continue;
		}
		if (!strcmp(arg, "all")) {
			for (i = 0; i < tk_nr_features; i++) {
				size_t before = *nreq;

				if (!tk_features[i].in_all)
					continue;
				cur = tk_req_get(&tk_features[i], req, nreq);
				if (!cur)
					goto toomany;
				/* core is always needed; the rest only if present */
				if (*nreq > before && i)
					cur->optional = true;
			}
			cur = NULL;	/* parameters need a single feature */
			continue;
		}
		f = tk_feature_lookup(arg);
		if (!f) {
			snprintf(err, errlen, "unknown feature '%s' (features: core krp kmp irqstat leaksim, or all)", arg);
			return TKCTL_ENOFEATURE;
		}
		cur = tk_req_get(f, req, nreq);
		if (!cur)
			goto toomany;
	}
	/* core first, the rest in the order given */
	for (i = 1; i < *nreq; i++) {
		if (req[i].feat == &tk_features[0]) {
			tmp = req[i];
			memmove(&req[1], &req[0], i * sizeof(req[0]));
			req[0] = tmp;
			break;
		}
	}
	return TKCTL_OK;
toomany:
	snprintf(err, errlen, "too many features");
	return TKCTL_EUSAGE;
}

static int tk_field_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	if (*p < '0' || *p > '9')
		return -1;
	*v = strtoull(p, NULL, 10);
	return 0;
}

static int tk_field_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	n = strcspn(p, " \n");
	if (!n || n >= len)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int tk_parse_krp_row(const char *line, struct tk_krp_row *row)
{
	static const char *const keys[] = {
		"count", "total_ns", "min_ns", "max_ns", "missed",
		"p50_ns", "p90_ns", "p99_ns",
	};
	uint64_t *vals[] = {
		&row->count, &row->total_ns, &row->min_ns, &row->max_ns,
		&row->missed, &row->p50, &row->p90, &row->p99,
	};
	const char *p;
	size_t n, i;
	char *end;

	memset(row, 0, sizeof(*row));
	n = strcspn(line, " \n");
	if (!n || n >= sizeof(row->name))
		return -1;
	memcpy(row->name, line, n);
	row->name[n] = '\0';
	if (tk_field_str(line, "target", row->target, sizeof(row->target)) ||
	    tk_field_str(line, "mech", row->mech, sizeof(row->mech)))
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (tk_field_u64(line, keys[i], vals[i]))
			return -1;
	/* only a krp with the log-linear histogram (hist2=) gives p999 */
	row->has_p999 = !tk_field_u64(line, "p999_ns", &row->p999);
	p = strstr(line, " hist=");
	if (!p)
		return -1;
	p += 6;
	for (i = 0; i < 40; i++) {
		if (*p < '0' || *p > '9')
			return -1;
		row->hist[i] = strtoull(p, &end, 10);
		p = end;
		if (i < 39 && *p++ != ',')
			return -1;
	}
	return (*p == '\0' || *p == '\n') ? 0 : -1;
}

const char *tk_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
	return buf;
}
