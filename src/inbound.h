/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* inbound.h - keep connections that peers opened before moat started */
#ifndef MOAT_INBOUND_H
#define MOAT_INBOUND_H

struct datapath;

/*
 * Mark every established TCP connection that a peer opened to a
 * listening socket of this host (an SSH session into a self-hosted
 * runner) as passive, so that the classifier keeps passing its packets.
 * The sock_ops hook marks connections accepted later. Returns the number
 * marked or a negative errno.
 */
int inbound_seed(struct datapath *dp);

#endif /* MOAT_INBOUND_H */
