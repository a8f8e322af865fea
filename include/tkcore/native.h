/* SPDX-License-Identifier: GPL-2.0 */
/*
 * native.h - the <linux/telemetry/native.h> calls, as thin wrappers over tkcore's
 * event API (<tkcore/events.h>), for code written against
 * <linux/telemetry/native.h>:
 *
 *	register_telemetry(SANDBOX_ID, "hello", "1.0.0");
 *	session_begin(SANDBOX_ID, "startup");
 *	telemetry_msg(SANDBOX_ID, "loaded", "{\"hello_world\":true}");
 *	session_end(SANDBOX_ID);
 *	unregister_telemetry(SANDBOX_ID);
 *
 * The producer is named by its id at every call, which costs a lookup; new
 * code should keep the handle tk_telemetry_register() returns.  Return
 * values, errors and calling contexts are those of events.h.  Note that the
 * payload must be real JSON: "{ hello_world: true }"
 * (a bare key) is rejected with -EBADMSG.
 *
 * Only include this in code that wants these short global names.
 */
#ifndef _TKCORE_NATIVE_H
#define _TKCORE_NATIVE_H

#include <linux/err.h>
#include <tkcore/events.h>

static inline int register_telemetry(const char *id, const char *name,
				     const char *version)
{
	return tk_telemetry_register_id(id, name, version);
}

static inline int session_begin(const char *id, const char *name)
{
	return tk_telemetry_session_begin_id(id, name);
}

static inline int telemetry_msg(const char *id, const char *event,
				const char *json)
{
	return tk_telemetry_msg_id(id, event, json);
}

static inline int session_end(const char *id)
{
	return tk_telemetry_session_end_id(id);
}

static inline int unregister_telemetry(const char *id)
{
	return tk_telemetry_unregister_id(id);
}

#endif /* _TKCORE_NATIVE_H */
