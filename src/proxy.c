// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* proxy.c - the DNS proxy: answer only allowed names, learn their addresses */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "allowlist.h"
#include "audit.h"
#include "datapath.h"
#include "log.h"
#include "moat.h"
#include "proxy_int.h"
#include "steps.h"

/*
 * Each upstream attempt has its own socket, so each has a fresh random
 * source port as well as a random id (RFC 5452): a forged reply must
 * guess both, and come from the upstream's address, which the connected
 * socket enforces. Attempts rotate through the upstreams.
 */
#define UDP_ATTEMPT_MS 1000
#define TCP_ATTEMPT_MS 3000
#define ATTEMPTS_MAX 3

enum query_state {
	QUERY_UDP,
	QUERY_TCP_CONNECTING,
	QUERY_TCP_SENDING,
	QUERY_TCP_READING,
};

struct query {
	struct loop_handler h;
	struct proxy *px;
	struct query *prev, *next;
	int fd;
	enum query_state state;
	unsigned int attempt;
	size_t upstream;
	uint64_t deadline_ms;
	uint16_t client_id;
	uint16_t up_id;
	struct client client;
	struct sender sender;
	struct dns_question q;
	struct verdict verdict;
	char *via;
	bool would_block;
	bool cached; /* the answer came from the cache */
	struct dns_edns edns; /* the client's */
	const char *reason; /* a static string for the audit log, or NULL */
	uint8_t *msg;
	size_t len;
	uint8_t *tcp; /* upstream TCP: length prefix and message */
	size_t tcp_done; /* bytes sent, then bytes read */
	size_t tcp_want;
};

static void upstream_event(struct loop_handler *h, uint32_t events);

/* A query as the cache sees it: its question, and the flags it was sent with. */
static struct cache_query cache_key_of(const struct query *q)
{
	return (struct cache_query){
		.q = &q->q,
		.flags = (uint16_t)(q->msg[2] << 8 | q->msg[3]),
		.edns = q->edns.present,
		.dnssec_ok = q->edns.dnssec_ok,
		.msg = q->msg,
	};
}

/*
 * The process behind a query, looked up as it arrives: the DNS hook keys
 * it by the client's port, which a later query may reuse.
 */
static void sender_lookup(struct proxy *px, const struct client *c,
			  struct sender *s)
{
	struct udp_batch *b = px->udp;
	bool memo = b->in_batch && !c->conn;
	size_t i;

	for (i = 0; memo && i < b->nmemo; i++)
		if (!memcmp(&b->memo[i].ep, &c->ep, sizeof(c->ep))) {
			*s = b->memo[i].sender;
			return;
		}
	s->forwarded = c->forwarded;
	s->known = px->opts.dp && !c->forwarded &&
		   !datapath__dns_client(px->opts.dp, &c->ep, c->conn != NULL,
					 &s->owner);
	if (memo && b->nmemo < PROXY_SENDER_MEMO) {
		b->memo[b->nmemo].ep = c->ep;
		b->memo[b->nmemo++].sender = *s;
	}
}

static void sender_who(struct proxy *px, const struct sender *s,
		       struct who *who)
{
	if (px->opts.steps)
		steps__who(px->opts.steps, s->known ? &s->owner : NULL,
			   s->forwarded ? 0 : 1, who);
	else
		memset(who, 0, sizeof(*who));
}

static uint16_t random_id(struct proxy *px)
{
	if (!px->nids) {
		if (getrandom(px->ids, sizeof(px->ids), 0) != sizeof(px->ids))
			px->ids[0] ^= (uint16_t)loop_now_ms(); /* never seen */
		px->nids = sizeof(px->ids) / sizeof(px->ids[0]);
	}
	return px->ids[--px->nids];
}

static const char *rcode_name(uint16_t rcode)
{
	static const char *const names[] = { "NOERROR",	 "FORMERR", "SERVFAIL",
					     "NXDOMAIN", "NOTIMP",  "REFUSED" };

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] :
							  "OTHER";
}

