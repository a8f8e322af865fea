// SPDX-License-Identifier: GPL-2.0
/*
 * krp_main.c - the kernel routine profiler: how often the kernel functions
 * a user names are called, and how long each call takes.
 *
 *   insmod krp.ko funcs=sys_getpid,sys_clone
 *   cat /sys/class/qeexo/profiler/stats        sys_getpid:1421:13
 *
 * Names.  A name is probed as the user wrote it.  A "sys_<call>" name that is
 * no kernel symbol means the system call's entry point (__x64_sys_<call> on
 * x86-64), so sys_getpid profiles getpid(2) while sys_fillrect, a real
 * function, is profiled as itself.  At load
 * a name that cannot be probed is reported (dmesg and the funcs file) and
 * skipped; the load fails only if no name at all can be probed.  At runtime
 * the funcs file adds and removes functions all-or-nothing.
 *
 * Probes.  Each function gets its own fprobe where the kernel has a usable
 * one (6.12), else a kretprobe ("mech=" selects).  A function that fprobe
 * cannot attach to (notrace) falls back to a kretprobe.  The entry handler
 * stores the start time in per-call-instance data; the exit handler adds the
 * duration to per-CPU accumulators with this_cpu ops: no lock, no shared
 * cache line on the hot path.  Readers sum the CPUs.
 *
 * Lifetimes.  krp_lock (a mutex) guards the list of functions; the probe
 * handlers never touch the list, only their own krp_func.  A function is
 * freed only after its probe is unregistered, and unregistering waits until
 * no handler of it runs (including returns of calls still in flight, which
 * then go untimed).  Unload unregisters the feature first (its files go,
 * waiting for readers), then every probe, then frees.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>
#include "krp.h"

#define KRP_MAX_FUNCS	1024
/*
 * funcs= is read back from /sys/module/krp/parameters/funcs, which the
 * module core gives one page: the value and its newline must fit in it.
 * More functions are added through the funcs file.
 */
#define KRP_PARAM_MAX	(PAGE_SIZE - 2)

static DEFINE_MUTEX(krp_lock);
static LIST_HEAD(krp_funcs);
static unsigned int krp_nr_funcs;	/* entries in krp_funcs, failed included */

/* ---- parameters ---- */

static char *krp_param_funcs;

/* Only checks the list's syntax; probing happens in krp_init(). */
static int krp_param_set_funcs(const char *val, const struct kernel_param *kp)
{
	struct krp_name *names;
	unsigned int n;
	size_t len = strlen(val);
	char *copy;
	int ret;

	if (len > KRP_PARAM_MAX) {
		pr_err("funcs= is %zu bytes, at most %lu fit; add more with the funcs file\n",
		       len, KRP_PARAM_MAX);
		return -E2BIG;
	}
	names = kvmalloc_array(KRP_MAX_FUNCS, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	ret = krp_split_names(val, len, names, KRP_MAX_FUNCS, &n);
	kvfree(names);
	if (ret)
		return ret;
	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kfree(krp_param_funcs);
	krp_param_funcs = copy;
	return 0;
}

static int krp_param_get_funcs(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", krp_param_funcs ? krp_param_funcs : "");
}

/*
 * The string lives as long as the parameter's sysfs file: the module core
 * calls this once that file is gone (after krp_exit(), or after a failed
 * krp_init()).  Freeing it in krp_exit() let a concurrent read of
 * /sys/module/krp/parameters/funcs use it after the free (KASAN, d-stress).
 */
static void krp_param_free_funcs(void *arg)
{
	char **p = arg;

	kfree(*p);
	*p = NULL;
}

static const struct kernel_param_ops krp_funcs_ops = {
	.set = krp_param_set_funcs,
	.get = krp_param_get_funcs,
	.free = krp_param_free_funcs,
};
module_param_cb(funcs, &krp_funcs_ops, &krp_param_funcs, 0444);
MODULE_PARM_DESC(funcs, "comma-separated kernel functions to profile, e.g. sys_getpid,sys_clone");

static char krp_param_mech[16] = "auto";
module_param_string(mech, krp_param_mech, sizeof(krp_param_mech), 0444);
MODULE_PARM_DESC(mech, "probe mechanism: auto (fprobe where usable, else kretprobe), fprobe or kretprobe");

unsigned int krp_maxactive = 64;
TK_MODULE_PARAM_RANGE(maxactive, krp_maxactive, 1, 4096, 0444);
MODULE_PARM_DESC(maxactive, "calls of one function timed at once, 1..4096; more are counted as missed (default 64)");

static enum { KRP_WANT_AUTO, KRP_WANT_FPROBE, KRP_WANT_KRETPROBE } krp_want;

/* ---- one function ---- */

static const char *krp_mech_name(enum krp_mech m)
{
	switch (m) {
	case KRP_MECH_KRETPROBE:
		return "kretprobe";
	case KRP_MECH_FPROBE:
		return "fprobe";
	default:
		return "none";
	}
}

static const char *krp_reason(int err)
{
	switch (err) {
	case -ENOENT:
		return "unknown symbol";
	case -EINVAL:
		return "cannot be probed (blacklisted, notrace, inlined or not a function entry)";
	case -EILSEQ:
		return "not at an instruction boundary";
	case -EBUSY:
		return "already probed exclusively";
	case -EOPNOTSUPP:
		return "probe mechanism not available on this kernel";
	case -ENOMEM:
		return "out of memory";
	default:
		return "probe registration failed";
	}
}

static void krp_func_zero(struct krp_func *f)
{
	struct krp_pcpu *p;
	unsigned int i;
	int cpu;

	/* Not atomic against calls in flight: a reset is approximate by nature. */
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(f->pcpu, cpu);
		memset(p, 0, sizeof(*p));
		WRITE_ONCE(p->min_ns, U64_MAX);
	}
	for (i = 0; i < KRP_BUCKETS; i++)
		atomic64_set(&f->hist_hi[i], 0);
}

