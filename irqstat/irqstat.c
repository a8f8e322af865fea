// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: irqstat - every interrupt accounted, per line and per CPU
 *
 * All-IRQ mode (always on).  Probes on the irq_handler_entry and
 * irq_handler_exit tracepoints (found with for_each_kernel_tracepoint(), as
 * tkcore finds sched_switch) account every hardware interrupt handler the
 * kernel calls.  Each CPU has its own array of nr_irqs line records, written
 * only by that CPU from its probes: no lock, no atomic.
 *
 * Context.  The tracepoints fire in __handle_irq_event_percpu(), which every
 * flow handler calls with interrupts disabled (with desc->lock dropped, and
 * also from the generic_handle_irq() of a demultiplexing handler, and on
 * PREEMPT_RT); a force-threaded handler's thread function is called
 * without them, so only hard interrupt context reaches the probes.  They
 * never run in NMI context.  So a CPU's probes are never preempted or
 * migrated, and its state is touched by that CPU alone, in order.
 *
 * Nesting.  Handlers do nest: a chained or demultiplexing handler (GPIO,
 * pinctrl, MFD drivers) calls generic_handle_domain_irq() and so the
 * handlers of its child lines from inside its own.  Each CPU keeps a stack
 * of the handler calls open on it: depth, and per level the line and
 * local_clock() at entry (a frame), and the line whose action chain is in
 * progress at that level.  An entry pushes a frame, an exit pops it and
 * times the call, so a child's call never overwrites its parent's, and the
 * parent's time contains its children's.  The stack holds IRQSTAT_NEST_MAX
 * levels; a call nested deeper is counted (count and calls), not timed, and
 * counted in nest_overflow; depth still counts it, so that the levels
 * above stay paired with their exits.
 *
 * A shared line calls every action of its chain for one interrupt, and each
 * call fires the tracepoints.  irqstat counts the interrupt once, at the
 * first action of the chain (no chain of that line is in progress at that
 * level; the chain ends at the exit of an action with no ->next), and every
 * handler call in "calls".  That makes count comparable with
 * /proc/interrupts.  The chain state is per level, so a child's chain
 * inside the first action does not end the parent's, and the parent's later
 * actions are not counted again.  Beyond IRQSTAT_NEST_MAX levels every call
 * counts as an interrupt.  The name shown is the first action's ->name,
 * copied into the CPU's record when the action seen there changes (a
 * per-record sequence number lets readers detect a copy in progress).
 *
 * Handler time is local_clock() from entry to exit of each call; a call in
 * flight when the probes were attached is not timed (its exit finds no
 * frame: depth is 0).  Softirq counts come
 * from the kernel's own per-CPU kstat counters (those of /proc/softirqs),
 * less a per-CPU baseline taken at load and at reset.
 *
 * Reset runs on every online CPU by IPI (on_each_cpu()): interrupts are off
 * there, so it never runs inside a probe of that CPU and each CPU zeroes
 * only its own records; it leaves the stack alone (it is empty between
 * interrupts).  The records of offline CPUs, which run no probe,
 * are zeroed by the resetting task with CPU hotplug held off
 * (cpus_read_lock()), so a CPU that comes back starts from the reset.  The
 * load-time baseline is taken the same way.  Counts of a CPU that goes
 * offline stay in the totals.  Readers sum the CPUs with READ_ONCE(); a line read while
 * interrupts arrive may be off by those interrupts.
 *
 * Architecture vectors.  The interrupts the architecture handles itself (on
 * x86 the local timer, IPIs, TLB shootdowns, NMIs: the named rows of
 * /proc/interrupts) never reach irq_handler_entry.  Their counts are the
 * kernel's own per-CPU counters (the exported irq_stat), less a per-CPU
 * baseline taken at load and reset, as softirqs are; ERR, whose counter
 * is not exported, is counted from its tracepoint.  Handler time comes from
 * the irq_vectors tracepoints where the kernel has them (local_timer,
 * reschedule, call_function, ...): one per-CPU start time per row, so a
 * vector's handler may interrupt another row's without harm.  The rows and
 * their sources: irqstat_rows[].
 *
 * Shared-handler mode (irq=N).  A handler added to line N with
 * request_irq(IRQF_SHARED) counts per CPU and returns IRQ_NONE, so the
 * line's own driver still handles the interrupt.  All-IRQ mode keeps
 * running: the line then shows calls = 2 x count and irqstat's own handler
 * time is part of the line's.  A line that does not exist, has no handler to
 * share with, is per-CPU, or whose handler did not ask for sharing fails the
 * load with an errno and a message naming the line.
 *
 * Threaded handlers.  A line whose action has a thread function (requested
 * with request_threaded_irq(), or forced into a thread: on PREEMPT_RT every
 * handler not marked IRQF_NO_THREAD is, and with the threadirqs boot
 * option) runs its real handler in a kthread, irq/N-name, which the
 * tracepoints do not see: in hard interrupt context they time only the
 * primary handler that wakes the thread.  The hard probes mark such a line
 * "threaded" when they see an action with ->thread_fn.  The thread's calls
 * are timed by kretprobes on irq_thread_fn() and irq_forced_thread_fn(), the
 * two functions irq_thread() calls the thread function through, whose
 * second argument is the action (->irq: the line).  The entry handler keeps
 * the line and local_clock() in the probe instance (one per call in flight,
 * so a thread preempted or blocked in its handler keeps its own start); the
 * return handler adds the wall time of the call to thread_calls, thread_ns
 * and thread_max_ns of the line's record of the CPU it returns on, with
 * interrupts off there, so that no hard probe or reset IPI of that CPU runs
 * in the middle.  That time includes what the thread waited while
 * preempted or blocked, and for a forced thread the softirqs its handler
 * raised, which run at its local_bh_enable().  A call that finds every
 * instance in use is not timed (thread_missed).  Handlers a parent's
 * thread calls directly (handle_nested_irq()) are seen by neither.
 *
 * Lifetimes.  Load: records, seed handler, exit probe, entry probe (so that
 * no entry is seen without its exit; the same for each vector's pair), the
 * thread kretprobes, then the files (tk_register_feature).
 * Unload: files first (waits for running reads), the thread kretprobes
 * (unregister_kretprobes() returns when no handler of theirs runs; calls in
 * flight return without one), entry then exit probes,
 * tracepoint_synchronize_unregister() (no probe runs any more), free_irq()
 * (waits for a running seed handler), then the records are freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>

#define IRQSTAT_NAME_LEN	32
/* Handler calls a CPU's stack holds, nested in one another. */
#define IRQSTAT_NEST_MAX	8
/* Thread function calls timed at once, at most (one per line, >= 64). */
#define IRQSTAT_THREAD_MAXACTIVE	1024
/* Largest irq= accepted by the parser; lines past nr_irqs fail later. */
#define IRQSTAT_MAX_IRQ		BIT(24)

/**
 * struct irqstat_line - one interrupt line as seen by one CPU
 * @count: interrupts (first action of the chain)
 * @calls: handler calls (every action)
 * @total_ns: time spent in those calls
 * @max_ns: longest single call
 * @thread_calls: calls of a thread function of the line (irq/N-name)
 * @thread_ns: wall time of those calls
 * @thread_max_ns: longest of them
 * @act: the first action whose name is in @name
 * @name_seq: odd while @name is being rewritten
 * @threaded: an action with a thread function was seen
 * @name: that action's name, NUL-terminated
 */
struct irqstat_line {
	u64 count;
	u64 calls;
	u64 total_ns;
	u64 max_ns;
	u64 thread_calls;
	u64 thread_ns;
	u64 thread_max_ns;
	const struct irqaction *act;
	u32 name_seq;
	bool threaded;
	char name[IRQSTAT_NAME_LEN];
};

/**
 * struct irqstat_row - an architecture row of /proc/interrupts
 * @row: its name there ("LOC")
 * @name: one word for it
 * @off: offset of its counter in irq_cpustat_t, or IRQSTAT_BY_TRACE
 * @tp: irq_vectors tracepoints timing it, without _entry/_exit, or NULL
 */
struct irqstat_row {
	const char *row;
	const char *name;
	size_t off;
	const char *tp[2];
};

#define IRQSTAT_BY_TRACE	((size_t)-1)
#define IRQSTAT_ROW(r, n, field, tp0, tp1)				\
	{ r, n, offsetof(irq_cpustat_t, field), { tp0, tp1 } }

/*
 * The architecture rows, in /proc/interrupts' order, each counted by its
 * irq_stat field and timed by the irq_vectors tracepoints named (without
 * _entry/_exit).  ERR's irq_err_count is not exported: it is counted from
 * its tracepoint.  Left out, as no module can read them: MCE and MCP
 * (per-CPU mce_exception_count and mce_poll_count) and MIS
 * (irq_mis_count), none exported, none traced.
 */
static const struct irqstat_row irqstat_rows[] = {
#if TK_IRQ_ROWS_X86
	IRQSTAT_ROW("NMI", "nmi", __nmi_count, NULL, NULL),
#endif
#if TK_IRQ_ROWS_APIC
	IRQSTAT_ROW("LOC", "local_timer", apic_timer_irqs, "local_timer", NULL),
	IRQSTAT_ROW("SPU", "spurious", irq_spurious_count, "spurious_apic",
		    NULL),
	IRQSTAT_ROW("PMI", "perf", apic_perf_irqs, NULL, NULL),
	IRQSTAT_ROW("IWI", "irq_work", apic_irq_work_irqs, "irq_work", NULL),
	IRQSTAT_ROW("RTR", "icr_read_retry", icr_read_retry_count, NULL, NULL),
	IRQSTAT_ROW("PLT", "platform_ipi", x86_platform_ipis,
		    "x86_platform_ipi", NULL),
#endif
#if TK_IRQ_ROWS_SMP
	IRQSTAT_ROW("RES", "reschedule", irq_resched_count, "reschedule", NULL),
	IRQSTAT_ROW("CAL", "call_function", irq_call_count, "call_function",
		    "call_function_single"),
	IRQSTAT_ROW("TLB", "tlb_shootdown", irq_tlb_count, NULL, NULL),
#endif
#if TK_IRQ_ROWS_THERMAL
	IRQSTAT_ROW("TRM", "thermal", irq_thermal_count, "thermal_apic", NULL),
#endif
#if TK_IRQ_ROWS_THRESHOLD
	IRQSTAT_ROW("THR", "threshold", irq_threshold_count, "threshold_apic",
		    NULL),
#endif
#if TK_IRQ_ROWS_MCE_AMD
	IRQSTAT_ROW("DFR", "deferred_error", irq_deferred_error_count,
		    "deferred_error_apic", NULL),
#endif
#if TK_IRQ_ROWS_HV_CALLBACK
	IRQSTAT_ROW("HYP", "hv_callback", irq_hv_callback_count, NULL, NULL),
#endif
#if TK_IRQ_ROWS_HYPERV
	IRQSTAT_ROW("HRE", "hv_reenlightenment", irq_hv_reenlightenment_count,
		    NULL, NULL),
	IRQSTAT_ROW("HVS", "hv_stimer0", hyperv_stimer0_count, NULL, NULL),
#endif
#if TK_IRQ_ROWS_APIC
	{ "ERR", "apic_error", IRQSTAT_BY_TRACE, { "error_apic", NULL } },
#endif
#if TK_IRQ_ROWS_KVM
	IRQSTAT_ROW("PIN", "posted_intr", kvm_posted_intr_ipis, NULL, NULL),
	IRQSTAT_ROW("NPI", "posted_intr_nested", kvm_posted_intr_nested_ipis,
		    NULL, NULL),
	IRQSTAT_ROW("PIW", "posted_intr_wakeup", kvm_posted_intr_wakeup_ipis,
		    NULL, NULL),
#endif
#if TK_IRQ_ROWS_POSTED_MSI
	IRQSTAT_ROW("PMN", "posted_msi", posted_msi_notification_count, NULL,
		    NULL),
#endif
};

#define IRQSTAT_NR_ROWS		ARRAY_SIZE(irqstat_rows)

/**
 * struct irqstat_vec - an architecture row as seen by one CPU
 * @start_ns: local_clock() at its handler's entry, 0 if none is open
 * @calls: handler exits seen (the count of a row counted by trace)
 * @total_ns: time in those handlers
 * @max_ns: longest handler call
 * @base: the kernel's counter at load or the last reset
 */
struct irqstat_vec {
	u64 start_ns;
	u64 calls;
	u64 total_ns;
	u64 max_ns;
	unsigned int base;
};

/**
 * struct irqstat_frame - a handler call open on a CPU
 * @start_ns: local_clock() at its entry, 0 if it is not timed
 * @irq: its line
 */
struct irqstat_frame {
	u64 start_ns;
	int irq;
};

/**
 * struct irqstat_cpu - one CPU's state
 * @lines: this CPU's records, irqstat_nr of them
 * @depth: handler calls open on this CPU, nested in one another (may
 *	exceed IRQSTAT_NEST_MAX)
 * @frame: the open calls, outermost first (the first @depth of them)
 * @chain: per level, the line whose action chain is in progress, or -1
 * @nest_overflow: calls nested deeper than IRQSTAT_NEST_MAX (not timed)
 * @untracked: interrupts on lines >= irqstat_nr (added after load)
 * @soft_base: kstat softirq counts at load or the last reset
 * @seed: seed handler calls on this CPU
 * @vec: the architecture rows
 */
struct irqstat_cpu {
	struct irqstat_line *lines;
	unsigned int depth;
	struct irqstat_frame frame[IRQSTAT_NEST_MAX];
	int chain[IRQSTAT_NEST_MAX];
	u64 nest_overflow;
	u64 untracked;
	unsigned int soft_base[NR_SOFTIRQS];
	u64 seed;
	struct irqstat_vec vec[IRQSTAT_NR_ROWS ?: 1];
};

static DEFINE_PER_CPU(struct irqstat_cpu, irqstat_cpu);
static unsigned int irqstat_nr;
static struct tracepoint *irqstat_tp_entry;
static struct tracepoint *irqstat_tp_exit;
/* Per row, its tracepoints' entry and exit, and whether they are attached. */
static struct tracepoint *irqstat_vec_tp[IRQSTAT_NR_ROWS ?: 1][2][2];
static bool irqstat_vec_on[IRQSTAT_NR_ROWS ?: 1][2];

/* Names as /proc/softirqs prints them (softirq_to_name is not exported). */
static const char * const irqstat_soft_names[NR_SOFTIRQS] = {
	[HI_SOFTIRQ] = "HI",
	[TIMER_SOFTIRQ] = "TIMER",
	[NET_TX_SOFTIRQ] = "NET_TX",
	[NET_RX_SOFTIRQ] = "NET_RX",
	[BLOCK_SOFTIRQ] = "BLOCK",
	[IRQ_POLL_SOFTIRQ] = "IRQ_POLL",
	[TASKLET_SOFTIRQ] = "TASKLET",
	[SCHED_SOFTIRQ] = "SCHED",
	[HRTIMER_SOFTIRQ] = "HRTIMER",
	[RCU_SOFTIRQ] = "RCU",
};

/* ---- parameters ---- */

static int irqstat_seed_irq = -1;
static int irqstat_seed_dev;	/* its address is the seed handler's dev_id */
static bool irqstat_seed_on;

static int irqstat_param_set_irq(const char *val, const struct kernel_param *kp)
{
	u32 v;
	int ret;

	if (!val)
		return -EINVAL;
	ret = tk_parse_u32_range(val, strlen(val), 0, IRQSTAT_MAX_IRQ, &v);
	if (ret)
		return ret;
	irqstat_seed_irq = v;
	return 0;
}

static int irqstat_param_get_irq(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", irqstat_seed_irq);
}

static const struct kernel_param_ops irqstat_irq_ops = {
	.set = irqstat_param_set_irq,
	.get = irqstat_param_get_irq,
};
module_param_cb(irq, &irqstat_irq_ops, NULL, 0444);
MODULE_PARM_DESC(irq,
		 "seed mode: also attach a shared counting handler to this line (default -1: none)");

/* ---- the probes (hard interrupt context, interrupts off) ---- */

static void irqstat_set_name(struct irqstat_line *l,
			     const struct irqaction *action)
{
	const char *src = action->name ? action->name : "";
	unsigned int i;

	WRITE_ONCE(l->name_seq, l->name_seq + 1);
	/* Odd sequence before the name changes; pairs with irqstat_get_name(). */
	smp_wmb();
	/* One word for parsers: anything but a visible character is '?'. */
	for (i = 0; i < IRQSTAT_NAME_LEN - 1 && src[i]; i++)
		l->name[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '?';
	l->name[i] = '\0';
	l->act = action;
	/* The name is complete before the sequence is even again. */
	smp_wmb();
	WRITE_ONCE(l->name_seq, l->name_seq + 1);
}

static void irqstat_probe_entry(TK_IRQ_HANDLER_ENTRY_ARGS)
{
	struct irqstat_cpu *c = this_cpu_ptr(&irqstat_cpu);
	unsigned int d = c->depth;
	struct irqstat_frame *f = NULL;
	struct irqstat_line *l;
	bool first = true;

	lockdep_assert_irqs_disabled();
	c->depth = d + 1;
	if (likely(d < IRQSTAT_NEST_MAX)) {
		/* The first action of this interrupt's chain at this level? */
		first = c->chain[d] != irq;
		c->chain[d] = irq;
		/* Calls nested in this one start chains of their own. */
		if (d + 1 < IRQSTAT_NEST_MAX)
			c->chain[d + 1] = -1;
		f = &c->frame[d];
		f->irq = irq;
		f->start_ns = 0;
	} else {
		WRITE_ONCE(c->nest_overflow, c->nest_overflow + 1);
	}
	if (unlikely((unsigned int)irq >= irqstat_nr)) {
		if (first)
			WRITE_ONCE(c->untracked, c->untracked + 1);
		return;
	}
	l = &c->lines[irq];
	if (first) {
		WRITE_ONCE(l->count, l->count + 1);
		if (unlikely(l->act != action))
			irqstat_set_name(l, action);
	}
	WRITE_ONCE(l->calls, l->calls + 1);
	if (unlikely(action->thread_fn) && !l->threaded)
		WRITE_ONCE(l->threaded, true);
	if (f)
		f->start_ns = local_clock();
}

static void irqstat_probe_exit(TK_IRQ_HANDLER_EXIT_ARGS)
{
	struct irqstat_cpu *c = this_cpu_ptr(&irqstat_cpu);
	unsigned int d = c->depth;
	struct irqstat_frame *f;
	struct irqstat_line *l;
	u64 ns;

	lockdep_assert_irqs_disabled();
	/* No open call: one that began before the probes were attached. */
	if (unlikely(!d))
		return;
	c->depth = --d;
	if (unlikely(d >= IRQSTAT_NEST_MAX))
		return;
	f = &c->frame[d];
	if (f->start_ns && f->irq == irq) {
		ns = local_clock() - f->start_ns;
		l = &c->lines[irq];
		WRITE_ONCE(l->total_ns, l->total_ns + ns);
		if (ns > l->max_ns)
			WRITE_ONCE(l->max_ns, ns);
	}
	/* The action list cannot change under a running handler. */
	if (!READ_ONCE(action->next))
		c->chain[d] = -1;
}

static irqreturn_t irqstat_seed_handler(int irq, void *dev_id)
{
	this_cpu_inc(irqstat_cpu.seed);
	return IRQ_NONE;
}

/* ---- thread functions (irq/N-name kthreads, preemptible) ---- */

/**
 * struct irqstat_tcall - a thread function call in flight
 * @start_ns: local_clock() at its entry
 * @irq: its line
 */
struct irqstat_tcall {
	u64 start_ns;
	unsigned int irq;
};

/* irq_thread_fn(desc, action) and irq_forced_thread_fn(desc, action). */
static int irqstat_thread_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	const struct irqaction *action;
	struct irqstat_tcall *tc = (void *)ri->data;

	action = (const void *)regs_get_kernel_argument(regs, 1);
	tc->irq = READ_ONCE(action->irq);
	tc->start_ns = local_clock();
	return 0;
}

static int irqstat_thread_return(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	const struct irqstat_tcall *tc = (void *)ri->data;
	struct irqstat_line *l;
	unsigned long flags;
	u64 now, ns;

	if (tc->irq >= irqstat_nr)
		return 0;
	local_irq_save(flags);
	now = local_clock();
	/* Migrated between entry and return: the clocks may differ a little. */
	ns = now > tc->start_ns ? now - tc->start_ns : 0;
	l = &this_cpu_ptr(&irqstat_cpu)->lines[tc->irq];
	WRITE_ONCE(l->thread_calls, l->thread_calls + 1);
	WRITE_ONCE(l->thread_ns, l->thread_ns + ns);
	if (ns > l->thread_max_ns)
		WRITE_ONCE(l->thread_max_ns, ns);
	local_irq_restore(flags);
	return 0;
}

static struct kretprobe irqstat_thread_rp[] = {
	{
		.kp.symbol_name = "irq_thread_fn",
		.entry_handler = irqstat_thread_entry,
		.handler = irqstat_thread_return,
		.data_size = sizeof(struct irqstat_tcall),
	},
	{
		.kp.symbol_name = "irq_forced_thread_fn",
		.entry_handler = irqstat_thread_entry,
		.handler = irqstat_thread_return,
		.data_size = sizeof(struct irqstat_tcall),
	},
};

static struct kretprobe *irqstat_thread_rps[] = {
	&irqstat_thread_rp[0],
	&irqstat_thread_rp[1],
};

static u64 irqstat_thread_missed(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(irqstat_thread_rp); i++)
		n += READ_ONCE(irqstat_thread_rp[i].nmissed) +
		     READ_ONCE(irqstat_thread_rp[i].kp.nmissed);
	return n;
}

