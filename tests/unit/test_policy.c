// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_policy.c - rule parsing, name and address matching, policy files */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "policy.h"
#include "test.h"

static struct policy p;
static char err[POLICY_ERR_MAX];

static int add(enum rule_effect effect, enum rule_kind kind, const char *spec)
{
	return policy__add_rule(&p, effect, kind, spec, "--rule", err,
				sizeof(err));
}

static bool allows(const char *name, uint16_t port, uint8_t proto)
{
	struct verdict v;

	policy__match_name(&p, name, &v);
	return !verdict_refuses_name(&v) &&
	       verdict_allows(p.portsets, &v, port, proto);
}

static void test_host_rule_errors(void)
{
	static const struct {
		const char *spec;
		const char *message;
	} cases[] = {
		{ "foo*.com", "a wildcard must be a whole label" },
		{ "*foo.example.com", "a wildcard must be a whole label" },
		{ "a.***.com", "a wildcard must be a whole label" },
		{ "exa mple.com", "may hold only letters" },
		{ "example..com", "empty label" },
		{ ".example.com", "empty label" },
		{ "", "the hostname is empty" },
		{ ".", "the hostname is empty" },
		{ "192.0.2.1", "use --allow-cidr" },
		{ "2001:db8::1", "use --allow-cidr" },
		{ "example.com:0", "from 1 to 65535" },
		{ "example.com:65536", "from 1 to 65535" },
		{ "example.com:http", "from 1 to 65535" },
		{ "example.com:80-90", "port ranges are not supported" },
		{ "example.com:53/sctp", "must be 'tcp' or 'udp'" },
		{ "example.com:", "port list after ':' is empty" },
		{ "example.com:443;", "empty item" },
		{ "example.com:443;;80", "empty item" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
		  "longer than 63" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(add(RULE_ALLOW, RULE_HOST, cases[i].spec), -EINVAL,
			  cases[i].spec);
		ASSERT_CONTAINS(err, cases[i].message, cases[i].spec);
		/* The message names where the rule came from, and the rule. */
		ASSERT_CONTAINS(err, "--rule", cases[i].spec);
	}
	ASSERT_EQ(p.nrules, 0, "no rule added");
}

static void test_host_rule_text(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "API.Example.COM."), "add");
	ASSERT_STREQ(p.rules[0].text, "allow api.example.com", "text");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "ntp.example.org:123/udp"), "ntp");
	ASSERT_STREQ(p.rules[1].text, "allow ntp.example.org:123/udp", "ntp");
	ASSERT_OK(add(RULE_DENY, RULE_HOST, "x.example.net:443;80;53/udp"),
		  "deny");
	ASSERT_STREQ(p.rules[2].text, "deny x.example.net:53/udp;80;443",
		     "deny text");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "**"), "everything");
	ASSERT_STREQ(p.rules[3].text, "allow **", "everything");
}

static void test_plain_name_matches_subtree(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "github.com"), "add");
	ASSERT_TRUE(allows("github.com", 443, IPPROTO_TCP), "itself");
	ASSERT_TRUE(allows("api.github.com", 443, IPPROTO_TCP), "child");
	ASSERT_TRUE(allows("a.b.c.github.com", 1, IPPROTO_UDP), "deep");
	ASSERT_FALSE(allows("notgithub.com", 443, IPPROTO_TCP), "suffix");
	ASSERT_FALSE(allows("github.com.evil.net", 443, IPPROTO_TCP), "prefix");
	ASSERT_FALSE(allows("com", 443, IPPROTO_TCP), "parent");
	ASSERT_FALSE(allows("github.org", 443, IPPROTO_TCP), "other tld");
}

static void test_single_label_wildcard(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "*.example.com"), "add");
	ASSERT_TRUE(allows("a.example.com", 80, IPPROTO_TCP), "one label");
	ASSERT_FALSE(allows("example.com", 80, IPPROTO_TCP), "apex");
	ASSERT_FALSE(allows("a.b.example.com", 80, IPPROTO_TCP), "two labels");
	ASSERT_FALSE(allows("a.example.org", 80, IPPROTO_TCP), "other zone");
}

