// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench_datapath.c - the classifier's cost per packet, run in the kernel */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <unistd.h>

#include "allowlist.h"
#include "bench.h"
#include "datapath.h"
#include "log.h"
#include "pktgen.h"

/*
 * BPF_PROG_TEST_RUN runs a program on one packet many times in the kernel
 * and reports the mean time a run took: the classifier's own cost, with
 * no link, no scheduler and no neighbour in the way. The baseline is a
 * program that only returns TC_ACT_UNSPEC, so the difference is what
 * moat's parsing, lookups and verdict add to each packet.
 */
#define REPEAT 1000000
#define CIDR_RULES 100

static struct policy pol;
static struct datapath *dp;
static int empty_fd = -1;

/* A TC program that lets everything on: the cost of any program at all. */
static int load_empty(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	empty_fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "moat_empty", "GPL",
				 insns, 2, NULL);
	return empty_fd < 0 ? -errno : 0;
}

/* 100 CIDR rules, IPv4 and IPv6, none covering the packets below. */
static int add_cidr_rules(void)
{
	char spec[64], err[POLICY_ERR_MAX];
	int i, ret = 0;

	for (i = 0; i < CIDR_RULES && !ret; i++) {
		if (i % 2)
			snprintf(spec, sizeof(spec), "192.0.2.%d:443", i);
		else
			snprintf(spec, sizeof(spec),
				 "[2001:db8:ff:%x::/64]:443", (unsigned int)i);
		ret = policy__add_rule(&pol, RULE_ALLOW, RULE_CIDR, spec,
				       "bench", err, sizeof(err));
	}
	return ret;
}

/*
 * Learned addresses up to n: the two that the packets go to, and the rest
 * spread over 2001:db8:100::/48.
 */
static int learn(uint32_t n, uint32_t *have)
{
	struct moat_entry e = { .allow_set = MOAT_PORTSET_ALL,
				.deny_set = MOAT_PORTSET_NONE,
				.allow_rule = 0,
				.deny_rule = MOAT_RULE_NONE };
	uint8_t addr[ADDR_LEN];
	int err = 0;

	if (!*have) {
		addr_parse("198.51.100.10", addr);
		err = datapath__put_learned(dp, addr, &e);
		addr_parse("2001:db8:1::10", addr);
		if (!err)
			err = datapath__put_learned(dp, addr, &e);
		*have = 2;
	}
	addr_parse("2001:db8:100::", addr);
	for (; *have < n && !err; (*have)++) {
		addr[12] = (uint8_t)(*have >> 24);
		addr[13] = (uint8_t)(*have >> 16);
		addr[14] = (uint8_t)(*have >> 8);
		addr[15] = (uint8_t)*have;
		err = datapath__put_learned(dp, addr, &e);
	}
	return err;
}

/* Mean nanoseconds a run of prog_fd took on the packet, median of rounds. */
static double ns_per_packet(int prog_fd, const struct pkt_desc *d)
{
	double runs[BENCH_ROUNDS];
	struct pkt p;
	int i;

	pkt_build(d, &p);
	/* A first round warms caches and maps; it is not counted. */
	for (i = -1; i < BENCH_ROUNDS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.b,
			    .data_size_in = (uint32_t)p.len, .repeat = REPEAT);

		if (bpf_prog_test_run_opts(prog_fd, &opts))
			return -1;
		if (i >= 0)
			runs[i] = opts.duration;
	}
	return bench_median(runs, BENCH_ROUNDS);
}

#define ACK 0x10
#define SYN 0x02

struct packet_case {
	const char *name;
	struct pkt_desc d;
};

/*
 * An established flow's packets (ACK) to a learned address, and a new
 * connection (SYN) to an address nothing allows, in each family.
 */
static const struct packet_case packets[] = {
	{ "ipv4_allowed",
	  { .family = 4,
	    .saddr = "192.0.2.2",
	    .daddr = "198.51.100.10",
	    .proto = IPPROTO_TCP,
	    .sport = 40000,
	    .dport = 443,
	    .tcp_flags = ACK } },
	{ "ipv4_denied",
	  { .family = 4,
	    .saddr = "192.0.2.2",
	    .daddr = "203.0.113.99",
	    .proto = IPPROTO_TCP,
	    .sport = 40000,
	    .dport = 443,
	    .tcp_flags = SYN } },
	{ "ipv6_allowed",
	  { .family = 6,
	    .saddr = "2001:db8::2",
	    .daddr = "2001:db8:1::10",
	    .proto = IPPROTO_TCP,
	    .sport = 40000,
	    .dport = 443,
	    .tcp_flags = ACK } },
	{ "ipv6_denied",
	  { .family = 6,
	    .saddr = "2001:db8::2",
	    .daddr = "2001:db8:9::99",
	    .proto = IPPROTO_TCP,
	    .sport = 40000,
	    .dport = 443,
	    .tcp_flags = SYN } },
};

static int setup(void)
{
	struct datapath_opts opts = { .ifindex = 1, .has_l2 = true };
	int err;

	log_set_level(LOG_LEVEL_ERROR);
	err = policy__init(&pol);
	if (!err)
		err = add_cidr_rules();
	if (!err)
		err = datapath__open(&dp, &opts);
	if (!err)
		err = datapath__load_policy(dp, &pol);
	if (!err)
		err = load_empty();
	return err;
}

int main(void)
{
	const uint32_t sizes[] = { 10, 1000, 65000 };
	char name[96];
	uint32_t have = 0;
	size_t s, i;

	if (setup()) {
		fprintf(stderr,
			"bench_datapath: cannot load the classifier: %s\n",
			strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
		snprintf(name, sizeof(name), "datapath.empty.%s",
			 packets[i].name);
		bench_result(name, ns_per_packet(empty_fd, &packets[i].d),
			     "ns");
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		if (learn(sizes[s], &have)) {
			fprintf(stderr,
				"bench_datapath: cannot learn %u addresses\n",
				sizes[s]);
			return 1;
		}
		for (i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
			snprintf(name, sizeof(name), "datapath.moat_%u.%s",
				 sizes[s], packets[i].name);
			bench_result(
				name,
				ns_per_packet(datapath__prog_fd(
						      dp, DATAPATH_PROG_EGRESS),
					      &packets[i].d),
				"ns");
		}
	}
	datapath__close(dp);
	policy__fini(&pol);
	close(empty_fd);
	return 0;
}