/* irq_vectors tracepoints (hard interrupt context); @data: the row. */
static void irqstat_vec_entry(TK_IRQ_VECTOR_ARGS)
{
	struct irqstat_vec *v = this_cpu_ptr(&irqstat_cpu)->vec +
				(unsigned long)data;

	v->start_ns = local_clock();
}

static void irqstat_vec_exit(TK_IRQ_VECTOR_ARGS)
{
	struct irqstat_vec *v = this_cpu_ptr(&irqstat_cpu)->vec +
				(unsigned long)data;
	u64 ns;

	WRITE_ONCE(v->calls, v->calls + 1);
	/* 0: the handler began before the probes were attached. */
	if (!v->start_ns)
		return;
	ns = local_clock() - v->start_ns;
	v->start_ns = 0;
	WRITE_ONCE(v->total_ns, v->total_ns + ns);
	if (ns > v->max_ns)
		WRITE_ONCE(v->max_ns, ns);
}

/* The kernel's counter of row @r on @cpu (a row with one). */
static unsigned int irqstat_row_counter(unsigned int r, int cpu)
{
	const void *is = per_cpu_ptr(&irq_stat, cpu);

	return READ_ONCE(*(const unsigned int *)(is + irqstat_rows[r].off));
}

static bool irqstat_row_timed(unsigned int r)
{
	return irqstat_vec_on[r][0] || irqstat_vec_on[r][1];
}

