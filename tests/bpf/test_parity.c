// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_parity.c - the classifier and moat run's hooks give one verdict */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allowlist.h"
#include "cgroup.h"
#include "datapath.h"
#include "fixture.h"
#include "pktgen.h"
#include "test.h"

/*
 * One policy, one set of maps, three ways in: the TC classifier (moat
 * start) and the cgroup egress hook (moat run) on packets built in code,
 * and a real connect() under moat run's call hooks. Every case must get
 * the same verdict from each, and the one the policy means.
 */

#define TC_PASS (-1) /* TC_ACT_UNSPEC */
#define SKB_PASS 1

static struct policy pol;
static struct datapath *dp;
static struct allowlist al;
static struct cgroup cg = { .fd = -1 };
static int link_ifindex;

static const char *const rules[][2] = {
	{ "allow", "allowed.test" },
	{ "allow", "api.test:443/tcp" },
	{ "deny", "ssh.allowed.test:22/tcp" },
	{ "allow-cidr", "203.0.113.0/24:5353/udp" },
	{ "deny-cidr", "203.0.113.128/25" },
	{ "allow-cidr", "[2001:db8:1::/48]:443" },
	{ "deny-cidr", "192.0.2.12" },
};

static const char *const learned[][2] = {
	{ "192.0.2.10", "allowed.test" },     { "198.51.100.20", "api.test" },
	{ "192.0.2.11", "ssh.allowed.test" }, { "192.0.2.12", "allowed.test" },
	{ "2001:db8::10", "allowed.test" },
};

struct parity_case {
	const char *name;
	struct pkt_desc d;
	bool allowed;
};

static const uint8_t lsrr[] = { 131, 7, 4, 192, 0, 2, 10 };
static const uint8_t routing[] = { 43 };

static const struct parity_case cases[] = {
	{ "learned address, any port", { TCP4("192.0.2.10", 8080) }, true },
	{ "learned address over UDP", { UDP4("192.0.2.10", 9) }, true },
	{ "unknown address", { TCP4("192.0.2.99", 80) }, false },
	{ "unknown address over UDP", { UDP4("192.0.2.99", 9) }, false },
	{ "port-scoped rule, its port", { TCP4("198.51.100.20", 443) }, true },
	{ "port-scoped rule, other port", { TCP4("198.51.100.20", 80) }, false },
	{ "port-scoped rule, other protocol",
	  { UDP4("198.51.100.20", 443) },
	  false },
	{ "name's deny port", { TCP4("192.0.2.11", 22) }, false },
	{ "name's other port", { TCP4("192.0.2.11", 80) }, true },
	{ "deny CIDR over a learned address",
	  { TCP4("192.0.2.12", 80) },
	  false },
	{ "CIDR rule, its port", { UDP4("203.0.113.5", 5353) }, true },
	{ "CIDR rule, other protocol", { TCP4("203.0.113.5", 5353) }, false },
	{ "deny CIDR inside an allow CIDR",
	  { UDP4("203.0.113.200", 5353) },
	  false },
	{ "IPv6 learned", { TCP6("2001:db8::10", 443) }, true },
	{ "IPv6 unknown", { TCP6("2001:db8::99", 443) }, false },
	{ "IPv6 CIDR, its port", { TCP6("2001:db8:1::5", 443) }, true },
	{ "IPv6 CIDR, other port", { TCP6("2001:db8:1::5", 80) }, false },
	{ "IPv6 CIDR over UDP, its port", { UDP6("2001:db8:1::5", 443) }, true },
	{ "IPv6 unknown over UDP", { UDP6("2001:db8::99", 443) }, false },
	{ "ICMP echo, all-ports rule", { ICMP4("192.0.2.10", 8) }, true },
	{ "ICMP echo, port-scoped rule", { ICMP4("198.51.100.20", 8) }, false },
	{ "ICMP echo, unknown", { ICMP4("192.0.2.99", 8) }, false },
	{ "ICMPv6 echo, all-ports rule", { ICMP6("2001:db8::10", 128) }, true },
	{ "ICMPv6 echo, unknown", { ICMP6("2001:db8::99", 128) }, false },
	/* Options no connect() names: only the packet tests see them. */
	{ "IPv4 source route, allowed first hop",
	  { TCP4("192.0.2.10", 80), .ip4_opts = lsrr,
	    .nip4_opts = sizeof(lsrr) },
	  false },
	{ "IPv6 routing header, allowed first hop",
	  { TCP6("2001:db8::10", 443), .exthdrs = routing, .nexthdrs = 1,
	    .routing_left = 1 },
	  false },
};

