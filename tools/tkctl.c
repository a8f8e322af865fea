// SPDX-License-Identifier: GPL-2.0
/*
 * tkctl - load, unload and inspect the Kernel Telemetry Kit.
 *
 * A thin CLI over libkmod (every module operation) and the kit's sysfs and
 * proc files, in the manner of kmod's own tools.  See tkctl(1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tkcore/version.h>
#include "tkctl.h"

static const char *sysfs_root = "/sys";
static const char *proc_root = "/proc";
static const char *from_dir;
static bool json_out;

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tkctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tkctl --help'.\n");
	exit(TKCTL_EUSAGE);
}

/* ---- small file helpers ---- */

static char *read_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *read_trim(const char *path)
{
	char *s = read_file(path);
	size_t n;

	if (s) {
		n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = '\0';
	}
	return s;
}

static void path_of(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

static int write_file(const char *path, const char *data)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/* ---- libkmod ---- */

/* tkctl reports errors itself; libkmod speaks only with TKCTL_DEBUG set. */
static void kmod_quiet(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line;
	(void)fn, (void)format, (void)args;
}

static struct kmod_ctx *kctx(void)
{
	static struct kmod_ctx *ctx;

	if (!ctx) {
		ctx = kmod_new(NULL, NULL);
		if (!ctx) {
			fprintf(stderr, "tkctl: cannot initialise libkmod\n");
			exit(TKCTL_EFAIL);
		}
		if (!getenv("TKCTL_DEBUG"))
			kmod_set_log_fn(ctx, kmod_quiet, NULL);
	}
	return ctx;
}

static bool mod_live(const char *name)
{
	struct kmod_module *mod;
	bool live;

	if (kmod_module_new_from_name(kctx(), name, &mod) < 0)
		return false;
	live = kmod_module_get_initstate(mod) == KMOD_MODULE_LIVE;
	kmod_module_unref(mod);
	return live;
}

static void need_root(const char *what)
{
	if (geteuid() != 0) {
		fprintf(stderr, "tkctl: %s needs root\n", what);
		exit(TKCTL_ENOTROOT);
	}
}

/* Find a module in the build tree given with --from. */
static int from_path(const struct tk_featdef *f, char *buf, size_t len)
{
	const char *sub = !strcmp(f->name, "core") ? "core" : f->name;
	struct stat st;

	snprintf(buf, len, "%s/%s/%s.ko", from_dir, sub, f->module);
	if (!stat(buf, &st))
		return 0;
	snprintf(buf, len, "%s/%s.ko", from_dir, f->module);
	return stat(buf, &st) ? -ENOENT : 0;
}

static int insert_err(const struct tk_featdef *f, int err)
{
	fprintf(stderr, "tkctl: %s: the kernel refused %s: %s (see dmesg for %s's own message)\n",
		f->name, f->module, strerror(-err), f->module);
	return TKCTL_EINSERT;
}

/* Load one feature.  *loaded is set when it was loaded by this call. */
static int load_one(const struct tk_request *r, bool *loaded)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod = NULL;
	char path[4096];
	int err;

	*loaded = false;
	if (mod_live(r->feat->module)) {
		printf("%s: already loaded%s\n", r->feat->name,
		       r->params[0] ? " (parameters not applied; unload it first)" : "");
		return TKCTL_OK;
	}
	if (from_dir) {
		if (from_path(r->feat, path, sizeof(path))) {
			if (r->optional) {
				printf("%s: not available in %s, skipped\n", r->feat->name, from_dir);
				return TKCTL_OK;
			}
			fprintf(stderr, "tkctl: %s: no %s.ko in %s\n", r->feat->name,
				r->feat->module, from_dir);
			return TKCTL_ENOMODULE;
		}
		err = kmod_module_new_from_path(kctx(), path, &mod);
		if (err < 0) {
			fprintf(stderr, "tkctl: %s: %s: %s\n", r->feat->name, path, strerror(-err));
			return TKCTL_ENOMODULE;
		}
		err = kmod_module_insert_module(mod, 0, r->params);
	} else {
		err = kmod_module_new_from_lookup(kctx(), r->feat->module, &list);
		if ((err < 0 || !list) && r->optional) {
			printf("%s: not installed, skipped\n", r->feat->name);
			return TKCTL_OK;
		}
		if (err < 0 || !list) {
			fprintf(stderr, "tkctl: %s: module %s not found in /lib/modules (make install, or --from DIR)\n",
				r->feat->name, r->feat->module);
			return TKCTL_ENOMODULE;
		}
		mod = kmod_module_get_module(list);
		kmod_module_unref_list(list);
		err = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED,
						      r->params, NULL, NULL, NULL);
		if (err == -ENOENT && !kmod_module_get_path(mod)) {
			kmod_module_unref(mod);
			fprintf(stderr, "tkctl: %s: module %s not found in /lib/modules (make install, or --from DIR)\n",
				r->feat->name, r->feat->module);
			return TKCTL_ENOMODULE;
		}
	}
	kmod_module_unref(mod);
	if (err == -EEXIST) {
		printf("%s: already loaded\n", r->feat->name);
		return TKCTL_OK;
	}
	if (err < 0)
		return insert_err(r->feat, err);
	*loaded = true;
	printf("%s: loaded%s%s\n", r->feat->name, r->params[0] ? " with " : "", r->params);
	return TKCTL_OK;
}

