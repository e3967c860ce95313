// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_classifier.c - the classifier's verdicts on packets built in code */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include "allowlist.h"
#include "datapath.h"
#include "fixture.h"
#include "log.h"
#include "pktgen.h"
#include "test.h"

#define PASS (-1) /* TC_ACT_UNSPEC: on to the next filter */
#define DROP 2 /* TC_ACT_SHOT */

static struct policy pol;
static struct datapath *dp;
static struct allowlist al;

static const char *const rules[][2] = {
	{ "allow", "allowed.test" },
	{ "allow", "api.test:443/tcp" },
	{ "deny", "ssh.allowed.test:22/tcp" },
	{ "allow-cidr", "203.0.113.0/24:53/udp" },
	{ "deny-cidr", "203.0.113.128/25" },
	{ "allow-cidr", "[2001:db8:1::/48]:443" },
	{ "deny-cidr", "192.0.2.12" },
};

/* Addresses DNS answers would have taught the proxy. */
static const char *const learned[][2] = {
	{ "192.0.2.10", "allowed.test" },     { "198.51.100.20", "api.test" },
	{ "192.0.2.11", "ssh.allowed.test" }, { "192.0.2.12", "allowed.test" },
	{ "2001:db8::10", "allowed.test" },
};

/* The link: 2001:db8::/64 on it, a lease naming 192.0.2.67. */
static int link_control(void)
{
	struct cidr onlink;
	uint8_t server[ADDR_LEN];
	const char *why;

	cidr_parse("2001:db8::/64", &onlink, &why);
	addr_parse("192.0.2.67", server);
	return datapath__add_onlink(dp, &onlink) ||
	       datapath__add_dhcp_server(dp, server);
}

static void teardown(void)
{
	allowlist__fini(&al);
	datapath__close(dp);
	policy__fini(&pol);
	dp = NULL;
}

/* Returns false (and skips the test) when BPF cannot run here. */
static bool setup(bool audit, bool has_l2)
{
	struct datapath_opts opts = { .ifindex = 1,
				      .audit = audit,
				      .has_l2 = has_l2 };
	char err[POLICY_ERR_MAX];
	size_t i;

	if (geteuid() != 0) {
		test__skip("needs root to load BPF programs");
		return false;
	}
	policy__init(&pol);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (fixture_rule(&pol, rules[i][0], rules[i][1]))
			test__fail("rule %s", rules[i][1]);
	policy__add_upstream(&pol, "192.0.2.53", "--upstream", err,
			     sizeof(err));
	if (datapath__open(&dp, &opts)) {
		test__fail("cannot load the BPF object");
		policy__fini(&pol);
		return false;
	}
	if (datapath__load_policy(dp, &pol) ||
	    allowlist__init(&al, &pol, dp, NULL))
		test__fail("cannot program the maps");
	for (i = 0; i < sizeof(learned) / sizeof(learned[0]); i++)
		if (fixture_learn(&pol, &al, learned[i][0], learned[i][1]))
			test__fail("learn %s", learned[i][0]);
	if (link_control())
		test__fail("cannot program the link's control traffic");
	if (test__state.failed) {
		teardown();
		return false;
	}
	return true;
}

/*
 * Each test run gets a socket of its own, hence a new socket cookie;
 * repeat > 1 runs the same packet, and socket, several times.
 */
static int run_repeat(enum datapath_prog prog, const struct pkt_desc *d,
		      uint32_t mark, uint32_t repeat)
{
	struct __sk_buff ctx = { .mark = mark };
	struct pkt p;
	int err;

	pkt_build(d, &p);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.b,
		    .data_size_in = (uint32_t)p.len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	err = bpf_prog_test_run_opts(datapath__prog_fd(dp, prog), &opts);
	return err ? err : (int)opts.retval;
}

static int run(enum datapath_prog prog, const struct pkt_desc *d, uint32_t mark)
{
	return run_repeat(prog, d, mark, 1);
}

