// SPDX-License-Identifier: GPL-2.0
/*
 * tkpeer.c - a second user of tkcore's telemetry event API, for the tests:
 * it works on producers it does not own, by their ids, and stresses the
 * API's lifetimes from several threads and from interrupt context.
 *
 * The root-only file /sys/class/qeexo/tkpeer/control takes one command per
 * write:
 *
 *   unregister UUID  tk_telemetry_unregister_id(UUID): the write fails with
 *                    its errno (ENOENT: not registered)
 *   emit UUID N      by id: begin a session "peer", N messages
 *                    {"seq":I,"n":N}, end it; fails with the first errno
 *   flood UUID N     the same with N messages "flood" whose payload is not
 *                    JSON ({"seq":I): taken by the tracepoint alone,
 *                    refused while /dev/qeexo_events is open; errors other
 *                    than EBADMSG fail the write
 *   stress SECS      for SECS seconds (1..3600) run, on every online CPU, at
 *                    nice 19:
 *                    an owner thread (register by handle, sessions and
 *                    messages, also from an hrtimer in hard interrupt
 *                    context, unregister), a by-id thread (the same through
 *                    the by-id calls) and a thread that unregisters random
 *                    producers of the others by id.  The write returns at
 *                    once; "stress_stop" (or unload) ends it early.
 *   stress_stop      stop the stress threads and wait for them
 *   race             a call preempted in flight while its producer goes:
 *                    a thread on CPU 0 emits on a handle of its own; a
 *                    kprobe on tk_ev_json_check() (reached only while
 *                    /dev/qeexo_events is open) wakes a SCHED_FIFO thread
 *                    on the same CPU, which (with full preemption) runs as
 *                    soon as the call allows (mid-call, unless the call
 *                    holds preemption off): it unregisters the
 *                    producer, keeps the CPU until the RCU callbacks
 *                    queued behind the unregister have run (at most 2 s)
 *                    and reallocates memory of the producer's size filled
 *                    with 0x6b.  Without RCU protecting the call, it then
 *                    resumes on freed memory (the allocator's free pointer
 *                    lands in the producer's name, which the call copies
 *                    into the reader's record) or on that poison.  The
 *                    producer is "tkpeer_race_in_flight", id
 *                    7e3c0000-0000-4000-8000-0000000000ff, its messages
 *                    "race" {"in":"flight"}.  Fails with EAGAIN when the
 *                    FIFO thread did not run inside the call (no full
 *                    preemption), ETIMEDOUT when the threads did not end
 *
 * stats shows "running=R ops=N ok=N shutdown=N noent=N exists=N busy=N
 * notconn=N bad=N last_bad=E timer=T timer_not_hardirq=S": every API call
 * the stress made, by result, then the owner threads' hrtimer calls and
 * those of them made outside hard interrupt context (the timer is _HARD:
 * 0, PREEMPT_RT included).
 * ESHUTDOWN, ENOENT, EEXIST, EBUSY and ENOTCONN are what racing with
 * another thread's unregister may give; anything else is counted in bad,
 * with the last such errno in last_bad.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>
#include "sample_cmd.h"

#define TKP_CTL_MAX	96
#define TKP_EMIT_MAX	10000000
/* Ids the stress uses: "7e3c0000-0000-4000-8000-0000000000NN". */
#define TKP_IDS		8
#define TKP_UUID_FMT	"7e3c0000-0000-4000-8000-0000000000%02x"

enum tkp_res { TKP_OK, TKP_SHUTDOWN, TKP_NOENT, TKP_EXISTS, TKP_BUSY,
	       TKP_NOTCONN, TKP_BAD, TKP_NR_RES };

static const char * const tkp_res_names[TKP_NR_RES] = {
	"ok", "shutdown", "noent", "exists", "busy", "notconn", "bad",
};

static atomic64_t tkp_res[TKP_NR_RES];
static atomic_t tkp_last_bad;
/* The stress's timer calls, and those that did not run in hard irq context. */
static atomic64_t tkp_timer_calls, tkp_timer_soft;