static int cmd_load(int argc, char **argv)
{
	struct tk_request req[TK_MAX_REQ], core = { .feat = &tk_features[0] };
	char err[256], done[512] = "";
	bool loaded;
	size_t n, i;
	int ret;

	ret = tk_parse_requests(argc, argv, req, &n, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tkctl: %s\n", err);
		return ret;
	}
	need_root("load");
	for (i = 0; i < n; i++) {
		/* From a build tree no depmod data says tkcore comes first. */
		if (from_dir && req[i].feat != &tk_features[0] &&
		    !mod_live("tkcore")) {
			ret = load_one(&core, &loaded);
			if (ret)
				goto failed;
			if (loaded)
				strcat(done, " core");
		}
		ret = load_one(&req[i], &loaded);
		if (ret)
			goto failed;
		if (loaded) {
			strcat(done, " ");
			strcat(done, req[i].feat->name);
		}
	}
	return TKCTL_OK;
failed:
	if (n == 1)
		return ret;
	fprintf(stderr, "tkctl: stopped at %s; loaded by this command:%s; not attempted:",
		req[i].feat->name, done[0] ? done : " none");
	if (i + 1 == n)
		fprintf(stderr, " none");
	for (i++; i < n; i++)
		fprintf(stderr, " %s", req[i].feat->name);
	fprintf(stderr, "\n");
	return ret;
}

static int unload_one(const struct tk_featdef *f)
{
	struct kmod_module *mod;
	int err;

	if (!mod_live(f->module))
		return TKCTL_OK;
	err = kmod_module_new_from_name(kctx(), f->module, &mod);
	if (err < 0)
		return TKCTL_EFAIL;
	err = kmod_module_remove_module(mod, 0);
	kmod_module_unref(mod);
	if (err == -EBUSY || err == -EAGAIN || err == -EWOULDBLOCK) {
		fprintf(stderr, "tkctl: %s: %s is in use\n", f->name, f->module);
		return TKCTL_EBUSY;
	}
	if (err < 0) {
		fprintf(stderr, "tkctl: %s: cannot unload %s: %s\n", f->name, f->module,
			strerror(-err));
		return TKCTL_EFAIL;
	}
	printf("%s: unloaded\n", f->name);
	return TKCTL_OK;
}

