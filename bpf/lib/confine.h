/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* confine.h - moat run: judge a confined process's sockets at the call */
#ifndef MOAT_BPF_CONFINE_H
#define MOAT_BPF_CONFINE_H

/* UAPI values that vmlinux.h, being types only, does not carry. */
#define AF_INET 2
#define AF_INET6 10
#define ECONNREFUSED 111
#define LOOPBACK_IFINDEX 1
#define MOAT_DNS_PORT 53
#define MOAT_INADDR_LOOPBACK 0x7f000001

static __always_inline bool moat_addr_is_v4(const __u8 *addr)
{
	int i;

	for (i = 0; i < 10; i++)
		if (addr[i])
			return false;
	return addr[10] == 0xff && addr[11] == 0xff;
}

/*
 * Loopback and unspecified destinations (connect() to 0.0.0.0 or :: is a
 * connect to this host), in either family's form.
 */
static __always_inline bool moat_addr_is_loopback(const __u8 *addr)
{
	bool zero = true;
	int i;

	if (moat_addr_is_v4(addr))
		return addr[12] == 127 ||
		       !(addr[12] | addr[13] | addr[14] | addr[15]);
	for (i = 0; i < MOAT_ADDR_LEN - 1; i++)
		if (addr[i])
			zero = false;
	return zero && addr[15] <= 1;
}

/*
 * A destination on this host: no packet to it leaves the host, so no
 * rule is needed. The host's own addresses are those the daemon saw at
 * start; one added later is judged by the rules like any other.
 */
static __always_inline bool moat_addr_is_local(const __u8 *addr)
{
	return moat_addr_is_loopback(addr) ||
	       bpf_map_lookup_elem(&moat_local, addr) != NULL;
}

/* The transport a socket's packets use on the wire. */
static __always_inline __u8 moat_call_proto(const struct bpf_sock_addr *ctx)
{
	/* An MPTCP socket's subflows are TCP connections. */
	if (ctx->protocol == IPPROTO_MPTCP)
		return IPPROTO_TCP;
	return (__u8)ctx->protocol;
}

/*
 * The address a socket-address hook's caller named. The context allows
 * only aligned 4-byte accesses at constant offsets, so the family is each
 * program's constant (v4), never a value read: clang would otherwise fold
 * the two paths into one access at a computed offset, which the verifier
 * refuses.
 */
static __always_inline void moat_call_addr(const struct bpf_sock_addr *ctx,
					   bool v4, __u8 *addr)
{
	__u32 w[4];

	if (v4) {
		moat_map_v4(addr, ctx->user_ip4);
		return;
	}
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	__builtin_memcpy(addr, w, MOAT_ADDR_LEN);
}

static __always_inline __u16 moat_call_port(const struct bpf_sock_addr *ctx)
{
	return bpf_ntohs((__u16)ctx->user_port);
}

/* Write an address (16 bytes, IPv4 mapped) back into the context. */
static __always_inline void moat_call_set_addr(struct bpf_sock_addr *ctx,
					       bool v4, const __u8 *addr)
{
	__u32 w[4];

	__builtin_memcpy(w, addr, MOAT_ADDR_LEN);
	if (v4) {
		ctx->user_ip4 = w[3];
		return;
	}
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
}

/*
 * The verdict of the shared policy, then one addition for a confined
 * command: a destination on this host is allowed (a test suite's own
 * servers), unless a deny rule names it.
 */
static __always_inline void moat_decide_call(const __u8 *daddr, __u16 port,
					     __u8 proto,
					     struct moat_decision *d)
{
	moat_decide_policy(daddr, port, proto, d);
	if (d->action == MOAT_ACTION_ALLOWED ||
	    d->reason == MOAT_REASON_DENY_RULE)
		return;
	if (moat_addr_is_local(daddr))
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_LOCAL,
			       MOAT_RULE_NONE);
}

static __always_inline struct moat_config *moat_config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&moat_config, &zero);
}

/*
 * Send a DNS query to moat's proxy, whatever resolver it names, by
 * rewriting the destination of the connect() or sendmsg() itself: no
 * netfilter rule, nothing outside the confined cgroup changes. Where the
 * query meant to go is kept by socket, for the replies. An IPv6 resolver
 * with no IPv6 proxy to send it to is left to the rules (which refuse it
 * at once, unless one allows it).
 */
