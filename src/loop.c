// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* loop.c - one epoll loop; handlers live inside the objects they serve */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 64

int loop__init(struct loop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop__fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop__add(struct loop *l, int fd, uint32_t events, struct loop_handler *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int loop__mod(struct loop *l, int fd, uint32_t events, struct loop_handler *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop__del(struct loop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/*
 * A handler may free another object whose event sits later in the same
 * batch; objects that can be freed from a handler close their fd first,
 * and the kernel drops a closed fd's pending events only from the next
 * epoll_wait, so owners defer frees to the end of the batch (see proxy.c).
 */
int loop__run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event events[LOOP_BATCH];
	int i, n;

	n = epoll_wait(l->epfd, events, LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct loop_handler *h = events[i].data.ptr;

		h->fn(h, events[i].events);
	}
	return n;
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
