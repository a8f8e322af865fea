// SPDX-License-Identifier: GPL-2.0
/*
 * procnet.c - per-process socket byte accounting ("procnet") for
 * /proc/kmonpro.
 *
 * Off by default.  Switching it on attaches two hooks on the socket
 * send/receive paths (see compat.h: the sock:sock_send_length and
 * sock:sock_recv_length tracepoints where the kernel has them, kretprobes
 * on sock_sendmsg()/sock_recvmsg() elsewhere); switching it off detaches
 * them, waits until no handler runs, and clears the tables.  While off the
 * socket paths run exactly as without tkcore.  (On kretprobe kernels the
 * send hook is on __sock_sendmsg(); see compat.h.)
 *
 * A hook counts the bytes the call returned (ret > 0; a receive with
 * MSG_PEEK moves nothing and is not counted) against the calling thread
 * group.  The hot path takes no lock: each CPU has its own small
 * open-addressed table keyed by the thread group (tgid plus the leader's
 * start time, so a reused pid is a new entry).  A slot is claimed with a
 * CPU-local cmpxchg and its counters are local64_t, so an interrupt that
 * sends on the same CPU cannot corrupt a half-done update.
 *
 * Exited processes give their slots back, on the CPU that owns the table:
 * when a process finds the TK_PN_PROBES slots of its window all taken, the
 * hot path looks up each slot's process (RCU, no lock) and takes over the
 * first one whose thread group has no live thread left.  The takeover runs
 * with interrupts off on that CPU (so no nested call sees it half done) and
 * inside the table's seqcount (so a reader on another CPU retries rather
 * than see it half done): the old slot's bytes move to the CPU's exited
 * counters, then the slot gets the new key.  A table is written only by its
 * own CPU; the table of an offline CPU keeps its slots (readers still read
 * them, and a slot of an exited process there counts as exited) until the
 * CPU is back and needs the room.  Slots are never freed: the tables live
 * from load to unload.  A call that finds no slot of its own, free or
 * reclaimable, is counted in the CPU's overflow counter (its bytes in the
 * totals); kretprobe calls missed for lack of instances are added to it.
 * Readers merge the CPUs' tables under tk_pn_lock.
 *
 * Counts are "since procnet was switched on"; switching procnet off and on
 * again starts afresh.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <asm/local64.h>
#include <net/sock.h>
#include <tkcore/compat.h>
#include "tkcore_internal.h"

#define TK_PN_BITS	8
#define TK_PN_SLOTS	BIT(TK_PN_BITS)
#define TK_PN_PROBES	16

struct tk_pn_slot {
	u64 key;		/* 0: free; see tk_procnet_key() */
	local64_t tx;
	local64_t rx;
	char comm[TASK_COMM_LEN];
};

struct tk_pn_table {
	seqcount_t seq;		/* around slot takeovers; see tk_pn_reclaim() */
	local64_t overflow;	/* calls that found no slot */
	local64_t over_tx;	/* their bytes */
	local64_t over_rx;
	local64_t gone_tx;	/* bytes of slots taken over from exited */
	local64_t gone_rx;	/* processes */
	struct tk_pn_slot slot[TK_PN_SLOTS];
};

static struct tk_pn_table __percpu *tk_pn;
/* Serialises switching and readers of the tables. */
static DEFINE_MUTEX(tk_pn_lock);
bool tk_procnet_on;

/**
 * tk_procnet_key() - the table key of a thread group
 * @tgid: its tgid
 * @start_ns: its leader's start_time
 *
 * Return: a key that is never 0 (a free slot).
 */
u64 tk_procnet_key(pid_t tgid, u64 start_ns)
{
	return BIT_ULL(63) | ((u64)(u32)tgid << 31) | (start_ns & 0x7fffffffULL);
}

/**
 * tk_procnet_task() - the live process of a table key
 * @key: a key of tk_procnet_key()
 *
 * Context: under rcu_read_lock(); any context.
 * Return: the thread group leader whose tgid (in the initial pid namespace)
 * and start time make @key, while its thread group has a live thread; else
 * NULL.  Valid until rcu_read_unlock() unless the caller takes a reference.
 */
struct task_struct *tk_procnet_task(u64 key)
{
	struct task_struct *p;

	p = pid_task(find_pid_ns((key >> 31) & U32_MAX, &init_pid_ns),
		     PIDTYPE_TGID);
	if (!p || tk_procnet_key(p->tgid, p->start_time) != key ||
	    !atomic_read(&p->signal->live))
		return NULL;
	return p;
}

/* ---- the hot path ---- */

