// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_portset.c - port lists, interned sets, addresses and endpoints */
#include <netinet/in.h>

#include "addr.h"
#include "hostmatch.h"
#include "portset.h"
#include "test.h"

static void test_portlist_parse(void)
{
	struct port_spec s[PORTLIST_MAX];
	const char *why;
	size_t n;

	ASSERT_OK(portlist_parse("443;80/tcp;53/udp;443", s, PORTLIST_MAX, &n,
				 &why),
		  "parse");
	ASSERT_EQ(n, 4, "443 both, 80 tcp, 53 udp, duplicate folded");
	ASSERT_EQ(s[0].port, 53, "sorted");
	ASSERT_EQ(s[0].proto, IPPROTO_UDP, "53/udp");
	ASSERT_EQ(s[1].port, 80, "80");
	ASSERT_EQ(s[2].port, 443, "443");
	ASSERT_EQ(s[2].proto, IPPROTO_TCP, "443/tcp first");
	ASSERT_EQ(s[3].proto, IPPROTO_UDP, "443/udp");
}

static void test_portlist_errors(void)
{
	static const char *const bad[] = { "",	  "0",	    "65536",   "-1",
					   "abc", "80/",    "80/icmp", ";80",
					   "80;", "1-1024", " 80",     "80 " };
	struct port_spec s[PORTLIST_MAX];
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(portlist_parse(bad[i], s, PORTLIST_MAX, &n, &why),
			  -EINVAL, bad[i]);
	ASSERT_EQ(portlist_parse("1;2;3", s, 4, &n, &why), -EINVAL, "too many");
}

static void test_portsets_intern_and_union(void)
{
	struct port_spec a[] = { { 443, IPPROTO_TCP }, { 80, IPPROTO_TCP } };
	struct port_spec b[] = { { 80, IPPROTO_TCP }, { 443, IPPROTO_TCP } };
	struct port_spec c[] = { { 53, IPPROTO_UDP } };
	struct portsets *ps = portsets__new();
	uint32_t ia, ib, ic, u, u2;
	char buf[128];

	ASSERT_TRUE(ps, "new");
	ASSERT_OK(portsets__intern(ps, a, 2, &ia), "a");
	ASSERT_OK(portsets__intern(ps, b, 2, &ib), "b");
	ASSERT_EQ(ia, ib, "equal sets share an id");
	ASSERT_TRUE(ia >= 2, "not a fixed id");
	ASSERT_OK(portsets__intern(ps, c, 1, &ic), "c");
	ASSERT_OK(portsets__union(ps, ia, ic, &u), "union");
	ASSERT_OK(portsets__union(ps, ic, ia, &u2), "union reversed");
	ASSERT_EQ(u, u2, "commutative");
	ASSERT_TRUE(portsets__has(ps, u, 53, IPPROTO_UDP), "53/udp");
	ASSERT_TRUE(portsets__has(ps, u, 443, IPPROTO_TCP), "443/tcp");
	ASSERT_FALSE(portsets__has(ps, u, 53, IPPROTO_TCP), "53/tcp");
	ASSERT_STREQ(portsets__format(ps, u, buf, sizeof(buf)),
		     "53/udp;80/tcp;443/tcp", "format");
	ASSERT_OK(portsets__union(ps, u, MOAT_PORTSET_ALL, &u2), "all");
	ASSERT_EQ(u2, MOAT_PORTSET_ALL, "all absorbs");
	ASSERT_OK(portsets__union(ps, MOAT_PORTSET_NONE, ic, &u2), "none");
	ASSERT_EQ(u2, ic, "none is neutral");
	ASSERT_OK(portsets__intern(ps, a, 0, &u2), "empty");
	ASSERT_EQ(u2, MOAT_PORTSET_NONE, "empty is none");
	ASSERT_TRUE(portsets__has(ps, MOAT_PORTSET_ALL, 1, 17), "all has");
	ASSERT_FALSE(portsets__has(ps, MOAT_PORTSET_NONE, 1, 17), "none");
	portsets__free(ps);
}

