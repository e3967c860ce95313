// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* summary.c - what happened, per workflow step, from the audit log */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "json.h"
#include "policy.h"
#include "summary.h"

#define STEP_NAMES_MAX 1024
#define LINE_MAX_LEN (1 << 20)

/* Sort order within a table: what was blocked comes first. */
enum status {
	STATUS_BLOCKED,
	STATUS_WOULD_BLOCK,
	STATUS_ALLOWED,
};

/* Non-step groups, in the order the report lists them after the steps. */
static const char *const buckets[] = { "command",     "pre_existing",
				       "runner",      "moat",
				       "host",	      "forwarded",
				       "unattributed" };
static const char *const bucket_titles[] = {
	"The command (moat run)",
	"Processes that started before moat",
	"The runner",
	"moat itself",
	"Other processes on the host",
	"Forwarded traffic (containers and other namespaces)",
	"Sockets moat saw no process for",
};

struct row {
	struct hnode node;
	char *key;
	size_t group;
	char *dest;
	int port; /* -1: none */
	char proto[16];
	enum status status;
	char process[32];
	uint64_t count;
};

struct group {
	int bucket; /* index into buckets[], or -1 for a step */
	int step; /* 0 when the step is unknown */
	struct row **rows;
	size_t nrows, cap;
};

/* Distinct ports one recommendation lists; past that, all ports. */
#define RECOMMEND_PORTS_MAX 32

/* A host or address to recommend, with the ports it was reached on. */
struct recommend {
	struct hnode node;
	char *dest;
	bool cidr;
	/*
	 * Reached by a protocol without ports (ICMP, ...), or on more ports
	 * than the list holds: only a rule without ports allows that.
	 */
	bool any_port;
	uint16_t ports[RECOMMEND_PORTS_MAX];
	bool udp[RECOMMEND_PORTS_MAX];
	size_t nports;
};

struct summary {
	char mode[16];
	bool mixed_modes;
	struct htable rows;
	struct htable dests; /* struct recommend, reused as a set */
	struct htable recommends;
	struct group *groups;
	size_t ngroups;
	char *step_names[STEP_NAMES_MAX];
	char *step_results[STEP_NAMES_MAX];
	uint64_t conn_blocked, conn_allowed, dns_blocked, dns_allowed;
	uint64_t events_lost, events_suppressed, refused_full, write_errors;
	uint64_t bad_lines;
	uint64_t tamper; /* attempts on moat itself that it refused */
	long long tamper_step;
	char tamper_comm[32];
};

static bool row_eq(const struct hnode *n, const void *key)
{
	return !strcmp(container_of_const(n, struct row, node)->key, key);
}

static bool rec_eq(const struct hnode *n, const void *key)
{
	return !strcmp(container_of_const(n, struct recommend, node)->dest,
		       key);
}

struct summary *summary__new(void)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (htable_init(&s->rows) || htable_init(&s->dests) ||
	    htable_init(&s->recommends)) {
		summary__free(s);
		return NULL;
	}
	return s;
}

static void free_row(struct hnode *n, void *ctx)
{
	struct row *r = container_of(n, struct row, node);

	free(r->key);
	free(r->dest);
	free(r);
}

static void free_recommend(struct hnode *n, void *ctx)
{
	struct recommend *r = container_of(n, struct recommend, node);

	free(r->dest);
	free(r);
}

void summary__free(struct summary *s)
{
	size_t i;

	if (!s)
		return;
	if (s->rows.buckets)
		htable_for_each(&s->rows, free_row, NULL);
	if (s->dests.buckets)
		htable_for_each(&s->dests, free_recommend, NULL);
	if (s->recommends.buckets)
		htable_for_each(&s->recommends, free_recommend, NULL);
	htable_fini(&s->rows);
	htable_fini(&s->dests);
	htable_fini(&s->recommends);
	for (i = 0; i < s->ngroups; i++)
		free(s->groups[i].rows);
	free(s->groups);
	for (i = 0; i < STEP_NAMES_MAX; i++) {
		free(s->step_names[i]);
		free(s->step_results[i]);
	}
	free(s);
}

