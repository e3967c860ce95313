/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* hostmatch.h - match names against many hostname patterns at once */
#ifndef MOAT_HOSTMATCH_H
#define MOAT_HOSTMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most labels a name can have: 255 octets of one-byte labels. */
#define HOSTMATCH_LABELS_MAX 128

/*
 * Patterns live in a trie of labels walked from the top-level domain down,
 * so the cost of a match grows with the name's depth, not with the number
 * of patterns. A pattern of literal labels ("example.com") matches itself
 * and every name under it; "*" matches exactly one label and "**" one or
 * more, and a pattern with a wildcard matches names of its own shape only.
 * Patterns and names are lower case without a trailing dot; a name's
 * labels are separated by dots, with any dot inside a label escaped.
 */
struct hostmatch;

struct hostmatch_hit {
	uint32_t id; /* what hostmatch__add() was given */
	uint8_t depth; /* labels of the name the pattern covered */
	bool exact; /* the pattern covered the whole name */
};

struct hostmatch *hostmatch__new(void);
void hostmatch__free(struct hostmatch *hm);

/* Returns 0, -EINVAL for an empty label, or -ENOMEM. */
int hostmatch__add(struct hostmatch *hm, const char *pattern, uint32_t id);

/*
 * Every pattern matching name, up to max hits in hits; returns how many
 * matched, which may exceed max. Not safe to call from two threads at once
 * on one hostmatch: the walk keeps its scratch state inside it.
 */
size_t hostmatch__match(struct hostmatch *hm, const char *name,
			struct hostmatch_hit *hits, size_t max);

#endif /* MOAT_HOSTMATCH_H */
