// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dns.c - DNS messages (RFC 1035) read defensively and built minimally */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

/*
 * Compression pointers must point backwards, so consecutive pointers
 * cannot loop; a loop through labels grows the name, which the 255-octet
 * limit stops. The hop limit is a third, independent bound.
 */
#define DNS_POINTER_HOPS_MAX 128
#define DNS_RR_FIXED_LEN 10
#define DNS_EDNS_UDP_SIZE 1232 /* the DNS flag day 2020 recommendation */
#define DNS_EDNS_OPT_EDE 15

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_parse_header(const uint8_t *msg, size_t len, struct dns_header *hdr)
{
	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	hdr->id = get16(msg);
	hdr->flags = get16(msg + 2);
	hdr->qdcount = get16(msg + 4);
	hdr->ancount = get16(msg + 6);
	hdr->nscount = get16(msg + 8);
	hdr->arcount = get16(msg + 10);
	return 0;
}

void dns_set_id(uint8_t *msg, uint16_t id)
{
	put16(msg, id);
}

/*
 * Bytes outside [a-z0-9_*-] are escaped as \DDD, and A-Z folded to lower
 * case (RFC 4343). The escaping matters for security, not looks: a label
 * holding a dot ("example.com" as one label) must never read like two
 * labels and so match a rule for example.com.
 */
static bool label_byte_is_plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '*';
}

static int append_label(const uint8_t *label, size_t label_len, char *out,
			size_t out_len, size_t *text)
{
	size_t i;

	if (*text) {
		if (*text + 1 >= out_len)
			return -ENAMETOOLONG;
		out[(*text)++] = '.';
	}
	for (i = 0; i < label_len; i++) {
		uint8_t c = label[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (*text + 5 > out_len)
			return -ENAMETOOLONG;
		if (label_byte_is_plain(c))
			out[(*text)++] = (char)c;
		else
			*text += (size_t)sprintf(out + *text, "\\%03u", c);
	}
	return 0;
}

/*
 * Walk the name at *off, following compression pointers, checking what
 * dns_read_name() promises; with out NULL the labels are only skipped.
 * Moves *off past the name.
 */
static int walk_name(const uint8_t *msg, size_t len, size_t *off, char *out,
		     size_t out_len, size_t *text)
{
	size_t pos = *off, end = 0;
	unsigned int wire = 1, hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EBADMSG; /* runs off the message */
		c = msg[pos];
		if (c == 0)
			break;
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -EBADMSG;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= pos || ++hops > DNS_POINTER_HOPS_MAX)
				return -EBADMSG; /* forward or looping pointer */
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG; /* extended label types are obsolete */
		if (pos + 1 + c > len)
			return -EBADMSG;
		wire += c + 1u;
		if (wire > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (out && append_label(msg + pos + 1, c, out, out_len, text))
			return -EBADMSG;
		pos += 1u + c;
	}
	*off = jumped ? end : pos + 1;
	return 0;
}

int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out,
		  size_t out_len)
{
	size_t text = 0;
	int err;

	if (out_len < 2)
		return -ENAMETOOLONG;
	err = walk_name(msg, len, off, out, out_len, &text);
	if (err)
		return err;
	if (!text)
		out[text++] = '.'; /* the root */
	out[text] = '\0';
	return 0;
}

int dns_parse_question(const uint8_t *msg, size_t len, struct dns_question *q)
{
	struct dns_header hdr;
	size_t off = DNS_HEADER_LEN;
	int err;

	err = dns_parse_header(msg, len, &hdr);
	if (err)
		return err;
	if (hdr.qdcount != 1)
		return -EBADMSG; /* no server answers several questions */

	err = dns_read_name(msg, len, &off, q->name, sizeof(q->name));
	if (err)
		return err;
	if (off + 4 > len)
		return -EBADMSG;
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	q->end = off + 4;
	return 0;
}

int dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	size_t pos = *off;
	int err;

	err = dns_read_name(msg, len, &pos, rr->name, sizeof(rr->name));
	if (err)
		return err;
	if (pos + DNS_RR_FIXED_LEN > len)
		return -EBADMSG;

	rr->type = get16(msg + pos);
	rr->rclass = get16(msg + pos + 2);
	rr->ttl = get32(msg + pos + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0; /* RFC 2181 8: a TTL with the top bit set is 0 */
	rr->rdlength = get16(msg + pos + 8);
	rr->rdata = pos + DNS_RR_FIXED_LEN;
	if (rr->rdata + rr->rdlength > len)
		return -EBADMSG;

	*off = rr->rdata + rr->rdlength;
	return 0;
}

