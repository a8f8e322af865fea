// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - the snapshot ring behind /proc/telemetry.
 *
 * Sampling.  A deferrable delayed work item runs every log_interval seconds
 * while enable is 1.  It fills a staging snapshot (clocks, memory, interrupt
 * and context-switch totals, per-CPU busy and idle time, load average, task
 * counts, network totals over init_net's interfaces, then the fields of
 * every registered feature) and copies it into the ring; kmonpro.c then
 * records the system view of the same sample (/proc/kmonpro).  Enabling
 * takes a snapshot at once; a new log_interval re-arms the timer, so it
 * applies from the next snapshot on without a reload.
 *
 * The ring.  ring_size fixed-stride slots; the stride has room for
 * nr_cpu_ids per-CPU samples.  Every snapshot gets a sequence number, 1 for
 * the first; snapshot s lives in slot (s - 1) % ring_size.  tk_ring_lock (a
 * spinlock, held only for a memcpy of one slot) guards the slots and
 * tk_next_seq.  The sampler is the only writer: a work item never runs
 * concurrently with itself.
 *
 * Readers.  /proc/telemetry is a seq_file.  At position 0 a reader records
 * the oldest sequence number; position p then means snapshot base + p - 1,
 * copied out under the lock.  A reader that falls so far behind that its
 * next snapshot has been overwritten skips ahead to the oldest one left, so
 * a read never repeats or reorders lines, and seq_file lets the output run
 * to any length (ring_size 16384 gives several megabytes).
 *
 * Context switches.  nr_context_switches() is not exported to modules, so
 * tkcore counts them itself: a probe on the sched_switch tracepoint bumps a
 * per-CPU counter (no lock, no atomic), and the sampler sums the counters.
 * The count therefore starts at zero when tkcore loads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/sched/loadavg.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/tick.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>
#include <tkcore/compat.h>
#include <tkcore/version.h>
#include "tkcore_internal.h"

static DEFINE_SPINLOCK(tk_ring_lock);
static void *tk_ring;
static size_t tk_stride;
static u64 tk_next_seq = 1;
static struct tk_snapshot *tk_stage;

static DEFINE_MUTEX(tk_ctl_lock);
static DEFINE_MUTEX(tk_sample_lock);
static void tk_sample_fn(struct work_struct *work);
static DECLARE_DEFERRABLE_WORK(tk_sample_work, tk_sample_fn);

static DEFINE_PER_CPU(unsigned long, tk_ctxt);
static struct tracepoint *tk_tp_sched_switch;
static struct proc_dir_entry *tk_proc;

/* ---- collecting ---- */

static void tk_probe_sched_switch(TK_SCHED_SWITCH_ARGS)
{
	this_cpu_inc(tk_ctxt);
}

static u64 tk_pages_kb(unsigned long pages)
{
	return (u64)pages << (PAGE_SHIFT - 10);
}

static void tk_collect_mem(struct tk_snapshot *s)
{
	struct sysinfo si;
	long cached;

	si_meminfo(&si);
	s->mem_total_kb = tk_pages_kb(si.totalram);
	s->mem_free_kb = tk_pages_kb(si.freeram);
	s->mem_avail_kb = tk_pages_kb(si_mem_available());
	s->buffers_kb = tk_pages_kb(si.bufferram);
	/* As /proc/meminfo's "Cached" (the swap calls are 0 without swap). */
	cached = global_node_page_state(NR_FILE_PAGES) -
		 total_swapcache_pages() - si.bufferram;
	s->cached_kb = tk_pages_kb(max(cached, 0L));
	s->swap_free_kb = tk_pages_kb(get_nr_swap_pages());
}

/* Idle and iowait time as /proc/stat computes them. */
static u64 tk_cpu_idle_ns(int cpu, const struct kernel_cpustat *kcs)
{
	u64 idle = get_cpu_idle_time_us(cpu, NULL);
	u64 iowait = get_cpu_iowait_time_us(cpu, NULL);

	idle = idle == -1ULL ? kcs->cpustat[CPUTIME_IDLE] :
			       idle * NSEC_PER_USEC;
	iowait = iowait == -1ULL ? kcs->cpustat[CPUTIME_IOWAIT] :
				   iowait * NSEC_PER_USEC;
	return idle + iowait;
}

