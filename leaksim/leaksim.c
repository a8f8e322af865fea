// SPDX-License-Identifier: GPL-2.0
/*
 * leaksim.c - deliberate, counted kernel memory leaks.
 *
 * leaksim exists to give leak detectors (kmemleak, and the kit's own kmp)
 * something real to find.  At load it allocates kmalloc_dropped blocks of
 * LEAKSIM_BLOCK bytes with kmalloc() and forgets their addresses, as the
 * original telemetry module did with one block.  Those blocks stay leaked
 * after unload: that is the point.  The control file for leaks on demand,
 * vmalloc leaks and held blocks come with kmp.
 *
 * It is also the first feature module of tkcore: it registers the device
 * /sys/class/qeexo/leaksim/ with the file kmalloc_dropped (blocks leaked so
 * far by this instance) and adds leaksim_kmalloc_dropped to every snapshot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>

#define LEAKSIM_BLOCK		64
#define LEAKSIM_MAX_BLOCKS	4096

static unsigned int kmalloc_dropped = 1;
static atomic_long_t leaksim_dropped = ATOMIC_LONG_INIT(0);

static int leaksim_param_set(const char *val, const struct kernel_param *kp)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(val, strlen(val), 0, LEAKSIM_MAX_BLOCKS, &v);
	if (ret)
		return ret;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops leaksim_count_ops = {
	.set = leaksim_param_set,
	.get = param_get_uint,
};

module_param_cb(kmalloc_dropped, &leaksim_count_ops, &kmalloc_dropped, 0444);
MODULE_PARM_DESC(kmalloc_dropped,
		 "kmalloc blocks to leak at load (0..4096, default 1)");

static void leaksim_leak_kmalloc(unsigned int n)
{
	unsigned int i;
	char *p;

	for (i = 0; i < n; i++) {
		p = kmalloc(LEAKSIM_BLOCK, GFP_KERNEL);
		if (!p)
			break;
		/* Something recognisable in a kmemleak hex dump. */
		strscpy(p, "leaksim dropped block", LEAKSIM_BLOCK);
		atomic_long_inc(&leaksim_dropped);
		/* The address is forgotten here, on purpose. */
	}
}

static ssize_t kmalloc_dropped_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&leaksim_dropped));
}
static DEVICE_ATTR_RO(kmalloc_dropped);

static struct attribute *leaksim_attrs[] = {
	&dev_attr_kmalloc_dropped.attr,
	NULL,
};
ATTRIBUTE_GROUPS(leaksim);

static const char * const leaksim_keys[] = {
	"leaksim_kmalloc_dropped",
};

static void leaksim_snapshot(const struct tk_feature *feat, u64 *vals)
{
	vals[0] = atomic_long_read(&leaksim_dropped);
}

static struct tk_feature leaksim_feature = {
	.name = "leaksim",
	.owner = THIS_MODULE,
	.groups = leaksim_groups,
	.snap_keys = leaksim_keys,
	.nr_snap_keys = ARRAY_SIZE(leaksim_keys),
	.snapshot = leaksim_snapshot,
};

static int __init leaksim_init(void)
{
	int ret;

	ret = tk_register_feature(&leaksim_feature);
	if (ret) {
		pr_err("cannot register with tkcore: %d\n", ret);
		return ret;
	}
	leaksim_leak_kmalloc(kmalloc_dropped);
	if (kmalloc_dropped)
		pr_info("leaked %ld kmalloc block(s) of %d bytes on purpose\n",
			atomic_long_read(&leaksim_dropped), LEAKSIM_BLOCK);
	return 0;
}

static void __exit leaksim_exit(void)
{
	tk_unregister_feature(&leaksim_feature);
}

module_init(leaksim_init);
module_exit(leaksim_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Deliberate kernel memory leaks for exercising leak detectors");
MODULE_VERSION(TK_VERSION);
