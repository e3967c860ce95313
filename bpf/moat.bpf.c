// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* moat.bpf.c - the egress classifier and its ingress companion */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "moat.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/owner.h"
#include "lib/events.h"
#include "lib/confine.h"

/*
 * TC_ACT_UNSPEC lets a packet go on to the next filter on the hook, so an
 * allowed packet still meets whatever else the host runs there; a dropped
 * one ends with TC_ACT_SHOT.
 */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMPV6_MLD_QUERY 130
#define ICMPV6_MLD_DONE 132
#define ICMPV6_MLD2_REPORT 143
#define NDISC_ROUTER_SOLICITATION 133
#define NDISC_REDIRECT 137
/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_SYN_RECV 3
#define TCP_STATE_LISTEN 10
#define TCP_STATE_NEW_SYN_RECV 12
#define BPF_F_CURRENT_NETNS_ID (-1L)

/* Set before load: report what would be blocked, drop nothing. */
const volatile bool moat_audit = false;

/*
 * Set before load: false for links without a link-layer header (WireGuard,
 * tun), where a packet starts at its IP header.
 */
const volatile bool moat_has_l2 = true;

/*
 * Set before load: socket-address hooks may choose the error a refused
 * call returns (Linux 5.18); without it the caller gets EPERM.
 */
const volatile bool moat_has_set_retval = false;

/* The inbound-flow key of a packet, seen from this host. */
static __always_inline void moat_flow_key_of(__u8 proto, const __u8 *raddr,
					     __u16 rport, __u16 lport,
					     struct moat_flow_key *key)
{
	__builtin_memcpy(key->raddr, raddr, MOAT_ADDR_LEN);
	key->proto = proto;
	key->rport = rport;
	key->lport = lport;
}

static __always_inline bool moat_inbound_flow(__u8 proto, const __u8 *raddr,
					      __u16 rport, __u16 lport)
{
	struct moat_flow_key key = {};

	moat_flow_key_of(proto, raddr, rport, lport, &key);
	return bpf_map_lookup_elem(&moat_inbound, &key) != NULL;
}

/*
 * This host sends ICMP errors about packets it received (a datagram to a
 * closed port, a forwarded packet too big). The error goes back to the
 * packet's sender and quotes it: let it out only when that sender opened
 * the quoted flow, which the ingress program recorded.
 */
static __always_inline bool
moat_error_is_about_inbound(const struct moat_packet *pkt)
{
	int i;

	if (!pkt->quoted)
		return false;
	for (i = 0; i < MOAT_ADDR_LEN; i++)
		if (pkt->q_saddr[i] != pkt->daddr[i])
			return false;
	return moat_inbound_flow(pkt->q_proto, pkt->q_saddr, pkt->q_sport,
				 pkt->q_dport);
}

/* Link-local multicast (ff02::/16), link-local unicast, or on-link. */
static __always_inline bool moat_is_on_link6(const __u8 *daddr)
{
	struct moat_lpm_key key = { .prefixlen = MOAT_ADDR_LEN * 8 };

	if (daddr[0] == 0xff && (daddr[1] & 0x0f) == 0x02)
		return true;
	if (daddr[0] == 0xfe && (daddr[1] & 0xc0) == 0x80)
		return true;
	__builtin_memcpy(key.addr, daddr, MOAT_ADDR_LEN);
	return bpf_map_lookup_elem(&moat_onlink, &key) != NULL;
}

static __always_inline bool moat_icmp6_is_control(const struct moat_packet *pkt)
{
	__u8 type = pkt->icmp_type;

	/*
	 * Neighbour discovery (RFC 4861) with hop limit 255, which receivers
	 * demand and routers never forward, to this link's own addresses.
	 */
	if (type >= NDISC_ROUTER_SOLICITATION && type <= NDISC_REDIRECT)
		return pkt->hop_limit == 255 && moat_is_on_link6(pkt->daddr);
	/* MLD (RFC 3810): hop limit 1, to a group; it keeps NDP working. */
	if ((type >= ICMPV6_MLD_QUERY && type <= ICMPV6_MLD_DONE) ||
	    type == ICMPV6_MLD2_REPORT)
		return pkt->hop_limit == 1 && pkt->daddr[0] == 0xff;
	return false;
}

static __always_inline bool moat_is_broadcast4(const __u8 *daddr)
{
	return daddr[12] == 0xff && daddr[13] == 0xff && daddr[14] == 0xff &&
	       daddr[15] == 0xff;
}

