// SPDX-License-Identifier: GPL-2.0
/*
 * kmonpro.c - the system view, /proc/kmonpro (layout: docs/ABI/testing/
 * procfs-kmonpro).
 *
 * The sampler (snapshot.c) calls in here at each snapshot, under
 * tk_sample_lock:
 *   - tk_kmon_collect_net() before the snapshot enters the ring: one RCU walk
 *     over init_net's interfaces (dev_get_stats()), which gives the per-
 *     interface lines and the snapshot's net_* totals;
 *   - tk_kmon_sample() after it: per-CPU times by kind, and one RCU walk
 *     over the thread groups recording each one's CPU time and its tgid's
 *     struct pid (a reference, dropped when the sample is replaced).  The
 *     previous sample's table (sorted by key) gives each process's CPU time
 *     over the interval; the processes with any are ranked, busiest first.
 *     The first sample is compared with a sample of zeros at boot.
 * Each sample replaces the one before the current one, under tk_km_lock.
 * /proc/kmonpro formats the latest sample against the one before, plus the
 * live procnet totals (procnet.c), when it is read, as the reader may see
 * it: processes by their pid in the pid namespace of the procfs instance
 * the file was opened through, only those that instance shows the reader
 * (hidepid=), socket bytes only of processes whose /proc/PID/io the reader
 * could read.
 *
 * Bounds: at most TK_KM_TASKS thread groups per sample (more are left out of
 * the top list and counted in tasks_dropped), at most TK_KM_NETS interfaces
 * listed (all are in the totals).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tick.h>
#include <linux/timekeeping.h>
#include <net/net_namespace.h>
#include <tkcore/compat.h>
#include <tkcore/version.h>
#include "tkcore_internal.h"

#define TK_KM_TASKS	8192
#define TK_KM_NETS	64

enum { KM_USER, KM_NICE, KM_SYSTEM, KM_IRQ, KM_SOFTIRQ, KM_IOWAIT, KM_IDLE,
	KM_STEAL, KM_NR };

struct tk_km_cpu {
	bool online;
	u64 t[KM_NR];		/* ns */
};

struct tk_km_task {
	u64 key;		/* tk_procnet_key() */
	u64 runtime_ns;		/* whole thread group, ever */
	struct pid *pid;	/* its tgid, referenced; NULL if it had none */
	char comm[TASK_COMM_LEN];
};

/* A process with CPU time over the interval. */
struct tk_km_rank {
	u64 delta_ns;
	u32 idx;		/* into tasks */
};

struct tk_km_net {
	char name[IFNAMSIZ];
	u64 rx_bytes, rx_packets, tx_bytes, tx_packets;
};

struct tk_km_sample {
	u64 seq;
	u64 uptime_ns;
	u64 mono_ns;
	u64 mem[6];
	u32 procs, threads, running;
	struct tk_km_cpu *cpu;		/* nr_cpu_ids */
	struct tk_km_task *tasks;	/* TK_KM_TASKS, sorted by key */
	unsigned int nr_tasks;
	unsigned int tasks_dropped;
	struct tk_km_rank *rank;	/* TK_KM_TASKS, busiest first */
	unsigned int nr_rank;
	bool since_boot;		/* compared with the boot baseline */
	struct tk_km_net *nets;		/* TK_KM_NETS */
	unsigned int nr_nets;
};

unsigned int tk_top_n = 10;

/* Guards tk_km_cur/tk_km_prev against /proc/kmonpro readers. */
static DEFINE_MUTEX(tk_km_lock);
static struct tk_km_sample tk_km_a, tk_km_b;
static struct tk_km_sample *tk_km_cur = &tk_km_a, *tk_km_prev = &tk_km_b;
static bool tk_km_have_cur, tk_km_have_prev;
/* Interfaces of the snapshot being taken; only the sampler uses them. */
static struct tk_km_net *tk_km_stage_nets;
static unsigned int tk_km_stage_nr_nets;
static struct proc_dir_entry *tk_km_proc;

