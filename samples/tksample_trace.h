/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tksample_trace.h - a plain tracepoint, tksample:plain, with the fields of
 * qeexo:msg: the benchmark's peer (tests/bench/guest-events.sh).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tksample

#if !defined(_TKSAMPLE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TKSAMPLE_TRACE_H

#include <linux/tracepoint.h>
#include <tkcore/compat.h>

TRACE_EVENT(plain,
	TP_PROTO(const char *uuid, u32 session, const char *event,
		 const char *data),
	TP_ARGS(uuid, session, event, data),
	TP_STRUCT__entry(
		__string(uuid, uuid)
		__field(u32, session)
		__string(event, event)
		__string(data, data)
	),
	TP_fast_assign(
		tk_assign_str(uuid, uuid);
		__entry->session = session;
		tk_assign_str(event, event);
		tk_assign_str(data, data);
	),
	TP_printk("uuid=%s session=%u event=%s data=%s", __get_str(uuid),
		  __entry->session, __get_str(event), __get_str(data))
);

#endif /* _TKSAMPLE_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tksample_trace
#include <trace/define_trace.h>
