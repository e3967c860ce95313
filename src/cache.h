/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cache.h - the upstream's answers, kept for their lifetime, to answer again */
#ifndef MOAT_CACHE_H
#define MOAT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "htable.h"

/*
 * Bounds on what the cache holds: entries beyond the first are evicted
 * oldest first, answers bigger than what any client takes in one
 * datagram (RFC 9715's 1232 octets) are not kept, and no answer lives
 * longer than an hour, whatever its TTL says.
 */
#define CACHE_ENTRIES_MAX 4096
#define CACHE_MSG_MAX 1232
#define CACHE_TTL_MAX 3600

struct cache_entry;

struct cache {
	struct htable entries; /* struct cache_entry, by question and flags */
	struct cache_entry *oldest, *newest; /* in the order stored */
	size_t count;
	uint64_t hits;
	uint64_t stored;
};

int cache__init(struct cache *c);
void cache__fini(struct cache *c);

/*
 * Keep the upstream's answer to a query, which the proxy accepted (its
 * id, question and source checked, the policy applied), for the smallest
 * TTL of its records (RFC 2308's SOA minimum for a negative answer).
 * Only whole NOERROR and NXDOMAIN answers are kept; a truncated one, an
 * error, or one with no TTL to go by is not. Returns 0 or -ENOMEM.
 */
/* What of a query, beyond its question, an answer depends on. */
struct cache_query {
	const struct dns_question *q;
	uint16_t flags; /* the query's header flags (RD, CD) */
	bool edns; /* it carried an OPT record */
	bool dnssec_ok;
	const uint8_t *msg; /* the query itself, for its id and question */
};

int cache__store(struct cache *c, const struct cache_query *cq,
		 const uint8_t *answer, size_t answer_len, uint64_t now_ms);

/*
 * A kept answer to a query asked with the same question and the same
 * flags (RD, CD, EDNS and DO), copied into out with the query's id and
 * question bytes (the client's own letter case, which some resolvers
 * check) and every TTL lowered by the time it was kept. Returns its
 * length, or 0 when there is none alive or it is longer than out_len.
 */
size_t cache__answer(struct cache *c, const struct cache_query *cq,
		     uint8_t *out, size_t out_len, uint64_t now_ms);

#endif /* MOAT_CACHE_H */
