// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* portset.c - port lists as rules write them, interned as numbered sets */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "portset.h"

#define PORTSETS_BUCKETS 1024

struct portset {
	struct port_spec *specs;
	size_t count;
	uint32_t hash;
	uint32_t next; /* next id in the same bucket, 0 for none */
};

struct portsets {
	struct portset *sets;
	uint32_t count;
	uint32_t cap;
	uint32_t buckets[PORTSETS_BUCKETS]; /* first id, 0 for none */
};

static int spec_cmp(const void *a, const void *b)
{
	const struct port_spec *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->proto - y->proto;
}

static size_t specs_normalise(struct port_spec *specs, size_t count)
{
	size_t i, out = 0;

	qsort(specs, count, sizeof(*specs), spec_cmp);
	for (i = 0; i < count; i++)
		if (!out || spec_cmp(&specs[out - 1], &specs[i]) != 0)
			specs[out++] = specs[i];
	return out;
}

static int portlist_add(struct port_spec *out, size_t max, size_t *count,
			uint16_t port, uint8_t proto, const char **why)
{
	if (*count >= max) {
		*why = "too many ports in one rule";
		return -EINVAL;
	}
	out[*count].port = port;
	out[*count].proto = proto;
	(*count)++;
	return 0;
}

/* One item of a port list: "443", "443/tcp" or "53/udp". */
static int portlist_parse_item(char *item, struct port_spec *out, size_t max,
			       size_t *count, const char **why)
{
	char *slash = strchr(item, '/');
	uint16_t port;
	int err;

	if (slash)
		*slash = '\0';
	if (port_parse(item, &port)) {
		*why = strchr(item, '-') ?
			       "port ranges are not supported; list each port" :
			       "a port must be a number from 1 to 65535";
		return -EINVAL;
	}
	if (!slash || strcmp(slash + 1, "tcp") == 0) {
		err = portlist_add(out, max, count, port, IPPROTO_TCP, why);
		if (err || slash)
			return err;
	}
	if (!slash || strcmp(slash + 1, "udp") == 0)
		return portlist_add(out, max, count, port, IPPROTO_UDP, why);
	*why = "the protocol after '/' must be 'tcp' or 'udp'";
	return -EINVAL;
}

int portlist_parse(const char *text, struct port_spec *out, size_t max,
		   size_t *count, const char **why)
{
	char *copy, *item, *save = NULL;
	int err = 0;

	*count = 0;
	if (!*text) {
		*why = "the port list after ':' is empty";
		return -EINVAL;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	if (copy[0] == ';' || copy[strlen(copy) - 1] == ';' ||
	    strstr(copy, ";;")) {
		*why = "the port list has an empty item";
		err = -EINVAL;
		goto out;
	}
	for (item = strtok_r(copy, ";", &save); item && !err;
	     item = strtok_r(NULL, ";", &save))
		err = portlist_parse_item(item, out, max, count, why);
	if (!err)
		*count = specs_normalise(out, *count);
out:
	free(copy);
	return err;
}

static uint32_t specs_hash(const struct port_spec *specs, size_t count)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < count; i++) {
		h = (h ^ specs[i].port) * 16777619u;
		h = (h ^ specs[i].proto) * 16777619u;
	}
	return h;
}

static int portsets_grow(struct portsets *ps)
{
	uint32_t cap = ps->cap ? ps->cap * 2 : 16;
	struct portset *sets = realloc(ps->sets, cap * sizeof(*sets));

	if (!sets)
		return -ENOMEM;
	ps->sets = sets;
	ps->cap = cap;
	return 0;
}

struct portsets *portsets__new(void)
{
	struct portsets *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	if (portsets_grow(ps)) {
		free(ps);
		return NULL;
	}
	/* The fixed ids: no members stand for "none" and "all". */
	memset(ps->sets, 0, 2 * sizeof(*ps->sets));
	ps->count = 2;
	return ps;
}

void portsets__free(struct portsets *ps)
{
	uint32_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->count; i++)
		free(ps->sets[i].specs);
	free(ps->sets);
	free(ps);
}

/* Field by field: a caller's array may hold garbage in the padding byte. */
static bool specs_equal(const struct port_spec *a, const struct port_spec *b,
			size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (spec_cmp(&a[i], &b[i]) != 0)
			return false;
	return true;
}

