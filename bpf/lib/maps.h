/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* maps.h - the maps of the moat datapath; the daemon fills them */
#ifndef MOAT_BPF_MAPS_H
#define MOAT_BPF_MAPS_H

/*
 * Sizes are upper bounds the daemon refuses to exceed; it counts what it
 * had to refuse. The learned-address hash is preallocated so that a lookup
 * never races an allocation and an update never fails for lack of memory
 * once the daemon has started.
 */
#define MOAT_CIDR_MAX 16384
#define MOAT_PORTS_MAX 16384
#define MOAT_UPSTREAMS_MAX 16
#define MOAT_INBOUND_MAX 16384
#define MOAT_FRAGS_MAX 4096
#define MOAT_SEEN_MAX 8192
#define MOAT_EVENTS_BYTES (1 << 20)
#define MOAT_PROCS_MAX 65536
#define MOAT_SOCKS_MAX 65536
#define MOAT_DNS_CLIENTS_MAX 8192
#define MOAT_UPSTREAM_SOCKS_MAX 8192
#define MOAT_ONLINK_MAX 64
#define MOAT_DHCP_SERVERS_MAX 8
#define MOAT_LOCAL_ADDRS_MAX 256

/* Addresses learned from allowed DNS answers, folded with the CIDR rules. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_LEARNED_DEFAULT);
	__type(key, struct moat_addr_key);
	__type(value, struct moat_entry);
} moat_learned SEC(".maps");

/* CIDR rules; each prefix's entry is the union of the rules containing it. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MOAT_CIDR_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct moat_lpm_key);
	__type(value, struct moat_entry);
} moat_cidr SEC(".maps");

/* Members of the interned port sets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_PORTS_MAX);
	__type(key, struct moat_port_key);
	__type(value, __u8);
} moat_ports SEC(".maps");

/* Upstream resolvers the proxy's marked sockets may reach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_UPSTREAMS_MAX);
	__type(key, struct moat_upstream_key);
	__type(value, __u8);
} moat_upstreams SEC(".maps");

/*
 * Flows that remote peers opened, recorded at ingress, for replies that
 * leave without a socket of this host: forwarded traffic (a container's
 * published port), the kernel's ICMP errors and echo replies. UDP flows
 * to a local server socket count too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_INBOUND_MAX);
	__type(key, struct moat_flow_key);
	__type(value, __u8);
} moat_inbound SEC(".maps");

/*
 * TCP sockets a peer opened (passively established), by socket cookie:
 * their packets are replies, whatever a tuple says.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_INBOUND_MAX);
	__type(key, __u64);
	__type(value, __u8);
} moat_passive SEC(".maps");

/*
 * Sockets that were connected before moat started, by cookie: the
 * runner's own connections among them, which a job must not lose. New
 * connections face the policy; these are kept until they close.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_INBOUND_MAX);
	__type(key, __u64);
	__type(value, __u8);
} moat_kept SEC(".maps");

/* The proxy's upstream sockets, by cookie. A mark can be forged. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_UPSTREAM_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u8);
} moat_upstream_socks SEC(".maps");

/*
 * The link's own IPv6 prefixes, and its DHCP servers: neighbour discovery
 * and DHCP may reach these, and nothing else, outside the policy.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MOAT_ONLINK_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct moat_lpm_key);
	__type(value, __u8);
} moat_onlink SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_DHCP_SERVERS_MAX);
	__type(key, struct moat_addr_key);
	__type(value, __u8);
} moat_dhcp_servers SEC(".maps");

/* Datagrams whose first fragment was allowed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_FRAGS_MAX);
	__type(key, struct moat_frag_key);
	__type(value, struct moat_frag_verdict);
} moat_frags SEC(".maps");

/* When each (socket, flow, action) last produced an event. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_SEEN_MAX);
	__type(key, struct moat_seen_key);
	__type(value, __u64);
} moat_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MOAT_EVENTS_BYTES);
} moat_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MOAT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} moat_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct moat_budget);
} moat_budget SEC(".maps");

/*
 * Process tags by thread group id. Every fork writes the child's entry
 * (or deletes it), so a reused pid never inherits a dead process's tag;
 * LRU keeps the map bounded on hosts that fork without end.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_PROCS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} moat_proc_tag SEC(".maps");

/* The process behind each socket, by socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct moat_owner);
} moat_sock_owner SEC(".maps");

/*
 * The process behind each DNS client socket, by the socket's address and
 * port: NAT hides the client's socket from the proxy, not its port.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_DNS_CLIENTS_MAX);
	__type(key, struct moat_endpoint_key);
	__type(value, struct moat_owner);
} moat_dns_client SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct moat_config);
} moat_config SEC(".maps");

/*
 * moat run: the sockets whose connect() or sendmsg() a hook let through,
 * by cookie, and where to. Their packets to that destination were judged
 * there; the egress hook judges the rest (ICMP, raw sockets, a packet a
 * source route sends elsewhere, an unconnected socket's other peers).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct moat_dest);
} moat_approved SEC(".maps");

/* moat run: where each redirected DNS socket meant to send, by cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOAT_DNS_CLIENTS_MAX);
	__type(key, __u64);
	__type(value, struct moat_dest);
} moat_dns_dest SEC(".maps");

/* moat run: this host's own addresses, which no packet leaves it for. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MOAT_LOCAL_ADDRS_MAX);
	__type(key, struct moat_addr_key);
	__type(value, __u8);
} moat_local SEC(".maps");

#endif /* MOAT_BPF_MAPS_H */
