/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - strict number parsers shared by every writable file of the kit.
 *
 * This header and core/tk_parse.c build both in the kernel and in the
 * host-side unit tests (tests/unit/shim provides <linux/types.h> there).
 */
#ifndef _TKCORE_PARSE_H
#define _TKCORE_PARSE_H

#include <linux/types.h>

int tk_parse_u64(const char *buf, size_t count, unsigned int base, u64 *res);
int tk_parse_u32_range(const char *buf, size_t count, u32 min, u32 max,
		       u32 *res);

#endif /* _TKCORE_PARSE_H */
