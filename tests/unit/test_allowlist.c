// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_allowlist.c - learned addresses: lifetimes, live connections, room */
#include "addr.h"
#include "allowlist.h"
#include "test.h"

static struct policy pol;
static struct allowlist al;

/* The address that the live-connection check reports in use, if any. */
static uint8_t live_addr[ADDR_LEN];
static bool live_set, live_fails;

static int live_check(const uint8_t (*addrs)[ADDR_LEN], size_t n, bool *live)
{
	size_t i;

	if (live_fails)
		return -EACCES;
	for (i = 0; i < n; i++)
		live[i] = live_set && !memcmp(addrs[i], live_addr, ADDR_LEN);
	return 0;
}

/* Room for two addresses, and a floor and grace for their lifetimes. */
static bool setup_with(uint32_t min_ttl, uint32_t grace)
{
	struct allowlist_opts opts = { .min_ttl = min_ttl,
				       .grace = grace,
				       .capacity = 2,
				       .live = live_check };
	char err[POLICY_ERR_MAX];

	live_set = live_fails = false;
	policy__init(&pol);
	if (policy__add_rule(&pol, RULE_ALLOW, RULE_HOST, "lab.test", "--allow",
			     err, sizeof(err)) ||
	    allowlist__init(&al, &pol, NULL, &opts)) {
		test__fail("setup");
		policy__fini(&pol);
		return false;
	}
	return true;
}

/* A lifetime of exactly the record's TTL. */
static bool setup(void)
{
	return setup_with(0, 0);
}

static void teardown(void)
{
	allowlist__fini(&al);
	policy__fini(&pol);
}

static int learn(const char *text, uint32_t ttl)
{
	uint8_t addr[ADDR_LEN];
	struct verdict v;

	addr_parse(text, addr);
	policy__match_name(&pol, "host.lab.test", &v);
	return allowlist__learn(&al, addr, "host.lab.test", &v, ttl);
}

static bool allows(const char *text)
{
	uint8_t addr[ADDR_LEN];

	addr_parse(text, addr);
	return allowlist__allows_addr(&al, addr);
}

/* TTL 0 has expired by the time the next answer comes. */
static void test_full_map_evicts_expired_first(void)
{
	if (!setup())
		return;
	ASSERT_OK(learn("192.0.2.1", 0), "an address already expired");
	ASSERT_OK(learn("192.0.2.2", 3600), "a lasting one");
	ASSERT_OK(learn("192.0.2.3", 3600), "the expired one makes room");
	ASSERT_FALSE(allows("192.0.2.1"), "evicted");
	ASSERT_TRUE(allows("192.0.2.3"), "learned in its place");
	ASSERT_EQ(learn("192.0.2.4", 3600), -ENOSPC, "no room left");
	ASSERT_FALSE(allows("192.0.2.4"), "refused");
	ASSERT_TRUE(allows("192.0.2.2"), "the lasting one stays");
	ASSERT_EQ(al.refused_full, 1, "refusal counted");
	ASSERT_EQ(al.expired, 1, "expiry counted");
	teardown();
}

static void test_live_connection_keeps_an_address(void)
{
	if (!setup())
		return;
	ASSERT_OK(learn("192.0.2.1", 0), "expired, but in use");
	addr_parse("192.0.2.1", live_addr);
	live_set = true;
	ASSERT_EQ(allowlist__expire(&al), 0, "nothing goes");
	ASSERT_TRUE(allows("192.0.2.1"), "kept");
	live_set = false;
	/* Kept addresses are looked at again only after a while. */
	ASSERT_EQ(allowlist__expire(&al), 0, "not yet rechecked");
	ASSERT_TRUE(allows("192.0.2.1"), "still kept");
	teardown();
}

static void test_unknown_liveness_keeps_everything(void)
{
	if (!setup())
		return;
	ASSERT_OK(learn("192.0.2.1", 0), "expired");
	live_fails = true;
	ASSERT_EQ(allowlist__expire(&al), 0, "kept when use cannot be told");
	ASSERT_TRUE(allows("192.0.2.1"), "kept");
	live_fails = false;
	ASSERT_EQ(allowlist__expire(&al), 1, "gone once it can be told");
	ASSERT_FALSE(allows("192.0.2.1"), "gone");
	teardown();
}

static void test_later_answer_lengthens_life(void)
{
	if (!setup())
		return;
	ASSERT_OK(learn("192.0.2.1", 3600), "long");
	ASSERT_OK(learn("192.0.2.1", 0), "then short");
	ASSERT_EQ(allowlist__expire(&al), 0, "the longer life holds");
	ASSERT_TRUE(allows("192.0.2.1"), "allowed");
	ASSERT_EQ(al.learned, 1, "one address, learned once");
	teardown();
}

/*
 * A TTL below the floor lives as long as the floor: a client caches an
 * answer past a TTL of zero, and connects after it has run out.
 */
static void test_floor_outlives_a_short_ttl(void)
{
	if (!setup_with(60, 0))
		return;
	ASSERT_OK(learn("192.0.2.1", 0), "a TTL of zero");
	ASSERT_OK(learn("192.0.2.2", 5), "a TTL of five seconds");
	ASSERT_EQ(allowlist__expire(&al), 0, "the floor keeps both");
	ASSERT_TRUE(allows("192.0.2.1") && allows("192.0.2.2"), "allowed");
	teardown();
}

/* And a short TTL gets the grace on top, however short. */
static void test_grace_follows_the_ttl(void)
{
	if (!setup_with(0, 60))
		return;
	ASSERT_OK(learn("192.0.2.1", 0), "a TTL of zero");
	ASSERT_EQ(allowlist__expire(&al), 0, "kept for the grace");
	ASSERT_TRUE(allows("192.0.2.1"), "allowed");
	teardown();
}

static const struct test_case cases[] = {
	TEST(test_full_map_evicts_expired_first),
	TEST(test_live_connection_keeps_an_address),
	TEST(test_unknown_liveness_keeps_everything),
	TEST(test_later_answer_lengthens_life),
	TEST(test_floor_outlives_a_short_ttl),
	TEST(test_grace_follows_the_ttl),
};

TEST_MAIN("allowlist", cases)
