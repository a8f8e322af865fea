// SPDX-License-Identifier: GPL-2.0
/*
 * tkirqnest.c - nested interrupt handlers on demand, for irqstat's tests.
 *
 * At load it allocates TKN_LINES software interrupt lines (irq_alloc_descs()
 * on dummy_irq_chip with handle_simple_irq, as a demultiplexing driver's
 * child lines are) and requests a handler on each, IRQF_NO_THREAD so that
 * they run in hard interrupt context even on a kernel booted with
 * threadirqs.  Line 0 is shared by two handlers ("tkirqnest0", then
 * "tkirqnest0b", which does nothing and returns IRQ_NONE), so that an
 * outer line has an action after the one that nests.
 *
 * "run N DEPTH" written to the root-only /sys/class/qeexo/tkirqnest/control
 * (N 1..100000, DEPTH 1..TKN_LINES) does N times: queue an irq_work (hard
 * interrupt context, interrupts off, on this CPU) that calls
 * generic_handle_irq() on line 0.  The handler of line L spins (the
 * kernel's delay loop) for half its time, calls generic_handle_irq() on
 * line L+1 when L+1 < DEPTH, then spins the other half: line 0 spins
 * 200 us, the others 100 us each, so that line L's handler contains all of
 * the lines below it.  The write waits for each round; it fails with the errno of
 * generic_handle_irq() if one failed, ENODEV when the module is being
 * unloaded.  A run first zeroes the figures of lines, which then hold,
 * per line:
 *
 *   level=L irq=I calls=C own_ns=O span_ns=S
 *
 * calls: calls of the line's first handler; own_ns: time it spun
 * (local_clock(), the same clock as irqstat's); span_ns: local_clock() from
 * its first to its last instruction, nested lines included.  The first line
 * of the file is "base=B lines=TKN_LINES runs=R depth=D", the lines of the
 * last run.
 *
 * One more line, tkirqnestT (irq base + TKN_LINES), has a threaded handler
 * (request_threaded_irq() with the default primary handler and IRQF_ONESHOT,
 * which no kernel forces into another thread): its thread function, in the
 * kthread irq/I-tkirqnestT, spins 300 us.  "thread N" (N 1..100000) does N
 * times: an irq_work calls generic_handle_irq() on that line, and the write
 * waits for the thread function to finish (ETIMEDOUT after 10 s).  The
 * root-only file "thread" then holds "irq=I runs=R calls=C own_ns=O" for
 * that run: own_ns is the local_clock() time the thread function spun.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/clock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>
#include "sample_cmd.h"

#define TKN_LINES	10
#define TKN_CTL_MAX	32
#define TKN_RUNS_MAX	100000
#define TKN_OUTER_NS	(200 * NSEC_PER_USEC)
#define TKN_INNER_NS	(100 * NSEC_PER_USEC)
#define TKN_THREAD_US	300
#define TKN_THREAD_WAIT	(10 * HZ)

/**
 * struct tkn_line - one software interrupt line and its handler's figures
 * @level: position in the nest, 0 outermost
 * @calls: calls of its first handler in the last run
 * @own_ns: time that handler spun
 * @span_ns: time from its first to its last instruction
 *
 * Written by the handlers (hard interrupt context, one run at a time under
 * tkn_lock), read by lines_show() under tkn_lock after the run.
 */
struct tkn_line {
	unsigned int level;
	u64 calls;
	u64 own_ns;
	u64 span_ns;
};

static struct tkn_line tkn_line[TKN_LINES];
static struct tkn_line tkn_thr;	/* the threaded line; its thread writes it */
static u32 tkn_thr_runs;
static DECLARE_COMPLETION(tkn_thr_done);
static char tkn_names[TKN_LINES][16];
static int tkn_dev_b;		/* dev_id of line 0's second handler */
static int tkn_base = -1;
static unsigned int tkn_depth;
static u32 tkn_runs;
static int tkn_err;
static DEFINE_MUTEX(tkn_lock);	/* one run at a time; the figures */
static struct tk_feature tkn_feature;

/*
 * Spin @ns with the kernel's delay loop (on x86 the TSC itself), which
 * needs no interrupt.  Not on a clock: with interrupts off, local_clock()
 * (unstable scheduler clock, Debian's 6.1 in the emulated test guest) and
 * the monotonic clock (jiffies, once the clocksource watchdog has rejected
 * the TSC under a busy emulator) may not advance at all, and a spin on them
 * would never end.  The figures are local_clock()'s, irqstat's clock, which
 * is monotonic per CPU: a handler's span then contains what it spans in
 * irqstat's figures too.
 */
static void tkn_spin(u64 ns)
{
	ndelay(ns);
}

