// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* daemon.c - `moat start`: set everything up, run, and undo it all */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allowlist.h"
#include "audit.h"
#include "cgroup.h"
#include "daemon.h"
#include "datapath.h"
#include "inbound.h"
#include "log.h"
#include "lockdown.h"
#include "loop.h"
#include "netfilter.h"
#include "netif.h"
#include "proxy.h"
#include "report.h"
#include "runfiles.h"
#include "steps.h"
#include "subproc.h"
#include "upstream.h"

struct daemon {
	struct options *o;
	struct netif nif;
	struct loop loop;
	struct datapath *dp;
	struct allowlist al;
	bool al_ready;
	struct audit *audit;
	struct proxy *px;
	struct steps steps;
	bool steps_ready;
	uint64_t steps_polled_ms;
	uint64_t expired_ms;
	int lock_fd;
	struct run_state state;
	struct run_state stale; /* a killed run's, on this link */
	bool stale_pending; /* its filter is still attached */
	int sig_fd;
	struct loop_handler sig_h;
	int events_fd;
	struct loop_handler events_h;
	bool nft_installed;
	bool attached;
	bool pid_written;
	bool stopping;
	/* Under a lockdown on a runner: stop only from this step's post. */
	bool guard_stop;
	int start_step;
	char post_step_name[DIAG_NAME_MAX + 8];
	char self_exe[PATH_MAX];
	struct report report;
};

static int on_datapath_event(void *ctx, const void *data, size_t len)
{
	const struct moat_step_event *step = data;
	struct daemon *d = ctx;

	if (!report__event(&d->report, data, len))
		return 0;
	if (len >= sizeof(*step) && step->kind == MOAT_EVENT_STEP &&
	    d->steps_ready)
		steps__on_root(&d->steps, (pid_t)step->root, step->boot_ns);
	return 0;
}

static void events_ready(struct loop_handler *h, uint32_t events)
{
	struct daemon *d = container_of(h, struct daemon, events_h);

	datapath__consume_events(d->dp);
}

/*
 * Under a sudo lockdown on a runner the job's user keeps one command,
 * `sudo moat stop`, because the action's post step needs it; any other
 * step running it would switch the firewall off mid-job. A stop is taken
 * only from a process of the post step of the step that started moat
 * (the runner names it "Post " and that step's name, and runs it after
 * every other step), from init, or from the kernel. Tags are inherited
 * on fork, so a process an earlier step left running cannot pass.
 */
static bool stop_allowed(struct daemon *d, pid_t sender)
{
	const struct step_info *s;
	uint32_t tag;

	if (!d->guard_stop || sender <= 1)
		return true;
	if (datapath__get_proc_tag(d->dp, sender, &tag))
		return false;
	s = steps__of_tag(&d->steps, tag);
	return s && s->number > d->start_step &&
	       !strcmp(s->name, d->post_step_name);
}

static void refuse_stop(struct daemon *d, pid_t sender)
{
	struct moat_owner owner = { .pid = (uint32_t)sender };
	struct who who;

	datapath__get_proc_tag(d->dp, sender, &owner.tag);
	steps__who(&d->steps, &owner, 1, &who);
	/* A refused `moat stop` hears it at once; anything else would die. */
	if (process_is_moat(sender))
		kill(sender, SIGUSR1);
	pr_warn("refused a stop from pid %d (%s, step %d): only the step '%s' may stop moat under the sudo lockdown",
		sender, who.comm, who.step, d->post_step_name);
	audit__tamper(
		d->audit, "stop_refused",
		"only the post step of the step that started moat may stop it",
		&who);
}

static void signal_ready(struct loop_handler *h, uint32_t events)
{
	struct daemon *d = container_of(h, struct daemon, sig_h);
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (!stop_allowed(d, (pid_t)si.ssi_pid)) {
			refuse_stop(d, (pid_t)si.ssi_pid);
			continue;
		}
		pr_info("signal %u: stopping", si.ssi_signo);
		d->stopping = true;
	}
}

/*
 * Signals are taken through a signalfd from the first step, before any
 * change to the host, so a SIGTERM during start-up still undoes what was
 * done so far.
 */
static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	d->sig_h.fn = signal_ready;
	return loop__add(&d->loop, d->sig_fd, EPOLLIN, &d->sig_h);
}

static bool interrupted(struct daemon *d)
{
	signal_ready(&d->sig_h, EPOLLIN);
	return d->stopping;
}

static int resolve_upstreams(struct daemon *d)
{
	return upstream_resolve(&d->o->policy, &d->o->dns_listen);
}

