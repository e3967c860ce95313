// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netlink.c - the few netlink requests moat makes, and their dumps */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netlink.h"

#define NL_BUF_LEN 65536
#define NL_PAYLOAD_MAX 1024

int nl_open(int protocol)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	/* A wedged kernel answer must not hang start-up or shutdown. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int nl_send(int fd, uint16_t type, uint16_t flags, const void *payload,
	    size_t len)
{
	uint8_t buf[NLMSG_HDRLEN + NL_PAYLOAD_MAX];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	if (len > NL_PAYLOAD_MAX)
		return -E2BIG;
	memset(buf, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if (len)
		memcpy(buf + NLMSG_HDRLEN, payload, len);
	return send(fd, buf, nlh->nlmsg_len, 0) < 0 ? -errno : 0;
}

/* One buffer of replies: 1 at the dump's end, fn's value, or 0 for more. */
static int dump_buffer(const uint8_t *buf, size_t len,
		       int (*fn)(const struct nlmsghdr *, void *), void *ctx)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int ret;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			return e->error ? e->error : 1;
		}
		ret = fn(nlh, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int nl_dump(int fd, int (*fn)(const struct nlmsghdr *nlh, void *ctx), void *ctx)
{
	uint8_t *buf = malloc(NL_BUF_LEN);
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (!ret) {
		n = recv(fd, buf, NL_BUF_LEN, 0);
		if (n <= 0) {
			ret = n < 0 ? -errno : -EPROTO;
			break;
		}
		ret = dump_buffer(buf, (size_t)n, fn, ctx);
	}
	free(buf);
	return ret == 1 ? 0 : ret;
}

int nl_ack(int fd)
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
