/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* json.h - strict JSON reader into a tree and one-line JSON object writer */
#ifndef MOAT_JSON_H
#define MOAT_JSON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Limits of the reader. Policy files and audit log lines are far smaller;
 * the limits bound the memory and stack an untrusted document can claim.
 */
#define JSON_MAX_DEPTH 64
#define JSON_MAX_SIZE (16u << 20)

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	/* 1-based line where the value starts, for error messages */
	unsigned int line;
	union {
		double number;
		/* decoded UTF-8, NUL-terminated; len counts any \0 inside */
		struct {
			char *ptr;
			size_t len;
		} string;
		struct {
			struct json_value *items;
			size_t count;
		} array;
		/* members in document order */
		struct {
			struct json_member *members;
			size_t count;
		} object;
	};
};

struct json_member {
	char *key; /* decoded like a string value: NUL-terminated */
	size_t key_len;
	struct json_value value;
};

/* line and column are 1-based; column counts UTF-8 characters, not bytes. */
struct json_error {
	unsigned int line;
	unsigned int column;
	char message[128];
};

/**
 * json_parse() - parse one JSON (RFC 8259) document
 * @text: the document; need not be NUL-terminated
 * @len: its length in bytes
 * @out: on success, the tree; free it with json_free(). NULL on failure.
 * @err: on failure, where and why; zeroed on success; may be NULL
 *
 * Strict: rejects a byte order mark, comments, trailing commas, trailing
 * data, duplicate keys in one object, leading zeros, NaN and Infinity,
 * numbers beyond the range of a double, control characters and invalid
 * UTF-8 in strings, and unpaired surrogates in \u escapes.
 *
 * Return: 0; -EINVAL for bad syntax; -E2BIG when nesting is deeper than
 * JSON_MAX_DEPTH or @len exceeds JSON_MAX_SIZE; -ENOMEM. @err is filled in
 * for each of these; a NULL @out, or a NULL @text with a non-zero @len,
 * returns -EINVAL and leaves it alone.
 */
int json_parse(const char *text, size_t len, struct json_value **out,
	       struct json_error *err);

/* Free a tree from json_parse(); NULL is a no-op. */
void json_free(struct json_value *value);

/*
 * The value of member @key (a C string, so keys holding \0 never match),
 * or NULL when it is absent or @object is not an object.
 */
const struct json_value *json_object_get(const struct json_value *object,
					 const char *key);

/* "null", "boolean", "number", "string", "array" or "object". */
const char *json_type_name(enum json_type type);

/*
 * The writer builds one JSON object on one line in a growable buffer. Inside
 * an object each call names its member with @key; inside an array @key is
 * NULL. Strings are escaped so the output is valid JSON and valid UTF-8
 * whatever the input: control characters and DEL are escaped, and bytes
 * that are not valid UTF-8 become U+FFFD. Keys are C strings.
 *
 * The first error is sticky, later calls do nothing, and
 * json_writer_finish() reports it: ENOMEM; E2BIG for nesting deeper than
 * the reader accepts; EINVAL for calls that would make the line invalid
 * JSON (a value outside the object, a key in an array or none in an
 * object, an end that does not match its begin). @buf stays NUL-terminated.
 */
struct json_writer {
	char *buf;
	size_t len;
	size_t cap;
	int err; /* positive errno, 0 while all is well */
	bool need_comma;
	bool finished; /* the line has its '\n' */
	unsigned int depth; /* open objects and arrays */
	unsigned long long arrays; /* bit n set: level n is an array */
};

void json_writer_init(struct json_writer *w);
/* Empty the buffer and clear any error, keeping the memory. */
void json_writer_reset(struct json_writer *w);
void json_writer_free(struct json_writer *w);

/* "{", for the top-level object or an object inside an array. */
void json_w_object_begin(struct json_writer *w);
void json_w_object_end(struct json_writer *w);
/* "key":[ inside an object, [ inside an array */
void json_w_array_begin(struct json_writer *w, const char *key);
void json_w_array_end(struct json_writer *w);
/* "key":{ */
void json_w_key_object_begin(struct json_writer *w, const char *key);
/* A NULL @value writes null. */
void json_w_string(struct json_writer *w, const char *key, const char *value);
void json_w_string_len(struct json_writer *w, const char *key,
		       const char *value, size_t len);
void json_w_int(struct json_writer *w, const char *key, long long value);
void json_w_uint(struct json_writer *w, const char *key,
		 unsigned long long value);
void json_w_bool(struct json_writer *w, const char *key, bool value);
void json_w_null(struct json_writer *w, const char *key);

/*
 * End the line with '\n', once. Return: 0, with the line in w->buf and
 * w->len; the sticky error as a negative errno; -EINVAL if the object is
 * not complete or the line already ended. json_writer_reset() starts the
 * next line.
 */
int json_writer_finish(struct json_writer *w);

#endif /* MOAT_JSON_H */
