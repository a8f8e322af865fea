/* SPDX-License-Identifier: GPL-2.0 */
/* The reference JSON check of test_validate (ref_json.c). */
#ifndef TK_REF_JSON_H
#define TK_REF_JSON_H
#include <stddef.h>
int ref_json_check(const char *s, size_t *lenp);
#endif