static int cmd_unload(int argc, char **argv)
{
	bool want[16] = { false };
	const struct tk_featdef *f;
	int a, ret, first = TKCTL_OK;
	size_t i;

	if (!argc) {
		fprintf(stderr, "tkctl: unload what? (a feature, or all)\n");
		return TKCTL_EUSAGE;
	}
	for (a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "all")) {
			for (i = 0; i < tk_nr_features; i++)
				want[i] = true;
			continue;
		}
		f = tk_feature_lookup(argv[a]);
		if (!f) {
			fprintf(stderr, "tkctl: unknown feature '%s'\n", argv[a]);
			return TKCTL_ENOFEATURE;
		}
		want[f - tk_features] = true;
	}
	need_root("unload");
	/* Reverse dependency order: features first, tkcore last. */
	for (i = tk_nr_features; i-- > 0;) {
		if (!want[i])
			continue;
		ret = unload_one(&tk_features[i]);
		if (ret && !first)
			first = ret;
	}
	return first;
}

/* ---- status and stats ---- */

static json_t *module_params(const char *module)
{
	json_t *obj = json_object();
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	char *v;

	snprintf(dir, sizeof(dir), "%s/module/%s/parameters", sysfs_root, module);
	d = opendir(dir);
	if (!d)
		return obj;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		v = read_trim(path);
		if (v)
			json_object_set_new(obj, de->d_name, json_string(v));
		free(v);
	}
	closedir(d);
	return obj;
}

/* Lines of s that contain needle. */
static int count_lines(const char *s, const char *needle)
{
	const char *nl, *hit;
	int n = 0;

	while (s && *s) {
		nl = strchr(s, '\n');
		hit = strstr(s, needle);
		if (hit && (!nl || hit < nl))
			n++;
		s = nl ? nl + 1 : NULL;
	}
	return n;
}

static char *health(const struct tk_featdef *f)
{
	char path[512], *a, *b, *c, *out = NULL;
	int r;

	if (!strcmp(f->name, "core")) {
		path_of(path, sizeof(path), sysfs_root, "class/qeexo/telemetry/enable");
		a = read_trim(path);
		path_of(path, sizeof(path), sysfs_root, "class/qeexo/telemetry/log_interval");
		b = read_trim(path);
		path_of(path, sizeof(path), proc_root, "telemetry");
		c = read_file(path);
		r = asprintf(&out, "sampling %s every %ss, %d snapshot(s) in the ring",
			     a && !strcmp(a, "1") ? "on" : "off", b ? b : "?",
			     c ? count_lines(c, "seq=") : 0);
		free(a);
		free(b);
		free(c);
	} else if (!strcmp(f->name, "krp")) {
		path_of(path, sizeof(path), sysfs_root, "class/qeexo/profiler/funcs");
		a = read_file(path);
		r = asprintf(&out, "%d function(s) profiled, %d failed",
			     a ? count_lines(a, "state=active") : 0,
			     a ? count_lines(a, "state=failed") : 0);
		free(a);
	} else if (!strcmp(f->name, "kmp")) {
		path_of(path, sizeof(path), sysfs_root, "class/qeexo/profiler/tracked_blocks");
		a = read_trim(path);
		r = asprintf(&out, "%s block(s) tracked", a ? a : "?");
		free(a);
	} else if (!strcmp(f->name, "leaksim")) {
		path_of(path, sizeof(path), sysfs_root, "class/qeexo/leaksim/kmalloc_dropped");
		a = read_trim(path);
		r = asprintf(&out, "%s kmalloc block(s) leaked on purpose", a ? a : "?");
		free(a);
	} else {
		r = asprintf(&out, "loaded");
	}
	return r < 0 ? NULL : out;
}

