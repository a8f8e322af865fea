/* SPDX-License-Identifier: GPL-2.0 */
/*
 * validate.h - the input checks of the telemetry event API (<tkcore/events.h>).
 *
 * This header and core/tk_validate.c build both in the kernel and in the
 * host-side unit tests (tests/unit/shim provides <linux/types.h> there).
 */
#ifndef _TKCORE_VALIDATE_H
#define _TKCORE_VALIDATE_H

#include <linux/types.h>

/* A producer id: 8-4-4-4-12 hex digits, either case, 36 characters. */
#define TK_EV_UUID_LEN		36
/* Longest producer, session or event name, without the NUL. */
#define TK_EV_NAME_MAX		31
/* Longest version string ("MAJOR.MINOR.PATCH[-pre][+build]"). */
#define TK_EV_VERSION_MAX	31
/* Largest message payload in bytes, without the NUL. */
#define TK_EV_PAYLOAD_MAX	1024
/* Deepest nesting of objects and arrays in a payload. */
#define TK_EV_JSON_DEPTH	32

int tk_ev_uuid_check(const char *s);
int tk_ev_name_check(const char *s);
int tk_ev_version_check(const char *s);
int tk_ev_json_check(const char *s, size_t *lenp);

#endif /* _TKCORE_VALIDATE_H */