/* Interrupts of row @r on @cpu since load or the last reset. */
static u64 irqstat_row_count(unsigned int r, int cpu)
{
	const struct irqstat_vec *v = &per_cpu(irqstat_cpu, cpu).vec[r];

	if (irqstat_rows[r].off == IRQSTAT_BY_TRACE)
		return READ_ONCE(v->calls);
	/* The kernel's counters are 32 bits wide, as /proc/interrupts shows. */
	return (unsigned int)(irqstat_row_counter(r, cpu) - READ_ONCE(v->base));
}

/* ---- reset (IPI on each online CPU, interrupts off) ---- */

/* Zero @cpu's records: from @cpu itself, or for an offline @cpu. */
static void irqstat_reset_state(int cpu)
{
	struct irqstat_cpu *c = per_cpu_ptr(&irqstat_cpu, cpu);
	unsigned int i;

	for (i = 0; i < irqstat_nr; i++) {
		c->lines[i].count = 0;
		c->lines[i].calls = 0;
		c->lines[i].total_ns = 0;
		c->lines[i].max_ns = 0;
		c->lines[i].thread_calls = 0;
		c->lines[i].thread_ns = 0;
		c->lines[i].thread_max_ns = 0;
		c->lines[i].threaded = false;
	}
	c->untracked = 0;
	c->nest_overflow = 0;
	for (i = 0; i < NR_SOFTIRQS; i++)
		c->soft_base[i] = kstat_softirqs_cpu(i, cpu);
	for (i = 0; i < IRQSTAT_NR_ROWS; i++) {
		c->vec[i].calls = 0;
		c->vec[i].total_ns = 0;
		c->vec[i].max_ns = 0;
		if (irqstat_rows[i].off != IRQSTAT_BY_TRACE)
			c->vec[i].base = irqstat_row_counter(i, cpu);
	}
}