static void client_done(struct proxy *px, const struct client *c)
{
	if (c->conn)
		proxy_conn_release(px, c->conn);
}

/* Answer with a bare response code, built from the client's query. */
static void reply_code(struct proxy *px, const struct client *c,
		       const uint8_t *query, size_t len, uint16_t rcode,
		       uint16_t ede, const char *ede_text)
{
	uint8_t out[DNS_UDP_CLASSIC_MAX + 512];
	int n;

	n = dns_build_reply(query, len, rcode, ede, ede_text, out, sizeof(out));
	if (n > 0)
		proxy_reply(px, c, out, (size_t)n);
}

static const char *action_of(const struct query *q)
{
	return q->would_block ? AUDIT_WOULD_BLOCK : AUDIT_ALLOWED;
}

static void audit_query(struct proxy *px, const struct client *c,
			const struct sender *s, const struct dns_question *q,
			const char *action, const struct verdict *v,
			const char *via, uint16_t rcode,
			const struct dns_answer *ans, const char *reason,
			bool cached)
{
	uint8_t(*answers)[ADDR_LEN] = NULL;
	struct who who;
	struct audit_dns ev = {
		.action = action,
		.qname = q->name,
		.qtype = q->qtype,
		.rcode = rcode_name(rcode),
		.rule = policy__rule_text(px->al->policy, v->allow_rule),
		.via = via,
		.reason = reason,
		.client = &c->ep,
		.tcp = c->conn != NULL,
		.cached = cached,
		.who = &who,
	};
	size_t i;

	sender_who(px, s, &who);
	if (!strcmp(action, AUDIT_BLOCKED) ||
	    !strcmp(action, AUDIT_WOULD_BLOCK))
		ev.rule = policy__rule_text(px->al->policy, v->deny_rule);
	if (ans && ans->naddrs) {
		answers = malloc(ans->naddrs * sizeof(*answers));
		for (i = 0; answers && i < ans->naddrs; i++)
			memcpy(answers[i], ans->addrs[i].addr, ADDR_LEN);
		ev.answers = (const uint8_t(*)[ADDR_LEN])answers;
		ev.nanswers = answers ? ans->naddrs : 0;
	}
	audit__dns(px->audit, &ev);
	free(answers);
}

static void query_unlink(struct query *q)
{
	struct proxy *px = q->px;

	if (q->prev)
		q->prev->next = q->next;
	else
		px->pending = q->next;
	if (q->next)
		q->next->prev = q->prev;
	px->npending--;
}

static void query_close_socket(struct query *q)
{
	if (q->fd < 0)
		return;
	loop__del(q->px->loop, q->fd);
	close(q->fd);
	q->fd = -1;
}

static void query_free(struct query *q)
{
	query_unlink(q);
	query_close_socket(q);
	client_done(q->px, &q->client);
	free(q->via);
	free(q->msg);
	free(q->tcp);
	free(q);
}

static void query_fail(struct query *q)
{
	struct proxy *px = q->px;

	px->stats.upstream_failures++;
	dns_set_id(q->msg, q->client_id);
	reply_code(px, &q->client, q->msg, q->len, DNS_RCODE_SERVFAIL,
		   DNS_EDE_NETWORK_ERROR, "upstream resolver did not answer");
	audit_query(px, &q->client, &q->sender, &q->q, action_of(q),
		    &q->verdict, q->via, DNS_RCODE_SERVFAIL, NULL, q->reason,
		    false);
	query_free(q);
}

/*
 * The mark spares the socket the NAT redirect; its cookie, registered
 * with the classifier before the first packet, lets it reach the
 * upstream. Either alone is not enough: the mark keeps the query from
 * looping back to the proxy, the cookie is what a forged mark lacks.
 */
static int upstream_register(struct proxy *px, int fd)
{
	unsigned int mark = MOAT_SOCK_MARK;
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		return -errno;
	if (!px->opts.dp)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len))
		return -errno;
	return datapath__add_upstream_sock(px->opts.dp, cookie);
}

