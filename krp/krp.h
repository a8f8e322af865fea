/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krp.h - shared by the files of krp.ko: one profiled function, and the
 * accounting its probe handlers do.
 */
#ifndef _KRP_H
#define _KRP_H

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <tkcore/compat.h>
#include "krp_util.h"

enum krp_mech {
	KRP_MECH_NONE,
	KRP_MECH_KRETPROBE,
	KRP_MECH_FPROBE,
};

/*
 * Per-CPU accumulators of one function.  Only this_cpu_*() ops write them.
 * hist[] holds each bucket's count modulo KRP_WRAP; the wraps are in the
 * function's shared hist_hi[] (see krp_util.h for the layout and sizes).
 */
struct krp_pcpu {
	u64 count;
	u64 total_ns;
	u64 min_ns;	/* U64_MAX until the first call */
	u64 max_ns;
	u16 hist[KRP_BUCKETS];
};

/**
 * struct krp_func - one function krp profiles (or failed to)
 * @node: entry in krp_funcs, in the order the user gave
 * @name: the name as the user wrote it
 * @target: the symbol probed (e.g. __x64_sys_getpid for sys_getpid)
 * @mech: how it is probed; KRP_MECH_NONE if registration failed
 * @err: the registration error, for a failed function
 * @pcpu: the accumulators
 * @hist_hi: per bucket, KRP_WRAP times the number of times a CPU's count of
 *	it wrapped; KRP_BUCKETS entries, freed with the function
 * @rp: the kretprobe, when @mech is KRP_MECH_KRETPROBE
 * @fp: the fprobe wrapper (krp_fprobe.c), when @mech is KRP_MECH_FPROBE
 */
struct krp_func {
	struct list_head node;
	char name[KRP_NAME_MAX + 1];
	char target[KRP_NAME_MAX + sizeof(TK_SYSCALL_PREFIX)];
	enum krp_mech mech;
	int err;
	struct krp_pcpu __percpu *pcpu;
	atomic64_t *hist_hi;
	struct kretprobe rp;
	void *fp;
};

extern unsigned int krp_maxactive;

int krp_kretprobe_start(struct krp_func *f);
void krp_kretprobe_stop(struct krp_func *f);
unsigned long krp_kretprobe_missed(const struct krp_func *f);

/* Without a usable fprobe these fail with -EOPNOTSUPP. */
int krp_fprobe_start(struct krp_func *f);
void krp_fprobe_stop(struct krp_func *f);
unsigned long krp_fprobe_missed(const struct krp_func *f);

/* The clock for call durations: monotonic, NMI-safe, cheap. */
static __always_inline u64 krp_now(void)
{
	return ktime_get_mono_fast_ns();
}

/*
 * Account one call that started at @start.  Runs in the probe handlers with
 * preemption off; this_cpu_*() ops keep a nested update from an interrupt
 * on the same CPU from tearing the counters.
 */
static __always_inline void krp_account(struct krp_func *f, u64 start)
{
	u64 d = krp_now() - start;
	unsigned int b = krp_bucket(d);
	u64 old, prev;

	this_cpu_inc(f->pcpu->count);
	this_cpu_add(f->pcpu->total_ns, d);
	/* one increment; once in KRP_WRAP calls of a bucket, a carry */
	if (unlikely(!this_cpu_inc_return(f->pcpu->hist[b])))
		atomic64_add(KRP_WRAP, &f->hist_hi[b]);
	old = this_cpu_read(f->pcpu->min_ns);
	while (d < old) {
		prev = this_cpu_cmpxchg(f->pcpu->min_ns, old, d);
		if (prev == old)
			break;
		old = prev;
	}
	old = this_cpu_read(f->pcpu->max_ns);
	while (d > old) {
		prev = this_cpu_cmpxchg(f->pcpu->max_ns, old, d);
		if (prev == old)
			break;
		old = prev;
	}
}

#endif /* _KRP_H */
