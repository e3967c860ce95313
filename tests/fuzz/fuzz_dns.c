// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fuzz_dns.c - libFuzzer: every DNS reader and builder on arbitrary bytes */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cache.h"
#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rr_seen(uint8_t *msg, const struct dns_rr *rr, size_t ttl_off,
		    void *ctx)
{
	*(uint32_t *)ctx += msg[ttl_off] + rr->type;
}

/*
 * The cache takes an answer the proxy accepted; it must cope with any
 * bytes all the same, and give back only what fits.
 */
static void through_cache(const uint8_t *data, size_t size,
			  const struct dns_question *q)
{
	static struct cache cache;
	static int ready;
	struct cache_query key = { .q = q, .flags = DNS_FLAG_RD, .msg = data };
	uint8_t out[CACHE_MSG_MAX];

	if (!ready)
		ready = !cache__init(&cache);
	cache__store(&cache, &key, data, size, 0);
	cache__answer(&cache, &key, out, sizeof(out), 1500);
}

/* What the proxy does with a query and with an answer, on the same bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer ans;
	struct dns_question q;
	struct dns_edns edns;
	struct dns_header hdr;
	uint8_t out[DNS_UDP_CLASSIC_MAX + 512];
	uint8_t copy[DNS_MSG_MAX];
	size_t off = DNS_HEADER_LEN;
	char name[DNS_NAME_TEXT_MAX];
	struct dns_rr rr;

	if (size > sizeof(copy))
		return 0;
	dns_parse_header(data, size, &hdr);
	dns_read_name(data, size, &off, name, sizeof(name));
	while (off < size && dns_read_rr(data, size, &off, &rr) == 0)
		;
	dns_parse_edns(data, size, &edns);
	dns_build_reply(data, size, DNS_RCODE_REFUSED, DNS_EDE_BLOCKED,
			"blocked", out, sizeof(out));
	if (dns_parse_question(data, size, &q) == 0) {
		uint8_t addr[ADDR_LEN];

		dns_collect_answer(data, size, &q, &ans);
		dns_reverse_addr(q.name, addr);
		through_cache(data, size, &q);
	}

	memcpy(copy, data, size);
	dns_for_each_rr(copy, size, rr_seen, &(uint32_t){ 0 });
	dns_truncate_reply(copy, size);
	return 0;
}
