// SPDX-License-Identifier: GPL-2.0
/*
 * tkcore_main.c - the core of the Kernel Telemetry Kit.
 *
 * tkcore owns the sysfs class "qeexo" (/sys/class/qeexo) and two devices in
 * it from load to unload:
 *
 *   telemetry/  enable, log_interval, ring_size, snapshot, features, top_n,
 *               procnet, procnet_overflow
 *   profiler/   empty until krp and kmp add their files
 *   events/     producers, rejects, dropped, buffer_kb, readers: the
 *               telemetry event API of events.c
 *
 * enable and log_interval are also reachable at /sys/kernel/telemetry/ (the
 * paths of the original telemetry module).  The snapshot ring behind
 * /proc/telemetry lives in snapshot.c, the system view /proc/kmonpro in
 * kmonpro.c and per-process socket accounting in procnet.c.
 *
 * Feature modules register a struct tk_feature (see <tkcore/tkcore.h>).  A
 * feature's attribute groups go under /sys/class/qeexo/<device>/; a device
 * other than the three above is created by its first feature and removed
 * with its last.  uevents: a device is added with its KOBJ_ADD held back
 * (dev_set_uevent_suppress()) and announced once its files exist: tkcore's
 * own at load, a feature's after sysfs_create_groups().  A feature adding
 * files to a device that user space already knows, or removing them from
 * one that stays, sends KOBJ_CHANGE after the files changed.
 *
 * Notes on locking
 * ----------------
 *
 * - tk_lock (mutex): the feature list, the qeexo devices and their users
 *   counts, the interned key names, and the calls of the snapshot hooks by
 *   the sampler (snapshot.c), which skips a feature marked stopping.
 * - The sysfs methods of a feature's files run with an active reference on
 *   their kernfs node, and sysfs_remove_groups() waits for those to drop.
 *   Such a method may take long (kmp's memleaks scan, tksample's emit), and
 *   tkcore's own methods (features) take tk_lock, so tk_lock is never held
 *   while a feature's files are removed.  tk_unregister_feature() runs in
 *   three steps:
 *   1. under tk_lock: mark the feature stopping.  The sampler and the
 *      features file skip it from now on; it stays on the list and on its
 *      device (users), so its name and keys stay taken (a concurrent
 *      register of the same name gets -EEXIST) and the device cannot go.
 *   2. without a lock: sysfs_remove_groups().  A long method notices
 *      tk_feature_stopping() and returns.  A concurrent register of another
 *      feature on the same device may add its groups meanwhile; sysfs keeps
 *      two groups apart (a name clash is that register's -EEXIST).
 *   3. under tk_lock: unlist the feature, drop its use of the device
 *      (device_unregister() by the last user) or send KOBJ_CHANGE.
 *   A second unregister of the same feature is a caller's bug (WARN).
 * - Lock order: tk_ctl_lock -> tk_sample_lock -> tk_lock -> tk_ring_lock
 *   (snapshot.c); the kernfs active references of tkcore's own files come
 *   before tk_lock (features_show()), never after it.
 *
 * Lifetimes: a feature module uses tkcore's exported symbols, so the module
 * loader keeps tkcore loaded for as long as any feature module is loaded;
 * module_exit() of tkcore therefore never sees a registered feature.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <tkcore/compat.h>
#include <tkcore/version.h>
#include "tkcore_internal.h"

/* Registration, the qeexo devices and the snapshot hooks: see above. */
DEFINE_MUTEX(tk_lock);
LIST_HEAD(tk_features);

bool tk_enabled = true;
unsigned int tk_log_interval = 5;
unsigned int tk_ring_size = 10;

/* ---- module parameters: checked by the same strict parser as sysfs ---- */

/**
 * tk_param_set_range() - the set method of a TK_MODULE_PARAM_RANGE() parameter
 * @val: the value given at load
 * @kp: the parameter; its arg is a struct tk_param_range
 *
 * Return: 0, -EINVAL for malformed input, -ERANGE out of bounds.
 */