static void irqstat_reset_cpu(void *unused)
{
	irqstat_reset_state(smp_processor_id());
}

/*
 * Reset every CPU, online or not.  With CPU hotplug held off, an offline
 * CPU runs no handler and takes no softirq, so its records are zeroed from
 * here; it starts from zero (and from today's softirq counts) when it comes
 * back.
 */
static void irqstat_reset_all(void)
{
	int cpu;

	cpus_read_lock();
	on_each_cpu(irqstat_reset_cpu, NULL, 1);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			irqstat_reset_state(cpu);
	cpus_read_unlock();
}

/* ---- reading ---- */

/* Counts of a CPU that never ran since the records were zeroed are zero. */
static unsigned int irqstat_soft(unsigned int vec, int cpu)
{
	return kstat_softirqs_cpu(vec, cpu) -
	       READ_ONCE(per_cpu(irqstat_cpu, cpu).soft_base[vec]);
}

/* Copy the name of @l into @buf; false if it changed during the copy. */
static bool irqstat_get_name(const struct irqstat_line *l, char *buf)
{
	u32 seq = READ_ONCE(l->name_seq);

	if (seq & 1)
		return false;
	/* Sequence before name; pairs with the barriers of irqstat_set_name(). */
	smp_rmb();
	memcpy(buf, l->name, IRQSTAT_NAME_LEN);
	/* Name before the sequence is read again. */
	smp_rmb();
	buf[IRQSTAT_NAME_LEN - 1] = '\0';
	return READ_ONCE(l->name_seq) == seq;
}

