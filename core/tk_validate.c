// SPDX-License-Identifier: GPL-2.0
/*
 * tk_validate.c - input checks of the telemetry event API.
 *
 * Every argument a producer hands to tk_telemetry_*() passes one of these
 * checks before it reaches a consumer, so that a tracepoint or the reader
 * never sees a malformed id, name or payload:
 *
 *   id       a UUID in its text form, 8-4-4-4-12 hex digits (either case);
 *   name     1..TK_EV_NAME_MAX characters of [A-Za-z0-9_.-] (producer,
 *            session and event names), so that they need no escaping;
 *   version  semantic versioning 2.0: MAJOR.MINOR.PATCH, numbers without
 *            leading zeros, optional -prerelease and +build of
 *            [0-9A-Za-z.-] identifiers, at most TK_EV_VERSION_MAX chars;
 *   payload  one JSON object (RFC 8259, strict: no trailing commas, no
 *            comments, no bare words, valid UTF-8, no raw control
 *            characters in strings), nesting at most TK_EV_JSON_DEPTH,
 *            at most TK_EV_PAYLOAD_MAX bytes.
 *
 * The checks are pure functions without locks or allocation, so they can
 * run in any context.  Names are measured as they are checked, and the
 * payload in the same pass as it is parsed.  Errors: -EINVAL malformed,
 * -ENAMETOOLONG a name or version too long, -EBADMSG a payload that is not
 * one JSON object, -EMSGSIZE a payload over TK_EV_PAYLOAD_MAX bytes.
 *
 * The file also builds in userspace for the unit tests in tests/unit,
 * where test_validate checks the payload parser against the former one
 * (tests/unit/ref_json.c) on random inputs.
 */
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/swab.h>
#include <tkcore/validate.h>

static bool tk_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool tk_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool tk_is_alnum(char c)
{
	return tk_is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/**
 * tk_ev_uuid_check() - check a producer id
 * @s: NUL-terminated string, or NULL
 *
 * Return: 0 for a UUID in 8-4-4-4-12 form, -EINVAL otherwise.
 */
int tk_ev_uuid_check(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < TK_EV_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
		} else if (!tk_is_hex(s[i])) {
			return -EINVAL;	/* also stops at a short string's NUL */
		}
	}
	return s[i] ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(tk_ev_uuid_check);

/* The characters of a name (a table: one branch per character). */
static const bool tk_name_char[256] = {
	['-'] = true, ['.'] = true, ['0' ... '9'] = true,
	['A' ... 'Z'] = true, ['_'] = true, ['a' ... 'z'] = true,
};

/**
 * tk_ev_name_check() - check a producer, session or event name
 * @s: NUL-terminated string, or NULL
 *
 * Return: the length, for 1..TK_EV_NAME_MAX characters of [A-Za-z0-9_.-];
 * -ENAMETOOLONG when longer; -EINVAL when empty, NULL or another character.
 */
int tk_ev_name_check(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < TK_EV_NAME_MAX && tk_name_char[(u8)s[i]]; i++)
		;
	if (s[i])	/* a 32nd character, or one not allowed */
		return i == TK_EV_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
	return i ? i : -EINVAL;
}
EXPORT_SYMBOL_GPL(tk_ev_name_check);

/* A semver numeric field: "0" or no leading zero.  Advances *p. */
static bool tk_semver_num(const char **p)
{
	const char *s = *p;

	if (!tk_is_digit(*s))
		return false;
	if (*s == '0' && tk_is_digit(s[1]))
		return false;
	while (tk_is_digit(*s))
		s++;
	*p = s;
	return true;
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-].  Advances *p. */
static bool tk_semver_idents(const char **p, bool prerelease)
{
	const char *s = *p, *start;
	bool numeric;

	for (;;) {
		start = s;
		numeric = true;
		while (tk_is_alnum(*s) || *s == '-') {
			if (!tk_is_digit(*s))
				numeric = false;
			s++;
		}
		if (s == start)
			return false;
		/* Numeric pre-release identifiers have no leading zero. */
		if (prerelease && numeric && *start == '0' && s - start > 1)
			return false;
		if (*s != '.')
			break;
		s++;
	}
	*p = s;
	return true;
}

