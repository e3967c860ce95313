// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* json.c - strict JSON reader into a tree and one-line JSON object writer */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * Duplicate keys among an object's first members are looked for as each
 * key arrives. Past this many, the keys are sorted once the object ends:
 * O(n log n) whatever the keys, where a hash table with a public hash
 * function can be flooded with colliding keys.
 */
#define KEY_SCAN_MAX 16
/* How much of a key a "duplicate key" message quotes. */
#define KEY_QUOTE_MAX 48

struct parser {
	const char *pos;
	const char *end;
	const char *line_start;
	unsigned int line;
	struct json_error *err;
	/* strtod() follows LC_NUMERIC, JSON always uses '.' */
	locale_t c_locale;
};

/* Where a key starts, to report it as a duplicate after the object ends. */
struct key_pos {
	const char *at;
	const char *line_start;
	unsigned int line;
};

/* An object under construction. */
struct object_build {
	struct json_member *members;
	size_t count;
	size_t cap;
	/* positions of the keys of members[KEY_SCAN_MAX] onwards */
	struct key_pos *late;
	size_t late_cap;
};

static int parse_value(struct parser *p, struct json_value *v,
		       unsigned int depth);

/*
 * The length of the valid UTF-8 sequence at @s (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or, when it is
 * not valid, minus the length of its longest valid prefix (at least 1): the
 * "maximal subpart" one U+FFFD replaces.
 */