/* Move *off past count records. */
static int skip_rrs(const uint8_t *msg, size_t len, size_t *off,
		    unsigned int count)
{
	struct dns_rr rr;
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = dns_read_rr(msg, len, off, &rr);
		if (err)
			return err;
	}
	return 0;
}

static bool answer_names(const struct dns_answer *ans, const char *qname,
			 const char *name)
{
	size_t i;

	if (strcmp(qname, name) == 0)
		return true;
	for (i = 0; i < ans->ncnames; i++)
		if (strcmp(ans->cnames[i], name) == 0)
			return true;
	return false;
}

/* The target of a CNAME record, which must lie inside its record data. */
static int read_cname_target(const uint8_t *msg, size_t len,
			     const struct dns_rr *rr, char *out, size_t out_len)
{
	size_t off = rr->rdata;
	int err;

	err = dns_read_name(msg, len, &off, out, out_len);
	if (err)
		return err;
	return off == rr->rdata + rr->rdlength ? 0 : -EBADMSG;
}

struct answer_walk {
	const uint8_t *msg;
	size_t len;
	const char *qname;
	struct dns_answer *ans;
	bool added;
};

/* Call fn for each answer record of class IN owned by a name in the chain. */
static int
walk_chain_records(struct answer_walk *w, size_t off, unsigned int count,
		   int (*fn)(struct answer_walk *w, const struct dns_rr *rr))
{
	struct dns_rr rr;
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = dns_read_rr(w->msg, w->len, &off, &rr);
		if (err)
			return err;
		if (rr.rclass != DNS_CLASS_IN ||
		    !answer_names(w->ans, w->qname, rr.name))
			continue;
		err = fn(w, &rr);
		if (err)
			return err;
	}
	return 0;
}

/* A CNAME record extends the chain with its target. */
static int follow_cname(struct answer_walk *w, const struct dns_rr *rr)
{
	char target[DNS_NAME_TEXT_MAX];
	struct dns_answer *ans = w->ans;
	int err;

	if (rr->type != DNS_TYPE_CNAME)
		return 0;
	err = read_cname_target(w->msg, w->len, rr, target, sizeof(target));
	if (err)
		return err;
	if (answer_names(ans, w->qname, target) ||
	    ans->ncnames == DNS_CNAME_CHAIN_MAX)
		return 0;
	strcpy(ans->cnames[ans->ncnames], target);
	ans->cname_ttls[ans->ncnames++] = rr->ttl;
	w->added = true;
	return 0;
}

static int collect_address(struct answer_walk *w, const struct dns_rr *rr)
{
	struct dns_answer *ans = w->ans;
	struct dns_answer_addr *a;

	if (!(rr->type == DNS_TYPE_A && rr->rdlength == 4) &&
	    !(rr->type == DNS_TYPE_AAAA && rr->rdlength == ADDR_LEN))
		return 0;
	if (ans->naddrs == DNS_ANSWER_ADDRS_MAX) {
		ans->addrs_dropped++;
		return 0;
	}
	a = &ans->addrs[ans->naddrs++];
	if (rr->type == DNS_TYPE_A)
		addr_from_v4(a->addr, w->msg + rr->rdata);
	else
		memcpy(a->addr, w->msg + rr->rdata, ADDR_LEN);
	a->ttl = rr->ttl;
	return 0;
}

/*
 * Records may come in any order, so the chain is followed in passes until
 * one adds nothing; then the addresses of every name in it are collected.
 */
int dns_collect_answer(const uint8_t *msg, size_t len,
		       const struct dns_question *q, struct dns_answer *ans)
{
	struct answer_walk w = { msg, len, q->name, ans, true };
	struct dns_header hdr;
	int err, pass;

	/* Only the counts: the arrays are read up to them (and are 19 KiB). */
	ans->naddrs = 0;
	ans->addrs_dropped = 0;
	ans->ncnames = 0;
	err = dns_parse_header(msg, len, &hdr);
	if (err)
		return err;

	for (pass = 0; w.added && pass <= DNS_CNAME_CHAIN_MAX; pass++) {
		w.added = false;
		err = walk_chain_records(&w, q->end, hdr.ancount, follow_cname);
		if (err)
			return err;
	}
	return walk_chain_records(&w, q->end, hdr.ancount, collect_address);
}

