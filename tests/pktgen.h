/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* pktgen.h - build test packets from a description, header by header */
#ifndef MOAT_TEST_PKTGEN_H
#define MOAT_TEST_PKTGEN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum pkt_frag { PKT_WHOLE, PKT_FRAG_FIRST, PKT_FRAG_LATER };

struct pkt_desc {
	int family; /* 4 or 6 */
	const char *saddr;
	const char *daddr;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	uint8_t hop_limit; /* 0: 64 */
	uint16_t ethertype; /* 0: the family's */
	int vlans; /* 802.1Q tags before the IP header */
	bool no_l2; /* no Ethernet header at all */
	uint8_t ihl; /* 0: 5, or 5 and the options' words */
	const uint8_t *ip4_opts; /* IPv4 options, padded to words with 0 */
	uint8_t nip4_opts;
	const uint8_t *exthdrs; /* IPv6 extension headers, in order */
	int nexthdrs;
	uint8_t routing_left; /* a segment routing header's segments left */
	enum pkt_frag frag;
	uint32_t frag_id;
	size_t truncate; /* cut the packet to this many bytes */
	bool bogus_len; /* write len as the IP length field, not the real one */
	uint16_t len;
	/* ICMP errors: the packet the error is about, as quoted in it. */
	const char *q_saddr;
	const char *q_daddr;
	uint8_t q_proto;
	uint16_t q_sport, q_dport;
};

struct pkt {
	uint8_t b[512];
	size_t len;
};

static inline void pkt_put(struct pkt *p, const void *data, size_t len)
{
	memcpy(p->b + p->len, data, len);
	p->len += len;
}

static inline void pkt_put16(struct pkt *p, uint16_t v)
{
	uint16_t be = htons(v);

	pkt_put(p, &be, 2);
}

static inline void pkt_l2(struct pkt *p, const struct pkt_desc *d)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint16_t type = d->ethertype   ? d->ethertype :
			d->family == 6 ? 0x86dd :
					 0x0800;
	int i;

	pkt_put(p, macs, sizeof(macs));
	for (i = 0; i < d->vlans; i++) {
		pkt_put16(p, 0x8100);
		pkt_put16(p, (uint16_t)(100 + i));
	}
	pkt_put16(p, type);
}

static inline uint8_t pkt_first_proto(const struct pkt_desc *d)
{
	if (d->nexthdrs)
		return d->exthdrs[0];
	if (d->family == 6 && d->frag != PKT_WHOLE)
		return 44;
	return d->proto;
}

static inline void pkt_ipv4(struct pkt *p, const struct pkt_desc *d)
{
	uint8_t opt_words = (uint8_t)((d->nip4_opts + 3) / 4);
	uint8_t ihl = d->ihl ? d->ihl : (uint8_t)(5 + opt_words);
	uint8_t h[20] = { (uint8_t)(0x40 | ihl), 0 };
	uint16_t frag = d->frag == PKT_FRAG_FIRST ? 0x2000 :
			d->frag == PKT_FRAG_LATER ? 185 :
						    0;

	h[4] = (uint8_t)(d->frag_id >> 8);
	h[5] = (uint8_t)d->frag_id;
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[8] = d->hop_limit ? d->hop_limit : 64;
	h[9] = d->proto;
	inet_pton(AF_INET, d->saddr, h + 12);
	inet_pton(AF_INET, d->daddr, h + 16);
	pkt_put(p, h, sizeof(h));
	if (d->nip4_opts) {
		static const uint8_t zeros[4];

		pkt_put(p, d->ip4_opts, d->nip4_opts);
		pkt_put(p, zeros, (size_t)opt_words * 4 - d->nip4_opts);
	} else if (ihl > 5 && ihl <= 15) {
		static const uint8_t nops[40] = { 1, 1, 1, 1 };

		pkt_put(p, nops, (size_t)(ihl - 5) * 4);
	}
}

/* Each extension header is 8 bytes; the last names the transport. */
static inline void pkt_ipv6_exthdrs(struct pkt *p, const struct pkt_desc *d)
{
	int i;

	for (i = 0; i < d->nexthdrs; i++) {
		uint8_t h[8] = { 0 };
		bool last = i + 1 == d->nexthdrs;

		h[0] = last ? (d->frag != PKT_WHOLE ? 44 : d->proto) :
			      d->exthdrs[i + 1];
		if (d->exthdrs[i] == 43) {
			h[2] = 4; /* segment routing */
			h[3] = d->routing_left;
		}
		pkt_put(p, h, sizeof(h));
	}
	if (d->frag != PKT_WHOLE) {
		uint8_t h[8] = { d->proto, 0 };
		uint16_t off = d->frag == PKT_FRAG_FIRST ? 0x0001 : 0x0100;

		h[2] = (uint8_t)(off >> 8);
		h[3] = (uint8_t)off;
		h[4] = (uint8_t)(d->frag_id >> 24);
		h[5] = (uint8_t)(d->frag_id >> 16);
		h[6] = (uint8_t)(d->frag_id >> 8);
		h[7] = (uint8_t)d->frag_id;
		pkt_put(p, h, sizeof(h));
	}
}