static irqreturn_t tkn_handler(int irq, void *dev_id)
{
	struct tkn_line *ln = dev_id;
	u64 half = (ln->level ? TKN_INNER_NS : TKN_OUTER_NS) / 2;
	u64 t0, t1, t2, t3;
	int ret;

	t0 = local_clock();
	tkn_spin(half);
	t1 = local_clock();
	if (ln->level + 1 < READ_ONCE(tkn_depth)) {
		ret = generic_handle_irq(tkn_base + ln->level + 1);
		if (ret)
			WRITE_ONCE(tkn_err, ret);
	}
	t2 = local_clock();
	tkn_spin(half);
	t3 = local_clock();
	ln->calls++;
	ln->own_ns += (t1 - t0) + (t3 - t2);
	ln->span_ns += t3 - t0;
	return IRQ_HANDLED;
}

/* Line 0's second action: a shared line's handler whose device was quiet. */
static irqreturn_t tkn_handler_b(int irq, void *dev_id)
{
	return IRQ_NONE;
}

/* Hard interrupt context, interrupts off: the demultiplexer's own entry. */
static void tkn_work_fn(struct irq_work *w)
{
	int ret = generic_handle_irq(tkn_base);

	if (ret)
		WRITE_ONCE(tkn_err, ret);
}

static struct irq_work tkn_work = IRQ_WORK_INIT_HARD(tkn_work_fn);

/* The threaded line's thread function (irq/I-tkirqnestT, preemptible). */
static irqreturn_t tkn_thread_fn(int irq, void *dev_id)
{
	u64 t0, t1;

	t0 = local_clock();
	udelay(TKN_THREAD_US);
	t1 = local_clock();
	tkn_thr.calls++;
	tkn_thr.own_ns += t1 - t0;
	tkn_thr.span_ns += t1 - t0;
	complete(&tkn_thr_done);
	return IRQ_HANDLED;
}

static void tkn_thr_work_fn(struct irq_work *w)
{
	int ret = generic_handle_irq(tkn_base + TKN_LINES);

	if (ret)
		WRITE_ONCE(tkn_err, ret);
}

static struct irq_work tkn_thr_work = IRQ_WORK_INIT_HARD(tkn_thr_work_fn);

static int tkn_thread_run(u32 n)
{
	u32 i;
	int ret = 0;

	memset(&tkn_thr, 0, sizeof(tkn_thr));
	WRITE_ONCE(tkn_err, 0);
	tkn_thr_runs = 0;
	for (i = 0; i < n && !ret; i++) {
		reinit_completion(&tkn_thr_done);
		irq_work_queue(&tkn_thr_work);
		irq_work_sync(&tkn_thr_work);
		ret = READ_ONCE(tkn_err);
		if (!ret && !wait_for_completion_timeout(&tkn_thr_done,
							 TKN_THREAD_WAIT))
			ret = -ETIMEDOUT;
		if (!ret)
			tkn_thr_runs++;
		if (!ret && !(i & 63))
			ret = tk_feature_yield(&tkn_feature);
	}
	return ret;
}

static int tkn_run(u32 n, u32 depth)
{
	u32 i;
	int ret = 0;

	memset(tkn_line, 0, sizeof(tkn_line));
	for (i = 0; i < TKN_LINES; i++)
		tkn_line[i].level = i;
	WRITE_ONCE(tkn_depth, depth);
	WRITE_ONCE(tkn_err, 0);
	tkn_runs = 0;
	for (i = 0; i < n && !ret; i++) {
		irq_work_queue(&tkn_work);
		irq_work_sync(&tkn_work);
		ret = READ_ONCE(tkn_err);
		if (!ret)
			tkn_runs++;
		/* Unload waits for this write: give way to it. */
		if (!ret && !(i & 63))
			ret = tk_feature_yield(&tkn_feature);
	}
	return ret;
}

/* ---- files ---- */

static ssize_t control_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	char cmd[TKN_CTL_MAX + 1], *arg, *arg2;
	u32 n, depth;
	int ret;

	ret = tk_sample_cmd(buf, count, cmd, TKN_CTL_MAX, &arg, &arg2);
	if (ret)
		return ret;
	if (!strcmp(cmd, "thread") && arg && !arg2) {
		ret = tk_parse_u32_range(arg, strlen(arg), 1, TKN_RUNS_MAX, &n);
		if (ret)
			return ret;
		mutex_lock(&tkn_lock);
		ret = tkn_thread_run(n);
		mutex_unlock(&tkn_lock);
		return ret ?: count;
	}
	if (strcmp(cmd, "run") || !arg || !arg2)
		return -EINVAL;
	ret = tk_parse_u32_range(arg, strlen(arg), 1, TKN_RUNS_MAX, &n);
	if (!ret)
		ret = tk_parse_u32_range(arg2, strlen(arg2), 1, TKN_LINES,
					 &depth);
	if (ret)
		return ret;
	mutex_lock(&tkn_lock);
	ret = tkn_run(n, depth);
	mutex_unlock(&tkn_lock);
	return ret ?: count;
}
static DEVICE_ATTR_WO(control);

