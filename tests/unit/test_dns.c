// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_dns.c - DNS names, questions, answers and replies, good and bad */
#include "dns.h"
#include "dnsmsg.h"
#include "test.h"

#define QR_RD_RA 0x8180

static struct msg m;

static int read_name_at(size_t off, char *out, size_t *end)
{
	int err = dns_read_name(m.b, m.len, &off, out, DNS_NAME_TEXT_MAX);

	if (end)
		*end = off;
	return err;
}

static void test_name_plain_and_case(void)
{
	char name[DNS_NAME_TEXT_MAX];
	size_t end;

	m.len = 0;
	m_name(&m, "WWW.Example.COM");
	ASSERT_OK(read_name_at(0, name, &end), "read");
	ASSERT_STREQ(name, "www.example.com", "lower case");
	ASSERT_EQ(end, m.len, "moved past the name");

	m.len = 0;
	m_name(&m, "");
	ASSERT_OK(read_name_at(0, name, &end), "root");
	ASSERT_STREQ(name, ".", "root");
	ASSERT_EQ(end, 1, "one byte");
}

static void test_name_escapes_unusual_bytes(void)
{
	static const uint8_t wire[] = { 11,  'e', 'x',	'a', 'm', 'p',
					'l', 'e', '.',	'c', 'o', 'm',
					3,   'a', '\\', 0,   0 };
	char name[DNS_NAME_TEXT_MAX];

	memcpy(m.b, wire, sizeof(wire));
	m.len = sizeof(wire);
	ASSERT_OK(read_name_at(0, name, NULL), "read");
	/* The dot inside a label must not read as a label boundary. */
	ASSERT_STREQ(name, "example\\046com.a\\092\\000", "escaped");
}

static void test_name_compression(void)
{
	char name[DNS_NAME_TEXT_MAX];
	size_t end;

	m.len = 0;
	m_name(&m, "example.com"); /* offset 0 */
	m_u8(&m, 3); /* offset 13: "www" + pointer */
	memcpy(m.b + m.len, "www", 3);
	m.len += 3;
	m_ptr(&m, 0);
	ASSERT_OK(read_name_at(13, name, &end), "read");
	ASSERT_STREQ(name, "www.example.com", "decompressed");
	ASSERT_EQ(end, 13 + 4 + 2, "ends after the pointer");
}

static void test_name_rejects_bad_pointers(void)
{
	char name[DNS_NAME_TEXT_MAX];

	/* A pointer to itself. */
	m.len = 0;
	m_ptr(&m, 0);
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "self pointer");

	/* A forward pointer. */
	m.len = 0;
	m_ptr(&m, 4);
	m_u16(&m, 0);
	m_name(&m, "a");
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "forward");

	/* A loop through a label: "a" then a pointer back to "a". */
	m.len = 0;
	m_u8(&m, 1);
	m_u8(&m, 'a');
	m_ptr(&m, 0);
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "label loop");

	/* A pointer cut short by the end of the message. */
	m.len = 0;
	m_u8(&m, 0xc0);
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "half pointer");

	/* The reserved label types 0x40 and 0x80. */
	m.len = 0;
	m_u8(&m, 0x41);
	m_u8(&m, 'x');
	m_u8(&m, 0);
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "extended label");
}

static void test_name_rejects_overlong_and_truncated(void)
{
	char name[DNS_NAME_TEXT_MAX];
	int i;

	/* 5 labels of 63 bytes: 320 octets, over the 255 limit. */
	m.len = 0;
	for (i = 0; i < 5; i++) {
		m_u8(&m, 63);
		memset(m.b + m.len, 'a', 63);
		m.len += 63;
	}
	m_u8(&m, 0);
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "too long");

	m.len = 0;
	m_u8(&m, 10);
	m_u8(&m, 'a');
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "label past end");

	m.len = 0;
	m_u8(&m, 1);
	m_u8(&m, 'a');
	ASSERT_EQ(read_name_at(0, name, NULL), -EBADMSG, "no terminator");
}

static void test_question(void)
{
	struct dns_question q;

	m_header(&m, 0x1234, 0x0100, 1, 0, 0, 0);
	m_question(&m, "Example.com", DNS_TYPE_AAAA);
	ASSERT_OK(dns_parse_question(m.b, m.len, &q), "parse");
	ASSERT_STREQ(q.name, "example.com", "name");
	ASSERT_EQ(q.qtype, DNS_TYPE_AAAA, "type");
	ASSERT_EQ(q.qclass, DNS_CLASS_IN, "class");
	ASSERT_EQ(q.end, m.len, "end");

	ASSERT_EQ(dns_parse_question(m.b, m.len - 1, &q), -EBADMSG, "short");
	ASSERT_EQ(dns_parse_question(m.b, 11, &q), -EBADMSG, "no header");

	m_header(&m, 1, 0x0100, 2, 0, 0, 0);
	m_question(&m, "a.com", 1);
	m_question(&m, "b.com", 1);
	ASSERT_EQ(dns_parse_question(m.b, m.len, &q), -EBADMSG, "two");
	m_header(&m, 1, 0x0100, 0, 0, 0, 0);
	ASSERT_EQ(dns_parse_question(m.b, m.len, &q), -EBADMSG, "none");
}