/* Take this namespace's lock, undoing what a killed run left behind. */
static int take_lock(struct daemon *d)
{
	struct run_state stale;
	pid_t holder = 0;
	int err;

	d->lock_fd = run_state_lock(&holder, &stale);
	if (d->lock_fd == -EBUSY) {
		pr_err("another moat (pid %d) runs in this network namespace; stop it with 'moat stop'",
		       holder);
		return -EBUSY;
	}
	if (d->lock_fd < 0) {
		pr_err("state file in %s: %s", MOAT_RUN_DIR,
		       errstr(d->lock_fd));
		return d->lock_fd;
	}
	if (!stale.pid)
		return 0;

	pr_warn("moat (pid %d) was killed without cleaning up; taking over its state",
		stale.pid);
	/* Its sudo lockdown is undone now; this run makes its own, if any. */
	lockdown__restore(&stale.lockdown);
	if (stale.ifindex == d->nif.ifindex) {
		/* Our attach replaces its filter in place: no gap. */
		d->state.created_qdisc = stale.created_qdisc;
		d->stale = stale;
		d->stale_pending = true;
	} else if (stale.ifindex) {
		err = datapath_detach_link(stale.ifindex, stale.created_qdisc);
		if (err)
			pr_warn("link %s: cannot remove the old filter: %s",
				stale.ifname, errstr(err));
	}
	return 0;
}

static int write_pid_file(struct daemon *d)
{
	char buf[32];
	int err;

	/* A stale ready file must never vouch for this run. */
	unlink(d->o->ready_file);
	snprintf(buf, sizeof(buf), "%d\n", getpid());
	err = runfile_write_atomic(d->o->pid_file, buf);
	if (err)
		pr_err("pid file '%s': %s", d->o->pid_file, errstr(err));
	d->pid_written = !err;
	return err;
}

static int open_datapath(struct daemon *d)
{
	struct datapath_opts dopts = {
		.ifindex = d->nif.ifindex,
		.audit = d->o->policy.mode == POLICY_MODE_AUDIT,
		.has_l2 = d->nif.has_l2,
		.max_learned = d->o->max_addresses,
	};
	struct allowlist_opts aopts = {
		.min_ttl = d->o->min_ttl,
		.grace = d->o->ttl_grace,
		.capacity = d->o->max_addresses,
		.live = conntrack_live,
	};
	int err;

	err = datapath__open(&d->dp, &dopts);
	if (err)
		return err;
	err = datapath__load_policy(d->dp, &d->o->policy);
	if (err) {
		pr_err("cannot load the policy into the datapath: %s",
		       errstr(err));
		return err;
	}
	err = allowlist__init(&d->al, &d->o->policy, d->dp, &aopts);
	d->al_ready = !err;
	return err;
}

static int start_proxy(struct daemon *d)
{
	struct proxy_opts popts = {
		.listen = d->o->dns_listen,
		.listen_v6_loopback = true,
		.forwarded = true,
		.upstreams = d->o->policy.upstreams,
		.nupstreams = d->o->policy.nupstreams,
		.mode = d->o->policy.mode,
		.dp = d->dp,
		.steps = &d->steps,
	};

	return proxy__new(&d->px, &popts, &d->al, d->audit, &d->loop);
}

static int install_redirect(struct daemon *d)
{
	struct redirect_config cfg;
	char err_text[2048];
	int err;

	proxy__listen_addrs(d->px, &cfg.listen_v4, &cfg.listen_v6,
			    &cfg.have_v6);
	cfg.egress = d->nif.name;
	cfg.forwarded_port = proxy__forwarded_port(d->px);
	cfg.upstreams = d->o->policy.upstreams;
	cfg.nupstreams = d->o->policy.nupstreams;
	err = netfilter__install(&cfg, err_text, sizeof(err_text));
	if (err) {
		pr_err("DNS redirect: %s", err_text);
		return err;
	}
	d->nft_installed = true;

	err = conntrack_flush_dns();
	if (err < 0)
		pr_warn("cannot flush DNS flows from conntrack: %s; flows that predate moat may bypass the proxy until they expire",
			errstr(err));
	else if (err)
		pr_info("flushed %d DNS flows that predate moat", err);
	return 0;
}

static int open_events(struct daemon *d)
{
	int fd = datapath__open_events(d->dp, on_datapath_event, d);

	if (fd < 0) {
		pr_err("ring buffer: %s", errstr(fd));
		return fd;
	}
	d->events_h.fn = events_ready;
	return loop__add(&d->loop, fd, EPOLLIN, &d->events_h);
}

/*
 * The socket hooks and the step tracker go in before the classifier:
 * sockets made from here on have owners when their packets meet it.
 */
