// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cache.c - the upstream's answers, kept for their lifetime, to answer again */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

/* Query flags an answer depends on, one bit each, in the key. */
#define KEY_RD 0x1
#define KEY_CD 0x2
#define KEY_EDNS 0x4
#define KEY_DO 0x8

/* The question's name, then type, class and flags: 5 octets. */
#define KEY_MAX (DNS_NAME_TEXT_MAX + 5)

struct cache_entry {
	struct hnode node;
	struct cache_entry *prev, *next; /* the order stored, oldest first */
	uint64_t stored_ms;
	uint64_t expires_ms;
	size_t question_end; /* where the answer's question ends */
	size_t key_len;
	size_t msg_len;
	uint8_t data[]; /* the key, then the message */
};

struct key {
	uint8_t bytes[KEY_MAX];
	size_t len;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int make_key(const struct cache_query *cq, struct key *k)
{
	const struct dns_question *q = cq->q;
	size_t name_len = strlen(q->name);
	uint8_t flags = 0;

	if (name_len + 5 > sizeof(k->bytes))
		return -EINVAL;
	flags |= cq->flags & DNS_FLAG_RD ? KEY_RD : 0;
	flags |= cq->flags & DNS_FLAG_CD ? KEY_CD : 0;
	flags |= cq->edns ? KEY_EDNS : 0;
	flags |= cq->dnssec_ok ? KEY_DO : 0;

	memcpy(k->bytes, q->name, name_len);
	k->bytes[name_len] = (uint8_t)(q->qtype >> 8);
	k->bytes[name_len + 1] = (uint8_t)q->qtype;
	k->bytes[name_len + 2] = (uint8_t)(q->qclass >> 8);
	k->bytes[name_len + 3] = (uint8_t)q->qclass;
	k->bytes[name_len + 4] = flags;
	k->len = name_len + 5;
	return 0;
}

static bool entry_eq(const struct hnode *n, const void *key)
{
	const struct cache_entry *e =
		container_of_const(n, struct cache_entry, node);
	const struct key *k = key;

	return e->key_len == k->len && !memcmp(e->data, k->bytes, k->len);
}

int cache__init(struct cache *c)
{
	memset(c, 0, sizeof(*c));
	return htable_init(&c->entries);
}

static void entry_unlink(struct cache *c, struct cache_entry *e)
{
	htable_remove(&c->entries, &e->node);
	if (e->prev)
		e->prev->next = e->next;
	else
		c->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->newest = e->prev;
	c->count--;
	free(e);
}

void cache__fini(struct cache *c)
{
	while (c->oldest)
		entry_unlink(c, c->oldest);
	htable_fini(&c->entries);
}

struct ttl_scan {
	uint32_t min;
	bool any;
};

/*
 * The answer lives as long as its shortest-lived record; for a negative
 * answer that includes the SOA's MINIMUM field (RFC 2308 5). The OPT
 * pseudo-record's "TTL" holds flags, not a lifetime.
 */
static void scan_ttl(uint8_t *msg, const struct dns_rr *rr, size_t ttl_off,
		     void *ctx)
{
	struct ttl_scan *scan = ctx;
	uint32_t ttl = rr->ttl;

	if (rr->type == DNS_TYPE_OPT)
		return;
	if (rr->type == DNS_TYPE_SOA && rr->rdlength >= 22 &&
	    get32(msg + rr->rdata + rr->rdlength - 4) < ttl)
		ttl = get32(msg + rr->rdata + rr->rdlength - 4);
	if (!scan->any || ttl < scan->min)
		scan->min = ttl;
	scan->any = true;
}

/* Worth keeping: whole, a name's answer or its absence, with a lifetime. */
static bool answer_keepable(uint8_t *msg, size_t len, uint32_t *ttl)
{
	struct ttl_scan scan = { 0 };
	struct dns_header hdr;

	if (len > CACHE_MSG_MAX || dns_parse_header(msg, len, &hdr) ||
	    (hdr.flags & DNS_FLAG_TC) ||
	    (DNS_RCODE(hdr.flags) != DNS_RCODE_NOERROR &&
	     DNS_RCODE(hdr.flags) != DNS_RCODE_NXDOMAIN))
		return false;
	if (dns_for_each_rr(msg, len, scan_ttl, &scan) || !scan.any ||
	    !scan.min)
		return false;
	*ttl = scan.min < CACHE_TTL_MAX ? scan.min : CACHE_TTL_MAX;
	return true;
}

static struct cache_entry *entry_new(const struct key *k, const uint8_t *answer,
				     size_t len)
{
	struct cache_entry *e = malloc(sizeof(*e) + k->len + len);

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->key_len = k->len;
	e->msg_len = len;
	memcpy(e->data, k->bytes, k->len);
	memcpy(e->data + k->len, answer, len);
	e->node.hash = hash_bytes(k->bytes, k->len);
	return e;
}

static int entry_link(struct cache *c, struct cache_entry *e)
{
	int err = htable_insert(&c->entries, &e->node);

	if (err) {
		free(e);
		return err;
	}
	e->prev = c->newest;
	if (c->newest)
		c->newest->next = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	return 0;
}

int cache__store(struct cache *c, const struct cache_query *cq,
		 const uint8_t *answer, size_t answer_len, uint64_t now_ms)
{
	struct dns_question aq;
	struct cache_entry *e;
	struct hnode *old;
	struct key k;
	uint32_t ttl;

	if (make_key(cq, &k) || dns_parse_question(answer, answer_len, &aq))
		return 0;
	e = entry_new(&k, answer, answer_len);
	if (!e)
		return -ENOMEM;
	if (!answer_keepable(e->data + k.len, answer_len, &ttl)) {
		free(e);
		return 0;
	}
	e->question_end = aq.end;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)ttl * 1000;

