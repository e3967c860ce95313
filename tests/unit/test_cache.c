// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_cache.c - what the answer cache keeps, for how long, and returns */
#include <stdlib.h>

#include "cache.h"
#include "dnsmsg.h"
#include "test.h"

#define S 1000 /* milliseconds */

struct exchange {
	struct msg query, answer;
	struct dns_question q;
	struct cache_query key;
};

/* A query for name (as the client wrote it) and, with RD set, no EDNS. */
static void make_query(struct exchange *x, const char *name, uint16_t type,
		       uint16_t id)
{
	m_header(&x->query, id, DNS_FLAG_RD, 1, 0, 0, 0);
	m_question(&x->query, name, type);
	dns_parse_question(x->query.b, x->query.len, &x->q);
	x->key = (struct cache_query){ .q = &x->q,
				       .flags = DNS_FLAG_RD,
				       .msg = x->query.b };
}

/* allowed.test: two A records, TTLs 300 and 60. */
static void make_answer(struct exchange *x, uint16_t flags)
{
	m_header(&x->answer, 0x1111,
		 (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RD | flags), 1, 2, 0, 0);
	m_question(&x->answer, "allowed.test", DNS_TYPE_A);
	m_a(&x->answer, "allowed.test", 300, "192.0.2.10");
	m_a(&x->answer, "allowed.test", 60, "192.0.2.11");
}

static uint32_t ttl_at(const uint8_t *msg, size_t len, unsigned int record)
{
	struct dns_question q;
	struct dns_rr rr;
	size_t off;
	unsigned int i;

	dns_parse_question(msg, len, &q);
	off = q.end;
	for (i = 0; i <= record; i++)
		if (dns_read_rr(msg, len, &off, &rr))
			return 0xffffffffu;
	return rr.ttl;
}

static void test_answers_with_the_askers_id_and_case(void)
{
	struct exchange x, y;
	struct cache c;
	uint8_t out[CACHE_MSG_MAX];
	size_t n;

	ASSERT_OK(cache__init(&c), "init");
	make_query(&x, "allowed.test", DNS_TYPE_A, 0x1234);
	make_answer(&x, 0);
	ASSERT_OK(cache__store(&c, &x.key, x.answer.b, x.answer.len, 0),
		  "store");
	make_query(&y, "AlLoWeD.TeSt", DNS_TYPE_A, 0xbeef);
	n = cache__answer(&c, &y.key, out, sizeof(out), 10 * S);
	ASSERT_EQ(n, x.answer.len, "hit");
	ASSERT_EQ(out[0] << 8 | out[1], 0xbeef, "the asker's id");
	ASSERT_TRUE(!memcmp(out + 12, y.query.b + 12, y.q.end - 12),
		    "the asker's letter case, byte for byte");
	ASSERT_EQ(ttl_at(out, n, 0), 290, "a TTL aged by ten seconds");
	ASSERT_EQ(ttl_at(out, n, 1), 50, "every TTL aged");
	ASSERT_EQ(c.hits, 1, "counted");
	cache__fini(&c);
}

static void test_lives_as_long_as_its_shortest_ttl(void)
{
	struct exchange x;
	struct cache c;
	uint8_t out[CACHE_MSG_MAX];

	ASSERT_OK(cache__init(&c), "init");
	make_query(&x, "allowed.test", DNS_TYPE_A, 1);
	make_answer(&x, 0);
	ASSERT_OK(cache__store(&c, &x.key, x.answer.b, x.answer.len, 0),
		  "store");
	ASSERT_TRUE(cache__answer(&c, &x.key, out, sizeof(out), 59 * S),
		    "alive at 59 s");
	ASSERT_FALSE(cache__answer(&c, &x.key, out, sizeof(out), 60 * S),
		     "gone at 60 s, the shorter TTL");
	ASSERT_EQ(c.count, 0, "and removed");
	cache__fini(&c);
}