static const char *get_str(const struct json_value *ev, const char *key)
{
	const struct json_value *v = json_object_get(ev, key);

	return v && v->type == JSON_STRING ? v->string.ptr : NULL;
}

static long long get_int(const struct json_value *ev, const char *key)
{
	const struct json_value *v = json_object_get(ev, key);

	return v && v->type == JSON_NUMBER ? (long long)v->number : -1;
}

static int group_of(struct summary *s, const struct json_value *ev)
{
	const char *scope = get_str(ev, "scope");
	int bucket = -1, step = 0;
	struct group *grown;
	size_t i;

	if (scope && !strcmp(scope, "step")) {
		step = (int)get_int(ev, "step");
		if (step < 0)
			step = 0;
	} else {
		bucket = (int)(sizeof(buckets) / sizeof(buckets[0])) - 1;
		for (i = 0; scope && i < sizeof(buckets) / sizeof(buckets[0]);
		     i++)
			if (!strcmp(scope, buckets[i]))
				bucket = (int)i;
	}
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].bucket == bucket && s->groups[i].step == step)
			return (int)i;
	grown = realloc(s->groups, (s->ngroups + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->groups = grown;
	memset(&grown[s->ngroups], 0, sizeof(*grown));
	grown[s->ngroups].bucket = bucket;
	grown[s->ngroups].step = step;
	return (int)s->ngroups++;
}

static int group_append(struct group *g, struct row *r)
{
	struct row **grown;

	if (g->nrows == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		grown = realloc(g->rows, g->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		g->rows = grown;
	}
	g->rows[g->nrows++] = r;
	return 0;
}

/* Count one event into its row, making the row on first sight. */
static int add_row(struct summary *s, const struct json_value *ev,
		   const char *dest, int port, const char *proto,
		   enum status status)
{
	const char *comm = get_str(ev, "comm");
	struct row *r;
	struct hnode *n;
	char *key;
	int group = group_of(s, ev);

	if (group < 0)
		return group;
	if (asprintf(&key, "%d|%s|%d|%s|%d|%s", group, dest, port, proto,
		     (int)status, comm ? comm : "") < 0)
		return -ENOMEM;
	n = htable_find(&s->rows, hash_bytes(key, strlen(key)), key, row_eq);
	if (n) {
		free(key);
		container_of(n, struct row, node)->count++;
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->dest = strdup(dest))) {
		free(r);
		free(key);
		return -ENOMEM;
	}
	r->key = key;
	r->group = (size_t)group;
	r->port = port;
	snprintf(r->proto, sizeof(r->proto), "%s", proto);
	r->status = status;
	snprintf(r->process, sizeof(r->process), "%s", comm ? comm : "");
	r->count = 1;
	r->node.hash = hash_bytes(key, strlen(key));
	htable_insert(&s->rows, &r->node);
	return group_append(&s->groups[group], r);
}

static struct recommend *get_recommend(struct htable *t, const char *dest,
				       bool cidr)
{
	uint32_t hash = hash_bytes(dest, strlen(dest));
	struct hnode *n = htable_find(t, hash, dest, rec_eq);
	struct recommend *r;

	if (n)
		return container_of(n, struct recommend, node);
	r = calloc(1, sizeof(*r));
	if (!r || !(r->dest = strdup(dest))) {
		free(r);
		return NULL;
	}
	r->cidr = cidr;
	r->node.hash = hash;
	htable_insert(t, &r->node);
	return r;
}

/*
 * Note how a destination was reached. A port-scoped rule allows TCP and
 * UDP on its ports only, so anything else (ICMP, a packet without ports)
 * makes the recommendation a rule without ports.
 */
static void recommend_port(struct recommend *r, int port, const char *proto)
{
	bool udp = !strcmp(proto, "udp");
	size_t i;

	if (r->any_port)
		return;
	if (port < 0 || port > 65535 || (strcmp(proto, "tcp") && !udp)) {
		r->any_port = true;
		return;
	}
	for (i = 0; i < r->nports; i++)
		if (r->ports[i] == port && r->udp[i] == udp)
			return;
	if (r->nports == RECOMMEND_PORTS_MAX) {
		r->any_port = true;
		return;
	}
	r->ports[r->nports] = (uint16_t)port;
	r->udp[r->nports++] = udp;
}

/* "443;8080;123/udp", or "" for a rule without ports. */
static const char *recommend_ports(const struct recommend *r, char *buf,
				   size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; !r->any_port && i < r->nports && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u%s", i ? ";" : "",
				      r->ports[i], r->udp[i] ? "/udp" : "");
	return buf;
}