static int cmd_status(void)
{
	json_t *arr = json_array();
	struct kmod_module *mod;
	struct kmod_list *holders, *l;
	char holders_s[256];
	size_t i;

	for (i = 0; i < tk_nr_features; i++) {
		const struct tk_featdef *f = &tk_features[i];
		json_t *o = json_object(), *h = json_array(), *params;
		bool live = mod_live(f->module);
		int refcnt = -1;
		char *hl = NULL;

		holders_s[0] = '\0';
		if (live && kmod_module_new_from_name(kctx(), f->module, &mod) >= 0) {
			refcnt = kmod_module_get_refcnt(mod);
			holders = kmod_module_get_holders(mod);
			kmod_list_foreach(l, holders) {
				const char *hn = kmod_module_get_name(kmod_module_get_module(l));

				json_array_append_new(h, json_string(hn));
				if (strlen(holders_s) + strlen(hn) + 2 < sizeof(holders_s)) {
					strcat(holders_s, holders_s[0] ? "," : "");
					strcat(holders_s, hn);
				}
			}
			kmod_module_unref_list(holders);
			kmod_module_unref(mod);
		}
		params = live ? module_params(f->module) : json_object();
		if (live)
			hl = health(f);
		json_object_set_new(o, "feature", json_string(f->name));
		json_object_set_new(o, "module", json_string(f->module));
		json_object_set_new(o, "loaded", json_boolean(live));
		json_object_set_new(o, "refcnt", live ? json_integer(refcnt) : json_null());
		json_object_set_new(o, "holders", h);
		json_object_set_new(o, "params", params);
		json_object_set_new(o, "health", hl ? json_string(hl) : json_null());
		json_array_append_new(arr, o);
		if (!json_out) {
			const char *k;
			json_t *v;

			printf("%-8s %-8s %s", f->name, f->module, live ? "loaded" : "not loaded");
			if (live) {
				printf(" refcnt=%d%s%s", refcnt, holders_s[0] ? " used-by=" : "", holders_s);
				json_object_foreach(params, k, v)
					printf(" %s=%s", k, json_string_value(v));
				printf("\n%-8s %s\n", "", hl ? hl : "");
			} else {
				printf("\n");
			}
		}
		free(hl);
	}
	if (json_out) {
		json_t *top = json_pack("{s:s,s:o}", "version", TK_VERSION, "modules", arr);

		json_dumpf(top, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(top);
	} else {
		json_decref(arr);
	}
	return TKCTL_OK;
}

static int stats_krp(json_t *out)
{
	char path[512], b[7][32], *text, *line, *save = NULL;
	struct tk_krp_row row;
	json_t *arr = json_array();
	int n = 0;

	path_of(path, sizeof(path), sysfs_root, "class/qeexo/profiler/stats_ext");
	text = read_file(path);
	if (!text) {
		json_decref(arr);
		if (!json_out)
			printf("krp: not loaded\n");
		return -1;
	}
	if (!json_out)
		printf("%-28s %10s %10s %10s %10s %10s %10s %10s %10s %8s\n", "FUNCTION",
		       "CALLS", "AVG", "MIN", "P50", "P90", "P99", "P99.9", "MAX", "MISSED");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t avg;

		if (tk_parse_krp_row(line, &row))
			continue;
		avg = row.count ? row.total_ns / row.count : 0;
		n++;
		if (json_out) {
			json_t *r = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
				"function", row.name, "target", row.target, "mech", row.mech,
				"calls", (json_int_t)row.count, "total_ns", (json_int_t)row.total_ns,
				"avg_ns", (json_int_t)avg, "min_ns", (json_int_t)row.min_ns,
				"p50_ns", (json_int_t)row.p50, "p90_ns", (json_int_t)row.p90,
				"p99_ns", (json_int_t)row.p99, "max_ns", (json_int_t)row.max_ns,
				"missed", (json_int_t)row.missed);

			if (row.has_p999)
				json_object_set_new(r, "p999_ns", json_integer((json_int_t)row.p999));
			json_array_append_new(arr, r);
			continue;
		}
		printf("%-28s %10" PRIu64 " %10s %10s %10s %10s %10s %10s %10s %8" PRIu64 "\n",
		       row.name, row.count, tk_fmt_ns(avg, b[0], 32), tk_fmt_ns(row.min_ns, b[1], 32),
		       tk_fmt_ns(row.p50, b[2], 32), tk_fmt_ns(row.p90, b[3], 32),
		       tk_fmt_ns(row.p99, b[4], 32),
		       row.has_p999 ? tk_fmt_ns(row.p999, b[6], 32) : "-",
		       tk_fmt_ns(row.max_ns, b[5], 32), row.missed);
	}
	free(text);
	if (out)
		json_object_set_new(out, "krp", arr);
	else
		json_decref(arr);
	return n;
}