/*
 * DHCP keeps the host's address. Clients send from ports below 1024,
 * which only root binds, and only to the broadcast address, the DHCPv6
 * servers' group (ff02::1:2) or a server the lease names.
 */
static __always_inline bool moat_is_dhcp(const struct moat_packet *pkt)
{
	static const __u8 dhcp6_servers[MOAT_ADDR_LEN] = {
		0xff, 0x02, [13] = 1, [15] = 2
	};
	int i;

	if (pkt->family == 4) {
		if (pkt->sport != 68 || pkt->dport != 67)
			return false;
		return moat_is_broadcast4(pkt->daddr) ||
		       bpf_map_lookup_elem(&moat_dhcp_servers, pkt->daddr);
	}
	if (pkt->sport != 546 || pkt->dport != 547)
		return false;
	for (i = 0; i < MOAT_ADDR_LEN; i++)
		if (pkt->daddr[i] != dhcp6_servers[i])
			return bpf_map_lookup_elem(&moat_dhcp_servers,
						   pkt->daddr) != NULL;
	return true;
}

/* What a host needs to keep its place on the link, whatever the policy. */
static __always_inline bool moat_is_control(const struct moat_packet *pkt)
{
	if (moat_icmp_is_error(pkt))
		return moat_error_is_about_inbound(pkt);
	switch (pkt->proto) {
	case IPPROTO_ICMPV6:
		return moat_icmp6_is_control(pkt);
	case IPPROTO_UDP:
		return moat_is_dhcp(pkt);
	case IPPROTO_IGMP:
		/* IGMP reports: TTL 1, to a group (RFC 3376 4). */
		return pkt->family == 4 && (pkt->daddr[12] & 0xf0) == 0xe0 &&
		       pkt->hop_limit == 1;
	}
	return false;
}

/*
 * The proxy's own upstream queries. The socket mark spares them the NAT
 * redirect, but a mark can be set with CAP_NET_RAW (since Linux 5.17), so
 * here the socket itself must be one the proxy registered.
 */
static __always_inline bool moat_is_upstream(struct __sk_buff *skb,
					     const struct moat_packet *pkt)
{
	struct moat_upstream_key key = {};
	__u64 cookie;

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP)
		return false;
	cookie = bpf_get_socket_cookie(skb);
	if (!cookie || !bpf_map_lookup_elem(&moat_upstream_socks, &cookie))
		return false;

	__builtin_memcpy(key.addr, pkt->daddr, MOAT_ADDR_LEN);
	key.port = pkt->dport;
	return bpf_map_lookup_elem(&moat_upstreams, &key) != NULL;
}

/*
 * A TCP packet of a connection a peer opened. With a socket: its SYN-ACK
 * (from the listener's request socket) or any packet of a passively
 * established socket, which the sock_ops hook recorded. Without one (a
 * forwarded container port, the kernel's RST): a flow the ingress program
 * saw the peer open. A SYN without ACK starts a connection from this host
 * and is never a reply, so a peer that sends a SYN first cannot open the
 * way for a local connect() (simultaneous open).
 */
static __always_inline bool
moat_tcp_is_inbound_reply(struct __sk_buff *skb, const struct moat_packet *pkt)
{
	struct bpf_sock *sk = skb->sk;
	__u64 cookie;

	if ((pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return false;
	if (!sk)
		return moat_inbound_flow(IPPROTO_TCP, pkt->daddr, pkt->dport,
					 pkt->sport);
	if ((pkt->tcp_flags & TCP_FLAG_SYN) &&
	    (sk->state == TCP_STATE_SYN_RECV || sk->state == TCP_STATE_LISTEN ||
	     sk->state == TCP_STATE_NEW_SYN_RECV))
		return true;
	cookie = bpf_get_socket_cookie(skb);
	return cookie && bpf_map_lookup_elem(&moat_passive, &cookie);
}

/*
 * A reply on a flow a remote peer opened (an SSH session into a
 * self-hosted runner, a published container port, a ping). The limit this
 * implies: a process that accepts connections, or answers datagrams on an
 * unconnected socket, can talk to whoever contacts it.
 */
static __always_inline bool moat_is_inbound_reply(struct __sk_buff *skb,
						  const struct moat_packet *pkt)
{
	switch (pkt->proto) {
	case IPPROTO_TCP:
		return moat_tcp_is_inbound_reply(skb, pkt);
	case IPPROTO_UDP:
		return moat_inbound_flow(IPPROTO_UDP, pkt->daddr, pkt->dport,
					 pkt->sport);
	case IPPROTO_ICMP:
		return pkt->icmp_type == ICMP_ECHOREPLY &&
		       moat_inbound_flow(IPPROTO_ICMP, pkt->daddr, pkt->icmp_id,
					 0);
	case IPPROTO_ICMPV6:
		return pkt->icmp_type == ICMPV6_ECHO_REPLY &&
		       moat_inbound_flow(IPPROTO_ICMPV6, pkt->daddr,
					 pkt->icmp_id, 0);
	}
	return false;
}

/*
 * A connection open before moat started is kept. Its entry is 1 until
 * its first packet here, which is reported (once: the audit log then says
 * it was kept) and sets it to 2.
 */
static __always_inline bool moat_is_kept(struct __sk_buff *skb,
					 struct moat_decision *d)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u8 *kept;

	kept = cookie ? bpf_map_lookup_elem(&moat_kept, &cookie) : NULL;
	if (!kept)
		return false;
	moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_EXISTING,
		       MOAT_RULE_NONE);
	if (*kept == MOAT_KEPT_NEW) {
		*kept = MOAT_KEPT_REPORTED;
		d->notify = true;
	}
	return true;
}