static int upstream_socket(struct query *q, int type,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	const struct endpoint *up = &q->px->opts.upstreams[q->upstream];
	int fd, err;

	*len = endpoint_to_sockaddr(up, ss);
	fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = upstream_register(q->px, fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int query_send_udp(struct query *q)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	fd = upstream_socket(q, SOCK_DGRAM, &ss, &len);
	if (fd < 0)
		return fd;
	q->fd = fd;
	q->state = QUERY_UDP;
	dns_set_id(q->msg, q->up_id);
	if (connect(fd, (struct sockaddr *)&ss, len) ||
	    send(fd, q->msg, q->len, 0) < 0)
		return -errno;
	err = loop__add(q->px->loop, fd, EPOLLIN, &q->h);
	q->deadline_ms = loop_now_ms() + UDP_ATTEMPT_MS;
	return err;
}

static int query_send_tcp(struct query *q)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	free(q->tcp);
	q->tcp = malloc(2 + DNS_MSG_MAX);
	if (!q->tcp)
		return -ENOMEM;
	fd = upstream_socket(q, SOCK_STREAM, &ss, &len);
	if (fd < 0)
		return fd;
	q->fd = fd;
	q->state = QUERY_TCP_CONNECTING;
	q->deadline_ms = loop_now_ms() + TCP_ATTEMPT_MS;
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		return -errno;
	return loop__add(q->px->loop, fd, EPOLLOUT, &q->h);
}

/* Try again, with the next upstream and a new id, until attempts run out. */
static void query_retry(struct query *q)
{
	struct proxy *px = q->px;
	int err = -ETIMEDOUT;

	query_close_socket(q);
	while (++q->attempt < ATTEMPTS_MAX) {
		q->upstream = (q->upstream + 1) % px->opts.nupstreams;
		px->upstream = q->upstream; /* later queries start here */
		q->up_id = random_id(px);
		err = query_send_udp(q);
		if (!err)
			return;
		query_close_socket(q);
	}
	pr_debug("query '%s': no upstream answered: %s", q->q.name,
		 errstr(err));
	query_fail(q);
}

/* An answer must come for our id and repeat our question. */
static bool reply_matches(const struct query *q, const uint8_t *msg, size_t len,
			  struct dns_question *rq)
{
	struct dns_header hdr;

	if (dns_parse_header(msg, len, &hdr) || hdr.id != q->up_id ||
	    !(hdr.flags & DNS_FLAG_QR))
		return false;
	if (dns_parse_question(msg, len, rq))
		return false;
	return dns_question_equal(rq, &q->q);
}

static void learn_answer(struct query *q, const struct dns_answer *ans)
{
	struct proxy *px = q->px;
	size_t i;
	int err;

	for (i = 0; i < ans->naddrs; i++) {
		/* Audit mode, or a reverse lookup that allows no address. */
		if (q->would_block ||
		    q->verdict.allow_set == MOAT_PORTSET_NONE) {
			allowlist__note(px->al, ans->addrs[i].addr, q->q.name,
					ans->addrs[i].ttl);
			continue;
		}
		err = allowlist__learn(px->al, ans->addrs[i].addr, q->q.name,
				       &q->verdict, ans->addrs[i].ttl);
		if (err) {
			px->stats.learn_failures++;
			pr_debug("query '%s': cannot allow an address: %s",
				 q->q.name, errstr(err));
		}
	}
	for (i = 0; !q->would_block && i < ans->ncnames; i++)
		allowlist__derive(px->al, ans->cnames[i], q->q.name,
				  &q->verdict, ans->cname_ttls[i]);
}

/*
 * The rules for the names the answer's CNAME chain passes through: a deny
 * rule for one of them holds although the name asked for is allowed.
 * Returns true when one of them is denied whole; port-scoped denies join
 * the query's verdict, which then covers every address of the answer.
 */
