// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* report.c - the datapath's events, as audit lines and log messages */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "allowlist.h"
#include "audit.h"
#include "datapath.h"
#include "log.h"
#include "moat.h"
#include "proxy.h"
#include "report.h"
#include "steps.h"

static const char *const reason_names[] = {
	[MOAT_REASON_RULE] = "rule",
	[MOAT_REASON_DENY_RULE] = "deny_rule",
	[MOAT_REASON_NO_RULE] = "no_rule",
	[MOAT_REASON_PORT] = "port_not_allowed",
	[MOAT_REASON_UPSTREAM] = "upstream",
	[MOAT_REASON_INBOUND] = "inbound_reply",
	[MOAT_REASON_CONTROL] = "control",
	[MOAT_REASON_MALFORMED] = "malformed",
	[MOAT_REASON_FRAGMENT] = "fragment",
	[MOAT_REASON_NON_IP] = "non_ip",
	[MOAT_REASON_ROUTING_HDR] = "routing_header",
	[MOAT_REASON_EXISTING] = "existing_connection",
	[MOAT_REASON_LOCAL] = "local",
};

static const char *reason_name(uint8_t reason)
{
	if (reason < sizeof(reason_names) / sizeof(reason_names[0]) &&
	    reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

static const char *action_name(uint8_t action)
{
	switch (action) {
	case MOAT_ACTION_ALLOWED:
		return AUDIT_ALLOWED;
	case MOAT_ACTION_WOULD_BLOCK:
		return AUDIT_WOULD_BLOCK;
	default:
		return AUDIT_BLOCKED;
	}
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t report_boot_to_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
}

static void log_blocked(const struct audit_connect *ac)
{
	char dst[ADDR_TEXT_MAX], proto[8], port[16] = "";

	if (!ac->daddr) {
		pr_info("%s a frame with no IP header to read (%s)", ac->action,
			ac->reason);
		return;
	}
	if (ac->ports)
		snprintf(port, sizeof(port), " port %u", ac->dport);
	pr_info("%s %s %s%s%s%s (%s)", ac->action,
		proto_name(ac->proto, proto, sizeof(proto)),
		addr_format(ac->daddr, dst, sizeof(dst)), port,
		ac->host ? " host " : "", ac->host ? ac->host : "", ac->reason);
}

/* An all-zero address: the classifier could not read the IP header. */
static bool addr_unset(const uint8_t *addr)
{
	static const uint8_t zero[ADDR_LEN];

	return memcmp(addr, zero, ADDR_LEN) == 0;
}

/*
 * A packet's verdict, or a socket hook's verdict on a connect() or
 * sendmsg() (MOAT_EVENT_F_HOOK), which knows no source address yet.
 */
static void report_packet(struct report *r, const struct moat_event *ev)
{
	bool icmp = ev->proto == IPPROTO_ICMP || ev->proto == IPPROTO_ICMPV6;
	bool owned = ev->flags & MOAT_EVENT_F_OWNER;
	bool hook = ev->flags & MOAT_EVENT_F_HOOK;
	bool has_ip = !addr_unset(ev->daddr);
	struct who who;
	struct audit_connect ac = {
		.realtime_ns = ev->boot_ns + r->boot_to_real_ns,
		.action = action_name(ev->action),
		.daddr = has_ip ? ev->daddr : NULL,
		.saddr = has_ip && !hook ? ev->saddr : NULL,
		.dport = ev->dport,
		.sport = ev->sport,
		.ports = (ev->proto == IPPROTO_TCP ||
			  ev->proto == IPPROTO_UDP) &&
			 !(ev->flags & MOAT_EVENT_F_FRAGMENT) &&
			 ev->reason != MOAT_REASON_MALFORMED,
		.proto = ev->proto,
		.icmp_type = icmp ? ev->dport >> 8 : -1,
		.icmp_code = icmp ? ev->dport & 0xff : -1,
		.host = has_ip ? allowlist__host_of(r->al, ev->daddr) : NULL,
		.rule = policy__rule_text(r->policy, ev->rule),
		.reason = reason_name(ev->reason),
		.cookie = ev->cookie,
		.who = &who,
	};

	steps__who(r->steps, owned ? &ev->owner : NULL, ev->cookie, &who);
	audit__connect(r->audit, &ac);
	if (ev->action != MOAT_ACTION_ALLOWED)
		log_blocked(&ac);
}

static void report_socket(struct report *r, const struct moat_socket_event *ev)
{
	struct who who;
	struct audit_socket as = {
		.realtime_ns = ev->boot_ns + r->boot_to_real_ns,
		.action = r->policy->mode == POLICY_MODE_AUDIT ?
				  AUDIT_WOULD_BLOCK :
				  AUDIT_BLOCKED,
		.family = ev->family,
		.type = ev->type,
		.protocol = ev->protocol,
		.uid = ev->uid,
		.reason = ev->reason,
		.who = &who,
	};

	steps__who(r->steps, &ev->owner, 1, &who);
	audit__socket(r->audit, &as);
	pr_info("%s %s for uid %u (%s, pid %d)", as.action,
		audit_socket_reason(ev->reason), ev->uid, who.comm, who.pid);
}

int report__event(struct report *r, const void *data, size_t len)
{
	const struct moat_step_event *head = data;

	if (len >= sizeof(struct moat_event) &&
	    head->kind == MOAT_EVENT_PACKET) {
		report_packet(r, data);
		return 0;
	}
	if (len >= sizeof(struct moat_socket_event) &&
	    head->kind == MOAT_EVENT_SOCKET) {
		report_socket(r, data);
		return 0;
	}
	return 1;
}

void report__stats(struct report *r, struct proxy *px, struct datapath *dp)
{
	uint64_t bpf[MOAT_STAT_MAX] = { 0 };
	struct proxy_stats ps = { 0 };

	if (px)
		proxy__stats(px, &ps);
	if (dp)
		datapath__read_stats(dp, bpf);

	const struct audit_counter c[] = {
		{ "dns_queries", ps.queries },
		{ "dns_allowed", ps.allowed },
		{ "dns_blocked", ps.refused },
		{ "dns_would_block", ps.would_block },
		{ "dns_rebinding_refused", ps.rebinding },
		{ "dns_malformed", ps.malformed },
		{ "dns_unsupported", ps.unsupported },
		{ "dns_upstream_failures", ps.upstream_failures },
		{ "dns_mismatched_replies", ps.mismatched_replies },
		{ "dns_overload", ps.overload },
		{ "dns_cache_hits", ps.cache_hits },
		{ "packets_allowed", bpf[MOAT_STAT_PACKETS_ALLOWED] },
		{ "packets_blocked", bpf[MOAT_STAT_PACKETS_BLOCKED] },
		{ "packets_would_block", bpf[MOAT_STAT_PACKETS_WOULD_BLOCK] },
		{ "calls_allowed", bpf[MOAT_STAT_CALLS_ALLOWED] },
		{ "calls_blocked", bpf[MOAT_STAT_CALLS_BLOCKED] },
		{ "calls_would_block", bpf[MOAT_STAT_CALLS_WOULD_BLOCK] },
		{ "events_sent", bpf[MOAT_STAT_EVENTS_SENT] },
		{ "events_lost", bpf[MOAT_STAT_EVENTS_LOST] },
		{ "events_suppressed", bpf[MOAT_STAT_EVENTS_SUPPRESSED] },
		{ "addresses_learned", r->al->learned },
		{ "addresses_expired", r->al->expired },
		{ "addresses_refused_full", r->al->refused_full },
		{ "log_write_errors", audit__write_errors(r->audit) },
	};

	audit__stats(r->audit, c, sizeof(c) / sizeof(c[0]));
	if (bpf[MOAT_STAT_EVENTS_LOST])
		pr_warn("%llu events were lost: the ring buffer was full",
			(unsigned long long)bpf[MOAT_STAT_EVENTS_LOST]);
}