static __always_inline void moat_frag_key_of(const struct moat_packet *pkt,
					     struct moat_frag_key *key)
{
	__builtin_memcpy(key->saddr, pkt->saddr, MOAT_ADDR_LEN);
	__builtin_memcpy(key->daddr, pkt->daddr, MOAT_ADDR_LEN);
	key->id = pkt->frag_id;
	key->proto = pkt->proto;
}

/* A later fragment has no ports: it follows its first fragment. */
static __always_inline void
moat_decide_later_fragment(const struct moat_packet *pkt,
			   struct moat_decision *d)
{
	struct moat_frag_key key = {};
	struct moat_frag_verdict *v;

	moat_frag_key_of(pkt, &key);
	v = bpf_map_lookup_elem(&moat_frags, &key);
	if (v)
		moat_decide_as(d, MOAT_ACTION_ALLOWED, v->reason, v->rule);
	else
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_FRAGMENT,
			       MOAT_RULE_NONE);
}

static __always_inline void
moat_remember_first_fragment(const struct moat_packet *pkt,
			     const struct moat_decision *d)
{
	struct moat_frag_verdict v = { .rule = d->rule, .reason = d->reason };
	struct moat_frag_key key = {};

	if (pkt->frag != MOAT_FRAG_FIRST || d->action != MOAT_ACTION_ALLOWED)
		return;
	moat_frag_key_of(pkt, &key);
	bpf_map_update_elem(&moat_frags, &key, &v, BPF_ANY);
}

static __always_inline void moat_decide_egress(struct __sk_buff *skb,
					       const struct moat_packet *pkt,
					       struct moat_decision *d)
{
	/*
	 * A source route (an IPv6 routing header with hops left, an IPv4
	 * LSRR or SSRR option) sends the packet on to an address this
	 * classifier never sees; no stack a CI job runs needs that.
	 */
	if (pkt->source_routed) {
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_ROUTING_HDR,
			       MOAT_RULE_NONE);
		return;
	}
	if (pkt->frag == MOAT_FRAG_LATER) {
		moat_decide_later_fragment(pkt, d);
		return;
	}
	if (moat_is_control(pkt)) {
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_CONTROL,
			       MOAT_RULE_NONE);
		return;
	}
	if (moat_is_upstream(skb, pkt)) {
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_UPSTREAM,
			       MOAT_RULE_NONE);
		return;
	}

	moat_decide_policy(pkt->daddr, pkt->dport, pkt->proto, d);
	if (d->action != MOAT_ACTION_ALLOWED && moat_is_inbound_reply(skb, pkt))
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_INBOUND,
			       MOAT_RULE_NONE);
	else if (d->action != MOAT_ACTION_ALLOWED)
		moat_is_kept(skb, d);
	moat_remember_first_fragment(pkt, d);
}

static __always_inline void moat_decide_unparsed(int status,
						 struct moat_decision *d)
{
	if (status == MOAT_PARSE_ARP)
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_CONTROL,
			       MOAT_RULE_NONE);
	else if (status == MOAT_PARSE_NON_IP)
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_NON_IP,
			       MOAT_RULE_NONE);
	else
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_MALFORMED,
			       MOAT_RULE_NONE);
}

static __always_inline int moat_conclude(struct __sk_buff *skb,
					 const struct moat_packet *pkt,
					 struct moat_decision *d)
{
	if (d->action == MOAT_ACTION_BLOCKED && moat_audit)
		d->action = MOAT_ACTION_WOULD_BLOCK;