/**
 * struct tkp_worker - one stress thread
 * @task: the thread
 * @timer: (owner threads) emits from hard interrupt context
 * @prod: (owner threads) the handle the timer may use, or NULL
 * @kind: 0 owner, 1 by id, 2 foreign unregister
 * @base: first of the ids this thread uses (two of them)
 */
struct tkp_worker {
	struct task_struct *task;
	struct hrtimer timer;
	struct tk_producer *prod;
	int kind;
	int base;
};

/* Serialises the commands and the stress's start and stop. */
static DEFINE_MUTEX(tkp_lock);
static struct tkp_worker *tkp_workers;
static unsigned int tkp_nr_workers;
static unsigned long tkp_deadline;

static void tkp_count(int ret)
{
	enum tkp_res r;

	switch (ret) {
	case 0:
		r = TKP_OK;
		break;
	case -ESHUTDOWN:
		r = TKP_SHUTDOWN;
		break;
	case -ENOENT:
		r = TKP_NOENT;
		break;
	case -EEXIST:
		r = TKP_EXISTS;
		break;
	case -EBUSY:
		r = TKP_BUSY;
		break;
	case -ENOTCONN:
		r = TKP_NOTCONN;
		break;
	default:
		r = TKP_BAD;
		atomic_set(&tkp_last_bad, ret);
		break;
	}
	atomic64_inc(&tkp_res[r]);
}

static void tkp_uuid(char *buf, int n)
{
	snprintf(buf, TK_EV_UUID_LEN + 1, TKP_UUID_FMT, n % TKP_IDS);
}

static enum hrtimer_restart tkp_timer_fn(struct hrtimer *t)
{
	struct tkp_worker *w = container_of(t, struct tkp_worker, timer);
	struct tk_producer *p = READ_ONCE(w->prod);