static void tk_pn_set_comm(struct tk_pn_slot *e, struct task_struct *leader)
{
	memcpy(e->comm, leader->comm, TASK_COMM_LEN);
	e->comm[TASK_COMM_LEN - 1] = '\0';
}

/*
 * The window starting at @h is full of other processes' slots: take over
 * the first one whose process has exited.  Runs on the table's own CPU,
 * preemption off; the takeover itself with interrupts off, so that a call
 * from an interrupt on this CPU sees the slot either before or after it.
 */
static struct tk_pn_slot *tk_pn_reclaim(struct tk_pn_table *t, unsigned int h,
					u64 key, struct task_struct *leader)
{
	struct tk_pn_slot *e, *got = NULL;
	unsigned long flags;
	unsigned int i;
	bool dead;
	u64 old;

	for (i = 0; i < TK_PN_PROBES && !got;
	     i++, h = (h + 1) & (TK_PN_SLOTS - 1)) {
		e = &t->slot[h];
		old = READ_ONCE(e->key);
		if (!old || old == key)
			continue;
		rcu_read_lock();
		dead = !tk_procnet_task(old);
		rcu_read_unlock();
		if (!dead)
			continue;
		local_irq_save(flags);
		/* Unless a nested call took it meanwhile. */
		if (READ_ONCE(e->key) == old) {
			write_seqcount_begin(&t->seq);
			local64_add(local64_read(&e->tx), &t->gone_tx);
			local64_add(local64_read(&e->rx), &t->gone_rx);
			local64_set(&e->tx, 0);
			local64_set(&e->rx, 0);
			WRITE_ONCE(e->key, key);
			tk_pn_set_comm(e, leader);
			write_seqcount_end(&t->seq);
			got = e;
		}
		local_irq_restore(flags);
	}
	return got;
}

static void tk_pn_account(int bytes, bool tx)
{
	struct task_struct *leader = current->group_leader;
	u64 key = tk_procnet_key(current->tgid, leader->start_time);
	struct tk_pn_table *t;
	struct tk_pn_slot *e;
	unsigned int i, h, h0;

	t = get_cpu_ptr(tk_pn);
	h0 = hash_32(current->tgid, TK_PN_BITS);
	/*
	 * Slots are claimed in probe order and never become free while
	 * procnet is on, so a process's slot, if any, comes before the first
	 * free one.
	 */
	for (i = 0, h = h0; i < TK_PN_PROBES;
	     i++, h = (h + 1) & (TK_PN_SLOTS - 1)) {
		e = &t->slot[h];
		if (READ_ONCE(e->key) == key)
			goto hit;
		if (!READ_ONCE(e->key) && !cmpxchg_local(&e->key, 0, key)) {
			tk_pn_set_comm(e, leader);
			goto hit;
		}
		/* A nested call on this CPU may just have claimed it. */
		if (READ_ONCE(e->key) == key)
			goto hit;
	}
	e = tk_pn_reclaim(t, h0, key, leader);
	if (e)
		goto hit;
	local64_inc(&t->overflow);
	local64_add(bytes, tx ? &t->over_tx : &t->over_rx);
	put_cpu_ptr(tk_pn);
	return;
hit:
	local64_add(bytes, tx ? &e->tx : &e->rx);
	put_cpu_ptr(tk_pn);
}

#if TK_PROCNET_TRACEPOINTS

static struct tracepoint *tk_tp_send, *tk_tp_recv;

static void tk_pn_send_tp(TK_SOCK_LENGTH_ARGS)
{
	if (ret > 0)
		tk_pn_account(ret, true);
}

static void tk_pn_recv_tp(TK_SOCK_LENGTH_ARGS)
{
	if (ret > 0 && !(flags & MSG_PEEK))
		tk_pn_account(ret, false);
}

static void tk_pn_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sock_send_length"))
		tk_tp_send = tp;
	else if (!strcmp(tp->name, "sock_recv_length"))
		tk_tp_recv = tp;
}