/* ---- sampling ---- */

void tk_kmon_collect_net(struct tk_snapshot *s)
{
	struct rtnl_link_stats64 st;
	struct net_device *dev;
	unsigned int n = 0;

	s->net_rx_bytes = 0;
	s->net_rx_packets = 0;
	s->net_tx_bytes = 0;
	s->net_tx_packets = 0;
	if (!TK_HAVE_NET) {
		tk_km_stage_nr_nets = 0;
		return;
	}
	rcu_read_lock();
	for_each_netdev_rcu(&init_net, dev) {
		dev_get_stats(dev, &st);
		s->net_rx_bytes += st.rx_bytes;
		s->net_rx_packets += st.rx_packets;
		s->net_tx_bytes += st.tx_bytes;
		s->net_tx_packets += st.tx_packets;
		if (n == TK_KM_NETS)
			continue;
		strscpy(tk_km_stage_nets[n].name, dev->name, IFNAMSIZ);
		tk_km_stage_nets[n].rx_bytes = st.rx_bytes;
		tk_km_stage_nets[n].rx_packets = st.rx_packets;
		tk_km_stage_nets[n].tx_bytes = st.tx_bytes;
		tk_km_stage_nets[n].tx_packets = st.tx_packets;
		n++;
	}
	rcu_read_unlock();
	tk_km_stage_nr_nets = n;
}

static void tk_km_collect_cpu(struct tk_km_sample *k)
{
	struct kernel_cpustat kcs;
	u64 idle, iowait;
	int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct tk_km_cpu *c = &k->cpu[cpu];

		c->online = cpu_online(cpu);
		if (!c->online)
			continue;
		kcpustat_cpu_fetch(&kcs, cpu);
		c->t[KM_USER] = kcs.cpustat[CPUTIME_USER];
		c->t[KM_NICE] = kcs.cpustat[CPUTIME_NICE];
		c->t[KM_SYSTEM] = kcs.cpustat[CPUTIME_SYSTEM];
		c->t[KM_IRQ] = kcs.cpustat[CPUTIME_IRQ];
		c->t[KM_SOFTIRQ] = kcs.cpustat[CPUTIME_SOFTIRQ];
		c->t[KM_STEAL] = kcs.cpustat[CPUTIME_STEAL];
		/* As /proc/stat: the NO_HZ idle clock where there is one. */
		idle = get_cpu_idle_time_us(cpu, NULL);
		iowait = get_cpu_iowait_time_us(cpu, NULL);
		c->t[KM_IDLE] = idle == -1ULL ? kcs.cpustat[CPUTIME_IDLE] :
				idle * NSEC_PER_USEC;
		c->t[KM_IOWAIT] = iowait == -1ULL ? kcs.cpustat[CPUTIME_IOWAIT] :
				  iowait * NSEC_PER_USEC;
	}
}