static int stats_simple(json_t *out, const char *feature, const char *dir,
			const char *const *files)
{
	json_t *o = json_object();
	char path[512], rel[256], *v;
	int found = 0;

	for (; *files; files++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, *files);
		path_of(path, sizeof(path), sysfs_root, rel);
		v = read_trim(path);
		if (!v)
			continue;
		found++;
		if (json_out)
			json_object_set_new(o, *files, json_integer(strtoll(v, NULL, 10)));
		else
			printf("%s %-20s %s\n", feature, *files, v);
		free(v);
	}
	if (!found && !json_out)
		printf("%s: not loaded\n", feature);
	if (out && found)
		json_object_set_new(out, feature, o);
	else
		json_decref(o);
	return found;
}

/* Value of KEY in a line of "k=v" words (modified: NULs written), or NULL. */
static const char *irq_field(char **kv, int n, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(kv[i], key, len) && kv[i][len] == '=')
			return kv[i] + len + 1;
	return NULL;
}

/*
 * irqstat's architecture rows (irqstat/vectors): a table, or @vecs' objects;
 * time columns "-" for a row irqstat does not time.
 */
static void stats_irqstat_vectors(json_t *vecs)
{
	char path[512], b[3][32], *text, *line, *save = NULL, *kv[16], *save2;
	int nkv;

	path_of(path, sizeof(path), sysfs_root, "class/qeexo/irqstat/vectors");
	text = read_file(path);
	if (!text)
		return;
	if (!json_out)
		printf("\n%5s %-20s %12s %12s %10s %10s %12s\n", "ROW", "NAME", "COUNT",
		       "CALLS", "AVG", "MAX", "TOTAL");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *row, *name, *timed, *count, *calls, *total, *max;
		uint64_t c, h, t, m;
		int tm;

		save2 = NULL;
		for (nkv = 0; nkv < 16 && (kv[nkv] = strtok_r(nkv ? NULL : line, " ", &save2)); nkv++)
			;
		row = irq_field(kv, nkv, "row");
		name = irq_field(kv, nkv, "name");
		timed = irq_field(kv, nkv, "timed");
		count = irq_field(kv, nkv, "count");
		calls = irq_field(kv, nkv, "calls");
		total = irq_field(kv, nkv, "total_ns");
		max = irq_field(kv, nkv, "max_ns");
		if (!row || !name || !timed || !count || !calls || !total || !max)
			continue;
		tm = !strcmp(timed, "1");
		c = strtoull(count, NULL, 10);
		h = strtoull(calls, NULL, 10);
		t = strtoull(total, NULL, 10);
		m = strtoull(max, NULL, 10);
		if (json_out) {
			json_array_append_new(vecs, json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I}",
				"row", row, "name", name, "timed", tm, "count", (json_int_t)c,
				"calls", (json_int_t)h, "total_ns", (json_int_t)t,
				"avg_ns", (json_int_t)(h ? t / h : 0), "max_ns", (json_int_t)m));
			continue;
		}
		if (tm)
			printf("%5s %-20s %12" PRIu64 " %12" PRIu64 " %10s %10s %12s\n", row, name,
			       c, h, tk_fmt_ns(h ? t / h : 0, b[0], 32), tk_fmt_ns(m, b[1], 32),
			       tk_fmt_ns(t, b[2], 32));
		else
			printf("%5s %-20s %12" PRIu64 " %12s %10s %10s %12s\n", row, name, c,
			       "-", "-", "-", "-");
	}
	free(text);
}

/* irqstat: one row per line of irqstat/irqs, the architecture rows, then
 * the softirq vectors.
 */