static void test_multi_label_wildcard(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "**.example.com"), "add");
	ASSERT_TRUE(allows("a.example.com", 80, IPPROTO_TCP), "one label");
	ASSERT_TRUE(allows("a.b.c.example.com", 80, IPPROTO_TCP), "three");
	ASSERT_FALSE(allows("example.com", 80, IPPROTO_TCP), "apex");
	ASSERT_FALSE(allows("example.org", 80, IPPROTO_TCP), "other");
}

static void test_inner_wildcards(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "a.*.example.com"), "star");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "cdn.**.example.net"), "dstar");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "**.**.example.org"), "two");
	ASSERT_TRUE(allows("a.x.example.com", 80, IPPROTO_TCP), "a.x");
	ASSERT_FALSE(allows("b.x.example.com", 80, IPPROTO_TCP), "b.x");
	ASSERT_FALSE(allows("a.x.y.example.com", 80, IPPROTO_TCP), "a.x.y");
	ASSERT_FALSE(allows("z.a.x.example.com", 80, IPPROTO_TCP), "below");
	ASSERT_TRUE(allows("cdn.x.example.net", 80, IPPROTO_TCP), "cdn.x");
	ASSERT_TRUE(allows("cdn.x.y.z.example.net", 80, IPPROTO_TCP), "xyz");
	ASSERT_FALSE(allows("cdn.example.net", 80, IPPROTO_TCP), "cdn");
	ASSERT_FALSE(allows("a.example.org", 80, IPPROTO_TCP), "needs two");
	ASSERT_TRUE(allows("a.b.example.org", 80, IPPROTO_TCP), "two");
	ASSERT_TRUE(allows("a.b.c.d.example.org", 80, IPPROTO_TCP), "four");
}

/* A label holding a dot arrives escaped and never matches two labels. */
static void test_escaped_label_does_not_match(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "example.com"), "add");
	ASSERT_FALSE(allows("evil.example\\046com", 80, IPPROTO_TCP),
		     "escaped");
	ASSERT_FALSE(allows("example\\046com", 80, IPPROTO_TCP), "whole");
}

static void test_deny_wins(void)
{
	struct verdict v;

	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "example.com"), "allow");
	ASSERT_OK(add(RULE_DENY, RULE_HOST, "secret.example.com"), "deny");
	ASSERT_OK(add(RULE_DENY, RULE_HOST, "*.ssh.example.com:22/tcp"),
		  "deny port");
	ASSERT_TRUE(allows("www.example.com", 443, IPPROTO_TCP), "www");
	ASSERT_FALSE(allows("secret.example.com", 443, IPPROTO_TCP), "secret");
	ASSERT_FALSE(allows("a.secret.example.com", 443, IPPROTO_TCP), "below");

	policy__match_name(&p, "secret.example.com", &v);
	ASSERT_TRUE(verdict_refuses_name(&v), "query refused");
	ASSERT_STREQ(policy__rule_text(&p, v.deny_rule),
		     "deny secret.example.com", "deny rule named");

	/* A port-scoped deny leaves the name resolvable, minus the port. */
	policy__match_name(&p, "h.ssh.example.com", &v);
	ASSERT_FALSE(verdict_refuses_name(&v), "still resolves");
	ASSERT_TRUE(allows("h.ssh.example.com", 443, IPPROTO_TCP), "443");
	ASSERT_FALSE(allows("h.ssh.example.com", 22, IPPROTO_TCP), "22");
	ASSERT_TRUE(allows("h.ssh.example.com", 22, IPPROTO_UDP), "22/udp");
}

