/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tkcore_internal.h - what the files of tkcore.ko share with each other and
 * with nobody else.  Feature modules see only <tkcore/tkcore.h>.
 */
#ifndef _TKCORE_INTERNAL_H
#define _TKCORE_INTERNAL_H

#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <tkcore/tkcore.h>

#define TK_RING_MIN		1
#define TK_RING_MAX		16384
#define TK_INTERVAL_MIN		1
#define TK_INTERVAL_MAX		3600

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

/* Interned snapshot key names, see tk_key_name(). */
const char *tk_key_name(u16 id);

/* snapshot.c */
int tk_snapshot_init(void);
void tk_snapshot_start(void);
void tk_take_snapshot(void);
void tk_snapshot_exit(void);

#endif /* _TKCORE_INTERNAL_H */