#define SYN 0x02
#define ACK 0x10

#define DHCP4(dst)                                                         \
	.family = 4, .saddr = RUNNER4, .daddr = dst, .proto = IPPROTO_UDP, \
	.sport = 68, .dport = 67

static const uint8_t hbh_dst[] = { 0, 60 };
static const uint8_t routing[] = { 43 };
static const uint8_t nine_hbh[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0 };
/* IPv4 options (RFC 791 3.1): a route's hops follow type, length, pointer. */
static const uint8_t lsrr[] = { 131, 7, 4, 192, 0, 2, 10 };
static const uint8_t ssrr[] = { 137, 7, 4, 192, 0, 2, 10 };
static const uint8_t nops_then_lsrr[] = { 1, 1, 1, 131, 7, 4, 192, 0, 2, 10 };
static const uint8_t timestamp_then_lsrr[] = { 68,  8, 5, 0,   0, 0, 0, 0,
					       131, 7, 4, 192, 0, 2, 10 };
static const uint8_t router_alert[] = { 148, 4, 0, 0 };
static const uint8_t lsrr_after_end[] = { 0, 131, 7, 4, 192, 0, 2, 10 };
static const uint8_t option_past_header[] = { 68, 12, 5, 0 };
static const uint8_t option_length_1[] = { 68, 1, 0, 0 };
/* 36 no-ops, then a timestamp claiming 8 bytes where 4 are left. */
static const uint8_t option_past_40[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 68, 8, 5, 0,
};
/* A full 40 bytes: 33 no-ops, then a source route filling the rest. */
static const uint8_t lsrr_at_33[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   1, 1, 1,   1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 131, 7, 4, 192, 0, 2, 10,
};

struct verdict_case {
	const char *name;
	struct pkt_desc d;
	uint32_t mark;
	int expect;
};