static bool chain_denied(struct query *q, const struct dns_answer *ans)
{
	struct policy *p = q->px->al->policy;
	struct verdict cv;
	size_t i;

	for (i = 0; i < ans->ncnames; i++) {
		policy__match_name(p, ans->cnames[i], &cv);
		if (cv.deny_set == MOAT_PORTSET_NONE)
			continue;
		q->verdict.deny_rule = cv.deny_rule;
		if (cv.deny_set == MOAT_PORTSET_ALL)
			return true;
		if (portsets__union(p->portsets, q->verdict.deny_set,
				    cv.deny_set, &q->verdict.deny_set))
			return true; /* cannot express it: deny it all */
	}
	return false;
}

/* An answer the policy cannot let through is refused whole. */
static void refuse_answer(struct query *q, const struct dns_answer *ans,
			  uint16_t ede, const char *why, const char *reason)
{
	struct proxy *px = q->px;

	px->stats.refused++;
	dns_set_id(q->msg, q->client_id);
	reply_code(px, &q->client, q->msg, q->len, DNS_RCODE_REFUSED, ede, why);
	audit_query(px, &q->client, &q->sender, &q->q, AUDIT_BLOCKED,
		    &q->verdict, q->via, DNS_RCODE_REFUSED, ans, reason,
		    q->cached);
	query_free(q);
}

/*
 * DNS rebinding: an allowed name that answers with a loopback,
 * link-local, multicast or cloud metadata address would let code that
 * may reach the name reach the runner itself or the cloud's metadata
 * service (instance credentials). Such an answer is refused unless a CIDR
 * rule allows the address. Private ranges are not on the list: internal
 * services behind allowed names are common, and a rule can deny them.
 */
static bool rebinds(struct query *q, const struct dns_answer *ans)
{
	struct policy *p = q->px->al->policy;
	struct verdict v;
	size_t i;

	for (i = 0; i < ans->naddrs; i++) {
		if (!addr_is_local_scope(ans->addrs[i].addr))
			continue;
		policy__match_addr(p, ans->addrs[i].addr, &v);
		if (v.allow_set == MOAT_PORTSET_NONE)
			return true;
	}
	return false;
}

/*
 * The addresses are in the kernel's maps before the answer leaves: a
 * client that connects the moment it reads the answer is never dropped.
 */
static void query_answer(struct query *q, uint8_t *msg, size_t len,
			 const struct dns_question *rq)
{
	struct dns_answer *ans = malloc(sizeof(*ans));
	struct proxy *px = q->px;
	struct cache_query key;
	struct dns_header hdr;

	dns_parse_header(msg, len, &hdr);
	if (!ans || dns_collect_answer(msg, len, rq, ans)) {
		free(ans);
		query_fail(q); /* garbage: nothing is learned from it */
		return;
	}
	if (chain_denied(q, ans)) {
		if (px->opts.mode == POLICY_MODE_ENFORCE) {
			refuse_answer(q, ans, DNS_EDE_BLOCKED,
				      "a name in the CNAME chain is blocked",
				      "cname_denied");
			free(ans);
			return;
		}
		q->would_block = true;
		q->reason = "cname_denied";
	}
	if (rebinds(q, ans)) {
		px->stats.rebinding++;
		if (px->opts.mode == POLICY_MODE_ENFORCE) {
			refuse_answer(
				q, ans, DNS_EDE_FILTERED,
				"the answer points at a loopback, link-local or metadata address",
				"rebinding");
			free(ans);
			return;
		}
		q->would_block = true;
		q->reason = "rebinding";
	}
	learn_answer(q, ans);
	if (q->would_block)
		px->stats.would_block++;
	else
		px->stats.allowed++;
	audit_query(px, &q->client, &q->sender, &q->q, action_of(q),
		    &q->verdict, q->via, DNS_RCODE(hdr.flags), ans, q->reason,
		    q->cached);
	free(ans);

	key = cache_key_of(q);
	if (!q->cached &&
	    cache__store(&px->cache, &key, msg, len, loop_now_ms()))
		pr_debug("query '%s': no memory to keep the answer", q->q.name);
	dns_set_id(msg, q->client_id);
	proxy_reply(px, &q->client, msg, len);
	query_free(q);
}

