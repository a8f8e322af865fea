/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - the telemetry event API of tkcore.
 *
 * Kernel code registers a producer (a UUID, a name and a semantic version),
 * opens a named session on it, emits messages (an event name and a JSON
 * object) and ends the session; finally it unregisters.  Every call shows
 * as a tracepoint of the "qeexo" system (perf, ftrace, trace-cmd, bpftrace)
 * and, while someone reads /dev/qeexo_events, as a JSON line there.
 *
 *	struct tk_producer *p;
 *
 *	p = tk_telemetry_register("00000000-1111-2222-3333-444444444444",
 *				  "hello", "1.0.0");
 *	if (IS_ERR(p))
 *		return PTR_ERR(p);
 *	tk_telemetry_session_begin(p, "startup");
 *	tk_telemetry_msg(p, "loaded", "{\"hello_world\":true}");
 *	tk_telemetry_session_end(p);
 *	tk_telemetry_unregister(p);
 *
 * Every call validates its arguments (<tkcore/validate.h>), but for a
 * message's event name and payload, which are checked as far as their
 * consumer needs (see tk_telemetry_msg(): in full while /dev/qeexo_events
 * is open, measured for the tracepoint alone, unread with no consumer).
 * A rejected call returns a negative errno, emits nothing and is counted,
 * per producer in /sys/class/qeexo/events/producers, or in
 * .../events/rejects when there is no producer to count it on:
 *
 *   -EINVAL        malformed id, empty name or a character outside
 *                  [A-Za-z0-9_.-], version that is not MAJOR.MINOR.PATCH[..]
 *   -ENAMETOOLONG  name, session or event longer than TK_EV_NAME_MAX
 *   -EBADMSG       payload that is not one JSON object (empty, for the
 *                  tracepoint alone)
 *   -EMSGSIZE      payload longer than TK_EV_PAYLOAD_MAX (1024) bytes
 *   -ENOTCONN      message or session end outside a session
 *   -EBUSY         session begin while a session is open
 *   -EEXIST        register of an id already registered
 *   -ENOENT        a by-id call with an id not (or no longer) registered
 *   -ESHUTDOWN     a call on a producer that was unregistered: by its id
 *                  while its owner still holds the handle, or racing with
 *                  its unregistration
 *   -ENOSPC        TK_EV_MAX_PRODUCERS producers already registered
 *
 * Ownership: the handle tk_telemetry_register() returns is its caller's,
 * valid until the caller passes it to tk_telemetry_unregister(), which it
 * must do exactly once.  Any module may unregister any producer by its id
 * (tk_telemetry_unregister_id(), native.h's unregister_telemetry()): the
 * producer is then gone for everyone (by-id calls get -ENOENT, and the id
 * may be registered again), but a handle stays valid memory, its calls fail
 * with -ESHUTDOWN, and its owner's unregister only releases it.  A call
 * already running when its producer is unregistered finishes safely.
 *
 * Contexts: tk_telemetry_register() and tk_telemetry_unregister() (and
 * their by-id forms) may sleep: process context only.  The session and
 * message calls take no lock and never sleep: any context (process, softirq,
 * hard IRQ, with preemption or interrupts off, in tracepoint handlers)
 * except NMI.
 */
#ifndef _TKCORE_EVENTS_H
#define _TKCORE_EVENTS_H

#include <linux/types.h>
#include <tkcore/validate.h>

/* Most producers registered at once. */
#define TK_EV_MAX_PRODUCERS	256

struct tk_producer;

struct tk_producer *tk_telemetry_register(const char *uuid, const char *name,
					  const char *version);
int tk_telemetry_register_id(const char *uuid, const char *name,
			     const char *version);
void tk_telemetry_unregister(struct tk_producer *p);
int tk_telemetry_session_begin(struct tk_producer *p, const char *session);
int tk_telemetry_session_end(struct tk_producer *p);
int tk_telemetry_msg(struct tk_producer *p, const char *event,
		     const char *json);

/* The same calls naming the producer by its id (see <tkcore/native.h>). */
int tk_telemetry_unregister_id(const char *uuid);
int tk_telemetry_session_begin_id(const char *uuid, const char *session);
int tk_telemetry_session_end_id(const char *uuid);
int tk_telemetry_msg_id(const char *uuid, const char *event,
			const char *json);

#endif /* _TKCORE_EVENTS_H */
