// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* htable.c - a chained hash table of nodes embedded in their owners */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "htable.h"

#define HTABLE_MIN_BUCKETS 64

int htable_init(struct htable *t)
{
	t->nbuckets = HTABLE_MIN_BUCKETS;
	t->count = 0;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void htable_fini(struct htable *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = 0;
	t->count = 0;
}

struct hnode *htable_find(const struct htable *t, uint32_t hash,
			  const void *key, htable_eq_fn eq)
{
	struct hnode *n;

	for (n = t->buckets[hash & (t->nbuckets - 1)]; n; n = n->next)
		if (n->hash == hash && eq(n, key))
			return n;
	return NULL;
}

static int htable_grow(struct htable *t)
{
	size_t nbuckets = t->nbuckets * 2, i;
	struct hnode **buckets = calloc(nbuckets, sizeof(*buckets));

	if (!buckets)
		return -ENOMEM;
	for (i = 0; i < t->nbuckets; i++) {
		struct hnode *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = buckets[n->hash & (nbuckets - 1)];
			buckets[n->hash & (nbuckets - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = buckets;
	t->nbuckets = nbuckets;
	return 0;
}

int htable_insert(struct htable *t, struct hnode *node)
{
	struct hnode **head;

	/* A full table still works, only slower; growth is best effort. */
	if (t->count >= t->nbuckets)
		htable_grow(t);
	head = &t->buckets[node->hash & (t->nbuckets - 1)];
	node->next = *head;
	*head = node;
	t->count++;
	return 0;
}

void htable_remove(struct htable *t, struct hnode *node)
{
	struct hnode **p = &t->buckets[node->hash & (t->nbuckets - 1)];

	for (; *p; p = &(*p)->next) {
		if (*p == node) {
			*p = node->next;
			t->count--;
			return;
		}
	}
}

void htable_for_each(struct htable *t, void (*fn)(struct hnode *, void *),
		     void *ctx)
{
	size_t i;

	for (i = 0; i < t->nbuckets; i++) {
		struct hnode *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			fn(n, ctx);
		}
	}
}

/*
 * SipHash-1-3 with a key drawn at start-up: names and addresses come from
 * DNS traffic an attacker shapes, and a fixed hash would let them pile
 * every entry into one bucket.
 */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static const uint64_t *hash_key(void)
{
	static uint64_t key[2];
	static bool ready;

	if (!ready) {
		if (getrandom(key, sizeof(key), 0) != sizeof(key))
			key[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid();
		ready = true;
	}
	return key;
}

uint32_t hash_bytes(const void *data, size_t len)
{
	const uint64_t *k = hash_key();
	const uint8_t *p = data;
	uint64_t v[4] = { k[0] ^ 0x736f6d6570736575ULL,
			  k[1] ^ 0x646f72616e646f6dULL,
			  k[0] ^ 0x6c7967656e657261ULL,
			  k[1] ^ 0x7465646279746573ULL };
	uint64_t m, last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	for (; i < len; i++)
		last |= (uint64_t)p[i] << (8 * (i % 8));
	v[3] ^= last;
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	m = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(m ^ (m >> 32));
}
