// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* inbound.c - keep connections that peers opened before moat started */
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

#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10
#define LISTENERS_MAX 4096

struct seed {
	struct datapath *dp;
	uint16_t ports[LISTENERS_MAX]; /* network byte order */
	size_t nports;
	int marked;
	bool listeners; /* this pass collects listeners */
};

static bool is_listening(const struct seed *sd, uint16_t port)
{
	size_t i;

	for (i = 0; i < sd->nports; i++)
		if (sd->ports[i] == port)
			return true;
	return false;
}

/*
 * A session whose local port a listener holds was accepted from it: a
 * connection from this host picks an ephemeral port no listener has.
 */
static int on_socket(const struct nlmsghdr *nlh, void *ctx)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	struct seed *sd = ctx;
	uint64_t cookie;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	if (sd->listeners) {
		if (m->idiag_state == TCP_LISTEN &&
		    sd->nports < LISTENERS_MAX &&
		    !is_listening(sd, m->id.idiag_sport))
			sd->ports[sd->nports++] = m->id.idiag_sport;
		return 0;
	}
	if (m->idiag_state != TCP_ESTABLISHED ||
	    !is_listening(sd, m->id.idiag_sport))
		return 0;
	cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	if (!datapath__add_passive(sd->dp, cookie))
		sd->marked++;
	return 0;
}

static int dump_tcp(int fd, uint8_t family, uint32_t states, struct seed *sd)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = states,
	};
	int err;

	err = nl_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	return err ? err : nl_dump(fd, on_socket, sd);
}

int inbound_seed(struct datapath *dp)
{
	struct seed *sd = calloc(1, sizeof(*sd));
	int fd, err;

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
	err = dump_tcp(fd, AF_INET, 1 << TCP_LISTEN, sd);
	if (!err)
		err = dump_tcp(fd, AF_INET6, 1 << TCP_LISTEN, sd);
	sd->listeners = false;
	if (!err)
		err = dump_tcp(fd, AF_INET, 1 << TCP_ESTABLISHED, sd);
	if (!err)
		err = dump_tcp(fd, AF_INET6, 1 << TCP_ESTABLISHED, sd);
	if (!err)
		err = sd->marked;
	close(fd);
	free(sd);
	return err;
}
