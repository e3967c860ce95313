/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* addr.h - IPv4 and IPv6 addresses, prefixes and endpoints, one form */
#ifndef MOAT_ADDR_H
#define MOAT_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Addresses are 16 bytes everywhere, IPv4 as IPv4-mapped IPv6 (RFC 4291
 * 2.5.5.2), the same form the BPF maps use.
 */
#define ADDR_LEN 16
/* Longest text form: a full IPv6 address with brackets, scope and port. */
#define ADDR_TEXT_MAX 64

struct cidr {
	uint8_t addr[ADDR_LEN];
	uint8_t prefixlen; /* in the 128-bit space; IPv4 /n is 96 + n */
};

struct endpoint {
	uint8_t addr[ADDR_LEN];
	uint16_t port;
};

bool addr_is_v4(const uint8_t *addr);
void addr_from_v4(uint8_t *addr, const void *in_addr);

/*
 * An address that means this machine, its link, a multicast group or a
 * cloud's metadata service, rather than a host on the internet: what a
 * DNS rebinding answer points at.
 */
bool addr_is_local_scope(const uint8_t *addr);

/* Parse a bare address; returns 0 or -EINVAL. */
int addr_parse(const char *text, uint8_t *addr);

/* Text form: dotted quad for IPv4, RFC 5952 for IPv6. */
const char *addr_format(const uint8_t *addr, char *buf, size_t len);

/*
 * Parse "ADDR/LEN" or a bare address (a /32 or /128). Returns 0, or
 * -EINVAL with *why naming the problem.
 */
int cidr_parse(const char *text, struct cidr *cidr, const char **why);

/* Text form of a prefix in its own family: "192.0.2.0/24". */
const char *cidr_format(const struct cidr *cidr, char *buf, size_t len);

bool cidr_contains(const struct cidr *outer, const uint8_t *addr);

/* Clear the host bits; returns true if any were set. */
bool cidr_clear_host_bits(struct cidr *cidr);

/*
 * Parse "ADDR", "ADDR:PORT", "[V6ADDR]" or "[V6ADDR]:PORT"; a missing port
 * becomes default_port. Returns 0, or -EINVAL with *why set.
 */
int endpoint_parse(const char *text, uint16_t default_port, struct endpoint *ep,
		   const char **why);

/* "192.0.2.1:53" or "[2001:db8::1]:53". */
const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len);

/* Convert to and from socket addresses of the endpoint's own family. */
socklen_t endpoint_to_sockaddr(const struct endpoint *ep,
			       struct sockaddr_storage *ss);
int endpoint_from_sockaddr(const struct sockaddr *sa, struct endpoint *ep);

/* Parse a port number 1-65535; returns 0 or -EINVAL. */
int port_parse(const char *text, uint16_t *port);

#endif /* MOAT_ADDR_H */