int tk_param_set_range(const char *val, const struct kernel_param *kp)
{
	const struct tk_param_range *r = kp->arg;
	u32 v;
	int ret;

	ret = tk_parse_u32_range(val, strlen(val), r->min, r->max, &v);
	if (ret)
		return ret;
	*r->val = v;
	return 0;
}
EXPORT_SYMBOL_GPL(tk_param_set_range);

/**
 * tk_param_get_range() - the get method of a TK_MODULE_PARAM_RANGE() parameter
 * @buf: a page to print the value into
 * @kp: the parameter; its arg is a struct tk_param_range
 *
 * Return: the length printed.
 */
int tk_param_get_range(char *buf, const struct kernel_param *kp)
{
	const struct tk_param_range *r = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", *r->val);
}
EXPORT_SYMBOL_GPL(tk_param_get_range);

static int tk_param_set_enable(const char *val, const struct kernel_param *kp)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(val, strlen(val), 0, 1, &v);
	if (ret)
		return ret;
	*(bool *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops tk_enable_ops = {
	.set = tk_param_set_enable,
	.get = param_get_bool,
};

TK_MODULE_PARAM_RANGE(ring_size, tk_ring_size, TK_RING_MIN, TK_RING_MAX, 0444);
MODULE_PARM_DESC(ring_size, "snapshots kept in /proc/telemetry (1..16384, default 10)");
TK_MODULE_PARAM_RANGE(log_interval, tk_log_interval, TK_INTERVAL_MIN,
		      TK_INTERVAL_MAX, 0444);
MODULE_PARM_DESC(log_interval, "seconds between snapshots (1..3600, default 5)");
module_param_cb(enable, &tk_enable_ops, &tk_enabled, 0444);
MODULE_PARM_DESC(enable, "take snapshots from load on (0 or 1, default 1)");
TK_MODULE_PARAM_RANGE(top_n, tk_top_n, 1, TK_TOP_N_MAX, 0444);
MODULE_PARM_DESC(top_n, "processes listed in /proc/kmonpro's top and nettop lines (1..100, default 10)");
module_param_cb(procnet, &tk_enable_ops, &tk_procnet_on, 0444);
MODULE_PARM_DESC(procnet, "per-process socket byte accounting from load on (0 or 1, default 0)");

/* ---- the control values, shared by both sysfs homes ---- */

static ssize_t tk_enable_store(const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, 0, 1, &v);
	if (!ret)
		ret = tk_set_enable(v);
	return ret ? ret : count;
}

static ssize_t tk_interval_store(const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, TK_INTERVAL_MIN, TK_INTERVAL_MAX,
				 &v);
	if (!ret)
		ret = tk_set_log_interval(v);
	return ret ? ret : count;
}

/* /sys/class/qeexo/telemetry/... */

static ssize_t enable_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tk_enabled));
}

static ssize_t enable_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	return tk_enable_store(buf, count);
}
static DEVICE_ATTR_RW(enable);

static ssize_t log_interval_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(tk_log_interval));
}

static ssize_t log_interval_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return tk_interval_store(buf, count);
}
static DEVICE_ATTR_RW(log_interval);

static ssize_t ring_size_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", tk_ring_size);
}
static DEVICE_ATTR_RO(ring_size);

/* Write-only: writing 1 takes one snapshot now. */
static ssize_t snapshot_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, 1, 1, &v);
	if (ret)
		return ret;
	tk_take_snapshot();
	return count;
}
static DEVICE_ATTR_WO(snapshot);

static ssize_t top_n_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(tk_top_n));
}

static ssize_t top_n_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, 1, TK_TOP_N_MAX, &v);
	if (ret)
		return ret;
	WRITE_ONCE(tk_top_n, v);
	return count;
}
static DEVICE_ATTR_RW(top_n);

static ssize_t procnet_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tk_procnet_on));
}

static ssize_t procnet_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, 0, 1, &v);
	if (!ret)
		ret = tk_procnet_set(v);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(procnet);

static ssize_t procnet_overflow_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", tk_procnet_overflow());
}
static DEVICE_ATTR_RO(procnet_overflow);

