/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* portset.h - port lists as rules write them, interned as numbered sets */
#ifndef MOAT_PORTSET_H
#define MOAT_PORTSET_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat.h"

/* The most ports one rule may list. */
#define PORTLIST_MAX 64

/* One (port, protocol) pair; protocol is IPPROTO_TCP or IPPROTO_UDP. */
struct port_spec {
	uint16_t port;
	uint8_t proto;
};

/*
 * Parse a rule's port list, "443", "80;443" or "53/udp;853/tcp": PORT
 * without a protocol means both TCP and UDP. The result is sorted and
 * unique. Returns 0, or -EINVAL with *why naming the problem.
 */
int portlist_parse(const char *text, struct port_spec *out, size_t max,
		   size_t *count, const char **why);

/*
 * Interned sets: equal sets share one id, so the datapath stores each set
 * once and an address allowed by several rules carries the id of the
 * union. MOAT_PORTSET_NONE and MOAT_PORTSET_ALL are fixed ids.
 */
struct portsets;

struct portsets *portsets__new(void);
void portsets__free(struct portsets *ps);

/* The id of a set; an empty list is MOAT_PORTSET_NONE. 0 or -ENOMEM. */
int portsets__intern(struct portsets *ps, const struct port_spec *specs,
		     size_t count, uint32_t *id);
int portsets__union(struct portsets *ps, uint32_t a, uint32_t b, uint32_t *id);
bool portsets__has(const struct portsets *ps, uint32_t id, uint16_t port,
		   uint8_t proto);
const struct port_spec *portsets__members(const struct portsets *ps,
					  uint32_t id, size_t *count);
/* Ids run from 0 to portsets__count() - 1. */
uint32_t portsets__count(const struct portsets *ps);

/* "all", "none", or the rule syntax: "443/tcp;53". */
const char *portsets__format(const struct portsets *ps, uint32_t id, char *buf,
			     size_t len);

#endif /* MOAT_PORTSET_H */
