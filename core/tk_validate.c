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
 * payload in the same pass as it is parsed.  Errors: -EINVAL malformed, -ENAMETOOLONG a name or
 * version too long, -EBADMSG a payload that is not one JSON object,
 * -EMSGSIZE a payload over TK_EV_PAYLOAD_MAX bytes.
 *
 * The file also builds in userspace for the unit tests in tests/unit.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
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

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (i == TK_EV_NAME_MAX)
			return -ENAMETOOLONG;
		if (!tk_is_alnum(s[i]) && s[i] != '_' && s[i] != '.' &&
		    s[i] != '-')
			return -EINVAL;
	}
	return i;
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

static __always_inline const char *tk_json_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
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

	for (s++; *s != '"'; ) {
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
		while (tk_is_digit(*s))
			s++;
	else
		return NULL;
	if (*s == '.') {
		s++;
		if (!tk_is_digit(*s))
			return NULL;
		while (tk_is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!tk_is_digit(*s))
			return NULL;
		while (tk_is_digit(*s))
			s++;
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
 * The parser, without recursion: stack[] says for each open container
 * whether it is an object (1) or an array (0).
 */
static int tk_json_parse(const char *s, const char **endp)
{
	unsigned char stack[TK_EV_JSON_DEPTH];
	int depth = 0;

	*endp = s;

	s = tk_json_ws(s);
	if (*s != '{')
		return -EBADMSG;
	goto open;

value:
	/* A value is expected at s (white space skipped). */
	switch (*s) {
	case '{':
	case '[':
open:
		if (depth == TK_EV_JSON_DEPTH)
			return -EBADMSG;
		stack[depth++] = *s == '{';
		s = tk_json_ws(s + 1);
		if (*s == (stack[depth - 1] ? '}' : ']')) {
			s++;
			depth--;
			goto next;
		}
		if (stack[depth - 1])
			goto key;
		goto value;
	case '"':
		s = tk_json_string(s);
		break;
	case 't':
		s = tk_json_word(s, "true");
		break;
	case 'f':
		s = tk_json_word(s, "false");
		break;
	case 'n':
		s = tk_json_word(s, "null");
		break;
	default:
		s = tk_json_number(s);
		break;
	}
	if (!s)
		return -EBADMSG;

next:
	/* After a complete value: a separator, a close, or the end. */
	s = tk_json_ws(s);
	if (!depth) {
		*endp = s;
		return *s ? -EBADMSG : 0;
	}
	if (*s == ',') {
		s = tk_json_ws(s + 1);
		if (stack[depth - 1])
			goto key;
		goto value;
	}
	if (*s != (stack[depth - 1] ? '}' : ']'))
		return -EBADMSG;
	s++;
	depth--;
	goto next;

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
 * one pass that also measures it, up to the first error or its NUL.
 *
 * Return: 0; -EMSGSIZE for a JSON object longer than TK_EV_PAYLOAD_MAX
 * bytes; -EBADMSG when NULL or not one JSON object (whatever its size).
 */
int tk_ev_json_check(const char *s, size_t *lenp)
{
	const char *end = s;
	size_t len;
	int ret;

	if (!s)
		return -EBADMSG;
	ret = tk_json_parse(s, &end);
	len = end - s;
	if (len > TK_EV_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (ret)
		return ret;
	if (lenp)
		*lenp = len;
	return 0;
}
EXPORT_SYMBOL_GPL(tk_ev_json_check);