/*
 * One line per registered feature, not one being unregistered:
 * "<name> <module> <device>".  At most
 * TK_SNAP_MAX_EXTRA features can hold keys and each line is under 100
 * bytes, but the loop still stops cleanly at the end of the page.
 */
static ssize_t features_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct tk_feature *feat;
	int len = 0;

	mutex_lock(&tk_lock);
	list_for_each_entry(feat, &tk_features, node) {
		if (feat->stopping)
			continue;
		if (len >= PAGE_SIZE - 3 * (TK_NAME_MAX + 1) - 2)
			break;
		len += sysfs_emit_at(buf, len, "%s %s %s\n", feat->name,
				     feat->owner ? module_name(feat->owner) :
				     "builtin",
				     feat->device ? feat->device : feat->name);
	}
	mutex_unlock(&tk_lock);
	return len;
}
static DEVICE_ATTR_RO(features);

static struct attribute *tk_telemetry_attrs[] = {
	&dev_attr_enable.attr,
	&dev_attr_log_interval.attr,
	&dev_attr_ring_size.attr,
	&dev_attr_snapshot.attr,
	&dev_attr_features.attr,
	&dev_attr_top_n.attr,
	&dev_attr_procnet.attr,
	&dev_attr_procnet_overflow.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tk_telemetry);

/* /sys/kernel/telemetry/... */

static ssize_t kenable_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tk_enabled));
}

static ssize_t kenable_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	return tk_enable_store(buf, count);
}

static ssize_t kinterval_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(tk_log_interval));
}

static ssize_t kinterval_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	return tk_interval_store(buf, count);
}

static struct kobj_attribute tk_kenable_attr =
	__ATTR(enable, 0644, kenable_show, kenable_store);
static struct kobj_attribute tk_kinterval_attr =
	__ATTR(log_interval, 0644, kinterval_show, kinterval_store);

static struct attribute *tk_kernel_attrs[] = {
	&tk_kenable_attr.attr,
	&tk_kinterval_attr.attr,
	NULL,
};

static const struct attribute_group tk_kernel_group = {
	.attrs = tk_kernel_attrs,
};

/* ---- qeexo devices ---- */

/**
 * struct tk_qdev - a device of the qeexo class
 * @dev: the device; its release frees the tk_qdev
 * @node: entry in tk_qdevs
 * @users: features registered on it (or being unregistered), plus one if
 *	@builtin
 * @builtin: created by tkcore itself and kept until unload
 */
struct tk_qdev {
	struct device dev;
	struct list_head node;
	unsigned int users;
	bool builtin;
};

static struct class *tk_class;
static LIST_HEAD(tk_qdevs);
static struct kobject *tk_kernel_kobj;

static struct tk_qdev *tk_qdev_find(const char *name)
{
	struct tk_qdev *q;

	list_for_each_entry(q, &tk_qdevs, node)
		if (!strcmp(dev_name(&q->dev), name))
			return q;
	return NULL;
}

static void tk_qdev_release(struct device *dev)
{
	kfree(container_of(dev, struct tk_qdev, dev));
}

/*
 * Find or create the device @name.  A new device gets @groups (tkcore's own
 * files) from device_add(), but its KOBJ_ADD uevent is held back until
 * tk_qdev_announce(), once the first feature has added its files too: a
 * udev rule must see every file of the device when the event arrives (the
 * block layer's device_add_disk() does the same).  Caller holds tk_lock (or
 * is module init).
 */
static struct tk_qdev *tk_qdev_get(const char *name,
				   const struct attribute_group **groups)
{
	struct tk_qdev *q = tk_qdev_find(name);
	int ret;

	if (q) {
		q->users++;
		return q;
	}
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	device_initialize(&q->dev);
	q->dev.class = tk_class;
	q->dev.groups = groups;
	q->dev.release = tk_qdev_release;
	dev_set_uevent_suppress(&q->dev, true);
	ret = dev_set_name(&q->dev, "%s", name);
	if (!ret)
		ret = device_add(&q->dev);
	if (ret) {
		put_device(&q->dev);
		return ERR_PTR(ret);
	}
	q->users = 1;
	list_add_tail(&q->node, &tk_qdevs);
	return q;
}