/* The answer's addresses, as text, joined by spaces. */
static int answer_text(char *out, size_t len)
{
	struct dns_question q;
	struct dns_answer ans;
	char addr[ADDR_TEXT_MAX];
	size_t i;
	int err;

	err = dns_parse_question(m.b, m.len, &q);
	if (!err)
		err = dns_collect_answer(m.b, m.len, &q, &ans);
	if (err)
		return err;
	out[0] = '\0';
	for (i = 0; i < ans.naddrs; i++) {
		strncat(out, i ? " " : "", len - strlen(out) - 1);
		strncat(out, addr_format(ans.addrs[i].addr, addr, sizeof(addr)),
			len - strlen(out) - 1);
	}
	return 0;
}

static void test_answer_addresses(void)
{
	char text[512];

	m_header(&m, 1, QR_RD_RA, 1, 3, 0, 0);
	m_question(&m, "example.com", 1);
	m_a(&m, "example.com", 60, "192.0.2.1");
	m_aaaa(&m, "EXAMPLE.com", 60, "2001:db8::1");
	m_a(&m, "other.com", 60, "198.51.100.9"); /* not ours: ignored */
	ASSERT_OK(answer_text(text, sizeof(text)), "collect");
	ASSERT_STREQ(text, "192.0.2.1 2001:db8::1", "addresses");
}

static void test_answer_cname_chain(void)
{
	struct dns_question q;
	struct dns_answer ans;
	char text[512];

	/* Out of order: the chain must be followed whatever the order. */
	m_header(&m, 1, QR_RD_RA, 1, 4, 0, 0);
	m_question(&m, "www.example.com", 1);
	m_a(&m, "edge.cdn.example.net", 20, "203.0.113.5");
	m_cname(&m, "cdn.example.net", 30, "edge.cdn.example.net");
	m_cname(&m, "www.example.com", 300, "cdn.example.net");
	m_a(&m, "unrelated.example.net", 20, "203.0.113.66");
	ASSERT_OK(answer_text(text, sizeof(text)), "collect");
	ASSERT_STREQ(text, "203.0.113.5", "only the chain's address");

	ASSERT_OK(dns_parse_question(m.b, m.len, &q), "question");
	ASSERT_OK(dns_collect_answer(m.b, m.len, &q, &ans), "answer");
	ASSERT_EQ(ans.ncnames, 2, "two names in the chain");
	ASSERT_STREQ(ans.cnames[0], "cdn.example.net", "first");
	ASSERT_STREQ(ans.cnames[1], "edge.cdn.example.net", "second");
	ASSERT_EQ(ans.cname_ttls[0], 300, "ttl");
}

static void test_answer_cname_loop_terminates(void)
{
	char text[512];

	m_header(&m, 1, QR_RD_RA, 1, 3, 0, 0);
	m_question(&m, "a.example", 1);
	m_cname(&m, "a.example", 60, "b.example");
	m_cname(&m, "b.example", 60, "a.example");
	m_a(&m, "b.example", 60, "192.0.2.2");
	ASSERT_OK(answer_text(text, sizeof(text)), "collect");
	ASSERT_STREQ(text, "192.0.2.2", "address");
}

static void test_answer_rejects_bad_records(void)
{
	char text[512];
	size_t rdlen_at;

	/* An A record whose length is wrong is skipped, not read. */
	m_header(&m, 1, QR_RD_RA, 1, 1, 0, 0);
	m_question(&m, "x.example", 1);
	m_name(&m, "x.example");
	m_rr_fixed(&m, 1, 60, 3);
	m_u8(&m, 1);
	m_u8(&m, 2);
	m_u8(&m, 3);
	ASSERT_OK(answer_text(text, sizeof(text)), "collect");
	ASSERT_STREQ(text, "", "no address from 3 bytes");

	/* rdlength running past the message. */
	m_header(&m, 1, QR_RD_RA, 1, 1, 0, 0);
	m_question(&m, "x.example", 1);
	m_name(&m, "x.example");
	rdlen_at = m.len + 8;
	m_rr_fixed(&m, 1, 60, 4);
	m_u16(&m, 0x0102);
	ASSERT_EQ(answer_text(text, sizeof(text)), -EBADMSG, "overrun");
	m.b[rdlen_at + 1] = 2;
	ASSERT_OK(answer_text(text, sizeof(text)), "consistent again");

	/* More records announced than present. */
	m_header(&m, 1, QR_RD_RA, 1, 2, 0, 0);
	m_question(&m, "x.example", 1);
	m_a(&m, "x.example", 60, "192.0.2.3");
	ASSERT_EQ(answer_text(text, sizeof(text)), -EBADMSG, "missing");

	/* A CNAME whose target spills out of its record data. */
	m_header(&m, 1, QR_RD_RA, 1, 1, 0, 0);
	m_question(&m, "x.example", 1);
	m_name(&m, "x.example");
	m_rr_fixed(&m, 5, 60, 2);
	m_name(&m, "y.example");
	ASSERT_EQ(answer_text(text, sizeof(text)), -EBADMSG, "cname spill");
}

