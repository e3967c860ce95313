// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* addr.c - IPv4 and IPv6 addresses, prefixes and endpoints, one form */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0,	0,
					      0, 0, 0, 0, 0xff, 0xff };

bool addr_is_v4(const uint8_t *addr)
{
	return memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

struct scope_prefix {
	uint8_t addr[ADDR_LEN];
	uint8_t prefixlen; /* in the 128-bit space */
};

#define V4(a, b, c, d)                                               \
	{                                                            \
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d \
	}

static const struct scope_prefix local_scope[] = {
	{ V4(0, 0, 0, 0), 96 + 8 }, /* "this network" */
	{ V4(127, 0, 0, 0), 96 + 8 }, /* loopback */
	{ V4(169, 254, 0, 0), 96 + 16 }, /* link-local, with metadata */
	{ V4(100, 100, 100, 200), 128 }, /* Alibaba Cloud's metadata */
	{ V4(224, 0, 0, 0), 96 + 4 }, /* multicast */
	{ V4(255, 255, 255, 255), 128 }, /* broadcast */
	{ { 0 }, 128 }, /* :: */
	{ { [15] = 1 }, 128 }, /* ::1 */
	{ { 0xfe, 0x80 }, 10 }, /* link-local */
	{ { 0xff }, 8 }, /* multicast */
	/* AWS's metadata service over IPv6 */
	{ { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 }, 128 },
};

static bool in_prefix(const uint8_t *addr, const struct scope_prefix *p)
{
	unsigned int whole = p->prefixlen / 8, rest = p->prefixlen % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(addr, p->addr, whole))
		return false;
	return !rest || (addr[whole] & mask) == (p->addr[whole] & mask);
}

bool addr_is_local_scope(const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < sizeof(local_scope) / sizeof(local_scope[0]); i++)
		if (in_prefix(addr, &local_scope[i]))
			return true;
	return false;
}

void addr_from_v4(uint8_t *addr, const void *in_addr)
{
	memcpy(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(addr + 12, in_addr, 4);
}

int addr_parse(const char *text, uint8_t *addr)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		addr_from_v4(addr, &v4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1)
		return 0;
	return -EINVAL;
}

/* Decimal digits of v at p; returns the end. */
static char *put_decimal(char *p, unsigned int v)
{
	char digits[10];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = digits[--n];
	return p;
}

/*
 * IPv4 by hand: the audit log writes addresses many times a second, and
 * inet_ntop() formats each octet through printf.
 */
const char *addr_format(const uint8_t *addr, char *buf, size_t len)
{
	char *p = buf;
	int i;

	if (!addr_is_v4(addr)) {
		inet_ntop(AF_INET6, addr, buf, len);
		return buf;
	}
	if (len < INET_ADDRSTRLEN) {
		inet_ntop(AF_INET, addr + 12, buf, len);
		return buf;
	}
	for (i = 12; i < ADDR_LEN; i++) {
		p = put_decimal(p, addr[i]);
		*p++ = i < ADDR_LEN - 1 ? '.' : '\0';
	}
	return buf;
}

int port_parse(const char *text, uint16_t *port)
{
	unsigned long value;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value < 1 || value > 65535)
		return -EINVAL;
	*port = (uint16_t)value;
	return 0;
}

static int prefixlen_parse(const char *text, bool v4, uint8_t *prefixlen,
			   const char **why)
{
	unsigned long value;
	char *end;

	if (text[0] < '0' || text[0] > '9') {
		*why = "the prefix length is not a number";
		return -EINVAL;
	}
	value = strtoul(text, &end, 10);
	if (*end || value > (v4 ? 32u : 128u)) {
		*why = v4 ? "an IPv4 prefix length must be 0-32" :
			    "an IPv6 prefix length must be 0-128";
		return -EINVAL;
	}
	*prefixlen = (uint8_t)(v4 ? 96 + value : value);
	return 0;
}