static void tk_collect_cpu(struct tk_snapshot *s)
{
	struct kernel_cpustat kcs;
	int cpu;

	s->irqs = 0;
	s->ctxt = 0;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		s->cpu[cpu].busy_ns = U64_MAX;
		s->cpu[cpu].idle_ns = U64_MAX;
	}
	for_each_possible_cpu(cpu) {
		s->irqs += kstat_cpu(cpu).irqs_sum;
		s->ctxt += READ_ONCE(per_cpu(tk_ctxt, cpu));
		if (!cpu_online(cpu))
			continue;
		kcpustat_cpu_fetch(&kcs, cpu);
		s->cpu[cpu].busy_ns = kcs.cpustat[CPUTIME_USER] +
				      kcs.cpustat[CPUTIME_NICE] +
				      kcs.cpustat[CPUTIME_SYSTEM] +
				      kcs.cpustat[CPUTIME_IRQ] +
				      kcs.cpustat[CPUTIME_SOFTIRQ] +
				      kcs.cpustat[CPUTIME_STEAL];
		s->cpu[cpu].idle_ns = tk_cpu_idle_ns(cpu, &kcs);
	}
	/* Rounded as /proc/loadavg rounds. */
	s->load[0] = avenrun[0] + FIXED_1 / 200;
	s->load[1] = avenrun[1] + FIXED_1 / 200;
	s->load[2] = avenrun[2] + FIXED_1 / 200;
}

static void tk_collect_tasks(struct tk_snapshot *s)
{
	struct task_struct *p, *t;

	s->procs = 0;
	s->threads = 0;
	s->running = 0;
	rcu_read_lock();
	for_each_process_thread(p, t) {
		s->threads++;
		if (thread_group_leader(t))
			s->procs++;
		if (task_is_running(t))
			s->running++;
	}
	rcu_read_unlock();
}

static void tk_collect_features(struct tk_snapshot *s)
{
	u64 vals[TK_FEATURE_MAX_KEYS];
	struct tk_feature *feat;
	unsigned int i;

	s->nr_extra = 0;
	mutex_lock(&tk_lock);
	list_for_each_entry(feat, &tk_features, node) {
		/* Not once tk_unregister_feature() has begun: see its notes. */
		if (!feat->nr_snap_keys || feat->stopping)
			continue;
		memset(vals, 0, sizeof(vals));
		feat->snapshot(feat, vals);
		/* Registration keeps the total within TK_SNAP_MAX_EXTRA. */
		for (i = 0; i < feat->nr_snap_keys; i++) {
			s->extra[s->nr_extra].key = feat->key_ids[i];
			s->extra[s->nr_extra].val = vals[i];
			s->nr_extra++;
		}
	}
	mutex_unlock(&tk_lock);
}

static void *tk_slot(u64 seq)
{
	return tk_ring + ((seq - 1) % tk_ring_size) * tk_stride;
}

/* Takes one snapshot.  tk_sample_lock serialises the sampler and writes to
 * the snapshot file, the two users of tk_stage.
 */
void tk_take_snapshot(void)
{
	struct tk_snapshot *s = tk_stage;

	mutex_lock(&tk_sample_lock);

	s->time_ns = ktime_get_real_ns();
	s->uptime_ns = ktime_get_boottime_ns();
	tk_collect_mem(s);
	tk_collect_cpu(s);
	tk_collect_tasks(s);
	tk_kmon_collect_net(s);
	tk_collect_features(s);

	spin_lock(&tk_ring_lock);
	s->seq = tk_next_seq++;
	memcpy(tk_slot(s->seq), s, tk_stride);
	spin_unlock(&tk_ring_lock);
	tk_kmon_sample(s);
	mutex_unlock(&tk_sample_lock);
}

static void tk_sample_fn(struct work_struct *work)
{
	tk_take_snapshot();
	if (READ_ONCE(tk_enabled))
		queue_delayed_work(system_wq, &tk_sample_work,
				   READ_ONCE(tk_log_interval) * HZ);
}