static const struct verdict_case verdict_cases[] = {
	/* By address. */
	{ "learned address, any port", { TCP4("192.0.2.10", 8080) }, 0, PASS },
	{ "unknown address", { TCP4("192.0.2.99", 80) }, 0, DROP },
	{ "learned address over UDP", { UDP4("192.0.2.10", 9) }, 0, PASS },
	/* By port and protocol. */
	{ "port-scoped rule, its port",
	  { TCP4("198.51.100.20", 443) },
	  0,
	  PASS },
	{ "port-scoped rule, other port",
	  { TCP4("198.51.100.20", 80) },
	  0,
	  DROP },
	{ "port-scoped rule, other protocol",
	  { UDP4("198.51.100.20", 443) },
	  0,
	  DROP },
	{ "port-scoped rule, ICMP", { ICMP4("198.51.100.20", 8) }, 0, DROP },
	{ "all-ports rule, ICMP echo", { ICMP4("192.0.2.10", 8) }, 0, PASS },
	{ "unknown address, ICMP echo", { ICMP4("192.0.2.99", 8) }, 0, DROP },
	/* Deny rules. */
	{ "name's deny port", { TCP4("192.0.2.11", 22) }, 0, DROP },
	{ "name's other port", { TCP4("192.0.2.11", 80) }, 0, PASS },
	{ "deny CIDR over learned address",
	  { TCP4("192.0.2.12", 80) },
	  0,
	  DROP },
	/* CIDR rules. */
	{ "CIDR rule, its port", { UDP4("203.0.113.5", 53) }, 0, PASS },
	{ "CIDR rule, TCP", { TCP4("203.0.113.5", 53) }, 0, DROP },
	{ "deny CIDR inside allow CIDR",
	  { UDP4("203.0.113.200", 53) },
	  0,
	  DROP },
	/* IPv6. */
	{ "IPv6 learned", { TCP6("2001:db8::10", 443) }, 0, PASS },
	{ "IPv6 unknown", { TCP6("2001:db8::99", 443) }, 0, DROP },
	{ "IPv6 CIDR, its port", { TCP6("2001:db8:1::5", 443) }, 0, PASS },
	{ "IPv6 CIDR, other port", { TCP6("2001:db8:1::5", 80) }, 0, DROP },
	{ "IPv6 learned over UDP", { UDP6("2001:db8::10", 9) }, 0, PASS },
	{ "IPv6 CIDR over UDP, its port",
	  { UDP6("2001:db8:1::5", 443) },
	  0,
	  PASS },
	{ "IPv6 CIDR over UDP, other port",
	  { UDP6("2001:db8:1::5", 123) },
	  0,
	  DROP },
	{ "all-ports rule, ICMPv6 echo",
	  { ICMP6("2001:db8::10", 128) },
	  0,
	  PASS },
	{ "port-scoped rule, ICMPv6 echo",
	  { ICMP6("2001:db8:1::5", 128) },
	  0,
	  DROP },
	{ "IPv6 extension headers, allowed",
	  { TCP6("2001:db8::10", 443), .exthdrs = hbh_dst, .nexthdrs = 2 },
	  0,
	  PASS },
	{ "IPv6 extension headers, unknown",
	  { TCP6("2001:db8::99", 443), .exthdrs = hbh_dst, .nexthdrs = 2 },
	  0,
	  DROP },
	{ "IPv6 too many extension headers",
	  { TCP6("2001:db8::10", 443), .exthdrs = nine_hbh, .nexthdrs = 9 },
	  0,
	  DROP },
	{ "IPv6 routing header with hops left",
	  { TCP6("2001:db8::10", 443), .exthdrs = routing, .nexthdrs = 1,
	    .routing_left = 1 },
	  0,
	  DROP },
	{ "IPv6 routing header, no hops left",
	  { TCP6("2001:db8::10", 443), .exthdrs = routing, .nexthdrs = 1 },
	  0,
	  PASS },
	/* Link control traffic, and only on the link. */
	{ "neighbour solicitation to its multicast group",
	  { ICMP6("ff02::1:ff00:1", 135), .hop_limit = 255 },
	  0,
	  PASS },
	{ "neighbour advertisement to a link-local address",
	  { ICMP6("fe80::1", 136), .hop_limit = 255 },
	  0,
	  PASS },
	{ "neighbour solicitation on the link's prefix",
	  { ICMP6("2001:db8::1", 135), .hop_limit = 255 },
	  0,
	  PASS },
	{ "neighbour solicitation off the link",
	  { ICMP6("2001:db8:99::1", 135), .hop_limit = 255 },
	  0,
	  DROP },
	{ "NDP that left the link",
	  { ICMP6("fe80::1", 135), .hop_limit = 64 },
	  0,
	  DROP },
	{ "MLD report", { ICMP6("ff02::16", 143), .hop_limit = 1 }, 0, PASS },
	{ "MLD report with a hop limit above 1",
	  { ICMP6("ff02::16", 143), .hop_limit = 64 },
	  0,
	  DROP },
	{ "MLD report to unicast",
	  { ICMP6("2001:db8::99", 143), .hop_limit = 1 },
	  0,
	  DROP },
	{ "IGMP report",
	  { .family = 4,
	    .saddr = RUNNER4,
	    .daddr = "224.0.0.22",
	    .proto = IPPROTO_IGMP,
	    .hop_limit = 1 },
	  0,
	  PASS },
	{ "IGMP with a TTL above 1",
	  { .family = 4,
	    .saddr = RUNNER4,
	    .daddr = "224.0.0.22",
	    .proto = IPPROTO_IGMP,
	    .hop_limit = 64 },
	  0,
	  DROP },
	{ "ICMPv6 echo, unknown", { ICMP6("2001:db8::99", 128) }, 0, DROP },
	/* ICMP errors pass only about packets a peer sent first. */
	{ "ICMP error about nothing received",
	  { ICMP4("198.51.100.99", 3), .icmp_code = 3 },
	  0,
	  DROP },
	{ "ICMP error quoting a flow never received",
	  { ICMP4("198.51.100.99", 3), .icmp_code = 3,
	    .q_saddr = "198.51.100.99", .q_daddr = RUNNER4,
	    .q_proto = IPPROTO_UDP, .q_sport = 7777, .q_dport = 9 },
	  0,
	  DROP },
	{ "ICMPv6 packet too big about nothing received",
	  { ICMP6("2001:db8::99", 2) },
	  0,
	  DROP },
	{ "DHCP client, broadcast",
	  { .family = 4,
	    .saddr = "0.0.0.0",
	    .daddr = "255.255.255.255",
	    .proto = IPPROTO_UDP,
	    .sport = 68,
	    .dport = 67 },
	  0,
	  PASS },
	{ "DHCP renewal to the lease's server",
	  { DHCP4("192.0.2.67") },
	  0,
	  PASS },
	{ "DHCP to any other address", { DHCP4("203.0.113.7") }, 0, DROP },
	{ "DHCPv6 to the servers' group",
	  { .family = 6,
	    .saddr = "fe80::2",
	    .daddr = "ff02::1:2",
	    .proto = IPPROTO_UDP,
	    .sport = 546,
	    .dport = 547 },
	  0,
	  PASS },
	{ "DHCPv6 to any other address",
	  { .family = 6,
	    .saddr = RUNNER6,
	    .daddr = "2001:db8:99::1",
	    .proto = IPPROTO_UDP,
	    .sport = 546,
	    .dport = 547 },
	  0,
	  DROP },
	{ "UDP to 67 from an unprivileged port",
	  { UDP4("192.0.2.67", 67) },
	  0,
	  DROP },
	{ "ARP", { .ethertype = 0x0806 }, 0, PASS },
	{ "other EtherType", { .ethertype = 0x88b5 }, 0, DROP },
	{ "PPPoE session carrying IP", { .ethertype = 0x8864 }, 0, DROP },
	/* VLAN tags. */
	{ "VLAN tag, allowed", { TCP4("192.0.2.10", 80), .vlans = 1 }, 0, PASS },
	{ "VLAN tag, unknown", { TCP4("192.0.2.99", 80), .vlans = 1 }, 0, DROP },
	{ "QinQ, allowed", { TCP4("192.0.2.10", 80), .vlans = 2 }, 0, PASS },
	{ "three tags", { TCP4("192.0.2.10", 80), .vlans = 3 }, 0, DROP },
	/* Malformed headers. */
	{ "IPv4 header length 4",
	  { TCP4("192.0.2.10", 80), .ihl = 4 },
	  0,
	  DROP },
	{ "IPv4 options, allowed",
	  { TCP4("192.0.2.10", 80), .ihl = 7 },
	  0,
	  PASS },
	{ "IPv4 router alert option, allowed",
	  { TCP4("192.0.2.10", 80), .ip4_opts = router_alert,
	    .nip4_opts = sizeof(router_alert) },
	  0,
	  PASS },
	/*
	 * A source route sends the packet to an allowed first hop, and on to
	 * hops the classifier never judges.
	 */
	{ "IPv4 loose source route",
	  { TCP4("192.0.2.10", 80), .ip4_opts = lsrr,
	    .nip4_opts = sizeof(lsrr) },
	  0,
	  DROP },
	{ "IPv4 strict source route",
	  { UDP4("192.0.2.10", 9), .ip4_opts = ssrr,
	    .nip4_opts = sizeof(ssrr) },
	  0,
	  DROP },
	{ "IPv4 source route after no-ops",
	  { TCP4("192.0.2.10", 80), .ip4_opts = nops_then_lsrr,
	    .nip4_opts = sizeof(nops_then_lsrr) },
	  0,
	  DROP },
	{ "IPv4 source route after a timestamp",
	  { TCP4("192.0.2.10", 80), .ip4_opts = timestamp_then_lsrr,
	    .nip4_opts = sizeof(timestamp_then_lsrr) },
	  0,
	  DROP },
	{ "IPv4 source route's bytes after the end of options",
	  { TCP4("192.0.2.10", 80), .ip4_opts = lsrr_after_end,
	    .nip4_opts = sizeof(lsrr_after_end) },
	  0,
	  PASS },
	{ "IPv4 option longer than the header",
	  { TCP4("192.0.2.10", 80), .ip4_opts = option_past_header,
	    .nip4_opts = sizeof(option_past_header) },
	  0,
	  DROP },
	{ "IPv4 option running past the 40 bytes options can have",
	  { TCP4("192.0.2.10", 80), .ip4_opts = option_past_40,
	    .nip4_opts = sizeof(option_past_40) },
	  0,
	  DROP },
	{ "IPv4 source route at the end of 40 bytes of options",
	  { TCP4("192.0.2.10", 80), .ip4_opts = lsrr_at_33,
	    .nip4_opts = sizeof(lsrr_at_33) },
	  0,
	  DROP },
	{ "IPv4 option of length 1",
	  { TCP4("192.0.2.10", 80), .ip4_opts = option_length_1,
	    .nip4_opts = sizeof(option_length_1) },
	  0,
	  DROP },
	/*
	 * BPF_PROG_TEST_RUN refuses packets shorter than an IPv4 header, as
	 * the stack does; a header with no transport after it is the shortest
	 * IP packet the classifier can meet.
	 */
	{ "no TCP header", { TCP4("192.0.2.10", 80), .truncate = 34 }, 0, DROP },
	{ "truncated TCP header",
	  { TCP4("192.0.2.10", 80), .truncate = 40 },
	  0,
	  DROP },
	{ "IPv4 options cut short",
	  { TCP4("192.0.2.10", 80), .ihl = 7, .truncate = 38 },
	  0,
	  DROP },
	{ "IPv4 header length 15",
	  { TCP4("192.0.2.10", 80), .ihl = 15, .truncate = 60 },
	  0,
	  DROP },
	{ "IPv4 total length shorter than its header",
	  { TCP4("192.0.2.10", 80), .bogus_len = true, .len = 12 },
	  0,
	  DROP },
	{ "IPv4 total length ending inside the TCP header",
	  { TCP4("192.0.2.10", 80), .bogus_len = true, .len = 30 },
	  0,
	  DROP },
	{ "IPv4 total length 0, BIG TCP's mark, on a short packet",
	  { TCP4("192.0.2.10", 80), .bogus_len = true, .len = 0 },
	  0,
	  DROP },
	/*
	 * A datagram cut inside its transport header, its length field cut
	 * to match: the transport header check must catch it, not the
	 * length check. The same packets whole pass (above).
	 */
	{ "truncated UDP header",
	  { UDP4("192.0.2.10", 9), .truncate = 38, .bogus_len = true,
	    .len = 24 },
	  0,
	  DROP },
	{ "truncated ICMP header",
	  { ICMP4("192.0.2.10", 8), .truncate = 38, .bogus_len = true,
	    .len = 24 },
	  0,
	  DROP },
	{ "IPv6, truncated UDP header",
	  { UDP6("2001:db8::10", 9), .truncate = 58, .bogus_len = true,
	    .len = 4 },
	  0,
	  DROP },
	{ "IPv6, truncated ICMPv6 header",
	  { ICMP6("2001:db8::10", 128), .truncate = 58, .bogus_len = true,
	    .len = 4 },
	  0,
	  DROP },
	/* As for IPv4, the test runner refuses an IPv6 header cut short. */
	{ "IPv6, no TCP header",
	  { TCP6("2001:db8::10", 443), .truncate = 54 },
	  0,
	  DROP },
	{ "IPv6, truncated TCP header",
	  { TCP6("2001:db8::10", 443), .truncate = 60 },
	  0,
	  DROP },
	{ "IPv6 extension header cut short",
	  { TCP6("2001:db8::10", 443), .exthdrs = hbh_dst, .nexthdrs = 2,
	    .truncate = 58 },
	  0,
	  DROP },
	{ "IPv6, transport cut after extension headers",
	  { TCP6("2001:db8::10", 443), .exthdrs = hbh_dst, .nexthdrs = 2,
	    .truncate = 74 },
	  0,
	  DROP },
	{ "IPv6 EtherType, IPv4 inside",
	  { TCP4("192.0.2.10", 80), .ethertype = 0x86dd },
	  0,
	  DROP },
	/*
	 * The proxy's upstream queries pass by their socket's cookie, which
	 * the proxy registers; a mark is what anyone with CAP_NET_RAW can
	 * set, and alone opens nothing (the lab shows the proxy's own pass).
	 */
	{ "marked query to the upstream from another socket",
	  { UDP4("192.0.2.53", 53) },
	  0x6d6f6174,
	  DROP },
	{ "unmarked query to the upstream",
	  { UDP4("192.0.2.53", 53) },
	  0,
	  DROP },
};