static enum status parse_status(const char *action)
{
	if (action && !strcmp(action, "allowed"))
		return STATUS_ALLOWED;
	if (action && !strcmp(action, "would_block"))
		return STATUS_WOULD_BLOCK;
	return STATUS_BLOCKED;
}

/*
 * Only names a rule can hold are recommended: a name with odd bytes came
 * from someone probing, and pasting it into a workflow would fail anyway.
 */
static bool rule_worthy(const char *name)
{
	char norm[POLICY_HOST_MAX + 1];
	const char *why;

	return !policy_normalise_name(name, norm, sizeof(norm), &why) &&
	       !strchr(norm, '*');
}

static int add_dns(struct summary *s, const struct json_value *ev)
{
	const char *qname = get_str(ev, "qname");
	enum status st = parse_status(get_str(ev, "action"));

	if (!qname)
		return 0;
	if (st == STATUS_ALLOWED)
		s->dns_allowed++;
	else
		s->dns_blocked++;
	if (st == STATUS_WOULD_BLOCK && rule_worthy(qname) &&
	    !get_recommend(&s->recommends, qname, false))
		return -ENOMEM;
	return add_row(s, ev, qname, -1, "dns", st);
}

static int add_connect(struct summary *s, const struct json_value *ev)
{
	const char *host = get_str(ev, "host"), *ip = get_str(ev, "dst_ip");
	const char *proto = get_str(ev, "proto");
	enum status st = parse_status(get_str(ev, "action"));
	int port = (int)get_int(ev, "dst_port");
	const char *dest = host ? host : ip;
	struct recommend *r;
	char unique[600];

	if (!dest || !proto)
		return 0;
	if (st == STATUS_ALLOWED)
		s->conn_allowed++;
	else
		s->conn_blocked++;
	snprintf(unique, sizeof(unique), "%s|%d|%s", dest, port, proto);
	if (!get_recommend(&s->dests, unique, false))
		return -ENOMEM;
	if (st == STATUS_WOULD_BLOCK && (!host || rule_worthy(host))) {
		r = get_recommend(&s->recommends, dest, !host);
		if (!r)
			return -ENOMEM;
		recommend_port(r, port, proto);
	}
	return add_row(s, ev, dest, port, proto, st);
}

/* What a refused socket was, for the destination column. */
static const char *socket_dest(const struct json_value *ev)
{
	const char *family = get_str(ev, "family");
	const char *reason = get_str(ev, "reason");

	if (reason && !strcmp(reason, "qdisc_bypass"))
		return "packet socket bypassing the qdisc";
	if (reason && !strcmp(reason, "xdp_socket"))
		return "AF_XDP socket";
	if (reason && !strcmp(reason, "source_route"))
		return family && !strcmp(family, "ipv6") ?
			       "IPv6 routing header (IPV6_RTHDR)" :
			       "IPv4 source route (IP_OPTIONS)";
	return family && !strcmp(family, "ipv6") ? "raw IPv6 socket" :
						   "raw IPv4 socket";
}

/* A socket a hook refused: a blocked attempt with no address. */
static int add_socket(struct summary *s, const struct json_value *ev)
{
	enum status st = parse_status(get_str(ev, "action"));
	const char *dest = socket_dest(ev);
	const char *type = get_str(ev, "type");

	if (st == STATUS_ALLOWED)
		return 0;
	s->conn_blocked++;
	if (!get_recommend(&s->dests, dest, false))
		return -ENOMEM;
	/* The socket's type stands for the protocol: raw, stream, dgram. */
	return add_row(s, ev, dest, -1, type ? type : "raw", st);
}

