// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/tk_validate.c, the checks of the telemetry event API. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tkcore/validate.h>
#include "ref_json.h"
#include "tap.h"

static void test_uuid(void)
{
	ok(tk_ev_uuid_check("00000000-1111-2222-3333-444444444444") == 0, "an 8-4-4-4-12 id of digits");
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
	ok(J("{ hello_world: true }") == -EBADMSG, "a bare key");
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

/*
 * Differential test: tk_ev_json_check() against ref_json.c, the former
 * recursive-descent check, on random payloads: generated JSON (valid by
 * construction, sometimes too deep or too long), the same with a few
 * bytes mutated, and soups of JSON tokens and UTF-8 fragments, each at a
 * random alignment.  Both must return the same errno, and the same length
 * on success.
 */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned int rn(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 32) % n;
}

#define GEN_MAX	4096
static char gen[GEN_MAX + 64];
static size_t glen;

static void put(const char *t)
{
	size_t n = strlen(t);

	if (glen + n < GEN_MAX) {
		memcpy(gen + glen, t, n);
		glen += n;
	}
}

static const char *const ws[] = { "", "", "", " ", "\n", "\t ", "\r\n" };
static const char *const chars[] = {
	"a", "Z", "0", " ", "~", "\x7f", "/", "\\\"", "\\\\", "\\/", "\\b",
	"\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\uD83D", "\\uABCF",
	"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	"\xe0\xa0\x80", "\xed\x9f\xbf", "\xef\xbf\xbf", "\xc2\x80",
};

static void gen_string(void)
{
	unsigned int i, n = rn(8);

	put("\"");
	if (!rn(60))		/* now and then long enough for EMSGSIZE */
		n = 300 + rn(400);
	for (i = 0; i < n; i++)
		put(chars[rn(sizeof(chars) / sizeof(chars[0]))]);
	put("\"");
}

static void gen_number(void)
{
	static const char *const ip[] = { "0", "1", "9", "10", "123456",
					  "18446744073709551616" };
	static const char *const fp[] = { "", "", ".0", ".5", ".125" };
	static const char *const ep[] = { "", "", "e1", "E+2", "e-10", "E0" };

	if (rn(3) == 0)
		put("-");
	put(ip[rn(6)]);
	put(fp[rn(5)]);
	put(ep[rn(6)]);
}

static void gen_value(int depth);

static void gen_container(int depth, int obj)
{
	unsigned int i, n = depth > 6 ? rn(2) : rn(5);

	put(obj ? "{" : "[");
	put(ws[rn(7)]);
	for (i = 0; i < n; i++) {
		if (i) {
			put(",");
			put(ws[rn(7)]);
		}
		if (obj) {
			gen_string();
			put(ws[rn(7)]);
			put(":");
			put(ws[rn(7)]);
		}
		gen_value(depth + 1);
		put(ws[rn(7)]);
	}
	put(obj ? "}" : "]");
}

static void gen_value(int depth)
{
	static const char *const lit[] = { "true", "false", "null" };

	/* Deep chains now and then, around TK_EV_JSON_DEPTH. */
	if (depth < TK_EV_JSON_DEPTH + 2 && !rn(depth > 3 ? 2 : 12)) {
		gen_container(depth, rn(2));
		return;
	}
	switch (rn(4)) {
	case 0:
		gen_string();
		break;
	case 1:
		gen_number();
		break;
	case 2:
		put(lit[rn(3)]);
		break;
	default:
		if (depth < 8)
			gen_container(depth, rn(2));
		else
			put("0");
	}
}

static const char *const tokens[] = {
	"{", "}", "[", "]", ":", ",", "\"", "\"k\"", "\\", "\\u", "u", "0",
	"1", "-", "+", ".", "e", "E", "true", "false", "null", "tru", "nul",
	" ", "\t", "\n", "x", "/", "b", "\x01", "\xc3", "\xa9", "\xe0",
	"\xa0", "\xed", "\xf0", "\x90", "\xf4", "\x8f", "\x80", "\xbf",
	"\xff", "\xc0", "\xf5",
};

