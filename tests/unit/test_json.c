// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_json.c - unit tests for the strict JSON reader and the NDJSON writer */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "json.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse from a heap copy of exactly @len bytes, with no NUL after it, so
 * AddressSanitizer catches any read past the end, and so a tree that kept
 * pointers into the text would be caught using freed memory.
 */
static int parse_exact(const char *text, size_t len, struct json_value **out,
		       struct json_error *err)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	ret = json_parse(copy, len, out, err);
	free(copy);
	return ret;
}

static int parse_str(const char *text, struct json_value **out,
		     struct json_error *err)
{
	return parse_exact(text, strlen(text), out, err);
}

static void test_literals(void)
{
	static const struct {
		const char *text;
		enum json_type type;
	} cases[] = {
		{ "null", JSON_NULL },
		{ " true ", JSON_TRUE },
		{ "\tfalse\n", JSON_FALSE },
		{ "\r\n null \r\n", JSON_NULL },
	};
	struct json_value *v;
	struct json_error err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_OK(parse_str(cases[i].text, &v, &err), cases[i].text);
		ASSERT_EQ(v->type, cases[i].type, cases[i].text);
		json_free(v);
	}
}

static void test_numbers(void)
{
	static const struct {
		const char *text;
		double value;
	} cases[] = {
		{ "0", 0.0 },
		{ "7", 7.0 },
		{ "-42", -42.0 },
		{ "1234567890", 1234567890.0 },
		{ "1.5", 1.5 },
		{ "-0.25", -0.25 },
		{ "0.1", 0.1 },
		{ "1e3", 1000.0 },
		{ "1E3", 1000.0 },
		{ "1e+3", 1000.0 },
		{ "25e-2", 0.25 },
		{ "-1.25e2", -125.0 },
		{ "-1.25E-2", -0.0125 },
		{ "123.456e-7", 123.456e-7 },
		{ "0e0", 0.0 },
		{ "9007199254740993", 9007199254740992.0 },
		{ "18446744073709551615", 18446744073709551615.0 },
		{ "1.7976931348623157e308", DBL_MAX },
		{ "4.9e-324", 4.9e-324 },
		{ "1e-400", 0.0 },
		{ " 12 ", 12.0 },
	};
	struct json_value *v;
	struct json_error err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_OK(parse_str(cases[i].text, &v, &err), cases[i].text);
		ASSERT_EQ(v->type, JSON_NUMBER, cases[i].text);
		ASSERT_TRUE(v->number == cases[i].value, cases[i].text);
		json_free(v);
	}
}

static void test_negative_zero(void)
{
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str("-0", &v, &err), "-0");
	ASSERT_TRUE(v->number == 0.0 && signbit(v->number), "-0");
	json_free(v);
	ASSERT_OK(parse_str("-0.0e5", &v, &err), "-0.0e5");
	ASSERT_TRUE(v->number == 0.0 && signbit(v->number), "-0.0e5");
	json_free(v);
}

/* Longer than any fixed buffer the reader might copy numbers into. */
static void test_long_number(void)
{
	char text[300];
	struct json_value *v;
	struct json_error err;

	strcpy(text, "0.");
	memset(text + 2, '0', 250);
	strcpy(text + 252, "1e251");
	ASSERT_OK(parse_str(text, &v, &err), "long fraction");
	ASSERT_TRUE(v->number == 1.0, "long fraction");
	json_free(v);

	memset(text, '9', 200);
	text[200] = '\0';
	ASSERT_OK(parse_str(text, &v, &err), "200 nines");
	ASSERT_TRUE(v->number == 1e200, "200 nines");
	json_free(v);
}

static void test_strings(void)
{
	static const struct {
		const char *name;
		const char *text;
		const char *bytes;
		size_t len;
	} cases[] = {
		{ "empty", "\"\"", "", 0 },
		{ "plain", "\"hello world\"", "hello world", 11 },
		{ "short escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		  "\"\\/\b\f\n\r\t", 8 },
		{ "\\u ascii", "\"\\u0041\\u007a\"", "Az", 2 },
		{ "\\u two bytes", "\"\\u00e9\\u07FF\"", "\xc3\xa9\xdf\xbf",
		  4 },
		{ "\\u three bytes", "\"\\u20AC\\u0800\\uffff\"",
		  "\xe2\x82\xac\xe0\xa0\x80\xef\xbf\xbf", 9 },
		{ "surrogate pair", "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80",
		  4 },
		{ "highest pair", "\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4 },
		{ "lowest pair", "\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4 },
		{ "escaped NUL", "\"a\\u0000b\"", "a\0b", 3 },
		{ "raw UTF-8", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14 },
		{ "raw DEL", "\"\x7f\"", "\x7f", 1 },
		{ "escaped control", "\"\\u0001\\u001F\"", "\x01\x1f", 2 },
		{ "pair then text", "\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!",
		  5 },
	};
	struct json_value *v;
	struct json_error err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_OK(parse_str(cases[i].text, &v, &err), cases[i].name);
		ASSERT_EQ(v->type, JSON_STRING, cases[i].name);
		ASSERT_EQ(v->string.len, cases[i].len, cases[i].name);
		ASSERT_TRUE(!memcmp(v->string.ptr, cases[i].bytes,
				    cases[i].len),
			    cases[i].name);
		ASSERT_EQ(v->string.ptr[v->string.len], '\0', cases[i].name);
		json_free(v);
	}
}

static void test_arrays(void)
{
	const char *text = "[1, \"two\", [true, null], {}, []]";
	struct json_value *v, *items;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "parse");
	ASSERT_EQ(v->type, JSON_ARRAY, "root");
	ASSERT_EQ(v->array.count, 5, "count");
	items = v->array.items;
	ASSERT_TRUE(items[0].type == JSON_NUMBER && items[0].number == 1.0,
		    "[0]");
	ASSERT_STREQ(items[1].string.ptr, "two", "[1]");
	ASSERT_EQ(items[2].type, JSON_ARRAY, "[2]");
	ASSERT_EQ(items[2].array.count, 2, "[2] count");
	ASSERT_EQ(items[2].array.items[0].type, JSON_TRUE, "[2][0]");
	ASSERT_EQ(items[2].array.items[1].type, JSON_NULL, "[2][1]");
	ASSERT_EQ(items[3].type, JSON_OBJECT, "[3]");
	ASSERT_EQ(items[3].object.count, 0, "[3] count");
	ASSERT_EQ(items[4].type, JSON_ARRAY, "[4]");
	ASSERT_EQ(items[4].array.count, 0, "[4] count");
	json_free(v);

	ASSERT_OK(parse_str("[ \n\t ]", &v, &err), "empty with space");
	ASSERT_EQ(v->type, JSON_ARRAY, "empty type");
	ASSERT_EQ(v->array.count, 0, "empty count");
	json_free(v);
}

