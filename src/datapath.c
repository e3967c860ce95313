// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* datapath.c - load the classifier, fill its maps, attach it to a link */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datapath.h"
#include "log.h"
#include "moat.skel.h"

/*
 * moat's filters sit at priority 1, ahead of any other filter, with a
 * handle of their own: a stale filter left by a killed run is found (and
 * replaced in place) by these two numbers.
 */
#define MOAT_TC_PRIORITY 1
#define MOAT_TC_HANDLE 0x6d6f6174 /* "moat" */

#define DATAPATH_LINKS_MAX 16
#define DATAPATH_CONFINED_MAX 16

/* A program attached to a cgroup without a link, to detach at close. */
struct confined_hook {
	int prog_fd;
	enum bpf_attach_type type;
};

struct datapath {
	struct moat_bpf *skel;
	struct bpf_link *links[DATAPATH_LINKS_MAX];
	int nlinks;
	struct confined_hook confined[DATAPATH_CONFINED_MAX];
	int nconfined;
	int confined_cgroup_fd;
	struct moat_config config;
	struct ring_buffer *events;
	datapath_event_fn event_fn;
	void *event_ctx;
	int ifindex;
	uint32_t portsets_written; /* ids below this are in the map */
};

/*
 * Can a tracing program attach at the entry of a kernel function? Not
 * where the function is in a module (packet sockets may be), nor where
 * the kernel refuses tracing programs (some sandboxes do, with EPERM).
 * Loading and attaching a program that does nothing tells.
 */
static bool fentry_supported(const char *func)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog_fd, link_fd;

	id = libbpf_find_vmlinux_btf_id(func, BPF_TRACE_FENTRY);
	if (id < 0)
		return false;
	opts.attach_btf_id = (__u32)id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "moat_probe", "GPL",
				insns, 2, &opts);
	if (prog_fd < 0)
		return false;
	link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_FENTRY, NULL);
	close(prog_fd);
	if (link_fd < 0)
		return false;
	close(link_fd);
	return true;
}

/*
 * The socket-option hook names the process it refuses, with helpers that
 * older kernels do not give socket-option programs. Where they are
 * missing the hook is left out (a packet socket with PACKET_QDISC_BYPASS
 * can then send past the classifier), rather than moat failing to load.
 */
static bool sockopt_hook_supported(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
				       BPF_FUNC_get_current_pid_tgid,
				       NULL) > 0 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
				       BPF_FUNC_get_current_comm, NULL) > 0;
}

/*
 * Can a socket-address hook choose the error of a call it refuses
 * (bpf_set_retval, Linux 5.18)? A program that calls it tells.
 */
static bool set_retval_supported(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_set_retval },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "moat_probe", "GPL",
			   insns, 4, &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Programs some kernels cannot load: without them moat does less, and says. */
static void leave_out_unsupported(struct moat_bpf *skel, unsigned int programs)
{
	if ((programs & DATAPATH_LINK) && !fentry_supported("packet_sendmsg")) {
		pr_warn("this kernel does not let moat trace packet_sendmsg: frames from packet sockets are filtered but not attributed to a process");
		bpf_program__set_autoload(skel->progs.moat_packet_sendmsg,
					  false);
	}
	if (!sockopt_hook_supported()) {
		if (programs & DATAPATH_LINK)
			pr_warn("this kernel's socket-option hooks cannot name a process: packet sockets that bypass the qdisc are not refused");
		else
			pr_info("this kernel's socket-option hooks cannot name a process: source routes are dropped, not refused");
		bpf_program__set_autoload(skel->progs.moat_setsockopt, false);
	}
	if (programs & DATAPATH_CONFINE) {
		skel->rodata->moat_has_set_retval = set_retval_supported();
		if (!skel->rodata->moat_has_set_retval)
			pr_info("this kernel cannot choose a refused call's error: refused connections fail with EPERM, not ECONNREFUSED");
	}
}