static void test_ports_union_and_protocols(void)
{
	struct verdict v;

	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "example.com:443/tcp"), "443");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "api.example.com:8443"), "8443");
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "dns.example.com:53/udp"), "53");
	ASSERT_TRUE(allows("api.example.com", 443, IPPROTO_TCP), "from parent");
	ASSERT_TRUE(allows("api.example.com", 8443, IPPROTO_UDP), "own udp");
	ASSERT_FALSE(allows("api.example.com", 443, IPPROTO_UDP), "443/udp");
	ASSERT_FALSE(allows("api.example.com", 80, IPPROTO_TCP), "80");
	ASSERT_FALSE(allows("dns.example.com", 53, IPPROTO_TCP), "53/tcp");
	ASSERT_TRUE(allows("dns.example.com", 53, IPPROTO_UDP), "53/udp");
	/* Port-scoped rules never allow ICMP. */
	ASSERT_FALSE(allows("example.com", 0, IPPROTO_ICMP), "icmp");

	/* The rule a log names is the most specific one. */
	policy__match_name(&p, "api.example.com", &v);
	ASSERT_STREQ(policy__rule_text(&p, v.allow_rule),
		     "allow api.example.com:8443", "best rule");
}

static void test_no_ports_allows_every_protocol(void)
{
	ASSERT_OK(add(RULE_ALLOW, RULE_HOST, "example.com"), "add");
	ASSERT_TRUE(allows("example.com", 0, IPPROTO_ICMP), "icmp");
	ASSERT_TRUE(allows("example.com", 0, 132), "sctp");
	ASSERT_TRUE(allows("example.com", 65535, IPPROTO_UDP), "udp");
}

static void test_cidr_rules(void)
{
	static const struct {
		const char *spec;
		const char *text;
	} good[] = {
		{ "192.0.2.0/24", "allow-cidr 192.0.2.0/24" },
		{ "192.0.2.7", "allow-cidr 192.0.2.7/32" },
		{ "198.51.100.0/24:443", "allow-cidr 198.51.100.0/24:443" },
		{ "203.0.113.9:53/udp", "allow-cidr 203.0.113.9/32:53/udp" },
		{ "2001:db8::/32", "allow-cidr 2001:db8::/32" },
		{ "2001:DB8::1", "allow-cidr 2001:db8::1/128" },
		{ "2001:db8:1::/48:443", "allow-cidr [2001:db8:1::/48]:443" },
		{ "[2001:db8::/32]:80;443",
		  "allow-cidr [2001:db8::/32]:80;443" },
		{ "[2001:db8::5]:22/tcp",
		  "allow-cidr [2001:db8::5/128]:22/tcp" },
		{ "0.0.0.0/0", "allow-cidr 0.0.0.0/0" },
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ASSERT_OK(add(RULE_ALLOW, RULE_CIDR, good[i].spec),
			  good[i].spec);
		ASSERT_STREQ(p.rules[i].text, good[i].text, good[i].spec);
	}
}

