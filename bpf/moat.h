/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* moat.h - the one definition of what the BPF programs and the daemon share */
#ifndef MOAT_H
#define MOAT_H

/*
 * The BPF side includes vmlinux.h first; userspace gets the same types
 * from <linux/types.h>. Only fixed-width kernel types are used here so
 * that both sides lay the structures out identically, and the
 * _Static_asserts at the end hold the sizes still.
 */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Every address is stored as 16 bytes. IPv4 addresses are IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d, RFC 4291 2.5.5.2) and an IPv4 prefix of length
 * n is the mapped prefix of length 96 + n, so one set of maps and one lookup
 * path serve both families.
 */
#define MOAT_ADDR_LEN 16
/* Room for learned addresses unless --max-addresses says otherwise. */
#define MOAT_LEARNED_DEFAULT 65536
#define MOAT_V4_PREFIX_BASE 96

/*
 * The socket mark of the DNS proxy's upstream sockets. The NAT redirect
 * skips packets with this mark and the classifier lets them reach the
 * configured upstream resolvers only. Setting a socket mark needs
 * CAP_NET_ADMIN, so unprivileged code cannot forge it.
 */
#define MOAT_SOCK_MARK 0x6d6f6174U /* "moat" */

/* Values of the kept-connection map (see moat_is_kept()). */
#define MOAT_KEPT_NEW 1
#define MOAT_KEPT_REPORTED 2

/* Port set identifiers: 0 and 1 are fixed, the rest are interned sets. */
#define MOAT_PORTSET_NONE 0
#define MOAT_PORTSET_ALL 1

/* No rule: the decision was not made by a policy rule. */
#define MOAT_RULE_NONE 0xffffffffu

/* Action reported with a decision; the audit log's "action" key. */
enum moat_action {
	MOAT_ACTION_ALLOWED = 1,
	MOAT_ACTION_BLOCKED = 2,
	MOAT_ACTION_WOULD_BLOCK = 3, /* audit mode: blocked, but let through */
};

/* Why the classifier decided as it did. Append only; never renumber. */
enum moat_reason {
	MOAT_REASON_RULE = 1, /* an allow entry covers the packet */
	MOAT_REASON_DENY_RULE = 2, /* a deny entry covers the packet */
	MOAT_REASON_NO_RULE = 3, /* nothing allows the address */
	MOAT_REASON_PORT = 4, /* address allowed, port or protocol not */
	MOAT_REASON_UPSTREAM = 5, /* the proxy's own upstream query */
	MOAT_REASON_INBOUND = 6, /* reply on a connection a peer opened */
	MOAT_REASON_CONTROL = 7, /* ARP, NDP, MLD, IGMP, DHCP, ICMP errors */
	MOAT_REASON_MALFORMED = 8, /* header truncated or inconsistent */
	MOAT_REASON_FRAGMENT = 9, /* fragment of a datagram not allowed */
	MOAT_REASON_NON_IP = 10, /* an L2 protocol that is not ARP or IP */
	MOAT_REASON_ROUTING_HDR = 11, /* source routed: hops past the dest */
	MOAT_REASON_EXISTING = 12, /* a connection open before moat began */
	MOAT_REASON_LOCAL = 13, /* a destination on this host (moat run) */
};

/*
 * A process's tag says whose work it is. A workflow step's processes carry
 * the pid of the step's first process, the runner's worker's direct child
 * (the step root); the other tags are below any pid (PID_MAX_LIMIT is
 * 2^22).
 */
#define MOAT_TAG_NONE 0 /* not tagged: the host's own processes */
#define MOAT_TAG_RUNNER 0xffffffffU /* the runner (Runner.Worker and up) */
#define MOAT_TAG_MOAT 0xfffffffeU /* moat and its helpers */
#define MOAT_TAG_PREEXISTING 0xfffffffdU /* step processes older than moat */
#define MOAT_TAG_STEP_MAX 0xfffffff0U /* tags below this are step roots */

#define MOAT_COMM_LEN 16

/* Ring buffer records; each begins with its kind. */
enum moat_event_kind {
	MOAT_EVENT_PACKET = 1, /* struct moat_event */
	MOAT_EVENT_STEP = 2, /* struct moat_step_event */
	MOAT_EVENT_SOCKET = 3, /* struct moat_socket_event */
};

