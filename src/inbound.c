// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* inbound.c - keep the connections that were open before moat started */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "datapath.h"
#include "inbound.h"
#include "netlink.h"

/* sock_diag reports a connected UDP socket as TCP_ESTABLISHED too. */
#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10
#define LISTENERS_MAX 4096

struct seed {
	struct datapath *dp;
	uint16_t ports[LISTENERS_MAX]; /* network byte order */
	size_t nports;
	int marked;
	bool listeners; /* this pass collects listeners */
	uint8_t protocol;
};

static bool is_listening(const struct seed *sd, uint16_t port)
{
	size_t i;

	for (i = 0; i < sd->nports; i++)
		if (sd->ports[i] == port)
			return true;
	return false;
}

static void collect_listener(const struct inet_diag_msg *m, struct seed *sd)
{
	if (m->idiag_state == TCP_LISTEN && sd->nports < LISTENERS_MAX &&
	    !is_listening(sd, m->id.idiag_sport))
		sd->ports[sd->nports++] = m->id.idiag_sport;
}

/*
 * A TCP session whose local port a listener holds was accepted from it:
 * a connection from this host picks an ephemeral port no listener has.
 */
static int on_socket(const struct nlmsghdr *nlh, void *ctx)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	struct seed *sd = ctx;
	uint64_t cookie;
	int err;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	if (sd->listeners) {
		collect_listener(m, sd);
		return 0;
	}
	if (m->idiag_state != TCP_ESTABLISHED)
		return 0;
	cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	if (sd->protocol == IPPROTO_TCP && is_listening(sd, m->id.idiag_sport))
		err = datapath__add_passive(sd->dp, cookie);
	else
		err = datapath__add_kept(sd->dp, cookie);
	if (!err)
		sd->marked++;
	return 0;
}

static int dump(int fd, uint8_t family, uint8_t protocol, uint32_t states,
		struct seed *sd)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = family,
		.sdiag_protocol = protocol,
		.idiag_states = states,
	};
	int err;

	sd->protocol = protocol;
	err = nl_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	return err ? err : nl_dump(fd, on_socket, sd);
}

int inbound_seed(struct datapath *dp)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct seed *sd = calloc(1, sizeof(*sd));
	int fd, err = 0;
	size_t i;

	if (!sd)
		return -ENOMEM;
	fd = nl_open(NETLINK_SOCK_DIAG);
	if (fd < 0) {
		free(sd);
		return fd;
	}
	sd->dp = dp;
	/*
	 * Every listener first: a dual-stack listener is an IPv6 socket,
	 * while its IPv4 sessions are listed under IPv4 or as mapped IPv6.
	 */
	sd->listeners = true;
	for (i = 0; i < 2 && !err; i++)
		err = dump(fd, families[i], IPPROTO_TCP, 1 << TCP_LISTEN, sd);
	sd->listeners = false;
	for (i = 0; i < 2 && !err; i++)
		err = dump(fd, families[i], IPPROTO_TCP, 1 << TCP_ESTABLISHED,
			   sd);
	for (i = 0; i < 2 && !err; i++)
		err = dump(fd, families[i], IPPROTO_UDP, 1 << TCP_ESTABLISHED,
			   sd);
	if (!err)
		err = sd->marked;
	close(fd);
	free(sd);
	return err;
}