static void test_answer_ttl_top_bit_is_zero(void)
{
	struct dns_question q;
	struct dns_answer ans;

	m_header(&m, 1, QR_RD_RA, 1, 1, 0, 0);
	m_question(&m, "x.example", 1);
	m_a(&m, "x.example", 0x80000001u, "192.0.2.4");
	ASSERT_OK(dns_parse_question(m.b, m.len, &q), "question");
	ASSERT_OK(dns_collect_answer(m.b, m.len, &q, &ans), "answer");
	ASSERT_EQ(ans.addrs[0].ttl, 0, "RFC 2181 8");
}

static void test_edns(void)
{
	struct dns_edns edns;

	m_header(&m, 1, 0x0100, 1, 0, 0, 1);
	m_question(&m, "x.example", 1);
	m_opt(&m, 4096);
	ASSERT_OK(dns_parse_edns(m.b, m.len, &edns), "parse");
	ASSERT_TRUE(edns.present, "present");
	ASSERT_EQ(edns.udp_size, 4096, "size");

	m_header(&m, 1, 0x0100, 1, 0, 0, 1);
	m_question(&m, "x.example", 1);
	m_opt(&m, 100);
	ASSERT_OK(dns_parse_edns(m.b, m.len, &edns), "small");
	ASSERT_EQ(edns.udp_size, 512, "at least 512");

	m_header(&m, 1, 0x0100, 1, 0, 0, 0);
	m_question(&m, "x.example", 1);
	ASSERT_OK(dns_parse_edns(m.b, m.len, &edns), "none");
	ASSERT_FALSE(edns.present, "absent");
}

static void test_build_refused_with_ede(void)
{
	struct dns_header hdr;
	struct dns_question q;
	uint8_t out[600];
	int n;

	m_header(&m, 0xbeef, 0x0110, 1, 0, 0, 1); /* RD and CD */
	m_question(&m, "blocked.example", DNS_TYPE_A);
	m_opt(&m, 1232);
	n = dns_build_reply(m.b, m.len, DNS_RCODE_REFUSED, DNS_EDE_BLOCKED,
			    "blocked by policy", out, sizeof(out));
	ASSERT_TRUE(n > 0, "built");
	ASSERT_OK(dns_parse_header(out, (size_t)n, &hdr), "header");
	ASSERT_EQ(hdr.id, 0xbeef, "id kept");
	ASSERT_EQ(DNS_RCODE(hdr.flags), DNS_RCODE_REFUSED, "rcode");
	ASSERT_TRUE(hdr.flags & DNS_FLAG_QR, "a response");
	ASSERT_TRUE(hdr.flags & DNS_FLAG_RD, "RD kept");
	ASSERT_TRUE(hdr.flags & DNS_FLAG_CD, "CD kept");
	ASSERT_EQ(hdr.qdcount, 1, "question");
	ASSERT_EQ(hdr.ancount, 0, "no answer");
	ASSERT_EQ(hdr.arcount, 1, "OPT");
	ASSERT_OK(dns_parse_question(out, (size_t)n, &q), "question parses");
	ASSERT_STREQ(q.name, "blocked.example", "same question");
	/* The EDE option: code 15, then info-code 15 and the text. */
	ASSERT_TRUE(memmem(out, (size_t)n,
			   "\x00\x0f\x00\x13\x00\x0f"
			   "blocked by policy",
			   23) != NULL,
		    "EDE option");

	m_header(&m, 7, 0x0100, 1, 0, 0, 0);
	m_question(&m, "x.example", 1);
	n = dns_build_reply(m.b, m.len, DNS_RCODE_SERVFAIL, DNS_EDE_BLOCKED,
			    "x", out, sizeof(out));
	ASSERT_OK(dns_parse_header(out, (size_t)n, &hdr), "no edns");
	ASSERT_EQ(hdr.arcount, 0, "no OPT without client EDNS");
}

