/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* events.h - counters and rate-limited verdict events */
#ifndef MOAT_BPF_EVENTS_H
#define MOAT_BPF_EVENTS_H

/*
 * A flow produces at most one event per window for the same socket,
 * destination, source port and action: that absorbs retransmitted SYNs and
 * a blocked UDP sender's retries. New connections get new source ports and
 * so new events; what bounds a loop of those is the per-CPU budget below.
 */
#define MOAT_EVENT_WINDOW_NS (30ULL * 1000000000ULL)
#define MOAT_BUDGET_PER_SEC 2000ULL
#define MOAT_BUDGET_BURST 4000ULL

static __always_inline void moat_count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&moat_stats, &stat);

	if (n)
		*n += 1;
}

/* Only decisions someone needs to see become events. */
static __always_inline bool moat_event_wanted(const struct moat_packet *pkt,
					      const struct moat_decision *d)
{
	if (d->action != MOAT_ACTION_ALLOWED || d->notify)
		return true;
	if (d->reason != MOAT_REASON_RULE)
		return false; /* upstream, control and inbound: noise */
	if (pkt->proto == IPPROTO_TCP)
		return (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
		       TCP_FLAG_SYN;
	return pkt->frag != MOAT_FRAG_LATER;
}

static __always_inline bool moat_seen_recently(const struct moat_seen_key *key,
					       __u64 now)
{
	__u64 *last = bpf_map_lookup_elem(&moat_seen, key);

	return last && now - *last < MOAT_EVENT_WINDOW_NS;
}

/* Token bucket per CPU: refill at a fixed rate, spend one per event. */
static __always_inline bool moat_budget_take(__u64 now)
{
	__u32 zero = 0;
	struct moat_budget *b = bpf_map_lookup_elem(&moat_budget, &zero);
	__u64 elapsed, refill;

	if (!b)
		return false;

	elapsed = now - b->last_ns;
	if (elapsed > 1000000000ULL * 2)
		elapsed = 1000000000ULL * 2; /* keep the product in range */
	refill = elapsed * MOAT_BUDGET_PER_SEC / 1000000000ULL;
	if (refill) {
		b->tokens += refill;
		if (b->tokens > MOAT_BUDGET_BURST)
			b->tokens = MOAT_BUDGET_BURST;
		b->last_ns = now;
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

/*
 * Room for an event about key, unless one went out for it within the
 * window or the budget is spent (that is counted, and so is a full ring).
 * *now is for moat_event_submit().
 */
static __always_inline struct moat_event *
moat_event_reserve(const struct moat_seen_key *key, __u64 *now)
{
	struct moat_event *ev;

	*now = bpf_ktime_get_ns();
	if (moat_seen_recently(key, *now))
		return NULL;
	if (!moat_budget_take(*now)) {
		moat_count(MOAT_STAT_EVENTS_SUPPRESSED);
		return NULL;
	}
	ev = bpf_ringbuf_reserve(&moat_events, sizeof(*ev), 0);
	if (!ev)
		moat_count(MOAT_STAT_EVENTS_LOST);
	return ev;
}

static __always_inline void moat_event_submit(struct moat_event *ev,
					      const struct moat_seen_key *key,
					      __u64 now)
{
	bpf_ringbuf_submit(ev, 0);
	moat_count(MOAT_STAT_EVENTS_SENT);
	bpf_map_update_elem(&moat_seen, key, &now, BPF_ANY);
}

static __always_inline void moat_fill_event(struct moat_event *ev,
					    struct __sk_buff *skb,
					    const struct moat_packet *pkt,
					    const struct moat_decision *d,
					    __u64 cookie)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = MOAT_EVENT_PACKET;
	ev->boot_ns = bpf_ktime_get_boot_ns();
	ev->cookie = cookie;
	__builtin_memcpy(ev->daddr, pkt->daddr, MOAT_ADDR_LEN);
	__builtin_memcpy(ev->saddr, pkt->saddr, MOAT_ADDR_LEN);
	ev->dport = pkt->dport;
	ev->sport = pkt->sport;
	if (pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6)
		ev->dport = (__u16)pkt->icmp_type << 8 | pkt->icmp_code;
	ev->rule = d->rule;
	ev->ifindex = skb->ifindex;
	ev->proto = pkt->proto;
	ev->action = d->action;
	ev->reason = d->reason;
	if (pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_FLAG_SYN))
		ev->flags |= MOAT_EVENT_F_SYN;
	if (pkt->frag == MOAT_FRAG_LATER)
		ev->flags |= MOAT_EVENT_F_FRAGMENT;
	if (moat_owner_of(cookie, &ev->owner))
		ev->flags |= MOAT_EVENT_F_OWNER;
}

static __always_inline void moat_emit(struct __sk_buff *skb,
				      const struct moat_packet *pkt,
				      const struct moat_decision *d)
{
	struct moat_seen_key key = {};
	struct moat_event *ev;
	__u64 now;

	if (!moat_event_wanted(pkt, d))
		return;

	key.cookie = bpf_get_socket_cookie(skb);
	__builtin_memcpy(key.daddr, pkt->daddr, MOAT_ADDR_LEN);
	key.dport = pkt->dport;
	key.sport = pkt->sport;
	key.proto = pkt->proto;
	key.action = d->action;
	key.reason = d->reason;
	ev = moat_event_reserve(&key, &now);
	if (!ev)
		return;
	moat_fill_event(ev, skb, pkt, d, key.cookie);
	moat_event_submit(ev, &key, now);
}

#endif /* MOAT_BPF_EVENTS_H */