static __always_inline bool moat_dns_redirect(struct bpf_sock_addr *ctx,
					      bool v4, const __u8 *daddr,
					      __u16 port, __u8 proto,
					      __u64 cookie)
{
	static const __u8 lo6[MOAT_ADDR_LEN] = { [15] = 1 };
	struct moat_dest dest = { .port = port };
	struct moat_config *cfg = moat_config_get();
	__u8 proxy[MOAT_ADDR_LEN];

	if (port != MOAT_DNS_PORT ||
	    (proto != IPPROTO_UDP && proto != IPPROTO_TCP))
		return false;
	if (!cfg || !cfg->proxy_port)
		return false;
	if (moat_addr_is_v4(daddr))
		moat_map_v4(proxy, bpf_htonl(MOAT_INADDR_LOOPBACK));
	else if (cfg->flags & MOAT_CONFIG_F_PROXY_V6)
		__builtin_memcpy(proxy, lo6, MOAT_ADDR_LEN);
	else
		return false;

	__builtin_memcpy(dest.addr, daddr, MOAT_ADDR_LEN);
	bpf_map_update_elem(&moat_dns_dest, &cookie, &dest, BPF_ANY);
	moat_call_set_addr(ctx, v4, proxy);
	ctx->user_port = bpf_htons(cfg->proxy_port);
	return true;
}

/*
 * A reply from the proxy, to a socket whose query was redirected, seems
 * to come from the resolver the query named: resolvers (glibc's among
 * them) drop answers from any other address. A socket that queried
 * several resolvers in turn sees the last one named.
 */
static __always_inline void moat_dns_unredirect(struct bpf_sock_addr *ctx,
						bool v4)
{
	struct moat_config *cfg = moat_config_get();
	struct moat_dest *dest;
	__u8 src[MOAT_ADDR_LEN];
	__u64 cookie;

	if (!cfg || !cfg->proxy_port || moat_call_port(ctx) != cfg->proxy_port)
		return;
	moat_call_addr(ctx, v4, src);
	if (!moat_addr_is_loopback(src))
		return;
	cookie = bpf_get_socket_cookie(ctx);
	dest = bpf_map_lookup_elem(&moat_dns_dest, &cookie);
	if (!dest)
		return;
	if (v4 && !moat_addr_is_v4(dest->addr))
		return;
	moat_call_set_addr(ctx, v4, dest->addr);
	ctx->user_port = bpf_htons(dest->port);
}

/* A connect() or sendmsg() decision, reported like a packet's. */
static __always_inline void moat_emit_call(const __u8 *daddr, __u16 port,
					   __u8 proto, __u64 cookie,
					   const struct moat_decision *d)
{
	struct moat_seen_key key = { .cookie = cookie, .dport = port };
	struct moat_event *ev;
	__u64 now;

	if (d->action == MOAT_ACTION_ALLOWED && d->reason != MOAT_REASON_RULE)
		return; /* this host's own services: noise */

	__builtin_memcpy(key.daddr, daddr, MOAT_ADDR_LEN);
	key.proto = proto;
	key.action = d->action;
	key.reason = d->reason;
	ev = moat_event_reserve(&key, &now);
	if (!ev)
		return;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = MOAT_EVENT_PACKET;
	ev->boot_ns = bpf_ktime_get_boot_ns();
	ev->cookie = cookie;
	__builtin_memcpy(ev->daddr, daddr, MOAT_ADDR_LEN);
	ev->dport = port;
	ev->rule = d->rule;
	ev->proto = proto;
	ev->action = d->action;
	ev->reason = d->reason;
	ev->flags = MOAT_EVENT_F_HOOK | MOAT_EVENT_F_OWNER;
	if (proto == IPPROTO_TCP)
		ev->flags |= MOAT_EVENT_F_SYN;
	moat_owner_current(&ev->owner);
	moat_event_submit(ev, &key, now);
}

/* Let a call through, and its socket's packets to where it named. */
static __always_inline int moat_approve(struct bpf_sock_addr *ctx, bool v4,
					__u64 cookie)
{
	struct moat_dest dest = {};

	moat_call_addr(ctx, v4, dest.addr);
	dest.port = moat_call_port(ctx);
	bpf_map_update_elem(&moat_approved, &cookie, &dest, BPF_ANY);
	return 1;
}

#endif /* MOAT_BPF_CONFINE_H */
