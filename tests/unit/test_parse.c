// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/tk_parse.c, the parser behind every writable file. */
#include <errno.h>
#include <string.h>
#include <tkcore/parse.h>
#include "tap.h"

/* Parse the first n bytes of s (which may hold NULs) in base 10 or 16. */
static int p64(const char *s, size_t n, unsigned int base, u64 *v)
{
	*v = 0xdeadbeef;
	return tk_parse_u64(s, n, base, v);
}

#define P(s, base, v) p64(s, sizeof(s) - 1, base, v)

static void test_u64(void)
{
	u64 v;

	ok(P("0", 10, &v) == 0 && v == 0, "0");
	ok(P("42", 10, &v) == 0 && v == 42, "42");
	ok(P("42\n", 10, &v) == 0 && v == 42, "one trailing newline is allowed");
	ok(P("007", 10, &v) == 0 && v == 7, "leading zeros");
	ok(P("18446744073709551615", 10, &v) == 0 && v == UINT64_MAX, "U64_MAX");
	ok(P("18446744073709551616", 10, &v) == -ERANGE && v == 0xdeadbeef,
	   "U64_MAX + 1 overflows, result untouched");
	ok(P("99999999999999999999999", 10, &v) == -ERANGE, "long overflow");
	ok(P("99999999999999999999999x", 10, &v) == -EINVAL,
	   "overflow followed by garbage is malformed");
	ok(P("", 10, &v) == -EINVAL && v == 0xdeadbeef, "empty");
	ok(P("\n", 10, &v) == -EINVAL, "newline only");
	ok(P("42\n\n", 10, &v) == -EINVAL, "two newlines");
	ok(P("+1", 10, &v) == -EINVAL, "plus sign");
	ok(P("-1", 10, &v) == -EINVAL, "minus sign");
	ok(P(" 1", 10, &v) == -EINVAL, "leading space");
	ok(P("1 ", 10, &v) == -EINVAL, "trailing space");
	ok(P("1\t", 10, &v) == -EINVAL, "trailing tab");
	ok(P("1\0" "2", 10, &v) == -EINVAL, "embedded NUL");
	ok(P("1\0", 10, &v) == -EINVAL, "trailing NUL");
	ok(P("\0", 10, &v) == -EINVAL, "NUL only");
	ok(P("abc", 10, &v) == -EINVAL, "letters");
	ok(P("0x10", 10, &v) == -EINVAL, "hex prefix in base 10");
	ok(P("1e3", 10, &v) == -EINVAL, "exponent");
	ok(P("ff", 16, &v) == 0 && v == 255, "hex without prefix");
	ok(P("0xFF\n", 16, &v) == 0 && v == 255, "hex with 0x and newline");
	ok(P("0Xffffffffffffffff", 16, &v) == 0 && v == UINT64_MAX, "hex max");
	ok(P("0x10000000000000000", 16, &v) == -ERANGE, "hex overflow");
	ok(P("0x", 16, &v) == -EINVAL, "bare 0x");
	ok(P("0xg", 16, &v) == -EINVAL, "bad hex digit");
	ok(P("-0x1", 16, &v) == -EINVAL, "signed hex");
	ok(P("12", 8, &v) == -EINVAL, "unsupported base");
	ok(tk_parse_u64(NULL, 0, 10, &v) == -EINVAL, "NULL buffer");
}

static void test_u64_big_buffer(void)
{
	static char buf[65536];
	u64 v;

	memset(buf, '1', sizeof(buf));
	ok(tk_parse_u64(buf, sizeof(buf), 10, &v) == -ERANGE,
	   "64 KiB of digits overflows");
	buf[100] = 'x';
	ok(tk_parse_u64(buf, sizeof(buf), 10, &v) == -EINVAL,
	   "64 KiB with garbage is malformed");
}

static void test_range(void)
{
	u32 v = 77;

	ok(tk_parse_u32_range("1", 1, 1, 3600, &v) == 0 && v == 1, "min");
	ok(tk_parse_u32_range("3600\n", 5, 1, 3600, &v) == 0 && v == 3600, "max");
	v = 77;
	ok(tk_parse_u32_range("0", 1, 1, 3600, &v) == -ERANGE && v == 77,
	   "below min, untouched");
	ok(tk_parse_u32_range("3601", 4, 1, 3600, &v) == -ERANGE && v == 77,
	   "above max, untouched");
	ok(tk_parse_u32_range("4294967296", 10, 0, UINT32_MAX, &v) == -ERANGE,
	   "u32 overflow");
	ok(tk_parse_u32_range("4294967295", 10, 0, UINT32_MAX, &v) == 0 &&
	   v == UINT32_MAX, "u32 max");
	ok(tk_parse_u32_range("2", 1, 0, 1, &v) == -ERANGE, "bool out of range");
	ok(tk_parse_u32_range("x", 1, 0, 1, &v) == -EINVAL, "bool garbage");
}

int main(void)
{
	test_u64();
	test_u64_big_buffer();
	test_range();
	return tap_done();
}