static struct krp_func *krp_func_new(const char *name)
{
	struct krp_func *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return NULL;
	f->pcpu = alloc_percpu(struct krp_pcpu);
	f->hist_hi = kcalloc(KRP_BUCKETS, sizeof(*f->hist_hi), GFP_KERNEL);
	if (!f->pcpu || !f->hist_hi) {
		free_percpu(f->pcpu);
		kfree(f->hist_hi);
		kfree(f);
		return NULL;
	}
	krp_func_zero(f);
	strscpy(f->name, name, sizeof(f->name));
	strscpy(f->target, name, sizeof(f->target));
	return f;
}

static int krp_func_attach(struct krp_func *f)
{
	int ret = -EOPNOTSUPP;

	if (krp_want != KRP_WANT_KRETPROBE && TK_HAVE_FPROBE)
		ret = krp_fprobe_start(f);
	if (ret && krp_want != KRP_WANT_FPROBE)
		ret = krp_kretprobe_start(f);
	return ret;
}

/*
 * Attach the probe.  On failure f->err says why and f->mech is NONE.  Both
 * mechanisms fail with -ENOENT only for a name that is no kernel symbol;
 * only then is a "sys_" name taken for the system call's entry point.
 */
static int krp_func_start(struct krp_func *f)
{
	int ret;

	strscpy(f->target, f->name, sizeof(f->target));
	ret = krp_func_attach(f);
	if (ret == -ENOENT && TK_SYSCALL_PREFIX[0] &&
	    !strncmp(f->name, "sys_", 4)) {
		snprintf(f->target, sizeof(f->target), "%s%s",
			 TK_SYSCALL_PREFIX, f->name);
		ret = krp_func_attach(f);
	}
	f->err = ret;
	return ret;
}

static void krp_func_stop(struct krp_func *f)
{
	if (f->mech == KRP_MECH_FPROBE)
		krp_fprobe_stop(f);
	else if (f->mech == KRP_MECH_KRETPROBE)
		krp_kretprobe_stop(f);
	f->mech = KRP_MECH_NONE;
}

static void krp_func_free(struct krp_func *f)
{
	krp_func_stop(f);
	free_percpu(f->pcpu);
	kfree(f->hist_hi);
	kfree(f);
}

static unsigned long krp_func_missed(const struct krp_func *f)
{
	if (f->mech == KRP_MECH_FPROBE)
		return krp_fprobe_missed(f);
	if (f->mech == KRP_MECH_KRETPROBE)
		return krp_kretprobe_missed(f);
	return 0;
}

struct krp_totals {
	u64 count;
	u64 total_ns;
	u64 min_ns;
	u64 max_ns;
	u64 hist[KRP_BUCKETS];
};

/*
 * One function's totals: every possible CPU's (an offline CPU keeps its
 * counts) merged; t->hist only when @hist.  The per-CPU counts of a bucket
 * are its count modulo KRP_WRAP and hist_hi[] the carries, which only grow
 * (but for a reset): a pass during which a carry landed is read again (at
 * most 4 passes; carries come once in KRP_WRAP calls of a bucket on a CPU).
 * What is left is the few instructions between a count's wrap and its
 * carry: a bucket read then is KRP_WRAP low, that once.
 */
