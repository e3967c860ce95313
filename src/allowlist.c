// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* allowlist.c - what DNS answers have allowed so far, in the kernel too */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allowlist.h"
#include "datapath.h"
#include "log.h"

struct learned_addr {
	struct hnode node;
	uint8_t addr[ADDR_LEN];
	struct verdict verdict; /* from names; CIDR rules are folded on write */
	bool in_datapath;
	char *host;
};

struct derived_name {
	struct hnode node;
	char *name;
	char *origin;
	struct verdict verdict;
	uint64_t expires_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool addr_eq(const struct hnode *n, const void *key)
{
	return !memcmp(container_of_const(n, struct learned_addr, node)->addr,
		       key, ADDR_LEN);
}

static bool name_eq(const struct hnode *n, const void *key)
{
	return !strcmp(container_of_const(n, struct derived_name, node)->name,
		       key);
}

int allowlist__init(struct allowlist *al, struct policy *p, struct datapath *dp)
{
	int err;

	memset(al, 0, sizeof(*al));
	al->policy = p;
	al->dp = dp;
	err = htable_init(&al->addrs);
	if (!err)
		err = htable_init(&al->names);
	return err;
}

static void free_addr(struct hnode *n, void *ctx)
{
	struct learned_addr *la = container_of(n, struct learned_addr, node);

	free(la->host);
	free(la);
}

static void free_name(struct hnode *n, void *ctx)
{
	struct derived_name *dn = container_of(n, struct derived_name, node);

	free(dn->name);
	free(dn->origin);
	free(dn);
}

void allowlist__fini(struct allowlist *al)
{
	if (al->addrs.buckets)
		htable_for_each(&al->addrs, free_addr, NULL);
	if (al->names.buckets)
		htable_for_each(&al->names, free_name, NULL);
	htable_fini(&al->addrs);
	htable_fini(&al->names);
}

static struct derived_name *find_name(struct allowlist *al, const char *name)
{
	struct hnode *n = htable_find(
		&al->names, hash_bytes(name, strlen(name)), name, name_eq);

	return n ? container_of(n, struct derived_name, node) : NULL;
}

void allowlist__match_name(struct allowlist *al, const char *name,
			   struct verdict *v, const char **via)
{
	struct derived_name *dn;
	struct verdict derived;

	*via = NULL;
	policy__match_name(al->policy, name, v);
	dn = find_name(al, name);
	if (!dn)
		return;
	if (now_ns() >= dn->expires_ns) {
		htable_remove(&al->names, &dn->node);
		free_name(&dn->node, NULL);
		return;
	}
	/* A deny rule for the name itself still wins over its origin. */
	derived = dn->verdict;
	if (verdict_merge(al->policy->portsets, &derived, v))
		return;
	if (v->allow_set == MOAT_PORTSET_NONE)
		*via = dn->origin;
	*v = derived;
}

static struct learned_addr *find_addr(struct allowlist *al, const uint8_t *addr)
{
	struct hnode *n = htable_find(&al->addrs, hash_bytes(addr, ADDR_LEN),
				      addr, addr_eq);

	return n ? container_of(n, struct learned_addr, node) : NULL;
}

static struct learned_addr *get_addr(struct allowlist *al, const uint8_t *addr)
{
	struct learned_addr *la = find_addr(al, addr);

