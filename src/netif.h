/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netif.h - the network interface moat guards */
#ifndef MOAT_NETIF_H
#define MOAT_NETIF_H

#include <net/if.h>
#include <stdbool.h>

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

#endif /* MOAT_NETIF_H */