/* Enough elements to grow the array many times. */
static void test_big_array(void)
{
	size_t n = 100000, i;
	char *text = malloc(n * 2 + 1);
	struct json_value *v;
	struct json_error err;
	int ret;

	ASSERT_TRUE(text != NULL, "malloc");
	for (i = 0; i < n; i++) {
		text[2 * i] = i ? ',' : '[';
		text[2 * i + 1] = (char)('0' + i % 10);
	}
	text[2 * n] = ']';
	ret = parse_exact(text, 2 * n + 1, &v, &err);
	free(text);
	ASSERT_OK(ret, "parse");
	ASSERT_EQ(v->array.count, n, "count");
	for (i = 0; i < n; i++)
		if (v->array.items[i].number != (double)(i % 10))
			break;
	ASSERT_EQ(i, n, "values");
	json_free(v);
}

static void test_objects(void)
{
	const char *text = "{\"name\": \"moat\", \"ports\": [443, 80],\n"
			   " \"nested\": {\"a\": {\"b\": false}}, \"\": 1}";
	const struct json_value *ports, *a, *b;
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "parse");
	ASSERT_EQ(v->type, JSON_OBJECT, "root");
	ASSERT_EQ(v->object.count, 4, "count");
	ASSERT_STREQ(v->object.members[0].key, "name", "order 0");
	ASSERT_STREQ(v->object.members[1].key, "ports", "order 1");
	ASSERT_STREQ(v->object.members[2].key, "nested", "order 2");
	ASSERT_EQ(v->object.members[3].key_len, 0, "empty key");
	ASSERT_STREQ(json_object_get(v, "name")->string.ptr, "moat", "name");
	ports = json_object_get(v, "ports");
	ASSERT_TRUE(ports && ports->type == JSON_ARRAY, "ports");
	ASSERT_TRUE(ports->array.items[1].number == 80.0, "ports[1]");
	a = json_object_get(json_object_get(v, "nested"), "a");
	b = json_object_get(a, "b");
	ASSERT_TRUE(b && b->type == JSON_FALSE, "nested.a.b");
	ASSERT_TRUE(json_object_get(v, "")->number == 1.0, "\"\" key");
	ASSERT_TRUE(json_object_get(v, "missing") == NULL, "missing");
	ASSERT_TRUE(json_object_get(v, "Name") == NULL, "case matters");
	ASSERT_TRUE(json_object_get(ports, "0") == NULL, "not an object");
	ASSERT_TRUE(json_object_get(NULL, "name") == NULL, "NULL object");
	ASSERT_TRUE(json_object_get(v, NULL) == NULL, "NULL key");
	json_free(v);
}

/* A C-string lookup must not match a key that only starts with it. */
static void test_object_get_embedded_nul(void)
{
	const char *text = "{\"a\\u0000b\": 1, \"a\\u0000c\": 2, \"a\": 3}";
	const struct json_value *got;
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "NUL keys are distinct");
	ASSERT_EQ(v->object.members[0].key_len, 3, "key_len");
	ASSERT_TRUE(!memcmp(v->object.members[0].key, "a\0b", 4), "key");
	got = json_object_get(v, "a");
	ASSERT_TRUE(got && got->number == 3.0, "get a");
	json_free(v);
}

static void test_type_names(void)
{
	static const char *const names[] = {
		[JSON_NULL] = "null",	  [JSON_FALSE] = "boolean",
		[JSON_TRUE] = "boolean",  [JSON_NUMBER] = "number",
		[JSON_STRING] = "string", [JSON_ARRAY] = "array",
		[JSON_OBJECT] = "object",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		ASSERT_STREQ(json_type_name((enum json_type)i), names[i],
			     names[i]);
}

static void test_value_lines(void)
{
	const char *text = "{\n  \"a\": 1,\r\n  \"b\": [\n    true\n  ],\n"
			   "  \"c\":\n\n \"x\"\n}";
	const struct json_value *b;
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "parse");
	ASSERT_EQ(v->line, 1, "root");
	ASSERT_EQ(json_object_get(v, "a")->line, 2, "a");
	b = json_object_get(v, "b");
	ASSERT_EQ(b->line, 3, "b");
	ASSERT_EQ(b->array.items[0].line, 4, "b[0]");
	ASSERT_EQ(json_object_get(v, "c")->line, 8, "c");
	json_free(v);
}

struct reject_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int err;
	unsigned int line;
	unsigned int column;
	const char *message;
};