	if (d->action == MOAT_ACTION_ALLOWED)
		moat_count(MOAT_STAT_PACKETS_ALLOWED);
	else if (d->action == MOAT_ACTION_BLOCKED)
		moat_count(MOAT_STAT_PACKETS_BLOCKED);
	else
		moat_count(MOAT_STAT_PACKETS_WOULD_BLOCK);

	moat_emit(skb, pkt, d);
	return d->action == MOAT_ACTION_BLOCKED ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int moat_tc_egress(struct __sk_buff *skb)
{
	struct moat_packet pkt = {};
	struct moat_decision d;
	int status;

	status = moat_parse(skb, moat_has_l2, true, &pkt);
	if (status == MOAT_PARSE_OK)
		moat_decide_egress(skb, &pkt, &d);
	else
		moat_decide_unparsed(status, &d);

	return moat_conclude(skb, &pkt, &d);
}

/* The socket tuple of an inbound packet, for a socket lookup. */
static __always_inline __u32 moat_sock_tuple(const struct moat_packet *pkt,
					     struct bpf_sock_tuple *t)
{
	if (pkt->family == 4) {
		__builtin_memcpy(&t->ipv4.saddr, pkt->saddr + 12, 4);
		__builtin_memcpy(&t->ipv4.daddr, pkt->daddr + 12, 4);
		t->ipv4.sport = bpf_htons(pkt->sport);
		t->ipv4.dport = bpf_htons(pkt->dport);
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, pkt->saddr, MOAT_ADDR_LEN);
	__builtin_memcpy(t->ipv6.daddr, pkt->daddr, MOAT_ADDR_LEN);
	t->ipv6.sport = bpf_htons(pkt->sport);
	t->ipv6.dport = bpf_htons(pkt->dport);
	return sizeof(t->ipv6);
}

/*
 * Which inbound flows to remember, for replies leaving without a socket
 * of their own or from a server socket:
 * - a TCP SYN no local socket takes: a forwarded connection (a published
 *   container port) or a closed port, whose RST then goes back;
 * - a UDP datagram to an unconnected socket (a server) or to none (a
 *   forwarded flow, or a closed port whose ICMP error then goes back); a
 *   connected socket's datagrams are replies to its own flow;
 * - an echo request, answered by the kernel.
 * Local TCP servers are the sock_ops hook's: their sockets are marked.
 */
static __always_inline bool moat_should_record(struct __sk_buff *skb,
					       const struct moat_packet *pkt)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 len = moat_sock_tuple(pkt, &t);
	bool record;

	if (pkt->proto == IPPROTO_TCP) {
		if ((pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) !=
		    TCP_FLAG_SYN)
			return false;
		sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS_ID,
					0);
		record = !sk;
	} else {
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS_ID, 0);
		record = !sk || !sk->dst_port;
	}
	if (sk)
		bpf_sk_release(sk);
	return record;
}

/*
 * Flows a peer opens: a TCP SYN without ACK, a UDP datagram, an echo
 * request. UDP has no handshake, so replies to this host's own datagrams
 * are recorded too; those flows were allowed on the way out already.
 */
static __always_inline void moat_record_inbound(struct __sk_buff *skb,
						const struct moat_packet *pkt)
{
	struct moat_flow_key key = {};
	__u8 one = 1;

	switch (pkt->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		moat_flow_key_of(pkt->proto, pkt->saddr, pkt->sport, pkt->dport,
				 &key);
		break;
	case IPPROTO_ICMP:
		if (pkt->icmp_type != ICMP_ECHO)
			return;
		moat_flow_key_of(pkt->proto, pkt->saddr, pkt->icmp_id, 0, &key);
		break;
	case IPPROTO_ICMPV6:
		if (pkt->icmp_type != ICMPV6_ECHO_REQUEST)
			return;
		moat_flow_key_of(pkt->proto, pkt->saddr, pkt->icmp_id, 0, &key);
		break;
	default:
		return;
	}

	/* A lookup first: most packets belong to flows already recorded. */
	if (bpf_map_lookup_elem(&moat_inbound, &key))
		return;
	if ((pkt->proto == IPPROTO_TCP || pkt->proto == IPPROTO_UDP) &&
	    !moat_should_record(skb, pkt))
		return;
	bpf_map_update_elem(&moat_inbound, &key, &one, BPF_NOEXIST);
}