static void test_build_reply_from_garbage(void)
{
	struct dns_header hdr;
	uint8_t out[600];
	int n;

	m_header(&m, 0x4242, 0x0100, 1, 0, 0, 0);
	m_u8(&m, 0xc0); /* a question that does not parse */
	n = dns_build_reply(m.b, m.len, DNS_RCODE_FORMERR, 0, NULL, out,
			    sizeof(out));
	ASSERT_EQ(n, DNS_HEADER_LEN, "header only");
	ASSERT_OK(dns_parse_header(out, (size_t)n, &hdr), "header");
	ASSERT_EQ(hdr.id, 0x4242, "id");
	ASSERT_EQ(hdr.qdcount, 0, "no question");
	ASSERT_EQ(DNS_RCODE(hdr.flags), DNS_RCODE_FORMERR, "formerr");
	ASSERT_EQ(dns_build_reply(m.b, 5, DNS_RCODE_FORMERR, 0, NULL, out,
				  sizeof(out)),
		  -EBADMSG, "no header at all");
}

static void test_truncate_reply(void)
{
	struct dns_header hdr;
	int n;

	m_header(&m, 9, QR_RD_RA, 1, 1, 0, 0);
	m_question(&m, "x.example", 1);
	m_a(&m, "x.example", 60, "192.0.2.9");
	n = dns_truncate_reply(m.b, m.len);
	ASSERT_TRUE(n > 0, "truncated");
	ASSERT_OK(dns_parse_header(m.b, (size_t)n, &hdr), "header");
	ASSERT_TRUE(hdr.flags & DNS_FLAG_TC, "TC set");
	ASSERT_EQ(hdr.ancount, 0, "answers gone");
	ASSERT_EQ(hdr.id, 9, "id kept");
}

static void test_type_names(void)
{
	char buf[16];

	ASSERT_STREQ(dns_type_name(1, buf, sizeof(buf)), "A", "A");
	ASSERT_STREQ(dns_type_name(28, buf, sizeof(buf)), "AAAA", "AAAA");
	ASSERT_STREQ(dns_type_name(65280, buf, sizeof(buf)), "TYPE65280",
		     "generic");
}

struct reverse_case {
	const char *name;
	const char *addr; /* NULL: not a reverse name of one address */
};

static void test_reverse_names(void)
{
	static const struct reverse_case cases[] = {
		{ "7.113.0.203.in-addr.arpa", "203.0.113.7" },
		{ "7.113.0.203.IN-ADDR.ARPA.", "203.0.113.7" },
		{ "0.0.0.0.in-addr.arpa", "0.0.0.0" },
		{ "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
		  "4321:0:1:2:3:4:567:89ab" },
		{ "B.A.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.IP6.ARPA.",
		  "4321:0:1:2:3:4:567:89ab" },
		{ "113.0.203.in-addr.arpa", NULL }, /* a zone, not a host */
		{ "x.7.113.0.203.in-addr.arpa", NULL }, /* a label to spare */
		{ "07.113.0.203.in-addr.arpa", NULL }, /* leading zero */
		{ "256.113.0.203.in-addr.arpa", NULL },
		{ "7.113.0.203.in-addr.arpa.evil.example", NULL },
		{ "data.7.113.0.203.in-addr.arpa", NULL },
		{ "a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
		  NULL }, /* 31 nibbles */
		{ "g.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
		  NULL },
		{ "example.com", NULL },
		{ "", NULL },
	};
	uint8_t got[ADDR_LEN], want[ADDR_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].addr) {
			ASSERT_EQ(dns_reverse_addr(cases[i].name, got), -EINVAL,
				  cases[i].name);
			continue;
		}
		ASSERT_OK(addr_parse(cases[i].addr, want), cases[i].addr);
		ASSERT_OK(dns_reverse_addr(cases[i].name, got), cases[i].name);
		ASSERT_TRUE(!memcmp(got, want, ADDR_LEN), cases[i].name);
	}
}

static const struct test_case cases[] = {
	TEST(test_name_plain_and_case),
	TEST(test_name_escapes_unusual_bytes),
	TEST(test_name_compression),
	TEST(test_name_rejects_bad_pointers),
	TEST(test_name_rejects_overlong_and_truncated),
	TEST(test_question),
	TEST(test_answer_addresses),
	TEST(test_answer_cname_chain),
	TEST(test_answer_cname_loop_terminates),
	TEST(test_answer_rejects_bad_records),
	TEST(test_answer_ttl_top_bit_is_zero),
	TEST(test_edns),
	TEST(test_build_refused_with_ede),
	TEST(test_build_reply_from_garbage),
	TEST(test_truncate_reply),
	TEST(test_type_names),
	TEST(test_reverse_names),
};

TEST_MAIN("dns", cases)
