/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netlink.h - the few netlink requests moat makes, and their dumps */
#ifndef MOAT_NETLINK_H
#define MOAT_NETLINK_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

/* A netlink socket of the given family, with a receive timeout. */
int nl_open(int protocol);

/* One request: a header of type and flags, then payload. 0 or -errno. */
int nl_send(int fd, uint16_t type, uint16_t flags, const void *payload,
	    size_t len);

/*
 * Read a dump's replies until its end, handing each message to fn; fn
 * returning non-zero stops early. Returns 0, fn's value or -errno.
 */
int nl_dump(int fd, int (*fn)(const struct nlmsghdr *nlh, void *ctx),
	    void *ctx);

/* The answer to a request sent with NLM_F_ACK: 0 or the -errno it holds. */
int nl_ack(int fd);

#endif /* MOAT_NETLINK_H */