static void irqstat_line_name(unsigned int irq, char *buf)
{
	const struct irqstat_line *l, *best = NULL;
	u64 most = 0;
	int cpu, tries;

	/* The name seen by the CPU that took the most of the line's interrupts. */
	for_each_possible_cpu(cpu) {
		l = &per_cpu(irqstat_cpu, cpu).lines[irq];
		if (!best || READ_ONCE(l->count) > most) {
			best = l;
			most = READ_ONCE(l->count);
		}
	}
	for (tries = 0; tries < 4; tries++)
		if (irqstat_get_name(best, buf) && buf[0])
			return;
	strscpy(buf, "-", IRQSTAT_NAME_LEN);
}

static int irqstat_irqs_fill(struct tk_textfile *tf, struct tk_text *t)
{
	u64 count, calls, total, max, tcalls, tns, tmax;
	char name[IRQSTAT_NAME_LEN];
	const struct irqstat_line *l;
	unsigned int irq;
	bool threaded;
	u64 (*v)[3];
	int cpu;

	/* Each CPU's values read once, so that count is their exact sum. */
	v = kmalloc_array(nr_cpu_ids, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	for (irq = 0; irq < irqstat_nr && !t->overflow; irq++) {
		count = 0;
		calls = 0;
		total = 0;
		max = 0;
		tcalls = 0;
		tns = 0;
		tmax = 0;
		threaded = false;
		for_each_possible_cpu(cpu) {
			l = &per_cpu(irqstat_cpu, cpu).lines[irq];
			v[cpu][0] = READ_ONCE(l->count);
			v[cpu][1] = READ_ONCE(l->total_ns);
			v[cpu][2] = READ_ONCE(l->max_ns);
			count += v[cpu][0];
			calls += READ_ONCE(l->calls);
			total += v[cpu][1];
			max = max(max, v[cpu][2]);
			tcalls += READ_ONCE(l->thread_calls);
			tns += READ_ONCE(l->thread_ns);
			tmax = max(tmax, READ_ONCE(l->thread_max_ns));
			threaded |= READ_ONCE(l->threaded);
		}
		if (!count && !calls && !tcalls)
			continue;
		irqstat_line_name(irq, name);
		tk_text_printf(t, "irq=%u name=%s count=%llu calls=%llu total_ns=%llu max_ns=%llu",
			       irq, name, count, calls, total, max);
		for_each_possible_cpu(cpu)
			tk_text_printf(t, " cpu%d=%llu cpu%d_ns=%llu cpu%d_max_ns=%llu",
				       cpu, v[cpu][0], cpu, v[cpu][1], cpu,
				       v[cpu][2]);
		tk_text_printf(t, " threaded=%d thread_calls=%llu",
			       threaded || tcalls, tcalls);
		tk_text_printf(t, " thread_ns=%llu thread_max_ns=%llu\n", tns,
			       tmax);
	}
	kfree(v);
	return 0;
}

static size_t irqstat_irqs_hint(struct tk_textfile *tf)
{
	return 32 * (192 + 64 * num_possible_cpus());
}

static int irqstat_softirqs_fill(struct tk_textfile *tf, struct tk_text *t)
{
	unsigned int vec;
	u64 sum;
	int cpu;

	for (vec = 0; vec < NR_SOFTIRQS; vec++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += irqstat_soft(vec, cpu);
		tk_text_printf(t, "vec=%u name=%s count=%llu", vec,
			       irqstat_soft_names[vec], sum);
		for_each_possible_cpu(cpu)
			tk_text_printf(t, " cpu%d=%u", cpu, irqstat_soft(vec, cpu));
		tk_text_printf(t, "\n");
	}
	return 0;
}

static size_t irqstat_softirqs_hint(struct tk_textfile *tf)
{
	return NR_SOFTIRQS * (64 + 24 * num_possible_cpus());
}

static int irqstat_vectors_fill(struct tk_textfile *tf, struct tk_text *t)
{
	const struct irqstat_vec *v;
	u64 count, calls, total, max;
	unsigned int r;
	int cpu;

	for (r = 0; r < IRQSTAT_NR_ROWS && !t->overflow; r++) {
		/* A row counted by trace needs its tracepoints. */
		if (irqstat_rows[r].off == IRQSTAT_BY_TRACE &&
		    !irqstat_row_timed(r))
			continue;
		count = 0;
		calls = 0;
		total = 0;
		max = 0;
		for_each_possible_cpu(cpu) {
			v = &per_cpu(irqstat_cpu, cpu).vec[r];
			count += irqstat_row_count(r, cpu);
			calls += READ_ONCE(v->calls);
			total += READ_ONCE(v->total_ns);
			max = max(max, READ_ONCE(v->max_ns));
		}
		tk_text_printf(t, "row=%s name=%s timed=%d ", irqstat_rows[r].row,
			       irqstat_rows[r].name, irqstat_row_timed(r));
		tk_text_printf(t, "count=%llu calls=%llu total_ns=%llu max_ns=%llu",
			       count, calls, total, max);
		for_each_possible_cpu(cpu) {
			v = &per_cpu(irqstat_cpu, cpu).vec[r];
			tk_text_printf(t, " cpu%d=%llu cpu%d_ns=%llu cpu%d_max_ns=%llu",
				       cpu, irqstat_row_count(r, cpu), cpu,
				       READ_ONCE(v->total_ns), cpu,
				       READ_ONCE(v->max_ns));
		}
		tk_text_printf(t, "\n");
	}
	return 0;
}

static size_t irqstat_vectors_hint(struct tk_textfile *tf)
{
	return IRQSTAT_NR_ROWS * (128 + 64 * num_possible_cpus());
}

static struct tk_textfile irqstat_vectors_tf = {
	.fill = irqstat_vectors_fill,
	.size_hint = irqstat_vectors_hint,
};

static struct tk_textfile irqstat_irqs_tf = {
	.fill = irqstat_irqs_fill,
	.size_hint = irqstat_irqs_hint,
};

static struct tk_textfile irqstat_softirqs_tf = {
	.fill = irqstat_softirqs_fill,
	.size_hint = irqstat_softirqs_hint,
};

TK_TEXTFILE_ATTR(irqs, 0444, irqstat_irqs_tf);
TK_TEXTFILE_ATTR(softirqs, 0444, irqstat_softirqs_tf);
TK_TEXTFILE_ATTR(vectors, 0444, irqstat_vectors_tf);

static void irqstat_totals(u64 *irqs, u64 *ns, u64 *soft)
{
	const struct irqstat_cpu *c;
	unsigned int i;
	int cpu;

	*irqs = 0;
	*ns = 0;
	*soft = 0;
	for_each_possible_cpu(cpu) {
		c = &per_cpu(irqstat_cpu, cpu);
		for (i = 0; i < irqstat_nr; i++) {
			*irqs += READ_ONCE(c->lines[i].count);
			*ns += READ_ONCE(c->lines[i].total_ns);
		}
		*irqs += READ_ONCE(c->untracked);
		for (i = 0; i < NR_SOFTIRQS; i++)
			*soft += irqstat_soft(i, cpu);
	}
}

/* A u64 field of struct irqstat_cpu summed over every possible CPU. */
#define irqstat_sum(field)						\
({									\
	u64 __n = 0;							\
	int __cpu;							\
									\
	for_each_possible_cpu(__cpu)					\
		__n += READ_ONCE(per_cpu(irqstat_cpu, __cpu).field);	\
	__n;								\
})

static u64 irqstat_seed_count(void)
{
	return irqstat_sum(seed);
}

static ssize_t untracked_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", irqstat_sum(untracked));
}
static DEVICE_ATTR_RO(untracked);

