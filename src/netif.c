// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netif.c - the network interface moat guards */
#include <errno.h>
#include <limits.h>
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