SEC("tc")
int moat_tc_ingress(struct __sk_buff *skb)
{
	struct moat_packet pkt = {};

	if (moat_parse(skb, moat_has_l2, false, &pkt) == MOAT_PARSE_OK &&
	    pkt.frag != MOAT_FRAG_LATER)
		moat_record_inbound(skb, &pkt);
	return TC_ACT_UNSPEC;
}

/*
 * Socket hooks: note who owns each socket, so that the classifier, which
 * sees packets after the process that made them is out of reach, can say
 * whose they were. They let every call proceed (return 1) but those that
 * would get a packet past the classifier, below.
 */

/* A refused socket or socket option; hooks in the caller's context only. */
static __always_inline void moat_emit_socket(struct bpf_sock *sk, __u32 reason)
{
	struct moat_socket_event *ev;

	ev = bpf_ringbuf_reserve(&moat_events, sizeof(*ev), 0);
	if (!ev) {
		moat_count(MOAT_STAT_EVENTS_LOST);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = MOAT_EVENT_SOCKET;
	ev->family = (__u16)sk->family;
	ev->type = (__u16)sk->type;
	ev->protocol = sk->protocol;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->reason = reason;
	ev->boot_ns = bpf_ktime_get_boot_ns();
	moat_owner_current(&ev->owner);
	bpf_ringbuf_submit(ev, 0);
	moat_count(MOAT_STAT_EVENTS_SENT);
}

SEC("cgroup/sock_create")
int moat_sock_create(struct bpf_sock *sk)
{
	moat_record_owner(bpf_get_socket_cookie(sk));
	/*
	 * A raw IP socket writes whole packets, any source address and
	 * protocol included; a process that is not root has one only through
	 * a file capability or an ambient CAP_NET_RAW. It is refused (EPERM)
	 * and reported. The classifier still sees what root's raw sockets
	 * send. Packet sockets (AF_PACKET) are not created through this hook
	 * (it runs for IP sockets only); what they send meets the classifier
	 * like any frame, unless they skip it, which moat_setsockopt refuses.
	 */
	if (sk->type != SOCK_RAW || (__u32)bpf_get_current_uid_gid() == 0)
		return 1;
	moat_emit_socket(sk, MOAT_SOCKET_RAW);
	return moat_audit ? 1 : 0;
}

#define SOL_IP 0
#define IP_OPTIONS 4
#define SOL_IPV6 41
#define IPV6_2292PKTOPTIONS 6
#define IPV6_RTHDR 57
#define SOL_PACKET 263
#define PACKET_QDISC_BYPASS 20
#define SOL_XDP 283
#define PAGE_SIZE 4096

/*
 * Does setsockopt(IP_OPTIONS) name a source route? The option's bytes
 * lie in the page the program sees (the kernel refuses more than 40),
 * read in place, position by position, as moat_ipv4_options_scan()
 * reads a packet's.
 */
static __always_inline bool moat_sockopt_source_routed(struct bpf_sockopt *ctx)
{
	__u8 *optval = ctx->optval, *end = ctx->optval_end;
	__u64 starts = 1;
	__u32 pos, optlen;

	for (pos = 0; pos < MOAT_IPV4_OPTS_MAX; pos++) {
		/* A source route is never shorter than its type and length. */
		if (optval + pos + 2 > end)
			break;
		if (!(starts >> pos & 1))
			continue;
		if (optval[pos] == IPOPT_END)
			break;
		if (optval[pos] == IPOPT_LSRR || optval[pos] == IPOPT_SSRR)
			return true;
		if (optval[pos] == IPOPT_NOOP) {
			starts |= 1ULL << (pos + 1);
			continue;
		}
		optlen = optval[pos + 1];
		if (optlen < 2 || pos + optlen > MOAT_IPV4_OPTS_MAX)
			break; /* malformed: the kernel refuses it */
		starts |= 1ULL << (pos + optlen);
	}
	return false;
}

/*
 * Why a socket option is refused, or 0.
 *
 * Two send packets past the classifier: a packet socket with
 * PACKET_QDISC_BYPASS hands its frames to the driver directly
 * (dev_direct_xmit skips the egress hook), and so does an AF_XDP socket,
 * which needs its SOL_XDP options (UMEM, rings) before it can send. Both
 * take CAP_NET_RAW, so this is about root and capable processes: they are
 * refused the options, root included, for every process in the cgroup.
 * Root can still detach moat; this closes the quiet way round it.
 *
 * Others name a source route, which carries a connection to a name the
 * policy allows by way of a host it does not: IP_OPTIONS with a loose or
 * strict source route, and any IPv6 routing header (Linux accepts only
 * those that route: type 2 and segment routing), set with IPV6_RTHDR or
 * among the sticky options RFC 2292's IPV6_PKTOPTIONS sets from a
 * control-message buffer (that old call is refused whole: nothing a CI
 * job runs uses it). Their packets would be dropped as they leave;
 * refusing the option says why, at once. One sent as a control message,
 * per packet, meets only the drop.
 */
static __always_inline __u32 moat_sockopt_refusal(struct bpf_sockopt *ctx)
{
	if (ctx->level == SOL_PACKET && ctx->optname == PACKET_QDISC_BYPASS)
		return MOAT_SOCKET_QDISC_BYPASS;
	if (ctx->level == SOL_XDP)
		return MOAT_SOCKET_XDP;
	if (ctx->level == SOL_IP && ctx->optname == IP_OPTIONS &&
	    moat_sockopt_source_routed(ctx))
		return MOAT_SOCKET_SOURCE_ROUTE;
	if (ctx->level == SOL_IPV6 && ctx->optlen > 0 &&
	    (ctx->optname == IPV6_RTHDR || ctx->optname == IPV6_2292PKTOPTIONS))
		return MOAT_SOCKET_SOURCE_ROUTE;
	return 0;
}

SEC("cgroup/setsockopt")
int moat_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 reason = moat_sockopt_refusal(ctx);

	if (reason && sk) {
		moat_emit_socket(sk, reason);
		if (!moat_audit)
			return 0;
	}
	/*
	 * The program sees at most a page of the option; for a longer one,
	 * kernels before 6.5 fail the call with EFAULT unless optlen is 0,
	 * which tells the kernel to use the caller's own buffer.
	 */
	if (ctx->optlen > PAGE_SIZE)
		ctx->optlen = 0;
	return 1;
}

