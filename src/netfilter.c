// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netfilter.c - send every DNS query of this host to moat's proxy */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "moat.h"
#include "netfilter.h"
#include "subproc.h"

/*
 * One nft transaction: declaring the table first makes the delete succeed
 * whether or not a table survived an earlier run, and the new table
 * replaces it with no moment in between. The output hook sees every query
 * this host sends, to any resolver, including systemd-resolved's stub at
 * 127.0.0.53; the proxy's own upstream sockets carry MOAT_SOCK_MARK and
 * pass untouched.
 */
static int output_chain(const struct redirect_config *cfg, char *buf,
			size_t len)
{
	char v4[ADDR_TEXT_MAX], v6[ADDR_TEXT_MAX];
	int n;

	endpoint_format(&cfg->listen_v4, v4, sizeof(v4));
	endpoint_format(&cfg->listen_v6, v6, sizeof(v6));
	n = snprintf(buf, len,
		     "\tchain dns_redirect {\n"
		     "\t\ttype nat hook output priority -100; policy accept;\n"
		     "\t\tmeta mark 0x%08x return\n"
		     "\t\tmeta nfproto ipv4 udp dport 53 dnat ip to %s\n"
		     "\t\tmeta nfproto ipv4 tcp dport 53 dnat ip to %s\n",
		     MOAT_SOCK_MARK, v4, v4);
	if (n > 0 && (size_t)n < len && cfg->have_v6)
		n += snprintf(
			buf + n, len - (size_t)n,
			"\t\tmeta nfproto ipv6 udp dport 53 dnat ip6 to %s\n"
			"\t\tmeta nfproto ipv6 tcp dport 53 dnat ip6 to %s\n",
			v6, v6);
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "\t}\n");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/*
 * The proxy's upstream flows get a conntrack zone of their own. Without
 * one, a UDP flow's entry outlives its socket (30 seconds or more), and a
 * client whose new socket happens to get the same source port for the
 * same resolver matches that entry: its query leaves with the proxy's
 * null NAT binding, unredirected, and the classifier drops it. The other
 * way round, an upstream query reusing a client flow's port would be
 * redirected back to the proxy. Zones are set before conntrack looks (raw
 * priority): by the socket mark on the way out, and by the resolver's
 * address and port for its replies, which come in through prerouting or,
 * from a resolver on this host, through output.
 */