/* A connect() can be made for a case: a plain TCP or UDP packet. */
static bool connectable(const struct pkt_desc *d)
{
	return (d->proto == IPPROTO_TCP || d->proto == IPPROTO_UDP) &&
	       !d->nip4_opts && !d->nexthdrs;
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/*
 * A network namespace of the test's own: connect() there never reaches a
 * network (nothing is up), and a veth gives the egress hook a device that
 * is not the loopback, which it would let pass.
 */
static int private_network(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	if (system("ip link add moat-par0 type veth peer name moat-par1"))
		return -EIO;
	link_ifindex = (int)if_nametoindex("moat-par0");
	return link_ifindex ? 0 : -ENODEV;
}

static int make_cgroup(void)
{
	char root[PATH_MAX], name[64];
	int err = cgroup_v2_root(root, sizeof(root));

	if (err)
		return err;
	snprintf(name, sizeof(name), "moat-test-parity.%d", getpid());
	err = cgroup__create(&cg, root, name);
	return err ? err : datapath__attach_confined(dp, cg.fd);
}

static void teardown(void)
{
	allowlist__fini(&al);
	datapath__close(dp);
	cgroup__remove(&cg);
	policy__fini(&pol);
	dp = NULL;
}

static bool setup(void)
{
	struct datapath_opts opts = { .programs = DATAPATH_LINK |
						  DATAPATH_CONFINE,
				      .ifindex = 1,
				      .has_l2 = true };
	size_t i;

	if (geteuid() != 0) {
		test__skip("needs root to load BPF programs");
		return false;
	}
	if (!link_ifindex && private_network()) {
		test__fail("cannot make a network namespace with a veth");
		return false;
	}
	policy__init(&pol);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (fixture_rule(&pol, rules[i][0], rules[i][1]))
			test__fail("rule %s", rules[i][1]);
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
	if (!test__state.failed && make_cgroup())
		test__fail("cannot make a cgroup with the hooks on it");
	if (test__state.failed) {
		teardown();
		return false;
	}
	return true;
}

static int run(enum datapath_prog prog, const struct pkt_desc *d)
{
	struct __sk_buff ctx = { .ifindex = (uint32_t)link_ifindex };
	struct pkt p;
	int err;

	pkt_build(d, &p);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.b,
		    .data_size_in = (uint32_t)p.len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	err = bpf_prog_test_run_opts(datapath__prog_fd(dp, prog), &opts);
	return err ? err : (int)opts.retval;
}

static void test_packets_agree(void)
{
	size_t i;

	if (!setup())
		return;
	for (i = 0; i < NCASES; i++) {
		const struct parity_case *c = &cases[i];
		int tc = run(DATAPATH_PROG_EGRESS, &c->d);
		int skb = run(DATAPATH_PROG_CONFINED_EGRESS, &c->d);

		if ((tc == TC_PASS) != c->allowed)
			test__fail("%s: the classifier returned %d", c->name,
				   tc);
		if ((skb == SKB_PASS) != c->allowed)
			test__fail("%s: the cgroup egress hook returned %d",
				   c->name, skb);
	}
	teardown();
}

static socklen_t sockaddr_of(const struct pkt_desc *d,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *six = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *four = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (d->family == 4) {
		four->sin_family = AF_INET;
		four->sin_port = htons(d->dport);
		inet_pton(AF_INET, d->daddr, &four->sin_addr);
		return sizeof(*four);
	}
	six->sin6_family = AF_INET6;
	six->sin6_port = htons(d->dport);
	inet_pton(AF_INET6, d->daddr, &six->sin6_addr);
	return sizeof(*six);
}

/*
 * The errno of a call for a case, or 0, from inside the hooked cgroup:
 * connect() meets the connect hooks; sendto() on an unconnected UDP
 * socket meets the sendmsg hooks.
 */
static int call_errno(const struct pkt_desc *d, bool send)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(d, &ss);
	int type = d->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd, err = 0;

	fd = socket(ss.ss_family, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	if (send ? sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 :
		   connect(fd, (struct sockaddr *)&ss, len) != 0)
		err = errno;
	close(fd);
	return err;
}

/* The calls a case can be tried with: connect(), and sendto() for UDP. */
static bool sendable(const struct pkt_desc *d)
{
	return connectable(d) && d->proto == IPPROTO_UDP;
}

/* The child joins the cgroup, so that only it meets the hooks. */
static void call_all(int out, bool send)
{
	int procs = openat(cg.fd, "cgroup.procs", O_WRONLY);
	size_t i;
	int err;

	if (procs < 0 || write(procs, "0", 1) != 1)
		_exit(1);
	for (i = 0; i < NCASES; i++) {
		err = (send ? sendable(&cases[i].d) :
			      connectable(&cases[i].d)) ?
			      call_errno(&cases[i].d, send) :
			      0;
		if (write(out, &err, sizeof(err)) != sizeof(err))
			_exit(1);
	}
	_exit(0);
}

static void calls_agree(bool send)
{
	const char *call = send ? "sendto()" : "connect()";
	int fds[2], errs[NCASES], status;
	size_t i;
	pid_t pid;

	if (!setup())
		return;
	if (pipe(fds)) {
		test__fail("pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0)
		call_all(fds[1], send);
	close(fds[1]);
	for (i = 0; i < NCASES; i++)
		if (read(fds[0], &errs[i], sizeof(errs[i])) != sizeof(errs[i]))
			test__fail("no result for %s", cases[i].name);
	close(fds[0]);
	waitpid(pid, &status, 0);
	for (i = 0; i < NCASES && !test__state.failed; i++) {
		const struct parity_case *c = &cases[i];

		if (send ? !sendable(&c->d) : !connectable(&c->d))
			continue;
		/* Refused by a hook, or let on to find no route. */
		if ((errs[i] != ECONNREFUSED && errs[i] != EPERM) != c->allowed)
			test__fail("%s: %s failed with %s", c->name, call,
				   strerror(errs[i]));
		if (!c->allowed && errs[i] == EPERM)
			test__skip(
				"this kernel refuses with EPERM, not ECONNREFUSED");
	}
out:
	teardown();
}

static void test_connect_agrees(void)
{
	calls_agree(false);
}

static void test_sendmsg_agrees(void)
{
	calls_agree(true);
}

static const struct test_case tests[] = {
	TEST(test_packets_agree),
	TEST(test_connect_agrees),
	TEST(test_sendmsg_agrees),
};

TEST_MAIN("parity", tests)
