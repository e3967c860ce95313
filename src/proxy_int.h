/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* proxy_int.h - what the proxy's query and client halves share */
#ifndef MOAT_PROXY_INT_H
#define MOAT_PROXY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cache.h"
#include "dns.h"
#include "loop.h"
#include "moat.h"
#include "proxy.h"

#define PROXY_LISTENERS_MAX 6
/* Queries waiting for an upstream; more are answered SERVFAIL at once. */
#define PROXY_PENDING_MAX 4096
#define PROXY_TCP_CLIENTS_MAX 256
/* Queries one TCP client may have in flight (RFC 7766 6.2.1.1). */
#define PROXY_TCP_INFLIGHT_MAX 64
#define PROXY_TCP_IDLE_MS 10000
/* One largest message and then some; a client's input stops there. */
#define PROXY_TCP_IN_MAX (2 + 65535 + 4096)
/* Answers a client has not read: input pauses past the first, the
 * connection closes past the second (no sane client gets there). */
#define PROXY_TCP_OUT_PAUSE (64 * 1024)
#define PROXY_TCP_OUT_MAX (1024 * 1024)
/*
 * UDP queries are read and answered in batches (recvmmsg, sendmmsg): one
 * system call for many at a load, one each when they come one by one.
 * A query longer than PROXY_UDP_QUERY_MAX is not a query any stub sends.
 */
#define PROXY_UDP_BATCH 32
#define PROXY_UDP_QUERY_MAX 4096
#define PROXY_UDP_OUT_BYTES (64 * 1024)

struct tcp_conn;

/* The process that sent a query, when the DNS hook saw it. */
struct sender {
	bool known;
	bool forwarded; /* from another namespace: no socket to look up */
	struct moat_owner owner;
};

/*
 * Who sent the queries of one UDP batch, by client address: a batch
 * holds many queries from few sockets, and each lookup in the kernel's
 * map is a system call. Within a batch the map cannot say anything
 * newer than what it said for the batch's first query from an address.
 */
#define PROXY_SENDER_MEMO 8

struct sender_memo {
	struct endpoint ep;
	struct sender sender;
};

/* Answers waiting to go out on one UDP socket, and the queries read. */
struct udp_batch {
	uint8_t in[PROXY_UDP_BATCH][PROXY_UDP_QUERY_MAX];
	struct sockaddr_storage in_addr[PROXY_UDP_BATCH];
	struct mmsghdr in_msg[PROXY_UDP_BATCH];
	struct iovec in_iov[PROXY_UDP_BATCH];
	struct sender_memo memo[PROXY_SENDER_MEMO];
	size_t nmemo;
	bool in_batch; /* the memo holds for the queries being read */
	int out_fd; /* the socket the queued answers leave by */
	size_t nout, out_used;
	struct mmsghdr out_msg[PROXY_UDP_BATCH];
	struct iovec out_iov[PROXY_UDP_BATCH];
	struct sockaddr_storage out_addr[PROXY_UDP_BATCH];
	uint8_t out[PROXY_UDP_OUT_BYTES];
};

struct listener {
	struct loop_handler h;
	struct proxy *px;
	int fd;
	bool tcp;
	bool forwarded; /* takes queries routed here from other namespaces */
	struct endpoint addr;
};

/* Where an answer goes back to. */
struct client {
	struct endpoint ep;
	struct tcp_conn *conn; /* NULL for UDP */
	int udp_fd; /* the listener that received the query */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint16_t udp_max; /* what fits in one datagram to this client */
	bool forwarded; /* from another namespace: no local socket */
};

struct tcp_conn {
	struct loop_handler h;
	struct proxy *px;
	struct tcp_conn *prev, *next; /* proxy's list, for idle expiry */
	int fd;
	struct endpoint peer;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap; /* sent up to out_off */
	uint32_t events; /* what epoll watches for */
	uint64_t progress_ms; /* last byte read or sent */
	unsigned int inflight;
	bool closed;
	bool forwarded;
	bool parsing; /* conn_parse() is on the stack: do not re-enter */
	uint64_t idle_since_ms;
};

struct proxy {
	struct proxy_opts opts;
	struct allowlist *al;
	struct audit *audit;
	struct loop *loop;
	struct listener listeners[PROXY_LISTENERS_MAX];
	size_t nlisteners;
	uint16_t forwarded_port; /* 0 until the forwarded listener is up */
	struct query *pending; /* doubly linked */
	size_t npending;
	struct tcp_conn *conns;
	size_t nconns;
	struct tcp_conn *dead; /* closed, freed after the loop's batch */
	size_t upstream; /* the upstream to try first */
	uint16_t ids[256]; /* random query ids, used from the end */
	size_t nids;
	struct proxy_stats stats;
	struct cache cache;
	struct udp_batch *udp;
	uint8_t buf[DNS_MSG_MAX + 2];
};

/* proxy.c: a query arrived from a client. */
void proxy_handle_query(struct proxy *px, const struct client *c,
			const uint8_t *msg, size_t len);
/* proxy_client.c: send a DNS message back to a client. */
void proxy_reply(struct proxy *px, const struct client *c, uint8_t *msg,
		 size_t len);
/* proxy_client.c: a query of this TCP client finished. */
void proxy_conn_release(struct proxy *px, struct tcp_conn *conn);
/* proxy_client.c: send the queued UDP answers, the log lines first. */
void proxy_flush_udp(struct proxy *px);
/* proxy_client.c: listeners and client connections. */
int proxy_listen(struct proxy *px);
void proxy_close_clients(struct proxy *px);
void proxy_expire_clients(struct proxy *px, uint64_t now_ms);

#endif /* MOAT_PROXY_INT_H */