static int zone_rules(const struct redirect_config *cfg, char *buf, size_t len)
{
	char addr[ADDR_TEXT_MAX];
	size_t i;
	int n = 0, m;

	for (i = 0; i < cfg->nupstreams && n >= 0 && (size_t)n < len; i++) {
		const struct endpoint *u = &cfg->upstreams[i];
		const char *family = addr_is_v4(u->addr) ? "ip" : "ip6";

		addr_format(u->addr, addr, sizeof(addr));
		m = snprintf(buf + n, len - (size_t)n,
			     "\t\t%s saddr %s udp sport %u ct zone set %u\n"
			     "\t\t%s saddr %s tcp sport %u ct zone set %u\n",
			     family, addr, (unsigned int)u->port, MOAT_CT_ZONE,
			     family, addr, (unsigned int)u->port, MOAT_CT_ZONE);
		n = m < 0 ? m : n + m;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static int zone_chains(const struct redirect_config *cfg, char *buf, size_t len)
{
	char rules[1536];
	int n;

	n = zone_rules(cfg, rules, sizeof(rules));
	if (n < 0)
		return n;
	n = snprintf(
		buf, len,
		"\tchain upstream_zone_out {\n"
		"\t\ttype filter hook output priority -300; policy accept;\n"
		"\t\tmeta mark 0x%08x ct zone set %u\n"
		"%s"
		"\t}\n"
		"\tchain upstream_zone_in {\n"
		"\t\ttype filter hook prerouting priority -300; policy accept;\n"
		"%s"
		"\t}\n",
		MOAT_SOCK_MARK, MOAT_CT_ZONE, rules, rules);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/*
 * Queries routed through this host (a container's, a NATed namespace's)
 * meet the prerouting hook instead: they go to the forwarded listener, on
 * the address of the interface they came in by. Queries arriving on the
 * guarded interface are someone else's to answer, and nothing from there
 * may reach the forwarded listener.
 */
static int forwarded_chains(const struct redirect_config *cfg, char *buf,
			    size_t len)
{
	int n;

	if (!cfg->forwarded_port)
		return 0;
	n = snprintf(
		buf, len,
		"\tchain dns_forwarded {\n"
		"\t\ttype nat hook prerouting priority -100; policy accept;\n"
		"\t\tiifname \"%s\" return\n"
		"\t\tudp dport 53 redirect to :%u\n"
		"\t\ttcp dport 53 redirect to :%u\n"
		"\t}\n"
		"\tchain forwarded_guard {\n"
		"\t\ttype filter hook input priority -100; policy accept;\n"
		"\t\tiifname \"%s\" udp dport %u drop\n"
		"\t\tiifname \"%s\" tcp dport %u drop\n"
		"\t}\n",
		cfg->egress, cfg->forwarded_port, cfg->forwarded_port,
		cfg->egress, cfg->forwarded_port, cfg->egress,
		cfg->forwarded_port);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* An interface name goes between quotes in the ruleset: keep it plain. */
static bool ifname_plain(const char *name)
{
	return *name &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") ==
		       strlen(name);
}

static int build_ruleset(const struct redirect_config *cfg, char *buf,
			 size_t len)
{
	int n, m;

	if (cfg->forwarded_port && !ifname_plain(cfg->egress))
		return -EINVAL;
	n = snprintf(buf, len,
		     "table inet " MOAT_NFT_TABLE "\n"
		     "delete table inet " MOAT_NFT_TABLE "\n"
		     "table inet " MOAT_NFT_TABLE " {\n");
	m = output_chain(cfg, buf + n, len - (size_t)n);
	if (m < 0)
		return m;
	n += m;
	m = forwarded_chains(cfg, buf + n, len - (size_t)n);
	if (m < 0)
		return m;
	n += m;
	m = zone_chains(cfg, buf + n, len - (size_t)n);
	if (m < 0)
		return m;
	n += m;
	m = snprintf(buf + n, len - (size_t)n, "}\n");
	return m < 0 || (size_t)m >= len - (size_t)n ? -ENAMETOOLONG : 0;
}

static int run_nft(const char *const argv[], const char *input, char *err,
		   size_t err_len)
{
	char output[2048];
	int status;

	status = subproc_run(argv, input, output, sizeof(output));
	if (status == -ENOENT) {
		snprintf(err, err_len,
			 "nft not found; install the nftables package");
		return -ENOENT;
	}
	if (status < 0) {
		snprintf(err, err_len, "cannot run nft: %s", strerror(-status));
		return status;
	}
	if (status) {
		snprintf(err, err_len, "nft failed: %s", output);
		return -EIO;
	}
	return 0;
}

int netfilter__install(const struct redirect_config *cfg, char *err,
		       size_t err_len)
{
	const char *const argv[] = { "nft", "-f", "-", NULL };
	char ruleset[4096];
	int ret;

	ret = build_ruleset(cfg, ruleset, sizeof(ruleset));
	if (ret == -EINVAL)
		snprintf(err, err_len,
			 "interface '%s': a name nft cannot quote",
			 cfg->egress);
	else if (ret)
		snprintf(err, err_len, "the ruleset outgrew its buffer");
	if (ret)
		return ret;
	return run_nft(argv, ruleset, err, err_len);
}

int netfilter__remove(char *err, size_t err_len)
{
	const char *const argv[] = { "nft", "-f", "-", NULL };

	if (!netfilter__present())
		return 0;
	return run_nft(argv, "delete table inet " MOAT_NFT_TABLE "\n", err,
		       err_len);
}

bool netfilter__present(void)
{
	const char *const argv[] = { "nft",  "list",	     "table",
				     "inet", MOAT_NFT_TABLE, NULL };
	char output[64];

	return subproc_run(argv, NULL, output, sizeof(output)) == 0;
}
