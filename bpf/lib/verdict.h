/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* verdict.h - the policy decision, one definition for every moat hook */
#ifndef MOAT_BPF_VERDICT_H
#define MOAT_BPF_VERDICT_H

struct moat_decision {
	__u32 rule;
	__u8 action; /* enum moat_action */
	__u8 reason; /* enum moat_reason */
	bool notify; /* worth an event though allowed and routine */
};

static __always_inline void moat_decide_as(struct moat_decision *d, __u8 action,
					   __u8 reason, __u32 rule)
{
	d->action = action;
	d->reason = reason;
	d->rule = rule;
	d->notify = false;
}

/*
 * Port-scoped sets hold TCP and UDP ports only; every other protocol
 * (ICMP among them) is allowed by a rule without ports and by nothing else.
 */
static __always_inline bool moat_portset_has(__u32 set, __u16 port, __u8 proto)
{
	struct moat_port_key key = {};

	if (set == MOAT_PORTSET_ALL)
		return true;
	if (set == MOAT_PORTSET_NONE)
		return false;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;

	key.set = set;
	key.port = port;
	key.proto = proto;
	return bpf_map_lookup_elem(&moat_ports, &key) != NULL;
}

/* Deny wins over allow, whichever rules the two sets came from. */
static __always_inline void moat_judge_entry(const struct moat_entry *e,
					     __u16 port, __u8 proto,
					     struct moat_decision *d)
{
	if (moat_portset_has(e->deny_set, port, proto))
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_DENY_RULE,
			       e->deny_rule);
	else if (moat_portset_has(e->allow_set, port, proto))
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_RULE,
			       e->allow_rule);
	else if (e->allow_set != MOAT_PORTSET_NONE)
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_PORT,
			       MOAT_RULE_NONE);
	else
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_NO_RULE,
			       MOAT_RULE_NONE);
}

/*
 * The policy verdict for a destination. A learned entry already carries
 * what the CIDR rules say about its address (the daemon folds them in when
 * it learns the address), so one hash lookup decides the common case and
 * the trie is walked only for addresses no DNS answer named.
 */
static __always_inline void moat_decide_policy(const __u8 *daddr, __u16 port,
					       __u8 proto,
					       struct moat_decision *d)
{
	struct moat_lpm_key lpm = { .prefixlen = MOAT_ADDR_LEN * 8 };
	const struct moat_entry *e;

	e = bpf_map_lookup_elem(&moat_learned, daddr);
	if (!e) {
		__builtin_memcpy(lpm.addr, daddr, MOAT_ADDR_LEN);
		e = bpf_map_lookup_elem(&moat_cidr, &lpm);
	}
	if (!e) {
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_NO_RULE,
			       MOAT_RULE_NONE);
		return;
	}
	moat_judge_entry(e, port, proto, d);
}

#endif /* MOAT_BPF_VERDICT_H */