	if (la)
		return la;
	if (al->addrs.count >= ALLOWLIST_ADDRS_MAX)
		return NULL;
	la = calloc(1, sizeof(*la));
	if (!la)
		return NULL;
	memcpy(la->addr, addr, ADDR_LEN);
	la->verdict.allow_set = MOAT_PORTSET_NONE;
	la->verdict.deny_set = MOAT_PORTSET_NONE;
	la->verdict.allow_rule = MOAT_RULE_NONE;
	la->verdict.deny_rule = MOAT_RULE_NONE;
	la->node.hash = hash_bytes(addr, ADDR_LEN);
	htable_insert(&al->addrs, &la->node);
	return la;
}

static void set_host(struct learned_addr *la, const char *host)
{
	char *copy;

	if (la->host && !strcmp(la->host, host))
		return;
	copy = strdup(host);
	if (!copy)
		return; /* the old name is a fine answer, just stale */
	free(la->host);
	la->host = copy;
}

/* The address's entry as the classifier needs it: names and CIDRs. */
static int write_entry(struct allowlist *al, struct learned_addr *la,
		       const struct verdict *names)
{
	struct moat_entry entry;
	struct verdict full;
	int err;

	policy__match_addr(al->policy, la->addr, &full);
	err = verdict_merge(al->policy->portsets, &full, names);
	if (err || !al->dp)
		return err;
	verdict_to_entry(&full, &entry);
	/* The entry may name a set born in the merge: write sets first. */
	err = datapath__sync_portsets(al->dp, al->policy->portsets);
	if (!err)
		err = datapath__put_learned(al->dp, la->addr, &entry);
	return err;
}

int allowlist__learn(struct allowlist *al, const uint8_t *addr,
		     const char *host, const struct verdict *v)
{
	struct learned_addr *la = get_addr(al, addr);
	struct verdict merged;
	int err;

	if (!la)
		return -ENOMEM;
	set_host(la, host);
	merged = la->verdict;
	err = verdict_merge(al->policy->portsets, &merged, v);
	if (err)
		return err;
	if (la->in_datapath && !memcmp(&merged, &la->verdict, sizeof(merged)))
		return 0;

	err = write_entry(al, la, &merged);
	if (err == -ENOSPC)
		al->refused_full++;
	if (err)
		return err;
	if (!la->in_datapath)
		al->learned++;
	la->verdict = merged;
	la->in_datapath = true;
	return 0;
}

int allowlist__note(struct allowlist *al, const uint8_t *addr, const char *host)
{
	struct learned_addr *la = get_addr(al, addr);

	if (!la)
		return -ENOMEM;
	set_host(la, host);
	return 0;
}

struct sweep {
	struct allowlist *al;
	uint64_t now;
};

static void sweep_one(struct hnode *n, void *ctx)
{
	struct derived_name *dn = container_of(n, struct derived_name, node);
	struct sweep *sw = ctx;

	if (sw->now >= dn->expires_ns) {
		htable_remove(&sw->al->names, n);
		free_name(n, NULL);
	}
}

static void sweep_names(struct allowlist *al)
{
	struct sweep sw = { .al = al, .now = now_ns() };

	htable_for_each(&al->names, sweep_one, &sw);
}

int allowlist__derive(struct allowlist *al, const char *name,
		      const char *origin, const struct verdict *v, uint32_t ttl)
{
	struct derived_name *dn = find_name(al, name);
	uint64_t expires;

	if (ttl < ALLOWLIST_CNAME_TTL_FLOOR)
		ttl = ALLOWLIST_CNAME_TTL_FLOOR;
	expires = now_ns() + (uint64_t)ttl * 1000000000ULL;
	if (dn) {
		/* The latest answer's verdict and lifetime replace the old. */
		dn->verdict = *v;
		dn->expires_ns = expires;
		return 0;
	}
	if (al->names.count >= ALLOWLIST_NAMES_MAX)
		sweep_names(al);
	if (al->names.count >= ALLOWLIST_NAMES_MAX) {
		al->names_refused_full++;
		return -ENOSPC;
	}
	dn = calloc(1, sizeof(*dn));
	if (!dn)
		return -ENOMEM;
	dn->name = strdup(name);
	dn->origin = strdup(origin);
	if (!dn->name || !dn->origin) {
		free_name(&dn->node, NULL);
		return -ENOMEM;
	}
	dn->verdict = *v;
	dn->expires_ns = expires;
	dn->node.hash = hash_bytes(name, strlen(name));
	return htable_insert(&al->names, &dn->node);
}

const char *allowlist__host_of(struct allowlist *al, const uint8_t *addr)
{
	struct learned_addr *la = find_addr(al, addr);

	return la ? la->host : NULL;
}