/* An answer depends on RD, CD, EDNS and DO: each is a key of its own. */
static void test_flags_are_part_of_the_key(void)
{
	struct exchange x;
	struct cache c;
	uint8_t out[CACHE_MSG_MAX];
	struct cache_query other;

	ASSERT_OK(cache__init(&c), "init");
	make_query(&x, "allowed.test", DNS_TYPE_A, 1);
	make_answer(&x, 0);
	ASSERT_OK(cache__store(&c, &x.key, x.answer.b, x.answer.len, 0),
		  "store");
	other = x.key;
	other.edns = true;
	ASSERT_FALSE(cache__answer(&c, &other, out, sizeof(out), S), "EDNS");
	other = x.key;
	other.flags |= DNS_FLAG_CD;
	ASSERT_FALSE(cache__answer(&c, &other, out, sizeof(out), S), "CD");
	other = x.key;
	other.flags = 0;
	ASSERT_FALSE(cache__answer(&c, &other, out, sizeof(out), S), "no RD");
	make_query(&x, "allowed.test", DNS_TYPE_AAAA, 1);
	ASSERT_FALSE(cache__answer(&c, &x.key, out, sizeof(out), S),
		     "another type");
	cache__fini(&c);
}

static void test_keeps_only_whole_good_answers(void)
{
	struct exchange x;
	struct cache c;
	uint8_t out[CACHE_MSG_MAX];

	ASSERT_OK(cache__init(&c), "init");
	make_query(&x, "allowed.test", DNS_TYPE_A, 1);
	make_answer(&x, DNS_FLAG_TC);
	cache__store(&c, &x.key, x.answer.b, x.answer.len, 0);
	ASSERT_FALSE(cache__answer(&c, &x.key, out, sizeof(out), S),
		     "a truncated answer is not kept");
	make_answer(&x, DNS_RCODE_SERVFAIL);
	cache__store(&c, &x.key, x.answer.b, x.answer.len, 0);
	ASSERT_FALSE(cache__answer(&c, &x.key, out, sizeof(out), S),
		     "nor an error");
	make_answer(&x, 0);
	cache__store(&c, &x.key, x.answer.b, x.answer.len, 0);
	ASSERT_FALSE(cache__answer(&c, &x.key, out, 40, S),
		     "nor is one given to a client it would not fit");
	ASSERT_EQ(c.stored, 1, "only the good one was stored");
	cache__fini(&c);
}

/* RFC 2308: a negative answer lives min(SOA TTL, SOA MINIMUM). */
static void test_negative_answer_lives_its_soa_minimum(void)
{
	struct exchange x;
	struct cache c;
	uint8_t out[CACHE_MSG_MAX];
	size_t start;

	ASSERT_OK(cache__init(&c), "init");
	make_query(&x, "nothing.test", DNS_TYPE_A, 1);
	m_header(&x.answer, 1, DNS_FLAG_QR | DNS_FLAG_RD | DNS_RCODE_NXDOMAIN,
		 1, 0, 1, 0);
	m_question(&x.answer, "nothing.test", DNS_TYPE_A);
	m_name(&x.answer, "test");
	m_rr_fixed(&x.answer, DNS_TYPE_SOA, 3600, 0);
	start = x.answer.len;
	m_name(&x.answer, "ns.test");
	m_name(&x.answer, "hostmaster.test");
	m_u32(&x.answer, 1);
	m_u32(&x.answer, 7200);
	m_u32(&x.answer, 900);
	m_u32(&x.answer, 86400);
	m_u32(&x.answer, 30); /* MINIMUM */
	x.answer.b[start - 1] = (uint8_t)(x.answer.len - start);
	ASSERT_OK(cache__store(&c, &x.key, x.answer.b, x.answer.len, 0),
		  "store");
	ASSERT_TRUE(cache__answer(&c, &x.key, out, sizeof(out), 29 * S),
		    "alive at 29 s");
	ASSERT_FALSE(cache__answer(&c, &x.key, out, sizeof(out), 30 * S),
		     "gone at the SOA minimum, not its hour");
	cache__fini(&c);
}

static void test_bounded(void)
{
	char name[64];
	struct exchange x;
	struct cache c;
	int i;

	ASSERT_OK(cache__init(&c), "init");
	make_answer(&x, 0);
	for (i = 0; i < CACHE_ENTRIES_MAX + 100; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		make_query(&x, name, DNS_TYPE_A, 1);
		ASSERT_OK(cache__store(&c, &x.key, x.answer.b, x.answer.len, 0),
			  "store");
	}
	ASSERT_EQ(c.count, CACHE_ENTRIES_MAX, "no more than the bound");
	cache__fini(&c);
}

static const struct test_case cases[] = {
	TEST(test_answers_with_the_askers_id_and_case),
	TEST(test_lives_as_long_as_its_shortest_ttl),
	TEST(test_flags_are_part_of_the_key),
	TEST(test_keeps_only_whole_good_answers),
	TEST(test_negative_answer_lives_its_soa_minimum),
	TEST(test_bounded),
};

TEST_MAIN("cache", cases)
