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
	uint64_t expires_ns; /* CLOCK_MONOTONIC */
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

int allowlist__init(struct allowlist *al, struct policy *p, struct datapath *dp,
		    const struct allowlist_opts *opts)
{
	int err;

	memset(al, 0, sizeof(*al));
	al->policy = p;
	al->dp = dp;
	al->opts.min_ttl = ALLOWLIST_MIN_TTL_DEFAULT;
	al->opts.grace = ALLOWLIST_GRACE_DEFAULT;
	if (opts)
		al->opts = *opts;
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
		allowlist__expire(al);
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

/* A later answer can lengthen an address's life, never shorten it. */
static void extend_life(struct allowlist *al, struct learned_addr *la,
			uint32_t ttl)
{
	uint64_t expires;

	if (ttl < al->opts.min_ttl)
		ttl = al->opts.min_ttl;
	expires = now_ns() + ((uint64_t)ttl + al->opts.grace) * 1000000000ULL;
	if (expires > la->expires_ns)
		la->expires_ns = expires;
}

static void drop_addr(struct allowlist *al, struct learned_addr *la)
{
	if (la->in_datapath)
		al->in_datapath--;
	htable_remove(&al->addrs, &la->node);
	free_addr(&la->node, NULL);
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

/* The datapath is full: expired addresses nobody uses make room. */
static bool room_for_one(struct allowlist *al)
{
	if (!al->opts.capacity || al->in_datapath < al->opts.capacity)
		return true;
	allowlist__expire(al);
	return al->in_datapath < al->opts.capacity;
}

int allowlist__learn(struct allowlist *al, const uint8_t *addr,
		     const char *host, const struct verdict *v, uint32_t ttl)
{
	struct learned_addr *la = get_addr(al, addr);
	struct verdict merged;
	int err;

	if (!la)
		return -ENOMEM;
	set_host(la, host);
	extend_life(al, la, ttl);
	merged = la->verdict;
	err = verdict_merge(al->policy->portsets, &merged, v);
	if (err)
		return err;
	if (la->in_datapath && !memcmp(&merged, &la->verdict, sizeof(merged)))
		return 0;

	err = la->in_datapath || room_for_one(al) ?
		      write_entry(al, la, &merged) :
		      -ENOSPC;
	if (err == -ENOSPC)
		al->refused_full++;
	if (err)
		return err;
	if (!la->in_datapath) {
		al->learned++;
		al->in_datapath++;
	}
	la->verdict = merged;
	la->in_datapath = true;
	return 0;
}

int allowlist__note(struct allowlist *al, const uint8_t *addr, const char *host,
		    uint32_t ttl)
{
	struct learned_addr *la = get_addr(al, addr);

	if (!la)
		return -ENOMEM;
	set_host(la, host);
	extend_life(al, la, ttl);
	return 0;
}

struct expiry {
	struct allowlist *al;
	uint64_t now;
	struct learned_addr **due;
	size_t count;
};

static void collect_due(struct hnode *n, void *ctx)
{
	struct learned_addr *la = container_of(n, struct learned_addr, node);
	struct expiry *ex = ctx;

	if (la->expires_ns <= ex->now && ex->count < ALLOWLIST_SWEEP_MAX)
		ex->due[ex->count++] = la;
}

/*
 * Which due addresses still carry a connection. When that cannot be
 * told, they all do: cutting live connections would be worse than
 * keeping an address a while longer.
 */
static int mark_live(struct allowlist *al, struct expiry *ex, bool *live)
{
	uint8_t(*addrs)[ADDR_LEN];
	size_t i;
	int err;

	if (!al->opts.live)
		return 0;
	addrs = calloc(ex->count, ADDR_LEN);
	if (!addrs)
		return -ENOMEM;
	for (i = 0; i < ex->count; i++)
		memcpy(addrs[i], ex->due[i]->addr, ADDR_LEN);
	err = al->opts.live((const uint8_t(*)[ADDR_LEN])addrs, ex->count, live);
	free(addrs);
	if (err && !al->live_failed) {
		pr_warn("cannot see live connections: %s; expired addresses stay allowed",
			errstr(err));
		al->live_failed = true;
	}
	return err;
}

int allowlist__expire(struct allowlist *al)
{
	struct expiry ex = { .al = al, .now = now_ns() };
	bool *live = NULL;
	size_t i, gone = 0;
	int err = 0;

	ex.due = calloc(ALLOWLIST_SWEEP_MAX, sizeof(*ex.due));
	if (!ex.due)
		return -ENOMEM;
	htable_for_each(&al->addrs, collect_due, &ex);
	if (ex.count)
		live = calloc(ex.count, sizeof(*live));
	if (ex.count && !live)
		err = -ENOMEM;
	if (!err && ex.count && mark_live(al, &ex, live))
		goto out; /* all kept, as if live */

	for (i = 0; !err && i < ex.count; i++) {
		struct learned_addr *la = ex.due[i];

		if (live[i]) {
			la->expires_ns =
				ex.now + ALLOWLIST_RECHECK_S * 1000000000ULL;
			continue;
		}
		if (la->in_datapath && al->dp)
			err = datapath__del_learned(al->dp, la->addr);
		if (err)
			break;
		if (la->in_datapath)
			al->expired++;
		drop_addr(al, la);
		gone++;
	}
out:
	free(live);
	free(ex.due);
	return err ? err : (int)gone;
}

bool allowlist__allows_addr(struct allowlist *al, const uint8_t *addr)
{
	struct learned_addr *la = find_addr(al, addr);
	struct verdict v;

	if (la && la->in_datapath)
		return true;
	policy__match_addr(al->policy, addr, &v);
	return v.allow_set != MOAT_PORTSET_NONE &&
	       v.deny_set != MOAT_PORTSET_ALL;
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
