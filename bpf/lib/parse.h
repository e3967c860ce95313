/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* parse.h - read the headers of one packet into a struct moat_packet */
#ifndef MOAT_BPF_PARSE_H
#define MOAT_BPF_PARSE_H

/* UAPI macros that vmlinux.h, being types only, does not carry. */
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_IPV6 0x86DD
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define IP6_OFFSET 0xfff8
#define IP6_MF 0x0001
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define MOAT_IPV4_OPTS_MAX 40 /* a 15-word header less its fixed 5 */
#define IPPROTO_ICMPV6 58
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* Two stacked tags (802.1ad outer, 802.1Q inner) is what QinQ uses. */
#define MOAT_VLAN_MAX 2
/* More extension headers than this is not a packet any stack sends. */
#define MOAT_EXTHDR_MAX 8

enum moat_frag {
	MOAT_FRAG_NONE,
	MOAT_FRAG_FIRST, /* offset 0, more fragments follow */
	MOAT_FRAG_LATER, /* no transport header in this fragment */
};

/* What parsing found; a non-zero status ends parsing. */
enum moat_parse_status {
	MOAT_PARSE_OK,
	MOAT_PARSE_ARP,
	MOAT_PARSE_NON_IP,
	MOAT_PARSE_MALFORMED,
};

struct moat_packet {
	__u8 daddr[MOAT_ADDR_LEN];
	__u8 saddr[MOAT_ADDR_LEN];
	__u16 dport; /* host order; 0 without ports */
	__u16 sport;
	__u16 icmp_id;
	__u8 proto;
	__u8 family; /* 4 or 6 */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 hop_limit;
	__u8 frag; /* enum moat_frag */
	/*
	 * The packet names hops past its destination address: an IPv6
	 * routing header with segments left, or an IPv4 loose or strict
	 * source route (RFC 791 3.1). Its destination address is then only
	 * the first hop, not where it ends up.
	 */
	__u8 source_routed;
	__u32 frag_id;
	__u32 end; /* offset where the IP header says the datagram ends */
	/* ICMP errors: the packet they are about, as quoted in them. */
	__u8 quoted; /* the fields below are set */
	__u8 q_proto;
	__u16 q_sport;
	__u16 q_dport;
	__u8 q_saddr[MOAT_ADDR_LEN];
};

