/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* allowlist.h - what DNS answers have allowed so far, in the kernel too */
#ifndef MOAT_ALLOWLIST_H
#define MOAT_ALLOWLIST_H

#include <stdint.h>

#include "htable.h"
#include "policy.h"

struct datapath;

/*
 * A CNAME target is allowed for its record's lifetime, but never less
 * than this: a chain with TTL 0 would otherwise expire between the answer
 * that names the target and the client's query for it.
 */
#define ALLOWLIST_CNAME_TTL_FLOOR 30
/* Bounds on what DNS traffic can make the daemon remember. */
#define ALLOWLIST_ADDRS_MAX 131072
#define ALLOWLIST_NAMES_MAX 16384
/*
 * A learned address lives for its record's TTL, but at least min_ttl, and
 * then grace more: clients cache answers past their TTL (and a TTL of 0
 * would expire before the connection), while a CDN may hand the address
 * to someone else later. An address with a live connection stays.
 */
#define ALLOWLIST_MIN_TTL_DEFAULT 60
#define ALLOWLIST_GRACE_DEFAULT 300
/* How long a live connection keeps an expired address before a recheck. */
#define ALLOWLIST_RECHECK_S 10
/* Expired addresses handled per sweep; the next sweep takes the rest. */
#define ALLOWLIST_SWEEP_MAX 4096

/*
 * Mark which of n addresses have a live connection. Returns 0, or a
 * negative errno when it cannot tell (then every address counts as live).
 */
typedef int (*allowlist_live_fn)(const uint8_t (*addrs)[ADDR_LEN], size_t n,
				 bool *live);

struct allowlist_opts {
	uint32_t min_ttl; /* seconds */
	uint32_t grace; /* seconds */
	uint32_t capacity; /* addresses the datapath holds */
	allowlist_live_fn live;
};

struct allowlist {
	struct policy *policy;
	struct datapath *dp; /* NULL: keep everything in userspace */
	struct allowlist_opts opts;
	struct htable addrs; /* struct learned_addr */
	struct htable names; /* struct derived_name */
	size_t in_datapath; /* addresses in the datapath now */
	uint64_t learned; /* addresses written to the datapath */
	uint64_t expired; /* addresses removed when their lifetime ended */
	uint64_t refused_full; /* addresses the datapath had no room for */
	uint64_t names_refused_full;
	bool live_failed; /* said once: connections cannot be seen */
};

/* opts NULL: the defaults, and no expiry of live connections' addresses. */
int allowlist__init(struct allowlist *al, struct policy *p, struct datapath *dp,
		    const struct allowlist_opts *opts);
void allowlist__fini(struct allowlist *al);

/*
 * What the rules, and the CNAME records of earlier allowed answers, say
 * about a name. *via is the name whose answer led to this one, or NULL.
 */
void allowlist__match_name(struct allowlist *al, const char *name,
			   struct verdict *v, const char **via);

/*
 * Allow an address as v says for ttl seconds (with the floor and grace of
 * the options), on
 * top of what it allowed already and what the CIDR rules say, and write
 * it to the datapath before returning. When the datapath is full, expired
 * addresses without a live connection make room first. Returns 0, -ENOSPC
 * when there is still no room, or another negative errno.
 */
int allowlist__learn(struct allowlist *al, const uint8_t *addr,
		     const char *host, const struct verdict *v, uint32_t ttl);

/* Remember which name led to an address for ttl seconds, allowing nothing. */
int allowlist__note(struct allowlist *al, const uint8_t *addr, const char *host,
		    uint32_t ttl);

/*
 * Remove the addresses whose lifetime is over and that no live connection
 * uses, from the datapath too. Returns how many went, or a negative errno.
 */
int allowlist__expire(struct allowlist *al);

/* Is the address allowed now, by an answer or by a CIDR rule? */
bool allowlist__allows_addr(struct allowlist *al, const uint8_t *addr);

/* Allow a CNAME target of an allowed name for ttl seconds. */
int allowlist__derive(struct allowlist *al, const char *name,
		      const char *origin, const struct verdict *v,
		      uint32_t ttl);

/* The name that led to an address, or NULL. */
const char *allowlist__host_of(struct allowlist *al, const uint8_t *addr);

#endif /* MOAT_ALLOWLIST_H */