static int tk_pn_attach(void)
{
	int ret;

	if (!tk_tp_send || !tk_tp_recv)
		for_each_kernel_tracepoint(tk_pn_find_tp, NULL);
	if (!tk_tp_send || !tk_tp_recv) {
		pr_err("procnet: sock_send_length/sock_recv_length tracepoints not found\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(tk_tp_send, (void *)tk_pn_send_tp,
					NULL);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(tk_tp_recv, (void *)tk_pn_recv_tp,
					NULL);
	if (ret) {
		tracepoint_probe_unregister(tk_tp_send, (void *)tk_pn_send_tp,
					    NULL);
		tracepoint_synchronize_unregister();
	}
	return ret;
}

/* Once this returns no handler runs. */
static void tk_pn_detach(void)
{
	tracepoint_probe_unregister(tk_tp_send, (void *)tk_pn_send_tp, NULL);
	tracepoint_probe_unregister(tk_tp_recv, (void *)tk_pn_recv_tp, NULL);
	tracepoint_synchronize_unregister();
}

static u64 tk_pn_missed(void)
{
	return 0;
}

#else /* kretprobes */

/* Calls that may be in flight at once (blocked receives hold one each). */
#define TK_PN_MAXACTIVE	256

static int tk_pn_send_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	long ret = regs_return_value(regs);

	if (ret > 0)
		tk_pn_account(ret, true);
	return 0;
}

static int tk_pn_recv_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	/* sock_recvmsg(sock, msg, flags) */
	*(int *)ri->data = regs_get_kernel_argument(regs, 2);
	return 0;
}

static int tk_pn_recv_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	long ret = regs_return_value(regs);

	if (ret > 0 && !(*(int *)ri->data & MSG_PEEK))
		tk_pn_account(ret, false);
	return 0;
}

static struct kretprobe tk_pn_send_rp, tk_pn_recv_rp;
static struct kretprobe *tk_pn_rps[] = { &tk_pn_send_rp, &tk_pn_recv_rp };

static int tk_pn_attach(void)
{
	int ret;

	memset(&tk_pn_send_rp, 0, sizeof(tk_pn_send_rp));
	tk_pn_send_rp.kp.symbol_name = TK_PROCNET_SEND_SYM;
	tk_pn_send_rp.handler = tk_pn_send_ret;
	tk_pn_send_rp.maxactive = TK_PN_MAXACTIVE;
	memset(&tk_pn_recv_rp, 0, sizeof(tk_pn_recv_rp));
	tk_pn_recv_rp.kp.symbol_name = TK_PROCNET_RECV_SYM;
	tk_pn_recv_rp.entry_handler = tk_pn_recv_entry;
	tk_pn_recv_rp.handler = tk_pn_recv_ret;
	tk_pn_recv_rp.data_size = sizeof(int);
	tk_pn_recv_rp.maxactive = TK_PN_MAXACTIVE;
	ret = register_kretprobes(tk_pn_rps, ARRAY_SIZE(tk_pn_rps));
	if (ret)
		pr_err("procnet: cannot probe %s/%s: %d\n", TK_PROCNET_SEND_SYM,
		       TK_PROCNET_RECV_SYM, ret);
	return ret;
}

static u64 tk_pn_missed(void)
{
	return READ_ONCE(tk_pn_send_rp.nmissed) +
	       READ_ONCE(tk_pn_send_rp.kp.nmissed) +
	       READ_ONCE(tk_pn_recv_rp.nmissed) +
	       READ_ONCE(tk_pn_recv_rp.kp.nmissed);
}

/*
 * Once this returns no handler runs, even for calls still in flight (they
 * return unaccounted).
 */
static void tk_pn_detach(void)
{
	unregister_kretprobes(tk_pn_rps, ARRAY_SIZE(tk_pn_rps));
}

#endif

/* ---- control ---- */

/* Caller holds tk_pn_lock; no handler runs. */
static void tk_pn_clear(void)
{
	struct tk_pn_table *t;
	int cpu;

	for_each_possible_cpu(cpu) {
		t = per_cpu_ptr(tk_pn, cpu);
		memset(t, 0, sizeof(*t));
		seqcount_init(&t->seq);
	}
}

/**
 * tk_procnet_set() - switch per-process socket accounting on or off
 * @on: the new state
 *
 * Switching on attaches the hooks with empty tables; switching off detaches
 * them and clears the tables.  Setting the current state does nothing.
 *
 * Context: process context; may sleep.
 * Return: 0, or the error of attaching the hooks (state unchanged).
 */
int tk_procnet_set(bool on)
{
	int ret = 0;

	mutex_lock(&tk_pn_lock);
	if (on == tk_procnet_on)
		goto unlock;
	if (on) {
		if (!TK_HAVE_NET) {
			pr_err("procnet: this kernel has no networking (CONFIG_NET=n)\n");
			ret = -EOPNOTSUPP;
			goto unlock;
		}
		tk_pn_clear();
		ret = tk_pn_attach();
		if (ret)
			goto unlock;
	} else {
		tk_pn_detach();
		tk_pn_clear();
	}
	WRITE_ONCE(tk_procnet_on, on);
unlock:
	mutex_unlock(&tk_pn_lock);
	return ret;
}