static __always_inline void moat_map_v4(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/*
 * The EtherType comes from the frame, never from skb->protocol: a packet
 * socket chooses skb->protocol freely and could otherwise dress an IP frame
 * as something the classifier lets pass.
 */
static __always_inline int moat_parse_l2(struct __sk_buff *skb, __u32 *off,
					 __u16 *ethertype)
{
	struct vlan_hdr vlan;
	struct ethhdr eth;
	int i;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return MOAT_PARSE_MALFORMED;
	*ethertype = bpf_ntohs(eth.h_proto);
	*off = sizeof(eth);

	for (i = 0; i < MOAT_VLAN_MAX; i++) {
		if (*ethertype != ETH_P_8021Q && *ethertype != ETH_P_8021AD)
			break;
		if (bpf_skb_load_bytes(skb, *off, &vlan, sizeof(vlan)))
			return MOAT_PARSE_MALFORMED;
		*ethertype = bpf_ntohs(vlan.h_vlan_encapsulated_proto);
		*off += sizeof(vlan);
	}

	if (*ethertype == ETH_P_8021Q || *ethertype == ETH_P_8021AD)
		return MOAT_PARSE_MALFORMED; /* deeper than we look */
	if (*ethertype == ETH_P_ARP)
		return MOAT_PARSE_ARP;
	if (*ethertype != ETH_P_IP && *ethertype != ETH_P_IPV6)
		return MOAT_PARSE_NON_IP;
	return MOAT_PARSE_OK;
}

/* Without a link-layer header the IP version nibble names the protocol. */
static __always_inline int moat_parse_l3_only(struct __sk_buff *skb,
					      __u16 *ethertype)
{
	__u8 first;

	if (bpf_skb_load_bytes(skb, 0, &first, 1))
		return MOAT_PARSE_MALFORMED;
	if (first >> 4 == 4)
		*ethertype = ETH_P_IP;
	else if (first >> 4 == 6)
		*ethertype = ETH_P_IPV6;
	else
		return MOAT_PARSE_NON_IP;
	return MOAT_PARSE_OK;
}

/*
 * Where the IP header says the datagram ends. What lies past it is
 * padding to the receiver, so the transport header must end before it;
 * and a datagram longer than the packet is one no receiver accepts. BIG
 * TCP (GSO packets over 64 KiB) writes a length of 0, since the field
 * cannot hold theirs: then the packet's own length stands.
 */
static __always_inline int moat_set_end(struct __sk_buff *skb, __u32 start,
					__u32 len, struct moat_packet *pkt)
{
	if (len == 0 && skb->len - start > 0xffff)
		len = skb->len - start;
	pkt->end = start + len;
	if (pkt->end > skb->len)
		return MOAT_PARSE_MALFORMED;
	return MOAT_PARSE_OK;
}

/*
 * Look through IPv4 options for a source route: the kernel sends such a
 * packet to the route's first hop (RFC 791 3.1), which is all a
 * classifier reading the destination address would judge. opts holds
 * len bytes and zeros after them, up to MOAT_IPV4_OPTS_MAX + 1. Returns
 * 1 for a source route, 0 for none, -1 for options that run past len.
 *
 * Each position in turn, read at a constant offset, with where options
 * start kept as bits of a mask: the verifier cannot tell which bits are
 * set, so it never follows a path per value and has few states to tell
 * apart. len stays out of the loop (the zeros past it end the options)
 * for the same reason: the verifier tracks it exactly, having passed it
 * to a helper.
 */
static __always_inline int moat_ipv4_options_scan(const __u8 *opts, __u64 len)
{
	__u64 starts = 1;
	__u32 pos, optlen;

	for (pos = 0; pos < MOAT_IPV4_OPTS_MAX; pos++) {
		if (!(starts >> pos & 1))
			continue;
		if (opts[pos] == IPOPT_END)
			break;
		if (opts[pos] == IPOPT_LSRR || opts[pos] == IPOPT_SSRR)
			return 1;
		if (opts[pos] == IPOPT_NOOP) {
			starts |= 1ULL << (pos + 1);
			continue;
		}
		/* Every other option has a length byte that counts itself. */
		optlen = opts[pos + 1];
		if (optlen < 2 || pos + optlen > MOAT_IPV4_OPTS_MAX)
			return -1;
		starts |= 1ULL << (pos + optlen);
	}
	/* A start past len: an option ran on beyond the header. */
	return starts >> (len + 1) ? -1 : 0;
}

/*
 * A packet's IPv4 options, as moat_ipv4_options_scan() judges them. A
 * global function, so that the verifier checks its loop once, on its
 * own, rather than once for every path that reaches each caller. The
 * length is 64 bits wide: the verifier knows nothing of an argument's
 * upper half, where clang would assume a 32-bit one zero-extended.
 */
__noinline int moat_ipv4_source_routed(struct __sk_buff *skb, __u32 off,
				       __u64 len)
{
	__u8 opts[MOAT_IPV4_OPTS_MAX + 1] = {};

	if (len == 0)
		return 0;
	if (len > MOAT_IPV4_OPTS_MAX || bpf_skb_load_bytes(skb, off, opts, len))
		return -1;
	return moat_ipv4_options_scan(opts, len);
}

static __always_inline int moat_parse_ipv4(struct __sk_buff *skb, __u32 *off,
					   bool routes, struct moat_packet *pkt)
{
	struct iphdr ip;
	__u16 frag_off;
	int routed;

	if (bpf_skb_load_bytes(skb, *off, &ip, sizeof(ip)))
		return MOAT_PARSE_MALFORMED;
	if (ip.version != 4)
		return MOAT_PARSE_MALFORMED;

	/* The addresses first: a malformed packet's event still names them. */
	pkt->family = 4;
	pkt->proto = ip.protocol;
	pkt->hop_limit = ip.ttl;
	moat_map_v4(pkt->daddr, ip.daddr);
	moat_map_v4(pkt->saddr, ip.saddr);
	if (ip.ihl < 5)
		return MOAT_PARSE_MALFORMED;
	if (moat_set_end(skb, *off, bpf_ntohs(ip.tot_len), pkt))
		return MOAT_PARSE_MALFORMED;
	if (*off + ip.ihl * 4 > pkt->end)
		return MOAT_PARSE_MALFORMED; /* the header outruns its datagram */

	frag_off = bpf_ntohs(ip.frag_off);
	if (frag_off & IP_OFFSET)
		pkt->frag = MOAT_FRAG_LATER;
	else if (frag_off & IP_MF)
		pkt->frag = MOAT_FRAG_FIRST;
	pkt->frag_id = bpf_ntohs(ip.id);

	if (routes && ip.ihl > 5) {
		routed = moat_ipv4_source_routed(skb, *off + sizeof(ip),
						 ip.ihl * 4 - sizeof(ip));
		if (routed < 0)
			return MOAT_PARSE_MALFORMED;
		pkt->source_routed = routed;
	}
	*off += ip.ihl * 4;
	return MOAT_PARSE_OK;
}

/* One extension header: returns its length, or 0 when it ends the chain. */
static __always_inline int moat_parse_exthdr(struct __sk_buff *skb, __u32 off,
					     struct moat_packet *pkt)
{
	struct frag_hdr frag;
	__u8 hdr[4];
	__u16 frag_off;

	switch (pkt->proto) {
	case NEXTHDR_HOP:
	case NEXTHDR_DEST:
		if (bpf_skb_load_bytes(skb, off, hdr, 2))
			return -1;
		pkt->proto = hdr[0];
		return (hdr[1] + 1) * 8;
	case NEXTHDR_ROUTING:
		if (bpf_skb_load_bytes(skb, off, hdr, 4))
			return -1;
		pkt->proto = hdr[0];
		pkt->source_routed |= hdr[3] != 0;
		return (hdr[1] + 1) * 8;
	case NEXTHDR_AUTH:
		if (bpf_skb_load_bytes(skb, off, hdr, 2))
			return -1;
		pkt->proto = hdr[0];
		return (hdr[1] + 2) * 4;
	case NEXTHDR_FRAGMENT:
		if (bpf_skb_load_bytes(skb, off, &frag, sizeof(frag)))
			return -1;
		pkt->proto = frag.nexthdr;
		frag_off = bpf_ntohs(frag.frag_off);
		if (frag_off & IP6_OFFSET)
			pkt->frag = MOAT_FRAG_LATER;
		else if (frag_off & IP6_MF)
			pkt->frag = MOAT_FRAG_FIRST;
		pkt->frag_id = bpf_ntohl(frag.identification);
		return sizeof(frag);
	}
	return 0;
}

static __always_inline int moat_parse_ipv6(struct __sk_buff *skb, __u32 *off,
					   struct moat_packet *pkt)
{
	struct ipv6hdr ip6;
	int i, len;

	if (bpf_skb_load_bytes(skb, *off, &ip6, sizeof(ip6)))
		return MOAT_PARSE_MALFORMED;
	if (ip6.version != 6)
		return MOAT_PARSE_MALFORMED;

	pkt->family = 6;
	pkt->proto = ip6.nexthdr;
	pkt->hop_limit = ip6.hop_limit;
	__builtin_memcpy(pkt->daddr, &ip6.daddr, MOAT_ADDR_LEN);
	__builtin_memcpy(pkt->saddr, &ip6.saddr, MOAT_ADDR_LEN);
	if (moat_set_end(skb, *off, sizeof(ip6) + bpf_ntohs(ip6.payload_len),
			 pkt))
		return MOAT_PARSE_MALFORMED;
	*off += sizeof(ip6);

	for (i = 0; i < MOAT_EXTHDR_MAX; i++) {
		/* A later fragment's next header is not at this offset. */
		if (pkt->frag == MOAT_FRAG_LATER)
			return MOAT_PARSE_OK;
		len = moat_parse_exthdr(skb, *off, pkt);
		if (len < 0)
			return MOAT_PARSE_MALFORMED;
		if (len == 0)
			return MOAT_PARSE_OK;
		*off += len;
	}
	return MOAT_PARSE_MALFORMED; /* a chain longer than any stack sends */
}

static __always_inline bool moat_icmp_is_error(const struct moat_packet *pkt)
{
	if (pkt->proto == IPPROTO_ICMP)
		return pkt->icmp_type == 3 || pkt->icmp_type == 11 ||
		       pkt->icmp_type == 12; /* unreachable, TTL, parameter */
	return pkt->proto == IPPROTO_ICMPV6 && pkt->icmp_type >= 1 &&
	       pkt->icmp_type <= 4; /* unreachable, too big, TTL, parameter */
}

/*
 * An ICMP error carries the start of the packet it is about, right after
 * its own 8 bytes (RFC 792, RFC 4443): the IP header and the first 8
 * bytes of transport, enough for the ports. A quote that cannot be read
 * leaves the error unexplained, and so subject to the policy.
 */
static __always_inline void moat_parse_quote(struct __sk_buff *skb, __u32 off,
					     struct moat_packet *pkt)
{
	struct ipv6hdr ip6;
	struct iphdr ip;
	__u8 ports[4];

	off += 8;
	if (pkt->family == 4) {
		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) ||
		    ip.version != 4 || ip.ihl < 5)
			return;
		moat_map_v4(pkt->q_saddr, ip.saddr);
		pkt->q_proto = ip.protocol;
		off += ip.ihl * 4;
	} else {
		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) ||
		    ip6.version != 6)
			return;
		__builtin_memcpy(pkt->q_saddr, &ip6.saddr, MOAT_ADDR_LEN);
		pkt->q_proto = ip6.nexthdr;
		off += sizeof(ip6);
	}
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return;
	pkt->q_sport = (__u16)ports[0] << 8 | ports[1];
	pkt->q_dport = (__u16)ports[2] << 8 | ports[3];
	pkt->quoted = 1;
}