static void krp_func_sum(const struct krp_func *f, struct krp_totals *t,
			 bool hist)
{
	const struct krp_pcpu *p;
	unsigned int i, pass = 0;
	u64 s1, s2;
	int cpu;

again:
	t->count = 0;
	t->total_ns = 0;
	t->min_ns = U64_MAX;
	t->max_ns = 0;
	s1 = 0;
	if (hist)
		for (i = 0; i < KRP_BUCKETS; i++) {
			t->hist[i] = atomic64_read(&f->hist_hi[i]);
			s1 += t->hist[i];
		}
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(f->pcpu, cpu);
		t->count += READ_ONCE(p->count);
		t->total_ns += READ_ONCE(p->total_ns);
		t->min_ns = min(t->min_ns, READ_ONCE(p->min_ns));
		t->max_ns = max(t->max_ns, READ_ONCE(p->max_ns));
		if (hist)
			for (i = 0; i < KRP_BUCKETS; i++)
				t->hist[i] += READ_ONCE(p->hist[i]);
	}
	if (hist && ++pass < 4) {
		s2 = 0;
		for (i = 0; i < KRP_BUCKETS; i++)
			s2 += atomic64_read(&f->hist_hi[i]);
		if (s2 != s1)
			goto again;
	}
	if (t->min_ns == U64_MAX)
		t->min_ns = 0;
}

/* Too big for the stack (8 KiB); used under krp_lock. */
static struct krp_totals krp_tot;

static struct krp_func *krp_find(const char *name)
{
	struct krp_func *f;

	list_for_each_entry(f, &krp_funcs, node)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* ---- files ---- */

/* stats: the seed's format, "<name>:<avg ns>:<calls>", profiled functions only. */
static int krp_stats_fill(struct tk_textfile *tf, struct tk_text *t)
{
	struct krp_totals *tot = &krp_tot;
	struct krp_func *f;

	mutex_lock(&krp_lock);
	list_for_each_entry(f, &krp_funcs, node) {
		if (f->mech == KRP_MECH_NONE)
			continue;
		krp_func_sum(f, tot, false);
		tk_text_printf(t, "%s:%llu:%llu\n", f->name,
			       tot->count ? div64_u64(tot->total_ns, tot->count) : 0,
			       tot->count);
	}
	mutex_unlock(&krp_lock);
	return 0;
}

/*
 * One line per function: counts, p50/p90/p99/p999 from the log-linear
 * histogram, then hist2= (that histogram, sparse) and hist= (the log2
 * histogram older readers parse, summed from it) last.
 */
static int krp_stats_ext_fill(struct tk_textfile *tf, struct tk_text *t)
{
	static const unsigned int pm[] = { 500, 900, 990, 999 };
	struct krp_totals *tot = &krp_tot;
	u64 log2[KRP_HIST];
	struct krp_func *f;
	bool first;
	unsigned int i;

	mutex_lock(&krp_lock);
	list_for_each_entry(f, &krp_funcs, node) {
		if (f->mech == KRP_MECH_NONE)
			continue;
		krp_func_sum(f, tot, true);
		tk_text_printf(t, "%s target=%s mech=%s", f->name, f->target,
			       krp_mech_name(f->mech));
		tk_text_printf(t, " count=%llu total_ns=%llu min_ns=%llu max_ns=%llu missed=%lu",
			       tot->count, tot->total_ns, tot->min_ns, tot->max_ns,
			       krp_func_missed(f));
		for (i = 0; i < ARRAY_SIZE(pm); i++)
			tk_text_printf(t, " p%u_ns=%llu",
				       pm[i] == 999 ? 999 : pm[i] / 10,
				       krp_percentile(tot->hist, pm[i],
						      tot->min_ns, tot->max_ns));
		tk_text_printf(t, " hist2=");
		memset(log2, 0, sizeof(log2));
		first = true;
		for (i = 0; i < KRP_BUCKETS; i++) {
			if (!tot->hist[i])
				continue;
			tk_text_printf(t, "%s%u:%llu", first ? "" : ",", i,
				       tot->hist[i]);
			first = false;
			log2[krp_log2_bucket(i)] += tot->hist[i];
		}
		tk_text_printf(t, " hist=");
		for (i = 0; i < KRP_HIST; i++)
			tk_text_printf(t, "%llu%c", log2[i],
				       i == KRP_HIST - 1 ? '\n' : ',');
	}
	mutex_unlock(&krp_lock);
	return 0;
}

static int krp_funcs_fill(struct tk_textfile *tf, struct tk_text *t)
{
	struct krp_func *f;

	mutex_lock(&krp_lock);
	list_for_each_entry(f, &krp_funcs, node) {
		tk_text_printf(t, "%s target=%s mech=%s", f->name, f->target,
			       krp_mech_name(f->mech));
		if (f->mech != KRP_MECH_NONE)
			tk_text_printf(t, " state=active\n");
		else
			tk_text_printf(t, " state=failed errno=%d reason=%s\n",
				       f->err, krp_reason(f->err));
	}
	mutex_unlock(&krp_lock);
	return 0;
}

static size_t krp_size_hint(struct tk_textfile *tf)
{
	return (size_t)READ_ONCE(krp_nr_funcs) * 512;
}

static struct tk_textfile krp_stats_tf = {
	.fill = krp_stats_fill,
	.size_hint = krp_size_hint,
};

static struct tk_textfile krp_stats_ext_tf = {
	.fill = krp_stats_ext_fill,
	.size_hint = krp_size_hint,
};

static struct tk_textfile krp_funcs_tf = {
	.fill = krp_funcs_fill,
	.size_hint = krp_size_hint,
};

TK_TEXTFILE_ATTR(stats, 0444, krp_stats_tf);
TK_TEXTFILE_ATTR(stats_ext, 0444, krp_stats_ext_tf);

/* ---- runtime control: writes to funcs ---- */

/* Add all of @names or none.  Caller holds krp_lock. */
static int krp_add(struct krp_name *names, unsigned int n)
{
	struct krp_func *f, *tmp;
	LIST_HEAD(added);
	unsigned int i;
	int ret = 0;

	if (krp_nr_funcs + n > KRP_MAX_FUNCS)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		if (krp_find(names[i].s))
			return -EEXIST;
	for (i = 0; i < n; i++) {
		f = krp_func_new(names[i].s);
		if (!f) {
			ret = -ENOMEM;
			break;
		}
		list_add_tail(&f->node, &added);
		ret = krp_func_start(f);
		if (ret)
			break;
	}
	if (ret) {
		list_for_each_entry_safe(f, tmp, &added, node) {
			list_del(&f->node);
			krp_func_free(f);
		}
		return ret;
	}
	krp_nr_funcs += n;
	list_splice_tail(&added, &krp_funcs);
	return 0;
}

/* Are all of @names listed?  Caller holds krp_lock. */
static bool krp_all_listed(struct krp_name *names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!krp_find(names[i].s))
			return false;
	return true;
}