static inline void pkt_ipv6(struct pkt *p, const struct pkt_desc *d)
{
	uint8_t h[40] = { 0x60 };

	h[6] = pkt_first_proto(d);
	h[7] = d->hop_limit ? d->hop_limit : 64;
	inet_pton(AF_INET6, d->saddr, h + 8);
	inet_pton(AF_INET6, d->daddr, h + 24);
	pkt_put(p, h, sizeof(h));
	pkt_ipv6_exthdrs(p, d);
}

/* The offending packet's IP header and first 8 bytes, after an error. */
static inline void pkt_quote(struct pkt *p, const struct pkt_desc *d)
{
	uint8_t ports[8] = { (uint8_t)(d->q_sport >> 8), (uint8_t)d->q_sport,
			     (uint8_t)(d->q_dport >> 8), (uint8_t)d->q_dport };
	uint8_t h4[20] = { 0x45, 0 }, h6[40] = { 0x60, 0 };

	if (d->family == 4) {
		h4[8] = 64;
		h4[9] = d->q_proto;
		inet_pton(AF_INET, d->q_saddr, h4 + 12);
		inet_pton(AF_INET, d->q_daddr, h4 + 16);
		pkt_put(p, h4, sizeof(h4));
	} else {
		h6[6] = d->q_proto;
		h6[7] = 64;
		inet_pton(AF_INET6, d->q_saddr, h6 + 8);
		inet_pton(AF_INET6, d->q_daddr, h6 + 24);
		pkt_put(p, h6, sizeof(h6));
	}
	pkt_put(p, ports, sizeof(ports));
}

static inline void pkt_l4(struct pkt *p, const struct pkt_desc *d)
{
	uint8_t h[20] = { 0 };

	if (d->frag == PKT_FRAG_LATER) {
		pkt_put(p, "later fragment data", 19);
		return;
	}
	switch (d->proto) {
	case IPPROTO_TCP:
		h[0] = (uint8_t)(d->sport >> 8);
		h[1] = (uint8_t)d->sport;
		h[2] = (uint8_t)(d->dport >> 8);
		h[3] = (uint8_t)d->dport;
		h[12] = 5 << 4;
		h[13] = d->tcp_flags;
		pkt_put(p, h, 20);
		break;
	case IPPROTO_UDP:
		h[0] = (uint8_t)(d->sport >> 8);
		h[1] = (uint8_t)d->sport;
		h[2] = (uint8_t)(d->dport >> 8);
		h[3] = (uint8_t)d->dport;
		pkt_put(p, h, 8);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h[0] = d->icmp_type;
		h[1] = d->icmp_code;
		h[4] = (uint8_t)(d->icmp_id >> 8);
		h[5] = (uint8_t)d->icmp_id;
		pkt_put(p, h, 8);
		if (d->q_saddr) {
			pkt_quote(p, d);
			return;
		}
		break;
	default:
		pkt_put(p, h, 8);
	}
	pkt_put(p, "payload", 7);
}

/* IPv4's total length, or IPv6's payload length, once the rest is built. */
static inline void pkt_set_ip_len(struct pkt *p, const struct pkt_desc *d,
				  size_t l3)
{
	size_t off = l3 + 2, len = p->len - l3;

	if (d->family == 6) {
		off = l3 + 4;
		len -= 40;
	}
	if (d->bogus_len)
		len = d->len;
	p->b[off] = (uint8_t)(len >> 8);
	p->b[off + 1] = (uint8_t)len;
}

static inline void pkt_build(const struct pkt_desc *d, struct pkt *p)
{
	size_t l3;

	p->len = 0;
	if (!d->no_l2)
		pkt_l2(p, d);
	l3 = p->len;
	if (d->family == 4)
		pkt_ipv4(p, d);
	else if (d->family == 6)
		pkt_ipv6(p, d);
	if (d->family) {
		pkt_l4(p, d);
		pkt_set_ip_len(p, d, l3);
	}
	if (d->truncate && d->truncate < p->len)
		p->len = d->truncate;
}

#endif /* MOAT_TEST_PKTGEN_H */