static void gen_case(void)
{
	unsigned int i, n, kind = rn(8);

	glen = 0;
	if (kind == 0) {		/* token soup */
		n = rn(30);
		if (rn(4))
			put("{");
		for (i = 0; i < n; i++)
			put(tokens[rn(sizeof(tokens) / sizeof(tokens[0]))]);
	} else if (kind == 1) {		/* nesting around TK_EV_JSON_DEPTH */
		char open[TK_EV_JSON_DEPTH + 8];

		n = TK_EV_JSON_DEPTH - 4 + rn(9);
		for (i = 0; i < n; i++) {
			open[i] = i && rn(2) ? '[' : '{';
			put(open[i] == '{' ? "{\"k\":" : "[");
		}
		gen_value(TK_EV_JSON_DEPTH + 2);
		while (i--)
			put(rn(40) ? (open[i] == '{' ? "}" : "]") : "}");
	} else {			/* an object, maybe mutated */
		put(ws[rn(7)]);
		gen_container(1, 1);
		put(ws[rn(7)]);
		for (n = kind < 4 ? 1 + rn(3) : 0; n && glen; n--) {
			i = rn(glen);
			switch (rn(4)) {
			case 0:		/* any byte but the NUL */
				gen[i] = (char)(1 + rn(255));
				break;
			case 1:		/* a JSON byte */
				gen[i] = "{}[]:,\"\\0-.eE tfn"[rn(17)];
				break;
			case 2:		/* delete */
				memmove(gen + i, gen + i + 1, glen - i - 1);
				glen--;
				break;
			default:	/* truncate */
				glen = i;
			}
		}
	}
	gen[glen] = 0;
}

static void test_json_differential(void)
{
	unsigned long i, n = 300000, ok0 = 0, bad = 0, big = 0, differ = 0;
	unsigned long deep_ok = 0, deep_bad = 0;
	static long moved_words[GEN_MAX / sizeof(long) + 16];
	char *moved = (char *)moved_words;
	size_t off, j;
	const char *e = getenv("TK_FUZZ_N");
	size_t l1, l2;
	int r1, r2;

	if (e)
		n = strtoul(e, NULL, 10);
	for (i = 0; i < n; i++) {
		gen_case();
		/*
		 * At each alignment, and with bytes after the NUL that a
		 * word-at-a-time read sees: they must not matter.
		 */
		off = rn(sizeof(long));
		memcpy(moved + off, gen, glen + 1);
		for (j = 1; j <= sizeof(long); j++)
			moved[off + glen + j] = "\"\\0 }a"[rn(6)];
		l1 = l2 = 0;
		r1 = tk_ev_json_check(moved + off, &l1);
		r2 = ref_json_check(gen, &l2);
		if (r1 != r2 || (!r1 && l1 != l2)) {
			if (!differ++) {
				printf("# differ on case %lu: new %d/%zu, reference %d/%zu: \"",
				       i, r1, l1, r2, l2);
				for (l1 = 0; l1 < glen; l1++)
					printf((unsigned char)gen[l1] < 0x20 ||
					       (unsigned char)gen[l1] >= 0x7f ?
					       "\\x%02x" : "%c", (unsigned char)gen[l1]);
				printf("\"\n");
			}
		}
		ok0 += !r1;
		bad += r1 == -EBADMSG;
		if (gen[0] == '{' && gen[1] == '"' && gen[2] == 'k') {
			deep_ok += !r1;
			deep_bad += !!r1;
		}
		big += r1 == -EMSGSIZE;
	}
	printf("# %lu payloads: %lu accepted, %lu EBADMSG, %lu EMSGSIZE; deep ones: %lu accepted, %lu rejected\n",
	       n, ok0, bad, big, deep_ok, deep_bad);
	ok(!differ, "%lu random payloads: same result as the reference (%lu differ)",
	   n, differ);
	ok(ok0 > n / 10 && bad > n / 10 && big > n / 1000 && deep_ok && deep_bad,
	   "the payloads cover acceptance and both errors");
}

int main(void)
{
	test_uuid();
	test_name();
	test_version();
	test_json();
	test_json_differential();
	return tap_done();
}