/*
 * Tell user space that the files of @q are in place: KOBJ_ADD for a device
 * whose ADD was held back by tk_qdev_get(), KOBJ_CHANGE for one that user
 * space already knows.  Caller holds tk_lock (or is module init).
 */
static void tk_qdev_announce(struct tk_qdev *q)
{
	if (dev_get_uevent_suppress(&q->dev)) {
		dev_set_uevent_suppress(&q->dev, false);
		kobject_uevent(&q->dev.kobj, KOBJ_ADD);
	} else {
		kobject_uevent(&q->dev.kobj, KOBJ_CHANGE);
	}
}

/*
 * Drop a user of @q; the last one unregisters the device (KOBJ_REMOVE, or
 * nothing if its ADD was never sent).  Return: true if the device stays.
 * Caller holds tk_lock (or is module init/exit).
 */
static bool tk_qdev_put(struct tk_qdev *q)
{
	if (--q->users)
		return true;
	list_del(&q->node);
	device_unregister(&q->dev);
	return false;
}

/* ---- snapshot key names ---- */

#define TK_KEYS_MAX	256

/*
 * Interned key names.  Append-only: a name stays until tkcore unloads, so a
 * snapshot taken while a feature was loaded can still be printed after it
 * has gone.  Writers hold tk_lock; readers load tk_nr_keys with acquire.
 */
static char tk_keys[TK_KEYS_MAX][TK_NAME_MAX + 1];
static unsigned int tk_nr_keys;

const char *tk_key_name(u16 id)
{
	/* Pairs with the release in tk_key_intern(): the name is complete. */
	return id < smp_load_acquire(&tk_nr_keys) ? tk_keys[id] : "unknown";
}

static int tk_key_intern(const char *name)
{
	unsigned int i;

	for (i = 0; i < tk_nr_keys; i++)
		if (!strcmp(tk_keys[i], name))
			return i;
	if (tk_nr_keys == TK_KEYS_MAX)
		return -ENOSPC;
	strscpy(tk_keys[i], name, sizeof(tk_keys[i]));
	/* Publish the name only once it is written; see tk_key_name(). */
	smp_store_release(&tk_nr_keys, i + 1);
	return i;
}

/* ---- registration ---- */

static bool tk_name_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, TK_NAME_MAX + 1);
	if (!n || n > TK_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

static const char *tk_feature_devname(const struct tk_feature *feat)
{
	return feat->device ? feat->device : feat->name;
}

/* Is key @id in use by a registered feature?  Caller holds tk_lock. */
static bool tk_key_taken(u16 id)
{
	struct tk_feature *f;
	unsigned int i;

	list_for_each_entry(f, &tk_features, node)
		for (i = 0; i < f->nr_snap_keys; i++)
			if (f->key_ids[i] == id)
				return true;
	return false;
}

static unsigned int tk_keys_in_use(void)
{
	struct tk_feature *f;
	unsigned int n = 0;

	list_for_each_entry(f, &tk_features, node)
		n += f->nr_snap_keys;
	return n;
}

static int tk_feature_check(const struct tk_feature *feat)
{
	unsigned int i, j;

	if (!tk_name_valid(feat->name) ||
	    !tk_name_valid(tk_feature_devname(feat)))
		return -EINVAL;
	if (feat->nr_snap_keys > TK_FEATURE_MAX_KEYS)
		return -E2BIG;
	if (feat->nr_snap_keys && (!feat->snap_keys || !feat->snapshot))
		return -EINVAL;
	for (i = 0; i < feat->nr_snap_keys; i++) {
		if (!tk_name_valid(feat->snap_keys[i]))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(feat->snap_keys[i], feat->snap_keys[j]))
				return -EINVAL;
	}
	return 0;
}