static int tk_km_cmp_task(const void *a, const void *b)
{
	const struct tk_km_task *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* CPU time of every thread group, as /proc/<pid>/stat sums it. */
static void tk_km_collect_tasks(struct tk_km_sample *k)
{
	struct task_struct *p, *t;
	unsigned int n = 0;
	u64 rt;

	k->tasks_dropped = 0;
	rcu_read_lock();
	for_each_process(p) {
		if (n == TK_KM_TASKS) {
			k->tasks_dropped++;
			continue;
		}
		rt = READ_ONCE(p->signal->sum_sched_runtime);
		for_each_thread(p, t)
			rt += READ_ONCE(t->se.sum_exec_runtime);
		k->tasks[n].key = tk_procnet_key(p->tgid, p->start_time);
		k->tasks[n].runtime_ns = rt;
		k->tasks[n].pid = get_pid(task_tgid(p));
		/* Racy against a rename, as /proc's comm; always terminated. */
		memcpy(k->tasks[n].comm, p->comm, TASK_COMM_LEN);
		k->tasks[n].comm[TASK_COMM_LEN - 1] = '\0';
		n++;
	}
	rcu_read_unlock();
	sort(k->tasks, n, sizeof(*k->tasks), tk_km_cmp_task, NULL);
	k->nr_tasks = n;
}

static int tk_km_cmp_rank(const void *a, const void *b)
{
	const struct tk_km_rank *x = a, *y = b;

	if (x->delta_ns != y->delta_ns)
		return x->delta_ns > y->delta_ns ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Each process's CPU time since @prev; those with any, busiest first. */
static void tk_km_rank(struct tk_km_sample *k, const struct tk_km_sample *prev)
{
	struct tk_km_task *cur, *old;
	unsigned int i, n = 0;
	u64 delta;

	for (i = 0; i < k->nr_tasks; i++) {
		cur = &k->tasks[i];
		old = bsearch(cur, prev->tasks, prev->nr_tasks, sizeof(*cur),
			      tk_km_cmp_task);
		if (old) {
			delta = cur->runtime_ns > old->runtime_ns ?
				cur->runtime_ns - old->runtime_ns : 0;
		} else {
			/*
			 * Not in the previous sample: new since then (its
			 * whole time is in the interval), or left out of it
			 * by the bound (unknown, skipped).  The key holds the
			 * low 31 bits of the start time.
			 */
			delta = 0;
			if (!prev->tasks_dropped)
				delta = cur->runtime_ns;
		}
		if (!delta || !cur->pid)
			continue;
		k->rank[n].delta_ns = delta;
		k->rank[n].idx = i;
		n++;
	}
	sort(k->rank, n, sizeof(*k->rank), tk_km_cmp_rank, NULL);
	k->nr_rank = n;
}

/* Drops @k's task table and its pid references. */
static void tk_km_drop_tasks(struct tk_km_sample *k)
{
	unsigned int i;

	for (i = 0; i < k->nr_tasks; i++)
		put_pid(k->tasks[i].pid);
	k->nr_tasks = 0;
	k->nr_rank = 0;
}

/*
 * The baseline of the first sample: every CPU online with no time, no
 * process; so the first interval runs from boot, as the first frame of
 * vmstat or top.
 */
static void tk_km_boot_baseline(struct tk_km_sample *k)
{
	int cpu;

	tk_km_drop_tasks(k);
	k->tasks_dropped = 0;
	k->seq = 0;
	k->uptime_ns = 0;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		memset(&k->cpu[cpu], 0, sizeof(k->cpu[cpu]));
		k->cpu[cpu].online = true;
	}
}

/**
 * tk_kmon_sample() - record the system view of a snapshot
 * @s: the snapshot just entered in the ring
 *
 * Context: the sampler, under tk_sample_lock, after tk_kmon_collect_net().
 */
void tk_kmon_sample(const struct tk_snapshot *s)
{
	struct tk_km_sample *k, *prev;
	struct tk_km_net *nets;

	/*
	 * The new sample overwrites the one before the current one.  Readers
	 * wait meanwhile: the work is two short walks.
	 */
	mutex_lock(&tk_km_lock);
	k = tk_km_prev;
	prev = tk_km_cur;
	if (!tk_km_have_cur)
		tk_km_boot_baseline(prev);
	tk_km_drop_tasks(k);

	k->seq = s->seq;
	k->uptime_ns = s->uptime_ns;
	k->mono_ns = ktime_get_ns();
	k->mem[0] = s->mem_total_kb;
	k->mem[1] = s->mem_free_kb;
	k->mem[2] = s->mem_avail_kb;
	k->mem[3] = s->buffers_kb;
	k->mem[4] = s->cached_kb;
	k->mem[5] = s->swap_free_kb;
	k->procs = s->procs;
	k->threads = s->threads;
	k->running = s->running;
	nets = k->nets;
	k->nets = tk_km_stage_nets;
	k->nr_nets = tk_km_stage_nr_nets;
	tk_km_stage_nets = nets;
	tk_km_collect_cpu(k);
	tk_km_collect_tasks(k);
	tk_km_rank(k, prev);
	k->since_boot = !tk_km_have_cur;

	tk_km_prev = prev;
	tk_km_cur = k;
	tk_km_have_prev = true;
	tk_km_have_cur = true;
	mutex_unlock(&tk_km_lock);
}

/* ---- /proc/kmonpro ---- */

/* @part / @whole as a percentage with one decimal, rounded. */
static void tk_km_pct(struct seq_file *m, const char *key, u64 part,
		      u64 whole)
{
	u64 tenths = whole ? div64_u64(part * 1000 + whole / 2, whole) : 0;

	seq_printf(m, " %s=%llu.%llu", key, div_u64(tenths, 10),
		   tenths - div_u64(tenths, 10) * 10);
}

static void tk_km_show_cpu(struct seq_file *m, const char *name,
			   const u64 *d)
{
	u64 total = 0, busy;
	int i;

	for (i = 0; i < KM_NR; i++)
		total += d[i];
	busy = total - d[KM_IDLE] - d[KM_IOWAIT];
	seq_printf(m, "cpu name=%s", name);
	tk_km_pct(m, "user_pct", d[KM_USER], total);
	tk_km_pct(m, "nice_pct", d[KM_NICE], total);
	tk_km_pct(m, "system_pct", d[KM_SYSTEM], total);
	tk_km_pct(m, "irq_pct", d[KM_IRQ], total);
	tk_km_pct(m, "softirq_pct", d[KM_SOFTIRQ], total);
	tk_km_pct(m, "iowait_pct", d[KM_IOWAIT], total);
	tk_km_pct(m, "idle_pct", d[KM_IDLE], total);
	tk_km_pct(m, "busy_pct", busy, total);
	seq_putc(m, '\n');
}

static void tk_km_show_cpus(struct seq_file *m, const struct tk_km_sample *k,
			    const struct tk_km_sample *p)
{
	u64 all[KM_NR] = { 0 }, d[KM_NR];
	char name[16];
	int cpu, i;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (!k->cpu[cpu].online || !p->cpu[cpu].online)
			continue;
		for (i = 0; i < KM_NR; i++)
			all[i] += k->cpu[cpu].t[i] > p->cpu[cpu].t[i] ?
				  k->cpu[cpu].t[i] - p->cpu[cpu].t[i] : 0;
	}
	tk_km_show_cpu(m, "all", all);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (!k->cpu[cpu].online || !p->cpu[cpu].online)
			continue;
		for (i = 0; i < KM_NR; i++)
			d[i] = k->cpu[cpu].t[i] > p->cpu[cpu].t[i] ?
			       k->cpu[cpu].t[i] - p->cpu[cpu].t[i] : 0;
		snprintf(name, sizeof(name), "cpu%d", cpu);
		tk_km_show_cpu(m, name, d);
	}
}