static int stats_irqstat(json_t *out)
{
	char path[512], b[3][32], *text, *line, *save = NULL, *kv[16], *save2;
	json_t *lines = json_array(), *soft = json_object(), *vecs = json_array();
	int n = 0, nkv;

	path_of(path, sizeof(path), sysfs_root, "class/qeexo/irqstat/irqs");
	text = read_file(path);
	if (!text) {
		json_decref(lines);
		json_decref(soft);
		json_decref(vecs);
		if (!json_out)
			printf("irqstat: not loaded\n");
		return -1;
	}
	if (!json_out)
		printf("%5s %-20s %12s %12s %10s %10s %12s\n", "IRQ", "NAME", "COUNT",
		       "CALLS", "AVG", "MAX", "TOTAL");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *irq, *name, *count, *calls, *total, *max;
		uint64_t c, h, t, m;

		save2 = NULL;
		for (nkv = 0; nkv < 16 && (kv[nkv] = strtok_r(nkv ? NULL : line, " ", &save2)); nkv++)
			;
		irq = irq_field(kv, nkv, "irq");
		name = irq_field(kv, nkv, "name");
		count = irq_field(kv, nkv, "count");
		calls = irq_field(kv, nkv, "calls");
		total = irq_field(kv, nkv, "total_ns");
		max = irq_field(kv, nkv, "max_ns");
		if (!irq || !name || !count || !calls || !total || !max)
			continue;
		c = strtoull(count, NULL, 10);
		h = strtoull(calls, NULL, 10);
		t = strtoull(total, NULL, 10);
		m = strtoull(max, NULL, 10);
		n++;
		if (json_out) {
			json_array_append_new(lines, json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I}",
				"irq", (json_int_t)strtoll(irq, NULL, 10), "name", name,
				"count", (json_int_t)c, "calls", (json_int_t)h,
				"total_ns", (json_int_t)t, "avg_ns", (json_int_t)(h ? t / h : 0),
				"max_ns", (json_int_t)m));
			continue;
		}
		printf("%5s %-20s %12" PRIu64 " %12" PRIu64 " %10s %10s %12s\n", irq, name, c, h,
		       tk_fmt_ns(h ? t / h : 0, b[0], 32), tk_fmt_ns(m, b[1], 32),
		       tk_fmt_ns(t, b[2], 32));
	}
	free(text);
	stats_irqstat_vectors(vecs);

	path_of(path, sizeof(path), sysfs_root, "class/qeexo/irqstat/softirqs");
	text = read_file(path);
	if (text && !json_out)
		printf("\n%-10s %12s\n", "SOFTIRQ", "COUNT");
	save = NULL;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *name, *count;

		save2 = NULL;
		for (nkv = 0; nkv < 16 && (kv[nkv] = strtok_r(nkv ? NULL : line, " ", &save2)); nkv++)
			;
		name = irq_field(kv, nkv, "name");
		count = irq_field(kv, nkv, "count");
		if (!name || !count)
			continue;
		if (json_out)
			json_object_set_new(soft, name, json_integer(strtoll(count, NULL, 10)));
		else
			printf("%-10s %12s\n", name, count);
	}
	free(text);
	if (out)
		json_object_set_new(out, "irqstat", json_pack("{s:o,s:o,s:o}", "lines", lines,
							      "vectors", vecs, "softirqs", soft));
	else
		json_decref(lines), json_decref(soft), json_decref(vecs);
	return n;
}

static int cmd_stats(int argc, char **argv)
{
	static const char *const kmp_files[] = {
		"tracked_blocks", "tracked_bytes", "track_overflow", "missed",
		"scan_skipped_pages", NULL };
	static const char *const leaksim_files[] = { "kmalloc_dropped", NULL };
	const struct tk_featdef *f = NULL;
	json_t *out = json_out ? json_object() : NULL;

	if (argc > 1)
		die_usage("stats takes at most one feature", "");
	if (argc == 1) {
		f = tk_feature_lookup(argv[0]);
		if (!f) {
			fprintf(stderr, "tkctl: unknown feature '%s'\n", argv[0]);
			return TKCTL_ENOFEATURE;
		}
	}
	if (!f || !strcmp(f->name, "krp"))
		stats_krp(out);
	if (!f || !strcmp(f->name, "kmp"))
		stats_simple(out, "kmp", "class/qeexo/profiler", kmp_files);
	if (!f || !strcmp(f->name, "leaksim"))
		stats_simple(out, "leaksim", "class/qeexo/leaksim", leaksim_files);
	if (!f || !strcmp(f->name, "irqstat"))
		stats_irqstat(out);
	if (f && !strcmp(f->name, "core") && !json_out)
		printf("%s: no statistics table (see tkctl status, /proc/telemetry)\n", f->name);
	if (out) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(out);
	}
	return TKCTL_OK;
}