/**
 * tk_ev_version_check() - check a producer's version
 * @s: NUL-terminated string, or NULL
 *
 * Return: 0 for a semantic version (MAJOR.MINOR.PATCH[-pre][+build]);
 * -ENAMETOOLONG when longer than TK_EV_VERSION_MAX; -EINVAL otherwise.
 */
int tk_ev_version_check(const char *s)
{
	const char *p = s;
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (i && *p++ != '.')
			return -EINVAL;
		if (!tk_semver_num(&p))
			return -EINVAL;
	}
	if (*p == '-') {
		p++;
		if (!tk_semver_idents(&p, true))
			return -EINVAL;
	}
	if (*p == '+') {
		p++;
		if (!tk_semver_idents(&p, false))
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	return p - s > TK_EV_VERSION_MAX ? -ENAMETOOLONG : 0;
}
EXPORT_SYMBOL_GPL(tk_ev_version_check);

/* ---- JSON ---- */

/*
 * Strings and digits are scanned a word at a time: under emulation every
 * load and every branch costs, and these checks must stay cheaper than the
 * strlen() calls a plain tracepoint makes (docs/performance.md).  Words are
 * read aligned, so a read never crosses into the next page, and through
 * read_word_at_a_time(), which KASAN allows to pass the string's end.  The
 * bytes of a word before the string are shifted out (zeroes come in at the
 * top); the lowest flagged byte of a mask is exact, those above it may be
 * false hits, so only the lowest is used.
 */
#define TK_ONES		(~0UL / 0xff)		/* 0x0101...01 */
#define TK_HIGHS	(TK_ONES << 7)		/* 0x8080...80 */

/* The word holding s, s in its lowest byte; *nr: the bytes of s in it. */
static __always_inline unsigned long tk_word_at(const char *s,
						unsigned int *nr)
{
	unsigned int off = (unsigned long)s % sizeof(long);
	unsigned long w = read_word_at_a_time(s - off);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = BITS_PER_LONG == 64 ? swab64(w) : swab32(w);
#endif
	*nr = sizeof(long) - off;
	return w >> (8 * off);
}

/* High bit set in the bytes equal to c (exact up to the lowest). */
static __always_inline unsigned long tk_bytes_eq(unsigned long w,
						 unsigned char c)
{
	w ^= TK_ONES * c;
	return (w - TK_ONES) & ~w;
}

/*
 * The first byte at or after s that ends a run: with @digits, of digits;
 * else of string bytes that need no attention (it stops at '"', '\\', a
 * control character, the NUL and bytes >= 0x80).  @digits is a constant
 * at every call, so each call compiles to one of the two masks.
 */
static __always_inline const char *tk_json_run(const char *s, bool digits)
{
	unsigned long w, m;
	unsigned int nr;

	for (;;) {
		w = tk_word_at(s, &nr);
		if (digits)
			m = (w - TK_ONES * '0') | (w + TK_ONES * (0x80 - '9' - 1)) |
			    w;
		else
			m = ((w - TK_ONES * 0x20) & ~w) | tk_bytes_eq(w, '"') |
			    tk_bytes_eq(w, '\\') | w;
		m &= TK_HIGHS;
		if (m && __ffs(m) / 8 < nr)
			return s + __ffs(m) / 8;
		s += nr;
	}
}

