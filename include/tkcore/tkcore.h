/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tkcore.h - the contract between tkcore.ko and every feature module.
 *
 * A feature module (krp, kmp, irqstat, leaksim, ...) describes itself with a
 * struct tk_feature and hands it to tk_register_feature().  tkcore then
 *   - adds the feature's attribute groups under /sys/class/qeexo/<device>/,
 *     creating that device on first use and removing it with its last user;
 *   - calls the feature's snapshot hook from the sampler, so that every
 *     entry of the snapshot ring (/proc/telemetry) carries the feature's own
 *     key=value fields.
 * tk_unregister_feature() undoes all of it; once it returns, tkcore never
 * calls into the feature again.  It waits for running reads and writes of
 * the feature's files; a sysfs method that can run long calls
 * tk_feature_yield() now and then and returns its error (-ENODEV once
 * tk_feature_stopping() is true), so that the module's unload is not held
 * up.
 *
 * uevents: a qeexo device created for a feature sends KOBJ_ADD only once
 * the feature's files exist; a feature joining or leaving a device that
 * stays (tkcore's "profiler", or one shared with another feature) sends
 * KOBJ_CHANGE after its files were added or removed.
 *
 * Every symbol here is exported with EXPORT_SYMBOL_GPL.  Using any of them
 * makes the feature module depend on tkcore, so depmod/modprobe load tkcore
 * first and the kernel refuses to unload tkcore while a feature is loaded.
 */
#ifndef _TKCORE_TKCORE_H
#define _TKCORE_TKCORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <tkcore/compat.h>
#include <linux/device.h>
#include <linux/sysfs.h>

struct module;
struct tk_qdev;

/* Longest feature, device or snapshot key name, without the NUL. */
#define TK_NAME_MAX		31
/* Most snapshot keys one feature may add. */
#define TK_FEATURE_MAX_KEYS	8
/* Most snapshot keys all registered features together may add. */
#define TK_SNAP_MAX_EXTRA	32

/**
 * struct tk_feature - a feature module's registration with tkcore
 * @name: feature name, 1..TK_NAME_MAX characters of [a-z0-9_]; unique
 * @owner: the module that implements the feature (THIS_MODULE)
 * @device: name of the qeexo device the @groups go under, e.g. "profiler";
 *	NULL means a device named after the feature
 * @groups: NULL-terminated attribute groups, or NULL for none
 * @snap_keys: names of the fields the feature adds to each snapshot, each
 *	1..TK_NAME_MAX characters of [a-z0-9_], unique across all features
 * @nr_snap_keys: number of @snap_keys, at most TK_FEATURE_MAX_KEYS
 * @snapshot: fills vals[0..@nr_snap_keys) for one snapshot.  Called from the
 *	sampler's workqueue, in process context, with tkcore's registration
 *	mutex held: it may sleep but must not register or unregister features.
 *	Required when @nr_snap_keys is non-zero.
 *
 * The structure must stay allocated and unchanged from registration until
 * tk_unregister_feature() returns; a static variable in the module is usual.
 */
struct tk_feature {
	const char *name;
	struct module *owner;
	const char *device;
	const struct attribute_group **groups;
	const char * const *snap_keys;
	unsigned int nr_snap_keys;
	void (*snapshot)(const struct tk_feature *feat, u64 *vals);

	/* private: */
	struct list_head node;
	struct tk_qdev *qdev;
	bool stopping;
	u16 key_ids[TK_FEATURE_MAX_KEYS];
};

/**
 * struct tk_text - a text being produced by a tk_textfile's fill()
 * @buf: the buffer
 * @len: bytes used
 * @size: bytes available
 * @overflow: set by tk_text_printf() when text did not fit
 */
struct tk_text {
	char *buf;
	size_t len;
	size_t size;
	bool overflow;
};

/**
 * struct tk_textfile - a read-only sysfs file of any length
 * @fill: writes the whole text with tk_text_printf() and returns 0, or a
 *	negative errno that the read returns.  Called at each read from offset
 *	0, in process context, with the textfile's mutex held; may sleep.  It
 *	may be called again with a larger buffer when the text overflowed.
 * @size_hint: optional; the expected text size, to avoid retries
 *
 * Expose it with TK_TEXTFILE_ATTR(); see core/textfile.c.
 */
struct tk_textfile {
	int (*fill)(struct tk_textfile *tf, struct tk_text *t);
	size_t (*size_hint)(struct tk_textfile *tf);
	/* private: */
	struct mutex lock;
	struct list_head readers;
	unsigned int nr_readers;
	char *spare;
	size_t spare_size;
};

__printf(2, 3) void tk_text_printf(struct tk_text *t, const char *fmt, ...);
void tk_textfile_init(struct tk_textfile *tf);
ssize_t tk_textfile_read(struct tk_textfile *tf, struct file *filp, char *buf,
			 loff_t off, size_t count);
void tk_textfile_destroy(struct tk_textfile *tf);

/*
 * TK_TEXTFILE_ATTR(name, mode, tf) defines bin_attr_<name>, a binary sysfs
 * attribute served by the struct tk_textfile @tf.  Put &bin_attr_<name> in
 * an attribute group's .bin_attrs.
 */
#define TK_TEXTFILE_ATTR(_name, _mode, _tf)				\
static ssize_t _name##_read(struct file *filp, struct kobject *kobj,	\
			    TK_BIN_ATTR_PTR attr, char *buf,		\
			    loff_t off, size_t count)			\
{									\
	return tk_textfile_read(&(_tf), filp, buf, off, count);		\
}									\
static struct bin_attribute bin_attr_##_name =				\
	__BIN_ATTR(_name, _mode, _name##_read, NULL, 0)

/**
 * struct tk_param_range - an unsigned int module parameter and its bounds
 * @val: the variable
 * @min: smallest accepted value
 * @max: largest accepted value
 *
 * Declared by TK_MODULE_PARAM_RANGE().
 */
struct tk_param_range {
	unsigned int *val;
	u32 min;
	u32 max;
};

struct kernel_param;
int tk_param_set_range(const char *val, const struct kernel_param *kp);
int tk_param_get_range(char *buf, const struct kernel_param *kp);

/*
 * TK_MODULE_PARAM_RANGE(name, var, min, max, perm) declares the module
 * parameter @name for the unsigned int @var, parsed as strictly as every
 * sysfs file of the kit (tk_parse_u32_range()): a bad value fails the load.
 */
#define TK_MODULE_PARAM_RANGE(name, var, lo, hi, perm)			\
static struct tk_param_range __tk_range_##name = {			\
	.val = &(var), .min = (lo), .max = (hi),			\
};									\
static const struct kernel_param_ops __tk_range_ops_##name = {		\
	.set = tk_param_set_range,					\
	.get = tk_param_get_range,					\
};									\
module_param_cb(name, &__tk_range_ops_##name, &__tk_range_##name, perm)

int tk_register_feature(struct tk_feature *feat);
void tk_unregister_feature(struct tk_feature *feat);
bool tk_feature_stopping(const struct tk_feature *feat);
int tk_feature_yield(const struct tk_feature *feat);
struct device *tk_feature_dev(const struct tk_feature *feat);

/* Strict parsers for sysfs and module-parameter input: see core/tk_parse.c. */
#include <tkcore/parse.h>

/* The telemetry event API: see core/events.c. */
#include <tkcore/events.h>

#endif /* _TKCORE_TKCORE_H */
