/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* loop.h - one epoll loop; handlers live inside the objects they serve */
#ifndef MOAT_LOOP_H
#define MOAT_LOOP_H

#include <stdint.h>

struct loop_handler {
	void (*fn)(struct loop_handler *h, uint32_t events);
};

struct loop {
	int epfd;
};

int loop__init(struct loop *l);
void loop__fini(struct loop *l);
int loop__add(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
int loop__mod(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
void loop__del(struct loop *l, int fd);
/* Wait up to timeout_ms and run the handlers of ready fds. */
int loop__run_once(struct loop *l, int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
uint64_t loop_now_ms(void);

#endif /* MOAT_LOOP_H */