/* A record's fixed fields and data, its owner name skipped. */
static int read_rr_fixed(const uint8_t *msg, size_t len, size_t *off,
			 struct dns_rr *rr)
{
	size_t pos = *off;

	if (walk_name(msg, len, &pos, NULL, 0, NULL) ||
	    pos + DNS_RR_FIXED_LEN > len)
		return -EBADMSG;
	rr->name[0] = '\0';
	rr->type = get16(msg + pos);
	rr->rclass = get16(msg + pos + 2);
	rr->ttl = get32(msg + pos + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0;
	rr->rdlength = get16(msg + pos + 8);
	rr->rdata = pos + DNS_RR_FIXED_LEN;
	if (rr->rdata + rr->rdlength > len)
		return -EBADMSG;
	*off = rr->rdata + rr->rdlength;
	return 0;
}

int dns_for_each_rr(uint8_t *msg, size_t len, dns_rr_fn fn, void *ctx)
{
	struct dns_question q;
	struct dns_header hdr;
	struct dns_rr rr;
	unsigned int i, n;
	size_t off;
	int err;

	err = dns_parse_header(msg, len, &hdr);
	if (!err)
		err = dns_parse_question(msg, len, &q);
	if (err)
		return err;
	n = (unsigned int)hdr.ancount + hdr.nscount + hdr.arcount;
	for (i = 0, off = q.end; i < n; i++) {
		err = read_rr_fixed(msg, len, &off, &rr);
		if (err)
			return err;
		/* The TTL field sits before RDLENGTH, before the data. */
		fn(msg, &rr, rr.rdata - 6, ctx);
	}
	return 0;
}

/* The additional section of a message with one question. */
static int find_additional(const uint8_t *msg, size_t len,
			   const struct dns_header *hdr, size_t *off)
{
	struct dns_question q;
	int err;

	err = dns_parse_question(msg, len, &q);
	if (err)
		return err;
	*off = q.end;
	return skip_rrs(msg, len, off,
			(unsigned int)hdr->ancount + hdr->nscount);
}

int dns_parse_edns(const uint8_t *msg, size_t len, struct dns_edns *edns)
{
	struct dns_header hdr;
	struct dns_rr rr;
	unsigned int i;
	size_t off;
	int err;

	memset(edns, 0, sizeof(*edns));
	err = dns_parse_header(msg, len, &hdr);
	if (!err)
		err = find_additional(msg, len, &hdr, &off);
	if (err)
		return err;

	for (i = 0; i < hdr.arcount; i++) {
		err = dns_read_rr(msg, len, &off, &rr);
		if (err)
			return err;
		if (rr.type != DNS_TYPE_OPT || strcmp(rr.name, ".") != 0)
			continue;
		edns->present = true;
		edns->dnssec_ok = rr.ttl & 0x8000;
		/* RFC 6891 6.2.3: below 512 is treated as 512. */
		edns->udp_size = rr.rclass < DNS_UDP_CLASSIC_MAX ?
					 DNS_UDP_CLASSIC_MAX :
					 rr.rclass;
		return 0;
	}
	return 0;
}

/* An OPT record carrying one Extended DNS Error (RFC 8914). */
static int append_opt(uint8_t *out, size_t out_len, size_t *pos,
		      uint16_t ede_code, const char *ede_text)
{
	size_t text_len = ede_code && ede_text ? strlen(ede_text) : 0;
	size_t opt_len = ede_code ? 4 + 2 + text_len : 0;
	uint8_t *p = out + *pos;

	if (*pos + 11 + opt_len > out_len)
		return -ENOSPC;
	p[0] = 0; /* owner: the root */
	put16(p + 1, DNS_TYPE_OPT);
	put16(p + 3, DNS_EDNS_UDP_SIZE);
	memset(p + 5, 0, 4); /* extended rcode, version, flags */
	put16(p + 9, (uint16_t)opt_len);
	if (ede_code) {
		put16(p + 11, DNS_EDNS_OPT_EDE);
		put16(p + 13, (uint16_t)(2 + text_len));
		put16(p + 15, ede_code);
		memcpy(p + 17, ede_text, text_len);
	}
	*pos += 11 + opt_len;
	return 0;
}

static uint16_t reply_flags(uint16_t query_flags, uint16_t rcode)
{
	uint16_t keep = DNS_FLAG_RD | DNS_FLAG_CD | (0xfu << 11);

	return (uint16_t)((query_flags & keep) | DNS_FLAG_QR | DNS_FLAG_RA |
			  (rcode & 0xf));
}

int dns_build_reply(const uint8_t *query, size_t query_len, uint16_t rcode,
		    uint16_t ede_code, const char *ede_text, uint8_t *out,
		    size_t out_len)
{
	struct dns_question q;
	struct dns_header hdr;
	struct dns_edns edns;
	size_t pos;

	if (dns_parse_header(query, query_len, &hdr) ||
	    out_len < DNS_HEADER_LEN)
		return -EBADMSG;
	/* Without a readable question, the header alone carries the code. */
	pos = dns_parse_question(query, query_len, &q) ? DNS_HEADER_LEN : q.end;
	if (pos > out_len)
		return -ENOSPC;

	memcpy(out, query, pos);
	put16(out + 2, reply_flags(hdr.flags, rcode));
	put16(out + 4, pos > DNS_HEADER_LEN ? 1 : 0);
	memset(out + 6, 0, 6);
	if (pos > DNS_HEADER_LEN && !dns_parse_edns(query, query_len, &edns) &&
	    edns.present && !append_opt(out, out_len, &pos, ede_code, ede_text))
		put16(out + 10, 1);
	return (int)pos;
}

int dns_truncate_reply(uint8_t *msg, size_t len)
{
	struct dns_question q;
	int err;

	err = dns_parse_question(msg, len, &q);
	if (err)
		return err;
	put16(msg + 2, get16(msg + 2) | DNS_FLAG_TC);
	memset(msg + 6, 0, 6);
	return (int)q.end;
}

/* One decimal label of an in-addr.arpa name: 0 to 255, no leading 0. */
static int octet_label(const char **p, uint8_t *out)
{
	unsigned int v = 0;
	const char *s = *p;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 3)
		v = v * 10 + (unsigned int)(s[n++] - '0');
	if (!n || s[n] != '.' || v > 255 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	*out = (uint8_t)v;
	*p = s + n + 1;
	return 0;
}

static int nibble_label(const char **p, uint8_t *out)
{
	const char *s = *p;
	char c = (char)tolower((unsigned char)s[0]);

	if (!s[0] || s[1] != '.')
		return -EINVAL;
	if (c >= '0' && c <= '9')
		*out = (uint8_t)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*out = (uint8_t)(c - 'a' + 10);
	else
		return -EINVAL;
	*p = s + 2;
	return 0;
}

static bool is_suffix(const char *rest, const char *zone)
{
	size_t n = strlen(zone);

	return !strncasecmp(rest, zone, n) &&
	       (rest[n] == '\0' || (rest[n] == '.' && rest[n + 1] == '\0'));
}

int dns_reverse_addr(const char *name, uint8_t *addr)
{
	const char *p = name;
	uint8_t v4[4], nib;
	int i;

	for (i = 3; i >= 0 && !octet_label(&p, &v4[i]); i--)
		;
	if (i < 0 && is_suffix(p, "in-addr.arpa")) {
		addr_from_v4(addr, v4);
		return 0;
	}

	p = name;
	memset(addr, 0, ADDR_LEN);
	for (i = 31; i >= 0; i--) {
		if (nibble_label(&p, &nib))
			return -EINVAL;
		addr[i / 2] |= (uint8_t)(i % 2 ? nib : nib << 4);
	}
	return is_suffix(p, "ip6.arpa") ? 0 : -EINVAL;
}

const char *dns_type_name(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{ DNS_TYPE_A, "A" },	     { DNS_TYPE_NS, "NS" },
		{ DNS_TYPE_CNAME, "CNAME" }, { DNS_TYPE_SOA, "SOA" },
		{ DNS_TYPE_PTR, "PTR" },     { DNS_TYPE_MX, "MX" },
		{ DNS_TYPE_TXT, "TXT" },     { DNS_TYPE_AAAA, "AAAA" },
		{ DNS_TYPE_SRV, "SRV" },     { DNS_TYPE_OPT, "OPT" },
		{ DNS_TYPE_SVCB, "SVCB" },   { DNS_TYPE_HTTPS, "HTTPS" },
		{ DNS_TYPE_ANY, "ANY" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	/* RFC 3597's generic form. */
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

bool dns_question_equal(const struct dns_question *a,
			const struct dns_question *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass &&
	       strcmp(a->name, b->name) == 0;
}