/* krp list --json: one object per line of funcs, its key=value pairs. */
static void krp_list_json(char *text)
{
	json_t *arr = json_array(), *o;
	char *line, *save = NULL, *kv, *save2, *eq, *reason;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		o = json_object();
		reason = strstr(line, " reason=");
		if (reason) {
			*reason = '\0';
			json_object_set_new(o, "reason", json_string(reason + 8));
		}
		kv = strtok_r(line, " ", &save2);
		json_object_set_new(o, "function", json_string(kv));
		while ((kv = strtok_r(NULL, " ", &save2))) {
			eq = strchr(kv, '=');
			if (!eq)
				continue;
			*eq = '\0';
			json_object_set_new(o, kv, json_string(eq + 1));
		}
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(arr);
}

static int cmd_krp(int argc, char **argv)
{
	char path[512], cmd[4096], *text;
	size_t len;
	int i, err;

	if (!argc)
		die_usage("krp needs a subcommand: add, del, list or reset", "");
	path_of(path, sizeof(path), sysfs_root, "class/qeexo/profiler/funcs");
	if (!strcmp(argv[0], "list")) {
		text = read_file(path);
		if (!text) {
			fprintf(stderr, "tkctl: krp is not loaded\n");
			return TKCTL_EFAIL;
		}
		if (json_out)
			krp_list_json(text);
		else
			fputs(text, stdout);
		free(text);
		return TKCTL_OK;
	}
	if (strcmp(argv[0], "add") && strcmp(argv[0], "del") && strcmp(argv[0], "reset"))
		die_usage("unknown krp subcommand '%s'", argv[0]);
	if (strcmp(argv[0], "reset") && argc < 2)
		die_usage("krp %s needs at least one function", argv[0]);
	need_root("krp");
	len = snprintf(cmd, sizeof(cmd), "%s", argv[0]);
	for (i = 1; i < argc; i++) {
		len += snprintf(cmd + len, sizeof(cmd) - len, "%c%s", i == 1 ? ' ' : ',', argv[i]);
		if (len >= sizeof(cmd)) {
			fprintf(stderr, "tkctl: function list too long\n");
			return TKCTL_EUSAGE;
		}
	}
	if (access(path, F_OK)) {
		fprintf(stderr, "tkctl: krp is not loaded\n");
		return TKCTL_EFAIL;
	}
	err = write_file(path, cmd);
	if (err) {
		fprintf(stderr, "tkctl: krp %s: %s\n", argv[0], strerror(-err));
		return TKCTL_EFAIL;
	}
	return TKCTL_OK;
}

static const char usage[] =
"Usage: tkctl [--from DIR] [--json] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  load FEATURE [name=value...] [FEATURE [name=value...]]...\n"
"                      load features (core first); 'all' = all but leaksim\n"
"  unload FEATURE...|all\n"
"                      unload in reverse dependency order, tkcore last\n"
"  status              modules, refcounts, parameters and health\n"
"  stats [FEATURE]     krp table with percentiles, kmp and leaksim counters, irqstat lines\n"
"  krp add|del SYM...  change what krp profiles\n"
"  krp reset [SYM...]  zero krp's counters\n"
"  krp list            what krp profiles, and why a name failed\n"
"  top [-b] [-d SECONDS] [-n ITERATIONS]\n"
"                      live view of /proc/kmonpro: CPUs, memory, network,\n"
"                      top processes ('q' quits; -b or a pipe: plain frames)\n"
"  help [COMMAND]      this text, or one command's\n"
"\n"
"Features: core (tkcore), krp, kmp, irqstat, leaksim.\n"
"Options:\n"
"  --from DIR          load modules from a build tree (e.g. build/kmod/$(uname -r))\n"
"                      instead of /lib/modules; also TKCTL_FROM\n"
"  --json              machine-readable output for status, stats and top\n"
"  --version           print the version\n"
"Exit codes: 0 ok, 1 failure, 2 usage, 3 not root, 4 unknown feature,\n"
"5 module not found, 6 module or parameter refused, 7 module in use.\n";

