// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fuzz_json.c - libFuzzer harness: parse any bytes, write back what parses */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The writer has no floating point; integers it can write exactly. */
static bool exact_integer(double d)
{
	return d == trunc(d) && fabs(d) < 9223372036854775808.0;
}

/* How many containers deep @v is; the parser bounds the recursion. */
static unsigned int depth_of(const struct json_value *v)
{
	unsigned int max = 0, d;
	size_t i;

	if (v->type == JSON_ARRAY) {
		for (i = 0; i < v->array.count; i++) {
			d = depth_of(&v->array.items[i]);
			max = d > max ? d : max;
		}
		return max + 1;
	}
	if (v->type == JSON_OBJECT) {
		for (i = 0; i < v->object.count; i++) {
			d = depth_of(&v->object.members[i].value);
			max = d > max ? d : max;
		}
		return max + 1;
	}
	return 0;
}

/* Writer keys are C strings, so a key holding \0 cannot round-trip. */
static bool keys_are_c_strings(const struct json_value *v)
{
	const struct json_member *m;
	size_t i;

	if (v->type == JSON_ARRAY) {
		for (i = 0; i < v->array.count; i++)
			if (!keys_are_c_strings(&v->array.items[i]))
				return false;
	}
	if (v->type != JSON_OBJECT)
		return true;
	for (i = 0; i < v->object.count; i++) {
		m = &v->object.members[i];
		if (strlen(m->key) != m->key_len ||
		    !keys_are_c_strings(&m->value))
			return false;
	}
	return true;
}

static void mirror(struct json_writer *w, const char *key,
		   const struct json_value *v);

static void mirror_container(struct json_writer *w, const char *key,
			     const struct json_value *v)
{
	const struct json_member *m;
	size_t i;

	if (v->type == JSON_ARRAY) {
		json_w_array_begin(w, key);
		for (i = 0; i < v->array.count; i++)
			mirror(w, NULL, &v->array.items[i]);
		json_w_array_end(w);
		return;
	}
	if (key)
		json_w_key_object_begin(w, key);
	else
		json_w_object_begin(w);
	for (i = 0; i < v->object.count; i++) {
		m = &v->object.members[i];
		/* Keys are unique, so a lookup finds this very member. */
		if (strlen(m->key) == m->key_len &&
		    json_object_get(v, m->key) != &m->value)
			abort();
		mirror(w, m->key, &m->value);
	}
	json_w_object_end(w);
}

static void mirror(struct json_writer *w, const char *key,
		   const struct json_value *v)
{
	switch (v->type) {
	case JSON_NULL:
		json_w_null(w, key);
		break;
	case JSON_FALSE:
	case JSON_TRUE:
		json_w_bool(w, key, v->type == JSON_TRUE);
		break;
	case JSON_NUMBER:
		if (exact_integer(v->number))
			json_w_int(w, key, (long long)v->number);
		else
			json_w_null(w, key);
		break;
	case JSON_STRING:
		json_w_string_len(w, key, v->string.ptr, v->string.len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		mirror_container(w, key, v);
		break;
	}
}

static bool same(const struct json_value *a, const struct json_value *b);

static bool same_container(const struct json_value *a,
			   const struct json_value *b)
{
	const struct json_member *ma, *mb;
	size_t i;

	if (a->type == JSON_ARRAY) {
		if (a->array.count != b->array.count)
			return false;
		for (i = 0; i < a->array.count; i++)
			if (!same(&a->array.items[i], &b->array.items[i]))
				return false;
		return true;
	}
	if (a->object.count != b->object.count)
		return false;
	for (i = 0; i < a->object.count; i++) {
		ma = &a->object.members[i];
		mb = &b->object.members[i];
		if (ma->key_len != mb->key_len ||
		    memcmp(ma->key, mb->key, ma->key_len) ||
		    !same(&ma->value, &mb->value))
			return false;
	}
	return true;
}

/* Is @b, read back from the writer, what mirror() made of @a? */
static bool same(const struct json_value *a, const struct json_value *b)
{
	if (a->type == JSON_NUMBER && !exact_integer(a->number))
		return b->type == JSON_NULL;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NUMBER:
		return a->number == b->number;
	case JSON_STRING:
		return a->string.len == b->string.len &&
		       !memcmp(a->string.ptr, b->string.ptr, a->string.len) &&
		       b->string.ptr[b->string.len] == '\0';
	case JSON_ARRAY:
	case JSON_OBJECT:
		return same_container(a, b);
	default:
		return true;
	}
}

/* Write the parsed tree as {"v": tree}, read it back, compare. */
static void check_roundtrip(const struct json_value *root)
{
	bool too_deep = depth_of(root) + 1 > JSON_MAX_DEPTH;
	struct json_value *back = NULL;
	struct json_writer w;
	int ret;

	json_writer_init(&w);
	json_w_object_begin(&w);
	mirror(&w, "v", root);
	json_w_object_end(&w);
	ret = json_writer_finish(&w);
	if (too_deep) {
		if (ret != -E2BIG)
			abort();
		goto out;
	}
	if (ret)
		abort();
	if (!keys_are_c_strings(root))
		goto out;
	if (json_parse(w.buf, w.len, &back, NULL))
		abort();
	if (!same(root, json_object_get(back, "v")))
		abort();
out:
	json_free(back);
	json_writer_free(&w);
}

/* Any bytes, as a string value and as a key, still make a valid line. */
static void check_raw_string(const uint8_t *data, size_t size)
{
	struct json_value *back = NULL;
	struct json_writer w;
	char *key;

	key = malloc(size + 1);
	if (!key)
		return;
	memcpy(key, data, size);
	key[size] = '\0';
	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_string_len(&w, "raw", (const char *)data, size);
	json_w_array_begin(&w, key);
	json_w_string(&w, NULL, key);
	json_w_array_end(&w);
	json_w_object_end(&w);
	if (json_writer_finish(&w))
		abort();
	if (memchr(w.buf, '\n', w.len) != w.buf + w.len - 1)
		abort();
	/* "raw" is itself a key, so a duplicate is the only way to fail. */
	if (json_parse(w.buf, w.len, &back, NULL) && strcmp(key, "raw"))
		abort();
	json_free(back);
	json_writer_free(&w);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *root;
	struct json_error err;
	int ret;

	ret = json_parse((const char *)data, size, &root, &err);
	if (ret == 0) {
		check_roundtrip(root);
		json_free(root);
	} else if (root || err.line == 0 || err.column == 0 ||
		   !err.message[0]) {
		abort();
	}
	check_raw_string(data, size);
	return 0;
}