static const struct reject_case reject_cases[] = {
	{ "empty", "", 0, -EINVAL, 1, 1, "unexpected end of input" },
	{ "only whitespace", "  \n ", 0, -EINVAL, 2, 2,
	  "unexpected end of input, expected a value" },
	{ "trailing garbage", "{} x", 0, -EINVAL, 1, 4,
	  "expected end of document, found 'x'" },
	{ "two values", "1 2", 0, -EINVAL, 1, 3, "expected end of document" },
	{ "trailing NUL", "{}\0", 3, -EINVAL, 1, 3, "found byte 0x00" },
	{ "trailing comma in array", "[1,]", 0, -EINVAL, 1, 4,
	  "expected a value, found ']'" },
	{ "trailing comma in object", "{\"a\":1,}", 0, -EINVAL, 1, 8,
	  "expected object key, found '}'" },
	{ "lone comma in array", "[,]", 0, -EINVAL, 1, 2, "expected a value" },
	{ "lone comma in object", "{,}", 0, -EINVAL, 1, 2,
	  "expected object key" },
	{ "missing colon", "{\"a\" 1}", 0, -EINVAL, 1, 6,
	  "expected ':' after object key" },
	{ "missing value", "{\"a\":}", 0, -EINVAL, 1, 6,
	  "expected a value, found '}'" },
	{ "missing comma in array", "[1 2]", 0, -EINVAL, 1, 4,
	  "expected ',' or ']' after array element" },
	{ "missing comma in object", "{\"a\":1 \"b\":2}", 0, -EINVAL, 1, 8,
	  "expected ',' or '}' after object member" },
	{ "mismatched close", "[1}", 0, -EINVAL, 1, 3, "',' or ']'" },
	{ "close without open", "]", 0, -EINVAL, 1, 1,
	  "expected a value, found ']'" },
	{ "unclosed array", "[1", 0, -EINVAL, 1, 3,
	  "unexpected end of input, expected ',' or ']'" },
	{ "unclosed object", "{\"a\":1", 0, -EINVAL, 1, 7,
	  "unexpected end of input, expected ',' or '}'" },
	{ "unquoted key", "{a:1}", 0, -EINVAL, 1, 2,
	  "expected object key, found 'a'" },
	{ "single quotes", "['a']", 0, -EINVAL, 1, 2,
	  "expected a value, found '''" },
	{ "unterminated string", "[\"abc", 0, -EINVAL, 1, 2,
	  "unterminated string" },
	{ "escaped closing quote", "\"abc\\\"", 0, -EINVAL, 1, 1,
	  "unterminated string" },
	{ "backslash at end", "\"abc\\", 0, -EINVAL, 1, 1,
	  "unterminated string" },
	{ "invalid escape", "\"a\\qb\"", 0, -EINVAL, 1, 3,
	  "invalid escape \\q" },
	{ "uppercase U escape", "\"\\U0041\"", 0, -EINVAL, 1, 2,
	  "invalid escape \\U" },
	{ "escaped control byte", "\"\\\x01\"", 0, -EINVAL, 1, 2,
	  "invalid escape: '\\' then byte 0x01" },
	{ "short \\u", "\"\\u12\"", 0, -EINVAL, 1, 2, "expected 4 hex digits" },
	{ "bad hex in \\u", "\"ab\\u12G4\"", 0, -EINVAL, 1, 4,
	  "expected 4 hex digits" },
	{ "lone high surrogate", "\"\\ud800\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate \\ud800" },
	{ "high surrogate then text", "\"\\uD83Dabcdef\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate \\ud83d" },
	{ "high then non-surrogate", "\"\\ud800\\u0041\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate" },
	{ "high then high", "\"\\ud800\\ud800\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate" },
	{ "high then bad \\u", "\"\\ud800\\uZZZZ\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate" },
	{ "lone low surrogate", "\"x\\udc00\"", 0, -EINVAL, 1, 3,
	  "unpaired surrogate \\udc00" },
	{ "reversed pair", "\"\\ude00\\ud83d\"", 0, -EINVAL, 1, 2,
	  "unpaired surrogate \\ude00" },
	{ "raw tab", "\"a\tb\"", 0, -EINVAL, 1, 3, "control character 0x09" },
	{ "raw newline", "[\"a\nb\"]", 0, -EINVAL, 1, 4,
	  "control character 0x0a" },
	{ "raw 0x1f", "\"\x1f\"", 0, -EINVAL, 1, 2, "control character 0x1f" },
	{ "raw NUL", "\"a\0b\"", 5, -EINVAL, 1, 3, "control character 0x00" },
	{ "invalid byte 0xff", "\"\xff\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8 in string" },
	{ "lone continuation", "\"ab\x80\"", 0, -EINVAL, 1, 4,
	  "invalid UTF-8" },
	{ "truncated 2-byte", "\"\xc3\"", 0, -EINVAL, 1, 2, "invalid UTF-8" },
	{ "truncated 3-byte", "\"\xe2\x82\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "overlong 2-byte", "\"\xc0\xaf\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "overlong 3-byte", "\"\xe0\x80\xaf\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "overlong 4-byte", "\"\xf0\x80\x80\xaf\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "UTF-8 surrogate", "\"\xed\xa0\x80\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "above U+10FFFF", "\"\xf4\x90\x80\x80\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "5-byte form", "\"\xf8\x88\x80\x80\x80\"", 0, -EINVAL, 1, 2,
	  "invalid UTF-8" },
	{ "column counts characters", "\"\xc3\xa9\xe2\x82\xac\xff\"", 0,
	  -EINVAL, 1, 4, "invalid UTF-8" },
	{ "raw byte outside string", "[1,\xc3\xa9]", 0, -EINVAL, 1, 4,
	  "expected a value, found byte 0xc3" },
	{ "leading zero", "01", 0, -EINVAL, 1, 1,
	  "leading zeros are not allowed" },
	{ "negative leading zero", "[-01]", 0, -EINVAL, 1, 2,
	  "leading zeros are not allowed" },
	{ "double zero", "{\"a\": 00}", 0, -EINVAL, 1, 7, "leading zeros" },
	{ "leading zero fraction", "01.5", 0, -EINVAL, 1, 1, "leading zeros" },
	{ "bare minus", "-", 0, -EINVAL, 1, 2, "expected digit after '-'" },
	{ "minus letter", "[-a]", 0, -EINVAL, 1, 3,
	  "expected digit after '-'" },
	{ "plus sign", "+1", 0, -EINVAL, 1, 1, "expected a value, found '+'" },
	{ "leading dot", ".5", 0, -EINVAL, 1, 1,
	  "expected a value, found '.'" },
	{ "trailing dot", "1.", 0, -EINVAL, 1, 3, "expected digit after '.'" },
	{ "dot before exponent", "1.e5", 0, -EINVAL, 1, 3,
	  "expected digit after '.'" },
	{ "empty exponent", "1e", 0, -EINVAL, 1, 3,
	  "expected digit in exponent" },
	{ "signed empty exponent", "[1E+]", 0, -EINVAL, 1, 5,
	  "expected digit in exponent" },
	{ "hex number", "0x10", 0, -EINVAL, 1, 2,
	  "expected end of document, found 'x'" },
	{ "overflow", "1e400", 0, -EINVAL, 1, 1, "number out of range" },
	{ "negative overflow", "[0, -2e308]", 0, -EINVAL, 1, 5,
	  "number out of range" },
	{ "NaN", "NaN", 0, -EINVAL, 1, 1, "invalid literal 'NaN'" },
	{ "nan in array", "[nan]", 0, -EINVAL, 1, 2, "invalid literal 'nan'" },
	{ "Infinity", "Infinity", 0, -EINVAL, 1, 1,
	  "invalid literal 'Infinity'" },
	{ "-Infinity", "-Infinity", 0, -EINVAL, 1, 2,
	  "expected digit after '-'" },
	{ "truncated literal", "tru", 0, -EINVAL, 1, 1,
	  "invalid literal 'tru'" },
	{ "longer literal", "nulls", 0, -EINVAL, 1, 1,
	  "invalid literal 'nulls'" },
	{ "capitalised literal", "True", 0, -EINVAL, 1, 1,
	  "invalid literal 'True'" },
	{ "long bad literal", "abcdefghijklmnopqrstuvwxyz", 0, -EINVAL, 1, 1,
	  "invalid literal 'abcdefghijklmnop...'" },
	{ "line comment first", "// c\n{}", 0, -EINVAL, 1, 1,
	  "comments are not allowed" },
	{ "block comment after", "{} /* c */", 0, -EINVAL, 1, 4,
	  "comments are not allowed" },
	{ "comment in array", "[1, /* two */ 2]", 0, -EINVAL, 1, 5,
	  "comments are not allowed" },
	{ "comment after member", "{\"a\":1 // c\n}", 0, -EINVAL, 1, 8,
	  "comments are not allowed" },
	{ "hash comment", "# c\n1", 0, -EINVAL, 1, 1,
	  "expected a value, found '#'" },
	{ "byte order mark", "\xef\xbb\xbf{}", 0, -EINVAL, 1, 1,
	  "byte order mark is not allowed" },
	{ "duplicate key", "{\"a\":1,\"a\":2}", 0, -EINVAL, 1, 8,
	  "duplicate key \"a\"" },
	{ "duplicate via escape", "{\"a\":1, \"\\u0061\":2}", 0, -EINVAL, 1, 9,
	  "duplicate key \"a\"" },
	{ "duplicate nested", "{\"a\":{\n \"x\":1,\n \"y\":2, \"x\":3}}", 0,
	  -EINVAL, 3, 9, "duplicate key \"x\"" },
	{ "duplicate empty key", "{\"\":1,\"\":2}", 0, -EINVAL, 1, 7,
	  "duplicate key \"\"" },
	{ "duplicate key with NUL", "{\"a\\u0000\":1,\"a\\u0000\":2}", 0,
	  -EINVAL, 1, 14, "duplicate key \"a?\"" },
	{ "error on later line", "{\n  \"a\": 1,\n  \"b\": tru\n}", 0, -EINVAL,
	  3, 8, "invalid literal 'tru'" },
	{ "CRLF lines", "[\r\n1,\r\n x]", 0, -EINVAL, 3, 2,
	  "invalid literal 'x'" },
	{ "tab is one column", "\t\t@", 0, -EINVAL, 1, 3,
	  "expected a value, found '@'" },
	{ "column after UTF-8", "[\"\xc3\xa9\", @]", 0, -EINVAL, 1, 7,
	  "found '@'" },
};