/* Load only the programs of what this datapath guards. */
static void choose_programs(struct moat_bpf *skel, unsigned int programs)
{
	struct bpf_program *link_only[] = {
		skel->progs.moat_tc_egress,  skel->progs.moat_tc_ingress,
		skel->progs.moat_connect4,   skel->progs.moat_connect6,
		skel->progs.moat_sendmsg4,   skel->progs.moat_sendmsg6,
		skel->progs.moat_dns_egress, skel->progs.moat_packet_sendmsg,
		skel->progs.moat_fork,	     skel->progs.moat_exit,
	};
	struct bpf_program *confine_only[] = {
		skel->progs.moat_run_connect4,
		skel->progs.moat_run_connect6,
		skel->progs.moat_run_sendmsg4,
		skel->progs.moat_run_sendmsg6,
		skel->progs.moat_run_recvmsg4,
		skel->progs.moat_run_recvmsg6,
		skel->progs.moat_run_getpeername4,
		skel->progs.moat_run_getpeername6,
		skel->progs.moat_run_egress,
	};
	size_t i;

	for (i = 0; i < sizeof(link_only) / sizeof(link_only[0]); i++)
		bpf_program__set_autoload(link_only[i],
					  programs & DATAPATH_LINK);
	for (i = 0; i < sizeof(confine_only) / sizeof(confine_only[0]); i++)
		bpf_program__set_autoload(confine_only[i],
					  programs & DATAPATH_CONFINE);
}

int datapath__open(struct datapath **out, const struct datapath_opts *opts)
{
	unsigned int programs;
	struct datapath *dp;
	int err;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->ifindex = opts->ifindex;
	dp->portsets_written = 2; /* the fixed ids have no members */
	dp->confined_cgroup_fd = -1;
	programs = opts->programs ? opts->programs : DATAPATH_LINK;

	/*
	 * With -vv, the verifier's statistics for each program (instructions
	 * processed, time taken): what a slow start or a refused program
	 * comes down to.
	 */
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .kernel_log_level = log_get_level() >= LOG_LEVEL_DEBUG ?
						4 /* BPF_LOG_STATS */ :
						0);

	dp->skel = moat_bpf__open_opts(&open_opts);
	if (!dp->skel) {
		err = -errno;
		pr_err("BPF object 'moat': cannot open: %s", errstr(err));
		goto fail;
	}
	dp->skel->rodata->moat_audit = opts->audit;
	dp->skel->rodata->moat_has_l2 = opts->has_l2;
	choose_programs(dp->skel, programs);
	leave_out_unsupported(dp->skel, programs);
	if (opts->max_learned) {
		err = bpf_map__set_max_entries(dp->skel->maps.moat_learned,
					       opts->max_learned);
		if (err)
			goto fail;
	}

	err = moat_bpf__load(dp->skel);
	if (err) {
		pr_err("BPF object 'moat': cannot load: %s%s", errstr(err),
		       err == -EPERM ?
			       "; moat needs root (CAP_BPF and CAP_NET_ADMIN)" :
			       "");
		goto fail;
	}
	*out = dp;
	return 0;

fail:
	datapath__close(dp);
	return err;
}

void datapath__close(struct datapath *dp)
{
	int i;

	if (!dp)
		return;
	for (i = 0; i < dp->nconfined; i++)
		bpf_prog_detach2(dp->confined[i].prog_fd,
				 dp->confined_cgroup_fd, dp->confined[i].type);
	if (dp->confined_cgroup_fd >= 0)
		close(dp->confined_cgroup_fd);
	for (i = 0; i < dp->nlinks; i++)
		bpf_link__destroy(dp->links[i]);
	ring_buffer__free(dp->events);
	moat_bpf__destroy(dp->skel);
	free(dp);
}

static int map_put(struct bpf_map *map, const void *key, const void *value)
{
	int err = bpf_map__update_elem(map, key, bpf_map__key_size(map), value,
				       bpf_map__value_size(map), BPF_ANY);

	/* A full hash answers -E2BIG; say what it means. */
	return err == -E2BIG ? -ENOSPC : err;
}

int datapath__sync_portsets(struct datapath *dp, const struct portsets *ps)
{
	uint32_t id, total = portsets__count(ps);
	uint8_t one = 1;
	int err;

	for (id = dp->portsets_written; id < total; id++) {
		const struct port_spec *specs;
		size_t i, n;

		specs = portsets__members(ps, id, &n);
		for (i = 0; i < n; i++) {
			struct moat_port_key key = { .set = id,
						     .port = specs[i].port,
						     .proto = specs[i].proto };

			err = map_put(dp->skel->maps.moat_ports, &key, &one);
			if (err)
				return err;
		}
		dp->portsets_written = id + 1;
	}
	return 0;
}

void verdict_to_entry(const struct verdict *v, struct moat_entry *e)
{
	e->allow_set = v->allow_set;
	e->deny_set = v->deny_set;
	e->allow_rule = v->allow_rule;
	e->deny_rule = v->deny_rule;
}

/*
 * The trie holds one entry per rule prefix, each the union of every rule
 * containing it: a longest-prefix lookup then sees all rules that cover
 * the address, never only the most specific one.
 */