static ssize_t nest_overflow_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", irqstat_sum(nest_overflow));
}
static DEVICE_ATTR_RO(nest_overflow);

static ssize_t thread_missed_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", irqstat_thread_missed());
}
static DEVICE_ATTR_RO(thread_missed);

static ssize_t seed_irq_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", irqstat_seed_on ? irqstat_seed_irq : -1);
}
static DEVICE_ATTR_RO(seed_irq);

static ssize_t seed_count_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", irqstat_seed_count());
}
static DEVICE_ATTR_RO(seed_count);

static DEFINE_MUTEX(irqstat_reset_lock);

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	u32 v;
	int ret;

	ret = tk_parse_u32_range(buf, count, 1, 1, &v);
	if (ret)
		return ret;
	mutex_lock(&irqstat_reset_lock);
	irqstat_reset_all();
	mutex_unlock(&irqstat_reset_lock);
	return count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *irqstat_attrs[] = {
	&dev_attr_untracked.attr,
	&dev_attr_nest_overflow.attr,
	&dev_attr_thread_missed.attr,
	&dev_attr_seed_irq.attr,
	&dev_attr_seed_count.attr,
	&dev_attr_reset.attr,
	NULL,
};

static struct bin_attribute *irqstat_bin_attrs[] = {
	&bin_attr_irqs,
	&bin_attr_softirqs,
	&bin_attr_vectors,
	NULL,
};

static const struct attribute_group irqstat_group = {
	.attrs = irqstat_attrs,
	.bin_attrs = irqstat_bin_attrs,
};

static const struct attribute_group *irqstat_groups[] = {
	&irqstat_group,
	NULL,
};

/* ---- snapshot fields ---- */

static const char * const irqstat_keys[] = {
	"irqstat_irqs",
	"irqstat_handler_ns",
	"irqstat_irqs_per_s",
	"irqstat_softirqs",
	"irqstat_softirqs_per_s",
	"irqstat_seed_count",
};

/* Previous snapshot, for the rates; only the snapshot hook uses them. */
static u64 irqstat_prev_ns, irqstat_prev_irqs, irqstat_prev_soft;

