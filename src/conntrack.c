// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* conntrack.c - delete the conntrack entries of DNS flows over ctnetlink */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netfilter.h"

/* Entries deleted per dump; a busier table takes another round. */
#define CT_BATCH 1024
#define CT_ROUNDS 8
#define CT_TUPLE_MAX 256
#define CT_BUF_LEN 65536

struct ct_victim {
	uint8_t family;
	bool has_zone;
	uint16_t zone; /* network byte order, as ctnetlink sent it */
	uint16_t tuple_len;
	uint8_t tuple[CT_TUPLE_MAX];
};

static int nl_open(void)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	/* A wedged netlink socket must not hang start-up or shutdown. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int nl_send(int fd, uint16_t type, uint16_t flags, uint8_t family,
		   const void *attrs, size_t attrs_len)
{
	uint8_t buf[NLMSG_SPACE(sizeof(struct nfgenmsg)) + 512];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfgenmsg *nfg = NLMSG_DATA(nlh);

	if (attrs_len > 512)
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*nfg)) + (uint32_t)attrs_len;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (attrs_len)
		memcpy((uint8_t *)nfg + NLMSG_ALIGN(sizeof(*nfg)), attrs,
		       attrs_len);
	if (send(fd, buf, nlh->nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/* The payload of the first attribute of a type in a run of attributes. */
static const struct nlattr *attr_find(const void *data, size_t len,
				      uint16_t type)
{
	const uint8_t *p = data;

	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t step = NLA_ALIGN(a->nla_len);

		if (a->nla_len < sizeof(*a) || a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (step >= len)
			return NULL;
		p += step;
		len -= step;
	}
	return NULL;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static bool tuple_is_dns(const struct nlattr *tuple)
{
	const struct nlattr *proto, *num, *port;
	uint16_t dport;

	proto = attr_find(attr_data(tuple), attr_len(tuple), CTA_TUPLE_PROTO);
	if (!proto)
		return false;
	num = attr_find(attr_data(proto), attr_len(proto), CTA_PROTO_NUM);
	port = attr_find(attr_data(proto), attr_len(proto), CTA_PROTO_DST_PORT);
	if (!num || !port || attr_len(num) < 1 || attr_len(port) < 2)
		return false;
	memcpy(&dport, attr_data(port), 2);
	return (*(const uint8_t *)attr_data(num) == IPPROTO_UDP ||
		*(const uint8_t *)attr_data(num) == IPPROTO_TCP) &&
	       ntohs(dport) == 53;
}

/* Keep a DNS flow's original tuple (and zone) to delete it by later. */
static void consider_entry(const struct nlmsghdr *nlh, struct ct_victim *v,
			   size_t *count)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*nfg)));
	const struct nlattr *tuple, *zone;
	size_t len;

	if (nlh->nlmsg_len < off || *count == CT_BATCH)
		return;
	len = nlh->nlmsg_len - off;
	tuple = attr_find((const uint8_t *)nlh + off, len, CTA_TUPLE_ORIG);
	if (!tuple || attr_len(tuple) > CT_TUPLE_MAX || !tuple_is_dns(tuple))
		return;

	v = &v[(*count)++];
	v->family = nfg->nfgen_family;
	v->tuple_len = (uint16_t)attr_len(tuple);
	memcpy(v->tuple, attr_data(tuple), v->tuple_len);
	zone = attr_find((const uint8_t *)nlh + off, len, CTA_ZONE);
	v->has_zone = zone && attr_len(zone) >= 2;
	if (v->has_zone)
		memcpy(&v->zone, attr_data(zone), 2);
}

/* Walk one buffer of dump replies; returns 1 at the end of the dump. */
static int dump_messages(const uint8_t *buf, size_t len, struct ct_victim *v,
			 size_t *count)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			return e->error ? e->error : 1;
		}
		consider_entry(nlh, v, count);
	}
	return 0;
}

static int dump_dns_flows(int fd, struct ct_victim *v, size_t *count)
{
	uint8_t *buf;
	ssize_t n;
	int ret;

	*count = 0;
	ret = nl_send(fd, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, NULL, 0);
	if (ret)
		return ret;
	buf = malloc(CT_BUF_LEN);
	if (!buf)
		return -ENOMEM;
	do {
		n = recv(fd, buf, CT_BUF_LEN, 0);
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = dump_messages(buf, (size_t)n, v, count);
	} while (ret == 0 && n > 0);
	free(buf);
	return ret < 0 ? ret : 0;
}

static size_t put_attr(uint8_t *buf, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr *a = (struct nlattr *)buf;

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(buf + NLA_HDRLEN, data, len);
	return NLA_ALIGN(a->nla_len);
}

static int recv_ack(int fd)
{
	uint8_t buf[1024];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nlh, (size_t)n) || nlh->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
}

static int delete_flow(int fd, const struct ct_victim *v)
{
	uint8_t attrs[CT_TUPLE_MAX + 16];
	size_t len;
	int ret;

	len = put_attr(attrs, CTA_TUPLE_ORIG | NLA_F_NESTED, v->tuple,
		       v->tuple_len);
	if (v->has_zone)
		len += put_attr(attrs + len, CTA_ZONE, &v->zone, 2);
	ret = nl_send(fd, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, v->family, attrs,
		      len);
	if (!ret)
		ret = recv_ack(fd);
	return ret == -ENOENT ? 0 : ret; /* gone already: fine */
}

int conntrack_flush_dns(void)
{
	struct ct_victim *victims;
	size_t i, count;
	int fd, ret, round, deleted = 0;

	fd = nl_open();
	if (fd < 0)
		return fd;
	victims = calloc(CT_BATCH, sizeof(*victims));
	if (!victims) {
		close(fd);
		return -ENOMEM;
	}
	for (round = 0; round < CT_ROUNDS; round++) {
		ret = dump_dns_flows(fd, victims, &count);
		for (i = 0; !ret && i < count; i++)
			ret = delete_flow(fd, &victims[i]);
		if (ret)
			break;
		deleted += (int)count;
		if (count < CT_BATCH)
			break;
	}
	free(victims);
	close(fd);
	return ret ? ret : deleted;
}