static uint32_t portsets_find(const struct portsets *ps,
			      const struct port_spec *specs, size_t count,
			      uint32_t hash)
{
	uint32_t id;

	for (id = ps->buckets[hash % PORTSETS_BUCKETS]; id;
	     id = ps->sets[id].next) {
		const struct portset *set = &ps->sets[id];

		if (set->hash == hash && set->count == count &&
		    specs_equal(set->specs, specs, count))
			return id;
	}
	return 0;
}

/* specs must be sorted and unique. */
static int portsets_intern_sorted(struct portsets *ps,
				  const struct port_spec *specs, size_t count,
				  uint32_t *id)
{
	uint32_t hash = specs_hash(specs, count);
	struct portset *set;

	*id = portsets_find(ps, specs, count, hash);
	if (*id)
		return 0;
	if (ps->count == ps->cap && portsets_grow(ps))
		return -ENOMEM;

	set = &ps->sets[ps->count];
	set->specs = malloc(count * sizeof(*specs));
	if (!set->specs)
		return -ENOMEM;
	memcpy(set->specs, specs, count * sizeof(*specs));
	set->count = count;
	set->hash = hash;
	set->next = ps->buckets[hash % PORTSETS_BUCKETS];
	ps->buckets[hash % PORTSETS_BUCKETS] = ps->count;
	*id = ps->count++;
	return 0;
}

int portsets__intern(struct portsets *ps, const struct port_spec *specs,
		     size_t count, uint32_t *id)
{
	struct port_spec *sorted;
	int err;

	if (!count) {
		*id = MOAT_PORTSET_NONE;
		return 0;
	}
	sorted = malloc(count * sizeof(*specs));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, specs, count * sizeof(*specs));
	count = specs_normalise(sorted, count);
	err = portsets_intern_sorted(ps, sorted, count, id);
	free(sorted);
	return err;
}

int portsets__union(struct portsets *ps, uint32_t a, uint32_t b, uint32_t *id)
{
	struct port_spec *merged;
	size_t na, nb;
	int err;

	if (a == b || b == MOAT_PORTSET_NONE || a == MOAT_PORTSET_ALL) {
		*id = a;
		return 0;
	}
	if (a == MOAT_PORTSET_NONE || b == MOAT_PORTSET_ALL) {
		*id = b;
		return 0;
	}
	na = ps->sets[a].count;
	nb = ps->sets[b].count;
	merged = malloc((na + nb) * sizeof(*merged));
	if (!merged)
		return -ENOMEM;
	memcpy(merged, ps->sets[a].specs, na * sizeof(*merged));
	memcpy(merged + na, ps->sets[b].specs, nb * sizeof(*merged));
	err = portsets_intern_sorted(ps, merged,
				     specs_normalise(merged, na + nb), id);
	free(merged);
	return err;
}

bool portsets__has(const struct portsets *ps, uint32_t id, uint16_t port,
		   uint8_t proto)
{
	struct port_spec key = { .port = port, .proto = proto };

	if (id == MOAT_PORTSET_ALL)
		return true;
	if (id == MOAT_PORTSET_NONE || id >= ps->count)
		return false;
	return bsearch(&key, ps->sets[id].specs, ps->sets[id].count,
		       sizeof(key), spec_cmp) != NULL;
}

const struct port_spec *portsets__members(const struct portsets *ps,
					  uint32_t id, size_t *count)
{
	if (id >= ps->count) {
		*count = 0;
		return NULL;
	}
	*count = ps->sets[id].count;
	return ps->sets[id].specs;
}

uint32_t portsets__count(const struct portsets *ps)
{
	return ps->count;
}

const char *portsets__format(const struct portsets *ps, uint32_t id, char *buf,
			     size_t len)
{
	const struct port_spec *s;
	size_t i, n, pos = 0;

	if (id == MOAT_PORTSET_ALL || id == MOAT_PORTSET_NONE ||
	    id >= ps->count) {
		snprintf(buf, len, "%s",
			 id == MOAT_PORTSET_ALL ? "all" : "none");
		return buf;
	}
	s = portsets__members(ps, id, &n);
	buf[0] = '\0';
	for (i = 0; i < n && pos < len; i++) {
		/* Sorted by port then protocol: TCP (6) comes before UDP. */
		bool both = i + 1 < n && s[i + 1].port == s[i].port;
		const char *proto = s[i].proto == IPPROTO_TCP ? "/tcp" : "/udp";

		pos += (size_t)snprintf(buf + pos, len - pos, "%s%u%s",
					i ? ";" : "", s[i].port,
					both ? "" : proto);
		if (both)
			i++;
	}
	return buf;
}
