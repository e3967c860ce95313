// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* proxy_client.c - the proxy's listening sockets and client connections */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "proxy_int.h"

/* Room for bursts: dnsperf and a parallel build both send many at once. */
#define PROXY_UDP_RCVBUF (1 << 20)

static void udp_readable(struct loop_handler *h, uint32_t events);
static void tcp_acceptable(struct loop_handler *h, uint32_t events);
static void conn_event(struct loop_handler *h, uint32_t events);

static int listener_socket(const struct endpoint *ep, bool tcp)
{
	struct sockaddr_storage ss;
	socklen_t len = endpoint_to_sockaddr(ep, &ss);
	int one = 1, size = PROXY_UDP_RCVBUF, fd;

	fd = socket(ss.ss_family,
		    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
			    SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (tcp && listen(fd, SOMAXCONN))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Bind and register one listener; -errno, with nothing said, on failure. */
static int listener_open(struct proxy *px, const struct endpoint *ep, bool tcp)
{
	struct listener *l = &px->listeners[px->nlisteners];
	int fd, err;

	if (px->nlisteners == PROXY_LISTENERS_MAX)
		return -E2BIG;
	fd = listener_socket(ep, tcp);
	if (fd < 0)
		return fd;
	l->px = px;
	l->fd = fd;
	l->tcp = tcp;
	l->addr = *ep;
	l->h.fn = tcp ? tcp_acceptable : udp_readable;
	err = loop__add(px->loop, fd, EPOLLIN, &l->h);
	if (err) {
		close(fd);
		return err;
	}
	px->nlisteners++;
	return 0;
}

static int listener_add(struct proxy *px, const struct endpoint *ep, bool tcp,
			bool optional)
{
	char text[ADDR_TEXT_MAX];
	int err;

	err = listener_open(px, ep, tcp);
	if (err == -EADDRNOTAVAIL && optional)
		return -EADDRNOTAVAIL; /* IPv6 is off on this host */
	if (err)
		pr_err("DNS listener %s/%s: cannot bind: %s%s",
		       endpoint_format(ep, text, sizeof(text)),
		       tcp ? "tcp" : "udp", errstr(err),
		       err == -EADDRINUSE ?
			       "; another DNS server (systemd-resolved, dnsmasq) may hold it: stop it or pass --dns-listen" :
			       "");
	return err;
}

/* Close the listeners from index from on: what a failed attempt opened. */
static void listeners_drop(struct proxy *px, size_t from)
{
	while (px->nlisteners > from) {
		struct listener *l = &px->listeners[--px->nlisteners];

		loop__del(px->loop, l->fd);
		close(l->fd);
	}
}

/* The same port on the other family's loopback, for the other redirect. */
static void other_loopback(const struct endpoint *primary,
			   struct endpoint *other)
{
	const char *why;

	endpoint_parse(addr_is_v4(primary->addr) ? "[::1]" : "127.0.0.1",
		       primary->port, other, &why);
}

/* [::] for both families where IPv6 is on, 0.0.0.0 where it is not. */
static int wildcard_socket(uint16_t port, bool tcp)
{
	struct sockaddr_in6 six = { .sin6_family = AF_INET6,
				    .sin6_port = htons(port) };
	struct sockaddr_in four = { .sin_family = AF_INET,
				    .sin_port = htons(port) };
	int type = (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		   SOCK_CLOEXEC;
	int zero = 0, one = 1, fd, err;
	bool v6 = true;

	fd = socket(AF_INET6, type, 0);
	if (fd < 0) {
		v6 = false;
		fd = socket(AF_INET, type, 0);
	}
	if (fd < 0)
		return -errno;
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	err = v6 ? bind(fd, (struct sockaddr *)&six, sizeof(six)) :
		   bind(fd, (struct sockaddr *)&four, sizeof(four));
	if (err || (tcp && listen(fd, SOMAXCONN))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int socket_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct endpoint ep;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    endpoint_from_sockaddr((struct sockaddr *)&ss, &ep))
		return -errno;
	return ep.port;
}

static int listener_register(struct proxy *px, int fd, bool tcp)
{
	struct listener *l = &px->listeners[px->nlisteners];
	int err;

	l->px = px;
	l->fd = fd;
	l->tcp = tcp;
	l->forwarded = true;
	l->h.fn = tcp ? tcp_acceptable : udp_readable;
	err = loop__add(px->loop, fd, EPOLLIN, &l->h);
	if (!err)
		px->nlisteners++;
	return err;
}

/*
 * A UDP and a TCP socket on one free port, on every address: the kernel
 * picks the UDP port, and TCP takes the same one if it is free there too.
 */
static int listen_forwarded(struct proxy *px)
{
	int attempt, udp, tcp, port;

	for (attempt = 0; attempt < 16; attempt++) {
		udp = wildcard_socket(0, false);
		if (udp < 0)
			return udp;
		port = socket_port(udp);
		tcp = port > 0 ? wildcard_socket((uint16_t)port, true) : port;
		if (tcp >= 0) {
			if (listener_register(px, udp, false) ||
			    listener_register(px, tcp, true))
				return -ENOMEM;
			px->forwarded_port = (uint16_t)port;
			return 0;
		}
		close(udp);
		if (tcp != -EADDRINUSE)
			return tcp;
	}
	return -EADDRINUSE;
}

uint16_t proxy__forwarded_port(const struct proxy *px)
{
	return px->forwarded_port;
}

/* IPv4 always has a loopback; IPv6 may be disabled. */
static int listen_other_loopback(struct proxy *px, bool quiet)
{
	struct endpoint other;
	bool v6;
	int err;

	other_loopback(&px->opts.listen, &other);
	v6 = !addr_is_v4(other.addr);
	err = quiet ? listener_open(px, &other, false) :
		      listener_add(px, &other, false, v6);
	if (!err)
		err = quiet ? listener_open(px, &other, true) :
			      listener_add(px, &other, true, v6);
	if (err == -EADDRNOTAVAIL && v6) {
		pr_info("IPv6 loopback unavailable: no IPv6 DNS redirect");
		return 0;
	}
	return err;
}

/*
 * --dns-listen with port 0 (moat run): a port the kernel picks that is
 * free for UDP and TCP on both loopbacks, so that several proxies run at
 * once. A port taken on the second socket means another try.
 */
static int listen_ephemeral(struct proxy *px)
{
	int attempt, port, err;

	for (attempt = 0; attempt < 16; attempt++) {
		px->opts.listen.port = 0;
		err = listener_open(px, &px->opts.listen, false);
		if (err)
			break;
		port = socket_port(px->listeners[0].fd);
		if (port <= 0) {
			err = port ? port : -EINVAL;
			break;
		}
		px->opts.listen.port = (uint16_t)port;
		px->listeners[0].addr.port = (uint16_t)port;
		err = listener_open(px, &px->opts.listen, true);
		if (!err)
			err = listen_other_loopback(px, true);
		if (err != -EADDRINUSE)
			break;
		listeners_drop(px, 0);
	}
	if (err) {
		listeners_drop(px, 0);
		pr_err("DNS listener on the loopback: cannot bind: %s",
		       errstr(err));
	}
	return err;
}

int proxy_listen(struct proxy *px)
{
	int err;

	if (!px->opts.listen.port)
		return listen_ephemeral(px);

	err = listener_add(px, &px->opts.listen, false, false);
	if (!err)
		err = listener_add(px, &px->opts.listen, true, false);
	if (err)
		return err;

	if (px->opts.forwarded) {
		err = listen_forwarded(px);
		if (err)
			pr_warn("no listener for forwarded DNS: %s; containers' queries will not be answered",
				errstr(err));
	}
	if (addr_is_v4(px->opts.listen.addr) && !px->opts.listen_v6_loopback)
		return 0;
	return listen_other_loopback(px, false);
}

void proxy__listen_addrs(const struct proxy *px, struct endpoint *v4,
			 struct endpoint *v6, bool *have_v6)
{
	size_t i;

	*have_v6 = false;
	for (i = 0; i < px->nlisteners; i++) {
		if (px->listeners[i].forwarded)
			continue;
		if (addr_is_v4(px->listeners[i].addr.addr)) {
			*v4 = px->listeners[i].addr;
		} else {
			*v6 = px->listeners[i].addr;
			*have_v6 = true;
		}
	}
}

/*
 * A bounded batch, then the answers go out: TCP clients and upstream
 * replies get their turn too.
 */
static void udp_readable(struct loop_handler *h, uint32_t events)
{
	struct listener *l = (struct listener *)h;
	struct proxy *px = l->px;
	struct udp_batch *b = px->udp;
	struct client c = { .udp_fd = l->fd, .forwarded = l->forwarded };
	int i, n;

	for (i = 0; i < PROXY_UDP_BATCH; i++) {
		b->in_iov[i].iov_base = b->in[i];
		b->in_iov[i].iov_len = sizeof(b->in[i]);
		b->in_msg[i].msg_hdr = (struct msghdr){
			.msg_name = &b->in_addr[i],
			.msg_namelen = sizeof(b->in_addr[i]),
			.msg_iov = &b->in_iov[i],
			.msg_iovlen = 1,
		};
	}
	n = recvmmsg(l->fd, b->in_msg, PROXY_UDP_BATCH, MSG_DONTWAIT, NULL);
	b->nmemo = 0;
	b->in_batch = true;
	for (i = 0; i < n; i++) {
		struct msghdr *m = &b->in_msg[i].msg_hdr;

		c.salen = m->msg_namelen;
		memcpy(&c.sa, m->msg_name, c.salen);
		if (endpoint_from_sockaddr((struct sockaddr *)&c.sa, &c.ep))
			continue;
		if (m->msg_flags & MSG_TRUNC) {
			px->stats.malformed++; /* longer than any query */
			continue;
		}
		proxy_handle_query(px, &c, b->in[i], b->in_msg[i].msg_len);
	}
	b->in_batch = false;
	proxy_flush_udp(px);
}

static void conn_free(struct tcp_conn *conn)
{
	free(conn->in);
	free(conn->out);
	free(conn);
}

/*
 * Close now, free later: queries in flight still point at the connection,
 * and an event for it may sit further on in the loop's current batch.
 */
static void conn_close(struct tcp_conn *conn)
{
	struct proxy *px = conn->px;

	if (conn->closed)
		return;
	conn->closed = true;
	loop__del(px->loop, conn->fd);
	close(conn->fd);
	conn->fd = -1;
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		px->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	px->nconns--;
	if (!conn->inflight) {
		conn->next = px->dead;
		px->dead = conn;
	}
}

void proxy_conn_release(struct proxy *px, struct tcp_conn *conn)
{
	conn->inflight--;
	if (!conn->inflight)
		conn->idle_since_ms = loop_now_ms();
	if (conn->closed && !conn->inflight) {
		conn->next = px->dead;
		px->dead = conn;
	}
}

static void tcp_accept_one(struct proxy *px, int fd, bool forwarded)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tcp_conn *conn;

	if (px->nconns >= PROXY_TCP_CLIENTS_MAX) {
		close(fd); /* the client retries, or falls back to UDP */
		return;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn || getpeername(fd, (struct sockaddr *)&ss, &len) ||
	    endpoint_from_sockaddr((struct sockaddr *)&ss, &conn->peer)) {
		free(conn);
		close(fd);
		return;
	}
	conn->px = px;
	conn->fd = fd;
	conn->forwarded = forwarded;
	conn->h.fn = conn_event;
	conn->idle_since_ms = conn->progress_ms = loop_now_ms();
	conn->events = EPOLLIN;
	if (loop__add(px->loop, fd, EPOLLIN, &conn->h)) {
		free(conn);
		close(fd);
		return;
	}
	conn->next = px->conns;
	if (px->conns)
		px->conns->prev = conn;
	px->conns = conn;
	px->nconns++;
}

static void tcp_acceptable(struct loop_handler *h, uint32_t events)
{
	struct listener *l = (struct listener *)h;
	int fd;

	while ((fd = accept4(l->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		tcp_accept_one(l->px, fd, l->forwarded);
}

static int buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t cap2 = *cap ? *cap : 512;
	uint8_t *grown;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	grown = realloc(*buf, cap2);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap = cap2;
	return 0;
}

static size_t conn_pending(const struct tcp_conn *conn)
{
	return conn->out_len - conn->out_off;
}

/*
 * Back-pressure: a client that sends queries and never reads the answers
 * must not make the daemon hold them all. Its input is not read while
 * its answers pile up, nor while its buffer holds a query that waits for
 * room under the in-flight limit.
 */
static bool conn_wants_input(const struct tcp_conn *conn)
{
	return conn_pending(conn) < PROXY_TCP_OUT_PAUSE &&
	       conn->in_len < PROXY_TCP_IN_MAX;
}

static void conn_update_events(struct tcp_conn *conn)
{
	uint32_t events = (conn_wants_input(conn) ? EPOLLIN : 0) |
			  (conn_pending(conn) ? EPOLLOUT : 0);

	if (events != conn->events) {
		loop__mod(conn->px->loop, conn->fd, events, &conn->h);
		conn->events = events;
	}
}

/* Hand every complete length-prefixed query in the buffer on. */
static void conn_parse(struct tcp_conn *conn)
{
	struct client c = { .conn = conn,
			    .ep = conn->peer,
			    .forwarded = conn->forwarded };
	size_t len, off = 0;

	/* A reply sent from inside the loop below must not parse again. */
	conn->parsing = true;
	while (!conn->closed && conn->in_len - off >= 2 &&
	       conn->inflight < PROXY_TCP_INFLIGHT_MAX) {
		len = (size_t)conn->in[off] << 8 | conn->in[off + 1];
		if (!len) {
			conn_close(conn); /* no DNS message is empty */
			break;
		}
		if (conn->in_len - off - 2 < len)
			break;
		conn->inflight++;
		proxy_handle_query(conn->px, &c, conn->in + off + 2, len);
		off += 2 + len;
	}
	memmove(conn->in, conn->in + off, conn->in_len - off);
	conn->in_len -= off;
	conn->parsing = false;
}

static void conn_read(struct tcp_conn *conn)
{
	size_t room = PROXY_TCP_IN_MAX - conn->in_len;
	ssize_t n;

	/* Grow by small steps: most clients never send more than a query. */
	if (room > 4096)
		room = 4096;
	if (buf_reserve(&conn->in, &conn->in_cap, conn->in_len + room)) {
		conn_close(conn);
		return;
	}
	n = read(conn->fd, conn->in + conn->in_len, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(conn);
		return;
	}
	if (n > 0) {
		conn->in_len += (size_t)n;
		conn->progress_ms = loop_now_ms();
		conn_parse(conn);
	}
}

static void conn_flush(struct tcp_conn *conn)
{
	ssize_t n;

	while (conn_pending(conn)) {
		n = send(conn->fd, conn->out + conn->out_off,
			 conn_pending(conn), MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(conn);
			return;
		}
		conn->out_off += (size_t)n;
		conn->progress_ms = loop_now_ms();
	}
	if (!conn_pending(conn))
		conn->out_off = conn->out_len = 0;
}

static void conn_event(struct loop_handler *h, uint32_t events)
{
	struct tcp_conn *conn = (struct tcp_conn *)h;

	if (conn->closed)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(conn);
		return;
	}
	if (events & EPOLLOUT)
		conn_flush(conn);
	if (!conn->closed && (events & EPOLLIN) && conn_wants_input(conn))
		conn_read(conn);
	if (!conn->closed)
		conn_update_events(conn);
}

/* Queue an answer; what was sent already is dropped from the buffer. */
static int conn_queue(struct tcp_conn *conn, const uint8_t *msg, size_t len)
{
	if (conn->out_off) {
		memmove(conn->out, conn->out + conn->out_off,
			conn_pending(conn));
		conn->out_len -= conn->out_off;
		conn->out_off = 0;
	}
	if (conn->out_len + 2 + len > PROXY_TCP_OUT_MAX ||
	    buf_reserve(&conn->out, &conn->out_cap, conn->out_len + 2 + len))
		return -ENOBUFS;
	conn->out[conn->out_len] = (uint8_t)(len >> 8);
	conn->out[conn->out_len + 1] = (uint8_t)len;
	memcpy(conn->out + conn->out_len + 2, msg, len);
	conn->out_len += 2 + len;
	return 0;
}

static void conn_send(struct tcp_conn *conn, const uint8_t *msg, size_t len)
{
	if (conn->closed)
		return;
	if (conn_queue(conn, msg, len)) {
		conn_close(conn); /* it stopped reading long ago */
		return;
	}
	conn_flush(conn);
	/* A query may have waited for room under the in-flight limit. */
	if (!conn->closed && !conn->parsing && conn->in_len)
		conn_parse(conn);
	if (!conn->closed)
		conn_update_events(conn);
}

/*
 * The audit lines of what is answered are written before any answer
 * leaves: a client that reads its answer finds the log line there.
 */
void proxy_flush_udp(struct proxy *px)
{
	struct udp_batch *b = px->udp;
	int sent = 0, n;

	audit__flush(px->audit);
	while (sent < (int)b->nout) {
		n = sendmmsg(b->out_fd, b->out_msg + sent,
			     (unsigned int)b->nout - (unsigned int)sent,
			     MSG_DONTWAIT);
		if (n <= 0)
			break; /* a full socket buffer: like a lost datagram */
		sent += n;
	}
	b->nout = 0;
	b->out_used = 0;
}

static void queue_udp(struct proxy *px, const struct client *c,
		      const uint8_t *msg, size_t len)
{
	struct udp_batch *b = px->udp;
	size_t i;

	if (b->nout && (b->out_fd != c->udp_fd || b->nout == PROXY_UDP_BATCH ||
			b->out_used + len > sizeof(b->out)))
		proxy_flush_udp(px);
	i = b->nout++;
	b->out_fd = c->udp_fd;
	memcpy(b->out + b->out_used, msg, len);
	memcpy(&b->out_addr[i], &c->sa, c->salen);
	b->out_iov[i].iov_base = b->out + b->out_used;
	b->out_iov[i].iov_len = len;
	b->out_msg[i].msg_hdr = (struct msghdr){
		.msg_name = &b->out_addr[i],
		.msg_namelen = c->salen,
		.msg_iov = &b->out_iov[i],
		.msg_iovlen = 1,
	};
	b->out_used += len;
}

void proxy_reply(struct proxy *px, const struct client *c, uint8_t *msg,
		 size_t len)
{
	int n;

	if (c->conn) {
		audit__flush(px->audit);
		conn_send(c->conn, msg, len);
		return;
	}
	if (len > c->udp_max) {
		n = dns_truncate_reply(msg, len);
		if (n < 0)
			return;
		len = (size_t)n;
	}
	queue_udp(px, c, msg, len);
}

void proxy_expire_clients(struct proxy *px, uint64_t now_ms)
{
	struct tcp_conn *conn, *next;

	for (conn = px->conns; conn; conn = next) {
		next = conn->next;
		/* Idle, or not reading what it asked for: either way, go. */
		if ((!conn->inflight && !conn_pending(conn) &&
		     now_ms - conn->idle_since_ms > PROXY_TCP_IDLE_MS) ||
		    (conn_pending(conn) &&
		     now_ms - conn->progress_ms > PROXY_TCP_IDLE_MS))
			conn_close(conn);
	}
	while (px->dead) {
		conn = px->dead;
		px->dead = conn->next;
		conn_free(conn);
	}
}

void proxy_close_clients(struct proxy *px)
{
	size_t i;

	while (px->conns)
		conn_close(px->conns);
	for (i = 0; i < px->nlisteners; i++) {
		loop__del(px->loop, px->listeners[i].fd);
		close(px->listeners[i].fd);
	}
	px->nlisteners = 0;
}