	if (p) {
		tkp_count(tk_telemetry_msg(p, "irq", "{\"ctx\":\"hardirq\"}"));
		atomic64_inc(&tkp_timer_calls);
		if (!in_hardirq())
			atomic64_inc(&tkp_timer_soft);
	}
	hrtimer_forward_now(t, ns_to_ktime(200 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Register by handle, emit from here and from the timer, unregister. */
static void tkp_owner_round(struct tkp_worker *w, unsigned int round)
{
	char id[TK_EV_UUID_LEN + 1];
	struct tk_producer *p;
	int i, ret;

	tkp_uuid(id, w->base + (round & 1));
	p = tk_telemetry_register(id, "tkpeer_owner", "1.0.0");
	if (IS_ERR(p)) {
		tkp_count(PTR_ERR(p));
		return;
	}
	tkp_count(0);
	tkp_count(tk_telemetry_session_begin(p, "owner"));
	WRITE_ONCE(w->prod, p);
	for (i = 0; i < 64; i++) {
		ret = tk_telemetry_msg(p, "owner", "{\"ctx\":\"task\"}");
		tkp_count(ret);
		if (ret == -ESHUTDOWN)
			break;
	}
	tkp_count(tk_telemetry_session_end(p));
	/* The timer must not start a call on @p once it is unregistered. */
	WRITE_ONCE(w->prod, NULL);
	hrtimer_cancel(&w->timer);
	tk_telemetry_unregister(p);
	hrtimer_start(&w->timer, ns_to_ktime(200 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/* The same through the by-id calls. */
static void tkp_byid_round(struct tkp_worker *w, unsigned int round)
{
	char id[TK_EV_UUID_LEN + 1];
	int i, ret;

	tkp_uuid(id, w->base + (round & 1));
	ret = tk_telemetry_register_id(id, "tkpeer_byid", "1.0.0");
	tkp_count(ret);
	if (ret)
		return;
	tkp_count(tk_telemetry_session_begin_id(id, "byid"));
	for (i = 0; i < 64; i++) {
		ret = tk_telemetry_msg_id(id, "byid", "{\"ctx\":\"id\"}");
		tkp_count(ret);
		if (ret == -ENOENT)
			break;
	}
	tkp_count(tk_telemetry_session_end_id(id));
	tkp_count(tk_telemetry_unregister_id(id));
}

static void tkp_foreign_round(struct tkp_worker *w)
{
	char id[TK_EV_UUID_LEN + 1];

	tkp_uuid(id, get_random_u32() % TKP_IDS);
	tkp_count(tk_telemetry_unregister_id(id));
	usleep_range(50, 200);
}

static int tkp_worker_fn(void *arg)
{
	struct tkp_worker *w = arg;
	unsigned int round = 0;

	if (!w->kind)
		hrtimer_start(&w->timer, ns_to_ktime(200 * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_PINNED_HARD);
	while (!kthread_should_stop()) {
		if (time_after(jiffies, READ_ONCE(tkp_deadline))) {
			/* Done: wait for stress_stop or unload. */
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		if (w->kind == 0)
			tkp_owner_round(w, round++);
		else if (w->kind == 1)
			tkp_byid_round(w, round++);
		else
			tkp_foreign_round(w);
		cond_resched();
	}
	if (!w->kind) {
		WRITE_ONCE(w->prod, NULL);
		hrtimer_cancel(&w->timer);
	}
	return 0;
}

static void tkp_stress_stop(void)
{
	unsigned int i;

	lockdep_assert_held(&tkp_lock);
	for (i = 0; i < tkp_nr_workers; i++)
		kthread_stop(tkp_workers[i].task);
	kfree(tkp_workers);
	tkp_workers = NULL;
	tkp_nr_workers = 0;
}

static int tkp_stress_start(u32 secs)
{
	unsigned int n = 0, cpu, i;
	struct tkp_worker *w;
	int ret = 0;

	lockdep_assert_held(&tkp_lock);
	if (tkp_workers)
		return -EBUSY;
	for (i = 0; i < TKP_NR_RES; i++)
		atomic64_set(&tkp_res[i], 0);
	atomic_set(&tkp_last_bad, 0);
	atomic64_set(&tkp_timer_calls, 0);
	atomic64_set(&tkp_timer_soft, 0);
	WRITE_ONCE(tkp_deadline, jiffies + secs * HZ);
	cpus_read_lock();
	tkp_workers = kcalloc(3 * num_online_cpus(), sizeof(*w), GFP_KERNEL);
	if (!tkp_workers) {
		cpus_read_unlock();
		return -ENOMEM;
	}
	/* Three threads a CPU: an owner, a by-id user, a foreign unregister. */
	for_each_online_cpu(cpu) {
		for (i = 0; i < 3 && !ret; i++) {
			w = &tkp_workers[n];
			w->kind = i;
			w->base = 2 * (n % (TKP_IDS / 2));
			hrtimer_init(&w->timer, CLOCK_MONOTONIC,
				     HRTIMER_MODE_REL_PINNED_HARD);
			w->timer.function = tkp_timer_fn;
			w->task = kthread_create_on_cpu(tkp_worker_fn, w, cpu,
							"tkpeer/%u");
			if (IS_ERR(w->task)) {
				ret = PTR_ERR(w->task);
				break;
			}
			tkp_nr_workers = ++n;
			/* Busy, but below every task of the tests. */
			set_user_nice(w->task, MAX_NICE);
			wake_up_process(w->task);
		}
		if (ret)
			break;
	}
	cpus_read_unlock();
	if (ret)
		tkp_stress_stop();
	return ret;
}

/* ---- a call preempted in flight ---- */

#define TKP_RACE_UUID	"7e3c0000-0000-4000-8000-0000000000ff"

static struct {
	struct tk_producer *prod;
	struct task_struct *a, *b;
	struct completion a_done, b_done;
	struct rcu_head rcu;
	void *poison;
	bool armed, stop, in_call, inflight, freed;
} tkp_race;

static int tkp_race_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (current == READ_ONCE(tkp_race.a) && READ_ONCE(tkp_race.armed)) {
		WRITE_ONCE(tkp_race.armed, false);
		wake_up_process(tkp_race.b);
	}
	return 0;
}

static struct kprobe tkp_race_kp = {
	.symbol_name = "tk_ev_json_check",
	.pre_handler = tkp_race_pre,
};

static void tkp_race_park(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

/* The owner's thread: emits until told to stop, never after. */
static int tkp_race_a_fn(void *arg)
{
	unsigned long end = jiffies + 10 * HZ;

	for (;;) {
		WRITE_ONCE(tkp_race.in_call, true);
		/* in_call before stop is read; pairs with tkp_race_b_fn(). */
		smp_mb();
		if (READ_ONCE(tkp_race.stop) || time_after(jiffies, end))
			break;
		tk_telemetry_msg(tkp_race.prod, "race", "{\"in\":\"flight\"}");
		WRITE_ONCE(tkp_race.in_call, false);
		cond_resched();
	}
	complete(&tkp_race.a_done);
	tkp_race_park();
	return 0;
}

static void tkp_race_rcu_cb(struct rcu_head *rcu)
{
	WRITE_ONCE(tkp_race.freed, true);
}

/*
 * Woken from inside the owner's call, runs as soon as it may, and keeps
 * the CPU (SCHED_FIFO, spinning) until the RCU callbacks queued by the
 * unregister have run (ours is queued after them on this CPU), or for at
 * most 2 s: a call preempted inside an RCU read-side section would hold
 * the grace period until the spin gives up (or RT throttling lets it run).
 */
static int tkp_race_b_fn(void *arg)
{
	struct tk_producer *p = tkp_race.prod;
	size_t size = ksize(p);
	unsigned long end;

	WRITE_ONCE(tkp_race.stop, true);
	/* stop before in_call is read; pairs with tkp_race_a_fn(). */
	smp_mb();
	WRITE_ONCE(tkp_race.inflight, READ_ONCE(tkp_race.in_call));
	tk_telemetry_unregister(p);
	call_rcu(&tkp_race.rcu, tkp_race_rcu_cb);
	end = jiffies + 2 * HZ;
	while (!READ_ONCE(tkp_race.freed) && time_before(jiffies, end))
		cpu_relax();
	rcu_barrier();
	tkp_race.poison = kmalloc(size, GFP_KERNEL);
	if (tkp_race.poison)
		memset(tkp_race.poison, 0x6b, size);
	complete(&tkp_race.b_done);
	tkp_race_park();
	return 0;
}

static int tkp_race_run(void)
{
	int ret;

	memset(&tkp_race, 0, sizeof(tkp_race));
	init_completion(&tkp_race.a_done);
	init_completion(&tkp_race.b_done);
	tkp_race.prod = tk_telemetry_register(TKP_RACE_UUID,
					      "tkpeer_race_in_flight",
					      "1.0.0");
	if (IS_ERR(tkp_race.prod))
		return PTR_ERR(tkp_race.prod);
	ret = tk_telemetry_session_begin(tkp_race.prod, "race");
	if (ret)
		goto unregister;
	tkp_race.b = kthread_create_on_cpu(tkp_race_b_fn, NULL, 0,
					   "tkpeer_race_b/%u");
	if (IS_ERR(tkp_race.b)) {
		ret = PTR_ERR(tkp_race.b);
		goto unregister;
	}
	sched_set_fifo(tkp_race.b);
	tkp_race.a = kthread_create_on_cpu(tkp_race_a_fn, NULL, 0,
					   "tkpeer_race_a/%u");
	if (IS_ERR(tkp_race.a)) {
		ret = PTR_ERR(tkp_race.a);
		tkp_race.a = NULL;
		kthread_stop(tkp_race.b);
		goto unregister;
	}
	ret = register_kprobe(&tkp_race_kp);
	if (ret) {
		kthread_stop(tkp_race.a);
		kthread_stop(tkp_race.b);
		goto unregister;
	}
	WRITE_ONCE(tkp_race.armed, true);
	wake_up_process(tkp_race.a);
	if (!wait_for_completion_timeout(&tkp_race.a_done, 30 * HZ) ||
	    !wait_for_completion_timeout(&tkp_race.b_done, 30 * HZ))
		ret = -ETIMEDOUT;
	unregister_kprobe(&tkp_race_kp);
	if (ret)
		return ret;	/* a thread is stuck: leave everything as it is */
	kthread_stop(tkp_race.a);
	kthread_stop(tkp_race.b);
	kfree(tkp_race.poison);
	return tkp_race.inflight ? 0 : -EAGAIN;

unregister:
	tk_telemetry_unregister(tkp_race.prod);
	return ret;
}

static struct tk_feature tkp_feature;

static int tkp_emit(const char *id, u32 n, bool bad)
{
	char buf[48];
	u32 i;
	int ret, ret2;

	ret = tk_telemetry_session_begin_id(id, "peer");
	if (ret)
		return ret;
	for (i = 1; i <= n && !ret; i++) {
		if (bad) {
			snprintf(buf, sizeof(buf), "{\"seq\":%u", i);
			ret = tk_telemetry_msg_id(id, "flood", buf);
			if (ret == -EBADMSG)
				ret = 0;
		} else {
			snprintf(buf, sizeof(buf), "{\"seq\":%u,\"n\":%u}", i,
				 n);
			ret = tk_telemetry_msg_id(id, "peer", buf);
		}
		/* Unload waits for this write: give way to it. */
		if (!(i & 255) && !ret)
			ret = tk_feature_yield(&tkp_feature);
	}
	ret2 = tk_telemetry_session_end_id(id);
	return ret ?: ret2;
}

/* ---- files ---- */

static ssize_t control_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	char cmd[TKP_CTL_MAX + 1], *arg, *arg2;
	u32 n;
	int ret;

	ret = tk_sample_cmd(buf, count, cmd, TKP_CTL_MAX, &arg, &arg2);
	if (ret)
		return ret;

	mutex_lock(&tkp_lock);
	if (!strcmp(cmd, "unregister") && arg && !arg2) {
		ret = tk_telemetry_unregister_id(arg);
	} else if ((!strcmp(cmd, "emit") || !strcmp(cmd, "flood")) && arg &&
		   arg2) {
		ret = tk_parse_u32_range(arg2, strlen(arg2), 1, TKP_EMIT_MAX,
					 &n);
		if (!ret)
			ret = tkp_emit(arg, n, !strcmp(cmd, "flood"));
	} else if (!strcmp(cmd, "stress") && arg && !arg2) {
		ret = tk_parse_u32_range(arg, strlen(arg), 1, 3600, &n);
		if (!ret)
			ret = tkp_stress_start(n);
	} else if (!strcmp(cmd, "race") && !arg) {
		ret = tkp_race_run();
	} else if (!strcmp(cmd, "stress_stop") && !arg) {
		ret = tkp_workers ? 0 : -ESRCH;
		if (!ret)
			tkp_stress_stop();
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&tkp_lock);
	return ret ?: count;
}
static DEVICE_ATTR_WO(control);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	u64 ops = 0;
	int len, i;

	for (i = 0; i < TKP_NR_RES; i++)
		ops += atomic64_read(&tkp_res[i]);
	len = sysfs_emit(buf, "running=%d ops=%llu",
			 READ_ONCE(tkp_workers) &&
			 time_before(jiffies, READ_ONCE(tkp_deadline)), ops);
	for (i = 0; i < TKP_NR_RES; i++)
		len += sysfs_emit_at(buf, len, " %s=%llu", tkp_res_names[i],
				     atomic64_read(&tkp_res[i]));
	len += sysfs_emit_at(buf, len, " last_bad=%d timer=%lld timer_not_hardirq=%lld\n",
			     atomic_read(&tkp_last_bad),
			     atomic64_read(&tkp_timer_calls),
			     atomic64_read(&tkp_timer_soft));
	return len;
}
static DEVICE_ATTR_RO(stats);

static struct attribute *tkp_attrs[] = {
	&dev_attr_control.attr,
	&dev_attr_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tkp);

static struct tk_feature tkp_feature = {
	.name = "tkpeer",
	.owner = THIS_MODULE,
	.groups = tkp_groups,
};

static int __init tkp_init(void)
{
	return tk_register_feature(&tkp_feature);
}

static void __exit tkp_exit(void)
{
	tk_unregister_feature(&tkp_feature);
	mutex_lock(&tkp_lock);
	if (tkp_workers)
		tkp_stress_stop();
	mutex_unlock(&tkp_lock);
}

module_init(tkp_init);
module_exit(tkp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Second user of tkcore's telemetry events: by-id calls on others' producers, lifetime stress");
MODULE_VERSION(TK_VERSION);