static void test_rejects(void)
{
	/* Failure must set *out to NULL, whatever it held. */
	static struct json_value sentinel;
	const struct reject_case *c;
	struct json_value *v;
	struct json_error err;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(reject_cases); i++) {
		c = &reject_cases[i];
		len = c->len ? c->len : strlen(c->text);
		v = &sentinel;
		ASSERT_EQ(parse_exact(c->text, len, &v, &err), c->err, c->name);
		ASSERT_TRUE(v == NULL, c->name);
		ASSERT_EQ(err.line, c->line, c->name);
		ASSERT_EQ(err.column, c->column, c->name);
		ASSERT_CONTAINS(err.message, c->message, c->name);
	}
}

static void test_error_optional(void)
{
	struct json_value *v;
	struct json_error err;

	ASSERT_EQ(parse_str("[1,]", &v, NULL), -EINVAL, "bad, no err");
	ASSERT_TRUE(v == NULL, "bad, no err: out");
	ASSERT_OK(parse_str("[1]", &v, NULL), "good, no err");
	json_free(v);

	memset(&err, 'x', sizeof(err));
	ASSERT_OK(parse_str("{}", &v, &err), "err cleared");
	ASSERT_EQ(err.line, 0, "err cleared: line");
	ASSERT_STREQ(err.message, "", "err cleared: message");
	json_free(v);
}

static void test_bad_arguments(void)
{
	struct json_value *v = NULL;
	struct json_error err;

	ASSERT_EQ(json_parse(NULL, 1, &v, &err), -EINVAL, "NULL text, len 1");
	ASSERT_EQ(json_parse("1", 1, NULL, &err), -EINVAL, "NULL out");
	ASSERT_EQ(json_parse(NULL, 0, &v, &err), -EINVAL, "NULL text, len 0");
	ASSERT_CONTAINS(err.message, "unexpected end of input", "empty");
	ASSERT_TRUE(v == NULL, "out");
	json_free(NULL);
}

/* Only @len bytes are read, whatever follows them. */
static void test_length_bounds_text(void)
{
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(json_parse("[1,2]xyz", 5, &v, &err), "array prefix");
	ASSERT_EQ(v->array.count, 2, "array prefix");
	json_free(v);
	ASSERT_OK(json_parse("123abc", 3, &v, &err), "number prefix");
	ASSERT_TRUE(v->number == 123.0, "number prefix");
	json_free(v);
	ASSERT_EQ(json_parse("\"ab\"", 3, &v, &err), -EINVAL, "cut string");
	ASSERT_CONTAINS(err.message, "unterminated string", "cut string");
	ASSERT_EQ(json_parse("true", 3, &v, &err), -EINVAL, "cut literal");
}

static void test_whitespace_everywhere(void)
{
	const char *text = " \t\r\n{ \"a\" :\t[ 1 ,\n2 ] , \"b\" : { } }\r\n ";
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "parse");
	ASSERT_EQ(v->object.count, 2, "count");
	ASSERT_EQ(json_object_get(v, "a")->array.count, 2, "a");
	json_free(v);
}

/* "[[[...]]]" or "{"a":{"a":...}}" nested @depth deep. */
static char *nested(unsigned int depth, bool objects)
{
	const char *open = objects ? "{\"a\":" : "[";
	size_t olen = strlen(open), i;
	char *text = malloc(depth * (olen + 1) + 2);

	if (!text)
		return NULL;
	for (i = 0; i < depth; i++)
		memcpy(text + i * olen, open, olen);
	if (objects)
		text[depth * olen] = '1';
	for (i = 0; i < depth; i++)
		text[depth * olen + objects + i] = objects ? '}' : ']';
	text[depth * olen + objects + depth] = '\0';
	return text;
}

