// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy_file.c - read a JSON policy file into a policy */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "policy.h"

/* Far beyond any allowlist; a bound so a wrong path cannot eat memory. */
#define POLICY_FILE_MAX (16 << 20)

struct rule_key {
	const char *key;
	enum rule_effect effect;
	enum rule_kind kind;
};

static const struct rule_key rule_keys[] = {
	{ "allow", RULE_ALLOW, RULE_HOST },
	{ "allow-cidr", RULE_ALLOW, RULE_CIDR },
	{ "deny", RULE_DENY, RULE_HOST },
	{ "deny-cidr", RULE_DENY, RULE_CIDR },
};

#define KNOWN_KEYS "mode, upstream, allow, allow-cidr, deny, deny-cidr"

static int read_file(const char *path, char **text, size_t *len, char *err,
		     size_t err_len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 4096;
	int ret = 0;

	*len = 0;
	*text = NULL;
	if (!f) {
		ret = -errno;
		snprintf(err, err_len, "%s: cannot open: %s", path,
			 strerror(errno));
		return ret;
	}
	for (;;) {
		char *grown = realloc(*text, cap);

		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		*text = grown;
		*len += fread(*text + *len, 1, cap - *len, f);
		if (*len < cap || ferror(f))
			break;
		if (cap >= POLICY_FILE_MAX) {
			snprintf(
				err, err_len,
				"%s: larger than %d MiB; is this a policy file?",
				path, POLICY_FILE_MAX >> 20);
			ret = -EFBIG;
			break;
		}
		cap *= 2;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, err_len, "%s: read error", path);
	}
	fclose(f);
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

static int load_rules(struct policy *p, const char *path,
		      const struct rule_key *rk, const struct json_value *arr,
		      char *err, size_t err_len)
{
	char origin[512];
	size_t i;
	int ret;

	if (arr->type != JSON_ARRAY)
		goto wrong_type;
	for (i = 0; i < arr->array.count; i++) {
		const struct json_value *item = &arr->array.items[i];

		if (item->type != JSON_STRING)
			goto wrong_type;
		snprintf(origin, sizeof(origin), "%s: line %u: %s[%zu]", path,
			 item->line, rk->key, i);
		ret = policy__add_rule(p, rk->effect, rk->kind,
				       item->string.ptr, origin, err, err_len);
		if (ret)
			return ret;
	}
	return 0;

wrong_type:
	snprintf(err, err_len,
		 "%s: line %u: \"%s\" must be an array of strings", path,
		 arr->line, rk->key);
	return -EINVAL;
}

static int load_upstreams(struct policy *p, const char *path,
			  const struct json_value *v, char *err, size_t err_len)
{
	char origin[512];
	size_t i;
	int ret;

	snprintf(origin, sizeof(origin), "%s: line %u: upstream", path,
		 v->line);
	if (v->type == JSON_STRING)
		return policy__add_upstream(p, v->string.ptr, origin, err,
					    err_len);
	if (v->type != JSON_ARRAY)
		goto wrong_type;
	for (i = 0; i < v->array.count; i++) {
		if (v->array.items[i].type != JSON_STRING)
			goto wrong_type;
		ret = policy__add_upstream(p, v->array.items[i].string.ptr,
					   origin, err, err_len);
		if (ret)
			return ret;
	}
	return 0;

wrong_type:
	snprintf(
		err, err_len,
		"%s: line %u: \"upstream\" must be a string or an array of strings",
		path, v->line);
	return -EINVAL;
}

static int load_member(struct policy *p, const char *path,
		       const struct json_member *m, char *err, size_t err_len)
{
	char origin[512];
	size_t i;

	for (i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
		if (strcmp(m->key, rule_keys[i].key) == 0)
			return load_rules(p, path, &rule_keys[i], &m->value,
					  err, err_len);
	if (strcmp(m->key, "upstream") == 0)
		return load_upstreams(p, path, &m->value, err, err_len);
	if (strcmp(m->key, "mode") == 0) {
		snprintf(origin, sizeof(origin), "%s: line %u: mode", path,
			 m->value.line);
		if (m->value.type != JSON_STRING) {
			snprintf(err, err_len, "%s: \"mode\" must be a string",
				 origin);
			return -EINVAL;
		}
		return policy__set_mode(p, m->value.string.ptr, origin, err,
					err_len);
	}
	snprintf(err, err_len,
		 "%s: line %u: unknown key \"%s\"; the keys are " KNOWN_KEYS,
		 path, m->value.line, m->key);
	return -EINVAL;
}

int policy__load_file(struct policy *p, const char *path, char *err,
		      size_t err_len)
{
	struct json_value *doc = NULL;
	struct json_error jerr = { 0 };
	size_t i, len;
	char *text;
	int ret;

	ret = read_file(path, &text, &len, err, err_len);
	if (ret)
		return ret;

	ret = json_parse(text, len, &doc, &jerr);
	if (ret == -EINVAL || ret == -E2BIG) {
		snprintf(err, err_len, "%s: line %u, column %u: %s", path,
			 jerr.line, jerr.column,
			 jerr.message[0] ? jerr.message :
					   "nested too deeply or too large");
		ret = -EINVAL;
		goto out;
	}
	if (ret)
		goto out;
	if (doc->type != JSON_OBJECT) {
		snprintf(
			err, err_len,
			"%s: the policy must be a JSON object, as in {\"allow\": [\"example.com\"]}",
			path);
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < doc->object.count && !ret; i++)
		ret = load_member(p, path, &doc->object.members[i], err,
				  err_len);
out:
	if (ret == -ENOMEM)
		snprintf(err, err_len, "%s: out of memory", path);
	json_free(doc);
	free(text);
	return ret;
}