static void add_mode(struct summary *s, const struct json_value *ev)
{
	const char *mode = get_str(ev, "mode");

	if (!mode)
		return;
	if (s->mode[0] && strcmp(s->mode, mode))
		s->mixed_modes = true;
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
}

static void add_step(struct summary *s, const struct json_value *ev)
{
	long long step = get_int(ev, "step");
	const char *name = get_str(ev, "name");
	char *copy;

	if (step < 0 || step >= STEP_NAMES_MAX || !name)
		return;
	copy = strdup(name);
	if (!copy)
		return;
	free(s->step_names[step]);
	s->step_names[step] = copy;
}

static void set_text(char **slot, const char *text)
{
	char *copy = text && *text ? strdup(text) : NULL;

	if (!copy)
		return;
	free(*slot);
	*slot = copy;
}

void summary__set_step(struct summary *s, int number, const char *name,
		       const char *conclusion)
{
	if (number < 0 || number >= STEP_NAMES_MAX)
		return;
	set_text(&s->step_names[number], name);
	set_text(&s->step_results[number], conclusion);
}

/* Several runs may share one log: their counters add up. */
static void add_stats(struct summary *s, const struct json_value *ev)
{
	long long v;

	if ((v = get_int(ev, "events_lost")) > 0)
		s->events_lost += (uint64_t)v;
	if ((v = get_int(ev, "events_suppressed")) > 0)
		s->events_suppressed += (uint64_t)v;
	if ((v = get_int(ev, "addresses_refused_full")) > 0)
		s->refused_full += (uint64_t)v;
	if ((v = get_int(ev, "log_write_errors")) > 0)
		s->write_errors += (uint64_t)v;
}

static void add_tamper(struct summary *s, const struct json_value *ev)
{
	const char *comm = get_str(ev, "comm");

	if (s->tamper++)
		return;
	/* The first attempt is named; the audit log has every one. */
	s->tamper_step = get_int(ev, "step");
	snprintf(s->tamper_comm, sizeof(s->tamper_comm), "%s",
		 comm ? comm : "");
}

int summary__add_line(struct summary *s, const char *line, size_t len)
{
	struct json_value *ev = NULL;
	const char *event;
	int err = 0;

	if (json_parse(line, len, &ev, NULL) || ev->type != JSON_OBJECT ||
	    !(event = get_str(ev, "event"))) {
		s->bad_lines++;
		json_free(ev);
		return 0;
	}
	if (!strcmp(event, "dns"))
		err = add_dns(s, ev);
	else if (!strcmp(event, "connect"))
		err = add_connect(s, ev);
	else if (!strcmp(event, "start"))
		add_mode(s, ev);
	else if (!strcmp(event, "step"))
		add_step(s, ev);
	else if (!strcmp(event, "stats"))
		add_stats(s, ev);
	else if (!strcmp(event, "tamper"))
		add_tamper(s, ev);
	else if (!strcmp(event, "socket"))
		err = add_socket(s, ev);
	json_free(ev);
	return err;
}

int summary__add_file(struct summary *s, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0 && n < LINE_MAX_LEN)
			err = summary__add_line(s, line, (size_t)n);
	}
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	return err;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a;
	const struct row *y = *(const struct row *const *)b;
	int c;

	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->dest, y->dest);
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = strcmp(x->proto, y->proto);
	return c ? c : strcmp(x->process, y->process);
}

/* Steps in their order, then the other groups in bucket order. */
static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if ((x->bucket < 0) != (y->bucket < 0))
		return x->bucket < 0 ? -1 : 1;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return (x->step > y->step) - (x->step < y->step);
}

static void sort_all(struct summary *s)
{
	size_t i;

	if (s->ngroups)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), group_cmp);
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].nrows)
			qsort(s->groups[i].rows, s->groups[i].nrows,
			      sizeof(*s->groups[i].rows), row_cmp);
}