static void test_depth_limit(void)
{
	static const struct {
		unsigned int depth;
		bool objects;
		int err;
		unsigned int column;
	} cases[] = {
		{ 1, false, 0, 0 },
		{ JSON_MAX_DEPTH, false, 0, 0 },
		{ JSON_MAX_DEPTH + 1, false, -E2BIG, JSON_MAX_DEPTH + 1 },
		{ 1000, false, -E2BIG, JSON_MAX_DEPTH + 1 },
		{ JSON_MAX_DEPTH, true, 0, 0 },
		{ JSON_MAX_DEPTH + 1, true, -E2BIG, JSON_MAX_DEPTH * 5 + 1 },
	};
	const struct json_value *inner;
	struct json_value *v;
	struct json_error err;
	char name[64];
	unsigned int d;
	size_t i;
	char *text;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof(name), "%s depth %u",
			 cases[i].objects ? "object" : "array", cases[i].depth);
		text = nested(cases[i].depth, cases[i].objects);
		ASSERT_TRUE(text != NULL, name);
		ret = parse_str(text, &v, &err);
		free(text);
		ASSERT_EQ(ret, cases[i].err, name);
		if (ret) {
			ASSERT_EQ(err.column, cases[i].column, name);
			ASSERT_CONTAINS(err.message,
					"nesting deeper than 64 levels", name);
			continue;
		}
		inner = v;
		for (d = 1; d < cases[i].depth; d++)
			inner = cases[i].objects ? json_object_get(inner, "a") :
						   &inner->array.items[0];
		ASSERT_EQ(inner->type,
			  cases[i].objects ? JSON_OBJECT : JSON_ARRAY, name);
		json_free(v);
	}
}

/* An object of @n keys "k0".."k<n-1>", then "k<dup>" again if dup < n. */
static char *many_keys(size_t n, size_t dup)
{
	size_t cap = (n + 1) * 32, len = 0, i;
	char *text = malloc(cap);

	if (!text)
		return NULL;
	text[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\"k%zu\":%zu",
					i ? "," : "", i, i);
	if (dup < n)
		len += (size_t)snprintf(text + len, cap - len, ",\"k%zu\":0",
					dup);
	text[len++] = '}';
	text[len] = '\0';
	return text;
}

/* Around and far past the size where duplicates are found by sorting. */
static void test_duplicate_keys_many(void)
{
	static const size_t sizes[] = {
		1, 2, 15, 16, 17, 31, 32, 33, 100, 5000
	};
	struct json_value *v;
	struct json_error err;
	size_t i, j, dups[3];
	char name[64], key[32], *text;
	int ret;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(name, sizeof(name), "%zu keys", sizes[i]);
		text = many_keys(sizes[i], SIZE_MAX);
		ASSERT_TRUE(text != NULL, name);
		ret = parse_str(text, &v, &err);
		free(text);
		ASSERT_OK(ret, name);
		ASSERT_EQ(v->object.count, sizes[i], name);
		snprintf(key, sizeof(key), "k%zu", sizes[i] - 1);
		ASSERT_TRUE(json_object_get(v, key)->number ==
				    (double)(sizes[i] - 1),
			    name);
		json_free(v);

		dups[0] = 0;
		dups[1] = sizes[i] / 2;
		dups[2] = sizes[i] - 1;
		for (j = 0; j < ARRAY_SIZE(dups); j++) {
			snprintf(name, sizeof(name), "%zu keys, k%zu twice",
				 sizes[i], dups[j]);
			text = many_keys(sizes[i], dups[j]);
			ASSERT_TRUE(text != NULL, name);
			ret = parse_str(text, &v, &err);
			free(text);
			ASSERT_EQ(ret, -EINVAL, name);
			snprintf(key, sizeof(key), "duplicate key \"k%zu\"",
				 dups[j]);
			ASSERT_STREQ(err.message, key, name);
		}
	}
}

/*
 * In a large object a duplicate is found once the object ends: the report
 * still names the first one in document order, at its own position.
 */
static void test_duplicate_key_late(void)
{
	char text[512];
	struct json_value *v;
	struct json_error err;
	size_t len = 0, i;

	text[len++] = '{';
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"\"k%zu\":%zu,", i, i);
	snprintf(text + len, sizeof(text) - len,
		 "\n \"x\":0, \"k5\":0, \"k2\":0, \"k5\":1, \"k9\":0\n}");
	ASSERT_EQ(parse_str(text, &v, &err), -EINVAL, "late duplicate");
	ASSERT_STREQ(err.message, "duplicate key \"k5\"", "first one");
	ASSERT_EQ(err.line, 2, "line");
	ASSERT_EQ(err.column, 9, "column");

	snprintf(text + len, sizeof(text) - len, "\"k5\":0, \"y\":[}");
	ASSERT_EQ(parse_str(text, &v, &err), -EINVAL, "then bad syntax");
	ASSERT_CONTAINS(err.message, "expected a value, found '}'",
			"syntax error first");
}

/* The same key in different objects is no duplicate. */
static void test_same_key_in_sibling_objects(void)
{
	const char *text = "[{\"a\":1},{\"a\":2,\"b\":{\"a\":3}}]";
	struct json_value *v;
	struct json_error err;

	ASSERT_OK(parse_str(text, &v, &err), "parse");
	ASSERT_EQ(v->array.count, 2, "count");
	json_free(v);
}

/* Long keys are cut on a character boundary, control bytes masked. */
static void test_duplicate_key_message(void)
{
	char text[600], key[256], *p;
	struct json_value *v;
	struct json_error err;
	size_t i;

	p = key;
	for (i = 0; i < 60; i++) {
		memcpy(p, "\xc3\xa9", 2);
		p += 2;
	}
	*p = '\0';
	snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", key, key);
	ASSERT_EQ(parse_str(text, &v, &err), -EINVAL, "long key");
	/* 48 bytes hold 24 two-byte characters. */
	ASSERT_EQ(strlen(err.message), strlen("duplicate key \"...\"") + 48,
		  "long key: length");
	ASSERT_CONTAINS(err.message, "\xc3\xa9...\"", "long key: cut");

	snprintf(text, sizeof(text), "{\"a%s\":1,\"a%s\":2}", key, key);
	ASSERT_EQ(parse_str(text, &v, &err), -EINVAL, "odd long key");
	ASSERT_EQ(strlen(err.message), strlen("duplicate key \"...\"") + 47,
		  "odd long key: length");

	ASSERT_EQ(parse_str("{\"\\n\\t\":1,\"\\n\\t\":2}", &v, &err), -EINVAL,
		  "control key");
	ASSERT_STREQ(err.message, "duplicate key \"??\"", "control key");
}

