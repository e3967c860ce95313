/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* datapath.h - load the classifier, fill its maps, attach it to a link */
#ifndef MOAT_DATAPATH_H
#define MOAT_DATAPATH_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "moat.h"
#include "policy.h"

struct datapath;

/* What a datapath guards; tests load both to compare them. */
#define DATAPATH_LINK 0x1 /* a link (moat start): the classifier */
#define DATAPATH_CONFINE 0x2 /* one cgroup's sockets (moat run) */

struct datapath_opts {
	unsigned int programs; /* DATAPATH_*; 0 means DATAPATH_LINK */
	int ifindex;
	bool audit; /* report what would be blocked, drop nothing */
	bool has_l2; /* the link's packets start with an Ethernet header */
	uint32_t max_learned; /* room for learned addresses; 0: the default */
};

/* Open and load the BPF object; nothing is attached yet. */
int datapath__open(struct datapath **dp, const struct datapath_opts *opts);

/* Detach what datapath__attach() attached, and free everything. */
void datapath__close(struct datapath *dp);

/*
 * Write the static part of a policy: its port sets, its CIDR rules and its
 * upstream resolvers. Call before datapath__attach(), so the classifier
 * never runs on half-filled maps.
 */
int datapath__load_policy(struct datapath *dp, const struct policy *p);

/* Write the port sets interned since the last call. */
int datapath__sync_portsets(struct datapath *dp, const struct portsets *ps);

/* Allow or refuse an exact address; -ENOSPC when the map is full. */
int datapath__put_learned(struct datapath *dp, const uint8_t *addr,
			  const struct moat_entry *entry);

/* Forget a learned address: the CIDR rules alone decide for it again. */
int datapath__del_learned(struct datapath *dp, const uint8_t *addr);

/* Let replies on a flow a remote peer opened pass (see moat.bpf.c). */
int datapath__put_inbound(struct datapath *dp, const struct moat_flow_key *key);

/*
 * Make sure the link has a clsact qdisc; *created says whether moat made
 * it (and so must remove it).
 */
int datapath__add_qdisc(struct datapath *dp, bool *created);

/*
 * Attach the egress classifier and the ingress recorder to the link's
 * clsact qdisc, replacing in one step any left by a run that was killed.
 */
int datapath__attach(struct datapath *dp);

/* Detach moat's filters from a link; drop the qdisc too if moat made it. */
int datapath_detach_link(int ifindex, bool destroy_qdisc);

/* Is a moat filter attached to the link's egress hook? */
bool datapath_link_has_filter(int ifindex);

/*
 * Attach the socket hooks (owner of every socket, DNS clients) to a
 * cgroup v2 directory, and with fork the step tracker too. They detach
 * when the datapath is closed, or when moat dies: they only observe.
 */
int datapath__attach_hooks(struct datapath *dp, const char *cgroup, bool fork);

/*
 * Confine a cgroup (moat run): its socket hooks and the egress hook that
 * backs them. They are attached without a link, so that they stay if
 * moat dies: the cgroup stays confined (fail closed), and removing the
 * cgroup releases them. datapath__close() detaches them.
 */
int datapath__attach_confined(struct datapath *dp, int cgroup_fd);

/*
 * Leave the confining hooks attached when the datapath is closed: their
 * cgroup still has processes, which must stay confined.
 */
void datapath__keep_confined(struct datapath *dp);

/* This host's own addresses: a confined command may reach them. */
int datapath__add_local(struct datapath *dp, const uint8_t *addr);

/* A socket of the proxy's, allowed to reach the upstream resolvers. */
int datapath__add_upstream_sock(struct datapath *dp, uint64_t cookie);

/* A TCP socket a peer opened before moat started (see inbound.c). */
int datapath__add_passive(struct datapath *dp, uint64_t cookie);

/* A socket this host connected before moat started: it stays open. */
int datapath__add_kept(struct datapath *dp, uint64_t cookie);

/* One of the link's IPv6 prefixes, for neighbour discovery. */
int datapath__add_onlink(struct datapath *dp, const struct cidr *prefix);

/* A DHCP server the link's lease names, for unicast renewals. */
int datapath__add_dhcp_server(struct datapath *dp, const uint8_t *addr);

/* Tag a process that existed before the fork hook (MOAT_TAG_*, a root). */
int datapath__set_proc_tag(struct datapath *dp, pid_t pid, uint32_t tag);

/* A process's tag, MOAT_TAG_NONE when it has none. */
int datapath__get_proc_tag(struct datapath *dp, pid_t pid, uint32_t *tag);

/* Let the fork hook know the runner's worker, and the DNS hook the proxy. */
int datapath__set_worker(struct datapath *dp, pid_t worker);
int datapath__set_proxy_port(struct datapath *dp, uint16_t port);
/* moat run: the proxy also listens on [::1], for IPv6 queries. */
int datapath__set_proxy_v6(struct datapath *dp, bool v6);

/* The process behind a DNS query from a client address; 0 or -ENOENT. */
int datapath__dns_client(struct datapath *dp, const struct endpoint *client,
			 bool tcp, struct moat_owner *owner);

/* A ring-buffer record: struct moat_event or struct moat_step_event. */
typedef int (*datapath_event_fn)(void *ctx, const void *data, size_t len);

/* Deliver ring-buffer events to fn; returns a pollable fd or -errno. */
int datapath__open_events(struct datapath *dp, datapath_event_fn fn, void *ctx);
/* Hand every waiting event to fn; returns how many or -errno. */
int datapath__consume_events(struct datapath *dp);

/* The per-CPU counters, summed. */
int datapath__read_stats(struct datapath *dp, uint64_t stats[MOAT_STAT_MAX]);

enum datapath_prog {
	DATAPATH_PROG_EGRESS,
	DATAPATH_PROG_INGRESS,
	DATAPATH_PROG_CONFINED_EGRESS,
};

/* A program's fd, for BPF_PROG_TEST_RUN in tests and benchmarks. */
int datapath__prog_fd(struct datapath *dp, enum datapath_prog prog);

/* A verdict as the classifier's maps store it. */
void verdict_to_entry(const struct verdict *v, struct moat_entry *e);

#endif /* MOAT_DATAPATH_H */