static bool audit_mode(const struct summary *s)
{
	return !strcmp(s->mode, "audit");
}

/*
 * Names come from DNS traffic, processes and workflow files: text an
 * attacker may choose. Anything but plain characters becomes an HTML
 * entity, so a name can neither break the table nor add links, images or
 * markup to the job page.
 */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80 ||
		    strchr(" .:/,=+-()", c))
			fputc(c, out);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', out);
		else
			fprintf(out, "&#%u;", c);
	}
}

/*
 * Destinations and process names go in code spans, where GitHub neither
 * renders markup nor turns text into links: a process may name itself
 * "http://..." and a table cell must not become a link. A code span ends
 * at a backtick and a table cell at a pipe, so those are replaced or
 * escaped (GFM reads "\|" in a table as a literal pipe, even in code).
 */
static void md_code(FILE *out, const char *s)
{
	fputc('`', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '`')
			fputc('\'', out);
		else if (c == '|')
			fputs("\\|", out);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', out);
		else
			fputc(c, out);
	}
	fputc('`', out);
}

static const char *status_label(enum status st)
{
	switch (st) {
	case STATUS_BLOCKED:
		return ":no_entry: blocked";
	case STATUS_WOULD_BLOCK:
		return ":warning: would block";
	default:
		return ":white_check_mark: allowed";
	}
}

static void md_header(struct summary *s, FILE *out)
{
	fputs("## moat egress report\n\n", out);
	if (s->mixed_modes)
		fputs("**Mode:** enforce and audit (the log holds several runs).\n\n",
		      out);
	else if (audit_mode(s))
		fputs("**Mode:** audit: nothing was blocked; `would block` marks what enforce mode would have stopped.\n\n",
		      out);
	else
		fputs("**Mode:** enforce: destinations outside the allowlist were blocked.\n\n",
		      out);
	fprintf(out,
		"| | %s | Allowed |\n| --- | ---: | ---: |\n"
		"| Connections | %llu | %llu |\n| DNS queries | %llu | %llu |\n\n",
		audit_mode(s) ? "Would block" : "Blocked",
		(unsigned long long)s->conn_blocked,
		(unsigned long long)s->conn_allowed,
		(unsigned long long)s->dns_blocked,
		(unsigned long long)s->dns_allowed);
	fprintf(out, "%zu unique destination%s.\n\n", s->dests.count,
		s->dests.count == 1 ? "" : "s");
}

static void md_tamper(struct summary *s, FILE *out)
{
	if (!s->tamper)
		return;
	fprintf(out,
		"> [!CAUTION]\n> moat refused %llu attempts to stop it before the job's end; the first came from ",
		(unsigned long long)s->tamper);
	md_code(out, s->tamper_comm[0] ? s->tamper_comm : "?");
	if (s->tamper_step > 0)
		fprintf(out, " in step %lld.", s->tamper_step);
	else
		fputc('.', out);
	fputs(" The audit log's `tamper` events name each one.\n\n", out);
}

static void md_losses(struct summary *s, FILE *out)
{
	if (!s->events_lost && !s->refused_full && !s->write_errors &&
	    !s->events_suppressed)
		return;
	fputs("> [!WARNING]\n", out);
	if (s->events_lost)
		fprintf(out,
			"> %llu events were lost: the kernel's event buffer was full, so these tables may be incomplete.\n",
			(unsigned long long)s->events_lost);
	if (s->events_suppressed)
		fprintf(out,
			"> %llu repeated events were rate-limited and are not listed.\n",
			(unsigned long long)s->events_suppressed);
	if (s->refused_full)
		fprintf(out,
			"> %llu allowed addresses did not fit the kernel's map and were blocked.\n",
			(unsigned long long)s->refused_full);
	if (s->write_errors)
		fprintf(out,
			"> %llu events could not be written to the audit log.\n",
			(unsigned long long)s->write_errors);
	fputc('\n', out);
}