/* Event flags. */
#define MOAT_EVENT_F_SYN 0x01 /* a TCP connection start */
#define MOAT_EVENT_F_FRAGMENT 0x02 /* a non-first fragment */
#define MOAT_EVENT_F_OWNER 0x04 /* owner holds the socket's process */
#define MOAT_EVENT_F_HOOK 0x08 /* a socket hook's: no source address */

/* Value of the learned-address and CIDR maps. */
struct moat_entry {
	__u32 allow_set; /* port set that is allowed */
	__u32 deny_set; /* port set that is denied; wins over allow_set */
	__u32 allow_rule; /* rule behind allow_set, or MOAT_RULE_NONE */
	__u32 deny_rule; /* rule behind deny_set, or MOAT_RULE_NONE */
};

/* Key of the learned-address hash: one exact address. */
struct moat_addr_key {
	__u8 addr[MOAT_ADDR_LEN];
};

/* Key of the CIDR trie. */
struct moat_lpm_key {
	__u32 prefixlen;
	__u8 addr[MOAT_ADDR_LEN];
};

/* Key of the port-set map: one (set, port, protocol) member. */
struct moat_port_key {
	__u32 set;
	__u16 port; /* host byte order */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/* Key of the upstream-resolver map. */
struct moat_upstream_key {
	__u8 addr[MOAT_ADDR_LEN];
	__u16 port; /* host byte order */
	__u8 pad[2];
};

/*
 * Key of the inbound-flow map: a flow a remote peer opened, as seen from
 * this host's replies (remote address and port, local port). For ICMP echo
 * the remote port is the echo identifier and the local port is 0.
 */
struct moat_flow_key {
	__u8 raddr[MOAT_ADDR_LEN];
	__u16 rport;
	__u16 lport;
	__u8 proto;
	__u8 pad[3];
};

/* Key of the fragment map: one datagram's fragments. */
struct moat_frag_key {
	__u8 saddr[MOAT_ADDR_LEN];
	__u8 daddr[MOAT_ADDR_LEN];
	__u32 id;
	__u8 proto;
	__u8 pad[3];
};

/* Key of the event rate limiter. */
struct moat_seen_key {
	__u64 cookie;
	__u8 daddr[MOAT_ADDR_LEN];
	__u16 dport;
	__u16 sport;
	__u8 proto;
	__u8 action;
	__u8 reason; /* malformed and non-IP frames share empty addresses */
	__u8 pad;
};

/* The process behind a socket, as the socket hooks saw it. */
struct moat_owner {
	__u32 pid; /* thread group id */
	__u32 tag; /* MOAT_TAG_* or a step root's pid */
	char comm[MOAT_COMM_LEN];
};

/* Key of the DNS-client map: a client socket's own address and port. */
struct moat_endpoint_key {
	__u8 addr[MOAT_ADDR_LEN];
	__u16 port; /* host byte order */
	__u8 proto;
	__u8 pad;
};

/* Runtime settings the daemon writes once it knows them. */
struct moat_config {
	__u32 worker_tgid; /* the runner's Runner.Worker, 0 if none */
	__u16 proxy_port; /* the DNS proxy's port, host byte order */
	__u16 flags; /* MOAT_CONFIG_F_* */
};

/* The proxy also listens on [::1] (moat run sends IPv6 queries there). */
#define MOAT_CONFIG_F_PROXY_V6 0x1

/*
 * A destination a confined socket named (moat run): where a connect() or
 * sendmsg() was let through to, or where a DNS query meant to go before
 * the socket hooks sent it to the proxy.
 */
struct moat_dest {
	__u8 addr[MOAT_ADDR_LEN];
	__u16 port; /* host byte order */
	__u8 pad[2];
};

/* One packet verdict, sent through the ring buffer. */
struct moat_event {
	__u32 kind; /* MOAT_EVENT_PACKET */
	__u32 ifindex;
	__u64 boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cookie; /* socket cookie, 0 when the packet has no socket */
	__u8 daddr[MOAT_ADDR_LEN];
	__u8 saddr[MOAT_ADDR_LEN];
	__u16 dport; /* host byte order; ICMP: type << 8 | code */
	__u16 sport;
	__u32 rule; /* rule id, or MOAT_RULE_NONE */
	__u8 proto; /* IP protocol number */
	__u8 action; /* enum moat_action */
	__u8 reason; /* enum moat_reason */
	__u8 flags; /* MOAT_EVENT_F_* */
	struct moat_owner owner; /* valid with MOAT_EVENT_F_OWNER */
	__u32 pad;
};

/* A direct child of the runner's worker: a workflow step's first process. */
struct moat_step_event {
	__u32 kind; /* MOAT_EVENT_STEP */
	__u32 root; /* its pid */
	__u64 boot_ns;
};

/* Why a socket hook refused a socket. Append only; never renumber. */
enum moat_socket_reason {
	MOAT_SOCKET_RAW = 1, /* a raw IP socket, to a process not root */
	MOAT_SOCKET_QDISC_BYPASS = 2, /* a packet socket skipping the qdisc */
	MOAT_SOCKET_XDP = 3, /* an AF_XDP socket's set-up */
	MOAT_SOCKET_SOURCE_ROUTE = 4, /* IP_OPTIONS source route, IPV6_RTHDR */
};

/* A socket, or a socket option, that a socket hook refused. */
struct moat_socket_event {
	__u32 kind; /* MOAT_EVENT_SOCKET */
	__u16 family; /* AF_INET, AF_INET6, AF_PACKET or AF_XDP */
	__u16 type; /* SOCK_RAW, ... */
	__u64 boot_ns;
	__u32 protocol;
	__u32 uid;
	struct moat_owner owner;
	__u32 reason; /* enum moat_socket_reason */
	__u32 pad;
};

/* Per-CPU counters; the stats event at shutdown sums them. */
enum moat_stat {
	MOAT_STAT_PACKETS_ALLOWED,
	MOAT_STAT_PACKETS_BLOCKED,
	MOAT_STAT_PACKETS_WOULD_BLOCK,
	MOAT_STAT_EVENTS_SENT,
	MOAT_STAT_EVENTS_LOST, /* ring buffer full */
	MOAT_STAT_EVENTS_SUPPRESSED, /* over the per-CPU event budget */
	MOAT_STAT_CALLS_ALLOWED, /* moat run: connect() and sendmsg() */
	MOAT_STAT_CALLS_BLOCKED,
	MOAT_STAT_CALLS_WOULD_BLOCK,
	MOAT_STAT_MAX,
};

/* Value of the fragment map: how the datagram's first fragment fared. */
struct moat_frag_verdict {
	__u32 rule;
	__u8 reason;
	__u8 pad[3];
};

/* Per-CPU token bucket that bounds the event rate. */
struct moat_budget {
	__u64 tokens;
	__u64 last_ns;
};

_Static_assert(sizeof(struct moat_entry) == 16, "moat_entry layout");
_Static_assert(sizeof(struct moat_lpm_key) == 20, "moat_lpm_key layout");
_Static_assert(sizeof(struct moat_port_key) == 8, "moat_port_key layout");
_Static_assert(sizeof(struct moat_upstream_key) == 20, "upstream layout");
_Static_assert(sizeof(struct moat_flow_key) == 24, "moat_flow_key layout");
_Static_assert(sizeof(struct moat_frag_key) == 40, "moat_frag_key layout");
_Static_assert(sizeof(struct moat_seen_key) == 32, "moat_seen_key layout");
_Static_assert(sizeof(struct moat_owner) == 24, "moat_owner layout");
_Static_assert(sizeof(struct moat_endpoint_key) == 20, "endpoint layout");
_Static_assert(sizeof(struct moat_config) == 8, "moat_config layout");
_Static_assert(sizeof(struct moat_event) == 96, "moat_event layout");
_Static_assert(sizeof(struct moat_step_event) == 16, "step event layout");
_Static_assert(sizeof(struct moat_socket_event) == 56, "socket event layout");
_Static_assert(sizeof(struct moat_frag_verdict) == 8, "frag verdict layout");
_Static_assert(sizeof(struct moat_dest) == 20, "dest layout");

#endif /* MOAT_H */
