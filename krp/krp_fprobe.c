// SPDX-License-Identifier: GPL-2.0
/*
 * krp_fprobe.c - krp's fprobe backend, on kernels with a usable fprobe
 * (TK_HAVE_FPROBE, see include/tkcore/compat.h: Debian's 6.12, not 6.1).
 *
 * fprobe attaches through ftrace and returns through rethook.  The start
 * time lives in the entry data fprobe keeps per call instance, so each call
 * is timed from its own entry, as with kretprobes.  Calls fprobe could not
 * track (no free instance, or recursion) are counted in fp.nmissed.
 */
#include <linux/fprobe.h>
#include <linux/slab.h>
#include "krp.h"

#if TK_HAVE_FPROBE

struct krp_fp {
	struct fprobe fp;
	struct krp_func *f;
};

static int krp_fp_entry(TK_FPROBE_ENTRY_ARGS)
{
	*(u64 *)entry_data = krp_now();
	return 0;
}

static void krp_fp_exit(TK_FPROBE_EXIT_ARGS)
{
	struct krp_fp *kfp = container_of(fp, struct krp_fp, fp);

	krp_account(kfp->f, *(u64 *)entry_data);
}

int krp_fprobe_start(struct krp_func *f)
{
	const char *sym = f->target;
	struct krp_fp *kfp;
	int ret;

	kfp = kzalloc(sizeof(*kfp), GFP_KERNEL);
	if (!kfp)
		return -ENOMEM;
	kfp->f = f;
	kfp->fp.entry_handler = krp_fp_entry;
	kfp->fp.exit_handler = krp_fp_exit;
	kfp->fp.entry_data_size = sizeof(u64);
	kfp->fp.nr_maxactive = krp_maxactive;
	ret = register_fprobe_syms(&kfp->fp, &sym, 1);
	if (ret) {
		kfree(kfp);
		return ret;
	}
	f->fp = kfp;
	f->mech = KRP_MECH_FPROBE;
	return 0;
}

/* Once this returns no handler of @f runs, even for calls still in flight. */
void krp_fprobe_stop(struct krp_func *f)
{
	struct krp_fp *kfp = f->fp;

	unregister_fprobe(&kfp->fp);
	kfree(kfp);
	f->fp = NULL;
}

unsigned long krp_fprobe_missed(const struct krp_func *f)
{
	const struct krp_fp *kfp = f->fp;

	return READ_ONCE(kfp->fp.nmissed);
}

#else /* !TK_HAVE_FPROBE */

int krp_fprobe_start(struct krp_func *f)
{
	return -EOPNOTSUPP;
}

void krp_fprobe_stop(struct krp_func *f)
{
}

unsigned long krp_fprobe_missed(const struct krp_func *f)
{
	return 0;
}

#endif