static int track_processes(struct daemon *d)
{
	char root[PATH_MAX];
	const char *cgroup = d->o->cgroup;
	int err;

	if (!cgroup) {
		if (cgroup_v2_root(root, sizeof(root))) {
			pr_err("no cgroup v2 hierarchy in /proc/mounts; mount one or pass --cgroup DIR");
			return -ENOENT;
		}
		cgroup = root;
	}
	err = datapath__attach_hooks(d->dp, cgroup, d->o->github);
	if (!err)
		err = datapath__set_proxy_port(d->dp, d->o->dns_listen.port);
	if (!err)
		err = steps__init(&d->steps, d->dp, d->audit, d->o->github,
				  d->report.boot_to_real_ns);
	d->steps_ready = !err;
	return err;
}

/* What this run changes on the link, for whoever must undo it. */
static int save_state(struct daemon *d)
{
	int err;

	d->state.pid = getpid();
	d->state.ifindex = d->nif.ifindex;
	snprintf(d->state.ifname, sizeof(d->state.ifname), "%s", d->nif.name);
	err = run_state_save(d->lock_fd, &d->state);
	if (err)
		pr_err("state file: %s", errstr(err));
	return err;
}

/*
 * What the link itself needs outside the policy: neighbour discovery to
 * its own IPv6 prefixes, DHCP renewals to the server its lease names.
 */
static void allow_link_control(struct daemon *d)
{
	uint8_t servers[4][ADDR_LEN];
	struct cidr prefixes[16];
	char text[ADDR_TEXT_MAX];
	int i, n;

	n = netif_ipv6_prefixes(&d->nif, prefixes, 16);
	for (i = 0; i < n; i++)
		datapath__add_onlink(d->dp, &prefixes[i]);
	n = netif_dhcp_servers(&d->nif, servers, 4);
	for (i = 0; i < n; i++) {
		datapath__add_dhcp_server(d->dp, servers[i]);
		pr_info("DHCP server %s may be reached for renewals",
			addr_format(servers[i], text, sizeof(text)));
	}
}

static int attach(struct daemon *d)
{
	bool created = false;
	int err, seeded;

	allow_link_control(d);
	seeded = inbound_seed(d->dp);
	if (seeded < 0)
		pr_warn("cannot read open connections: %s; connections opened before moat may be cut",
			errstr(seeded));
	else if (seeded)
		pr_info("kept %d connections that were open before moat",
			seeded);

	err = datapath__add_qdisc(d->dp, &created);
	if (err)
		return err;
	/* A qdisc inherited from a killed run stays ours to remove. */
	d->state.created_qdisc |= created;

	/* Recorded before the filters go on: a kill after this is undone. */
	err = save_state(d);
	if (err)
		return err;
	err = datapath__attach(d->dp);
	if (err)
		return err;
	d->attached = true;
	d->stale_pending = false;
	return 0;
}

static void guard_stop(struct daemon *d)
{
	const struct step_info *s = steps__current(&d->steps);

	d->guard_stop = true;
	d->start_step = s ? s->number : 0;
	snprintf(d->post_step_name, sizeof(d->post_step_name), "Post %s",
		 s ? s->name : "");
	pr_info("under the lockdown, only the step '%s' may stop moat",
		d->post_step_name);
}

/*
 * Taken once enforcement is on, so that sudo is never gone while the
 * host is still open, and recorded at once: a crash leaves the lockdown
 * in place, for the next start or `moat stop` to undo.
 */
static int lock_sudo(struct daemon *d)
{
	char err[LOCKDOWN_ERR_MAX] = "";
	int ret;

	if (!d->o->sudo_lockdown)
		return 0;
	/* The job's post step stops moat; with no runner, root does. */
	if (d->steps.worker) {
		ssize_t n = readlink("/proc/self/exe", d->self_exe,
				     sizeof(d->self_exe) - 1);

		d->self_exe[n > 0 ? n : 0] = '\0';
		d->o->lockdown.stop_command = d->self_exe;
	}
	ret = lockdown__apply(&d->o->lockdown, &d->state.lockdown, err,
			      sizeof(err));
	save_state(d);
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	if (d->steps.worker)
		guard_stop(d);
	pr_info("sudo taken from %s, but for %zu allowed commands",
		d->o->lockdown.user, d->o->lockdown.nallow);
	return 0;
}

/*
 * systemd-resolved may hold answers it got before the redirect; flush
 * them so that every name is looked up again through the proxy. Its
 * varlink socket says it runs.
 */
static int flush_resolver_cache(struct daemon *d)
{
	const char *const argv[] = { "resolvectl", "flush-caches", NULL };
	struct stat st;
	char out[256];

	if (stat("/run/systemd/resolve/io.systemd.Resolve", &st))
		return 0;
	if (subproc_run(argv, NULL, out, sizeof(out)))
		pr_warn("resolvectl flush-caches failed: %s; names it cached before moat started may skip the proxy until they expire",
			out);
	return 0;
}

static int mark_ready(struct daemon *d)
{
	char buf[32];
	int err;

	snprintf(buf, sizeof(buf), "pid=%d\n", getpid());
	err = runfile_write_atomic(d->o->ready_file, buf);
	if (err)
		pr_err("ready file '%s': %s", d->o->ready_file, errstr(err));
	return err;
}