static int utf8_sequence(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return -1;

	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;

	for (i = 1; i < need; i++) {
		if ((size_t)i >= avail || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

static size_t utf8_encode(unsigned int cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool is_digit(const char *s, const char *end)
{
	return s < end && *s >= '0' && *s <= '9';
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Editors count columns in characters, so count UTF-8 lead bytes. */
static unsigned int column_of(const struct parser *p, const char *at)
{
	unsigned int column = 1;
	const char *s;

	for (s = p->line_start; s < at; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			column++;
	return column;
}

/*
 * Record an error at @at, which is always on the current line: newlines
 * only appear in whitespace, and whitespace is never inside a token.
 */
static __attribute__((format(printf, 4, 5))) int
fail_at(struct parser *p, const char *at, int errnum, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	p->err->column = column_of(p, at);
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return -errnum;
}

static int fail_nomem(struct parser *p)
{
	return fail_at(p, p->pos, ENOMEM, "out of memory");
}

/* Name what was found where @what was expected. */
static int fail_expected(struct parser *p, const char *what)
{
	unsigned char c;

	if (p->pos >= p->end)
		return fail_at(p, p->pos, EINVAL,
			       "unexpected end of input, expected %s", what);
	c = (unsigned char)*p->pos;
	if (c == '/')
		return fail_at(p, p->pos, EINVAL, "comments are not allowed");
	if (c > 0x20 && c < 0x7f)
		return fail_at(p, p->pos, EINVAL, "expected %s, found '%c'",
			       what, (int)c);
	return fail_at(p, p->pos, EINVAL, "expected %s, found byte 0x%02x",
		       what, (unsigned int)c);
}

static void skip_ws(struct parser *p)
{
	for (; p->pos < p->end; p->pos++) {
		switch (*p->pos) {
		case '\n':
			p->line++;
			p->line_start = p->pos + 1;
			break;
		case ' ':
		case '\t':
		case '\r':
			break;
		default:
			return;
		}
	}
}

/* Skip whitespace, then @c if it comes next. */
static bool consume(struct parser *p, char c)
{
	skip_ws(p);
	if (p->pos < p->end && *p->pos == c) {
		p->pos++;
		return true;
	}
	return false;
}

static int parse_literal(struct parser *p, struct json_value *v)
{
	static const struct {
		const char *word;
		enum json_type type;
	} literals[] = {
		{ "null", JSON_NULL },
		{ "false", JSON_FALSE },
		{ "true", JSON_TRUE },
	};
	const char *s = p->pos;
	size_t i, n;

	/* Take the whole word, so "nulls" is one bad literal, not two. */
	while (s < p->end && (is_letter(*s) || is_digit(s, p->end)))
		s++;
	n = (size_t)(s - p->pos);
	for (i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		if (strlen(literals[i].word) == n &&
		    !memcmp(literals[i].word, p->pos, n)) {
			v->type = literals[i].type;
			p->pos = s;
			return 0;
		}
	}
	return fail_at(p, p->pos, EINVAL, "invalid literal '%.*s%s'",
		       n > 16 ? 16 : (int)n, p->pos, n > 16 ? "..." : "");
}

static const char *skip_digits(const char *s, const char *end)
{
	while (is_digit(s, end))
		s++;
	return s;
}

/* Check the RFC 8259 number grammar; *@endp gets the end of the number. */
static int scan_number(struct parser *p, const char **endp)
{
	const char *s = p->pos, *end = p->end;

	if (*s == '-')
		s++;
	if (!is_digit(s, end))
		return fail_at(p, s, EINVAL, "expected digit after '-'");
	if (*s == '0') {
		s++;
		if (is_digit(s, end))
			return fail_at(p, p->pos, EINVAL,
				       "leading zeros are not allowed");
	} else {
		s = skip_digits(s, end);
	}
	if (s < end && *s == '.') {
		s++;
		if (!is_digit(s, end))
			return fail_at(p, s, EINVAL,
				       "expected digit after '.'");
		s = skip_digits(s, end);
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (!is_digit(s, end))
			return fail_at(p, s, EINVAL,
				       "expected digit in exponent");
		s = skip_digits(s, end);
	}
	*endp = s;
	return 0;
}

/* strtod() needs a NUL-terminated copy: the text need not have one. */
static int convert_number(struct parser *p, const char *end, double *out)
{
	size_t n = (size_t)(end - p->pos);
	char small[64], *buf = small;
	int ret = 0;

	if (!p->c_locale) {
		p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (!p->c_locale)
			return fail_nomem(p);
	}
	if (n >= sizeof(small)) {
		buf = malloc(n + 1);
		if (!buf)
			return fail_nomem(p);
	}
	memcpy(buf, p->pos, n);
	buf[n] = '\0';
	*out = strtod_l(buf, NULL, p->c_locale);
	/* Underflow to zero is harmless; infinity is not a JSON value. */
	if (isinf(*out))
		ret = fail_at(p, p->pos, EINVAL, "number out of range");
	if (buf != small)
		free(buf);
	return ret;
}

static int parse_number(struct parser *p, struct json_value *v)
{
	const char *end = p->pos;
	int ret;

	ret = scan_number(p, &end);
	if (ret)
		return ret;
	ret = convert_number(p, end, &v->number);
	if (ret)
		return ret;
	v->type = JSON_NUMBER;
	p->pos = end;
	return 0;
}

/* The closing quote of the string that opens at @s, or NULL. */
static const char *find_string_end(const char *s, const char *end)
{
	for (s++; s < end; s++) {
		if (*s == '"')
			return s;
		if (*s == '\\' && ++s == end)
			break;
	}
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read "\uXXXX" at @s; -1 if it is not there. */
static int read_u_escape(const char *s, const char *close, unsigned int *cp)
{
	int i, d;

	if (close - s < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	*cp = 0;
	for (i = 2; i < 6; i++) {
		d = hex_digit(s[i]);
		if (d < 0)
			return -1;
		*cp = *cp << 4 | (unsigned int)d;
	}
	return 0;
}

static bool is_high_surrogate(unsigned int cp)
{
	return cp >= 0xd800 && cp <= 0xdbff;
}

static bool is_low_surrogate(unsigned int cp)
{
	return cp >= 0xdc00 && cp <= 0xdfff;
}

/* Decode \uXXXX, or a \uXXXX\uXXXX surrogate pair, at *@sp. */
static int decode_u_escape(struct parser *p, const char **sp, const char *close,
			   char *buf, size_t *n)
{
	const char *s = *sp;
	unsigned int cp, lo;

	if (read_u_escape(s, close, &cp))
		return fail_at(p, s, EINVAL,
			       "invalid \\u escape: expected 4 hex digits");
	s += 6;
	if (is_high_surrogate(cp)) {
		if (read_u_escape(s, close, &lo) || !is_low_surrogate(lo))
			return fail_at(p, *sp, EINVAL,
				       "unpaired surrogate \\u%04x", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s += 6;
	} else if (is_low_surrogate(cp)) {
		return fail_at(p, *sp, EINVAL, "unpaired surrogate \\u%04x",
			       cp);
	}
	*n += utf8_encode(cp, buf + *n);
	*sp = s;
	return 0;
}

static int escaped_char(char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return c;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/* Decode the escape at *@sp; find_string_end() saw a byte after the '\'. */
static int decode_escape(struct parser *p, const char **sp, const char *close,
			 char *buf, size_t *n)
{
	unsigned char c = (unsigned char)(*sp)[1];
	int decoded;

	if (c == 'u')
		return decode_u_escape(p, sp, close, buf, n);
	decoded = escaped_char((char)c);
	if (decoded >= 0) {
		buf[(*n)++] = (char)decoded;
		*sp += 2;
		return 0;
	}
	if (c > 0x20 && c < 0x7f)
		return fail_at(p, *sp, EINVAL, "invalid escape \\%c", (int)c);
	return fail_at(p, *sp, EINVAL, "invalid escape: '\\' then byte 0x%02x",
		       (unsigned int)c);
}

/* Decode one character of a string, at *@sp, into @buf. */
static int decode_char(struct parser *p, const char **sp, const char *close,
		       char *buf, size_t *n)
{
	const unsigned char *s = (const unsigned char *)*sp;
	int len;

	if (*s == '\\')
		return decode_escape(p, sp, close, buf, n);
	if (*s < 0x20)
		return fail_at(p, *sp, EINVAL,
			       "control character 0x%02x in string",
			       (unsigned int)*s);
	len = utf8_sequence(s, (size_t)(close - *sp));
	if (len < 0)
		return fail_at(p, *sp, EINVAL, "invalid UTF-8 in string");
	memcpy(buf + *n, s, (size_t)len);
	*n += (size_t)len;
	*sp += len;
	return 0;
}

/*
 * Decode the string at p->pos. Decoding never lengthens it (\uXXXX is six
 * bytes for at most three, a surrogate pair twelve for four), so the raw
 * length bounds the buffer.
 */
static int parse_string(struct parser *p, char **out, size_t *out_len)
{
	const char *close = find_string_end(p->pos, p->end);
	const char *s = p->pos + 1;
	size_t n = 0;
	char *buf;
	int ret;

	if (!close)
		return fail_at(p, p->pos, EINVAL, "unterminated string");
	buf = malloc((size_t)(close - p->pos));
	if (!buf)
		return fail_nomem(p);
	while (s < close) {
		ret = decode_char(p, &s, close, buf, &n);
		if (ret) {
			free(buf);
			return ret;
		}
	}
	buf[n] = '\0';
	p->pos = close + 1;
	*out = buf;
	*out_len = n;
	return 0;
}

static void value_release(struct json_value *v);

static void free_items(struct json_value *items, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		value_release(&items[i]);
	free(items);
}

static void free_members(struct json_member *members, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(members[i].key);
		value_release(&members[i].value);
	}
	free(members);
}

/* Recursion is bounded: the parser builds no tree deeper than the limit. */
static void value_release(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		free(v->string.ptr);
		break;
	case JSON_ARRAY:
		free_items(v->array.items, v->array.count);
		break;
	case JSON_OBJECT:
		free_members(v->object.members, v->object.count);
		break;
	default:
		break;
	}
}

/* Room for one more element; NULL (with @ptr intact) when out of memory. */
static void *grow(void *ptr, size_t *cap, size_t count, size_t size)
{
	size_t new_cap;

	if (count < *cap)
		return ptr;
	new_cap = *cap ? *cap * 2 : 4;
	if (new_cap > SIZE_MAX / size)
		return NULL;
	ptr = realloc(ptr, new_cap * size);
	if (ptr)
		*cap = new_cap;
	return ptr;
}

/* @depth counts the containers around the one that opens at p->pos. */
static int check_depth(struct parser *p, unsigned int depth)
{
	if (depth >= JSON_MAX_DEPTH)
		return fail_at(p, p->pos, E2BIG,
			       "nesting deeper than %d levels", JSON_MAX_DEPTH);
	return 0;
}

static int parse_array(struct parser *p, struct json_value *v,
		       unsigned int depth)
{
	struct json_value *items = NULL, *grown;
	size_t count = 0, cap = 0;
	int ret;

	ret = check_depth(p, depth);
	if (ret)
		return ret;
	p->pos++;
	if (consume(p, ']'))
		goto done;
	do {
		grown = grow(items, &cap, count, sizeof(*items));
		if (!grown) {
			ret = fail_nomem(p);
			goto err;
		}
		items = grown;
		ret = parse_value(p, &items[count], depth + 1);
		if (ret)
			goto err;
		count++;
	} while (consume(p, ','));
	if (!consume(p, ']')) {
		ret = fail_expected(p, "',' or ']' after array element");
		goto err;
	}
done:
	v->type = JSON_ARRAY;
	v->array.items = items;
	v->array.count = count;
	return 0;
err:
	free_items(items, count);
	return ret;
}

static bool same_key(const struct json_member *a, const struct json_member *b)
{
	return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

/* Quote a key in a message: cut long ones on a character boundary. */
static void key_for_message(const char *key, size_t len, char *out)
{
	size_t n = len, i;

	if (n > KEY_QUOTE_MAX) {
		n = KEY_QUOTE_MAX;
		while (n && ((unsigned char)key[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)key[i] < 0x20 ? '?' : key[i];
	out[n] = '\0';
	if (n < len)
		memcpy(out + n, "...", 4);
}

static int fail_duplicate(struct parser *p, const struct json_member *m,
			  const char *key_at)
{
	char quoted[KEY_QUOTE_MAX + 4];

	key_for_message(m->key, m->key_len, quoted);
	return fail_at(p, key_at, EINVAL, "duplicate key \"%s\"", quoted);
}

/* Check the key of members[count], the member being added, as it comes. */
static int check_key_now(struct parser *p, const struct object_build *ob,
			 const char *key_at)
{
	const struct json_member *m = &ob->members[ob->count];
	size_t i;

	for (i = 0; i < ob->count; i++)
		if (same_key(&ob->members[i], m))
			return fail_duplicate(p, m, key_at);
	return 0;
}

/* Note where the key of members[count] starts, to check it later. */
static int remember_key(struct parser *p, struct object_build *ob,
			const char *key_at)
{
	size_t n = ob->count - KEY_SCAN_MAX;
	struct key_pos *grown;

	grown = grow(ob->late, &ob->late_cap, n, sizeof(*ob->late));
	if (!grown)
		return fail_nomem(p);
	ob->late = grown;
	ob->late[n].at = key_at;
	ob->late[n].line_start = p->line_start;
	ob->late[n].line = p->line;
	return 0;
}

static int check_key(struct parser *p, struct object_build *ob,
		     const char *key_at)
{
	if (ob->count < KEY_SCAN_MAX)
		return check_key_now(p, ob, key_at);
	return remember_key(p, ob, key_at);
}

/* Order by key, and equal keys in document order. */
static int compare_keys(const void *a, const void *b)
{
	const struct json_member *x = *(const struct json_member *const *)a;
	const struct json_member *y = *(const struct json_member *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int diff = memcmp(x->key, y->key, n);

	if (diff)
		return diff;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The first member, in document order, whose key an earlier one has. */
static int first_duplicate(const struct object_build *ob, size_t *first)
{
	const struct json_member **sorted;
	size_t i, index;

	sorted = malloc(ob->count * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < ob->count; i++)
		sorted[i] = &ob->members[i];
	qsort(sorted, ob->count, sizeof(*sorted), compare_keys);
	*first = SIZE_MAX;
	for (i = 1; i < ob->count; i++) {
		index = (size_t)(sorted[i] - ob->members);
		if (same_key(sorted[i - 1], sorted[i]) && index < *first)
			*first = index;
	}
	free(sorted);
	return 0;
}

/*
 * Check the keys check_key_now() did not. A duplicate among the first
 * KEY_SCAN_MAX was already reported, so any found here has a position.
 */
static int check_late_keys(struct parser *p, const struct object_build *ob)
{
	const struct key_pos *pos;
	size_t dup;

	if (ob->count <= KEY_SCAN_MAX)
		return 0;
	if (first_duplicate(ob, &dup))
		return fail_nomem(p);
	if (dup == SIZE_MAX)
		return 0;
	pos = &ob->late[dup - KEY_SCAN_MAX];
	p->line = pos->line;
	p->line_start = pos->line_start;
	return fail_duplicate(p, &ob->members[dup], pos->at);
}

static int parse_member(struct parser *p, struct object_build *ob,
			unsigned int depth)
{
	struct json_member *m, *grown;
	const char *key_at;
	int ret;

	skip_ws(p);
	if (p->pos >= p->end || *p->pos != '"')
		return fail_expected(p, "object key");
	grown = grow(ob->members, &ob->cap, ob->count, sizeof(*ob->members));
	if (!grown)
		return fail_nomem(p);
	ob->members = grown;
	m = &ob->members[ob->count];
	key_at = p->pos;
	ret = parse_string(p, &m->key, &m->key_len);
	if (ret)
		return ret;
	ret = check_key(p, ob, key_at);
	if (ret)
		goto err;
	if (!consume(p, ':')) {
		ret = fail_expected(p, "':' after object key");
		goto err;
	}
	ret = parse_value(p, &m->value, depth + 1);
	if (ret)
		goto err;
	ob->count++;
	return 0;
err:
	free(m->key);
	return ret;
}

static int parse_object(struct parser *p, struct json_value *v,
			unsigned int depth)
{
	struct object_build ob = { 0 };
	int ret;

	ret = check_depth(p, depth);
	if (ret)
		return ret;
	p->pos++;
	if (consume(p, '}'))
		goto done;
	do {
		ret = parse_member(p, &ob, depth);
		if (ret)
			goto err;
	} while (consume(p, ','));
	if (!consume(p, '}')) {
		ret = fail_expected(p, "',' or '}' after object member");
		goto err;
	}
	ret = check_late_keys(p, &ob);
	if (ret)
		goto err;
done:
	free(ob.late);
	v->type = JSON_OBJECT;
	v->object.members = ob.members;
	v->object.count = ob.count;
	return 0;
err:
	free(ob.late);
	free_members(ob.members, ob.count);
	return ret;
}

/* On failure *@v owns nothing, so callers need not release it. */
static int parse_value(struct parser *p, struct json_value *v,
		       unsigned int depth)
{
	char c;

	skip_ws(p);
	if (p->pos >= p->end)
		return fail_expected(p, "a value");
	v->line = p->line;
	c = *p->pos;
	if (c == '{')
		return parse_object(p, v, depth);
	if (c == '[')
		return parse_array(p, v, depth);
	if (c == '"') {
		v->type = JSON_STRING;
		return parse_string(p, &v->string.ptr, &v->string.len);
	}
	if (c == '-' || is_digit(p->pos, p->end))
		return parse_number(p, v);
	if (is_letter(c))
		return parse_literal(p, v);
	return fail_expected(p, "a value");
}

static int check_document(struct parser *p, size_t len)
{
	if (len > JSON_MAX_SIZE)
		return fail_at(p, p->pos, E2BIG,
			       "document larger than %u bytes", JSON_MAX_SIZE);
	/* Say why, rather than report an unexpected byte 0xef. */
	if (len >= 3 && !memcmp(p->pos, "\xef\xbb\xbf", 3))
		return fail_at(p, p->pos, EINVAL,
			       "byte order mark is not allowed; remove it");
	return 0;
}

static int parse_document(struct parser *p, struct json_value **out)
{
	struct json_value *root;
	int ret;

	root = calloc(1, sizeof(*root));
	if (!root)
		return fail_nomem(p);
	ret = parse_value(p, root, 0);
	if (ret) {
		free(root);
		return ret;
	}
	skip_ws(p);
	if (p->pos < p->end) {
		json_free(root);
		return fail_expected(p, "end of document");
	}
	*out = root;
	return 0;
}

int json_parse(const char *text, size_t len, struct json_value **out,
	       struct json_error *err)
{
	struct json_error scratch = { 0 };
	struct parser p = { 0 };
	int ret;

	if (!out || (!text && len))
		return -EINVAL;
	*out = NULL;
	if (!text)
		text = "";
	p.pos = text;
	p.end = text + len;
	p.line_start = text;
	p.line = 1;
	p.err = err ? err : &scratch;
	memset(p.err, 0, sizeof(*p.err));

	ret = check_document(&p, len);
	if (!ret)
		ret = parse_document(&p, out);
	if (p.c_locale)
		freelocale(p.c_locale);
	return ret;
}

void json_free(struct json_value *value)
{
	if (!value)
		return;
	value_release(value);
	free(value);
}

const struct json_value *json_object_get(const struct json_value *object,
					 const char *key)
{
	const struct json_member *m;
	size_t len, i;

	if (!object || object->type != JSON_OBJECT || !key)
		return NULL;
	len = strlen(key);
	for (i = 0; i < object->object.count; i++) {
		m = &object->object.members[i];
		if (m->key_len == len && !memcmp(m->key, key, len))
			return &m->value;
	}
	return NULL;
}

const char *json_type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
	case JSON_TRUE:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "unknown";
}

void json_writer_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void json_writer_reset(struct json_writer *w)
{
	w->len = 0;
	w->err = 0;
	w->need_comma = false;
	w->depth = 0;
	w->arrays = 0;
	w->finished = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void json_writer_free(struct json_writer *w)
{
	free(w->buf);
	json_writer_init(w);
}

/* Room for @n more bytes and the NUL; false once any error is recorded. */
static bool w_reserve(struct json_writer *w, size_t n)
{
	size_t need, cap;
	char *buf;

	if (w->err)
		return false;
	if (n > SIZE_MAX - w->len - 1) {
		w->err = ENOMEM;
		return false;
	}
	need = w->len + n + 1;
	if (need <= w->cap)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	buf = realloc(w->buf, cap);
	if (!buf) {
		w->err = ENOMEM;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static void w_put(struct json_writer *w, const char *s, size_t n)
{
	if (!w_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* How many bytes from @s go out as they are. */
static size_t w_plain_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	int len;

	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') {
			i++;
			continue;
		}
		if (s[i] < 0x80)
			break;
		len = utf8_sequence(s + i, n - i);
		if (len < 0)
			break;
		i += (size_t)len;
	}
	return i;
}

/* The letter of the two-character escape for @c, or 0 if it has none. */
static char short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/* Write the byte at @s that needs an escape; return how many it covered. */
static size_t w_escape_one(struct json_writer *w, const unsigned char *s,
			   size_t n)
{
	char esc[8];

	esc[0] = '\\';
	esc[1] = short_escape(s[0]);
	if (esc[1]) {
		w_put(w, esc, 2);
		return 1;
	}
	if (s[0] < 0x80) {
		snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)s[0]);
		w_put(w, esc, 6);
		return 1;
	}
	w_put(w, "\xef\xbf\xbd", 3);
	return (size_t)-utf8_sequence(s, n);
}

static void w_quoted(struct json_writer *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;

	w_put(w, "\"", 1);
	while (i < n && !w->err) {
		run = w_plain_run(u + i, n - i);
		w_put(w, s + i, run);
		i += run;
		if (i < n)
			i += w_escape_one(w, u + i, n - i);
	}
	w_put(w, "\"", 1);
}

/*
 * A member's key and its colon. moat's own keys are plain ASCII and go
 * out in one copy (the DNS proxy writes a dozen per query, and escaping
 * them showed in its profile); any other key is escaped like a string.
 */
static void w_key(struct json_writer *w, const char *key)
{
	size_t n = strlen(key);

	if (w_plain_run((const unsigned char *)key, n) != n) {
		w_quoted(w, key, n);
		w_put(w, ":", 1);
		return;
	}
	if (!w_reserve(w, n + 3))
		return;
	w->buf[w->len] = '"';
	memcpy(w->buf + w->len + 1, key, n);
	w->buf[w->len + 1 + n] = '"';
	w->buf[w->len + 2 + n] = ':';
	w->len += n + 3;
	w->buf[w->len] = '\0';
}

static bool w_in_array(const struct json_writer *w)
{
	return w->depth && (w->arrays >> (w->depth - 1) & 1);
}

/*
 * Start a value: its comma and its key. Values belong inside the object,
 * keyed in objects and unkeyed in arrays; anything else is a caller's bug
 * that would make the line invalid JSON, so it becomes EINVAL.
 */
static bool w_member(struct json_writer *w, const char *key)
{
	if (w->err)
		return false;
	if (!w->depth || (key == NULL) != w_in_array(w)) {
		w->err = EINVAL;
		return false;
	}
	if (w->need_comma)
		w_put(w, ",", 1);
	if (key)
		w_key(w, key);
	w->need_comma = true;
	return !w->err;
}

/* The line's one top-level object opens with no comma and no key. */
static bool w_open_top(struct json_writer *w, const char *key, char c)
{
	if (w->err)
		return false;
	if (key || c != '{' || w->need_comma) {
		w->err = EINVAL;
		return false;
	}
	return true;
}

static void w_open(struct json_writer *w, const char *key, char c)
{
	if (!(w->depth ? w_member(w, key) : w_open_top(w, key, c)))
		return;
	/* Never write what json_parse() would refuse to read back. */
	if (w->depth >= JSON_MAX_DEPTH) {
		w->err = E2BIG;
		return;
	}
	w_put(w, &c, 1);
	if (c == '[')
		w->arrays |= 1ull << w->depth;
	else
		w->arrays &= ~(1ull << w->depth);
	w->depth++;
	w->need_comma = false;
}

static void w_close(struct json_writer *w, char c)
{
	if (w->err)
		return;
	if (!w->depth || w_in_array(w) != (c == ']')) {
		w->err = EINVAL;
		return;
	}
	w_put(w, &c, 1);
	w->depth--;
	w->need_comma = true;
}

void json_w_object_begin(struct json_writer *w)
{
	w_open(w, NULL, '{');
}

void json_w_object_end(struct json_writer *w)
{
	w_close(w, '}');
}

void json_w_array_begin(struct json_writer *w, const char *key)
{
	w_open(w, key, '[');
}

void json_w_array_end(struct json_writer *w)
{
	w_close(w, ']');
}

void json_w_key_object_begin(struct json_writer *w, const char *key)
{
	w_open(w, key, '{');
}

void json_w_string(struct json_writer *w, const char *key, const char *value)
{
	json_w_string_len(w, key, value, value ? strlen(value) : 0);
}

void json_w_string_len(struct json_writer *w, const char *key,
		       const char *value, size_t len)
{
	if (!value) {
		json_w_null(w, key);
		return;
	}
	if (w_member(w, key))
		w_quoted(w, value, len);
}

/*
 * Digits of a number, written from the end of num; returns where they
 * start. The audit log writes several numbers a line, many lines a
 * second: this is what snprintf() cost there.
 */
static char *w_digits(unsigned long long v, char *end)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

void json_w_int(struct json_writer *w, const char *key, long long value)
{
	char num[24], *end = num + sizeof(num), *p;

	if (!w_member(w, key))
		return;
	/* The magnitude as unsigned, so that LLONG_MIN does not overflow. */
	p = w_digits(value < 0 ? 0ULL - (unsigned long long)value :
				 (unsigned long long)value,
		     end);
	if (value < 0)
		*--p = '-';
	w_put(w, p, (size_t)(end - p));
}

void json_w_uint(struct json_writer *w, const char *key,
		 unsigned long long value)
{
	char num[24], *end = num + sizeof(num), *p;

	if (!w_member(w, key))
		return;
	p = w_digits(value, end);
	w_put(w, p, (size_t)(end - p));
}

void json_w_bool(struct json_writer *w, const char *key, bool value)
{
	if (w_member(w, key))
		w_put(w, value ? "true" : "false", value ? 4 : 5);
}

void json_w_null(struct json_writer *w, const char *key)
{
	if (w_member(w, key))
		w_put(w, "null", 4);
}

int json_writer_finish(struct json_writer *w)
{
	if (w->err)
		return -w->err;
	/* Exactly one complete object makes an NDJSON line. */
	if (w->depth || !w->need_comma || w->finished)
		return -EINVAL;
	w_put(w, "\n", 1);
	if (w->err)
		return -w->err;
	w->finished = true;
	return 0;
}
