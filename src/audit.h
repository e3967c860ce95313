/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* audit.h - the NDJSON audit log: one event a line, written as it happens */
#ifndef MOAT_AUDIT_H
#define MOAT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct audit;

/* The contract's action values. */
#define AUDIT_ALLOWED "allowed"
#define AUDIT_BLOCKED "blocked"
#define AUDIT_WOULD_BLOCK "would_block"

/*
 * Who did something. scope is "step" (with step and step_name when the
 * step is known), "runner", "moat", "pre_existing" (started before moat),
 * "host" (not under the runner), "forwarded" (no socket on this host: a
 * NATed namespace's traffic) or "unattributed" (a socket no hook saw).
 */
struct who {
	const char *scope;
	int pid; /* 0 when unknown */
	char comm[16];
	const char *exe;
	const char *cmdline;
	int step; /* 0 when not a step's */
	const char *step_name;
};

struct audit_dns {
	const char *action;
	const char *qname;
	uint16_t qtype;
	const char *rcode; /* "NOERROR", "REFUSED", ... */
	const char *rule; /* NULL: no rule */
	const char *via; /* the name whose CNAME led here, or NULL */
	const char *reason; /* why, beyond the rule ("rebinding"), or NULL */
	const struct endpoint *client;
	bool tcp;
	bool cached; /* answered from moat's cache, not by the upstream */
	const uint8_t (*answers)[ADDR_LEN];
	size_t nanswers;
	const struct who *who;
};

struct audit_connect {
	uint64_t realtime_ns; /* when the packet was seen */
	const char *action;
	const uint8_t *daddr; /* NULL: no IP header could be read */
	const uint8_t *saddr;
	uint16_t dport;
	uint16_t sport;
	bool ports; /* dport and sport were read (TCP or UDP, whole) */
	uint8_t proto;
	int icmp_type; /* -1 unless ICMP */
	int icmp_code;
	const char *host; /* the name that led to the address, or NULL */
	const char *rule;
	const char *reason;
	uint64_t cookie;
	const struct who *who;
};

/* A socket refused at creation. */
struct audit_socket {
	uint64_t realtime_ns;
	const char *action;
	unsigned int family; /* AF_INET, AF_INET6, AF_PACKET, AF_XDP */
	unsigned int type; /* SOCK_RAW, ... */
	unsigned int protocol;
	unsigned int uid;
	unsigned int reason; /* enum moat_socket_reason */
	const struct who *who;
};

/* A counter the stats event reports. */
struct audit_counter {
	const char *name;
	uint64_t value;
};

/*
 * Open (append to) the log; path NULL makes a log that writes nothing but
 * still counts. Each run begins with a "start" event.
 */
int audit__open(struct audit **audit, const char *path);
void audit__close(struct audit *audit);

/*
 * Write every line to fd as well (not owned: the caller closes it after
 * audit__close): a run's own copy of its events, apart from others
 * appended to the same log.
 */
void audit__tee(struct audit *audit, int fd);

int audit__start(struct audit *audit, const char *mode, const char *ifname,
		 int pid);
int audit__dns(struct audit *audit, const struct audit_dns *ev);
int audit__connect(struct audit *audit, const struct audit_connect *ev);
/* A workflow step began: its number (the runner's), name and start. */
int audit__step(struct audit *audit, int number, const char *name,
		uint64_t started_ns);
int audit__socket(struct audit *audit, const struct audit_socket *ev);
/* "raw_socket", "qdisc_bypass" or "xdp_socket": the socket event's reason. */
const char *audit_socket_reason(unsigned int reason);
/* An attempt on moat itself that it refused ("stop_refused", ...). */
int audit__tamper(struct audit *audit, const char *what, const char *detail,
		  const struct who *who);
int audit__stats(struct audit *audit, const struct audit_counter *counters,
		 size_t count);

/*
 * Write the lines waiting since the last flush, in one write(2). Returns 0
 * or a negative errno (the lines are then counted as lost).
 */
int audit__flush(struct audit *audit);

/* Lines that could not be written (disk full, say). */
uint64_t audit__write_errors(const struct audit *audit);

/* "2026-12-03T18:15:00.123456Z" for a CLOCK_REALTIME time in ns. */
void audit_format_time(uint64_t realtime_ns, char *buf, size_t len);

/* Now, as CLOCK_REALTIME nanoseconds. */
uint64_t audit_now(void);

/* "tcp", "udp", "icmp", "ipv6-icmp", or the protocol number. */
const char *proto_name(uint8_t proto, char *buf, size_t len);

#endif /* MOAT_AUDIT_H */