/* ---- what the reader may see ---- */

/* The procfs instance the file was opened through, as /proc uses it. */
struct tk_km_view {
	struct pid_namespace *ns;
	struct proc_fs_info *fs;
};

/*
 * ptrace_may_access(@task, PTRACE_MODE_READ_FSCREDS | PTRACE_MODE_NOAUDIT),
 * the check of /proc/PID/io, as far as a module can make it:
 * ptrace_may_access() is not exported.  Its own rules (same thread group;
 * fsuid/fsgid equal to all of the task's uids/gids, or CAP_SYS_PTRACE in
 * the task's user namespace; the task dumpable, or CAP_SYS_PTRACE over its
 * mm) and those of the capability LSM (the task's permitted capabilities a
 * subset of the reader's effective ones in the same user namespace, or
 * CAP_SYS_PTRACE) are made here; further LSMs' ptrace rules (AppArmor,
 * SELinux) are not consulted.
 */
static bool tk_km_may_read(struct task_struct *task)
{
	const struct cred *cred, *tcred;
	struct mm_struct *mm;
	bool ok;

	if (same_thread_group(task, current))
		return true;
	task_lock(task);
	rcu_read_lock();
	cred = current_cred();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->fsuid, tcred->euid) &&
	      uid_eq(cred->fsuid, tcred->suid) &&
	      uid_eq(cred->fsuid, tcred->uid) &&
	      gid_eq(cred->fsgid, tcred->egid) &&
	      gid_eq(cred->fsgid, tcred->sgid) &&
	      gid_eq(cred->fsgid, tcred->gid)) ||
	     ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
	if (ok && !(cred->user_ns == tcred->user_ns &&
		    cap_issubset(tcred->cap_permitted, cred->cap_effective)))
		ok = ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (ok) {
		/* Dumpability after the credentials, as ptrace_may_access(). */
		smp_rmb();
		mm = task->mm;
		if (mm)
			ok = get_dumpable(mm) == SUID_DUMP_USER ||
			     ns_capable_noaudit(mm->user_ns, CAP_SYS_PTRACE);
		else
			ok = task->user_dumpable ||
			     ns_capable_noaudit(&init_user_ns, CAP_SYS_PTRACE);
	}
	task_unlock(task);
	return ok;
}

