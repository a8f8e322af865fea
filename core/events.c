// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - tkcore's telemetry event API (<tkcore/events.h>) and its
 * consumers.
 *
 * Notes on lifetimes and locking:
 *
 * - A producer is listed in tk_ev_producers (an RCU list, changed under
 *   tk_ev_lock) from registration until it is unregistered, by its handle
 *   or by its id, whichever comes first.  Unlisting marks it dead: every
 *   later call on it fails with -ESHUTDOWN, every later by-id call with
 *   -ENOENT, and its id may be registered again.
 * - It is refcounted: the list holds one reference, and the handle that
 *   tk_telemetry_register() returns holds another.  A producer registered
 *   by id (tk_telemetry_register_id(), native.h's register_telemetry())
 *   has no handle, only the list's reference.  The last put frees it after
 *   an RCU grace period.  So a handle stays valid until its owner calls
 *   tk_telemetry_unregister(), even when another module unregistered the
 *   producer by id in between: the owner's later calls fail with
 *   -ESHUTDOWN, and its own unregister only drops its reference.
 * - Every session and message call runs inside an RCU read-side section:
 *   a call that was already running when the last reference went (the
 *   owner's unregister racing with its own interrupt handler, say)
 *   finishes on live memory.  The handle calls use
 *   rcu_read_lock_sched_notrace(), preemption off: inline, where
 *   rcu_read_lock() is two out-of-line calls on a PREEMPT_RCU kernel,
 *   which cost the no-consumer path a third more; since RCU's flavours
 *   were merged, call_rcu() waits for such sections too.  It holds
 *   preemption off for at most one check of a payload of at most
 *   TK_EV_PAYLOAD_MAX bytes.  The by-id calls, which walk the list, use
 *   rcu_read_lock().  Sessions are a single atomic (the open session's
 *   number, 0 for none), so these calls take no lock.
 * - tk_ev_lock: a mutex, taken by register, unregister and the producers
 *   file; never in the reader's or the producers' fast paths.
 *
 * Every accepted call fires its tracepoint (core/tk_trace.h, system
 * "qeexo").  While /dev/qeexo_events is open, it is also written as a
 * record into a per-CPU ring buffer (the kernel's lockless ring_buffer, in
 * non-overwrite mode: when a CPU's buffer is full the new record is dropped
 * and counted).  Both consumers hide behind static branches: with no
 * reader and no tracepoint enabled, an accepted message costs its checks,
 * one per-CPU counter increment and two patched-out branches.  A message's
 * strings are checked as far as its consumer needs: parsed for the reader,
 * whose JSON lines embed them, measured for the tracepoint, whose string
 * fields hold anything (tk_telemetry_msg()'s kernel-doc).
 *
 * The reader merges the per-CPU buffers by timestamp into JSON lines; it
 * is woken through an irq_work, so producers never take the wait queue's
 * lock.  Only one reader at a time: a second open gets -EBUSY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/jump_label.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/ring_buffer.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <tkcore/events.h>
#include <tkcore/compat.h>
#include "tkcore_internal.h"

#define CREATE_TRACE_POINTS
#include "tk_trace.h"

/* Per-CPU ring buffer size of the reader, KiB. */
static unsigned int events_buffer_kb = 256;
TK_MODULE_PARAM_RANGE(events_buffer_kb, events_buffer_kb, 8, 65536, 0444);
MODULE_PARM_DESC(events_buffer_kb,
		 "per-CPU buffer of /dev/qeexo_events in KiB (8..65536, default 256)");

/* Rejections counted on a producer. */
enum tk_ev_rej {
	TK_EV_REJ_EVENT,	/* bad event name */
	TK_EV_REJ_PAYLOAD,	/* payload not one JSON object */
	TK_EV_REJ_SIZE,		/* payload too long */
	TK_EV_REJ_NO_SESSION,	/* message or session end outside a session */
	TK_EV_REJ_SESSION,	/* session begin: bad name or one already open */
	TK_EV_REJ_DEAD,		/* racing with unregistration */
	TK_EV_NR_REJ,
};

static const char * const tk_ev_rej_names[TK_EV_NR_REJ] = {
	[TK_EV_REJ_EVENT] = "rej_event",
	[TK_EV_REJ_PAYLOAD] = "rej_payload",
	[TK_EV_REJ_SIZE] = "rej_size",
	[TK_EV_REJ_NO_SESSION] = "rej_no_session",
	[TK_EV_REJ_SESSION] = "rej_session",
	[TK_EV_REJ_DEAD] = "rej_dead",
};

/* Rejections with no producer to count them on. */
enum tk_ev_grej {
	TK_EV_GREJ_UUID,	/* malformed id */
	TK_EV_GREJ_NAME,	/* bad producer name at register */
	TK_EV_GREJ_VERSION,	/* bad version at register */
	TK_EV_GREJ_EXISTS,	/* id already registered */
	TK_EV_GREJ_FULL,	/* too many producers */
	TK_EV_GREJ_UNKNOWN,	/* well-formed id not registered */
	TK_EV_GREJ_HANDLE,	/* NULL or error pointer as handle */
	TK_EV_NR_GREJ,
};

static const char * const tk_ev_grej_names[TK_EV_NR_GREJ] = {
	[TK_EV_GREJ_UUID] = "uuid",
	[TK_EV_GREJ_NAME] = "name",
	[TK_EV_GREJ_VERSION] = "version",
	[TK_EV_GREJ_EXISTS] = "exists",
	[TK_EV_GREJ_FULL] = "full",
	[TK_EV_GREJ_UNKNOWN] = "unknown",
	[TK_EV_GREJ_HANDLE] = "handle",
};

struct tk_ev_stats {
	u64 msgs;
	u64 drops;
	u64 sessions;
	u64 rej[TK_EV_NR_REJ];
};

/**
 * struct tk_producer - a registered producer (opaque to users)
 * @node: entry in tk_ev_producers (RCU) while listed
 * @rcu: frees the producer after its last reference is put
 * @ref: the list's reference while listed, plus the handle's, if any
 * @stats: per-CPU counters
 * @session: number of the open session, 0 for none
 * @nr_sessions: sessions begun so far (the next one gets this plus one)
 * @dead: set when it is unlisted (under tk_ev_lock); never cleared
 * @uuid: id, lower case
 * @name: name
 * @version: version
 */
struct tk_producer {
	struct list_head node;
	struct rcu_head rcu;
	refcount_t ref;
	struct tk_ev_stats __percpu *stats;
	atomic_t session;
	atomic_t nr_sessions;
	bool dead;
	char uuid[TK_EV_UUID_LEN + 1];
	char name[TK_EV_NAME_MAX + 1];
	char version[TK_EV_VERSION_MAX + 1];
};

static DEFINE_MUTEX(tk_ev_lock);
static LIST_HEAD(tk_ev_producers);
static unsigned int tk_ev_nr_producers;
/* Producers not yet freed, listed or not: checked at unload. */
static atomic_t tk_ev_nr_alive = ATOMIC_INIT(0);

static DEFINE_PER_CPU(u64, tk_ev_grej[TK_EV_NR_GREJ]);
/* Records dropped because a CPU's buffer was full, all producers. */
static DEFINE_PER_CPU(u64, tk_ev_dropped);

/* ---- the reader's buffer ---- */

enum tk_ev_type {
	TK_EV_REGISTER,
	TK_EV_UNREGISTER,
	TK_EV_SESSION_BEGIN,
	TK_EV_SESSION_END,
	TK_EV_MSG,
};

static const char * const tk_ev_type_names[] = {
	[TK_EV_REGISTER] = "register",
	[TK_EV_UNREGISTER] = "unregister",
	[TK_EV_SESSION_BEGIN] = "session_begin",
	[TK_EV_SESSION_END] = "session_end",
	[TK_EV_MSG] = "msg",
};

/*
 * A record in the ring buffer: the producer's id and name are copied, so a
 * record outlives its producer.  text[] holds @text_len bytes (the event
 * name, session name or version) then @data_len bytes of payload.
 */
struct tk_ev_rec {
	u32 session;
	u16 data_len;
	u8 type;
	u8 text_len;
	char uuid[TK_EV_UUID_LEN];
	char name[TK_EV_NAME_MAX + 1];
	char text[];
};

/* Longest JSON line: the fields below plus the longest payload. */
#define TK_EV_LINE_MAX	(TK_EV_PAYLOAD_MAX + 512)

static DEFINE_STATIC_KEY_FALSE(tk_ev_reader_on);
static struct trace_buffer __rcu *tk_ev_rb;
static DECLARE_WAIT_QUEUE_HEAD(tk_ev_wq);
static bool tk_ev_waiting;
static atomic_t tk_ev_open = ATOMIC_INIT(0);

static void tk_ev_wake_fn(struct irq_work *w)
{
	wake_up_all(&tk_ev_wq);
}

static struct irq_work tk_ev_wake_work;

/*
 * Write one record for @p, if the reader is open.  @text/@text_len and
 * @data/@data_len are already checked.  Any context but NMI.
 */
static void tk_ev_write(struct tk_producer *p, enum tk_ev_type type,
			u32 session, const char *text, size_t text_len,
			const char *data, size_t data_len)
{
	struct ring_buffer_event *ev;
	struct trace_buffer *rb;
	struct tk_ev_rec *r;

	/* The reader's release waits for this section to end (RCU sched). */
	preempt_disable_notrace();
	rb = rcu_dereference_sched(tk_ev_rb);
	if (!rb)
		goto out;
	ev = ring_buffer_lock_reserve(rb, sizeof(*r) + text_len + data_len);
	if (!ev) {
		this_cpu_inc(p->stats->drops);
		this_cpu_inc(tk_ev_dropped);
		goto out;
	}
	r = ring_buffer_event_data(ev);
	r->type = type;
	r->session = session;
	r->text_len = text_len;
	r->data_len = data_len;
	memcpy(r->uuid, p->uuid, TK_EV_UUID_LEN);
	memcpy(r->name, p->name, sizeof(r->name));
	memcpy(r->text, text, text_len);
	memcpy(r->text + text_len, data, data_len);
	tk_ring_buffer_unlock_commit(rb, ev);
	/* Pairs with the barrier in tk_ev_prepare_wait(). */
	smp_mb();
	if (READ_ONCE(tk_ev_waiting)) {
		WRITE_ONCE(tk_ev_waiting, false);
		irq_work_queue(&tk_ev_wake_work);
	}
out:
	preempt_enable_notrace();
}

static inline void tk_ev_emit(struct tk_producer *p, enum tk_ev_type type,
			      u32 session, const char *text, size_t text_len,
			      const char *data, size_t data_len)
{
	if (static_branch_unlikely(&tk_ev_reader_on))
		tk_ev_write(p, type, session, text, text_len, data, data_len);
}

/* ---- counting rejections ---- */

static int tk_ev_reject(struct tk_producer *p, enum tk_ev_rej why, int err)
{
	this_cpu_inc(p->stats->rej[why]);
	return err;
}

/* A payload refused with @err: too long (-EMSGSIZE) or else malformed. */
static int tk_ev_reject_payload(struct tk_producer *p, int err)
{
	return tk_ev_reject(p, err == -EMSGSIZE ? TK_EV_REJ_SIZE :
			    TK_EV_REJ_PAYLOAD, err);
}

static int tk_ev_greject(enum tk_ev_grej why, int err)
{
	this_cpu_inc(tk_ev_grej[why]);
	return err;
}

/* ---- the API ---- */

/* Lower-case copy of a checked id into @out (TK_EV_UUID_LEN + 1). */
static void tk_ev_uuid_lower(const char *uuid, char *out)
{
	int i;

	for (i = 0; i < TK_EV_UUID_LEN; i++)
		out[i] = tolower(uuid[i]);
	out[i] = 0;
}

/* Caller holds tk_ev_lock or rcu_read_lock(); @uuid is lower case. */
static struct tk_producer *tk_ev_find(const char *uuid)
{
	struct tk_producer *p;

	list_for_each_entry_rcu(p, &tk_ev_producers, node,
				lockdep_is_held(&tk_ev_lock))
		if (!memcmp(p->uuid, uuid, TK_EV_UUID_LEN))
			return p;
	return NULL;
}

/* Register a producer with @refs references (the list's, and a handle's). */
static struct tk_producer *tk_ev_register(const char *uuid, const char *name,
					  const char *version,
					  unsigned int refs)
{
	struct tk_producer *p;
	int ret;

	ret = tk_ev_uuid_check(uuid);
	if (ret)
		return ERR_PTR(tk_ev_greject(TK_EV_GREJ_UUID, ret));
	ret = tk_ev_name_check(name);
	if (ret < 0)
		return ERR_PTR(tk_ev_greject(TK_EV_GREJ_NAME, ret));
	ret = tk_ev_version_check(version);
	if (ret)
		return ERR_PTR(tk_ev_greject(TK_EV_GREJ_VERSION, ret));

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->stats = alloc_percpu(struct tk_ev_stats);
	if (!p->stats) {
		kfree(p);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&p->ref, refs);
	tk_ev_uuid_lower(uuid, p->uuid);
	strscpy(p->name, name, sizeof(p->name));
	strscpy(p->version, version, sizeof(p->version));

	mutex_lock(&tk_ev_lock);
	if (tk_ev_find(p->uuid))
		ret = tk_ev_greject(TK_EV_GREJ_EXISTS, -EEXIST);
	else if (tk_ev_nr_producers >= TK_EV_MAX_PRODUCERS)
		ret = tk_ev_greject(TK_EV_GREJ_FULL, -ENOSPC);
	if (!ret) {
		atomic_inc(&tk_ev_nr_alive);
		list_add_tail_rcu(&p->node, &tk_ev_producers);
		tk_ev_nr_producers++;
		trace_register(p->uuid, p->name, p->version);
		tk_ev_emit(p, TK_EV_REGISTER, 0, p->version,
			   strlen(p->version), NULL, 0);
	}
	mutex_unlock(&tk_ev_lock);
	if (ret) {
		free_percpu(p->stats);
		kfree(p);
		return ERR_PTR(ret);
	}
	return p;
}

/**
 * tk_telemetry_register() - register a telemetry producer
 * @uuid: the producer's id, a UUID in 8-4-4-4-12 text form (either case)
 * @name: 1..TK_EV_NAME_MAX characters of [A-Za-z0-9_.-]
 * @version: semantic version, MAJOR.MINOR.PATCH[-pre][+build]
 *
 * The strings are copied.  Fires the qeexo:register tracepoint.  The
 * caller owns the returned handle: it stays valid until the caller passes
 * it to tk_telemetry_unregister(), even if the producer is unregistered by
 * its id before that (its calls then fail with -ESHUTDOWN).
 *
 * Context: process context; may sleep.
 * Return: the producer's handle; or ERR_PTR() of -EINVAL (malformed @uuid,
 * @name or @version), -ENAMETOOLONG, -EEXIST (@uuid registered), -ENOSPC
 * (TK_EV_MAX_PRODUCERS registered), -ENOMEM.
 */
struct tk_producer *tk_telemetry_register(const char *uuid, const char *name,
					  const char *version)
{
	return tk_ev_register(uuid, name, version, 2);
}
EXPORT_SYMBOL_GPL(tk_telemetry_register);

/**
 * tk_telemetry_register_id() - register a producer known only by its id
 * @uuid: the producer's id
 * @name: its name
 * @version: its version
 *
 * As tk_telemetry_register(), but no handle is kept: the producer is used
 * through the by-id calls and ends with tk_telemetry_unregister_id().
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of tk_telemetry_register().
 */
int tk_telemetry_register_id(const char *uuid, const char *name,
			     const char *version)
{
	return PTR_ERR_OR_ZERO(tk_ev_register(uuid, name, version, 1));
}
EXPORT_SYMBOL_GPL(tk_telemetry_register_id);

static void tk_ev_free_rcu(struct rcu_head *rcu)
{
	struct tk_producer *p = container_of(rcu, struct tk_producer, rcu);

	free_percpu(p->stats);
	kfree(p);
	atomic_dec(&tk_ev_nr_alive);
}

/* Drop a reference; the last frees @p once running calls are done. */
static void tk_ev_put(struct tk_producer *p)
{
	if (refcount_dec_and_test(&p->ref))
		call_rcu(&p->rcu, tk_ev_free_rcu);
}

/* Unlist @p and drop the list's reference.  Caller holds tk_ev_lock. */
static void tk_ev_unlist_locked(struct tk_producer *p)
{
	lockdep_assert_held(&tk_ev_lock);
	WRITE_ONCE(p->dead, true);
	list_del_rcu(&p->node);
	tk_ev_nr_producers--;
	trace_unregister(p->uuid, p->name);
	tk_ev_emit(p, TK_EV_UNREGISTER, atomic_read(&p->session), NULL, 0,
		   NULL, 0);
	tk_ev_put(p);
}

/**
 * tk_telemetry_unregister() - unregister a producer and drop its handle
 * @p: the handle tk_telemetry_register() returned; NULL or an error
 *	pointer is ignored
 *
 * Unless it was already unregistered by its id, the producer is unlisted:
 * an open session is closed without a session_end event and the
 * qeexo:unregister tracepoint fires.  A call on @p that was already running
 * when this was called finishes safely, with -ESHUTDOWN if it looks after
 * the producer died; no call may start on @p once this has been called,
 * and @p must not be used again (its memory is freed after an RCU grace
 * period).  The owner of @p must call it exactly once, before its module
 * is unloaded.
 *
 * Context: process context; may sleep.
 */
void tk_telemetry_unregister(struct tk_producer *p)
{
	if (IS_ERR_OR_NULL(p)) {
		tk_ev_greject(TK_EV_GREJ_HANDLE, -EINVAL);
		return;
	}
	mutex_lock(&tk_ev_lock);
	if (!p->dead)
		tk_ev_unlist_locked(p);
	mutex_unlock(&tk_ev_lock);
	tk_ev_put(p);
}
EXPORT_SYMBOL_GPL(tk_telemetry_unregister);

static int __tk_ev_session_begin(struct tk_producer *p, const char *session)
{
	size_t len;
	int ret, nr;

	if (READ_ONCE(p->dead))
		return tk_ev_reject(p, TK_EV_REJ_DEAD, -ESHUTDOWN);
	ret = tk_ev_name_check(session);
	if (ret < 0)
		return tk_ev_reject(p, TK_EV_REJ_SESSION, ret);
	len = ret;
	if (atomic_read(&p->session))
		return tk_ev_reject(p, TK_EV_REJ_SESSION, -EBUSY);
	nr = atomic_inc_return(&p->nr_sessions);
	/* Session numbers skip 0 when the counter wraps. */
	if (!nr)
		nr = atomic_inc_return(&p->nr_sessions);
	if (atomic_cmpxchg(&p->session, 0, nr))
		return tk_ev_reject(p, TK_EV_REJ_SESSION, -EBUSY);
	this_cpu_inc(p->stats->sessions);
	trace_session_begin(p->uuid, nr, session);
	tk_ev_emit(p, TK_EV_SESSION_BEGIN, nr, session, len, NULL, 0);
	return 0;
}

/**
 * tk_telemetry_session_begin() - open a named session on a producer
 * @p: the producer
 * @session: the session's name, as a producer name
 *
 * Sessions are numbered from 1 per producer; at most one is open at a time.
 * Fires the qeexo:session_begin tracepoint.
 *
 * Context: any but NMI; does not sleep.
 * Return: 0; -EINVAL or -ENAMETOOLONG for a bad @session, -EBUSY when a
 * session is open, -ESHUTDOWN while @p is being unregistered, -EINVAL for
 * a NULL or error @p.
 */
int tk_telemetry_session_begin(struct tk_producer *p, const char *session)
{
	int ret;

	if (IS_ERR_OR_NULL(p))
		return tk_ev_greject(TK_EV_GREJ_HANDLE, -EINVAL);
	rcu_read_lock_sched_notrace();
	ret = __tk_ev_session_begin(p, session);
	rcu_read_unlock_sched_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_session_begin);

static int __tk_ev_session_end(struct tk_producer *p)
{
	int nr;

	if (READ_ONCE(p->dead))
		return tk_ev_reject(p, TK_EV_REJ_DEAD, -ESHUTDOWN);
	nr = atomic_xchg(&p->session, 0);
	if (!nr)
		return tk_ev_reject(p, TK_EV_REJ_NO_SESSION, -ENOTCONN);
	trace_session_end(p->uuid, nr);
	tk_ev_emit(p, TK_EV_SESSION_END, nr, NULL, 0, NULL, 0);
	return 0;
}

/**
 * tk_telemetry_session_end() - close the open session of a producer
 * @p: the producer
 *
 * Fires the qeexo:session_end tracepoint.
 *
 * Context: any but NMI; does not sleep.
 * Return: 0; -ENOTCONN when no session is open, -ESHUTDOWN while @p is
 * being unregistered, -EINVAL for a NULL or error @p.
 */
int tk_telemetry_session_end(struct tk_producer *p)
{
	int ret;

	if (IS_ERR_OR_NULL(p))
		return tk_ev_greject(TK_EV_GREJ_HANDLE, -EINVAL);
	rcu_read_lock_sched_notrace();
	ret = __tk_ev_session_end(p);
	rcu_read_unlock_sched_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_session_end);

/* The length of @s, 1..@max bytes; @empty for NULL or "", @toolong beyond. */
static int tk_ev_measure(const char *s, size_t max, int empty, int toolong)
{
	size_t len;

	if (!s || !*s)
		return empty;
	for (len = 1; len <= max && s[len]; len++)	/* (no call) */
		;
	return len > max ? toolong : len;
}

static int __tk_ev_msg(struct tk_producer *p, const char *event,
		       const char *json)
{
	size_t elen, len;
	bool reader;
	int ret;
	u32 nr;

	if (READ_ONCE(p->dead))
		return tk_ev_reject(p, TK_EV_REJ_DEAD, -ESHUTDOWN);
	nr = atomic_read(&p->session);
	if (!nr)
		return tk_ev_reject(p, TK_EV_REJ_NO_SESSION, -ENOTCONN);
	/*
	 * The reader is looked at once: one that opens after this point does
	 * not get the message, so every message it gets was checked for it.
	 */
	reader = static_branch_unlikely(&tk_ev_reader_on);
	if (reader) {
		/* Into JSON lines: the strings must be what they claim. */
		ret = tk_ev_name_check(event);
		if (ret < 0)
			return tk_ev_reject(p, TK_EV_REJ_EVENT, ret);
		elen = ret;
		ret = tk_ev_json_check(json, &len);
		if (ret)
			return tk_ev_reject_payload(p, ret);
	} else if (trace_msg_enabled()) {
		/* Into string fields, as a plain tracepoint: measured only. */
		ret = tk_ev_measure(event, TK_EV_NAME_MAX, -EINVAL,
				    -ENAMETOOLONG);
		if (ret < 0)
			return tk_ev_reject(p, TK_EV_REJ_EVENT, ret);
		elen = ret;
		ret = tk_ev_measure(json, TK_EV_PAYLOAD_MAX, -EBADMSG,
				    -EMSGSIZE);
		if (ret < 0)
			return tk_ev_reject_payload(p, ret);
		len = ret;
	} else {
		/* Nobody to deliver to: the strings are not read at all. */
		this_cpu_inc(p->stats->msgs);
		return 0;
	}
	this_cpu_inc(p->stats->msgs);
	/* The checks measured every string: the tracepoint need not. */
	trace_msg(p->uuid, nr, event, elen, json, len);
	if (reader)
		tk_ev_write(p, TK_EV_MSG, nr, event, elen, json, len);
	return 0;
}

/**
 * tk_telemetry_msg() - emit a telemetry message
 * @p: the producer, with a session open
 * @event: the event's name, as a producer name
 * @json: the payload: one JSON object of at most TK_EV_PAYLOAD_MAX bytes
 *
 * Fires the qeexo:msg tracepoint and, while /dev/qeexo_events is open,
 * queues the message for it (or counts it as dropped when the CPU's buffer
 * is full).  The strings are copied; they may be on the caller's stack.
 *
 * @event and @json are checked as far as their consumer needs, as the
 * message is delivered:
 *
 * - while /dev/qeexo_events is open, whose JSON lines embed them, fully:
 *   @event a name (tk_ev_name_check()), @json one JSON object of at most
 *   TK_EV_PAYLOAD_MAX bytes (tk_ev_json_check());
 * - while only the tracepoint is enabled (ftrace, perf, bpftrace), which
 *   takes them as string fields, as a plain tracepoint does: measured,
 *   non-empty and within those lengths, not parsed;
 * - with no consumer, not read at all, as by a disabled tracepoint.
 *
 * Test a producer with the reader open (tests/stack/t-events.sh does all
 * three).  With no consumer the call costs its handle and session checks, a
 * per-CPU increment and two patched-out jumps.
 *
 * Context: any but NMI; does not sleep and takes no lock.
 * Return: 0; -ENOTCONN outside a session, -ESHUTDOWN while @p is being
 * unregistered, -EINVAL for a NULL or error @p; with a consumer also
 * -EINVAL (empty or, to the reader, not a name) or -ENAMETOOLONG for
 * @event, -EBADMSG for an empty @json (to the reader, one that is not one
 * JSON object), -EMSGSIZE for a @json too long.  A dropped message still
 * returns 0: drops are the consumer's, not the producer's, failure.
 */
int tk_telemetry_msg(struct tk_producer *p, const char *event,
		     const char *json)
{
	int ret;

	if (IS_ERR_OR_NULL(p))
		return tk_ev_greject(TK_EV_GREJ_HANDLE, -EINVAL);
	rcu_read_lock_sched_notrace();
	ret = __tk_ev_msg(p, event, json);
	rcu_read_unlock_sched_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_msg);

/*
 * Find the producer of @uuid for a by-id call: under rcu_read_lock(),
 * counts and returns an ERR_PTR() when @uuid is malformed or unknown.
 */
static struct tk_producer *tk_ev_lookup(const char *uuid)
{
	char id[TK_EV_UUID_LEN + 1];
	struct tk_producer *p;
	int ret;

	ret = tk_ev_uuid_check(uuid);
	if (ret)
		return ERR_PTR(tk_ev_greject(TK_EV_GREJ_UUID, ret));
	tk_ev_uuid_lower(uuid, id);
	p = tk_ev_find(id);
	if (!p)
		return ERR_PTR(tk_ev_greject(TK_EV_GREJ_UNKNOWN, -ENOENT));
	return p;
}

/**
 * tk_telemetry_unregister_id() - unregister a producer by its id
 * @uuid: the producer's id
 *
 * Unlists the producer as tk_telemetry_unregister() does.  It may be one
 * another module registered: a handle its owner still holds stays valid,
 * its calls fail with -ESHUTDOWN, and the owner's tk_telemetry_unregister()
 * then only releases it.  A second call for the same id fails with -ENOENT.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a malformed @uuid, -ENOENT when it is not
 * registered.
 */
int tk_telemetry_unregister_id(const char *uuid)
{
	struct tk_producer *p;

	mutex_lock(&tk_ev_lock);
	p = tk_ev_lookup(uuid);
	if (!IS_ERR(p))
		tk_ev_unlist_locked(p);
	mutex_unlock(&tk_ev_lock);
	return PTR_ERR_OR_ZERO(p);
}
EXPORT_SYMBOL_GPL(tk_telemetry_unregister_id);

/**
 * tk_telemetry_session_begin_id() - tk_telemetry_session_begin() by id
 * @uuid: the producer's id
 * @session: the session's name
 *
 * Context: any but NMI; does not sleep.
 * Return: as tk_telemetry_session_begin(); -EINVAL for a malformed @uuid,
 * -ENOENT when it is not registered.
 */
int tk_telemetry_session_begin_id(const char *uuid, const char *session)
{
	struct tk_producer *p;
	int ret;

	rcu_read_lock();
	p = tk_ev_lookup(uuid);
	ret = IS_ERR(p) ? PTR_ERR(p) : __tk_ev_session_begin(p, session);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_session_begin_id);

/**
 * tk_telemetry_session_end_id() - tk_telemetry_session_end() by id
 * @uuid: the producer's id
 *
 * Context: any but NMI; does not sleep.
 * Return: as tk_telemetry_session_end(); -EINVAL for a malformed @uuid,
 * -ENOENT when it is not registered.
 */
int tk_telemetry_session_end_id(const char *uuid)
{
	struct tk_producer *p;
	int ret;

	rcu_read_lock();
	p = tk_ev_lookup(uuid);
	ret = IS_ERR(p) ? PTR_ERR(p) : __tk_ev_session_end(p);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_session_end_id);

/**
 * tk_telemetry_msg_id() - tk_telemetry_msg() by id
 * @uuid: the producer's id
 * @event: the event's name
 * @json: the payload
 *
 * Context: any but NMI; does not sleep.
 * Return: as tk_telemetry_msg(); -EINVAL for a malformed @uuid, -ENOENT
 * when it is not (or no longer) registered.
 */
int tk_telemetry_msg_id(const char *uuid, const char *event, const char *json)
{
	struct tk_producer *p;
	int ret;

	rcu_read_lock();
	p = tk_ev_lookup(uuid);
	ret = IS_ERR(p) ? PTR_ERR(p) : __tk_ev_msg(p, event, json);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(tk_telemetry_msg_id);

/* ---- /dev/qeexo_events ---- */

/**
 * struct tk_ev_reader - the state of the one open reader
 * @lock: serialises read() calls
 * @len: bytes in @line
 * @pos: bytes of @line already copied to userspace
 * @drops_seen: tk_ev_dropped total already reported in a "dropped" line
 * @line: the line being copied out
 */
struct tk_ev_reader {
	struct mutex lock;	/* serialises read() calls */
	size_t len;
	size_t pos;
	u64 drops_seen;
	char line[TK_EV_LINE_MAX];
};

static u64 tk_ev_sum_dropped(void)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(tk_ev_dropped, cpu);
	return n;
}

static int tk_ev_open_fn(struct inode *inode, struct file *file)
{
	struct trace_buffer *rb;
	struct tk_ev_reader *r;

	if (atomic_cmpxchg(&tk_ev_open, 0, 1))
		return -EBUSY;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	rb = ring_buffer_alloc((unsigned long)events_buffer_kb << 10, 0);
	if (!r || !rb) {
		kfree(r);
		if (rb)
			ring_buffer_free(rb);
		atomic_set(&tk_ev_open, 0);
		return -ENOMEM;
	}
	mutex_init(&r->lock);
	r->drops_seen = tk_ev_sum_dropped();
	file->private_data = r;
	rcu_assign_pointer(tk_ev_rb, rb);
	static_branch_inc(&tk_ev_reader_on);
	return stream_open(inode, file);
}

static int tk_ev_release(struct inode *inode, struct file *file)
{
	struct tk_ev_reader *r = file->private_data;
	struct trace_buffer *rb;

	static_branch_dec(&tk_ev_reader_on);
	rb = rcu_replace_pointer(tk_ev_rb, NULL, true);
	/* No writer is inside tk_ev_write() with the old buffer after this. */
	synchronize_rcu();
	irq_work_sync(&tk_ev_wake_work);
	ring_buffer_free(rb);
	kfree(r);
	atomic_set(&tk_ev_open, 0);
	return 0;
}

/* JSON: a payload's white space may be raw newlines; keep lines whole. */
static void tk_ev_flatten(char *s, size_t n)
{
	for (; n--; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* Format record @rec of @cpu at @ts into r->line. */
static void tk_ev_format(struct tk_ev_reader *r, const struct tk_ev_rec *rec,
			 int cpu, u64 ts)
{
	const char *type = rec->type < ARRAY_SIZE(tk_ev_type_names) ?
		tk_ev_type_names[rec->type] : "unknown";
	char *b = r->line;
	size_t n = sizeof(r->line), len;

	len = scnprintf(b, n,
			"{\"type\":\"%s\",\"ts\":%llu,\"cpu\":%d,\"uuid\":\"%.*s\",\"name\":\"%s\"",
			type, ts, cpu, TK_EV_UUID_LEN, rec->uuid, rec->name);
	switch (rec->type) {
	case TK_EV_REGISTER:
		len += scnprintf(b + len, n - len, ",\"version\":\"%.*s\"",
				 rec->text_len, rec->text);
		break;
	case TK_EV_SESSION_BEGIN:
		len += scnprintf(b + len, n - len,
				 ",\"session\":%u,\"session_name\":\"%.*s\"",
				 rec->session, rec->text_len, rec->text);
		break;
	case TK_EV_SESSION_END:
	case TK_EV_UNREGISTER:
		len += scnprintf(b + len, n - len, ",\"session\":%u",
				 rec->session);
		break;
	case TK_EV_MSG:
		len += scnprintf(b + len, n - len,
				 ",\"session\":%u,\"event\":\"%.*s\",\"data\":",
				 rec->session, rec->text_len, rec->text);
		if (rec->data_len <= n - len - 3) {
			memcpy(b + len, rec->text + rec->text_len,
			       rec->data_len);
			tk_ev_flatten(b + len, rec->data_len);
			len += rec->data_len;
		}
		break;
	}
	len += scnprintf(b + len, n - len, "}\n");
	r->len = len;
	r->pos = 0;
}

/*
 * Fill r->line with the next line: a "dropped" line when records were
 * dropped since the last one, else the oldest record of all CPUs.
 * Returns false when there is nothing to read.
 */
static bool tk_ev_next(struct tk_ev_reader *r, struct trace_buffer *rb)
{
	struct ring_buffer_event *ev;
	u64 ts, best_ts = U64_MAX, dropped;
	int cpu, best = -1;

	dropped = tk_ev_sum_dropped();
	if (dropped != r->drops_seen) {
		r->len = scnprintf(r->line, sizeof(r->line),
				   "{\"type\":\"dropped\",\"count\":%llu,\"total\":%llu}\n",
				   dropped - r->drops_seen, dropped);
		r->pos = 0;
		r->drops_seen = dropped;
		return true;
	}
	/*
	 * Every CPU that has a buffer, online or not: the records of a CPU
	 * that went offline are still there (ring_buffer_peek() is NULL for a
	 * CPU without a buffer), and tk_ev_readable() counts them too.
	 */
	for_each_possible_cpu(cpu) {
		if (ring_buffer_peek(rb, cpu, &ts, NULL) && ts < best_ts) {
			best_ts = ts;
			best = cpu;
		}
	}
	if (best < 0)
		return false;
	ev = ring_buffer_consume(rb, best, &ts, NULL);
	if (!ev)
		return false;
	tk_ev_format(r, ring_buffer_event_data(ev), best, ts);
	return true;
}

static bool tk_ev_readable(struct tk_ev_reader *r, struct trace_buffer *rb)
{
	return r->pos < r->len || !ring_buffer_empty(rb) ||
		tk_ev_sum_dropped() != r->drops_seen;
}

/* Ask producers to wake us before checking for data. */
static void tk_ev_prepare_wait(void)
{
	WRITE_ONCE(tk_ev_waiting, true);
	/* Pairs with the barrier in tk_ev_write(). */
	smp_mb();
}

static ssize_t tk_ev_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	struct tk_ev_reader *r = file->private_data;
	struct trace_buffer *rb = rcu_dereference_protected(tk_ev_rb, true);
	size_t done = 0, n;
	ssize_t ret = 0;

	if (!count)
		return 0;
	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	for (;;) {
		/* Whole lines while they fit, the rest of a line at the end. */
		while (done < count) {
			if (r->pos == r->len && !tk_ev_next(r, rb))
				break;
			n = min(count - done, r->len - r->pos);
			if (copy_to_user(ubuf + done, r->line + r->pos, n)) {
				ret = -EFAULT;
				goto out;
			}
			r->pos += n;
			done += n;
		}
		if (done)
			break;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		tk_ev_prepare_wait();
		ret = wait_event_interruptible(tk_ev_wq,
					       tk_ev_readable(r, rb));
		if (ret)
			break;
	}
out:
	mutex_unlock(&r->lock);
	/* A fault after some bytes were copied still returns those. */
	return done ? done : ret;
}

static __poll_t tk_ev_poll(struct file *file, poll_table *wait)
{
	struct tk_ev_reader *r = file->private_data;
	struct trace_buffer *rb = rcu_dereference_protected(tk_ev_rb, true);

	poll_wait(file, &tk_ev_wq, wait);
	tk_ev_prepare_wait();
	return tk_ev_readable(r, rb) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations tk_ev_fops = {
	.owner = THIS_MODULE,
	.open = tk_ev_open_fn,
	.release = tk_ev_release,
	.read = tk_ev_read,
	.poll = tk_ev_poll,
};

static struct miscdevice tk_ev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "qeexo_events",
	.fops = &tk_ev_fops,
	.mode = 0400,
};

/* ---- /sys/class/qeexo/events/ ---- */

static void tk_ev_sum_stats(struct tk_producer *p, struct tk_ev_stats *s)
{
	const struct tk_ev_stats *c;
	int cpu, i;

	memset(s, 0, sizeof(*s));
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(p->stats, cpu);
		s->msgs += READ_ONCE(c->msgs);
		s->drops += READ_ONCE(c->drops);
		s->sessions += READ_ONCE(c->sessions);
		for (i = 0; i < TK_EV_NR_REJ; i++)
			s->rej[i] += READ_ONCE(c->rej[i]);
	}
}

static int tk_ev_producers_fill(struct tk_textfile *tf, struct tk_text *t)
{
	struct tk_producer *p;
	struct tk_ev_stats s;
	int i;

	mutex_lock(&tk_ev_lock);
	list_for_each_entry(p, &tk_ev_producers, node) {
		tk_ev_sum_stats(p, &s);
		tk_text_printf(t, "%s name=%s version=%s session=%d",
			       p->uuid, p->name, p->version,
			       atomic_read(&p->session));
		tk_text_printf(t, " sessions=%llu msgs=%llu drops=%llu",
			       s.sessions, s.msgs, s.drops);
		for (i = 0; i < TK_EV_NR_REJ; i++)
			tk_text_printf(t, " %s=%llu", tk_ev_rej_names[i],
				       s.rej[i]);
		tk_text_printf(t, "\n");
	}
	mutex_unlock(&tk_ev_lock);
	return 0;
}

static size_t tk_ev_producers_hint(struct tk_textfile *tf)
{
	return (READ_ONCE(tk_ev_nr_producers) + 1) * 384;
}

static struct tk_textfile tk_ev_producers_tf = {
	.fill = tk_ev_producers_fill,
	.size_hint = tk_ev_producers_hint,
};

TK_TEXTFILE_ATTR(producers, 0444, tk_ev_producers_tf);

/* One line: "<reason>=<count>" for each rejection without a producer. */
static ssize_t rejects_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	int cpu, i, len = 0;
	u64 n;

	for (i = 0; i < TK_EV_NR_GREJ; i++) {
		n = 0;
		for_each_possible_cpu(cpu)
			n += READ_ONCE(per_cpu(tk_ev_grej[i], cpu));
		len += sysfs_emit_at(buf, len, "%s%s=%llu", i ? " " : "",
				     tk_ev_grej_names[i], n);
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(rejects);

static ssize_t dropped_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n", tk_ev_sum_dropped());
}
static DEVICE_ATTR_RO(dropped);

static ssize_t buffer_kb_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", events_buffer_kb);
}
static DEVICE_ATTR_RO(buffer_kb);

static ssize_t readers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&tk_ev_open));
}
static DEVICE_ATTR_RO(readers);