int cidr_parse(const char *text, struct cidr *cidr, const char **why)
{
	char buf[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);

	if (addr_len >= sizeof(buf)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(buf, text, addr_len);
	buf[addr_len] = '\0';
	if (addr_parse(buf, cidr->addr)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	if (!slash) {
		cidr->prefixlen = 128;
		return 0;
	}
	return prefixlen_parse(slash + 1, addr_is_v4(cidr->addr),
			       &cidr->prefixlen, why);
}

const char *cidr_format(const struct cidr *cidr, char *buf, size_t len)
{
	char addr[ADDR_TEXT_MAX];
	bool v4 = addr_is_v4(cidr->addr) && cidr->prefixlen >= 96;

	addr_format(cidr->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr,
		 v4 ? cidr->prefixlen - 96u : cidr->prefixlen);
	return buf;
}

bool cidr_contains(const struct cidr *outer, const uint8_t *addr)
{
	unsigned int full = outer->prefixlen / 8, rest = outer->prefixlen % 8;
	uint8_t mask;

	if (memcmp(outer->addr, addr, full) != 0)
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (outer->addr[full] & mask) == (addr[full] & mask);
}

bool cidr_clear_host_bits(struct cidr *cidr)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < ADDR_LEN; i++) {
		unsigned int start = i * 8;
		uint8_t keep;

		if (start >= cidr->prefixlen)
			keep = 0;
		else if (start + 8 <= cidr->prefixlen)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff
					 << (8 - (cidr->prefixlen - start)));
		if (cidr->addr[i] & ~keep)
			changed = true;
		cidr->addr[i] &= keep;
	}
	return changed;
}

/* "[v6]" or "[v6]:port": copy the address out of the brackets. */
static int endpoint_split_bracketed(const char *text, char *addr,
				    size_t addr_len, const char **port,
				    const char **why)
{
	const char *close = strchr(text, ']');
	size_t len;

	if (!close) {
		*why = "missing ']' after the IPv6 address";
		return -EINVAL;
	}
	len = (size_t)(close - text - 1);
	if (len >= addr_len) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	memcpy(addr, text + 1, len);
	addr[len] = '\0';
	if (close[1] == '\0') {
		*port = NULL;
		return 0;
	}
	if (close[1] != ':') {
		*why = "expected ':PORT' after ']'";
		return -EINVAL;
	}
	*port = close + 2;
	return 0;
}

/* "v4", "v4:port" or a bare "v6" (more than one colon, no port). */
static int endpoint_split_plain(const char *text, char *addr, size_t addr_len,
				const char **port, const char **why)
{
	const char *colon = strchr(text, ':');
	size_t len = strlen(text);

	if (colon && strchr(colon + 1, ':'))
		colon = NULL; /* IPv6 without brackets cannot carry a port */
	if (colon)
		len = (size_t)(colon - text);
	if (len >= addr_len) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(addr, text, len);
	addr[len] = '\0';
	*port = colon ? colon + 1 : NULL;
	return 0;
}

int endpoint_parse(const char *text, uint16_t default_port, struct endpoint *ep,
		   const char **why)
{
	char addr[ADDR_TEXT_MAX];
	const char *port;
	int err;

	if (text[0] == '[')
		err = endpoint_split_bracketed(text, addr, sizeof(addr), &port,
					       why);
	else
		err = endpoint_split_plain(text, addr, sizeof(addr), &port,
					   why);
	if (err)
		return err;

	if (addr_parse(addr, ep->addr)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	if (text[0] == '[' && addr_is_v4(ep->addr)) {
		*why = "brackets are for IPv6 addresses";
		return -EINVAL;
	}
	ep->port = default_port;
	if (port && port_parse(port, &ep->port)) {
		*why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	return 0;
}

const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len)
{
	char addr[ADDR_TEXT_MAX], port[8], *end;
	bool v4 = addr_is_v4(ep->addr);

	addr_format(ep->addr, addr, sizeof(addr));
	end = put_decimal(port, ep->port);
	*end = '\0';
	snprintf(buf, len, "%s%s%s:%s", v4 ? "" : "[", addr, v4 ? "" : "]",
		 port);
	return buf;
}

socklen_t endpoint_to_sockaddr(const struct endpoint *ep,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (addr_is_v4(ep->addr)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		memcpy(&sin->sin_addr, ep->addr + 12, 4);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		memcpy(&sin6->sin6_addr, ep->addr, ADDR_LEN);
		return sizeof(*sin6);
	}
}

int endpoint_from_sockaddr(const struct sockaddr *sa, struct endpoint *ep)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		addr_from_v4(ep->addr, &sin->sin_addr);
		ep->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
			(const struct sockaddr_in6 *)sa;

		memcpy(ep->addr, &sin6->sin6_addr, ADDR_LEN);
		ep->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}