static void test_verdicts(void)
{
	size_t i;

	if (!setup(false, true))
		return;
	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		int got = run(DATAPATH_PROG_EGRESS, &c->d, c->mark);

		if (got != c->expect) {
			test__fail("%s: got %d, expected %d", c->name, got,
				   c->expect);
			break;
		}
	}
	teardown();
}

static void test_fragments(void)
{
	struct pkt_desc first = { UDP4("192.0.2.10", 9), .frag = PKT_FRAG_FIRST,
				  .frag_id = 77 };
	struct pkt_desc later = { UDP4("192.0.2.10", 9), .frag = PKT_FRAG_LATER,
				  .frag_id = 77 };
	struct pkt_desc stray = { UDP4("192.0.2.10", 9), .frag = PKT_FRAG_LATER,
				  .frag_id = 78 };
	struct pkt_desc first6 = { .family = 6,
				   .saddr = RUNNER6,
				   .daddr = "2001:db8::10",
				   .proto = IPPROTO_UDP,
				   .sport = 1,
				   .dport = 9,
				   .frag = PKT_FRAG_FIRST,
				   .frag_id = 0x10000 };
	struct pkt_desc later6 = first6;
	struct pkt_desc denied = { UDP4("192.0.2.99", 9),
				   .frag = PKT_FRAG_FIRST, .frag_id = 79 };
	struct pkt_desc denied_later = denied;

	if (!setup(false, true))
		return;
	later6.frag = PKT_FRAG_LATER;
	denied_later.frag = PKT_FRAG_LATER;
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &stray, 0), DROP, "unknown id");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &first, 0), PASS, "first");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &later, 0), PASS, "follows first");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &first6, 0), PASS, "v6 first");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &later6, 0), PASS, "v6 later");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &denied, 0), DROP, "denied first");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &denied_later, 0), DROP,
		  "denied later");
	teardown();
}

