// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* conntrack.c - delete the conntrack entries of DNS flows over ctnetlink */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "netfilter.h"
#include "netlink.h"

/* Entries deleted per dump; a busier table takes another round. */
#define CT_BATCH 1024
#define CT_ROUNDS 8
#define CT_TUPLE_MAX 256

struct ct_victim {
	uint8_t family;
	bool has_zone;
	uint16_t zone; /* network byte order, as ctnetlink sent it */
	uint16_t tuple_len;
	uint8_t tuple[CT_TUPLE_MAX];
};

struct ct_dump {
	struct ct_victim *victims;
	size_t count;
};

static int ct_send(int fd, uint16_t type, uint16_t flags, uint8_t family,
		   const void *attrs, size_t attrs_len)
{
	uint8_t buf[NLMSG_ALIGN(sizeof(struct nfgenmsg)) + 512];
	struct nfgenmsg *nfg = (struct nfgenmsg *)buf;
	size_t off = NLMSG_ALIGN(sizeof(*nfg));

	if (attrs_len > sizeof(buf) - off)
		return -E2BIG;
	memset(buf, 0, off);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (attrs_len)
		memcpy(buf + off, attrs, attrs_len);
	return nl_send(fd, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags, buf,
		       off + attrs_len);
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
static int consider_entry(const struct nlmsghdr *nlh, void *ctx)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*nfg)));
	const struct nlattr *tuple, *zone;
	struct ct_dump *d = ctx;
	struct ct_victim *v;
	size_t len;

	if (nlh->nlmsg_len < off || d->count == CT_BATCH)
		return 0;
	len = nlh->nlmsg_len - off;
	tuple = attr_find((const uint8_t *)nlh + off, len, CTA_TUPLE_ORIG);
	if (!tuple || attr_len(tuple) > CT_TUPLE_MAX || !tuple_is_dns(tuple))
		return 0;

	v = &d->victims[d->count++];
	v->family = nfg->nfgen_family;
	v->tuple_len = (uint16_t)attr_len(tuple);
	memcpy(v->tuple, attr_data(tuple), v->tuple_len);
	zone = attr_find((const uint8_t *)nlh + off, len, CTA_ZONE);
	v->has_zone = zone && attr_len(zone) >= 2;
	if (v->has_zone)
		memcpy(&v->zone, attr_data(zone), 2);
	return 0;
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

static int delete_flow(int fd, const struct ct_victim *v)
{
	uint8_t attrs[CT_TUPLE_MAX + 16];
	size_t len;
	int ret;

	len = put_attr(attrs, CTA_TUPLE_ORIG | NLA_F_NESTED, v->tuple,
		       v->tuple_len);
	if (v->has_zone)
		len += put_attr(attrs + len, CTA_ZONE, &v->zone, 2);
	ret = ct_send(fd, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, v->family, attrs,
		      len);
	if (!ret)
		ret = nl_ack(fd);
	return ret == -ENOENT ? 0 : ret; /* gone already: fine */
}

int conntrack_flush_dns(void)
{
	struct ct_dump d = { 0 };
	int fd, ret = 0, round, deleted = 0;
	size_t i;

	fd = nl_open(NETLINK_NETFILTER);
	if (fd < 0)
		return fd;
	d.victims = calloc(CT_BATCH, sizeof(*d.victims));
	if (!d.victims) {
		close(fd);
		return -ENOMEM;
	}
	for (round = 0; round < CT_ROUNDS && !ret; round++) {
		d.count = 0;
		ret = ct_send(fd, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC,
			      NULL, 0);
		if (!ret)
			ret = nl_dump(fd, consider_entry, &d);
		for (i = 0; !ret && i < d.count; i++)
			ret = delete_flow(fd, &d.victims[i]);
		if (!ret)
			deleted += (int)d.count;
		if (d.count < CT_BATCH)
			break;
	}
	free(d.victims);
	close(fd);
	return ret ? ret : deleted;
}

struct ct_live {
	const uint8_t (*addrs)[16];
	size_t *order; /* indexes of addrs, sorted by address */
	size_t n;
	bool *live;
};

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct ct_live *cl = ctx;

	return memcmp(cl->addrs[*(const size_t *)a],
		      cl->addrs[*(const size_t *)b], 16);
}

/* TCP flows past FIN_WAIT..LAST_ACK (TIME_WAIT, CLOSE) carry nothing. */
static bool flow_is_closed(const struct nlmsghdr *nlh, size_t off, size_t len)
{
	const struct nlattr *info, *tcp, *state;

	info = attr_find((const uint8_t *)nlh + off, len, CTA_PROTOINFO);
	if (!info)
		return false;
	tcp = attr_find(attr_data(info), attr_len(info), CTA_PROTOINFO_TCP);
	if (!tcp)
		return false;
	state = attr_find(attr_data(tcp), attr_len(tcp),
			  CTA_PROTOINFO_TCP_STATE);
	return state && attr_len(state) >= 1 &&
	       *(const uint8_t *)attr_data(state) >= 7; /* TIME_WAIT, CLOSE */
}

static bool tuple_dst(const struct nlattr *tuple, uint8_t *addr)
{
	const struct nlattr *ip, *a;

	ip = attr_find(attr_data(tuple), attr_len(tuple), CTA_TUPLE_IP);
	if (!ip)
		return false;
	a = attr_find(attr_data(ip), attr_len(ip), CTA_IP_V4_DST);
	if (a && attr_len(a) >= 4) {
		addr_from_v4(addr, attr_data(a));
		return true;
	}
	a = attr_find(attr_data(ip), attr_len(ip), CTA_IP_V6_DST);
	if (a && attr_len(a) >= 16) {
		memcpy(addr, attr_data(a), 16);
		return true;
	}
	return false;
}

static int mark_flow(const struct nlmsghdr *nlh, void *ctx)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*nfg)));
	const struct nlattr *tuple;
	struct ct_live *cl = ctx;
	size_t lo = 0, hi = cl->n, len;
	uint8_t dst[16];

	if (nlh->nlmsg_len < off)
		return 0;
	len = nlh->nlmsg_len - off;
	tuple = attr_find((const uint8_t *)nlh + off, len, CTA_TUPLE_ORIG);
	if (!tuple || !tuple_dst(tuple, dst) || flow_is_closed(nlh, off, len))
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(dst, cl->addrs[cl->order[mid]], 16);

		if (!c) {
			cl->live[cl->order[mid]] = true;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int conntrack_live(const uint8_t (*addrs)[16], size_t n, bool *live)
{
	struct ct_live cl = { .addrs = addrs, .n = n, .live = live };
	size_t i;
	int fd, ret;

	memset(live, 0, n * sizeof(*live));
	cl.order = calloc(n ? n : 1, sizeof(*cl.order));
	if (!cl.order)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		cl.order[i] = i;
	qsort_r(cl.order, n, sizeof(*cl.order), order_cmp, &cl);

	fd = nl_open(NETLINK_NETFILTER);
	if (fd < 0) {
		free(cl.order);
		return fd;
	}
	ret = ct_send(fd, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, NULL, 0);
	if (!ret)
		ret = nl_dump(fd, mark_flow, &cl);
	close(fd);
	free(cl.order);
	return ret;
}
