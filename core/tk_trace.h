/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tk_trace.h - the tracepoints of tkcore's event API: system "qeexo",
 * events register, session_begin, msg, session_end and unregister, at
 * /sys/kernel/tracing/events/qeexo/.  Defined (CREATE_TRACE_POINTS) in
 * core/events.c only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM qeexo

#if !defined(_TK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TK_TRACE_H

#include <linux/tracepoint.h>
#include <tkcore/compat.h>
#include <tkcore/validate.h>

TRACE_EVENT(register,
	TP_PROTO(const char *uuid, const char *name, const char *version),
	TP_ARGS(uuid, name, version),
	TP_STRUCT__entry(
		__string(uuid, uuid)
		__string(name, name)
		__string(version, version)
	),
	TP_fast_assign(
		tk_assign_str(uuid, uuid);
		tk_assign_str(name, name);
		tk_assign_str(version, version);
	),
	TP_printk("uuid=%s name=%s version=%s", __get_str(uuid),
		  __get_str(name), __get_str(version))
);

TRACE_EVENT(unregister,
	TP_PROTO(const char *uuid, const char *name),
	TP_ARGS(uuid, name),
	TP_STRUCT__entry(
		__string(uuid, uuid)
		__string(name, name)
	),
	TP_fast_assign(
		tk_assign_str(uuid, uuid);
		tk_assign_str(name, name);
	),
	TP_printk("uuid=%s name=%s", __get_str(uuid), __get_str(name))
);

TRACE_EVENT(session_begin,
	TP_PROTO(const char *uuid, u32 session, const char *session_name),
	TP_ARGS(uuid, session, session_name),
	TP_STRUCT__entry(
		__string(uuid, uuid)
		__field(u32, session)
		__string(session_name, session_name)
	),
	TP_fast_assign(
		tk_assign_str(uuid, uuid);
		__entry->session = session;
		tk_assign_str(session_name, session_name);
	),
	TP_printk("uuid=%s session=%u session_name=%s", __get_str(uuid),
		  __entry->session, __get_str(session_name))
);

TRACE_EVENT(session_end,
	TP_PROTO(const char *uuid, u32 session),
	TP_ARGS(uuid, session),
	TP_STRUCT__entry(
		__string(uuid, uuid)
		__field(u32, session)
	),
	TP_fast_assign(
		tk_assign_str(uuid, uuid);
		__entry->session = session;
	),
	TP_printk("uuid=%s session=%u", __get_str(uuid), __entry->session)
);

/* The lengths are known (measured by the checks): no strlen() here. */
TRACE_EVENT(msg,
	TP_PROTO(const char *uuid, u32 session, const char *event,
		 size_t event_len, const char *data, size_t data_len),
	TP_ARGS(uuid, session, event, event_len, data, data_len),
	TP_STRUCT__entry(
		__string_len(uuid, uuid, TK_EV_UUID_LEN)
		__field(u32, session)
		__string_len(event, event, event_len)
		__string_len(data, data, data_len)
	),
	TP_fast_assign(
		tk_assign_str_len(uuid, uuid, TK_EV_UUID_LEN);
		__entry->session = session;
		tk_assign_str_len(event, event, event_len);
		tk_assign_str_len(data, data, data_len);
	),
	TP_printk("uuid=%s session=%u event=%s data=%s", __get_str(uuid),
		  __entry->session, __get_str(event), __get_str(data))
);

#endif /* _TK_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tk_trace
#include <trace/define_trace.h>