static void test_size_limit(void)
{
	size_t len = JSON_MAX_SIZE + 1;
	struct json_value *v = NULL, *at_limit = NULL;
	struct json_error err, at_limit_err;
	char *text = malloc(len);
	int over, at;

	ASSERT_TRUE(text != NULL, "malloc");
	memset(text, ' ', len);
	text[0] = '0';
	over = json_parse(text, len, &v, &err);
	at = json_parse(text, len - 1, &at_limit, &at_limit_err);
	free(text);
	json_free(at_limit);
	ASSERT_OK(at, "at the limit");
	ASSERT_EQ(over, -E2BIG, "over the limit");
	ASSERT_TRUE(v == NULL, "over the limit: out");
	ASSERT_EQ(err.line, 1, "line");
	ASSERT_EQ(err.column, 1, "column");
	ASSERT_CONTAINS(err.message, "document larger than", "message");
}

/* A line buffer, for comparing writer output in one assertion. */
static const char *line_of(struct json_writer *w)
{
	return w->buf ? w->buf : "";
}

static void test_writer_values(void)
{
	const char *want =
		"{\"s\":\"x\",\"i\":-5,\"u\":18446744073709551615,"
		"\"t\":true,\"f\":false,\"n\":null,\"sn\":null,\"sl\":\"ab\","
		"\"min\":-9223372036854775808,\"max\":9223372036854775807}\n";
	struct json_writer w;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_string(&w, "s", "x");
	json_w_int(&w, "i", -5);
	json_w_uint(&w, "u", ULLONG_MAX);
	json_w_bool(&w, "t", true);
	json_w_bool(&w, "f", false);
	json_w_null(&w, "n");
	json_w_string(&w, "sn", NULL);
	json_w_string_len(&w, "sl", "abc", 2);
	json_w_int(&w, "min", LLONG_MIN);
	json_w_int(&w, "max", LLONG_MAX);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "finish");
	ASSERT_STREQ(line_of(&w), want, "line");
	ASSERT_EQ(w.len, strlen(want), "len");
	json_writer_free(&w);
	ASSERT_TRUE(w.buf == NULL && w.len == 0, "freed");
}

static void test_writer_nesting(void)
{
	const char *want = "{\"a\":[1,\"x\",{\"k\":null},[],[true,[]]],"
			   "\"o\":{\"p\":{},\"q\":[]},\"z\":0}\n";
	struct json_writer w;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_array_begin(&w, "a");
	json_w_int(&w, NULL, 1);
	json_w_string(&w, NULL, "x");
	json_w_object_begin(&w);
	json_w_null(&w, "k");
	json_w_object_end(&w);
	json_w_array_begin(&w, NULL);
	json_w_array_end(&w);
	json_w_array_begin(&w, NULL);
	json_w_bool(&w, NULL, true);
	json_w_array_begin(&w, NULL);
	json_w_array_end(&w);
	json_w_array_end(&w);
	json_w_array_end(&w);
	json_w_key_object_begin(&w, "o");
	json_w_key_object_begin(&w, "p");
	json_w_object_end(&w);
	json_w_array_begin(&w, "q");
	json_w_array_end(&w);
	json_w_object_end(&w);
	json_w_uint(&w, "z", 0);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "finish");
	ASSERT_STREQ(line_of(&w), want, "line");
	json_writer_free(&w);
}

struct escape_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *out; /* the JSON string, quotes included */
};

#define FFFD "\xef\xbf\xbd"