static void md_group_title(struct summary *s, const struct group *g, FILE *out)
{
	if (g->bucket >= 0) {
		fprintf(out, "### %s\n\n", bucket_titles[g->bucket]);
		return;
	}
	if (!g->step) {
		fputs("### A step moat could not name\n\n", out);
		return;
	}
	fprintf(out, "### Step %d", g->step);
	if (g->step < STEP_NAMES_MAX && s->step_names[g->step]) {
		fputs(": ", out);
		md_text(out, s->step_names[g->step]);
	}
	if (g->step < STEP_NAMES_MAX && s->step_results[g->step]) {
		fputs(" (", out);
		md_text(out, s->step_results[g->step]);
		fputc(')', out);
	}
	fputs("\n\n", out);
}

static void md_row(const struct row *r, FILE *out)
{
	fputs("| ", out);
	md_code(out, r->dest);
	if (r->port >= 0)
		fprintf(out, " | %d | ", r->port);
	else
		fputs(" | | ", out);
	md_text(out, r->proto);
	fprintf(out, " | %s | ", status_label(r->status));
	md_code(out, r->process[0] ? r->process : "-");
	fprintf(out, " | %llu |\n", (unsigned long long)r->count);
}

static void md_group(struct summary *s, const struct group *g, FILE *out,
		     size_t max_rows)
{
	size_t i;

	md_group_title(s, g, out);
	fputs("| Destination | Port | Protocol | Status | Process | Count |\n"
	      "| --- | ---: | --- | --- | --- | ---: |\n",
	      out);
	for (i = 0; i < g->nrows && i < max_rows; i++)
		md_row(g->rows[i], out);
	if (g->nrows > max_rows)
		fprintf(out,
			"\n_... and %zu more destinations (`moat summary --format json` lists them all)._\n",
			g->nrows - max_rows);
	fputc('\n', out);
}

struct rec_list {
	struct recommend **items;
	size_t n;
};

static void collect_rec(struct hnode *n, void *ctx)
{
	struct rec_list *l = ctx;

	l->items[l->n++] = container_of(n, struct recommend, node);
}

/* Names alphabetically, addresses in address order, IPv4 first. */
static int rec_cmp(const void *a, const void *b)
{
	const struct recommend *x = *(const struct recommend *const *)a;
	const struct recommend *y = *(const struct recommend *const *)b;
	uint8_t ax[ADDR_LEN], ay[ADDR_LEN];

	if (x->cidr && y->cidr && !addr_parse(x->dest, ax) &&
	    !addr_parse(y->dest, ay))
		return memcmp(ax, ay, ADDR_LEN);
	return strcmp(x->dest, y->dest);
}

/* An address as a rule names it: "192.0.2.7/32", "2001:db8::1/128". */
static void recommend_cidr(const struct recommend *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r->dest,
		 strchr(r->dest, ':') ? "/128" : "/32");
}

/* The recommendations, sorted; the caller frees items. */
static int sorted_recommends(struct summary *s, struct rec_list *l)
{
	l->n = 0;
	l->items = calloc(s->recommends.count + 1, sizeof(*l->items));
	if (!l->items)
		return -ENOMEM;
	htable_for_each(&s->recommends, collect_rec, l);
	if (l->n)
		qsort(l->items, l->n, sizeof(*l->items), rec_cmp);
	return 0;
}

/*
 * Lines inside a fenced code block are shown as they are: entities would
 * not decode there. Recommended names passed the rule syntax and
 * addresses are addresses, so nothing in them can close the fence.
 */
static void md_rec_lines(const struct rec_list *l, bool cidr, FILE *out)
{
	char dest[ADDR_TEXT_MAX + 8], ports[RECOMMEND_PORTS_MAX * 12];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct recommend *r = l->items[i];
		bool brackets;

		if (r->cidr != cidr)
			continue;
		recommend_ports(r, ports, sizeof(ports));
		brackets = cidr && strchr(r->dest, ':') && ports[0];
		if (cidr)
			recommend_cidr(r, dest, sizeof(dest));
		fprintf(out, "  %s%s%s%s%s\n", brackets ? "[" : "",
			cidr ? dest : r->dest, brackets ? "]" : "",
			ports[0] ? ":" : "", ports);
	}
}