static const struct {
	const char *cmd;
	const char *text;
} cmd_help_texts[] = {
	{ "load", "tkctl [--from DIR] load FEATURE [name=value...] [FEATURE [name=value...]]...\n"
	  "  Load features through libkmod, tkcore first.  Parameters follow the\n"
	  "  feature they are for.  'all' loads every available feature but\n"
	  "  leaksim.  Already loaded is not an error.  Needs root.\n"
	  "  e.g. tkctl load core log_interval=1 krp funcs=sys_getpid,sys_clone\n" },
	{ "unload", "tkctl unload FEATURE...|all\n"
	  "  Unload in reverse dependency order; tkcore last, only when named or\n"
	  "  with 'all', and only when nothing uses it (else exit 7).  Needs root.\n" },
	{ "status", "tkctl [--json] status\n"
	  "  Every module: loaded, refcount, users, parameters, a health line.\n" },
	{ "stats", "tkctl [--json] stats [FEATURE]\n"
	  "  krp: calls, avg, min, p50, p90, p99, p99.9, max, missed per function;\n"
	  "  kmp and leaksim: their counters.\n" },
	{ "krp", "tkctl krp add|del SYM...   change what krp profiles (root)\n"
	  "tkctl krp reset [SYM...]    zero counters (root)\n"
	  "tkctl [--json] krp list     functions, mechanism, state, failure reason\n" },
	{ "top", "tkctl [--json] top [-b] [-d SECONDS] [-n ITERATIONS]\n"
	  "  A refreshing view of /proc/kmonpro: uptime, tasks, memory, per-CPU\n"
	  "  busy bars, per-interface rates, the top processes by CPU (and by\n"
	  "  socket bytes while tkcore's procnet is on).  Keys: q quits, space\n"
	  "  refreshes.  -d: seconds between reads (default 2, 0.1 to 86400);\n"
	  "  -n: stop after that many frames; -b (or stdout not a terminal):\n"
	  "  plain frames separated by a blank line; --json: one object a line.\n"
	  "  Exit 1 when /proc/kmonpro is missing (tkcore not loaded, or too old).\n" },
	{ "help", "tkctl help [COMMAND]\n" },
};

static int cmd_help(const char *cmd)
{
	size_t i;

	if (!cmd) {
		fputs(usage, stdout);
		return TKCTL_OK;
	}
	for (i = 0; i < sizeof(cmd_help_texts) / sizeof(cmd_help_texts[0]); i++) {
		if (!strcmp(cmd, cmd_help_texts[i].cmd)) {
			fputs(cmd_help_texts[i].text, stdout);
			return TKCTL_OK;
		}
	}
	fprintf(stderr, "tkctl: no command '%s'\n", cmd);
	return TKCTL_EUSAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	if (getenv("TKCTL_SYSFS_ROOT"))
		sysfs_root = getenv("TKCTL_SYSFS_ROOT");
	if (getenv("TKCTL_PROC_ROOT"))
		proc_root = getenv("TKCTL_PROC_ROOT");
	from_dir = getenv("TKCTL_FROM");
	while ((c = getopt_long(argc, argv, "+f:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from_dir = optarg;
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return TKCTL_OK;
		case 'V':
			printf("tkctl %s\n", TK_VERSION);
			return TKCTL_OK;
		default:
			fputs(usage, stderr);
			return TKCTL_EUSAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return TKCTL_EUSAGE;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status();
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(cmd, "krp"))
		return cmd_krp(argc, argv);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc, argv, proc_root, json_out);
	if (!strcmp(cmd, "help"))
		return cmd_help(argc ? argv[0] : NULL);
	die_usage("unknown command '%s'", cmd);
	return TKCTL_EUSAGE;
}