/*
 * Returns false when the message was not the answer and the query still
 * waits; true when the query is done with this socket (answered and freed,
 * or moved on to TCP or another upstream), after which q must not be used.
 */
static bool handle_reply(struct query *q, uint8_t *msg, size_t len)
{
	struct dns_question rq;
	struct dns_header hdr;

	if (!reply_matches(q, msg, len, &rq)) {
		q->px->stats.mismatched_replies++;
		return false;
	}
	dns_parse_header(msg, len, &hdr);
	if ((hdr.flags & DNS_FLAG_TC) && q->state == QUERY_UDP) {
		/* Truncated: ask again over TCP for the whole answer. */
		q->px->stats.truncated_retries++;
		query_close_socket(q);
		if (query_send_tcp(q))
			query_retry(q);
		return true;
	}
	query_answer(q, msg, len, &rq);
	return true;
}

static void udp_reply_readable(struct query *q)
{
	struct proxy *px = q->px;
	ssize_t n;

	for (;;) {
		n = recv(q->fd, px->buf, sizeof(px->buf), 0);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* ICMP unreachable, say: this upstream is no use now. */
			query_retry(q);
			return;
		}
		if (handle_reply(q, px->buf, (size_t)n))
			return;
	}
}

static int tcp_connected(struct query *q)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return -(err ? err : errno);
	dns_set_id(q->msg, q->up_id);
	q->tcp[0] = (uint8_t)(q->len >> 8);
	q->tcp[1] = (uint8_t)q->len;
	memcpy(q->tcp + 2, q->msg, q->len);
	q->tcp_done = 0;
	q->tcp_want = 2 + q->len;
	q->state = QUERY_TCP_SENDING;
	return 0;
}

static int tcp_send_some(struct query *q)
{
	ssize_t n = send(q->fd, q->tcp + q->tcp_done, q->tcp_want - q->tcp_done,
			 MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	q->tcp_done += (size_t)n;
	if (q->tcp_done < q->tcp_want)
		return 0;
	q->state = QUERY_TCP_READING;
	q->tcp_done = 0;
	q->tcp_want = 2;
	return loop__mod(q->px->loop, q->fd, EPOLLIN, &q->h);
}

/* Read the length prefix, then the message; 1 when it is complete. */
static int tcp_read_some(struct query *q)
{
	ssize_t n =
		read(q->fd, q->tcp + q->tcp_done, q->tcp_want - q->tcp_done);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	q->tcp_done += (size_t)n;
	if (q->tcp_done < q->tcp_want)
		return 0;
	if (q->tcp_want == 2) {
		q->tcp_want = 2 + ((size_t)q->tcp[0] << 8 | q->tcp[1]);
		return q->tcp_want > 2 + DNS_HEADER_LEN ? 0 : -EBADMSG;
	}
	return 1;
}

static void tcp_upstream_event(struct query *q, uint32_t events)
{
	int ret = 0;

	if (q->state == QUERY_TCP_CONNECTING)
		ret = tcp_connected(q);
	if (!ret && q->state == QUERY_TCP_SENDING)
		ret = tcp_send_some(q);
	else if (!ret && q->state == QUERY_TCP_READING)
		ret = tcp_read_some(q);
	if (ret < 0) {
		query_retry(q);
		return;
	}
	if (ret == 1) {
		memcpy(q->px->buf, q->tcp + 2, q->tcp_want - 2);
		/* A mismatch over TCP means a broken upstream: try another. */
		if (!handle_reply(q, q->px->buf, q->tcp_want - 2))
			query_retry(q);
	}
}

static void upstream_event(struct loop_handler *h, uint32_t events)
{
	struct query *q = (struct query *)h;
	struct proxy *px = q->px;

	if (q->state == QUERY_UDP)
		udp_reply_readable(q);
	else
		tcp_upstream_event(q, events);
	proxy_flush_udp(px); /* q may be gone */
}

static struct query *query_new(struct proxy *px, const struct client *c,
			       const uint8_t *msg, size_t len)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->msg = malloc(len);
	if (!q->msg) {
		free(q);
		return NULL;
	}
	memcpy(q->msg, msg, len);
	q->len = len;
	q->px = px;
	q->h.fn = upstream_event;
	q->fd = -1;
	q->client = *c;
	q->upstream = px->upstream;
	q->up_id = random_id(px);
	q->next = px->pending;
	if (px->pending)
		px->pending->prev = q;
	px->pending = q;
	px->npending++;
	return q;
}

