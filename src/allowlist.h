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

struct allowlist {
	struct policy *policy;
	struct datapath *dp; /* NULL: keep everything in userspace */
	struct htable addrs; /* struct learned_addr */
	struct htable names; /* struct derived_name */
	uint64_t learned; /* addresses written to the datapath */
	uint64_t refused_full; /* addresses the datapath had no room for */
	uint64_t names_refused_full;
};

int allowlist__init(struct allowlist *al, struct policy *p,
		    struct datapath *dp);
void allowlist__fini(struct allowlist *al);

/*
 * What the rules, and the CNAME records of earlier allowed answers, say
 * about a name. *via is the name whose answer led to this one, or NULL.
 */
void allowlist__match_name(struct allowlist *al, const char *name,
			   struct verdict *v, const char **via);

/*
 * Allow an address as v says, on top of what it allowed already and what
 * the CIDR rules say, and write it to the datapath before returning.
 * Returns 0, -ENOSPC when the datapath is full, or another negative errno.
 */
int allowlist__learn(struct allowlist *al, const uint8_t *addr,
		     const char *host, const struct verdict *v);

/* Remember which name led to an address, allowing nothing. */
int allowlist__note(struct allowlist *al, const uint8_t *addr,
		    const char *host);

/* Allow a CNAME target of an allowed name for ttl seconds. */
int allowlist__derive(struct allowlist *al, const char *name,
		      const char *origin, const struct verdict *v,
		      uint32_t ttl);

/* The name that led to an address, or NULL. */
const char *allowlist__host_of(struct allowlist *al, const uint8_t *addr);

#endif /* MOAT_ALLOWLIST_H */
