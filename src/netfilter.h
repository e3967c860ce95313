/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netfilter.h - send every DNS query of this host to moat's proxy */
#ifndef MOAT_NETFILTER_H
#define MOAT_NETFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* moat's own table; nothing else in the ruleset is touched. */
#define MOAT_NFT_TABLE "moat"

struct redirect_config {
	struct endpoint listen_v4; /* where IPv4 queries go */
	struct endpoint listen_v6; /* where IPv6 queries go */
	bool have_v6; /* IPv6 queries have a listener */
	const char *egress; /* the guarded interface's name */
	uint16_t forwarded_port; /* the forwarded listener, 0 for none */
	const struct endpoint *upstreams; /* the proxy's resolvers */
	size_t nupstreams;
};

/*
 * The conntrack zone of the proxy's upstream flows, apart from the
 * clients' (zone 0): see netfilter.c.
 */
#define MOAT_CT_ZONE 0x6d6fU /* "mo" */

/*
 * Install (or atomically replace) the table that redirects all outbound
 * DNS to the proxy. Returns 0, or a negative errno with err holding nft's
 * own words.
 */
int netfilter__install(const struct redirect_config *cfg, char *err,
		       size_t err_len);

/* Remove the table if it is there. Returns 0 or a negative errno. */
int netfilter__remove(char *err, size_t err_len);

/* Is the table installed? */
bool netfilter__present(void);

/*
 * Delete the conntrack entries of DNS flows (TCP and UDP to port 53). NAT
 * is decided on a flow's first packet, so a flow that began before the
 * redirect existed would keep reaching its resolver directly; once the
 * redirect is gone, flows redirected to a stopped proxy would fail the
 * same way. Returns the number deleted or a negative errno.
 */
int conntrack_flush_dns(void);

/*
 * Mark which of n addresses (16 bytes, IPv4 mapped) are the destination
 * of a live flow in conntrack: any flow but a TCP one that is closing or
 * closed. The host's own connections and those routed through it (a
 * container's, after NAT) are all there. Returns 0 or a negative errno.
 */
int conntrack_live(const uint8_t (*addrs)[16], size_t n, bool *live);

#endif /* MOAT_NETFILTER_H */