/**
 * tk_procnet_overflow() - calls procnet could not account
 *
 * Return: calls since procnet was switched on that found their CPU's table
 * full, plus kretprobe calls missed for lack of instances.
 */
u64 tk_procnet_overflow(void)
{
	u64 n = 0;
	int cpu;

	mutex_lock(&tk_pn_lock);
	if (tk_procnet_on) {
		for_each_possible_cpu(cpu)
			n += local64_read(&per_cpu_ptr(tk_pn, cpu)->overflow);
		n += tk_pn_missed();
	}
	mutex_unlock(&tk_pn_lock);
	return n;
}

static int tk_pn_cmp_key(const void *a, const void *b)
{
	const struct tk_pn_proc *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* Copy @t's slots into @out and its counters into @sum; returns slots. */
static size_t tk_pn_copy(struct tk_pn_table *t, struct tk_pn_proc *out,
			 struct tk_pn_sum *sum)
{
	unsigned int s, seq;
	size_t n;

	do {
		n = 0;
		seq = read_seqcount_begin(&t->seq);
		for (s = 0; s < TK_PN_SLOTS; s++) {
			struct tk_pn_slot *e = &t->slot[s];
			u64 key = READ_ONCE(e->key);

			if (!key)
				continue;
			out[n].key = key;
			out[n].tgid = (key >> 31) & U32_MAX;
			out[n].tx = local64_read(&e->tx);
			out[n].rx = local64_read(&e->rx);
			/* Written right after the claim; a racing read may
			 * see part of it.
			 */
			memcpy(out[n].comm, e->comm, TASK_COMM_LEN);
			out[n].comm[TASK_COMM_LEN - 1] = '\0';
			n++;
		}
		sum->gone_tx = local64_read(&t->gone_tx);
		sum->gone_rx = local64_read(&t->gone_rx);
		sum->over_tx = local64_read(&t->over_tx);
		sum->over_rx = local64_read(&t->over_rx);
	} while (read_seqcount_retry(&t->seq, seq));
	return n;
}

/**
 * tk_procnet_collect() - the per-process totals, all CPUs merged
 * @nr: set to the number of processes returned
 * @sum: set to the bytes of slots taken over from exited processes and of
 *	 calls that found no slot, all CPUs summed (zero when procnet is off)
 *
 * Return: a kvmalloc()ed array sorted by key (kvfree() it), NULL with *@nr 0
 * when procnet is off, or an ERR_PTR().  Processes that have exited but
 * whose slots were not taken over yet are included.
 */
struct tk_pn_proc *tk_procnet_collect(size_t *nr, struct tk_pn_sum *sum)
{
	struct tk_pn_proc *out = NULL;
	struct tk_pn_sum cs;
	size_t n = 0, m, i;
	int cpu;

	*nr = 0;
	memset(sum, 0, sizeof(*sum));
	mutex_lock(&tk_pn_lock);
	if (!tk_procnet_on)
		goto unlock;
	out = kvmalloc_array(num_possible_cpus() * TK_PN_SLOTS, sizeof(*out),
			     GFP_KERNEL);
	if (!out) {
		out = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	/* Offline CPUs too: their slots keep their bytes. */
	for_each_possible_cpu(cpu) {
		n += tk_pn_copy(per_cpu_ptr(tk_pn, cpu), out + n, &cs);
		sum->gone_tx += cs.gone_tx;
		sum->gone_rx += cs.gone_rx;
		sum->over_tx += cs.over_tx;
		sum->over_rx += cs.over_rx;
	}
	sort(out, n, sizeof(*out), tk_pn_cmp_key, NULL);
	/* Merge the CPUs' entries of each process. */
	for (i = 0, m = 0; i < n; i++) {
		if (m && out[m - 1].key == out[i].key) {
			out[m - 1].tx += out[i].tx;
			out[m - 1].rx += out[i].rx;
			if (!out[m - 1].comm[0])
				memcpy(out[m - 1].comm, out[i].comm,
				       TASK_COMM_LEN);
		} else {
			out[m++] = out[i];
		}
	}
	*nr = m;
unlock:
	mutex_unlock(&tk_pn_lock);
	return out;
}

int tk_procnet_init(void)
{
	int ret;

	tk_pn = alloc_percpu(struct tk_pn_table);
	if (!tk_pn)
		return -ENOMEM;
	if (!tk_procnet_on)
		return 0;
	/* procnet=1 at load. */
	tk_procnet_on = false;
	ret = tk_procnet_set(true);
	if (ret)
		free_percpu(tk_pn);
	return ret;
}

void tk_procnet_exit(void)
{
	tk_procnet_set(false);
	free_percpu(tk_pn);
}
