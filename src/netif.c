// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netif.c - the network interface moat guards */
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netif.h"

/* route(8)'s table: the default route has destination 00000000. */
static int default_route_v4(char name[IF_NAMESIZE])
{
	char line[256], iface[IF_NAMESIZE];
	unsigned int dest, flags, metric, best = UINT_MAX;
	FILE *f = fopen("/proc/net/route", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %x %*x %x %*d %*d %u", iface, &dest,
			   &flags, &metric) != 4)
			continue;
		if (dest != 0 || !(flags & 0x1) || metric >= best)
			continue; /* not a default route, or down (RTF_UP) */
		best = metric;
		memcpy(name, iface, IF_NAMESIZE);
	}
	fclose(f);
	return best == UINT_MAX ? -ENOENT : 0;
}

/* ipv6_route: destination, prefix length ... metric ... flags, device. */
static int default_route_v6(char name[IF_NAMESIZE])
{
	char line[512], dest[33], iface[IF_NAMESIZE];
	unsigned int plen, metric, best = UINT_MAX;
	FILE *f = fopen("/proc/net/ipv6_route", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%32s %x %*s %*x %*s %x %*x %*x %*x %15s",
			   dest, &plen, &metric, iface) != 4)
			continue;
		if (plen != 0 || strspn(dest, "0") != 32 || metric >= best ||
		    !strcmp(iface, "lo"))
			continue;
		best = metric;
		memcpy(name, iface, IF_NAMESIZE);
	}
	fclose(f);
	return best == UINT_MAX ? -ENOENT : 0;
}

/* The ARPHRD_* type, asked of the kernel: /sys may show another netns. */
static int link_type(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd, type = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		type = ifr.ifr_hwaddr.sa_family;
	close(fd);
	return type;
}

int netif_resolve(const char *name, struct netif *nif)
{
	int type;

	memset(nif, 0, sizeof(*nif));
	if (name) {
		snprintf(nif->name, sizeof(nif->name), "%s", name);
	} else if (default_route_v4(nif->name) && default_route_v6(nif->name)) {
		pr_err("no default route to find the egress interface by; pass --interface IFACE");
		return -ENODEV;
	}

	nif->ifindex = (int)if_nametoindex(nif->name);
	if (!nif->ifindex) {
		pr_err("interface '%s': %s", nif->name, errstr(errno));
		return -ENODEV;
	}
	type = link_type(nif->name);
	if (type < 0) {
		pr_err("interface '%s': cannot read its link type: %s",
		       nif->name, errstr(errno));
		return -ENODEV;
	}
	nif->has_l2 = type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK;
	return 0;
}

static uint8_t netmask_length(const struct sockaddr_in6 *mask)
{
	uint8_t len = 0;
	int i;

	for (i = 0; i < ADDR_LEN; i++)
		len += (uint8_t)__builtin_popcount(mask->sin6_addr.s6_addr[i]);
	return len;
}

int netif_ipv6_prefixes(const struct netif *nif, struct cidr *out, size_t max)
{
	struct ifaddrs *ifa, *all;
	size_t n = 0;

	if (getifaddrs(&all))
		return -errno;
	for (ifa = all; ifa && n < max; ifa = ifa->ifa_next) {
		const struct sockaddr_in6 *a = (void *)ifa->ifa_addr;

		if (!a || a->sin6_family != AF_INET6 || !ifa->ifa_netmask ||
		    strcmp(ifa->ifa_name, nif->name) ||
		    IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
			continue;
		memcpy(out[n].addr, &a->sin6_addr, ADDR_LEN);
		out[n].prefixlen =
			netmask_length((const void *)ifa->ifa_netmask);
		cidr_clear_host_bits(&out[n]);
		n++;
	}
	freeifaddrs(all);
	return (int)n;
}

/* The value after a key in a lease file, up to a quote, ';' or space. */
static bool lease_value(const char *line, const char *key, char *out,
			size_t len)
{
	const char *p = strstr(line, key);

	if (!p)
		return false;
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\"; \t\n"), p);
	return true;
}

/* Every server named in a lease file; dhclient lists older leases first. */
static void lease_servers(const char *path, const char *key,
			  uint8_t (*out)[ADDR_LEN], size_t max, size_t *n)
{
	char line[512], value[64];
	uint8_t addr[ADDR_LEN];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!lease_value(line, key, value, sizeof(value)) ||
		    addr_parse(value, addr))
			continue;
		if (*n && !memcmp(out[*n - 1], addr, ADDR_LEN))
			continue;
		if (*n == max) {
			/* Keep the newest: drop the oldest. */
			memmove(out[0], out[1], (max - 1) * ADDR_LEN);
			(*n)--;
		}
		memcpy(out[(*n)++], addr, ADDR_LEN);
	}
	fclose(f);
}

int netif_dhcp_servers(const struct netif *nif, uint8_t (*out)[ADDR_LEN],
		       size_t max)
{
	char path[PATH_MAX];
	size_t n = 0;

	snprintf(path, sizeof(path), "/run/systemd/netif/leases/%d",
		 nif->ifindex);
	lease_servers(path, "SERVER_ADDRESS=", out, max, &n);
	snprintf(path, sizeof(path), "/var/lib/dhcp/dhclient.%s.leases",
		 nif->name);
	lease_servers(path, "dhcp-server-identifier ", out, max, &n);
	lease_servers("/var/lib/dhcp/dhclient.leases",
		      "dhcp-server-identifier ", out, max, &n);
	return (int)n;
}