static int md_recommend(struct summary *s, FILE *out)
{
	struct rec_list l;
	bool cidrs = false, hosts = false;
	size_t i;

	if (!audit_mode(s) || !s->recommends.count)
		return 0;
	if (sorted_recommends(s, &l))
		return -ENOMEM;
	for (i = 0; i < l.n; i++) {
		cidrs |= l.items[i]->cidr;
		hosts |= !l.items[i]->cidr;
	}
	fputs("### Recommended allowlist\n\n"
	      "What this run reached outside the allowlist. Review it, then paste it into the workflow and switch to `mode: enforce`:\n\n```yaml\n",
	      out);
	if (hosts) {
		fputs("allowed-hosts: |\n", out);
		md_rec_lines(&l, false, out);
	}
	if (cidrs) {
		fputs("allowed-cidrs: |\n", out);
		md_rec_lines(&l, true, out);
	}
	fputs("```\n", out);
	free(l.items);
	return 0;
}

int summary__markdown(struct summary *s, FILE *out, size_t max_rows)
{
	size_t i;

	sort_all(s);
	md_header(s, out);
	md_tamper(s, out);
	md_losses(s, out);
	if (!s->ngroups)
		fputs("No DNS queries or connections were recorded.\n\n", out);
	for (i = 0; i < s->ngroups; i++)
		md_group(s, &s->groups[i], out, max_rows);
	if (md_recommend(s, out))
		return -ENOMEM;
	return ferror(out) ? -EIO : 0;
}

/*
 * Text for a terminal: names an attacker chose (a DNS name, a process's
 * name) could carry escape sequences, so only printable ASCII gets out.
 */
static void text_plain(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', out);
}

static void text_row(const struct row *r, FILE *out)
{
	fprintf(out, "moat:   %-11s ",
		r->status == STATUS_BLOCKED ? "blocked" : "would block");
	text_plain(out, r->dest);
	if (r->port >= 0)
		fprintf(out, " port %d", r->port);
	fputc(' ', out);
	text_plain(out, r->proto);
	fputs(" by ", out);
	text_plain(out, r->process[0] ? r->process : "?");
	fprintf(out, " (%llu)\n", (unsigned long long)r->count);
}

int summary__text(struct summary *s, FILE *out, size_t max_rows)
{
	size_t i, j, shown = 0, hidden = 0;

	sort_all(s);
	fprintf(out, "moat: %s: %llu connection%s and %llu DNS quer%s %s; ",
		audit_mode(s) ? "audit mode" : "enforce mode",
		(unsigned long long)s->conn_blocked,
		s->conn_blocked == 1 ? "" : "s",
		(unsigned long long)s->dns_blocked,
		s->dns_blocked == 1 ? "y" : "ies",
		audit_mode(s) ? "would have been blocked" : "blocked");
	fprintf(out, "%llu and %llu allowed\n",
		(unsigned long long)s->conn_allowed,
		(unsigned long long)s->dns_allowed);
	for (i = 0; i < s->ngroups; i++)
		for (j = 0; j < s->groups[i].nrows; j++) {
			const struct row *r = s->groups[i].rows[j];

			if (r->status == STATUS_ALLOWED)
				continue;
			if (shown++ < max_rows)
				text_row(r, out);
			else
				hidden++;
		}
	if (hidden)
		fprintf(out,
			"moat:   ... and %zu more (the audit log has them all)\n",
			hidden);
	if (s->events_lost)
		fprintf(out,
			"moat: %llu events were lost: the list may be incomplete\n",
			(unsigned long long)s->events_lost);
	return ferror(out) ? -EIO : 0;
}

