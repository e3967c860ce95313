/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netif.h - the network interface moat guards */
#ifndef MOAT_NETIF_H
#define MOAT_NETIF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct netif {
	char name[IF_NAMESIZE];
	int ifindex;
	bool has_l2; /* frames start with an Ethernet header */
};

/*
 * Look up name, or with name NULL the interface of the default route (the
 * IPv4 one with the lowest metric, else the IPv6 one). Returns 0, or
 * -ENODEV with a message printed.
 */
int netif_resolve(const char *name, struct netif *nif);

/*
 * The link's global IPv6 prefixes (address and netmask), where neighbour
 * discovery goes besides link-local addresses. Returns how many.
 */
int netif_ipv6_prefixes(const struct netif *nif, struct cidr *out, size_t max);

/*
 * The DHCP server the link's lease names, from systemd-networkd's lease
 * file or dhclient's: renewals go to it by unicast. Returns how many
 * addresses were found (0 when no lease is readable).
 */
int netif_dhcp_servers(const struct netif *nif, uint8_t (*out)[ADDR_LEN],
		       size_t max);

#endif /* MOAT_NETIF_H */