static void test_addr_and_endpoints(void)
{
	struct endpoint ep;
	struct cidr c;
	uint8_t a[ADDR_LEN];
	char buf[ADDR_TEXT_MAX];
	const char *why;

	ASSERT_OK(addr_parse("192.0.2.1", a), "v4");
	ASSERT_TRUE(addr_is_v4(a), "mapped");
	ASSERT_STREQ(addr_format(a, buf, sizeof(buf)), "192.0.2.1", "text");
	ASSERT_OK(addr_parse("2001:db8::1", a), "v6");
	ASSERT_FALSE(addr_is_v4(a), "not mapped");
	ASSERT_EQ(addr_parse("2001:db8::1%eth0", a), -EINVAL, "scoped");

	ASSERT_OK(endpoint_parse("192.0.2.53", 53, &ep, &why), "bare v4");
	ASSERT_STREQ(endpoint_format(&ep, buf, sizeof(buf)), "192.0.2.53:53",
		     "v4 text");
	ASSERT_OK(endpoint_parse("[2001:db8::53]:5353", 53, &ep, &why), "v6");
	ASSERT_STREQ(endpoint_format(&ep, buf, sizeof(buf)),
		     "[2001:db8::53]:5353", "v6 text");
	ASSERT_OK(endpoint_parse("2001:db8::53", 53, &ep, &why), "bare v6");
	ASSERT_EQ(ep.port, 53, "default port");
	ASSERT_EQ(endpoint_parse("192.0.2.1:0", 53, &ep, &why), -EINVAL, "0");
	ASSERT_EQ(endpoint_parse("[192.0.2.1]:53", 53, &ep, &why), -EINVAL,
		  "brackets v4");
	ASSERT_EQ(endpoint_parse("[::1", 53, &ep, &why), -EINVAL, "bracket");

	ASSERT_OK(cidr_parse("10.0.0.0/8", &c, &why), "cidr");
	ASSERT_EQ(c.prefixlen, 96 + 8, "mapped length");
	ASSERT_OK(addr_parse("10.200.1.1", a), "inside");
	ASSERT_TRUE(cidr_contains(&c, a), "contains");
	ASSERT_OK(addr_parse("11.0.0.1", a), "outside");
	ASSERT_FALSE(cidr_contains(&c, a), "outside");
	ASSERT_OK(addr_parse("::ffff:10.0.0.1", a), "mapped literal");
	ASSERT_OK(cidr_parse("0.0.0.0/0", &c, &why), "v4 default");
	ASSERT_OK(addr_parse("2001:db8::1", a), "v6 addr");
	ASSERT_FALSE(cidr_contains(&c, a), "v4 /0 holds no IPv6");
}

/* Many rules, and a name that matches through several of them. */
static void test_hostmatch_many_rules(void)
{
	struct hostmatch *hm = hostmatch__new();
	struct hostmatch_hit hits[8];
	char pattern[64];
	uint32_t i;

	ASSERT_TRUE(hm, "new");
	for (i = 0; i < 10000; i++) {
		snprintf(pattern, sizeof(pattern), "host%u.example%u.com", i,
			 i % 97);
		ASSERT_OK(hostmatch__add(hm, pattern, i), pattern);
	}
	ASSERT_OK(hostmatch__add(hm, "*.example5.com", 20000), "star");
	ASSERT_OK(hostmatch__add(hm, "**.com", 20001), "dstar");
	ASSERT_EQ(hostmatch__add(hm, "a..b", 1), -EINVAL, "empty label");

	ASSERT_EQ(hostmatch__match(hm, "host5.example5.com", hits, 8), 3,
		  "exact, star and dstar");
	ASSERT_EQ(hostmatch__match(hm, "www.host5.example5.com", hits, 8), 2,
		  "subtree of exact, and dstar");
	ASSERT_EQ(hostmatch__match(hm, "host5.example6.com", hits, 8), 1,
		  "dstar only");
	ASSERT_EQ(hostmatch__match(hm, "example.org", hits, 8), 0, "none");
	hostmatch__free(hm);
}

/* What a DNS rebinding answer may point at, and what it may not. */
static void test_local_scope_addresses(void)
{
	static const char *const local[] = {
		"127.0.0.1",
		"127.255.0.9",
		"0.0.0.0",
		"169.254.169.254",
		"169.254.1.1",
		"224.0.0.251",
		"239.1.2.3",
		"255.255.255.255",
		"100.100.100.200",
		"::1",
		"::",
		"fe80::1",
		"febf::1",
		"ff02::1",
		"fd00:ec2::254",
	};
	static const char *const remote[] = {
		"198.51.100.10",   "10.0.0.1",
		"192.168.1.1",	   "100.100.100.201",
		"126.255.255.255", "128.0.0.1",
		"fec0::1",	   "2001:db8::1",
		"fd00:ec2::253",   "::2",
	};
	uint8_t a[ADDR_LEN];
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		ASSERT_OK(addr_parse(local[i], a), local[i]);
		ASSERT_TRUE(addr_is_local_scope(a), local[i]);
	}
	for (i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
		ASSERT_OK(addr_parse(remote[i], a), remote[i]);
		ASSERT_FALSE(addr_is_local_scope(a), remote[i]);
	}
}

static const struct test_case cases[] = {
	TEST(test_portlist_parse),
	TEST(test_portlist_errors),
	TEST(test_portsets_intern_and_union),
	TEST(test_addr_and_endpoints),
	TEST(test_hostmatch_many_rules),
	TEST(test_local_scope_addresses),
};

TEST_MAIN("portset", cases)
