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
 * calls into the feature again.
 *
 * Every symbol here is exported with EXPORT_SYMBOL_GPL.  Using any of them
 * makes the feature module depend on tkcore, so depmod/modprobe load tkcore
 * first and the kernel refuses to unload tkcore while a feature is loaded.
 */
#ifndef _TKCORE_TKCORE_H
#define _TKCORE_TKCORE_H

#include <linux/types.h>
#include <linux/list.h>
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
	u16 key_ids[TK_FEATURE_MAX_KEYS];
};

int tk_register_feature(struct tk_feature *feat);
void tk_unregister_feature(struct tk_feature *feat);
struct device *tk_feature_dev(const struct tk_feature *feat);

/* Strict parsers for sysfs and module-parameter input: see core/tk_parse.c. */
#include <tkcore/parse.h>

#endif /* _TKCORE_TKCORE_H */
