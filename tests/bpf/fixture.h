/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fixture.h - a policy and learned addresses for the BPF tests to judge */
#ifndef MOAT_TEST_BPF_FIXTURE_H
#define MOAT_TEST_BPF_FIXTURE_H

#include <string.h>

#include "allowlist.h"
#include "policy.h"

#define RUNNER4 "192.0.2.2"
#define RUNNER6 "2001:db8::2"

/* Packets from the runner, as struct pkt_desc initialisers. */
#define TCP4(dst, port)                                                    \
	.family = 4, .saddr = RUNNER4, .daddr = dst, .proto = IPPROTO_TCP, \
	.sport = 40000, .dport = port, .tcp_flags = 0x02 /* SYN */
#define UDP4(dst, port)                                                    \
	.family = 4, .saddr = RUNNER4, .daddr = dst, .proto = IPPROTO_UDP, \
	.sport = 40000, .dport = port
#define TCP6(dst, port)                                                    \
	.family = 6, .saddr = RUNNER6, .daddr = dst, .proto = IPPROTO_TCP, \
	.sport = 40000, .dport = port, .tcp_flags = 0x02 /* SYN */
#define UDP6(dst, port)                                                    \
	.family = 6, .saddr = RUNNER6, .daddr = dst, .proto = IPPROTO_UDP, \
	.sport = 40000, .dport = port
#define ICMP4(dst, type)                                                    \
	.family = 4, .saddr = RUNNER4, .daddr = dst, .proto = IPPROTO_ICMP, \
	.icmp_type = type
#define ICMP6(dst, type)                                                      \
	.family = 6, .saddr = RUNNER6, .daddr = dst, .proto = IPPROTO_ICMPV6, \
	.icmp_type = type

/* A rule as the command line gives it: kind "allow", "deny-cidr", ... */
static inline int fixture_rule(struct policy *p, const char *kind,
			       const char *spec)
{
	char err[POLICY_ERR_MAX];
	bool cidr = strstr(kind, "cidr") != NULL;

	return policy__add_rule(p, kind[0] == 'a' ? RULE_ALLOW : RULE_DENY,
				cidr ? RULE_CIDR : RULE_HOST, spec, kind, err,
				sizeof(err));
}

/* An address as an allowed DNS answer for host would teach it. */
static inline int fixture_learn(struct policy *p, struct allowlist *al,
				const char *addr_text, const char *host)
{
	uint8_t addr[ADDR_LEN];
	struct verdict v;

	addr_parse(addr_text, addr);
	policy__match_name(p, host, &v);
	return allowlist__learn(al, addr, host, &v, 300);
}

#endif /* MOAT_TEST_BPF_FIXTURE_H */