/*
 * Flows a peer opens, seen at ingress, let replies out; a connection this
 * host starts never passes as one. (BPF_PROG_TEST_RUN gives every packet
 * a socket of its own, in state TCP_CLOSE: the socket-less path of
 * forwarded traffic is the lab's to show.)
 */
static void test_inbound_replies(void)
{
	struct pkt_desc udp_in = { .family = 4,
				   .saddr = "198.51.100.77",
				   .daddr = RUNNER4,
				   .proto = IPPROTO_UDP,
				   .sport = 5555,
				   .dport = 9 };
	struct pkt_desc udp_out = { .family = 4,
				    .saddr = RUNNER4,
				    .daddr = "198.51.100.77",
				    .proto = IPPROTO_UDP,
				    .sport = 9,
				    .dport = 5555 };
	struct pkt_desc unreach = { ICMP4("198.51.100.77", 3),
				    .icmp_code = 3,
				    .q_saddr = "198.51.100.77",
				    .q_daddr = RUNNER4,
				    .q_proto = IPPROTO_UDP,
				    .q_sport = 5555,
				    .q_dport = 9 };
	struct pkt_desc spoofed = unreach;
	struct pkt_desc syn_in = { .family = 4,
				   .saddr = "198.51.100.78",
				   .daddr = RUNNER4,
				   .proto = IPPROTO_TCP,
				   .sport = 443,
				   .dport = 40001,
				   .tcp_flags = SYN };
	struct pkt_desc syn_out = { .family = 4,
				    .saddr = RUNNER4,
				    .daddr = "198.51.100.78",
				    .proto = IPPROTO_TCP,
				    .sport = 40001,
				    .dport = 443,
				    .tcp_flags = SYN };
	struct pkt_desc ping_in = { .family = 4,
				    .saddr = "198.51.100.79",
				    .daddr = RUNNER4,
				    .proto = IPPROTO_ICMP,
				    .icmp_type = 8,
				    .icmp_id = 99 };
	struct pkt_desc pong = { ICMP4("198.51.100.79", 0), .icmp_id = 99 };

	if (!setup(false, true))
		return;
	spoofed.q_sport = 5556;
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &udp_out, 0), DROP, "before");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &unreach, 0), DROP, "no error yet");
	ASSERT_EQ(run(DATAPATH_PROG_INGRESS, &udp_in, 0), PASS, "ingress");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &udp_out, 0), PASS, "udp reply");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &unreach, 0), PASS,
		  "an error about the received datagram");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &spoofed, 0), DROP,
		  "an error quoting another flow");

	/* A peer's SYN first, then this host connects: still a start. */
	ASSERT_EQ(run(DATAPATH_PROG_INGRESS, &syn_in, 0), PASS, "peer syn");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &syn_out, 0), DROP,
		  "a local connection start is never a reply");
	syn_out.tcp_flags = SYN | ACK;
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &syn_out, 0), DROP,
		  "no SYN-ACK from a socket that did not listen");

	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &pong, 0), DROP, "pong before");
	ASSERT_EQ(run(DATAPATH_PROG_INGRESS, &ping_in, 0), PASS, "ping");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &pong, 0), PASS, "pong");
	teardown();
}