static const struct escape_case escape_cases[] = {
	{ "plain", "moat.example.com", 0, "\"moat.example.com\"" },
	{ "empty", "", 0, "\"\"" },
	{ "quote", "a\"b", 0, "\"a\\\"b\"" },
	{ "backslash", "a\\b", 0, "\"a\\\\b\"" },
	{ "slash stays", "a/b", 0, "\"a/b\"" },
	{ "short escapes", "\n\t\r\b\f", 0, "\"\\n\\t\\r\\b\\f\"" },
	{ "other controls", "\x01\x1f\x0b", 0, "\"\\u0001\\u001f\\u000b\"" },
	{ "DEL", "a\x7f", 0, "\"a\\u007f\"" },
	{ "NUL", "a\0b", 3, "\"a\\u0000b\"" },
	{ "valid UTF-8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0,
	  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	{ "edges of UTF-8", "\xc2\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf", 0,
	  "\"\xc2\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"" },
	{ "byte 0xff", "a\xff", 0, "\"a" FFFD "\"" },
	{ "lone continuation", "\x80", 0, "\"" FFFD "\"" },
	{ "truncated at end", "ab\xc3", 0, "\"ab" FFFD "\"" },
	{ "truncated 3-byte", "\xe2\x82", 0, "\"" FFFD "\"" },
	{ "truncated 3-byte mid", "\xe2\x82x", 0, "\"" FFFD "x\"" },
	{ "truncated 4-byte", "\xf0\x9f\x98!", 0, "\"" FFFD "!\"" },
	{ "overlong", "\xc0\xaf", 0, "\"" FFFD FFFD "\"" },
	{ "surrogate", "\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\"" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 0,
	  "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "mixed", "ok\xfe\xffok\n", 0, "\"ok" FFFD FFFD "ok\\n\"" },
	{ "invalid then quote", "\xc3\"", 0, "\"" FFFD "\\\"\"" },
};

static void test_writer_escapes(void)
{
	const struct escape_case *c;
	struct json_writer w;
	char want[128];
	size_t i;

	json_writer_init(&w);
	for (i = 0; i < ARRAY_SIZE(escape_cases); i++) {
		c = &escape_cases[i];
		json_writer_reset(&w);
		json_w_object_begin(&w);
		json_w_string_len(&w, "k", c->in,
				  c->len ? c->len : strlen(c->in));
		json_w_object_end(&w);
		ASSERT_OK(json_writer_finish(&w), c->name);
		snprintf(want, sizeof(want), "{\"k\":%s}\n", c->out);
		ASSERT_STREQ(line_of(&w), want, c->name);
	}
	json_writer_free(&w);
}

static void test_writer_key_escapes(void)
{
	const char *want = "{\"a\\\"b\\n" FFFD "\":1}\n";
	struct json_writer w;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_int(&w, "a\"b\n\xff", 1);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "finish");
	ASSERT_STREQ(line_of(&w), want, "line");
	json_writer_free(&w);
}

/* Write {"k": s} and read it back; 0 if s came back as @want. */
static int roundtrip(struct json_writer *w, const char *s, size_t len,
		     const char *want, size_t want_len)
{
	const struct json_value *k;
	struct json_value *v;
	struct json_error err;
	int ret;

	json_writer_reset(w);
	json_w_object_begin(w);
	json_w_string_len(w, "k", s, len);
	json_w_object_end(w);
	ret = json_writer_finish(w);
	if (ret)
		return ret;
	if (memchr(w->buf, '\n', w->len) != w->buf + w->len - 1)
		return -EDOM;
	ret = parse_exact(w->buf, w->len, &v, &err);
	if (ret)
		return ret;
	k = json_object_get(v, "k");
	if (!k || k->type != JSON_STRING || k->string.len != want_len ||
	    memcmp(k->string.ptr, want, want_len))
		ret = -ERANGE;
	json_free(v);
	return ret;
}

/* Every valid string comes back unchanged, every control character too. */
static void test_writer_roundtrip_valid(void)
{
	struct json_writer w;
	char all_ascii[128];
	size_t i;

	json_writer_init(&w);
	for (i = 0; i < ARRAY_SIZE(escape_cases); i++) {
		const struct escape_case *c = &escape_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);

		/* Those with a U+FFFD in their output are not valid. */
		if (strstr(c->out, FFFD))
			continue;
		ASSERT_OK(roundtrip(&w, c->in, len, c->in, len), c->name);
	}
	for (i = 0; i < sizeof(all_ascii); i++)
		all_ascii[i] = (char)i;
	ASSERT_OK(roundtrip(&w, all_ascii, sizeof(all_ascii), all_ascii,
			    sizeof(all_ascii)),
		  "all ASCII");
	json_writer_free(&w);
}

/* Invalid input reads back as its replacement, and never breaks the line. */
static void test_writer_roundtrip_invalid(void)
{
	struct json_writer w;
	struct json_value *v;
	unsigned int seed = 12345;
	char bytes[64];
	size_t i, j;

	json_writer_init(&w);
	ASSERT_OK(roundtrip(&w, "a\xff\xc3", 3, "a" FFFD FFFD, 7), "replaced");
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < sizeof(bytes); j++) {
			seed = seed * 1103515245u + 12345u;
			bytes[j] = (char)(seed >> 16);
		}
		json_writer_reset(&w);
		json_w_object_begin(&w);
		json_w_string_len(&w, "k", bytes, sizeof(bytes));
		json_w_object_end(&w);
		ASSERT_OK(json_writer_finish(&w), "random: finish");
		ASSERT_OK(parse_exact(w.buf, w.len, &v, NULL), "random: parse");
		json_free(v);
	}
	json_writer_free(&w);
}

static void test_writer_reset(void)
{
	struct json_writer w;
	char *buf;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_string(&w, "first", "a longer line than the second");
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "first");
	buf = w.buf;
	json_writer_reset(&w);
	ASSERT_EQ(w.len, 0, "len after reset");
	ASSERT_STREQ(w.buf, "", "empty after reset");
	json_w_object_begin(&w);
	json_w_int(&w, "n", 2);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "second");
	ASSERT_STREQ(line_of(&w), "{\"n\":2}\n", "second line");
	ASSERT_TRUE(w.buf == buf, "memory kept");

	/* An error does not outlive a reset. */
	json_w_object_end(&w);
	ASSERT_EQ(json_writer_finish(&w), -EINVAL, "error");
	json_writer_reset(&w);
	json_w_object_begin(&w);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "after error");
	ASSERT_STREQ(line_of(&w), "{}\n", "after error");
	json_writer_free(&w);
}

/* Once an error is recorded nothing more is written, and finish says so. */
static void test_writer_sticky_error(void)
{
	struct json_writer w;
	size_t len;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_int(&w, "a", 1);
	len = w.len;
	w.err = ENOMEM;
	json_w_int(&w, "b", 2);
	json_w_string(&w, "c", "x");
	json_w_object_end(&w);
	ASSERT_EQ(w.len, len, "nothing written");
	ASSERT_EQ(json_writer_finish(&w), -ENOMEM, "finish");
	ASSERT_EQ(json_writer_finish(&w), -ENOMEM, "still");
	json_writer_free(&w);
}

static void misuse_unclosed(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_array_begin(w, "a");
	json_w_array_end(w);
}

static void misuse_extra_end(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_object_end(w);
	json_w_object_end(w);
}

static void misuse_value_at_top(struct json_writer *w)
{
	json_w_int(w, "a", 1);
}

static void misuse_key_in_array(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_array_begin(w, "a");
	json_w_int(w, "b", 1);
	json_w_array_end(w);
	json_w_object_end(w);
}

static void misuse_no_key_in_object(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_string(w, NULL, "x");
	json_w_object_end(w);
}

static void misuse_keyless_object_in_object(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_object_begin(w);
	json_w_object_end(w);
	json_w_object_end(w);
}

static void misuse_wrong_end(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_array_begin(w, "a");
	json_w_object_end(w);
	json_w_object_end(w);
}

static void misuse_two_objects(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_object_end(w);
	json_w_object_begin(w);
	json_w_object_end(w);
}

static void misuse_nothing(struct json_writer *w)
{
}

static void misuse_top_array(struct json_writer *w)
{
	json_w_array_begin(w, NULL);
	json_w_array_end(w);
}

static void misuse_top_key_object(struct json_writer *w)
{
	json_w_key_object_begin(w, "a");
	json_w_object_end(w);
}

static void misuse_finish_twice(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_object_end(w);
	json_writer_finish(w);
}