/*
 * An answer the cache kept, taken through the same checks, learning and
 * log line as one from the upstream: its addresses go into the maps
 * again, with what is left of their lifetime, before it is sent.
 */
static bool answer_from_cache(struct query *q)
{
	struct cache_query key = cache_key_of(q);
	struct proxy *px = q->px;
	uint8_t out[CACHE_MSG_MAX];
	size_t max = q->client.conn ? sizeof(out) : q->client.udp_max;
	size_t n;

	n = cache__answer(&px->cache, &key, out,
			  max < sizeof(out) ? max : sizeof(out), loop_now_ms());
	if (!n)
		return false;
	px->stats.cache_hits++;
	q->cached = true;
	query_answer(q, out, n, &q->q);
	return true;
}

/* What the policy said about a query that goes upstream. */
struct admission {
	struct dns_edns edns; /* the client's */
	struct verdict verdict;
	const char *via;
	bool would_block;
	const char *reason;
};

static void forward(struct proxy *px, const struct client *c,
		    const struct sender *s, const uint8_t *msg, size_t len,
		    const struct dns_question *dq, const struct admission *ad)
{
	struct query *q;

	if (px->npending >= PROXY_PENDING_MAX ||
	    !(q = query_new(px, c, msg, len))) {
		/* Not forwarded, but not unrecorded: every query is logged. */
		px->stats.overload++;
		reply_code(px, c, msg, len, DNS_RCODE_SERVFAIL, 0, NULL);
		audit_query(px, c, s, dq,
			    ad->would_block ? AUDIT_WOULD_BLOCK : AUDIT_ALLOWED,
			    &ad->verdict, ad->via, DNS_RCODE_SERVFAIL, NULL,
			    "overload", false);
		client_done(px, c);
		return;
	}
	q->client_id = (uint16_t)(msg[0] << 8 | msg[1]);
	q->sender = *s;
	q->q = *dq;
	q->verdict = ad->verdict;
	q->via = ad->via ? strdup(ad->via) : NULL;
	q->would_block = ad->would_block;
	q->reason = ad->reason;
	q->edns = ad->edns;
	if (answer_from_cache(q))
		return;
	if (query_send_udp(q))
		query_retry(q);
}

static uint16_t client_udp_max(const struct dns_edns *edns)
{
	return edns->present ? edns->udp_size : DNS_UDP_CLASSIC_MAX;
}

/*
 * Reverse lookups (PTR under in-addr.arpa and ip6.arpa) carry a name of
 * the asker's choosing to whoever runs the reverse zone, which anyone
 * with an address block can: a channel out. They go upstream only for an
 * address the job may reach anyway, one an allowed answer named or a
 * CIDR rule allows, so that tools that look up their peers still work.
 */
static bool reverse_of_allowed(struct proxy *px, const struct dns_question *q)
{
	uint8_t addr[ADDR_LEN];

	return q->qtype == DNS_TYPE_PTR && !dns_reverse_addr(q->name, addr) &&
	       allowlist__allows_addr(px->al, addr);
}