static void test_audit_mode_drops_nothing(void)
{
	size_t i;

	if (!setup(true, true))
		return;
	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++)
		ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &verdict_cases[i].d,
			      verdict_cases[i].mark),
			  PASS, verdict_cases[i].name);
	teardown();
}

static void test_link_without_l2_header(void)
{
	struct pkt_desc ok = { TCP4("192.0.2.10", 80), .no_l2 = true };
	struct pkt_desc bad = { TCP4("192.0.2.99", 80), .no_l2 = true };
	struct pkt_desc ok6 = { TCP6("2001:db8::10", 80), .no_l2 = true };

	if (!setup(false, false))
		return;
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &ok, 0), PASS, "allowed");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &bad, 0), DROP, "unknown");
	ASSERT_EQ(run(DATAPATH_PROG_EGRESS, &ok6, 0), PASS, "v6");
	teardown();
}

struct seen {
	struct moat_event ev;
	int count;
};

static int collect(void *ctx, const void *data, size_t len)
{
	const struct moat_event *ev = data;
	struct seen *s = ctx;

	if (len < sizeof(*ev) || ev->kind != MOAT_EVENT_PACKET)
		return 0;
	s->ev = *ev;
	s->count++;
	return 0;
}

static void test_events(void)
{
	struct pkt_desc syn = { TCP4("192.0.2.99", 443) };
	struct pkt_desc data = { .family = 4,
				 .saddr = RUNNER4,
				 .daddr = "192.0.2.10",
				 .proto = IPPROTO_TCP,
				 .sport = 40000,
				 .dport = 443,
				 .tcp_flags = ACK };
	struct pkt_desc ok = { TCP4("192.0.2.10", 443) };
	uint8_t want[ADDR_LEN];
	struct seen s = { 0 };

	if (!setup(false, true))
		return;
	ASSERT_TRUE(datapath__open_events(dp, collect, &s) >= 0, "ring");

	/* Three transmissions of one SYN from one socket: one event. */
	ASSERT_EQ(run_repeat(DATAPATH_PROG_EGRESS, &syn, 0, 3), DROP,
		  "blocked syn");
	datapath__consume_events(dp);
	ASSERT_EQ(s.count, 1, "one event");
	ASSERT_EQ(s.ev.action, MOAT_ACTION_BLOCKED, "blocked");
	ASSERT_EQ(s.ev.reason, MOAT_REASON_NO_RULE, "no rule");
	ASSERT_EQ(s.ev.dport, 443, "port");
	ASSERT_EQ(s.ev.proto, IPPROTO_TCP, "proto");
	ASSERT_TRUE(s.ev.flags & MOAT_EVENT_F_SYN, "syn flag");
	addr_parse("192.0.2.99", want);
	ASSERT_TRUE(!memcmp(s.ev.daddr, want, ADDR_LEN), "address");

	/* Allowed: the connection start is an event, its data is not. */
	run(DATAPATH_PROG_EGRESS, &data, 0);
	datapath__consume_events(dp);
	ASSERT_EQ(s.count, 1, "no event for data");
	run(DATAPATH_PROG_EGRESS, &ok, 0);
	datapath__consume_events(dp);
	ASSERT_EQ(s.count, 2, "allowed start");
	ASSERT_EQ(s.ev.action, MOAT_ACTION_ALLOWED, "allowed");
	ASSERT_EQ(s.ev.rule, 0, "the rule that allowed it");
	teardown();
}