static u64 irqstat_rate(u64 now, u64 prev, u64 dt)
{
	/* A reset in between makes the delta meaningless: report 0. */
	if (!dt || now < prev)
		return 0;
	return div64_u64((now - prev) * NSEC_PER_SEC + dt / 2, dt);
}

static void irqstat_snapshot(const struct tk_feature *feat, u64 *vals)
{
	u64 now = ktime_get_ns(), irqs, ns, soft, dt;

	irqstat_totals(&irqs, &ns, &soft);
	dt = irqstat_prev_ns ? now - irqstat_prev_ns : 0;
	vals[0] = irqs;
	vals[1] = ns;
	vals[2] = irqstat_rate(irqs, irqstat_prev_irqs, dt);
	vals[3] = soft;
	vals[4] = irqstat_rate(soft, irqstat_prev_soft, dt);
	vals[5] = irqstat_seed_count();
	irqstat_prev_ns = now;
	irqstat_prev_irqs = irqs;
	irqstat_prev_soft = soft;
}

static struct tk_feature irqstat_feature = {
	.name = "irqstat",
	.owner = THIS_MODULE,
	.device = "irqstat",
	.groups = irqstat_groups,
	.snap_keys = irqstat_keys,
	.nr_snap_keys = ARRAY_SIZE(irqstat_keys),
	.snapshot = irqstat_snapshot,
};

/* ---- load and unload ---- */

static void irqstat_find_tp(struct tracepoint *tp, void *priv)
{
	const char *tpn;
	unsigned int r, k;
	size_t len;

	if (!strcmp(tp->name, "irq_handler_entry"))
		irqstat_tp_entry = tp;
	else if (!strcmp(tp->name, "irq_handler_exit"))
		irqstat_tp_exit = tp;
	for (r = 0; r < IRQSTAT_NR_ROWS; r++) {
		for (k = 0; k < 2; k++) {
			tpn = irqstat_rows[r].tp[k];
			if (!tpn)
				continue;
			len = strlen(tpn);
			if (strncmp(tp->name, tpn, len))
				continue;
			if (!strcmp(tp->name + len, "_entry"))
				irqstat_vec_tp[r][k][0] = tp;
			else if (!strcmp(tp->name + len, "_exit"))
				irqstat_vec_tp[r][k][1] = tp;
		}
	}
}

/* Detach every vector probe; tracepoint_synchronize_unregister() follows. */
static void irqstat_vec_detach(void)
{
	unsigned int r, k;
	void *data;

	for (r = 0; r < IRQSTAT_NR_ROWS; r++) {
		for (k = 0; k < 2; k++) {
			if (!irqstat_vec_on[r][k])
				continue;
			data = (void *)(unsigned long)r;
			tracepoint_probe_unregister(irqstat_vec_tp[r][k][0],
						    (void *)irqstat_vec_entry,
						    data);
			tracepoint_probe_unregister(irqstat_vec_tp[r][k][1],
						    (void *)irqstat_vec_exit,
						    data);
			irqstat_vec_on[r][k] = false;
		}
	}
}

/*
 * Time the rows whose tracepoints the kernel has: exit first, so that an
 * entry is never seen without its exit.  A row without is counted, not
 * timed (ERR, counted by trace, is then not shown).
 */
static void irqstat_vec_attach(void)
{
	struct tracepoint **tp;
	unsigned int r, k;
	void *data;

	for (r = 0; r < IRQSTAT_NR_ROWS; r++) {
		for (k = 0; k < 2; k++) {
			tp = irqstat_vec_tp[r][k];
			if (!irqstat_rows[r].tp[k])
				continue;
			data = (void *)(unsigned long)r;
			if (!tp[0] || !tp[1] ||
			    tracepoint_probe_register(tp[1],
						      (void *)irqstat_vec_exit,
						      data)) {
				pr_info("row %s: no tracepoint %s_entry/exit, not timed\n",
					irqstat_rows[r].row,
					irqstat_rows[r].tp[k]);
				continue;
			}
			if (tracepoint_probe_register(tp[0],
						      (void *)irqstat_vec_entry,
						      data)) {
				tracepoint_probe_unregister(tp[1],
							    (void *)irqstat_vec_exit,
							    data);
				pr_info("row %s: cannot attach to %s_entry, not timed\n",
					irqstat_rows[r].row,
					irqstat_rows[r].tp[k]);
				continue;
			}
			irqstat_vec_on[r][k] = true;
		}
	}
}

static void irqstat_free_lines(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kvfree(per_cpu(irqstat_cpu, cpu).lines);
		per_cpu(irqstat_cpu, cpu).lines = NULL;
	}
}

static int irqstat_alloc_lines(void)
{
	struct irqstat_line *l;
	int cpu;

	for_each_possible_cpu(cpu) {
		l = kvzalloc_node(array_size(irqstat_nr, sizeof(*l)), GFP_KERNEL,
				  cpu_to_node(cpu));
		if (!l) {
			irqstat_free_lines();
			return -ENOMEM;
		}
		per_cpu(irqstat_cpu, cpu).lines = l;
		memset(per_cpu(irqstat_cpu, cpu).chain, 0xff,
		       sizeof(per_cpu(irqstat_cpu, cpu).chain));
	}
	return 0;
}

/*
 * Time thread functions.  One probe instance per call in flight: a thread
 * can be preempted or block inside its handler, so allow one per line.
 */
static int irqstat_thread_attach(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(irqstat_thread_rp); i++)
		irqstat_thread_rp[i].maxactive =
			clamp_t(unsigned int, irqstat_nr, 64,
				IRQSTAT_THREAD_MAXACTIVE);
	ret = register_kretprobes(irqstat_thread_rps,
				  ARRAY_SIZE(irqstat_thread_rps));
	if (ret)
		pr_err("cannot probe irq_thread_fn/irq_forced_thread_fn to time threaded handlers: %d\n",
		       ret);
	return ret;
}

