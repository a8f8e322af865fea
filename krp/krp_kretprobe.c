// SPDX-License-Identifier: GPL-2.0
/*
 * krp_kretprobe.c - krp's kretprobe backend, used on every kernel.
 *
 * The entry handler stores the start time in the kretprobe instance's own
 * data, which travels with that one call: recursive, nested, sleeping and
 * migrating calls are each timed from their own entry.  When all instances
 * are in use a call is not timed; the kernel counts it in nmissed, which krp
 * shows.
 */
#include <linux/kprobes.h>
#include "krp.h"

static int krp_kret_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(u64 *)ri->data = krp_now();
	return 0;
}

static int krp_kret_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct krp_func *f = container_of(get_kretprobe(ri), struct krp_func, rp);

	krp_account(f, *(u64 *)ri->data);
	return 0;
}

int krp_kretprobe_start(struct krp_func *f)
{
	int ret;

	memset(&f->rp, 0, sizeof(f->rp));
	f->rp.kp.symbol_name = f->target;
	f->rp.entry_handler = krp_kret_entry;
	f->rp.handler = krp_kret_return;
	f->rp.data_size = sizeof(u64);
	f->rp.maxactive = krp_maxactive;
	ret = register_kretprobe(&f->rp);
	if (!ret)
		f->mech = KRP_MECH_KRETPROBE;
	return ret;
}

/* Once this returns no handler of @f runs, even for calls still in flight. */
void krp_kretprobe_stop(struct krp_func *f)
{
	unregister_kretprobe(&f->rp);
}

unsigned long krp_kretprobe_missed(const struct krp_func *f)
{
	return (unsigned long)READ_ONCE(f->rp.nmissed) +
	       READ_ONCE(f->rp.kp.nmissed);
}
