// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/tk_validate.c, the checks of the telemetry event API. */
#include <errno.h>
#include <string.h>
#include <tkcore/validate.h>
#include "tap.h"

static void test_uuid(void)
{
	ok(tk_ev_uuid_check("00000000-1111-2222-3333-444444444444") == 0, "seed 004's id");
	ok(tk_ev_uuid_check("6ba7b810-9dad-11d1-80b4-00c04fd430c8") == 0, "lower case");
	ok(tk_ev_uuid_check("6BA7B810-9DAD-11D1-80B4-00C04FD430C8") == 0, "upper case");
	ok(tk_ev_uuid_check("6ba7b810-9dad-11d1-80b4-00c04fd430c") == -EINVAL, "one digit short");
	ok(tk_ev_uuid_check("6ba7b810-9dad-11d1-80b4-00c04fd430c88") == -EINVAL, "one digit long");
	ok(tk_ev_uuid_check("6ba7b8109dad-11d1-80b4-00c04fd430c8a") == -EINVAL, "dash missing");
	ok(tk_ev_uuid_check("6ba7b810-9dad-11d1-80b4-00c04fd430cg") == -EINVAL, "non-hex");
	ok(tk_ev_uuid_check("{6ba7b810-9dad-11d1-80b4-00c04fd430c8}") == -EINVAL, "braces");
	ok(tk_ev_uuid_check("") == -EINVAL, "empty");
	ok(tk_ev_uuid_check(NULL) == -EINVAL, "NULL");
}

static void test_name(void)
{
	ok(tk_ev_name_check("hello") == 5, "plain name, its length returned");
	ok(tk_ev_name_check("a.b-c_D9") == 8, "all allowed characters");
	ok(tk_ev_name_check("abcdefghijklmnopqrstuvwxyz01234") == 31, "31 characters");
	ok(tk_ev_name_check("abcdefghijklmnopqrstuvwxyz012345") == -ENAMETOOLONG, "32 characters");
	ok(tk_ev_name_check("") == -EINVAL, "empty");
	ok(tk_ev_name_check(NULL) == -EINVAL, "NULL");
	ok(tk_ev_name_check("a b") == -EINVAL, "space");
	ok(tk_ev_name_check("a\"b") == -EINVAL, "quote");
	ok(tk_ev_name_check("caf\xc3\xa9") == -EINVAL, "non-ASCII");
}

static void test_version(void)
{
	ok(tk_ev_version_check("1.0.0") == 0, "1.0.0");
	ok(tk_ev_version_check("0.10.200") == 0, "0.10.200");
	ok(tk_ev_version_check("1.0.0-alpha.1") == 0, "pre-release");
	ok(tk_ev_version_check("1.0.0-0.3.7") == 0, "numeric pre-release");
	ok(tk_ev_version_check("1.0.0+20130313144700") == 0, "build metadata");
	ok(tk_ev_version_check("1.0.0-beta+exp.sha.5114f85") == 0, "both");
	ok(tk_ev_version_check("1.0.0+001") == 0, "leading zero allowed in build");
	ok(tk_ev_version_check("1.0") == -EINVAL, "two fields");
	ok(tk_ev_version_check("1.0.0.0") == -EINVAL, "four fields");
	ok(tk_ev_version_check("01.0.0") == -EINVAL, "leading zero");
	ok(tk_ev_version_check("1.0.0-01") == -EINVAL, "leading zero in numeric pre-release");
	ok(tk_ev_version_check("1.0.0-") == -EINVAL, "empty pre-release");
	ok(tk_ev_version_check("1.0.0-a..b") == -EINVAL, "empty identifier");
	ok(tk_ev_version_check("v1.0.0") == -EINVAL, "v prefix");
	ok(tk_ev_version_check("1.0.0 ") == -EINVAL, "trailing space");
	ok(tk_ev_version_check("") == -EINVAL, "empty");
	ok(tk_ev_version_check(NULL) == -EINVAL, "NULL");
	ok(tk_ev_version_check("1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaa") == 0, "31 characters");
	ok(tk_ev_version_check("1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaa") == -ENAMETOOLONG,
	   "32 characters");
}

static int J(const char *s)
{
	return tk_ev_json_check(s, NULL);
}