	old = htable_find(&c->entries, e->node.hash, &k, entry_eq);
	if (old)
		entry_unlink(c, container_of(old, struct cache_entry, node));
	while (c->count >= CACHE_ENTRIES_MAX)
		entry_unlink(c, c->oldest);
	c->stored++;
	return entry_link(c, e);
}

/* Every record's TTL lowered by the seconds the answer was kept. */
static void age_ttl(uint8_t *msg, const struct dns_rr *rr, size_t ttl_off,
		    void *ctx)
{
	uint32_t elapsed = *(const uint32_t *)ctx;

	if (rr->type != DNS_TYPE_OPT)
		put32(msg + ttl_off, rr->ttl > elapsed ? rr->ttl - elapsed : 0);
}

size_t cache__answer(struct cache *c, const struct cache_query *cq,
		     uint8_t *out, size_t out_len, uint64_t now_ms)
{
	const struct dns_question *q = cq->q;
	const uint8_t *query = cq->msg;
	struct cache_entry *e;
	struct hnode *n;
	uint32_t elapsed;
	struct key k;

	if (make_key(cq, &k))
		return 0;
	n = htable_find(&c->entries, hash_bytes(k.bytes, k.len), &k, entry_eq);
	if (!n)
		return 0;
	e = container_of(n, struct cache_entry, node);
	if (now_ms >= e->expires_ms) {
		entry_unlink(c, e);
		return 0;
	}
	/* Equal names are equally long: only the letter case may differ. */
	if (e->msg_len > out_len || e->question_end != q->end)
		return 0;

	memcpy(out, e->data + e->key_len, e->msg_len);
	memcpy(out, query, 2); /* the query's id */
	memcpy(out + DNS_HEADER_LEN, query + DNS_HEADER_LEN,
	       q->end - DNS_HEADER_LEN);
	elapsed = (uint32_t)((now_ms - e->stored_ms) / 1000);
	if (elapsed && dns_for_each_rr(out, e->msg_len, age_ttl, &elapsed))
		return 0;
	c->hits++;
	return e->msg_len;
}
