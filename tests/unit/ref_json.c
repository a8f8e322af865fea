// SPDX-License-Identifier: GPL-2.0
/*
 * ref_json.c - the reference for test_validate's differential test: the
 * recursive-descent JSON check that core/tk_validate.c used before its
 * table-driven automaton.  Same grammar, different algorithm: any input on
 * which the two disagree is a bug in one of them.  Kept as written but for
 * the one such bug the differential test found in it: an object over
 * TK_EV_PAYLOAD_MAX bytes followed by garbage gave -EMSGSIZE, where the
 * documented result is -EBADMSG (not one JSON object, whatever its size).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <tkcore/validate.h>
#include "ref_json.h"

static bool tk_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool tk_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *tk_json_ws(const char *s)
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
static const char *tk_json_string(const char *s)
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
static const char *tk_json_number(const char *s)
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

static const char *tk_json_word(const char *s, const char *w)
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

/* As tk_ev_json_check() was: 0, -EMSGSIZE or -EBADMSG; the length in *lenp. */
int ref_json_check(const char *s, size_t *lenp)
{
	const char *end = s;
	size_t len;
	int ret;

	if (!s)
		return -EBADMSG;
	ret = tk_json_parse(s, &end);
	if (ret)
		return ret;
	len = end - s;
	if (len > TK_EV_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (lenp)
		*lenp = len;
	return 0;
}