static void test_json(void)
{
	static char big[TK_EV_PAYLOAD_MAX + 2];
	char deep[2 * TK_EV_JSON_DEPTH + 8];
	size_t len = 0;
	int i;

	ok(tk_ev_json_check("{}", &len) == 0 && len == 2, "empty object, length");
	ok(J(" {\n\t\"a\" : 1 }\r\n") == 0, "white space around");
	ok(J("{\"seq\":1,\"ok\":true,\"no\":false,\"nil\":null}") == 0, "literals");
	ok(J("{\"n\":[-0,1.5,2e10,-3.25E-3,1e+2,0]}") == 0, "numbers");
	ok(J("{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"}") == 0, "escapes");
	ok(J("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}") == 0, "UTF-8");
	ok(J("{\"a\":{\"b\":[{},[],[1,[2]]]}}") == 0, "nesting");
	ok(J("{\"\":\"\"}") == 0, "empty key and value");

	ok(J(NULL) == -EBADMSG, "NULL");
	ok(J("") == -EBADMSG, "empty");
	ok(J("   ") == -EBADMSG, "white space only");
	ok(J("[]") == -EBADMSG, "array at top level");
	ok(J("1") == -EBADMSG, "number at top level");
	ok(J("\"x\"") == -EBADMSG, "string at top level");
	ok(J("{ hello_world: true }") == -EBADMSG, "seed 004's bare key");
	ok(J("{\"a\":1,}") == -EBADMSG, "trailing comma in object");
	ok(J("{\"a\":[1,]}") == -EBADMSG, "trailing comma in array");
	ok(J("{\"a\":1}{}") == -EBADMSG, "two objects");
	ok(J("{\"a\":1} x") == -EBADMSG, "trailing garbage");
	ok(J("x{}") == -EBADMSG, "leading garbage");
	ok(J("{\"a\":1") == -EBADMSG, "unclosed object");
	ok(J("{\"a\":[1}") == -EBADMSG, "mismatched close");
	ok(J("{\"a\"}") == -EBADMSG, "key without value");
	ok(J("{\"a\" 1}") == -EBADMSG, "missing colon");
	ok(J("{1:1}") == -EBADMSG, "number key");
	ok(J("{\"a\":01}") == -EBADMSG, "leading zero");
	ok(J("{\"a\":1.}") == -EBADMSG, "no digit after point");
	ok(J("{\"a\":.5}") == -EBADMSG, "no digit before point");
	ok(J("{\"a\":1e}") == -EBADMSG, "empty exponent");
	ok(J("{\"a\":+1}") == -EBADMSG, "plus sign");
	ok(J("{\"a\":-}") == -EBADMSG, "lone minus");
	ok(J("{\"a\":tru}") == -EBADMSG, "truncated literal");
	ok(J("{\"a\":True}") == -EBADMSG, "capitalised literal");
	ok(J("{\"a\":NaN}") == -EBADMSG, "NaN");
	ok(J("{\"a\":\"x\ny\"}") == -EBADMSG, "raw newline in string");
	ok(J("{\"a\":\"\x01\"}") == -EBADMSG, "control character in string");
	ok(J("{\"a\":\"\\x\"}") == -EBADMSG, "bad escape");
	ok(J("{\"a\":\"\\u12g4\"}") == -EBADMSG, "bad \\u escape");
	ok(J("{\"a\":\"\\u12\"}") == -EBADMSG, "short \\u escape");
	ok(J("{\"a\":\"abc}") == -EBADMSG, "unterminated string");
	ok(J("{\"a\":\"\\") == -EBADMSG, "backslash at the end");
	ok(J("{\"a\":'x'}") == -EBADMSG, "single quotes");
	ok(J("{/*c*/}") == -EBADMSG, "comment");
	ok(J("{\"s\":\"\xc3\"}") == -EBADMSG, "truncated UTF-8");
	ok(J("{\"s\":\"\xc0\xaf\"}") == -EBADMSG, "overlong UTF-8");
	ok(J("{\"s\":\"\xed\xa0\x80\"}") == -EBADMSG, "UTF-8 surrogate");
	ok(J("{\"s\":\"\xf4\x90\x80\x80\"}") == -EBADMSG, "beyond U+10FFFF");
	ok(J("{\"s\":\"\xff\"}") == -EBADMSG, "byte 0xff");
	ok(J("{\"s\":\"\x80\"}") == -EBADMSG, "lone continuation byte");

	/* Depth: TK_EV_JSON_DEPTH containers pass, one more does not. */
	for (i = 0; i < TK_EV_JSON_DEPTH; i++)
		deep[i] = i ? '[' : '{';
	deep[i] = 0;
	strcat(deep, "\"x\"");
	ok(J(deep) == -EBADMSG, "array directly in object is no key");
	deep[0] = '{';
	strcpy(deep + 1, "\"k\":");
	for (i = 1; i < TK_EV_JSON_DEPTH; i++)
		strcat(deep, "[");
	for (i = 1; i < TK_EV_JSON_DEPTH; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ok(J(deep) == 0, "nesting of %d accepted", TK_EV_JSON_DEPTH);
	deep[0] = '{';
	strcpy(deep + 1, "\"k\":");
	for (i = 0; i < TK_EV_JSON_DEPTH; i++)
		strcat(deep, "[");
	for (i = 0; i < TK_EV_JSON_DEPTH; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ok(J(deep) == -EBADMSG, "nesting of %d rejected", TK_EV_JSON_DEPTH + 1);

	/* Size: exactly TK_EV_PAYLOAD_MAX bytes pass, one more does not. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[TK_EV_PAYLOAD_MAX - 1] = '}';
	big[TK_EV_PAYLOAD_MAX] = 0;
	ok(tk_ev_json_check(big, &len) == 0 && len == TK_EV_PAYLOAD_MAX,
	   "%d bytes accepted", TK_EV_PAYLOAD_MAX);
	big[TK_EV_PAYLOAD_MAX] = ' ';
	big[TK_EV_PAYLOAD_MAX + 1] = 0;
	len = 7;
	ok(tk_ev_json_check(big, &len) == -EMSGSIZE && len == 7,
	   "%d bytes rejected with EMSGSIZE", TK_EV_PAYLOAD_MAX + 1);
	big[TK_EV_PAYLOAD_MAX - 1] = ' ';
	ok(J(big) == -EBADMSG, "%d bytes, unclosed: EBADMSG", TK_EV_PAYLOAD_MAX + 1);
}

int main(void)
{
	test_uuid();
	test_name();
	test_version();
	test_json();
	return tap_done();
}
