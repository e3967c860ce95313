/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* inbound.h - keep connections that peers opened before moat started */
#ifndef MOAT_INBOUND_H
#define MOAT_INBOUND_H

struct datapath;

/*
 * Record every established TCP connection that a remote peer opened to a
 * listening socket of this host (an SSH session into a self-hosted
 * runner), so that the classifier keeps passing its replies. Connections
 * opened after the classifier is attached are recorded by it. Returns the
 * number recorded or a negative errno.
 */
int inbound_seed(struct datapath *dp);

#endif /* MOAT_INBOUND_H */