SEC("cgroup/connect4")
int moat_connect4(struct bpf_sock_addr *ctx)
{
	moat_record_owner(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/connect6")
int moat_connect6(struct bpf_sock_addr *ctx)
{
	moat_record_owner(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/sendmsg4")
int moat_sendmsg4(struct bpf_sock_addr *ctx)
{
	moat_record_owner(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/sendmsg6")
int moat_sendmsg6(struct bpf_sock_addr *ctx)
{
	moat_record_owner(bpf_get_socket_cookie(ctx));
	return 1;
}

/*
 * Packet sockets are not IP sockets: no cgroup hook sees them made or
 * used, so their frames would meet the classifier with no owner. Their
 * sends pass through packet_sendmsg in the sender's context, where the
 * sender is recorded like a connect's. (Frames from a process outside
 * the --cgroup subtree are recorded too: this hook is not a cgroup's.)
 */
SEC("fentry/packet_sendmsg")
int BPF_PROG(moat_packet_sendmsg, struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sk)
		moat_record_owner(bpf_get_socket_cookie(sk));
	return 0;
}

/*
 * DNS queries reach the proxy through NAT (moat start) or a rewritten
 * connect() (moat run), which hides the client's socket from it but not
 * the socket's address and port. This runs after NAT (ip_finish_output),
 * on packets that carry their socket: it records the owner of each socket
 * that sends to the proxy, under the address and port the proxy will see.
 */
static __always_inline void moat_note_dns_client(struct __sk_buff *skb,
						 const struct moat_packet *pkt)
{
	struct moat_config *cfg = moat_config_get();
	struct moat_endpoint_key key = {};
	struct moat_owner owner;

	if (!cfg || !cfg->proxy_port || pkt->dport != cfg->proxy_port ||
	    (pkt->proto != IPPROTO_UDP && pkt->proto != IPPROTO_TCP) ||
	    !moat_addr_is_loopback(pkt->daddr))
		return;
	if (!moat_owner_of(bpf_get_socket_cookie(skb), &owner))
		return;

	__builtin_memcpy(key.addr, pkt->saddr, MOAT_ADDR_LEN);
	key.port = pkt->sport;
	key.proto = pkt->proto;
	bpf_map_update_elem(&moat_dns_client, &key, &owner, BPF_ANY);
}

SEC("cgroup_skb/egress")
int moat_dns_egress(struct __sk_buff *skb)
{
	struct moat_packet pkt = {};

	if (moat_parse(skb, false, false, &pkt) == MOAT_PARSE_OK)
		moat_note_dns_client(skb, &pkt);
	return 1;
}

static __always_inline void moat_emit_step(__u32 root)
{
	struct moat_step_event *ev;

	ev = bpf_ringbuf_reserve(&moat_events, sizeof(*ev), 0);
	if (!ev) {
		moat_count(MOAT_STAT_EVENTS_LOST);
		return;
	}
	ev->kind = MOAT_EVENT_STEP;
	ev->root = root;
	ev->boot_ns = bpf_ktime_get_boot_ns();
	bpf_ringbuf_submit(ev, 0);
}

/* A TCP connection a peer opened: its socket's packets are replies. */
SEC("sockops")
int moat_sockops(struct bpf_sock_ops *ctx)
{
	__u64 cookie;
	__u8 one = 1;

	if (ctx->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&moat_passive, &cookie, &one, BPF_ANY);
	return 1;
}

/*
 * The runner's worker starts each workflow step as a direct child. That
 * child becomes a step root, tagged with its own pid, and every process
 * forked below it inherits the tag: a background process a step leaves
 * behind stays that step's work. Threads share their process's tag.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(moat_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, tag;
	struct moat_config *cfg;
	__u32 zero = 0;

	if ((__u32)child->pid != ctgid)
		return 0; /* a new thread */

	cfg = bpf_map_lookup_elem(&moat_config, &zero);
	if (cfg && cfg->worker_tgid && ptgid == cfg->worker_tgid) {
		tag = ctgid;
		moat_emit_step(ctgid);
	} else {
		tag = moat_tag_of(ptgid);
	}

	if (tag != MOAT_TAG_NONE)
		bpf_map_update_elem(&moat_proc_tag, &ctgid, &tag, BPF_ANY);
	else
		bpf_map_delete_elem(&moat_proc_tag, &ctgid);
	return 0;
}

/*
 * moat run: hooks on the confined command's cgroup, and nothing else on
 * the host. A connect() or sendmsg() to a destination the policy does not
 * allow fails at once (ECONNREFUSED where the kernel lets a hook choose,
 * EPERM before 5.18), rather than timing out; DNS goes to the proxy
 * whatever resolver it names. The egress hook is the backstop for what no
 * call hook sees: ICMP, raw sockets, a TCP Fast Open sendto().
 */
static __always_inline int moat_judge_call(struct bpf_sock_addr *ctx, bool v4)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	__u8 proto = moat_call_proto(ctx);
	__u8 daddr[MOAT_ADDR_LEN];
	struct moat_decision d;
	__u16 port;

	moat_record_owner(cookie);
	moat_call_addr(ctx, v4, daddr);
	port = moat_call_port(ctx);
	if (moat_dns_redirect(ctx, v4, daddr, port, proto, cookie))
		return moat_approve(ctx, v4, cookie);

	moat_decide_call(daddr, port, proto, &d);
	if (d.action == MOAT_ACTION_BLOCKED && moat_audit)
		d.action = MOAT_ACTION_WOULD_BLOCK;
	moat_count(
		d.action == MOAT_ACTION_ALLOWED ? MOAT_STAT_CALLS_ALLOWED :
		d.action == MOAT_ACTION_BLOCKED ? MOAT_STAT_CALLS_BLOCKED :
						  MOAT_STAT_CALLS_WOULD_BLOCK);
	moat_emit_call(daddr, port, proto, cookie, &d);
	if (d.action != MOAT_ACTION_BLOCKED)
		return moat_approve(ctx, v4, cookie);
	if (moat_has_set_retval)
		bpf_set_retval(-ECONNREFUSED);
	return 0;
}

SEC("cgroup/connect4")
int moat_run_connect4(struct bpf_sock_addr *ctx)
{
	return moat_judge_call(ctx, true);
}

SEC("cgroup/connect6")
int moat_run_connect6(struct bpf_sock_addr *ctx)
{
	return moat_judge_call(ctx, false);
}

SEC("cgroup/sendmsg4")
int moat_run_sendmsg4(struct bpf_sock_addr *ctx)
{
	return moat_judge_call(ctx, true);
}

SEC("cgroup/sendmsg6")
int moat_run_sendmsg6(struct bpf_sock_addr *ctx)
{
	return moat_judge_call(ctx, false);
}

/* Address hooks on the way back must let the call proceed (return 1). */
SEC("cgroup/recvmsg4")
int moat_run_recvmsg4(struct bpf_sock_addr *ctx)
{
	moat_dns_unredirect(ctx, true);
	return 1;
}

SEC("cgroup/recvmsg6")
int moat_run_recvmsg6(struct bpf_sock_addr *ctx)
{
	moat_dns_unredirect(ctx, false);
	return 1;
}

SEC("cgroup/getpeername4")
int moat_run_getpeername4(struct bpf_sock_addr *ctx)
{
	moat_dns_unredirect(ctx, true);
	return 1;
}

SEC("cgroup/getpeername6")
int moat_run_getpeername6(struct bpf_sock_addr *ctx)
{
	moat_dns_unredirect(ctx, false);
	return 1;
}

static __always_inline bool moat_addr_equal(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;
	int i;

	for (i = 0; i < MOAT_ADDR_LEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/*
 * A packet a call hook already judged: its socket's connect() or
 * sendmsg() was let through to this very destination (a later fragment
 * carries no port, only the address). A source-routed packet is never
 * one, whatever its destination address says: the hook judged where the
 * route ends, the packet goes to its first hop.
 */
static __always_inline bool moat_is_approved(struct __sk_buff *skb,
					     const struct moat_packet *pkt)
{
	struct moat_dest *dest;
	__u64 cookie;

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP)
		return false;
	if (pkt->source_routed)
		return false;
	cookie = bpf_get_socket_cookie(skb);
	if (!cookie)
		return false;
	dest = bpf_map_lookup_elem(&moat_approved, &cookie);
	if (!dest || !moat_addr_equal(dest->addr, pkt->daddr))
		return false;
	return pkt->frag == MOAT_FRAG_LATER || dest->port == pkt->dport;
}

/*
 * What leaves the confined cgroup for another host, and no call hook
 * judged. A TCP packet that answers a peer (a SYN-ACK, a passively opened
 * socket's) is a reply, as on the interface.
 */
static __always_inline void moat_decide_confined(struct __sk_buff *skb,
						 const struct moat_packet *pkt,
						 struct moat_decision *d)
{
	if (pkt->source_routed) {
		moat_decide_as(d, MOAT_ACTION_BLOCKED, MOAT_REASON_ROUTING_HDR,
			       MOAT_RULE_NONE);
		return;
	}
	if (pkt->frag == MOAT_FRAG_LATER) {
		moat_decide_later_fragment(pkt, d);
		return;
	}

	moat_decide_call(pkt->daddr, pkt->dport, pkt->proto, d);
	if (d->action != MOAT_ACTION_ALLOWED && pkt->proto == IPPROTO_TCP &&
	    moat_tcp_is_inbound_reply(skb, pkt))
		moat_decide_as(d, MOAT_ACTION_ALLOWED, MOAT_REASON_INBOUND,
			       MOAT_RULE_NONE);
	moat_remember_first_fragment(pkt, d);
}

SEC("cgroup_skb/egress")
int moat_run_egress(struct __sk_buff *skb)
{
	struct moat_packet pkt = {};
	struct moat_decision d;
	int status;

	status = moat_parse(skb, false, true, &pkt);
	if (status == MOAT_PARSE_OK)
		moat_note_dns_client(skb, &pkt);
	/*
	 * Bound for this host's own addresses: it never leaves, unless a
	 * source route sends it on from there (a host that forwards such
	 * packets), which is judged like any other.
	 */
	if (skb->ifindex == LOOPBACK_IFINDEX &&
	    !(status == MOAT_PARSE_OK && pkt.source_routed))
		return 1;
	if (status == MOAT_PARSE_OK && moat_is_approved(skb, &pkt)) {
		moat_count(MOAT_STAT_PACKETS_ALLOWED);
		return 1;
	}

	if (status == MOAT_PARSE_OK)
		moat_decide_confined(skb, &pkt, &d);
	else
		moat_decide_unparsed(status, &d);
	return moat_conclude(skb, &pkt, &d) == TC_ACT_SHOT ? 0 : 1;
}

/*
 * A process that is gone gives its tag back, and a closed socket its
 * owner and its moat run state: the LRU maps then hold only what lives,
 * and a job that forks or opens sockets without end cannot push a live
 * background process's tag out of them. The tag goes with the last
 * thread; sched_process_exit's later argument (group_dead, Linux 6.15)
 * is not read, so older kernels load this too.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(moat_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;

	if (task->signal->live.counter)
		return 0;
	bpf_map_delete_elem(&moat_proc_tag, &tgid);
	return 0;
}

SEC("cgroup/sock_release")
int moat_sock_release(struct bpf_sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);

	bpf_map_delete_elem(&moat_sock_owner, &cookie);
	bpf_map_delete_elem(&moat_approved, &cookie);
	bpf_map_delete_elem(&moat_dns_dest, &cookie);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