static __always_inline const char *tk_json_ws(const char *s)
{
	/* (all four white space characters are below '!') */
	while (unlikely((unsigned char)*s <= ' ') &&
	       (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

/* One UTF-8 sequence of 2..4 bytes at s (s[0] >= 0x80); NULL if invalid. */
static const char *tk_json_utf8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int n, i, cp;

	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 1;
		cp = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 2;
		cp = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 3;
		cp = u[0] & 0x07;
	} else {
		return NULL;
	}
	for (i = 1; i <= n; i++) {
		if ((u[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return NULL;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return NULL;
	return s + n + 1;
}

/* A string, s at its opening quote; returns the end or NULL. */
static __always_inline const char *tk_json_string(const char *s)
{
	int i;

	for (s++; ; ) {
		s = tk_json_run(s, false);
		if (*s == '"')
			break;
		if ((unsigned char)*s < 0x20)	/* control or the NUL */
			return NULL;
		if ((unsigned char)*s >= 0x80) {
			s = tk_json_utf8(s);
			if (!s)
				return NULL;
			continue;
		}
		if (*s++ != '\\')
			continue;
		switch (*s++) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			break;
		case 'u':
			for (i = 0; i < 4; i++)
				if (!tk_is_hex(*s++))
					return NULL;
			break;
		default:
			return NULL;
		}
	}
	return s + 1;
}

/* A number; returns the end or NULL. */
static __always_inline const char *tk_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s = tk_json_run(s + 1, true);
	else
		return NULL;
	if (*s == '.') {
		s++;
		if (!tk_is_digit(*s))
			return NULL;
		s = tk_json_run(s + 1, true);
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!tk_is_digit(*s))
			return NULL;
		s = tk_json_run(s + 1, true);
	}
	return s;
}

static __always_inline const char *tk_json_word(const char *s, const char *w)
{
	/* (a mismatch, the NUL included, stops before reading further) */
	for (; *w; s++, w++)
		if (*s != *w)
			return NULL;
	return s;
}

/*
 * The parser, without recursion: objs is the stack of open containers, a
 * bit each, innermost lowest, set for an object and clear for an array
 * (TK_EV_JSON_DEPTH <= 32).
 */
static int tk_json_parse(const char *s, size_t *lenp)
{
	const char *start = s;
	unsigned int depth = 0;
	u32 objs = 0;
	char c;

	BUILD_BUG_ON(TK_EV_JSON_DEPTH > 32);
	s = tk_json_ws(s);
	if (*s != '{')
		return -EBADMSG;
	goto open;

value:
	/* A value is expected at s (white space skipped). */
	c = *s;
	if (c == '"') {
		s = tk_json_string(s);
	} else if (c == '{' || c == '[') {
open:
		if (depth == TK_EV_JSON_DEPTH)
			return -EBADMSG;
		depth++;
		objs = objs << 1 | (*s == '{');
		s = tk_json_ws(s + 1);
		if (*s == (objs & 1 ? '}' : ']'))
			goto close;
		if (objs & 1)
			goto key;
		goto value;
	} else if (c == 't') {
		s = tk_json_word(s, "true");
	} else if (c == 'f') {
		s = tk_json_word(s, "false");
	} else if (c == 'n') {
		s = tk_json_word(s, "null");
	} else {
		s = tk_json_number(s);
	}
	if (!s)
		return -EBADMSG;

after:
	/* After a value in a container: a separator or its close. */
	s = tk_json_ws(s);
	if (*s == ',') {
		s = tk_json_ws(s + 1);
		if (objs & 1)
			goto key;
		goto value;
	}
	if (*s != (objs & 1 ? '}' : ']'))
		return -EBADMSG;
close:
	/* s at a container's closing bracket */
	s++;
	objs >>= 1;
	if (--depth)
		goto after;
	/* The end of the top object: only white space may follow. */
	s = tk_json_ws(s);
	*lenp = s - start;
	return *s ? -EBADMSG : 0;

key:
	/* In an object: "key" : value */
	if (*s != '"')
		return -EBADMSG;
	s = tk_json_string(s);
	if (!s)
		return -EBADMSG;
	s = tk_json_ws(s);
	if (*s != ':')
		return -EBADMSG;
	s = tk_json_ws(s + 1);
	goto value;
}

/**
 * tk_ev_json_check() - check a message payload
 * @s: NUL-terminated string, or NULL
 * @lenp: where to store strlen(@s) on success; may be NULL
 *
 * The payload must be one JSON object, optionally surrounded by white
 * space, of at most TK_EV_PAYLOAD_MAX bytes.  Its bytes are read once, in
 * one pass that also measures it, up to the first error or its NUL (in
 * strings and numbers a word at a time: the bytes past the NUL in its
 * aligned word are read and ignored).
 *
 * Return: 0; -EMSGSIZE for a JSON object longer than TK_EV_PAYLOAD_MAX
 * bytes; -EBADMSG when NULL or not one JSON object (whatever its size).
 */
int tk_ev_json_check(const char *s, size_t *lenp)
{
	size_t len = 0;
	int ret;

	if (!s)
		return -EBADMSG;
	ret = tk_json_parse(s, &len);
	if (ret)
		return ret;
	if (len > TK_EV_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (lenp)
		*lenp = len;
	return 0;
}
EXPORT_SYMBOL_GPL(tk_ev_json_check);