static int load_cidrs(struct datapath *dp, const struct policy *p)
{
	struct moat_lpm_key key;
	struct moat_entry entry;
	struct verdict v;
	uint32_t i;
	int err;

	for (i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];

		if (r->kind != RULE_CIDR)
			continue;
		policy__match_prefix(p, &r->cidr, &v);
		verdict_to_entry(&v, &entry);
		key.prefixlen = r->cidr.prefixlen;
		memcpy(key.addr, r->cidr.addr, ADDR_LEN);
		err = map_put(dp->skel->maps.moat_cidr, &key, &entry);
		if (err) {
			pr_err("rule '%s': cannot store it in the datapath: %s",
			       r->text, errstr(err));
			return err;
		}
	}
	return 0;
}

static int load_upstreams(struct datapath *dp, const struct policy *p)
{
	uint8_t one = 1;
	size_t i;
	int err;

	for (i = 0; i < p->nupstreams; i++) {
		struct moat_upstream_key key = { .port = p->upstreams[i].port };

		memcpy(key.addr, p->upstreams[i].addr, ADDR_LEN);
		err = map_put(dp->skel->maps.moat_upstreams, &key, &one);
		if (err)
			return err;
	}
	return 0;
}

int datapath__load_policy(struct datapath *dp, const struct policy *p)
{
	int err;

	err = datapath__sync_portsets(dp, p->portsets);
	if (!err)
		err = load_cidrs(dp, p);
	if (!err)
		err = load_upstreams(dp, p);
	return err;
}

int datapath__put_learned(struct datapath *dp, const uint8_t *addr,
			  const struct moat_entry *entry)
{
	return map_put(dp->skel->maps.moat_learned, addr, entry);
}

int datapath__del_learned(struct datapath *dp, const uint8_t *addr)
{
	int err = bpf_map__delete_elem(dp->skel->maps.moat_learned, addr,
				       ADDR_LEN, 0);

	return err == -ENOENT ? 0 : err;
}

int datapath__put_inbound(struct datapath *dp, const struct moat_flow_key *key)
{
	uint8_t one = 1;

	return map_put(dp->skel->maps.moat_inbound, key, &one);
}

static int attach_one(struct bpf_tc_hook *hook, enum bpf_tc_attach_point point,
		      const struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = MOAT_TC_HANDLE,
		    .priority = MOAT_TC_PRIORITY,
		    .prog_fd = bpf_program__fd(prog),
		    .flags = BPF_TC_F_REPLACE);
	int err;

	hook->attach_point = point;
	err = bpf_tc_attach(hook, &opts);
	if (err)
		pr_err("link %d: cannot attach %s: %s", hook->ifindex,
		       bpf_program__name(prog), errstr(err));
	return err;
}

int datapath__add_qdisc(struct datapath *dp, bool *created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err;

	/* An existing clsact qdisc is someone's; -EEXIST says so. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_err("link %d: cannot add the clsact qdisc: %s", dp->ifindex,
		       errstr(err));
		return err;
	}
	*created = !err;
	return 0;
}

int datapath__attach(struct datapath *dp)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex);
	int err;

	/* Ingress first: replies the egress side may need are recorded. */
	err = attach_one(&hook, BPF_TC_INGRESS,
			 dp->skel->progs.moat_tc_ingress);
	if (!err)
		err = attach_one(&hook, BPF_TC_EGRESS,
				 dp->skel->progs.moat_tc_egress);
	return err;
}

static int detach_one(int ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = MOAT_TC_HANDLE,
		    .priority = MOAT_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &opts);

	/* Already gone, or the qdisc with it: nothing left to do. */
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int datapath_detach_link(int ifindex, bool destroy_qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err, err2;

	err = detach_one(ifindex, BPF_TC_EGRESS);
	err2 = detach_one(ifindex, BPF_TC_INGRESS);
	if (!err)
		err = err2;
	if (destroy_qdisc) {
		err2 = bpf_tc_hook_destroy(&hook);
		if (!err && err2 != -ENOENT && err2 != -EINVAL)
			err = err2;
	}
	return err;
}

bool datapath_link_has_filter(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = MOAT_TC_HANDLE,
		    .priority = MOAT_TC_PRIORITY);

	return bpf_tc_query(&hook, &opts) == 0;
}

