// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fuzz_dns.c - libFuzzer: every DNS reader and builder on arbitrary bytes */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	}

	memcpy(copy, data, size);
	dns_truncate_reply(copy, size);
	return 0;
}
