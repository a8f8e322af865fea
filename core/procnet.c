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
 * sends on the same CPU cannot corrupt a half-done update.  A call that finds
 * no slot within TK_PN_PROBES steps is counted in the CPU's overflow
 * counter; kretprobe calls missed for lack of instances are added to it.
 * Readers merge the CPUs' tables under tk_pn_lock.
 *
 * Entries are never removed while procnet is on: counts are "since procnet
 * was switched on", including processes that have exited since.  Switching
 * procnet off and on again starts afresh.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
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
	local64_t overflow;
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

/* ---- the hot path ---- */

static void tk_pn_account(int bytes, bool tx)
{
	struct task_struct *leader = current->group_leader;
	u64 key = tk_procnet_key(current->tgid, leader->start_time);
	struct tk_pn_table *t;
	struct tk_pn_slot *e;
	unsigned int i, h;

	t = get_cpu_ptr(tk_pn);
	h = hash_32(current->tgid, TK_PN_BITS);
	for (i = 0; i < TK_PN_PROBES; i++, h = (h + 1) & (TK_PN_SLOTS - 1)) {
		e = &t->slot[h];
		if (READ_ONCE(e->key) == key)
			goto hit;
		if (!READ_ONCE(e->key) && !cmpxchg_local(&e->key, 0, key)) {
			memcpy(e->comm, leader->comm, TASK_COMM_LEN);
			e->comm[TASK_COMM_LEN - 1] = '\0';
			goto hit;
		}
		/* A nested call on this CPU may just have claimed it. */
		if (READ_ONCE(e->key) == key)
			goto hit;
	}
	local64_inc(&t->overflow);
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
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(tk_pn, cpu), 0, sizeof(struct tk_pn_table));
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

/**
 * tk_procnet_collect() - the per-process totals, all CPUs merged
 * @nr: set to the number of processes returned
 *
 * Return: a kvmalloc()ed array sorted by key (kvfree() it), NULL with *@nr 0
 * when procnet is off or nothing was counted, or an ERR_PTR().
 */
struct tk_pn_proc *tk_procnet_collect(size_t *nr)
{
	struct tk_pn_proc *out = NULL;
	size_t n = 0, m, i;
	unsigned int s;
	int cpu;

	*nr = 0;
	mutex_lock(&tk_pn_lock);
	if (!tk_procnet_on)
		goto unlock;
	out = kvmalloc_array(num_possible_cpus() * TK_PN_SLOTS, sizeof(*out),
			     GFP_KERNEL);
	if (!out) {
		out = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	for_each_possible_cpu(cpu) {
		struct tk_pn_table *t = per_cpu_ptr(tk_pn, cpu);

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