int datapath__prog_fd(struct datapath *dp, enum datapath_prog prog)
{
	switch (prog) {
	case DATAPATH_PROG_EGRESS:
		return bpf_program__fd(dp->skel->progs.moat_tc_egress);
	case DATAPATH_PROG_INGRESS:
		return bpf_program__fd(dp->skel->progs.moat_tc_ingress);
	case DATAPATH_PROG_CONFINED_EGRESS:
		return bpf_program__fd(dp->skel->progs.moat_run_egress);
	}
	return -EINVAL;
}

static int ringbuf_sample(void *ctx, void *data, size_t len)
{
	struct datapath *dp = ctx;

	return dp->event_fn(dp->event_ctx, data, len);
}

static int attach_link(struct datapath *dp, struct bpf_program *prog,
		       int cgroup_fd)
{
	struct bpf_link *link;
	int err;

	if (dp->nlinks == DATAPATH_LINKS_MAX)
		return -E2BIG;
	link = cgroup_fd >= 0 ? bpf_program__attach_cgroup(prog, cgroup_fd) :
				bpf_program__attach(prog);
	if (!link) {
		err = -errno;
		pr_err("cannot attach %s: %s", bpf_program__name(prog),
		       errstr(err));
		return err;
	}
	dp->links[dp->nlinks++] = link;
	return 0;
}

int datapath__attach_hooks(struct datapath *dp, const char *cgroup, bool fork)
{
	struct bpf_program *hooks[] = {
		dp->skel->progs.moat_sock_create,
		dp->skel->progs.moat_connect4,
		dp->skel->progs.moat_connect6,
		dp->skel->progs.moat_sendmsg4,
		dp->skel->progs.moat_sendmsg6,
		dp->skel->progs.moat_dns_egress,
		dp->skel->progs.moat_sockops,
		dp->skel->progs.moat_setsockopt,
		dp->skel->progs.moat_sock_release,
	};
	size_t i;
	int fd, err = 0;

	/* The fork hook first: children of processes tagged later inherit. */
	if (fork)
		err = attach_link(dp, dp->skel->progs.moat_fork, -1);
	if (!err && fork)
		err = attach_link(dp, dp->skel->progs.moat_exit, -1);
	if (!err && bpf_program__autoload(dp->skel->progs.moat_packet_sendmsg))
		err = attach_link(dp, dp->skel->progs.moat_packet_sendmsg, -1);
	if (err)
		return err;

	fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("cgroup '%s': %s%s", cgroup, errstr(err),
		       err == -ENOENT ?
			       "; --cgroup takes a cgroup v2 directory" :
			       "");
		return err;
	}
	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]) && !err; i++)
		if (bpf_program__autoload(hooks[i]))
			err = attach_link(dp, hooks[i], fd);
	close(fd);
	return err;
}

static int attach_confined(struct datapath *dp, struct bpf_program *prog)
{
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	int err;

	if (dp->nconfined == DATAPATH_CONFINED_MAX)
		return -E2BIG;
	err = bpf_prog_attach(bpf_program__fd(prog), dp->confined_cgroup_fd,
			      type, BPF_F_ALLOW_MULTI);
	if (err) {
		err = -errno;
		pr_err("cannot attach %s to the command's cgroup: %s",
		       bpf_program__name(prog), errstr(err));
		return err;
	}
	dp->confined[dp->nconfined].prog_fd = bpf_program__fd(prog);
	dp->confined[dp->nconfined].type = type;
	dp->nconfined++;
	return 0;
}

int datapath__attach_confined(struct datapath *dp, int cgroup_fd)
{
	struct bpf_program *hooks[] = {
		/* The cgroup is empty yet: the order does not matter. */
		dp->skel->progs.moat_sock_create,
		dp->skel->progs.moat_sockops,
		dp->skel->progs.moat_sock_release,
		dp->skel->progs.moat_setsockopt,
		dp->skel->progs.moat_run_recvmsg4,
		dp->skel->progs.moat_run_recvmsg6,
		dp->skel->progs.moat_run_getpeername4,
		dp->skel->progs.moat_run_getpeername6,
		dp->skel->progs.moat_run_egress,
		dp->skel->progs.moat_run_connect4,
		dp->skel->progs.moat_run_connect6,
		dp->skel->progs.moat_run_sendmsg4,
		dp->skel->progs.moat_run_sendmsg6,
	};
	size_t i;
	int err = 0;

	dp->confined_cgroup_fd = fcntl(cgroup_fd, F_DUPFD_CLOEXEC, 0);
	if (dp->confined_cgroup_fd < 0)
		return -errno;
	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]) && !err; i++)
		if (bpf_program__autoload(hooks[i]))
			err = attach_confined(dp, hooks[i]);
	return err;
}