static struct attribute *tk_ev_attrs[] = {
	&dev_attr_rejects.attr,
	&dev_attr_dropped.attr,
	&dev_attr_buffer_kb.attr,
	&dev_attr_readers.attr,
	NULL,
};

static struct bin_attribute *tk_ev_bin_attrs[] = {
	&bin_attr_producers,
	NULL,
};

static const struct attribute_group tk_ev_group = {
	.attrs = tk_ev_attrs,
	.bin_attrs = tk_ev_bin_attrs,
};

const struct attribute_group *tk_events_groups[] = {
	&tk_ev_group,
	NULL,
};

/* ---- load and unload ---- */

int tk_events_init(void)
{
	init_irq_work(&tk_ev_wake_work, tk_ev_wake_fn);
	tk_textfile_init(&tk_ev_producers_tf);
	return misc_register(&tk_ev_misc);
}

/*
 * At unload no producer module is loaded (they depend on tkcore), but one
 * may have left producers registered: free them.
 */
void tk_events_exit(void)
{
	struct tk_producer *p, *tmp;

	misc_deregister(&tk_ev_misc);
	mutex_lock(&tk_ev_lock);
	list_for_each_entry_safe(p, tmp, &tk_ev_producers, node) {
		pr_warn("producer %s (%s) was not unregistered\n", p->uuid,
			p->name);
		tk_ev_unlist_locked(p);
	}
	mutex_unlock(&tk_ev_lock);
	rcu_barrier();
	/* A handle whose owner unloaded without tk_telemetry_unregister(). */
	if (atomic_read(&tk_ev_nr_alive))
		pr_warn("%d producer handle(s) never released by their owners\n",
			atomic_read(&tk_ev_nr_alive));
	tk_textfile_destroy(&tk_ev_producers_tf);
}
