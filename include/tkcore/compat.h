/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference the Kernel Telemetry Kit meets.
 *
 * Feature code never tests LINUX_VERSION_CODE itself: it calls the tk_*
 * wrappers below, and this file alone maps them onto the running kernel's
 * API.  This follows LTTng-modules' wrapper/ layer.  When a new kernel
 * changes an API we use, the change lands here and nowhere else.
 */
#ifndef _TKCORE_COMPAT_H
#define _TKCORE_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/sched.h>

/*
 * class_create() lost its owner argument in 6.4.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define tk_class_create(name)	class_create(name)
#else
#define tk_class_create(name)	class_create(THIS_MODULE, name)
#endif

/*
 * Probe prototype of the sched_switch tracepoint.  The prev_state argument
 * was added in 5.18; every kernel we support has it.
 */
#define TK_SCHED_SWITCH_ARGS						\
	void *data, bool preempt, struct task_struct *prev,		\
	struct task_struct *next, unsigned int prev_state

/*
 * The attribute argument of a bin_attribute's read() method (it becomes
 * const in newer kernels).
 */
#define TK_BIN_ATTR_PTR		struct bin_attribute *

#endif /* _TKCORE_COMPAT_H */