/* Reject what no server should forward; returns true when answered. */
static bool reject_malformed(struct proxy *px, const struct client *c,
			     const uint8_t *msg, size_t len,
			     struct dns_question *q)
{
	struct dns_header hdr;

	if (dns_parse_header(msg, len, &hdr) || (hdr.flags & DNS_FLAG_QR)) {
		px->stats.malformed++; /* no id to answer, or not a query */
		return true;
	}
	if (DNS_OPCODE(hdr.flags) != 0) {
		/* NOTIFY, UPDATE and the rest carry data moat does not forward. */
		px->stats.unsupported++;
		reply_code(px, c, msg, len, DNS_RCODE_NOTIMP, 0, NULL);
		return true;
	}
	if (dns_parse_question(msg, len, q)) {
		px->stats.malformed++;
		reply_code(px, c, msg, len, DNS_RCODE_FORMERR, 0, NULL);
		return true;
	}
	return false;
}

void proxy_handle_query(struct proxy *px, const struct client *c_in,
			const uint8_t *msg, size_t len)
{
	struct admission ad = { .reason = NULL };
	struct client c = *c_in;
	struct dns_question q;
	struct sender sender;
	bool refused;

	px->stats.queries++;
	if (reject_malformed(px, &c, msg, len, &q)) {
		client_done(px, &c);
		return;
	}
	if (dns_parse_edns(msg, len, &ad.edns))
		memset(&ad.edns, 0, sizeof(ad.edns));
	if (!c.conn)
		c.udp_max = client_udp_max(&ad.edns);
	sender_lookup(px, &c, &sender);

	allowlist__match_name(px->al, q.name, &ad.verdict, &ad.via);
	refused = verdict_refuses_name(&ad.verdict);
	if (refused && reverse_of_allowed(px, &q)) {
		refused = false;
		ad.reason = "reverse_of_allowed";
	}
	if (refused && px->opts.mode == POLICY_MODE_ENFORCE) {
		px->stats.refused++;
		reply_code(px, &c, msg, len, DNS_RCODE_REFUSED, DNS_EDE_BLOCKED,
			   "blocked by moat policy");
		audit_query(px, &c, &sender, &q, AUDIT_BLOCKED, &ad.verdict,
			    ad.via, DNS_RCODE_REFUSED, NULL, NULL, false);
		client_done(px, &c);
		return;
	}
	ad.would_block = refused;
	forward(px, &c, &sender, msg, len, &q, &ad);
}

int proxy__new(struct proxy **out, const struct proxy_opts *opts,
	       struct allowlist *al, struct audit *audit, struct loop *loop)
{
	struct proxy *px = calloc(1, sizeof(*px));
	int err;

	if (!px)
		return -ENOMEM;
	px->opts = *opts;
	px->al = al;
	px->audit = audit;
	px->loop = loop;
	px->udp = calloc(1, sizeof(*px->udp));
	err = px->udp ? cache__init(&px->cache) : -ENOMEM;
	if (!err)
		err = proxy_listen(px);
	if (err) {
		proxy__free(px);
		return err;
	}
	*out = px;
	return 0;
}

void proxy__free(struct proxy *px)
{
	if (!px)
		return;
	while (px->pending)
		query_free(px->pending);
	if (px->udp)
		proxy_flush_udp(px);
	free(px->udp);
	cache__fini(&px->cache);
	proxy_close_clients(px);
	proxy_expire_clients(px, loop_now_ms());
	free(px);
}

int proxy__tick(struct proxy *px)
{
	uint64_t now = loop_now_ms(), next = now + 1000;
	struct query *q, *after;

	for (q = px->pending; q; q = after) {
		after = q->next;
		if (q->deadline_ms <= now)
			query_retry(q);
		else if (q->deadline_ms < next)
			next = q->deadline_ms;
	}
	proxy_expire_clients(px, now);
	proxy_flush_udp(px);
	return (int)(next - now);
}

void proxy__stats(const struct proxy *px, struct proxy_stats *stats)
{
	*stats = px->stats;
}