/* Read a transport header that must lie whole inside the datagram. */
static __always_inline int moat_load_l4(struct __sk_buff *skb, __u32 off,
					const struct moat_packet *pkt, void *to,
					__u32 len)
{
	if (off + len > pkt->end)
		return -1;
	return bpf_skb_load_bytes(skb, off, to, len);
}

/*
 * A first fragment must carry the whole transport header: a TCP header
 * split across fragments would let its ports hide in a later fragment
 * (the tiny-fragment attack of RFC 1858). A header that cannot be read
 * whole is malformed.
 */
static __always_inline int moat_parse_l4(struct __sk_buff *skb, __u32 off,
					 struct moat_packet *pkt)
{
	struct tcphdr tcp;
	struct udphdr udp;
	__u8 icmp[8];

	if (pkt->frag == MOAT_FRAG_LATER)
		return MOAT_PARSE_OK;

	switch (pkt->proto) {
	case IPPROTO_TCP:
		if (moat_load_l4(skb, off, pkt, &tcp, sizeof(tcp)))
			return MOAT_PARSE_MALFORMED;
		if (tcp.doff < 5)
			return MOAT_PARSE_MALFORMED;
		pkt->sport = bpf_ntohs(tcp.source);
		pkt->dport = bpf_ntohs(tcp.dest);
		pkt->tcp_flags = ((__u8 *)&tcp)[13];
		break;
	case IPPROTO_UDP:
		if (moat_load_l4(skb, off, pkt, &udp, sizeof(udp)))
			return MOAT_PARSE_MALFORMED;
		pkt->sport = bpf_ntohs(udp.source);
		pkt->dport = bpf_ntohs(udp.dest);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (moat_load_l4(skb, off, pkt, icmp, sizeof(icmp)))
			return MOAT_PARSE_MALFORMED;
		pkt->icmp_type = icmp[0];
		pkt->icmp_code = icmp[1];
		pkt->icmp_id = (__u16)icmp[4] << 8 | icmp[5];
		if (moat_icmp_is_error(pkt))
			moat_parse_quote(skb, off, pkt);
		break;
	}
	return MOAT_PARSE_OK;
}

/*
 * has_l2 is false where a packet starts at its IP header: links without a
 * link-layer header (WireGuard, tun) and cgroup socket-buffer hooks.
 * routes: read IPv4 options for a source route, which matters only to a
 * program judging where a packet goes; the others spare the verifier
 * the walk.
 */
static __always_inline int moat_parse(struct __sk_buff *skb, bool has_l2,
				      bool routes, struct moat_packet *pkt)
{
	__u16 ethertype = 0;
	__u32 off = 0;
	int status;

	if (has_l2)
		status = moat_parse_l2(skb, &off, &ethertype);
	else
		status = moat_parse_l3_only(skb, &ethertype);
	if (status != MOAT_PARSE_OK)
		return status;

	if (ethertype == ETH_P_IP)
		status = moat_parse_ipv4(skb, &off, routes, pkt);
	else
		status = moat_parse_ipv6(skb, &off, pkt);
	if (status != MOAT_PARSE_OK)
		return status;

	return moat_parse_l4(skb, off, pkt);
}

#endif /* MOAT_BPF_PARSE_H */