static int set_up(struct daemon *d)
{
	int (*const steps[])(struct daemon *) = {
		setup_signals,	  resolve_upstreams, take_lock,
		write_pid_file,	  open_datapath,     start_proxy,
		install_redirect, open_events,	     track_processes,
		attach,		  lock_sudo,	     flush_resolver_cache,
		mark_ready,
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		err = steps[i](d);
		if (err)
			return err;
		if (interrupted(d))
			return -EINTR;
	}
	return 0;
}

/* Read the runner's log often enough that step events keep pace. */
#define STEPS_POLL_MS 100
/* Learned addresses outlive their lifetime by at most this much. */
#define EXPIRE_MS 1000

static void expire_addresses(struct daemon *d)
{
	int n = allowlist__expire(&d->al);

	if (n > 0)
		pr_debug("%d learned addresses expired", n);
	else if (n < 0)
		pr_warn("cannot expire learned addresses: %s", errstr(n));
}

static void run(struct daemon *d)
{
	uint64_t now;
	int timeout;

	while (!d->stopping) {
		timeout = proxy__tick(d->px);
		if (timeout > STEPS_POLL_MS)
			timeout = STEPS_POLL_MS;
		if (loop__run_once(&d->loop, timeout) < 0)
			break;
		audit__flush(d->audit);
		now = loop_now_ms();
		if (now - d->steps_polled_ms >= STEPS_POLL_MS) {
			steps__poll(&d->steps);
			d->steps_polled_ms = now;
		}
		if (now - d->expired_ms >= EXPIRE_MS) {
			expire_addresses(d);
			d->expired_ms = now;
		}
	}
}

/* Undo in reverse order; each step copes with its setup never running. */
static void tear_down(struct daemon *d)
{
	char err_text[2048];
	int err;

	if (d->pid_written)
		unlink(d->o->ready_file);
	if (d->attached) {
		err = datapath_detach_link(d->nif.ifindex,
					   d->state.created_qdisc);
		if (err)
			pr_err("link %s: cannot detach the classifier: %s",
			       d->nif.name, errstr(err));
	}
	if (d->nft_installed) {
		if (netfilter__remove(err_text, sizeof(err_text)))
			pr_err("DNS redirect: %s", err_text);
		conntrack_flush_dns();
	}
	lockdown__restore(&d->state.lockdown);
	if (d->dp && d->audit) {
		datapath__consume_events(d->dp);
		report__stats(&d->report, d->px, d->dp);
	}
	proxy__free(d->px);
	if (d->steps_ready)
		steps__fini(&d->steps);
	if (d->al_ready)
		allowlist__fini(&d->al);
	datapath__close(d->dp);
	audit__close(d->audit);
	/*
	 * A killed run's filter that this run failed to replace still drops:
	 * keep its state for `moat stop`, rather than lose track of it.
	 */
	if (d->lock_fd >= 0 && d->stale_pending) {
		run_state_save(d->lock_fd, &d->stale);
		run_state_keep(d->lock_fd);
	} else if (d->lock_fd >= 0) {
		run_state_release(d->lock_fd);
	}
	if (d->pid_written)
		unlink(d->o->pid_file);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	loop__fini(&d->loop);
}

int daemon_run(struct options *o)
{
	struct daemon d = {
		.o = o, .lock_fd = -1, .sig_fd = -1, .loop = { .epfd = -1 }
	};
	uint64_t t0 = loop_now_ms();
	int err;

	if (geteuid() != 0) {
		pr_err("moat start needs root (CAP_BPF and CAP_NET_ADMIN); run it with sudo");
		return EXIT_RUNTIME;
	}
	log_route_libbpf();
	d.report = (struct report){
		.al = &d.al,
		.policy = &o->policy,
		.steps = &d.steps,
		.boot_to_real_ns = report_boot_to_real_ns(),
	};
	err = netif_resolve(o->interface, &d.nif);
	if (!err)
		err = loop__init(&d.loop);
	if (!err)
		err = audit__open(&d.audit, o->audit_log);
	d.report.audit = d.audit;
	if (!err) {
		audit__start(d.audit,
			     o->policy.mode == POLICY_MODE_AUDIT ? "audit" :
								   "enforce",
			     d.nif.name, getpid());
		audit__flush(d.audit);
	}
	if (!err)
		err = set_up(&d);
	if (!err) {
		pr_info("ready in %llu ms: guarding %s in %s mode",
			(unsigned long long)(loop_now_ms() - t0), d.nif.name,
			o->policy.mode == POLICY_MODE_AUDIT ? "audit" :
							      "enforce");
		run(&d);
	}
	tear_down(&d);
	return err && err != -EINTR ? EXIT_RUNTIME : 0;
}
