/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* dns.h - DNS messages (RFC 1035) read defensively and built minimally */
#ifndef MOAT_DNS_H
#define MOAT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define DNS_HEADER_LEN 12
/* A name in wire form is at most 255 octets (RFC 1035 3.1). */
#define DNS_NAME_WIRE_MAX 255
/*
 * Presentation form, with every byte outside [a-z0-9_*-] escaped as \DDD:
 * 255 octets can grow to 4 characters each, plus the dots.
 */
#define DNS_NAME_TEXT_MAX 1024
/* The most DNS messages may carry over TCP (RFC 1035 4.2.2). */
#define DNS_MSG_MAX 65535
/* What a UDP client without EDNS may be sent (RFC 1035 4.2.1). */
#define DNS_UDP_CLASSIC_MAX 512

/* How far the answer reader follows CNAME records from the question. */
#define DNS_CNAME_CHAIN_MAX 16
/* Addresses one answer may contribute; more are counted, not kept. */
#define DNS_ANSWER_ADDRS_MAX 128

#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags) ((flags)&0xf)

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_SVCB = 64,
	DNS_TYPE_HTTPS = 65,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1

/* Extended DNS Error codes (RFC 8914) moat sends. */
#define DNS_EDE_BLOCKED 15
#define DNS_EDE_FILTERED 17
#define DNS_EDE_NETWORK_ERROR 23

struct dns_header {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	uint16_t ancount;
	uint16_t nscount;
	uint16_t arcount;
};

struct dns_question {
	char name[DNS_NAME_TEXT_MAX]; /* lower case, no trailing dot */
	uint16_t qtype;
	uint16_t qclass;
	size_t end; /* offset just past the question */
};

struct dns_rr {
	char name[DNS_NAME_TEXT_MAX];
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlength;
	size_t rdata; /* offset of the record data in the message */
};

struct dns_answer_addr {
	uint8_t addr[ADDR_LEN];
	uint32_t ttl;
};

/* What an answer says about its question's name. */
struct dns_answer {
	struct dns_answer_addr addrs[DNS_ANSWER_ADDRS_MAX];
	size_t naddrs;
	size_t addrs_dropped; /* beyond DNS_ANSWER_ADDRS_MAX */
	/* Names the question's name reaches through CNAME, in chain order. */
	char cnames[DNS_CNAME_CHAIN_MAX][DNS_NAME_TEXT_MAX];
	uint32_t cname_ttls[DNS_CNAME_CHAIN_MAX];
	size_t ncnames;
};

/* EDNS(0) (RFC 6891) facts about a query. */
struct dns_edns {
	bool present;
	bool dnssec_ok; /* the DO bit (RFC 3225) */
	uint16_t udp_size; /* what the client accepts over UDP */
};

int dns_parse_header(const uint8_t *msg, size_t len, struct dns_header *hdr);
void dns_set_id(uint8_t *msg, uint16_t id);

/*
 * Read the name at *off into its presentation form, following compression
 * pointers, and move *off past it. Returns 0 or -EBADMSG for a name that
 * runs off the message, loops, or exceeds 255 octets.
 */
int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out,
		  size_t out_len);

/* The one question of a message; -EBADMSG unless there is exactly one. */
int dns_parse_question(const uint8_t *msg, size_t len, struct dns_question *q);

/* Read the resource record at *off and move *off past it. */
int dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr);

/*
 * Collect the addresses an answer gives for the question's name: A and
 * AAAA records owned by the name or by a name it reaches through CNAME
 * records in the answer section. Records about other names are ignored,
 * whatever the section holds. q is the answer's own question, as
 * dns_parse_question() read it. Returns 0 or -EBADMSG.
 */
int dns_collect_answer(const uint8_t *msg, size_t len,
		       const struct dns_question *q, struct dns_answer *ans);

/*
 * Call fn for every record after the question (answer, authority and
 * additional sections), with the offset of its TTL field, which fn may
 * rewrite; rr->name is left empty. Returns 0, or -EBADMSG for a message
 * that does not parse.
 */
typedef void (*dns_rr_fn)(uint8_t *msg, const struct dns_rr *rr, size_t ttl_off,
			  void *ctx);
int dns_for_each_rr(uint8_t *msg, size_t len, dns_rr_fn fn, void *ctx);

/* Find the OPT record of a query, if any. Returns 0 or -EBADMSG. */
int dns_parse_edns(const uint8_t *msg, size_t len, struct dns_edns *edns);

/*
 * Build a reply that answers a query with only a response code: the
 * query's header and question, QR and RA set, RD kept. When the query
 * carried EDNS and ede_code is non-zero, an OPT record with an Extended
 * DNS Error explains the code. Writes at most out_len bytes; returns the
 * reply's length or -EBADMSG when the query has no usable question.
 */
int dns_build_reply(const uint8_t *query, size_t query_len, uint16_t rcode,
		    uint16_t ede_code, const char *ede_text, uint8_t *out,
		    size_t out_len);

/*
 * Shrink an answer that does not fit a UDP client to its header and
 * question with TC set, so that the client retries over TCP (RFC 1035
 * 4.2.1, RFC 7766). Returns the new length or -EBADMSG.
 */
int dns_truncate_reply(uint8_t *msg, size_t len);

/*
 * The address a reverse-lookup name stands for: "4.3.2.1.in-addr.arpa"
 * or 32 nibble labels then "ip6.arpa" (RFC 1035 3.5, RFC 3596 2.5), in
 * either case, with or without the trailing dot. Returns 0, or -EINVAL
 * for anything else (a zone cut, extra labels, leading zeros).
 */
int dns_reverse_addr(const char *name, uint8_t *addr);

/* "A", "AAAA", ... or "TYPE65280" for types without a mnemonic. */
const char *dns_type_name(uint16_t type, char *buf, size_t len);

/* True if two questions ask the same thing (names compared as read). */
bool dns_question_equal(const struct dns_question *a,
			const struct dns_question *b);

#endif /* MOAT_DNS_H */
