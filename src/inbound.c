// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* inbound.c - keep connections that peers opened before moat started */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "inbound.h"
#include "log.h"

#define TCP_ESTABLISHED 0x01
#define TCP_LISTEN 0x0A
#define LISTENERS_MAX 1024

struct sock_line {
	uint8_t laddr[ADDR_LEN];
	uint8_t raddr[ADDR_LEN];
	uint16_t lport;
	uint16_t rport;
	unsigned int state;
};

/*
 * proc(5) prints each 32-bit word of an address as the host sees the
 * in-memory value, so reading it back as an integer and storing it
 * restores the network-order bytes.
 */
static int parse_addr(const char *hex, uint8_t *addr, bool v6)
{
	char word[9] = "";
	int i, words = v6 ? 4 : 1;

	if (strlen(hex) != (size_t)words * 8)
		return -EINVAL;
	for (i = 0; i < words; i++) {
		uint32_t v;

		memcpy(word, hex + i * 8, 8);
		v = (uint32_t)strtoul(word, NULL, 16);
		if (v6)
			memcpy(addr + i * 4, &v, 4);
		else
			addr_from_v4(addr, &v);
	}
	return 0;
}

static int parse_line(const char *line, bool v6, struct sock_line *s)
{
	char local[40], remote[40];
	unsigned int lport, rport;

	if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x", local,
		   &lport, remote, &rport, &s->state) != 5)
		return -EINVAL;
	if (parse_addr(local, s->laddr, v6) || parse_addr(remote, s->raddr, v6))
		return -EINVAL;
	s->lport = (uint16_t)lport;
	s->rport = (uint16_t)rport;
	return 0;
}

struct seed {
	struct datapath *dp;
	uint16_t ports[LISTENERS_MAX];
	size_t nports;
	int recorded;
};

static bool is_listening(const struct seed *sd, uint16_t port)
{
	size_t i;

	for (i = 0; i < sd->nports; i++)
		if (sd->ports[i] == port)
			return true;
	return false;
}

static void collect_listener(const struct sock_line *s, struct seed *sd)
{
	if (s->state == TCP_LISTEN && sd->nports < LISTENERS_MAX &&
	    !is_listening(sd, s->lport))
		sd->ports[sd->nports++] = s->lport;
}

static void record_session(const struct sock_line *s, struct seed *sd)
{
	struct moat_flow_key key = { .proto = IPPROTO_TCP };

	if (s->state != TCP_ESTABLISHED || !is_listening(sd, s->lport))
		return;
	memcpy(key.raddr, s->raddr, ADDR_LEN);
	key.rport = s->rport;
	key.lport = s->lport;
	if (!datapath__put_inbound(sd->dp, &key))
		sd->recorded++;
}

static int scan(const char *path, bool v6,
		void (*fn)(const struct sock_line *, struct seed *),
		struct seed *sd)
{
	struct sock_line s;
	char line[512];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6: fine */
	while (fgets(line, sizeof(line), f))
		if (!parse_line(line, v6, &s))
			fn(&s, sd);
	fclose(f);
	return 0;
}

int inbound_seed(struct datapath *dp)
{
	struct seed *sd = calloc(1, sizeof(*sd));
	int err;

	if (!sd)
		return -ENOMEM;
	sd->dp = dp;
	/*
	 * All listening ports first: a dual-stack listener shows in tcp6
	 * only, while its IPv4 sessions show in tcp.
	 */
	err = scan("/proc/net/tcp", false, collect_listener, sd);
	if (!err)
		err = scan("/proc/net/tcp6", true, collect_listener, sd);
	if (!err)
		err = scan("/proc/net/tcp", false, record_session, sd);
	if (!err)
		err = scan("/proc/net/tcp6", true, record_session, sd);
	if (!err)
		err = sd->recorded;
	free(sd);
	return err;
}
