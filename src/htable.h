/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* htable.h - a chained hash table of nodes embedded in their owners */
#ifndef MOAT_HTABLE_H
#define MOAT_HTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))
#define container_of_const(ptr, type, member) \
	((const type *)((const char *)(ptr)-offsetof(type, member)))

struct hnode {
	struct hnode *next;
	uint32_t hash;
};

struct htable {
	struct hnode **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

typedef bool (*htable_eq_fn)(const struct hnode *node, const void *key);

int htable_init(struct htable *t);
/* Frees the buckets only; the caller owns the nodes. */
void htable_fini(struct htable *t);

struct hnode *htable_find(const struct htable *t, uint32_t hash,
			  const void *key, htable_eq_fn eq);
/* Insert a node whose hash is set; grows the table. 0 or -ENOMEM. */
int htable_insert(struct htable *t, struct hnode *node);
void htable_remove(struct htable *t, struct hnode *node);

/* Visit every node; fn may remove the node it is given. */
void htable_for_each(struct htable *t, void (*fn)(struct hnode *, void *),
		     void *ctx);

uint32_t hash_bytes(const void *data, size_t len);

#endif /* MOAT_HTABLE_H */