static void test_cidr_rule_errors(void)
{
	static const struct {
		const char *spec;
		const char *message;
	} cases[] = {
		{ "192.0.2.1/24",
		  "host bits are set; did you mean 192.0.2.0/24?" },
		{ "2001:db8::1/32", "did you mean 2001:db8::/32?" },
		{ "192.0.2.0/33", "IPv4 prefix length must be 0-32" },
		{ "2001:db8::/129", "IPv6 prefix length must be 0-128" },
		{ "192.0.2.0/x", "not a number" },
		{ "example.com", "not an IPv4 or IPv6 address" },
		{ "192.0.2.300", "not an IPv4 or IPv6 address" },
		{ "[2001:db8::/32", "missing ']'" },
		{ "[2001:db8::]x", "expected ':PORTS'" },
		{ "192.0.2.0/24:0", "from 1 to 65535" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(add(RULE_ALLOW, RULE_CIDR, cases[i].spec), -EINVAL,
			  cases[i].spec);
		ASSERT_CONTAINS(err, cases[i].message, cases[i].spec);
	}
}

static void test_cidr_match_union_and_deny(void)
{
	uint8_t addr[ADDR_LEN];
	struct verdict v;

	ASSERT_OK(add(RULE_ALLOW, RULE_CIDR, "10.0.0.0/8:443"), "outer");
	ASSERT_OK(add(RULE_ALLOW, RULE_CIDR, "10.1.0.0/16:80"), "inner");
	ASSERT_OK(add(RULE_DENY, RULE_CIDR, "10.1.2.0/24"), "deny");
	ASSERT_OK(add(RULE_DENY, RULE_CIDR, "10.0.0.0/8:22"), "deny 22");

	addr_parse("10.1.9.9", addr);
	policy__match_addr(&p, addr, &v);
	ASSERT_TRUE(verdict_allows(p.portsets, &v, 443, IPPROTO_TCP), "443");
	ASSERT_TRUE(verdict_allows(p.portsets, &v, 80, IPPROTO_TCP), "80");
	ASSERT_FALSE(verdict_allows(p.portsets, &v, 22, IPPROTO_TCP), "22");
	ASSERT_STREQ(policy__rule_text(&p, v.allow_rule),
		     "allow-cidr 10.1.0.0/16:80", "most specific named");

	addr_parse("10.1.2.3", addr);
	policy__match_addr(&p, addr, &v);
	ASSERT_FALSE(verdict_allows(p.portsets, &v, 443, IPPROTO_TCP),
		     "deny inside allow wins");

	addr_parse("10.200.0.1", addr);
	policy__match_addr(&p, addr, &v);
	ASSERT_FALSE(verdict_allows(p.portsets, &v, 80, IPPROTO_TCP), "80");

	addr_parse("11.0.0.1", addr);
	policy__match_addr(&p, addr, &v);
	ASSERT_EQ(v.allow_set, MOAT_PORTSET_NONE, "outside");
	ASSERT_EQ(v.allow_rule, MOAT_RULE_NONE, "no rule");
}

static void test_mode_and_upstream(void)
{
	ASSERT_EQ(policy__set_mode(&p, "audit", "--mode", err, sizeof(err)), 0,
		  "audit");
	ASSERT_EQ(p.mode, POLICY_MODE_AUDIT, "audit set");
	ASSERT_EQ(policy__set_mode(&p, "permissive", "--mode", err,
				   sizeof(err)),
		  -EINVAL, "bad mode");
	ASSERT_CONTAINS(err, "'enforce' or 'audit'", "message");

	ASSERT_OK(policy__add_upstream(&p, "192.0.2.53", "--upstream", err,
				       sizeof(err)),
		  "v4");
	ASSERT_EQ(p.upstreams[0].port, 53, "default port");
	ASSERT_OK(policy__add_upstream(&p, "[2001:db8::53]:5353", "--upstream",
				       err, sizeof(err)),
		  "v6");
	ASSERT_EQ(p.upstreams[1].port, 5353, "port");
	ASSERT_EQ(policy__add_upstream(&p, "dns.example.com", "--upstream", err,
				       sizeof(err)),
		  -EINVAL, "name");
}

static int load(const char *json)
{
	char path[] = "/tmp/moat-policy-XXXXXX";
	FILE *f;
	int fd, ret;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	fputs(json, f);
	fclose(f);
	ret = policy__load_file(&p, path, err, sizeof(err));
	unlink(path);
	return ret;
}

static void test_policy_file(void)
{
	ASSERT_OK(
		load("{\n"
		     "  \"mode\": \"audit\",\n"
		     "  \"upstream\": [\"192.0.2.53\"],\n"
		     "  \"allow\": [\"example.com:443\", \"*.example.org\"],\n"
		     "  \"allow-cidr\": [\"192.0.2.0/24\"],\n"
		     "  \"deny\": [\"bad.example.com\"],\n"
		     "  \"deny-cidr\": [\"192.0.2.66\"]\n"
		     "}\n"),
		err);
	ASSERT_EQ(p.nrules, 5, "rules");
	ASSERT_EQ(p.mode, POLICY_MODE_AUDIT, "mode");
	ASSERT_EQ(p.nupstreams, 1, "upstream");
	ASSERT_TRUE(allows("www.example.org", 1, IPPROTO_TCP), "wildcard");
	ASSERT_FALSE(allows("bad.example.com", 443, IPPROTO_TCP), "deny");
}

static void test_policy_file_errors(void)
{
	static const struct {
		const char *json;
		const char *message;
	} cases[] = {
		{ "{\"alow\": []}", "unknown key \"alow\"" },
		{ "{\"allow\": \"example.com\"}",
		  "\"allow\" must be an array of strings" },
		{ "{\"allow\": [1]}", "\"allow\" must be an array of strings" },
		{ "{\n\"allow\": [\n\"ok.com\",\n\"foo*.com\"]}",
		  "line 4: allow[1] 'foo*.com': a wildcard must be a whole label" },
		{ "{\"deny-cidr\": [\"10.0.0.1/8\"]}", "host bits are set" },
		{ "{\"mode\": \"loud\"}", "'enforce' or 'audit'" },
		{ "{\"mode\": 1}", "\"mode\" must be a string" },
		{ "{\"upstream\": {}}", "must be a string or an array" },
		{ "[\"example.com\"]", "must be a JSON object" },
		{ "{\"allow\": [\"a.com\"],}", "line 1" },
		{ "", "line 1" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(load(cases[i].json), -EINVAL, cases[i].json);
		ASSERT_CONTAINS(err, cases[i].message, cases[i].json);
		ASSERT_CONTAINS(err, "/tmp/moat-policy-", "names the file");
	}
	ASSERT_EQ(policy__load_file(&p, "/nonexistent/policy.json", err,
				    sizeof(err)),
		  -ENOENT, "missing file");
	ASSERT_CONTAINS(err, "/nonexistent/policy.json: cannot open",
			"missing");
}

static void test_normalise_name(void)
{
	char out[POLICY_HOST_MAX + 1];
	const char *why;

	ASSERT_OK(policy_normalise_name("WWW.Example.COM.", out, sizeof(out),
					&why),
		  "normalise");
	ASSERT_STREQ(out, "www.example.com", "lower, no dot");
	ASSERT_EQ(policy_normalise_name("a..b", out, sizeof(out), &why),
		  -EINVAL, "empty label");
}

/* Each test gets a fresh policy. */
#define T(fn)                      \
	static void run_##fn(void) \
	{                          \
		policy__init(&p);  \
		fn();              \
		policy__fini(&p);  \
	}
T(test_host_rule_errors)
T(test_host_rule_text)
T(test_plain_name_matches_subtree)
T(test_single_label_wildcard)
T(test_multi_label_wildcard)
T(test_inner_wildcards)
T(test_escaped_label_does_not_match)
T(test_deny_wins)
T(test_ports_union_and_protocols)
T(test_no_ports_allows_every_protocol)
T(test_cidr_rules)
T(test_cidr_rule_errors)
T(test_cidr_match_union_and_deny)
T(test_mode_and_upstream)
T(test_policy_file)
T(test_policy_file_errors)
T(test_normalise_name)

static const struct test_case cases[] = {
	{ "host_rule_errors", run_test_host_rule_errors },
	{ "host_rule_text", run_test_host_rule_text },
	{ "plain_name_matches_subtree", run_test_plain_name_matches_subtree },
	{ "single_label_wildcard", run_test_single_label_wildcard },
	{ "multi_label_wildcard", run_test_multi_label_wildcard },
	{ "inner_wildcards", run_test_inner_wildcards },
	{ "escaped_label_does_not_match",
	  run_test_escaped_label_does_not_match },
	{ "deny_wins", run_test_deny_wins },
	{ "ports_union_and_protocols", run_test_ports_union_and_protocols },
	{ "no_ports_allows_every_protocol",
	  run_test_no_ports_allows_every_protocol },
	{ "cidr_rules", run_test_cidr_rules },
	{ "cidr_rule_errors", run_test_cidr_rule_errors },
	{ "cidr_match_union_and_deny", run_test_cidr_match_union_and_deny },
	{ "mode_and_upstream", run_test_mode_and_upstream },
	{ "policy_file", run_test_policy_file },
	{ "policy_file_errors", run_test_policy_file_errors },
	{ "normalise_name", run_test_normalise_name },
};

TEST_MAIN("policy", cases)
