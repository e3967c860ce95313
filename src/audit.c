// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* audit.c - the NDJSON audit log: one event a line, written as it happens */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "dns.h"
#include "json.h"
#include "log.h"
#include "moat.h"

/*
 * Lines wait here until audit__flush(), which the daemon calls before it
 * answers and at the end of each turn of its event loop, or until this
 * much is waiting: a burst of events costs one write(2), not one each.
 */
#define AUDIT_PENDING_MAX (64 * 1024)

struct audit {
	int fd; /* -1: count only */
	int tee_fd; /* -1, or a second file that gets every line too */
	char *path;
	struct json_writer w;
	char *pending;
	size_t pending_len, pending_cap;
	uint64_t pending_lines;
	uint64_t write_errors;
};

uint64_t audit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Events come many a second: the date and time of day are worked out
 * once a second, and only the microseconds for each event.
 */
void audit_format_time(uint64_t realtime_ns, char *buf, size_t len)
{
	static __thread time_t cached_secs = -1;
	static __thread char cached[80];
	time_t secs = (time_t)(realtime_ns / 1000000000ULL);
	unsigned int usecs = (unsigned int)(realtime_ns % 1000000000ULL / 1000);
	char frac[8];
	struct tm tm;
	size_t n;
	int i;

	if (secs != cached_secs) {
		gmtime_r(&secs, &tm);
		snprintf(cached, sizeof(cached),
			 "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		cached_secs = secs;
	}
	frac[0] = '.';
	for (i = 6; i >= 1; i--, usecs /= 10)
		frac[i] = (char)('0' + usecs % 10);
	frac[7] = 'Z';
	n = strlen(cached);
	if (len < n + sizeof(frac) + 1) {
		snprintf(buf, len, "%s", cached);
		return;
	}
	memcpy(buf, cached, n);
	memcpy(buf + n, frac, sizeof(frac));
	buf[n + sizeof(frac)] = '\0';
}

const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

int audit__open(struct audit **out, const char *path)
{
	struct audit *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -ENOMEM;
	a->fd = -1;
	a->tee_fd = -1;
	json_writer_init(&a->w);
	if (path) {
		/* Appended, never truncated: a restart must not erase a run. */
		a->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0640);
		if (a->fd < 0) {
			err = -errno;
			pr_err("audit log '%s': cannot open: %s", path,
			       errstr(err));
			audit__close(a);
			return err;
		}
		a->path = strdup(path);
	}
	*out = a;
	return 0;
}

void audit__tee(struct audit *a, int fd)
{
	a->tee_fd = fd;
}

void audit__close(struct audit *a)
{
	if (!a)
		return;
	audit__flush(a);
	free(a->pending);
	if (a->fd >= 0)
		close(a->fd);
	json_writer_free(&a->w);
	free(a->path);
	free(a);
}

uint64_t audit__write_errors(const struct audit *a)
{
	return a->write_errors;
}

static void begin_event(struct audit *a, uint64_t realtime_ns,
			const char *event, const char *action)
{
	char ts[40];

	audit_format_time(realtime_ns, ts, sizeof(ts));
	json_writer_reset(&a->w);
	json_w_object_begin(&a->w);
	json_w_string(&a->w, "ts", ts);
	json_w_string(&a->w, "event", event);
	json_w_string(&a->w, "action", action);
}

/*
 * One write() per line with O_APPEND: a line is in the file, whole, before
 * the next event happens, and a crash loses nothing already written.
 */
static int write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static void write_failed(struct audit *a, int err, uint64_t lines)
{
	if (!a->write_errors)
		pr_warn("audit log '%s': cannot write: %s; counting lost lines",
			a->path ? a->path : "-", errstr(err));
	a->write_errors += lines;
}

int audit__flush(struct audit *a)
{
	int err;

	if (!a || !a->pending_len)
		return 0;
	err = write_all(a->fd, a->pending, a->pending_len);
	if (err)
		write_failed(a, err, a->pending_lines);
	if (a->tee_fd >= 0 &&
	    write_all(a->tee_fd, a->pending, a->pending_len) && !err)
		err = -EIO;
	a->pending_len = 0;
	a->pending_lines = 0;
	return err;
}

/* Keep the line for the next flush; one that will not fit flushes first. */
static int queue_line(struct audit *a)
{
	size_t cap = a->pending_cap ? a->pending_cap : 4096;
	char *grown;

	if (a->pending_len + a->w.len > AUDIT_PENDING_MAX)
		audit__flush(a);
	while (cap < a->pending_len + a->w.len)
		cap *= 2;
	if (cap != a->pending_cap) {
		grown = realloc(a->pending, cap);
		if (!grown)
			return -ENOMEM;
		a->pending = grown;
		a->pending_cap = cap;
	}
	memcpy(a->pending + a->pending_len, a->w.buf, a->w.len);
	a->pending_len += a->w.len;
	a->pending_lines++;
	return 0;
}

static int end_event(struct audit *a)
{
	int err;

	json_w_object_end(&a->w);
	err = json_writer_finish(&a->w);
	if (!err && a->fd >= 0)
		err = queue_line(a);
	if (err)
		write_failed(a, err, 1);
	return err;
}

int audit__start(struct audit *a, const char *mode, const char *ifname, int pid)
{
	begin_event(a, audit_now(), "start", NULL);
	json_w_string(&a->w, "version", MOAT_VERSION);
	json_w_string(&a->w, "mode", mode);
	json_w_string(&a->w, "interface", ifname);
	json_w_int(&a->w, "pid", pid);
	return end_event(a);
}