static void misuse_write_after_finish(struct json_writer *w)
{
	json_w_object_begin(w);
	json_w_object_end(w);
	json_writer_finish(w);
	json_w_object_begin(w);
	json_w_object_end(w);
}

/* Calls that would make the line invalid JSON fail instead. */
static void test_writer_misuse(void)
{
	static const struct {
		const char *name;
		void (*fn)(struct json_writer *w);
	} cases[] = {
		{ "unclosed", misuse_unclosed },
		{ "extra end", misuse_extra_end },
		{ "value at top level", misuse_value_at_top },
		{ "key in array", misuse_key_in_array },
		{ "no key in object", misuse_no_key_in_object },
		{ "keyless object in object", misuse_keyless_object_in_object },
		{ "wrong end", misuse_wrong_end },
		{ "two objects", misuse_two_objects },
		{ "nothing", misuse_nothing },
		{ "top-level array", misuse_top_array },
		{ "top-level keyed object", misuse_top_key_object },
		{ "finish twice", misuse_finish_twice },
		{ "write after finish", misuse_write_after_finish },
	};
	struct json_writer w;
	size_t i;

	json_writer_init(&w);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_writer_reset(&w);
		cases[i].fn(&w);
		ASSERT_EQ(json_writer_finish(&w), -EINVAL, cases[i].name);
	}
	json_writer_free(&w);
}

/* The writer nests exactly as deep as the reader reads. */
static void test_writer_depth(void)
{
	struct json_writer w;
	struct json_value *v;
	struct json_error err;
	unsigned int i;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_array_begin(&w, "a");
	for (i = 2; i < JSON_MAX_DEPTH; i++)
		json_w_array_begin(&w, NULL);
	for (i = 1; i < JSON_MAX_DEPTH; i++)
		json_w_array_end(&w);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "at the limit");
	ASSERT_OK(parse_exact(w.buf, w.len, &v, &err), "reads back");
	json_free(v);

	json_writer_reset(&w);
	json_w_object_begin(&w);
	json_w_array_begin(&w, "a");
	for (i = 2; i <= JSON_MAX_DEPTH; i++)
		json_w_array_begin(&w, NULL);
	for (i = 1; i <= JSON_MAX_DEPTH; i++)
		json_w_array_end(&w);
	json_w_object_end(&w);
	ASSERT_EQ(json_writer_finish(&w), -E2BIG, "over the limit");
	json_writer_free(&w);
}

/* Many members, so the buffer grows many times; all of them read back. */
static void test_writer_growth(void)
{
	const struct json_value *k;
	struct json_writer w;
	struct json_value *v;
	struct json_error err;
	char key[32];
	int i, n = 20000;

	json_writer_init(&w);
	json_w_object_begin(&w);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		json_w_int(&w, key, i);
	}
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "finish");
	ASSERT_EQ(strlen(w.buf), w.len, "NUL-terminated");
	ASSERT_TRUE(w.cap > w.len, "capacity");
	ASSERT_OK(parse_exact(w.buf, w.len, &v, &err), "parse");
	ASSERT_EQ(v->object.count, n, "count");
	k = json_object_get(v, "key19999");
	ASSERT_TRUE(k && k->number == 19999.0, "last");
	json_free(v);
	json_writer_free(&w);
}

/* An audit event, written and read back, as `moat summary` will. */
static void test_writer_event_roundtrip(void)
{
	const struct json_value *answers, *cmd;
	struct json_writer w;
	struct json_value *v;
	struct json_error err;

	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_string(&w, "ts", "2024-05-01T12:00:00.123456Z");
	json_w_string(&w, "event", "dns");
	json_w_string(&w, "qname", "api.github.com");
	json_w_array_begin(&w, "answers");
	json_w_string(&w, NULL, "192.0.2.1");
	json_w_string(&w, NULL, "2001:db8::1");
	json_w_array_end(&w);
	json_w_null(&w, "rule");
	json_w_uint(&w, "pid", 4242);
	json_w_string_len(&w, "cmdline", "curl\0-s\0http://x\n", 18);
	json_w_object_end(&w);
	ASSERT_OK(json_writer_finish(&w), "finish");
	ASSERT_OK(parse_exact(w.buf, w.len, &v, &err), "parse");
	ASSERT_STREQ(json_object_get(v, "event")->string.ptr, "dns", "event");
	answers = json_object_get(v, "answers");
	ASSERT_TRUE(answers && answers->array.count == 2, "answers");
	ASSERT_STREQ(answers->array.items[1].string.ptr, "2001:db8::1",
		     "answers[1]");
	ASSERT_EQ(json_object_get(v, "rule")->type, JSON_NULL, "rule");
	ASSERT_TRUE(json_object_get(v, "pid")->number == 4242.0, "pid");
	cmd = json_object_get(v, "cmdline");
	ASSERT_EQ(cmd->string.len, 18, "cmdline len");
	ASSERT_TRUE(!memcmp(cmd->string.ptr, "curl\0-s\0http://x\n", 18),
		    "cmdline");
	json_free(v);
	json_writer_free(&w);
}

static const struct test_case cases[] = {
	TEST(test_literals),
	TEST(test_numbers),
	TEST(test_negative_zero),
	TEST(test_long_number),
	TEST(test_strings),
	TEST(test_arrays),
	TEST(test_big_array),
	TEST(test_objects),
	TEST(test_object_get_embedded_nul),
	TEST(test_type_names),
	TEST(test_value_lines),
	TEST(test_rejects),
	TEST(test_error_optional),
	TEST(test_bad_arguments),
	TEST(test_length_bounds_text),
	TEST(test_whitespace_everywhere),
	TEST(test_depth_limit),
	TEST(test_duplicate_keys_many),
	TEST(test_duplicate_key_late),
	TEST(test_same_key_in_sibling_objects),
	TEST(test_duplicate_key_message),
	TEST(test_size_limit),
	TEST(test_writer_values),
	TEST(test_writer_nesting),
	TEST(test_writer_escapes),
	TEST(test_writer_key_escapes),
	TEST(test_writer_roundtrip_valid),
	TEST(test_writer_roundtrip_invalid),
	TEST(test_writer_reset),
	TEST(test_writer_sticky_error),
	TEST(test_writer_misuse),
	TEST(test_writer_depth),
	TEST(test_writer_growth),
	TEST(test_writer_event_roundtrip),
};

TEST_MAIN("json", cases)
