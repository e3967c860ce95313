/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* proxy.h - the DNS proxy: answer only allowed names, learn their addresses */
#ifndef MOAT_PROXY_H
#define MOAT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"

struct allowlist;
struct audit;
struct datapath;
struct loop;
struct proxy;
struct steps;

struct proxy_opts {
	/* The primary address, from --dns-listen; port 0: a free one. */
	struct endpoint listen;
	bool listen_v6_loopback; /* also listen on [::1] for IPv6 queries */
	bool forwarded; /* and for queries from other namespaces */
	const struct endpoint *upstreams;
	size_t nupstreams;
	enum policy_mode mode;
	/* Who sent each query: the DNS-client map and step tracking. */
	struct datapath *dp;
	struct steps *steps;
};

struct proxy_stats {
	uint64_t queries;
	uint64_t allowed;
	uint64_t refused; /* enforce mode */
	uint64_t would_block; /* audit mode */
	uint64_t malformed; /* queries answered FORMERR or dropped */
	uint64_t unsupported; /* other opcodes, answered NOTIMP */
	uint64_t upstream_failures; /* answered SERVFAIL */
	uint64_t mismatched_replies; /* wrong id or question: ignored */
	uint64_t truncated_retries; /* retried over TCP */
	uint64_t overload; /* too many queries in flight */
	uint64_t learn_failures; /* addresses the datapath refused */
	uint64_t rebinding; /* answers with local-scope addresses */
	uint64_t cache_hits; /* answered from the cache */
};

/*
 * Bind the listening sockets and register them with the loop. Returns 0 or
 * a negative errno after saying which address could not be used.
 */
int proxy__new(struct proxy **px, const struct proxy_opts *opts,
	       struct allowlist *al, struct audit *audit, struct loop *loop);
void proxy__free(struct proxy *px);

/*
 * Expire queries whose upstream has not answered and free what handlers
 * finished with; call after every loop iteration. Returns the time in ms
 * until the next deadline, at most 1000.
 */
int proxy__tick(struct proxy *px);

void proxy__stats(const struct proxy *px, struct proxy_stats *stats);

/*
 * The addresses the listening sockets are bound to, for the redirect
 * (have_v6: whether IPv6 queries have one).
 */
void proxy__listen_addrs(const struct proxy *px, struct endpoint *v4,
			 struct endpoint *v6, bool *have_v6);

/*
 * The port of the listener for queries routed through this host from
 * other namespaces (containers): bound on every address, it is where the
 * redirect of forwarded DNS points. 0 if it could not be bound.
 */
uint16_t proxy__forwarded_port(const struct proxy *px);

#endif /* MOAT_PROXY_H */
