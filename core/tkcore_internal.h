/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tkcore_internal.h - what the files of tkcore.ko share with each other and
 * with nobody else.  Feature modules see only <tkcore/tkcore.h>.
 */
#ifndef _TKCORE_INTERNAL_H
#define _TKCORE_INTERNAL_H

#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <tkcore/tkcore.h>

#define TK_RING_MIN		1
#define TK_RING_MAX		16384
#define TK_INTERVAL_MIN		1
#define TK_INTERVAL_MAX		3600

struct tk_cpu_sample {
	u64 busy_ns;		/* U64_MAX: CPU was offline */
	u64 idle_ns;
};

struct tk_extra {
	u16 key;
	u64 val;
};

struct tk_snapshot {
	u64 seq;
	u64 time_ns;		/* CLOCK_REALTIME */
	u64 uptime_ns;		/* CLOCK_BOOTTIME */
	u64 mem_total_kb;
	u64 mem_free_kb;
	u64 mem_avail_kb;
	u64 buffers_kb;
	u64 cached_kb;
	u64 swap_free_kb;
	u64 irqs;
	u64 ctxt;
	unsigned long load[3];
	u32 procs;
	u32 threads;
	u32 running;
	u64 net_rx_bytes;	/* every interface of init_net */
	u64 net_rx_packets;
	u64 net_tx_bytes;
	u64 net_tx_packets;
	u32 nr_extra;
	struct tk_extra extra[TK_SNAP_MAX_EXTRA];
	struct tk_cpu_sample cpu[];
};

/* Serialises registration, the qeexo devices and the snapshot hooks. */
extern struct mutex tk_lock;
/* Features in registration order, under tk_lock. */
extern struct list_head tk_features;

/* Control values; written under tk_ctl_lock, read locklessly. */
extern bool tk_enabled;
extern unsigned int tk_log_interval;
extern unsigned int tk_ring_size;

int tk_set_enable(bool on);
int tk_set_log_interval(unsigned int secs);

/*
 * The /proc files' gate (tkcore_main.c): every open of /proc/telemetry or
 * /proc/kmonpro enters it (false: tkcore is unloading, fail with -ENOENT)
 * and its release leaves it; unload closes it and waits for open files.
 */
bool tk_proc_enter(void);
void tk_proc_leave(void);

/* Interned snapshot key names, see tk_key_name(). */
const char *tk_key_name(u16 id);

/* snapshot.c */
int tk_snapshot_init(void);
void tk_snapshot_start(void);
void tk_take_snapshot(void);
void tk_snapshot_exit(void);

/* kmonpro.c: the system view, /proc/kmonpro */
#define TK_TOP_N_MAX		100
extern unsigned int tk_top_n;
int tk_kmon_init(void);
void tk_kmon_collect_net(struct tk_snapshot *s);
void tk_kmon_sample(const struct tk_snapshot *s);
void tk_kmon_exit(void);

/* procnet.c: per-process socket bytes */
struct tk_pn_proc {
	u64 key;
	pid_t tgid;		/* in the initial pid namespace */
	pid_t nr;		/* kmonpro.c: as the reader sees it, 0: hidden */
	u64 tx;
	u64 rx;
	char comm[TASK_COMM_LEN];
};

/* Bytes not in any process's slot. */
struct tk_pn_sum {
	u64 gone_tx, gone_rx;	/* slots taken over from exited processes */
	u64 over_tx, over_rx;	/* calls that found no slot */
};

extern bool tk_procnet_on;
u64 tk_procnet_key(pid_t tgid, u64 start_ns);
struct task_struct *tk_procnet_task(u64 key);
int tk_procnet_set(bool on);
u64 tk_procnet_overflow(void);
struct tk_pn_proc *tk_procnet_collect(size_t *nr, struct tk_pn_sum *sum);
int tk_procnet_init(void);
void tk_procnet_exit(void);

/* events.c */
extern const struct attribute_group *tk_events_groups[];
int tk_events_init(void);
void tk_events_exit(void);

#endif /* _TKCORE_INTERNAL_H */
