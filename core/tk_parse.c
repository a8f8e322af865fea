// SPDX-License-Identifier: GPL-2.0
/*
 * tk_parse.c - strict parsing of numbers written to sysfs files and given as
 * module parameters.
 *
 * kstrtouint() and friends accept a leading '+', and sysfs hands a store()
 * method a buffer that may hold NUL bytes before its end.  Every writable
 * file of the kit goes through these parsers instead, so that all of them
 * reject the same inputs with the same errno:
 *
 *   -EINVAL  empty input, a NUL byte inside the input, a sign, white space
 *            other than one trailing newline, a non-digit, a base prefix
 *            where none is allowed;
 *   -ERANGE  a well-formed number that overflows or falls outside the range.
 *
 * The file also builds in userspace for the unit tests in tests/unit, which
 * supply the three <linux/...> headers it includes.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <tkcore/parse.h>

static int tk_digit(char c, unsigned int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

/**
 * tk_parse_u64() - parse one unsigned number written to a sysfs file
 * @buf: the bytes written; need not be NUL-terminated
 * @count: number of bytes in @buf
 * @base: 10, or 16 (hex digits with an optional "0x" or "0X" prefix)
 * @res: where the value goes; untouched on error
 *
 * Accepts the digits alone, or the digits followed by a single newline (as
 * echo writes them).  Rejects everything else listed at the top of this file.
 *
 * Return: 0 on success, -EINVAL for malformed input or an unsupported @base,
 * -ERANGE when the value does not fit in 64 bits.
 */
int tk_parse_u64(const char *buf, size_t count, unsigned int base, u64 *res)
{
	u64 val = 0;
	size_t i = 0;
	int d;

	if (!buf || (base != 10 && base != 16))
		return -EINVAL;
	if (count && buf[count - 1] == '\n')
		count--;
	if (!count)
		return -EINVAL;
	if (base == 16 && count > 2 && buf[0] == '0' &&
	    (buf[1] == 'x' || buf[1] == 'X'))
		i = 2;
	for (; i < count; i++) {
		d = tk_digit(buf[i], base);
		if (d < 0)
			return -EINVAL;
		if (val > (~(u64)0 - (u64)d) / base) {
			/* Overflow: report it only if the rest is well formed. */
			for (i++; i < count; i++)
				if (tk_digit(buf[i], base) < 0)
					return -EINVAL;
			return -ERANGE;
		}
		val = val * base + (u64)d;
	}
	*res = val;
	return 0;
}
EXPORT_SYMBOL_GPL(tk_parse_u64);

/**
 * tk_parse_u32_range() - parse a decimal number and check it is in range
 * @buf: the bytes written; need not be NUL-terminated
 * @count: number of bytes in @buf
 * @min: smallest accepted value
 * @max: largest accepted value
 * @res: where the value goes; untouched on error
 *
 * Same input rules as tk_parse_u64() with base 10.
 *
 * Return: 0 on success, -EINVAL for malformed input, -ERANGE for a value
 * outside [@min, @max].
 */
int tk_parse_u32_range(const char *buf, size_t count, u32 min, u32 max,
		       u32 *res)
{
	u64 val;
	int ret;

	ret = tk_parse_u64(buf, count, 10, &val);
	if (ret)
		return ret;
	if (val < min || val > max)
		return -ERANGE;
	*res = (u32)val;
	return 0;
}
EXPORT_SYMBOL_GPL(tk_parse_u32_range);