/* Remove all of @names or none.  Caller holds krp_lock. */
static int krp_del(struct krp_name *names, unsigned int n)
{
	struct krp_func *f;
	unsigned int i;

	if (!krp_all_listed(names, n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		f = krp_find(names[i].s);
		list_del(&f->node);
		krp_nr_funcs--;
		krp_func_free(f);
	}
	return 0;
}

static int krp_reset(struct krp_name *names, unsigned int n)
{
	struct krp_func *f;
	unsigned int i;

	if (!krp_all_listed(names, n))
		return -ENOENT;
	if (!n) {
		list_for_each_entry(f, &krp_funcs, node)
			krp_func_zero(f);
		return 0;
	}
	for (i = 0; i < n; i++)
		krp_func_zero(krp_find(names[i].s));
	return 0;
}

static ssize_t funcs_read(struct file *filp, struct kobject *kobj,
			  TK_BIN_ATTR_PTR attr, char *buf, loff_t off,
			  size_t count)
{
	return tk_textfile_read(&krp_funcs_tf, filp, buf, off, count);
}

static ssize_t funcs_write(struct file *filp, struct kobject *kobj,
			   TK_BIN_ATTR_PTR attr, char *buf, loff_t off,
			   size_t count)
{
	struct krp_name *names;
	const char *args;
	enum krp_cmd cmd;
	size_t args_len;
	unsigned int n;
	int ret;

	/*
	 * sysfs hands over at most a page per call: a write that filled it
	 * may have been cut, and a continuation is never a whole command.
	 */
	if (off || count >= PAGE_SIZE)
		return -E2BIG;
	ret = krp_parse_cmd(buf, count, &cmd, &args, &args_len);
	if (ret)
		return ret;
	names = kvmalloc_array(KRP_MAX_FUNCS, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	ret = krp_split_names(args, args_len, names, KRP_MAX_FUNCS, &n);
	if (ret)
		goto out;
	mutex_lock(&krp_lock);
	switch (cmd) {
	case KRP_CMD_ADD:
		ret = krp_add(names, n);
		break;
	case KRP_CMD_DEL:
		ret = krp_del(names, n);
		break;
	case KRP_CMD_RESET:
		ret = krp_reset(names, n);
		break;
	}
	mutex_unlock(&krp_lock);
out:
	kvfree(names);
	return ret ? ret : count;
}

static struct bin_attribute bin_attr_funcs =
	__BIN_ATTR(funcs, 0644, funcs_read, funcs_write, 0);

static struct bin_attribute *krp_bin_attrs[] = {
	&bin_attr_stats,
	&bin_attr_stats_ext,
	&bin_attr_funcs,
	NULL,
};

static const struct attribute_group krp_group = {
	.bin_attrs = krp_bin_attrs,
};

static const struct attribute_group *krp_groups[] = {
	&krp_group,
	NULL,
};

/* ---- snapshot fields ---- */

static const char * const krp_keys[] = {
	"krp_functions",
	"krp_calls",
};

static void krp_snapshot(const struct tk_feature *feat, u64 *vals)
{
	struct krp_totals *tot = &krp_tot;
	struct krp_func *f;

	mutex_lock(&krp_lock);
	list_for_each_entry(f, &krp_funcs, node) {
		if (f->mech == KRP_MECH_NONE)
			continue;
		krp_func_sum(f, tot, false);
		vals[0]++;
		vals[1] += tot->count;
	}
	mutex_unlock(&krp_lock);
}

static struct tk_feature krp_feature = {
	.name = "krp",
	.owner = THIS_MODULE,
	.device = "profiler",
	.groups = krp_groups,
	.snap_keys = krp_keys,
	.nr_snap_keys = ARRAY_SIZE(krp_keys),
	.snapshot = krp_snapshot,
};

/* ---- load and unload ---- */

static void krp_free_all(void)
{
	struct krp_func *f, *tmp;

	list_for_each_entry_safe(f, tmp, &krp_funcs, node) {
		list_del(&f->node);
		krp_func_free(f);
	}
	krp_nr_funcs = 0;
}

/* Probe every name of funcs=; report the ones that fail. */
static int krp_load_funcs(void)
{
	struct krp_name *names;
	unsigned int n, i, active = 0;
	struct krp_func *f;
	int ret, first_err = 0;

	if (!krp_param_funcs)
		return 0;
	names = kvmalloc_array(KRP_MAX_FUNCS, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	ret = krp_split_names(krp_param_funcs, strlen(krp_param_funcs), names,
			      KRP_MAX_FUNCS, &n);
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		f = krp_func_new(names[i].s);
		if (!f) {
			ret = -ENOMEM;
			goto out;
		}
		list_add_tail(&f->node, &krp_funcs);
		krp_nr_funcs++;
		if (krp_func_start(f)) {
			pr_warn("cannot profile %s (%s): %s (%d)\n", f->name,
				f->target, krp_reason(f->err), f->err);
			if (!first_err)
				first_err = f->err;
			continue;
		}
		active++;
	}
	if (n && !active) {
		pr_err("none of the %u functions in funcs= can be profiled\n", n);
		ret = first_err;
	}
out:
	kvfree(names);
	return ret;
}

static int __init krp_init(void)
{
	int ret;

	if (!strcmp(krp_param_mech, "auto")) {
		krp_want = KRP_WANT_AUTO;
	} else if (!strcmp(krp_param_mech, "kretprobe")) {
		krp_want = KRP_WANT_KRETPROBE;
	} else if (!strcmp(krp_param_mech, "fprobe")) {
		if (!TK_HAVE_FPROBE) {
			pr_err("mech=fprobe: this kernel has no usable fprobe\n");
			return -EOPNOTSUPP;
		}
		krp_want = KRP_WANT_FPROBE;
	} else {
		pr_err("mech=%s: expected auto, fprobe or kretprobe\n",
		       krp_param_mech);
		return -EINVAL;
	}

	tk_textfile_init(&krp_stats_tf);
	tk_textfile_init(&krp_stats_ext_tf);
	tk_textfile_init(&krp_funcs_tf);
	ret = krp_load_funcs();
	if (ret)
		goto err;
	ret = tk_register_feature(&krp_feature);
	if (ret)
		goto err;
	return 0;
err:
	krp_free_all();
	return ret;
}

static void __exit krp_exit(void)
{
	tk_unregister_feature(&krp_feature);
	krp_free_all();
	tk_textfile_destroy(&krp_stats_tf);
	tk_textfile_destroy(&krp_stats_ext_tf);
	tk_textfile_destroy(&krp_funcs_tf);
}

module_init(krp_init);
module_exit(krp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Kernel routine profiler: call counts and durations of chosen kernel functions");
MODULE_VERSION(TK_VERSION);