/* Whether the procfs instance lets the reader see every process at all. */
static bool tk_km_sees_all(const struct tk_km_view *v)
{
	enum proc_hidepid hide = READ_ONCE(v->fs->hide_pid);

	if (hide == HIDEPID_OFF)
		return true;
	return hide != HIDEPID_NOT_PTRACEABLE && in_group_p(v->fs->pid_gid);
}

/*
 * Whether the procfs instance shows the reader @task's /proc/PID files, as
 * proc_pid_permission() decides it (hidepid=1, 2 and 4 all hide a process
 * here: its line would show what its stat file does).
 */
static bool tk_km_visible(const struct tk_km_view *v, struct task_struct *task)
{
	return tk_km_sees_all(v) || tk_km_may_read(task);
}

static int tk_km_cmp_pn(const void *a, const void *b)
{
	const struct tk_pn_proc *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/*
 * Sets each process's pid as the reader sees it (0: outside the reader's
 * namespace, hidden by hidepid= or its bytes not readable) and adds the
 * bytes of processes that have exited to @ex_tx/@ex_rx.
 */
static void tk_km_resolve(const struct tk_km_view *v, struct tk_pn_proc *pn,
			  size_t nr, u64 *ex_tx, u64 *ex_rx)
{
	struct task_struct *task;
	size_t i;
	pid_t n;

	for (i = 0; i < nr; i++) {
		pn[i].nr = 0;
		n = 0;
		rcu_read_lock();
		task = tk_procnet_task(pn[i].key);
		if (task) {
			n = task_tgid_nr_ns(task, v->ns);
			get_task_struct(task);
		}
		rcu_read_unlock();
		if (!task) {
			*ex_tx += pn[i].tx;
			*ex_rx += pn[i].rx;
			continue;
		}
		/* Readable bytes imply a visible process (tk_km_visible()). */
		if (n && tk_km_may_read(task))
			pn[i].nr = n;
		put_task_struct(task);
		cond_resched();
	}
}

static void tk_km_show_nettop(struct seq_file *m, struct tk_pn_proc *pn,
			      size_t nr, unsigned int top_n)
{
	unsigned int shown;
	size_t j, best;

	/* Selection of the top_n largest (top_n <= 100): they are marked by
	 * zeroing their pid once printed.
	 */
	for (shown = 0; shown < top_n; shown++) {
		best = nr;
		for (j = 0; j < nr; j++) {
			if (!pn[j].nr || !(pn[j].tx + pn[j].rx))
				continue;
			if (best == nr || pn[j].tx + pn[j].rx >
					  pn[best].tx + pn[best].rx)
				best = j;
		}
		if (best == nr)
			break;
		seq_printf(m, "nettop pid=%d tx_bytes=%llu rx_bytes=%llu comm=%s\n",
			   pn[best].nr, pn[best].tx, pn[best].rx,
			   pn[best].comm);
		pn[best].nr = 0;
	}
}

/*
 * The top line of @t if the reader may see it: its pid in the reader's
 * namespace, its socket bytes only if the reader may read them.
 */
static bool tk_km_show_top(struct seq_file *m, const struct tk_km_view *v,
			   const struct tk_km_task *t, u64 delta_ns,
			   u64 interval, struct tk_pn_proc *pn, size_t nr_pn)
{
	struct task_struct *task;
	struct tk_pn_proc probe, *hit = NULL;
	struct mm_struct *mm;
	bool net;
	u64 kb = 0;
	pid_t nr;

	rcu_read_lock();
	nr = pid_nr_ns(t->pid, v->ns);
	task = pid_task(t->pid, PIDTYPE_TGID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!nr)
		goto hide;
	if (task) {
		if (!tk_km_visible(v, task))
			goto hide;
		net = tk_km_may_read(task);
		mm = get_task_mm(task);
		if (mm) {
			kb = (u64)get_mm_rss(mm) << (PAGE_SHIFT - 10);
			mmput(mm);
		}
		put_task_struct(task);
	} else {
		/* Exited since the sample: nothing left to check against. */
		if (!tk_km_sees_all(v))
			return false;
		net = ns_capable_noaudit(&init_user_ns, CAP_SYS_PTRACE);
	}
	seq_printf(m, "top pid=%d", nr);
	tk_km_pct(m, "cpu_pct", delta_ns, interval);
	seq_printf(m, " rss_kb=%llu", kb);
	if (TK_HAVE_NET && net) {
		probe.key = t->key;
		if (pn)
			hit = bsearch(&probe, pn, nr_pn, sizeof(*pn),
				      tk_km_cmp_pn);
		seq_printf(m, " tx_bytes=%llu rx_bytes=%llu", hit ? hit->tx : 0,
			   hit ? hit->rx : 0);
	}
	seq_printf(m, " comm=%s\n", t->comm);
	return true;
hide:
	if (task)
		put_task_struct(task);
	return false;
}

static int tk_km_show(struct seq_file *m, void *v)
{
	struct super_block *sb = file_inode(m->file)->i_sb;
	struct tk_km_view view = {
		.ns = proc_pid_ns(sb),
		.fs = proc_sb_info(sb),
	};
	unsigned int top_n = READ_ONCE(tk_top_n), i, shown;
	const struct tk_km_sample *k, *p;
	u64 interval = 0, ex_tx = 0, ex_rx = 0, tx, rx;
	struct tk_pn_proc *pn;
	struct tk_pn_sum sum;
	bool procnet;
	size_t nr_pn, j;

	pn = tk_procnet_collect(&nr_pn, &sum);
	if (IS_ERR(pn))
		return PTR_ERR(pn);
	procnet = READ_ONCE(tk_procnet_on);
	if (pn)
		tk_km_resolve(&view, pn, nr_pn, &ex_tx, &ex_rx);

	mutex_lock(&tk_km_lock);
	k = tk_km_cur;
	p = tk_km_prev;
	if (tk_km_have_prev)
		interval = k->uptime_ns - p->uptime_ns;
	seq_printf(m, "kmonpro %s seq=%llu uptime_ms=%llu interval_ms=%llu procnet=%d since_boot=%d\n",
		   TK_VERSION, tk_km_have_cur ? k->seq : 0,
		   tk_km_have_cur ? div_u64(k->uptime_ns, NSEC_PER_MSEC) : 0,
		   div_u64(interval, NSEC_PER_MSEC), procnet,
		   tk_km_have_cur && k->since_boot);
	if (!tk_km_have_cur)
		goto unlock;
	if (tk_km_have_prev)
		tk_km_show_cpus(m, k, p);
	seq_printf(m, "mem total_kb=%llu free_kb=%llu avail_kb=%llu buffers_kb=%llu cached_kb=%llu swap_free_kb=%llu\n",
		   k->mem[0], k->mem[1], k->mem[2], k->mem[3], k->mem[4],
		   k->mem[5]);
	seq_printf(m, "tasks procs=%u threads=%u running=%u\n", k->procs,
		   k->threads, k->running);
	for (i = 0; i < k->nr_nets; i++)
		seq_printf(m, "net name=%s rx_bytes=%llu rx_packets=%llu tx_bytes=%llu tx_packets=%llu\n",
			   k->nets[i].name, k->nets[i].rx_bytes,
			   k->nets[i].rx_packets, k->nets[i].tx_bytes,
			   k->nets[i].tx_packets);
	if (!tk_km_have_prev || !interval)
		goto unlock;
	for (i = 0, shown = 0; i < k->nr_rank && shown < top_n; i++)
		shown += tk_km_show_top(m, &view,
					&k->tasks[k->rank[i].idx],
					k->rank[i].delta_ns, interval, pn,
					nr_pn);
unlock:
	mutex_unlock(&tk_km_lock);
	if (pn) {
		tx = sum.gone_tx + sum.over_tx;
		rx = sum.gone_rx + sum.over_rx;
		for (j = 0; j < nr_pn; j++) {
			tx += pn[j].tx;
			rx += pn[j].rx;
		}
		seq_printf(m, "nettotal tx_bytes=%llu rx_bytes=%llu exited_tx_bytes=%llu exited_rx_bytes=%llu\n",
			   tx, rx, ex_tx + sum.gone_tx, ex_rx + sum.gone_rx);
		tk_km_show_nettop(m, pn, nr_pn, top_n);
	}
	kvfree(pn);
	return 0;
}

static int tk_km_open(struct inode *inode, struct file *file)
{
	int ret;

	if (!tk_proc_enter())
		return -ENOENT;
	ret = single_open_size(file, tk_km_show, NULL, 8192);
	if (ret)
		tk_proc_leave();
	return ret;
}

static int tk_km_release(struct inode *inode, struct file *file)
{
	int ret = single_release(inode, file);

	tk_proc_leave();
	return ret;
}

static const struct proc_ops tk_km_proc_ops = {
	.proc_open = tk_km_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = tk_km_release,
};

/* ---- setup ---- */

static void tk_km_free(struct tk_km_sample *k)
{
	if (k->tasks)
		tk_km_drop_tasks(k);
	kvfree(k->cpu);
	kvfree(k->tasks);
	kvfree(k->rank);
	kvfree(k->nets);
}

static int tk_km_alloc(struct tk_km_sample *k)
{
	k->cpu = kvcalloc(nr_cpu_ids, sizeof(*k->cpu), GFP_KERNEL);
	k->tasks = kvcalloc(TK_KM_TASKS, sizeof(*k->tasks), GFP_KERNEL);
	k->rank = kvcalloc(TK_KM_TASKS, sizeof(*k->rank), GFP_KERNEL);
	k->nets = kvcalloc(TK_KM_NETS, sizeof(*k->nets), GFP_KERNEL);
	return k->cpu && k->tasks && k->rank && k->nets ? 0 : -ENOMEM;
}

int tk_kmon_init(void)
{
	int ret;

	tk_km_stage_nets = kvcalloc(TK_KM_NETS, sizeof(*tk_km_stage_nets),
				    GFP_KERNEL);
	ret = tk_km_stage_nets ? 0 : -ENOMEM;
	if (!ret)
		ret = tk_km_alloc(&tk_km_a);
	if (!ret)
		ret = tk_km_alloc(&tk_km_b);
	if (ret)
		goto err;
	tk_km_proc = proc_create("kmonpro", 0444, NULL, &tk_km_proc_ops);
	if (!tk_km_proc) {
		ret = -EEXIST;
		goto err;
	}
	return 0;
err:
	tk_km_free(&tk_km_a);
	tk_km_free(&tk_km_b);
	kvfree(tk_km_stage_nets);
	return ret;
}

/* After the sampler has stopped. */
void tk_kmon_exit(void)
{
	proc_remove(tk_km_proc);
	tk_km_free(&tk_km_a);
	tk_km_free(&tk_km_b);
	kvfree(tk_km_stage_nets);
}