#define BUDGET_FLOWS 20000

static void test_event_budget_counts_suppressed(void)
{
	struct pkt_desc syn = { TCP4("192.0.2.99", 443) };
	uint64_t stats[MOAT_STAT_MAX];
	cpu_set_t one_cpu, was;
	int i;

	if (!setup(false, true))
		return;
	/*
	 * The budget is per CPU and refills with time: on one CPU, 20,000
	 * flows exceed the burst and all refill unless they took 8 seconds.
	 */
	CPU_ZERO(&one_cpu);
	CPU_SET(sched_getcpu(), &one_cpu);
	sched_getaffinity(0, sizeof(was), &was);
	sched_setaffinity(0, sizeof(one_cpu), &one_cpu);
	/* New source ports are new flows: only the budget bounds them. */
	for (i = 0; i < BUDGET_FLOWS; i++) {
		syn.sport = (uint16_t)(1024 + i);
		run(DATAPATH_PROG_EGRESS, &syn, 0);
	}
	sched_setaffinity(0, sizeof(was), &was);
	ASSERT_OK(datapath__read_stats(dp, stats), "stats");
	ASSERT_EQ(stats[MOAT_STAT_PACKETS_BLOCKED], BUDGET_FLOWS,
		  "all counted");
	ASSERT_TRUE(stats[MOAT_STAT_EVENTS_SUPPRESSED] > 0, "some suppressed");
	ASSERT_EQ(stats[MOAT_STAT_EVENTS_SENT] +
			  stats[MOAT_STAT_EVENTS_SUPPRESSED] +
			  stats[MOAT_STAT_EVENTS_LOST],
		  BUDGET_FLOWS, "every event sent, suppressed or lost");
	teardown();
}

static const struct test_case cases[] = {
	TEST(test_verdicts),
	TEST(test_fragments),
	TEST(test_inbound_replies),
	TEST(test_audit_mode_drops_nothing),
	TEST(test_link_without_l2_header),
	TEST(test_events),
	TEST(test_event_budget_counts_suppressed),
};

TEST_MAIN("classifier", cases)