/**
 * tk_register_feature() - plug a feature module into tkcore
 * @feat: the feature's description; see struct tk_feature
 *
 * Creates /sys/class/qeexo/<device>/ if needed, adds @feat->groups there and
 * starts adding @feat's keys to every new snapshot.  A device created here
 * sends its KOBJ_ADD uevent only once @feat's files exist; adding files to
 * an existing device sends KOBJ_CHANGE after they exist.  On failure
 * nothing of it is left behind and no uevent is sent.
 *
 * Context: process context; takes tk_lock and may sleep.
 * Return: 0 on success; -EINVAL for a malformed @feat, -E2BIG for too many
 * keys, -EEXIST if the name, a key or an attribute is already taken (a name
 * and keys stay taken until tk_unregister_feature() of their feature has
 * returned), -ENOSPC when the snapshot has no room for more keys, -ENOMEM.
 */
int tk_register_feature(struct tk_feature *feat)
{
	struct tk_feature *f;
	struct tk_qdev *q;
	unsigned int i;
	int ret;

	ret = tk_feature_check(feat);
	if (ret)
		return ret;

	mutex_lock(&tk_lock);
	list_for_each_entry(f, &tk_features, node) {
		if (f == feat || !strcmp(f->name, feat->name)) {
			ret = -EEXIST;
			goto unlock;
		}
	}
	if (tk_keys_in_use() + feat->nr_snap_keys > TK_SNAP_MAX_EXTRA) {
		ret = -ENOSPC;
		goto unlock;
	}
	for (i = 0; i < feat->nr_snap_keys; i++) {
		ret = tk_key_intern(feat->snap_keys[i]);
		if (ret < 0)
			goto unlock;
		if (tk_key_taken(ret)) {
			ret = -EEXIST;
			goto unlock;
		}
		feat->key_ids[i] = ret;
	}

	q = tk_qdev_get(tk_feature_devname(feat), NULL);
	if (IS_ERR(q)) {
		ret = PTR_ERR(q);
		goto unlock;
	}
	if (feat->groups) {
		ret = sysfs_create_groups(&q->dev.kobj, feat->groups);
		if (ret) {
			tk_qdev_put(q);
			goto unlock;
		}
	}
	feat->qdev = q;
	WRITE_ONCE(feat->stopping, false);
	list_add_tail(&feat->node, &tk_features);
	/* ADD for a new device; CHANGE when files joined an existing one. */
	if (feat->groups || dev_get_uevent_suppress(&q->dev))
		tk_qdev_announce(q);
	ret = 0;
	pr_info("feature %s registered under %s\n", feat->name,
		dev_name(&q->dev));
unlock:
	mutex_unlock(&tk_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(tk_register_feature);

/**
 * tk_unregister_feature() - remove a feature registered with
 *	tk_register_feature()
 * @feat: the feature
 *
 * First marks @feat stopping (tk_feature_stopping() turns true and the
 * sampler no longer calls @feat->snapshot), then removes the feature's
 * sysfs groups, which waits for running show/store/read calls of those
 * files, without holding tkcore's lock: a long read or write of the
 * feature's files delays only this call, and only until it notices
 * tk_feature_stopping().  Then the device goes if no other feature uses it;
 * if it stays, it sends KOBJ_CHANGE.  Once this returns tkcore never calls
 * into @feat again.  Snapshots already in the ring keep the values the
 * feature gave them.
 *
 * Context: process context; takes tk_lock and may sleep.  Must not be
 * called from a sysfs method of the feature's own files.
 */
void tk_unregister_feature(struct tk_feature *feat)
{
	struct tk_qdev *q;

	mutex_lock(&tk_lock);
	q = feat->qdev;
	if (WARN_ON_ONCE(!q || feat->stopping)) {
		mutex_unlock(&tk_lock);
		return;
	}
	WRITE_ONCE(feat->stopping, true);
	mutex_unlock(&tk_lock);

	/* Waits for the feature's running sysfs methods: no tk_lock here. */
	if (feat->groups)
		sysfs_remove_groups(&q->dev.kobj, feat->groups);

	mutex_lock(&tk_lock);
	list_del(&feat->node);
	feat->qdev = NULL;
	if (tk_qdev_put(q) && feat->groups)
		kobject_uevent(&q->dev.kobj, KOBJ_CHANGE);
	pr_info("feature %s unregistered\n", feat->name);
	mutex_unlock(&tk_lock);
}
EXPORT_SYMBOL_GPL(tk_unregister_feature);

/**
 * tk_feature_stopping() - is the feature being unregistered?
 * @feat: a feature passed to tk_register_feature()
 *
 * A sysfs method of the feature that may run long (a scan, a loop of many
 * calls) should test this now and then and give up with -ENODEV when it
 * turns true: tk_unregister_feature(), and so the module's unload, waits
 * for the method to return.  Lockless; once true, it stays true until the
 * next tk_register_feature(@feat).
 *
 * Context: any.
 * Return: true from the start of tk_unregister_feature(@feat) on.
 */
bool tk_feature_stopping(const struct tk_feature *feat)
{
	return READ_ONCE(feat->stopping);
}
EXPORT_SYMBOL_GPL(tk_feature_stopping);

/**
 * tk_feature_yield() - a pause point for a long sysfs method of a feature
 * @feat: the feature whose method is running
 *
 * Call it every so often from a loop that can run long (a scan, many calls):
 * it says whether to give up and otherwise lets other tasks run.
 *
 * Context: process context; may sleep.
 * Return: -ENODEV once tk_unregister_feature(@feat) has begun (the unload
 * waits for the method), -EINTR with a fatal signal pending, else 0 after
 * cond_resched().
 */
int tk_feature_yield(const struct tk_feature *feat)
{
	if (tk_feature_stopping(feat))
		return -ENODEV;
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}
EXPORT_SYMBOL_GPL(tk_feature_yield);

/**
 * tk_feature_dev() - the qeexo device a registered feature's files live on
 * @feat: a registered feature
 *
 * Useful for sysfs_notify() or dev_*() logging.  The device may be shared
 * with other features (krp and kmp share "profiler"), so drvdata is not the
 * feature's to set.
 *
 * Return: the device, valid until tk_unregister_feature(@feat).
 */
struct device *tk_feature_dev(const struct tk_feature *feat)
{
	return feat->qdev ? &feat->qdev->dev : NULL;
}
EXPORT_SYMBOL_GPL(tk_feature_dev);

/* ---- the /proc files' gate ---- */

/*
 * A read of a /proc file whose entry has been removed fails with EIO: the
 * proc layer (fs/proc/inode.c, proc_reg_read_iter()) refuses every call on
 * a file left open across remove_proc_entry().  So unload first closes
 * /proc/telemetry and /proc/kmonpro to new opens (which then fail with
 * ENOENT, as after removal) and waits for the files already open to be
 * closed, at most TK_PROC_DRAIN: a reader that opens, reads and closes
 * gets its whole text.  Only a file held open for longer still sees EIO.
 */
#define TK_PROC_DRAIN	(2 * HZ)

static DEFINE_SPINLOCK(tk_proc_gate_lock);
static DECLARE_WAIT_QUEUE_HEAD(tk_proc_gate_wq);
static unsigned int tk_proc_open_files;	/* under tk_proc_gate_lock */
static bool tk_proc_closed;		/* under tk_proc_gate_lock */

bool tk_proc_enter(void)
{
	bool ok;

	spin_lock(&tk_proc_gate_lock);
	ok = !tk_proc_closed;
	if (ok)
		tk_proc_open_files++;
	spin_unlock(&tk_proc_gate_lock);
	return ok;
}

void tk_proc_leave(void)
{
	spin_lock(&tk_proc_gate_lock);
	if (!--tk_proc_open_files)
		wake_up_all(&tk_proc_gate_wq);
	spin_unlock(&tk_proc_gate_lock);
}

static bool tk_proc_idle(void)
{
	bool idle;

	spin_lock(&tk_proc_gate_lock);
	idle = !tk_proc_open_files;
	spin_unlock(&tk_proc_gate_lock);
	return idle;
}

/* Unload: no new opens; wait (bounded) for the open files to close. */
static void tk_proc_drain(void)
{
	spin_lock(&tk_proc_gate_lock);
	tk_proc_closed = true;
	spin_unlock(&tk_proc_gate_lock);
	if (!wait_event_timeout(tk_proc_gate_wq, tk_proc_idle(), TK_PROC_DRAIN))
		pr_info("unloading with /proc files still open: their next read fails with EIO\n");
}

/* ---- load and unload ---- */

static struct tk_qdev *tk_telemetry_qdev, *tk_profiler_qdev, *tk_events_qdev;

static int __init tkcore_init(void)
{
	int ret;

	tk_class = tk_class_create("qeexo");
	if (IS_ERR(tk_class))
		return PTR_ERR(tk_class);

	ret = tk_procnet_init();
	if (ret)
		goto err_class;
	ret = tk_kmon_init();
	if (ret)
		goto err_procnet;
	ret = tk_snapshot_init();
	if (ret)
		goto err_kmon;

	tk_telemetry_qdev = tk_qdev_get("telemetry", tk_telemetry_groups);
	if (IS_ERR(tk_telemetry_qdev)) {
		ret = PTR_ERR(tk_telemetry_qdev);
		goto err_snap;
	}
	tk_telemetry_qdev->builtin = true;
	tk_qdev_announce(tk_telemetry_qdev);
	tk_profiler_qdev = tk_qdev_get("profiler", NULL);
	if (IS_ERR(tk_profiler_qdev)) {
		ret = PTR_ERR(tk_profiler_qdev);
		goto err_telemetry;
	}
	tk_profiler_qdev->builtin = true;
	tk_qdev_announce(tk_profiler_qdev);

	ret = tk_events_init();
	if (ret)
		goto err_profiler;
	tk_events_qdev = tk_qdev_get("events", tk_events_groups);
	if (IS_ERR(tk_events_qdev)) {
		ret = PTR_ERR(tk_events_qdev);
		goto err_events;
	}
	tk_events_qdev->builtin = true;
	tk_qdev_announce(tk_events_qdev);

	tk_kernel_kobj = kobject_create_and_add("telemetry", kernel_kobj);
	if (!tk_kernel_kobj) {
		ret = -ENOMEM;
		goto err_events_qdev;
	}
	ret = sysfs_create_group(tk_kernel_kobj, &tk_kernel_group);
	if (ret)
		goto err_kobj;

	tk_snapshot_start();
	pr_info("loaded: ring_size=%u log_interval=%u enable=%d\n",
		tk_ring_size, tk_log_interval, tk_enabled);
	return 0;

err_kobj:
	kobject_put(tk_kernel_kobj);
err_events_qdev:
	tk_qdev_put(tk_events_qdev);
err_events:
	tk_events_exit();
err_profiler:
	tk_qdev_put(tk_profiler_qdev);
err_telemetry:
	tk_qdev_put(tk_telemetry_qdev);
err_snap:
	tk_snapshot_exit();
err_kmon:
	tk_kmon_exit();
err_procnet:
	tk_procnet_exit();
err_class:
	class_destroy(tk_class);
	return ret;
}

static void __exit tkcore_exit(void)
{
	/* Readers of /proc first: see tk_proc_drain(). */
	tk_proc_drain();
	/* Stop writers first: the sysfs files, then the sampler. */
	sysfs_remove_group(tk_kernel_kobj, &tk_kernel_group);
	kobject_put(tk_kernel_kobj);
	tk_qdev_put(tk_events_qdev);
	tk_events_exit();
	tk_qdev_put(tk_profiler_qdev);
	tk_qdev_put(tk_telemetry_qdev);
	tk_snapshot_exit();
	tk_kmon_exit();
	tk_procnet_exit();
	class_destroy(tk_class);
	pr_info("unloaded\n");
}

module_init(tkcore_init);
module_exit(tkcore_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Kernel Telemetry Kit core: qeexo class, snapshot ring, feature registration, telemetry events");
MODULE_VERSION(TK_VERSION);