void datapath__keep_confined(struct datapath *dp)
{
	if (dp)
		dp->nconfined = 0;
}

static int put_flag(struct bpf_map *map, const void *key)
{
	uint8_t one = 1;

	return map_put(map, key, &one);
}

int datapath__add_upstream_sock(struct datapath *dp, uint64_t cookie)
{
	return put_flag(dp->skel->maps.moat_upstream_socks, &cookie);
}

int datapath__add_passive(struct datapath *dp, uint64_t cookie)
{
	return put_flag(dp->skel->maps.moat_passive, &cookie);
}

int datapath__add_kept(struct datapath *dp, uint64_t cookie)
{
	uint8_t fresh = MOAT_KEPT_NEW;

	return map_put(dp->skel->maps.moat_kept, &cookie, &fresh);
}

int datapath__add_onlink(struct datapath *dp, const struct cidr *prefix)
{
	struct moat_lpm_key key = { .prefixlen = prefix->prefixlen };

	memcpy(key.addr, prefix->addr, ADDR_LEN);
	return put_flag(dp->skel->maps.moat_onlink, &key);
}

int datapath__add_local(struct datapath *dp, const uint8_t *addr)
{
	return put_flag(dp->skel->maps.moat_local, addr);
}

int datapath__add_dhcp_server(struct datapath *dp, const uint8_t *addr)
{
	return put_flag(dp->skel->maps.moat_dhcp_servers, addr);
}

int datapath__set_proc_tag(struct datapath *dp, pid_t pid, uint32_t tag)
{
	uint32_t key = (uint32_t)pid;

	return map_put(dp->skel->maps.moat_proc_tag, &key, &tag);
}

int datapath__get_proc_tag(struct datapath *dp, pid_t pid, uint32_t *tag)
{
	uint32_t key = (uint32_t)pid;

	if (bpf_map__lookup_elem(dp->skel->maps.moat_proc_tag, &key,
				 sizeof(key), tag, sizeof(*tag), 0)) {
		if (errno != ENOENT)
			return -errno;
		*tag = MOAT_TAG_NONE;
	}
	return 0;
}

static int write_config(struct datapath *dp)
{
	uint32_t zero = 0;

	return map_put(dp->skel->maps.moat_config, &zero, &dp->config);
}

int datapath__set_worker(struct datapath *dp, pid_t worker)
{
	dp->config.worker_tgid = (uint32_t)worker;
	return write_config(dp);
}

int datapath__set_proxy_port(struct datapath *dp, uint16_t port)
{
	dp->config.proxy_port = port;
	return write_config(dp);
}

int datapath__set_proxy_v6(struct datapath *dp, bool v6)
{
	if (v6)
		dp->config.flags |= MOAT_CONFIG_F_PROXY_V6;
	else
		dp->config.flags &= (__u16)~MOAT_CONFIG_F_PROXY_V6;
	return write_config(dp);
}

int datapath__dns_client(struct datapath *dp, const struct endpoint *client,
			 bool tcp, struct moat_owner *owner)
{
	struct moat_endpoint_key key = { .port = client->port,
					 .proto = tcp ? IPPROTO_TCP :
							IPPROTO_UDP };

	memcpy(key.addr, client->addr, ADDR_LEN);
	return bpf_map__lookup_elem(dp->skel->maps.moat_dns_client, &key,
				    sizeof(key), owner, sizeof(*owner), 0);
}

int datapath__open_events(struct datapath *dp, datapath_event_fn fn, void *ctx)
{
	dp->event_fn = fn;
	dp->event_ctx = ctx;
	dp->events = ring_buffer__new(bpf_map__fd(dp->skel->maps.moat_events),
				      ringbuf_sample, dp, NULL);
	if (!dp->events)
		return -errno;
	return ring_buffer__epoll_fd(dp->events);
}

int datapath__consume_events(struct datapath *dp)
{
	return dp->events ? ring_buffer__consume(dp->events) : 0;
}

int datapath__read_stats(struct datapath *dp, uint64_t stats[MOAT_STAT_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values;
	uint32_t key;
	int cpu, err = 0;

	if (ncpus < 0)
		return ncpus;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (key = 0; key < MOAT_STAT_MAX && !err; key++) {
		stats[key] = 0;
		err = bpf_map__lookup_elem(dp->skel->maps.moat_stats, &key,
					   sizeof(key), values,
					   sizeof(*values) * (size_t)ncpus, 0);
		for (cpu = 0; !err && cpu < ncpus; cpu++)
			stats[key] += values[cpu];
	}
	free(values);
	return err;
}