/* ---- control ---- */

/* Starts sampling at load if enable=1 was given (the default). */
void tk_snapshot_start(void)
{
	bool on;

	mutex_lock(&tk_ctl_lock);
	on = tk_enabled;
	if (on)
		mod_delayed_work(system_wq, &tk_sample_work, 0);
	mutex_unlock(&tk_ctl_lock);
	/* The first snapshot exists when the module's load returns. */
	if (on)
		flush_delayed_work(&tk_sample_work);
}

int tk_set_enable(bool on)
{
	mutex_lock(&tk_ctl_lock);
	if (on != tk_enabled) {
		WRITE_ONCE(tk_enabled, on);
		if (on)
			mod_delayed_work(system_wq, &tk_sample_work, 0);
		else
			cancel_delayed_work_sync(&tk_sample_work);
	}
	mutex_unlock(&tk_ctl_lock);
	return 0;
}

int tk_set_log_interval(unsigned int secs)
{
	mutex_lock(&tk_ctl_lock);
	WRITE_ONCE(tk_log_interval, secs);
	if (tk_enabled)
		mod_delayed_work(system_wq, &tk_sample_work, secs * HZ);
	mutex_unlock(&tk_ctl_lock);
	return 0;
}

/* ---- /proc/telemetry ---- */

struct tk_iter {
	u64 base_seq;
	struct tk_snapshot *snap;
};

static u64 tk_oldest_seq_locked(void)
{
	return tk_next_seq > tk_ring_size ? tk_next_seq - tk_ring_size : 1;
}

static void *tk_iter_fetch(struct tk_iter *it, loff_t pos)
{
	u64 seq, oldest;

	spin_lock(&tk_ring_lock);
	seq = it->base_seq + pos - 1;
	oldest = tk_oldest_seq_locked();
	if (seq < oldest) {
		/* Overwritten while the reader was away: skip ahead. */
		it->base_seq += oldest - seq;
		seq = oldest;
	}
	if (seq >= tk_next_seq) {
		spin_unlock(&tk_ring_lock);
		return NULL;
	}
	memcpy(it->snap, tk_slot(seq), tk_stride);
	spin_unlock(&tk_ring_lock);
	return it->snap;
}

static void *tk_seq_start(struct seq_file *m, loff_t *pos)
{
	struct tk_iter *it = m->private;

	if (*pos == 0) {
		spin_lock(&tk_ring_lock);
		it->base_seq = tk_oldest_seq_locked();
		spin_unlock(&tk_ring_lock);
		return SEQ_START_TOKEN;
	}
	return tk_iter_fetch(it, *pos);
}

static void *tk_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return tk_iter_fetch(m->private, *pos);
}

static void tk_seq_stop(struct seq_file *m, void *v)
{
}

static void tk_show_load(struct seq_file *m, const char *key,
			 unsigned long load)
{
	seq_printf(m, " %s=%lu.%02lu", key, LOAD_INT(load), LOAD_FRAC(load));
}