static int irqstat_seed_attach(unsigned int irq)
{
	unsigned long flags;
	int ret;

	if (irq >= tk_nr_irqs()) {
		pr_err("irq=%u: no such interrupt line (nr_irqs is %u): EINVAL\n",
		       irq, tk_nr_irqs());
		return -EINVAL;
	}
	if (!irq_get_irq_data(irq)) {
		pr_err("irq=%u: no such interrupt line (no descriptor): EINVAL\n",
		       irq);
		return -EINVAL;
	}
	/* Per-CPU-devid lines cannot be requested (request_irq() WARNs). */
	if (!irq_get_percpu_devid_partition(irq, NULL)) {
		pr_err("irq=%u: a per-CPU interrupt, not shareable: EINVAL\n",
		       irq);
		return -EINVAL;
	}
	if (!irq_has_action(irq)) {
		pr_err("irq=%u: no handler on this line, nothing to share: ENODEV\n",
		       irq);
		return -ENODEV;
	}
	/*
	 * Sharing requires the same trigger type as the line's: ask for the
	 * one it has.  IRQF_PROBE_SHARED: we report a mismatch ourselves.
	 * IRQF_NO_THREAD: the handler only counts, in hard interrupt context
	 * on every kernel; forced into a thread (PREEMPT_RT, threadirqs) it
	 * would run once per wake-up of its thread, and wake-ups that come
	 * while the thread waits for a CPU are merged into one.
	 */
	flags = IRQF_SHARED | IRQF_PROBE_SHARED | IRQF_NO_THREAD |
		(irq_get_trigger_type(irq) & IRQF_TRIGGER_MASK);
	ret = request_irq(irq, irqstat_seed_handler, flags, "irqstat",
			  &irqstat_seed_dev);
	/*
	 * Sharing also requires the same IRQF_ONESHOT as the line's handler,
	 * which a threaded one (or one forced into a thread) has: retry
	 * with it.  It asks nothing of a handler without a thread.
	 */
	if (ret == -EBUSY)
		ret = request_irq(irq, irqstat_seed_handler,
				  flags | IRQF_ONESHOT, "irqstat",
				  &irqstat_seed_dev);
	if (ret == -EBUSY)
		pr_err("irq=%u: line is not shareable (its handler did not ask for IRQF_SHARED, or flags differ): EBUSY\n",
		       irq);
	else if (ret)
		pr_err("irq=%u: cannot attach a shared handler: %d\n", irq, ret);
	return ret;
}

static int __init irqstat_init(void)
{
	int ret;

	irqstat_nr = tk_nr_irqs();
	ret = irqstat_alloc_lines();
	if (ret)
		return ret;
	irqstat_reset_all();
	tk_textfile_init(&irqstat_irqs_tf);
	tk_textfile_init(&irqstat_softirqs_tf);
	tk_textfile_init(&irqstat_vectors_tf);

	for_each_kernel_tracepoint(irqstat_find_tp, NULL);
	if (!irqstat_tp_entry || !irqstat_tp_exit) {
		pr_err("irq_handler_entry/exit tracepoints not found\n");
		ret = -ENOENT;
		goto free;
	}

	if (irqstat_seed_irq >= 0) {
		ret = irqstat_seed_attach(irqstat_seed_irq);
		if (ret)
			goto free;
		irqstat_seed_on = true;
	}

	/* Exit first: an entry is then never seen without its exit. */
	ret = tracepoint_probe_register(irqstat_tp_exit,
					(void *)irqstat_probe_exit, NULL);
	if (ret) {
		pr_err("cannot attach to irq_handler_exit: %d\n", ret);
		goto unseed;
	}
	ret = tracepoint_probe_register(irqstat_tp_entry,
					(void *)irqstat_probe_entry, NULL);
	if (ret) {
		pr_err("cannot attach to irq_handler_entry: %d\n", ret);
		goto unprobe_exit;
	}
	irqstat_vec_attach();
	ret = irqstat_thread_attach();
	if (ret)
		goto unprobe_entry;

	ret = tk_register_feature(&irqstat_feature);
	if (ret) {
		pr_err("cannot register with tkcore: %d\n", ret);
		goto unprobe_thread;
	}
	if (irqstat_seed_on)
		pr_info("counting all %u interrupt lines, and line %d with a shared handler\n",
			irqstat_nr, irqstat_seed_irq);
	else
		pr_info("counting all %u interrupt lines\n", irqstat_nr);
	return 0;

unprobe_thread:
	unregister_kretprobes(irqstat_thread_rps, ARRAY_SIZE(irqstat_thread_rps));
unprobe_entry:
	irqstat_vec_detach();
	tracepoint_probe_unregister(irqstat_tp_entry,
				    (void *)irqstat_probe_entry, NULL);
unprobe_exit:
	tracepoint_probe_unregister(irqstat_tp_exit,
				    (void *)irqstat_probe_exit, NULL);
	tracepoint_synchronize_unregister();
unseed:
	if (irqstat_seed_on)
		free_irq(irqstat_seed_irq, &irqstat_seed_dev);
	irqstat_seed_on = false;
free:
	tk_textfile_destroy(&irqstat_irqs_tf);
	tk_textfile_destroy(&irqstat_softirqs_tf);
	tk_textfile_destroy(&irqstat_vectors_tf);
	irqstat_free_lines();
	return ret;
}

static void __exit irqstat_exit(void)
{
	tk_unregister_feature(&irqstat_feature);
	unregister_kretprobes(irqstat_thread_rps, ARRAY_SIZE(irqstat_thread_rps));
	irqstat_vec_detach();
	tracepoint_probe_unregister(irqstat_tp_entry,
				    (void *)irqstat_probe_entry, NULL);
	tracepoint_probe_unregister(irqstat_tp_exit,
				    (void *)irqstat_probe_exit, NULL);
	tracepoint_synchronize_unregister();
	if (irqstat_seed_on)
		free_irq(irqstat_seed_irq, &irqstat_seed_dev);
	tk_textfile_destroy(&irqstat_irqs_tf);
	tk_textfile_destroy(&irqstat_softirqs_tf);
	tk_textfile_destroy(&irqstat_vectors_tf);
	irqstat_free_lines();
}

module_init(irqstat_init);
module_exit(irqstat_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Interrupt accounting: per line and CPU counts and handler time, architecture vectors, softirqs");
MODULE_VERSION(TK_VERSION);
