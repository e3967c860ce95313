/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* inbound.h - keep connections that peers opened before moat started */
#ifndef MOAT_INBOUND_H
#define MOAT_INBOUND_H

struct datapath;

/*
 * Keep the connections open when moat starts. A TCP connection a peer
 * opened to a listening socket (an SSH session into a self-hosted runner)
 * is marked passive, as the sock_ops hook marks those accepted later;
 * every other connected TCP or UDP socket (the runner's own link to
 * GitHub among them) is kept until it closes. New connections face the
 * policy. Returns the number marked or a negative errno.
 */
int inbound_seed(struct datapath *dp);

#endif /* MOAT_INBOUND_H */