/* One JSON value per line of output would be NDJSON; this is a document. */
static void json_rows(struct json_writer *w, const struct group *g)
{
	static const char *const names[] = { "blocked", "would_block",
					     "allowed" };
	size_t i;

	json_w_array_begin(w, "rows");
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = g->rows[i];

		json_w_object_begin(w);
		json_w_string(w, "destination", r->dest);
		if (r->port >= 0)
			json_w_int(w, "port", r->port);
		else
			json_w_null(w, "port");
		json_w_string(w, "proto", r->proto);
		json_w_string(w, "status", names[r->status]);
		json_w_string(w, "process", r->process[0] ? r->process : NULL);
		json_w_uint(w, "count", r->count);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void json_groups(struct summary *s, struct json_writer *w)
{
	size_t i;

	json_w_array_begin(w, "groups");
	for (i = 0; i < s->ngroups; i++) {
		const struct group *g = &s->groups[i];

		json_w_object_begin(w);
		json_w_string(w, "scope",
			      g->bucket >= 0 ? buckets[g->bucket] : "step");
		if (g->bucket < 0 && g->step && g->step < STEP_NAMES_MAX) {
			json_w_int(w, "step", g->step);
			json_w_string(w, "name", s->step_names[g->step]);
			json_w_string(w, "conclusion",
				      s->step_results[g->step]);
		} else {
			json_w_null(w, "step");
			json_w_null(w, "name");
			json_w_null(w, "conclusion");
		}
		json_rows(w, g);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void json_totals(struct summary *s, struct json_writer *w)
{
	json_w_key_object_begin(w, "totals");
	json_w_uint(w, "connections_blocked", s->conn_blocked);
	json_w_uint(w, "connections_allowed", s->conn_allowed);
	json_w_uint(w, "dns_blocked", s->dns_blocked);
	json_w_uint(w, "dns_allowed", s->dns_allowed);
	json_w_uint(w, "unique_destinations", s->dests.count);
	json_w_uint(w, "events_lost", s->events_lost);
	json_w_uint(w, "events_suppressed", s->events_suppressed);
	json_w_uint(w, "addresses_refused_full", s->refused_full);
	json_w_uint(w, "log_write_errors", s->write_errors);
	json_w_uint(w, "unreadable_lines", s->bad_lines);
	json_w_uint(w, "stops_refused", s->tamper);
	json_w_object_end(w);
}

/* One recommendation, as the markdown gives it: a CIDR for an address. */
static void json_rec(struct json_writer *w, const struct recommend *r)
{
	char dest[ADDR_TEXT_MAX + 8], ports[RECOMMEND_PORTS_MAX * 12];

	if (r->cidr)
		recommend_cidr(r, dest, sizeof(dest));
	recommend_ports(r, ports, sizeof(ports));
	json_w_object_begin(w);
	json_w_string(w, "destination", r->cidr ? dest : r->dest);
	json_w_string(w, "ports", ports[0] ? ports : NULL);
	json_w_object_end(w);
}

static int json_recommend(struct summary *s, struct json_writer *w)
{
	struct rec_list l;
	size_t i;
	int pass;

	if (sorted_recommends(s, &l))
		return -ENOMEM;
	json_w_key_object_begin(w, "recommended");
	for (pass = 0; pass < 2; pass++) {
		json_w_array_begin(w, pass ? "cidrs" : "hosts");
		for (i = 0; audit_mode(s) && i < l.n; i++) {
			if (l.items[i]->cidr != (pass == 1))
				continue;
			json_rec(w, l.items[i]);
		}
		json_w_array_end(w);
	}
	json_w_object_end(w);
	free(l.items);
	return 0;
}

int summary__json(struct summary *s, FILE *out)
{
	struct json_writer w;
	int err;

	sort_all(s);
	json_writer_init(&w);
	json_w_object_begin(&w);
	json_w_string(&w, "mode",
		      s->mixed_modes ? "mixed" :
		      s->mode[0]     ? s->mode :
				       NULL);
	json_totals(s, &w);
	json_groups(s, &w);
	err = json_recommend(s, &w);
	json_w_object_end(&w);
	if (!err)
		err = json_writer_finish(&w);
	if (!err && fwrite(w.buf, 1, w.len, out) != w.len)
		err = -EIO;
	json_writer_free(&w);
	return err;
}