static ssize_t lines_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	int len, i;

	mutex_lock(&tkn_lock);
	len = sysfs_emit(buf, "base=%d lines=%d runs=%u depth=%u\n", tkn_base,
			 TKN_LINES, tkn_runs, tkn_depth);
	for (i = 0; i < TKN_LINES; i++)
		len += sysfs_emit_at(buf, len,
				     "level=%u irq=%d calls=%llu own_ns=%llu span_ns=%llu\n",
				     i, tkn_base + i, tkn_line[i].calls,
				     tkn_line[i].own_ns, tkn_line[i].span_ns);
	mutex_unlock(&tkn_lock);
	return len;
}
static DEVICE_ATTR_RO(lines);

static ssize_t thread_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	int len;

	mutex_lock(&tkn_lock);
	len = sysfs_emit(buf, "irq=%d runs=%u calls=%llu own_ns=%llu\n",
			 tkn_base + TKN_LINES, tkn_thr_runs, tkn_thr.calls,
			 tkn_thr.own_ns);
	mutex_unlock(&tkn_lock);
	return len;
}
static DEVICE_ATTR_ADMIN_RO(thread);

static struct attribute *tkn_attrs[] = {
	&dev_attr_control.attr,
	&dev_attr_lines.attr,
	&dev_attr_thread.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tkn);

static struct tk_feature tkn_feature = {
	.name = "tkirqnest",
	.owner = THIS_MODULE,
	.groups = tkn_groups,
};

/* ---- load and unload ---- */

/*
 * Free the handlers of lines below @n (TKN_LINES + 1: the threaded line's
 * too), then every descriptor.
 */
static void tkn_free(int n)
{
	int i;

	if (n > TKN_LINES)
		free_irq(tkn_base + TKN_LINES, &tkn_thr);
	for (i = min(n, TKN_LINES) - 1; i >= 0; i--) {
		if (!i)
			free_irq(tkn_base, &tkn_dev_b);
		free_irq(tkn_base + i, &tkn_line[i]);
	}
	irq_free_descs(tkn_base, TKN_LINES + 1);
}

/* The threaded line: no primary handler, so that none is forced. */
static int tkn_setup_thread_line(void)
{
	unsigned int irq = tkn_base + TKN_LINES;

	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	irq_clear_status_flags(irq, IRQ_NOREQUEST | IRQ_NOPROBE);
	return request_threaded_irq(irq, NULL, tkn_thread_fn, IRQF_ONESHOT,
				    "tkirqnestT", &tkn_thr);
}

static int tkn_setup_line(int i)
{
	unsigned int irq = tkn_base + i;
	unsigned long flags = IRQF_NO_THREAD | (i ? 0 : IRQF_SHARED);
	int ret;

	tkn_line[i].level = i;
	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	irq_clear_status_flags(irq, IRQ_NOREQUEST | IRQ_NOPROBE);
	/* request_irq() keeps the name pointer: a string that stays. */
	snprintf(tkn_names[i], sizeof(tkn_names[i]), "tkirqnest%d", i);
	ret = request_irq(irq, tkn_handler, flags, tkn_names[i], &tkn_line[i]);
	if (ret || i)
		return ret;
	ret = request_irq(irq, tkn_handler_b, flags, "tkirqnest0b", &tkn_dev_b);
	if (ret)
		free_irq(irq, &tkn_line[0]);
	return ret;
}

static int __init tkn_init(void)
{
	int i, ret;

	/*
	 * No owner: a descriptor's owner is pinned by every request_irq() on
	 * it, and the handlers here are this module's own, freed at unload.
	 */
	tkn_base = __irq_alloc_descs(-1, 1, TKN_LINES + 1, NUMA_NO_NODE, NULL,
				     NULL);
	if (tkn_base < 0)
		return tkn_base;
	for (i = 0; i < TKN_LINES; i++) {
		ret = tkn_setup_line(i);
		if (ret) {
			pr_err("cannot request line %d (irq %d): %d\n", i,
			       tkn_base + i, ret);
			tkn_free(i);
			return ret;
		}
	}
	ret = tkn_setup_thread_line();
	if (ret) {
		pr_err("cannot request the threaded line (irq %d): %d\n",
		       tkn_base + TKN_LINES, ret);
		tkn_free(TKN_LINES);
		return ret;
	}
	ret = tk_register_feature(&tkn_feature);
	if (ret) {
		tkn_free(TKN_LINES + 1);
		return ret;
	}
	pr_info("%d nestable software interrupt lines from %d\n", TKN_LINES,
		tkn_base);
	return 0;
}

static void __exit tkn_exit(void)
{
	/* Waits for a running control write. */
	tk_unregister_feature(&tkn_feature);
	irq_work_sync(&tkn_work);
	irq_work_sync(&tkn_thr_work);
	tkn_free(TKN_LINES + 1);
}

module_init(tkn_init);
module_exit(tkn_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Nested software interrupt handlers on demand, for irqstat's tests");
MODULE_VERSION(TK_VERSION);