static int tk_seq_show(struct seq_file *m, void *v)
{
	const struct tk_snapshot *s = v;
	unsigned int i;
	int cpu;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# tkcore %s ring_size=%u log_interval=%u enable=%d\n",
			   TK_VERSION, tk_ring_size, READ_ONCE(tk_log_interval),
			   READ_ONCE(tk_enabled));
		return 0;
	}
	seq_printf(m, "seq=%llu time_ns=%llu uptime_ns=%llu", s->seq,
		   s->time_ns, s->uptime_ns);
	seq_printf(m, " mem_total_kb=%llu mem_free_kb=%llu mem_avail_kb=%llu buffers_kb=%llu cached_kb=%llu swap_free_kb=%llu",
		   s->mem_total_kb, s->mem_free_kb, s->mem_avail_kb,
		   s->buffers_kb, s->cached_kb, s->swap_free_kb);
	seq_printf(m, " irqs=%llu ctxt=%llu", s->irqs, s->ctxt);
	tk_show_load(m, "load1", s->load[0]);
	tk_show_load(m, "load5", s->load[1]);
	tk_show_load(m, "load15", s->load[2]);
	seq_printf(m, " procs=%u threads=%u running=%u", s->procs, s->threads,
		   s->running);
	if (TK_HAVE_NET)
		seq_printf(m, " net_rx_bytes=%llu net_rx_packets=%llu net_tx_bytes=%llu net_tx_packets=%llu",
			   s->net_rx_bytes, s->net_rx_packets,
			   s->net_tx_bytes, s->net_tx_packets);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (s->cpu[cpu].busy_ns == U64_MAX)
			continue;
		seq_printf(m, " cpu%d_busy_ms=%llu cpu%d_idle_ms=%llu", cpu,
			   div_u64(s->cpu[cpu].busy_ns, NSEC_PER_MSEC), cpu,
			   div_u64(s->cpu[cpu].idle_ns, NSEC_PER_MSEC));
	}
	for (i = 0; i < s->nr_extra; i++)
		seq_printf(m, " %s=%llu", tk_key_name(s->extra[i].key),
			   s->extra[i].val);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations tk_seq_ops = {
	.start = tk_seq_start,
	.next = tk_seq_next,
	.stop = tk_seq_stop,
	.show = tk_seq_show,
};

static int tk_proc_open(struct inode *inode, struct file *file)
{
	struct tk_iter *it;
	int ret;

	if (!tk_proc_enter())
		return -ENOENT;
	it = __seq_open_private(file, &tk_seq_ops, sizeof(*it));
	if (!it) {
		tk_proc_leave();
		return -ENOMEM;
	}
	it->snap = kvmalloc(tk_stride, GFP_KERNEL);
	if (!it->snap) {
		ret = -ENOMEM;
		seq_release_private(inode, file);
		tk_proc_leave();
		return ret;
	}
	return 0;
}

static int tk_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct tk_iter *it = m->private;
	int ret;

	kvfree(it->snap);
	ret = seq_release_private(inode, file);
	tk_proc_leave();
	return ret;
}

static const struct proc_ops tk_proc_ops = {
	.proc_open = tk_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = tk_proc_release,
};

/* ---- setup ---- */

static void tk_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

int tk_snapshot_init(void)
{
	int ret;

	tk_stride = ALIGN(struct_size(tk_stage, cpu, nr_cpu_ids), 8);
	tk_ring = vzalloc(array_size(tk_stride, tk_ring_size));
	tk_stage = kvzalloc(tk_stride, GFP_KERNEL);
	if (!tk_ring || !tk_stage) {
		ret = -ENOMEM;
		goto err_free;
	}

	for_each_kernel_tracepoint(tk_find_tracepoint, &tk_tp_sched_switch);
	if (!tk_tp_sched_switch) {
		pr_err("sched_switch tracepoint not found\n");
		ret = -ENOENT;
		goto err_free;
	}
	ret = tracepoint_probe_register(tk_tp_sched_switch,
					(void *)tk_probe_sched_switch, NULL);
	if (ret)
		goto err_free;

	tk_proc = proc_create("telemetry", 0444, NULL, &tk_proc_ops);
	if (!tk_proc) {
		ret = -EEXIST;
		goto err_tp;
	}
	return 0;

err_tp:
	tracepoint_probe_unregister(tk_tp_sched_switch,
				    (void *)tk_probe_sched_switch, NULL);
	tracepoint_synchronize_unregister();
err_free:
	kvfree(tk_stage);
	vfree(tk_ring);
	return ret;
}

void tk_snapshot_exit(void)
{
	proc_remove(tk_proc);
	mutex_lock(&tk_ctl_lock);
	WRITE_ONCE(tk_enabled, false);
	cancel_delayed_work_sync(&tk_sample_work);
	mutex_unlock(&tk_ctl_lock);
	tracepoint_probe_unregister(tk_tp_sched_switch,
				    (void *)tk_probe_sched_switch, NULL);
	tracepoint_synchronize_unregister();
	kvfree(tk_stage);
	vfree(tk_ring);
}