/* The contract's attribution keys; null where nothing is known. */
static void write_who(struct audit *a, const struct who *who)
{
	if (!who)
		return;
	json_w_string(&a->w, "scope", who->scope);
	if (who->pid)
		json_w_int(&a->w, "pid", who->pid);
	else
		json_w_null(&a->w, "pid");
	json_w_string(&a->w, "comm", who->comm[0] ? who->comm : NULL);
	json_w_string(&a->w, "exe", who->exe);
	json_w_string(&a->w, "cmdline", who->cmdline);
	if (who->step)
		json_w_int(&a->w, "step", who->step);
	else
		json_w_null(&a->w, "step");
	json_w_string(&a->w, "step_name", who->step_name);
}

static void write_answers(struct audit *a, const uint8_t (*answers)[ADDR_LEN],
			  size_t count)
{
	char text[ADDR_TEXT_MAX];
	size_t i;

	json_w_array_begin(&a->w, "answers");
	for (i = 0; i < count; i++)
		json_w_string(&a->w, NULL,
			      addr_format(answers[i], text, sizeof(text)));
	json_w_array_end(&a->w);
}

int audit__dns(struct audit *a, const struct audit_dns *ev)
{
	char type[16], client[ADDR_TEXT_MAX];

	begin_event(a, audit_now(), "dns", ev->action);
	json_w_string(&a->w, "qname", ev->qname);
	json_w_string(&a->w, "qtype",
		      dns_type_name(ev->qtype, type, sizeof(type)));
	write_answers(a, ev->answers, ev->nanswers);
	json_w_string(&a->w, "rule", ev->rule);
	json_w_string(&a->w, "rcode", ev->rcode);
	if (ev->via)
		json_w_string(&a->w, "via", ev->via);
	if (ev->reason)
		json_w_string(&a->w, "reason", ev->reason);
	if (ev->client)
		json_w_string(&a->w, "client",
			      endpoint_format(ev->client, client,
					      sizeof(client)));
	json_w_string(&a->w, "transport", ev->tcp ? "tcp" : "udp");
	if (ev->cached)
		json_w_bool(&a->w, "cached", true);
	write_who(a, ev->who);
	return end_event(a);
}

int audit__connect(struct audit *a, const struct audit_connect *ev)
{
	char dst[ADDR_TEXT_MAX], src[ADDR_TEXT_MAX], proto[8];

	begin_event(a, ev->realtime_ns, "connect", ev->action);
	json_w_string(&a->w, "dst_ip",
		      ev->daddr ? addr_format(ev->daddr, dst, sizeof(dst)) :
				  NULL);
	if (ev->icmp_type >= 0) {
		json_w_null(&a->w, "dst_port");
		json_w_int(&a->w, "icmp_type", ev->icmp_type);
		json_w_int(&a->w, "icmp_code", ev->icmp_code);
	} else if (ev->ports) {
		json_w_uint(&a->w, "dst_port", ev->dport);
	} else {
		json_w_null(&a->w, "dst_port");
	}
	json_w_string(&a->w, "proto",
		      ev->daddr ? proto_name(ev->proto, proto, sizeof(proto)) :
				  NULL);
	json_w_string(&a->w, "host", ev->host);
	json_w_string(&a->w, "rule", ev->rule);
	json_w_string(&a->w, "reason", ev->reason);
	json_w_string(&a->w, "src_ip",
		      ev->saddr ? addr_format(ev->saddr, src, sizeof(src)) :
				  NULL);
	if (ev->ports && ev->saddr)
		json_w_uint(&a->w, "src_port", ev->sport);
	json_w_uint(&a->w, "cookie", ev->cookie);
	write_who(a, ev->who);
	return end_event(a);
}

int audit__step(struct audit *a, int number, const char *name,
		uint64_t started_ns)
{
	begin_event(a, started_ns ? started_ns : audit_now(), "step", NULL);
	json_w_int(&a->w, "step", number);
	json_w_string(&a->w, "name", name);
	return end_event(a);
}

const char *audit_socket_reason(unsigned int reason)
{
	switch (reason) {
	case MOAT_SOCKET_RAW:
		return "raw_socket";
	case MOAT_SOCKET_QDISC_BYPASS:
		return "qdisc_bypass";
	case MOAT_SOCKET_XDP:
		return "xdp_socket";
	case MOAT_SOCKET_SOURCE_ROUTE:
		return "source_route";
	default:
		return "unknown";
	}
}

static const char *family_name(unsigned int family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	case AF_PACKET:
		return "packet";
	case AF_XDP:
		return "xdp";
	default:
		return "other";
	}
}

static const char *socket_type_name(unsigned int type)
{
	switch (type) {
	case SOCK_RAW:
		return "raw";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_STREAM:
		return "stream";
	default:
		return "other";
	}
}

int audit__socket(struct audit *a, const struct audit_socket *ev)
{
	begin_event(a, ev->realtime_ns, "socket", ev->action);
	json_w_string(&a->w, "family", family_name(ev->family));
	json_w_string(&a->w, "type", socket_type_name(ev->type));
	json_w_uint(&a->w, "protocol", ev->protocol);
	json_w_uint(&a->w, "uid", ev->uid);
	json_w_string(&a->w, "reason", audit_socket_reason(ev->reason));
	write_who(a, ev->who);
	return end_event(a);
}

int audit__tamper(struct audit *a, const char *what, const char *detail,
		  const struct who *who)
{
	begin_event(a, audit_now(), "tamper", "blocked");
	json_w_string(&a->w, "what", what);
	json_w_string(&a->w, "detail", detail);
	write_who(a, who);
	return end_event(a);
}

int audit__stats(struct audit *a, const struct audit_counter *counters,
		 size_t count)
{
	size_t i;

	begin_event(a, audit_now(), "stats", NULL);
	for (i = 0; i < count; i++)
		json_w_uint(&a->w, counters[i].name, counters[i].value);
	return end_event(a);
}
