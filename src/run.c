// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* run.c - `moat run`: confine one command, and nothing else on the host */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allowlist.h"
#include "audit.h"
#include "cgroup.h"
#include "datapath.h"
#include "launch.h"
#include "log.h"
#include "loop.h"
#include "proxy.h"
#include "report.h"
#include "commands.h"
#include "options.h"
#include "steps.h"
#include "summary.h"
#include "upstream.h"

/* The command's cgroup is NAME.PID, under moat's own (as a rule). */
#define RUN_CGROUP_PREFIX "moat-run"
/* What the command left running gets this long to die. */
#define RUN_KILL_TIMEOUT_MS 3000
/* Blocked destinations listed on stderr at exit. */
#define RUN_TEXT_ROWS 10
/* Learned addresses outlive their lifetime by at most this much. */
#define RUN_EXPIRE_MS 1000

struct run {
	struct options *o;
	struct loop loop;
	struct datapath *dp;
	struct allowlist al;
	bool al_ready;
	struct audit *audit;
	int log_fd; /* where the summary reads this run's events */
	int summary_fd; /* --summary FILE, or -1 */
	struct proxy *px;
	struct steps steps;
	bool steps_ready;
	struct report report;
	struct cgroup cg;
	sigset_t old_mask;
	int sig_fd;
	struct loop_handler sig_h;
	struct loop_handler events_h;
	struct launch_user user;
	pid_t child;
	bool started;
	int status; /* the command's wait status, once it exited */
	int failed_status; /* the exit status when it did not start */
	bool exited;
	int stop_requests; /* SIGINT, SIGTERM or SIGHUP moat took */
	uint64_t expired_ms;
};

/*
 * A signal from the terminal (^C) reached the command too: moat waits for
 * it to end. One sent to moat alone is passed on; a second one kills
 * everything the command started.
 */
static void on_stop_signal(struct run *r, const struct signalfd_siginfo *si)
{
	bool from_tty = si->ssi_code == SI_KERNEL;

	r->stop_requests++;
	if (r->stop_requests > 1) {
		pr_warn("signal %u again: killing the command", si->ssi_signo);
		cgroup__kill(&r->cg, 0);
		return;
	}
	if (!from_tty)
		kill(r->child, (int)si->ssi_signo);
}

static void on_child(struct run *r)
{
	int status;

	while (waitpid(r->child, &status, WNOHANG) == r->child) {
		r->status = status;
		r->exited = true;
	}
}

static void signal_ready(struct loop_handler *h, uint32_t events)
{
	struct run *r = container_of(h, struct run, sig_h);
	struct signalfd_siginfo si;

	while (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			on_child(r);
		else
			on_stop_signal(r, &si);
	}
}

static int setup_signals(struct run *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &r->old_mask))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	r->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sig_fd < 0)
		return -errno;
	r->sig_h.fn = signal_ready;
	return loop__add(&r->loop, r->sig_fd, EPOLLIN, &r->sig_h);
}

/*
 * The summary reads back this run's events from a file in memory of its
 * own, which gets every line the audit log does: other runs may append
 * to the same log at the same time.
 */
static int open_audit(struct run *r)
{
	char path[64];
	int err;

	r->log_fd = memfd_create("moat-audit", MFD_CLOEXEC);
	if (r->log_fd < 0)
		return -errno;
	if (!r->o->audit_log) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", r->log_fd);
		return audit__open(&r->audit, path);
	}
	err = audit__open(&r->audit, r->o->audit_log);
	if (err)
		return err;
	audit__tee(r->audit, r->log_fd);
	return 0;
}

/*
 * Opened before the command starts, never at the end: by then the
 * command, run as a user who can write the file's directory, could have
 * put a symbolic link there for root to write through.
 */
static int open_summary(struct run *r)
{
	int err;

	if (!r->o->summary_file)
		return 0;
	/* O_NONBLOCK: a FIFO there with no reader fails, not hangs. */
	r->summary_fd = open(r->o->summary_file,
			     O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				     O_NONBLOCK | O_CLOEXEC,
			     0644);
	if (r->summary_fd < 0) {
		err = -errno;
		pr_err("summary '%s': cannot open: %s", r->o->summary_file,
		       errstr(err));
		return err;
	}
	return 0;
}

static int open_datapath(struct run *r)
{
	struct datapath_opts dopts = {
		.programs = DATAPATH_CONFINE,
		.audit = r->o->policy.mode == POLICY_MODE_AUDIT,
		.max_learned = r->o->max_addresses,
	};
	struct allowlist_opts aopts = {
		.min_ttl = r->o->min_ttl,
		.grace = r->o->ttl_grace,
		.capacity = r->o->max_addresses,
		/*
		 * No liveness test: a connection the hooks let through keeps
		 * going when its address expires (they approved its socket).
		 */
		.live = NULL,
	};
	int err;

	err = datapath__open(&r->dp, &dopts);
	if (err)
		return err;
	err = datapath__load_policy(r->dp, &r->o->policy);
	if (err) {
		pr_err("cannot load the policy into the datapath: %s",
		       errstr(err));
		return err;
	}
	err = allowlist__init(&r->al, &r->o->policy, r->dp, &aopts);
	r->al_ready = !err;
	return err;
}

/* Who sent a query, for the proxy: the hooks name the command's own. */
static int track_processes(struct run *r)
{
	int err = steps__init(&r->steps, r->dp, r->audit, false,
			      r->report.boot_to_real_ns);

	r->steps_ready = !err;
	r->steps.untagged_scope = "command";
	return err;
}

static int start_proxy(struct run *r)
{
	struct endpoint v4, v6;
	struct proxy_opts popts = {
		.listen_v6_loopback = true,
		.upstreams = r->o->policy.upstreams,
		.nupstreams = r->o->policy.nupstreams,
		.mode = r->o->policy.mode,
		.dp = r->dp,
		.steps = &r->steps,
	};
	const char *why;
	bool have_v6;
	int err;

	endpoint_parse("127.0.0.1:0", 0, &popts.listen, &why);
	err = proxy__new(&r->px, &popts, &r->al, r->audit, &r->loop);
	if (err)
		return err;
	proxy__listen_addrs(r->px, &v4, &v6, &have_v6);
	err = datapath__set_proxy_port(r->dp, v4.port);
	if (!err)
		err = datapath__set_proxy_v6(r->dp, have_v6);
	pr_info("DNS proxy on port %u", v4.port);
	return err;
}

/* The host's own addresses at start: the command may reach its servers. */
static int allow_local(struct run *r)
{
	struct ifaddrs *ifa, *i;
	struct endpoint ep;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr &&
		    (i->ifa_addr->sa_family == AF_INET ||
		     i->ifa_addr->sa_family == AF_INET6) &&
		    !endpoint_from_sockaddr(i->ifa_addr, &ep))
			datapath__add_local(r->dp, ep.addr);
	freeifaddrs(ifa);
	return 0;
}

static void events_ready(struct loop_handler *h, uint32_t events)
{
	struct run *r = container_of(h, struct run, events_h);

	datapath__consume_events(r->dp);
}

static int on_datapath_event(void *ctx, const void *data, size_t len)
{
	struct run *r = ctx;

	report__event(&r->report, data, len);
	return 0;
}

static int open_events(struct run *r)
{
	int fd = datapath__open_events(r->dp, on_datapath_event, r);

	if (fd < 0) {
		pr_err("ring buffer: %s", errstr(fd));
		return fd;
	}
	r->events_h.fn = events_ready;
	return loop__add(&r->loop, fd, EPOLLIN, &r->events_h);
}

/*
 * Where the command's cgroup goes: under moat's own cgroup, or --cgroup
 * DIR, unless the command's user could write there. A user's delegated
 * subtree (a desktop terminal runs in user@UID.service) would let the
 * command move itself out of its cgroup and so out of the hooks: then it
 * goes under the nearest ancestor the user cannot write, and an explicit
 * DIR the user can write is refused.
 */
static int choose_cgroup_parent(struct run *r, char *parent, size_t len)
{
	char start[PATH_MAX];
	struct stat st;
	int err;

	if (r->o->cgroup) {
		snprintf(start, sizeof(start), "%s/cgroup.procs", r->o->cgroup);
		if (stat(start, &st)) {
			err = -errno;
			pr_err("--cgroup '%s': not a cgroup v2 directory (%s); give a directory under the cgroup2 mount",
			       r->o->cgroup, errstr(err));
			return err;
		}
		/* Absolute, without links or a trailing '/', to compare. */
		if (!realpath(r->o->cgroup, start)) {
			err = -errno;
			pr_err("--cgroup '%s': %s", r->o->cgroup, errstr(err));
			return err;
		}
	} else if ((err = cgroup_self(start, sizeof(start)))) {
		pr_err("cannot find this process's cgroup v2: %s; pass --cgroup DIR",
		       errstr(err));
		return err;
	}
	if (!r->user.change || r->user.uid == 0) {
		snprintf(parent, len, "%s", start);
		return 0;
	}

	err = cgroup_confining_ancestor(start, r->user.uid, parent, len);
	if (err == -EPERM) {
		pr_err("cgroup '%s': uid %u can write the root's cgroup.procs: no cgroup can hold its command",
		       start, (unsigned int)r->user.uid);
		return err;
	}
	if (err) {
		pr_err("cgroup '%s': cannot tell who may write it: %s", start,
		       errstr(err));
		return err;
	}
	if (!strcmp(parent, start))
		return 0;
	if (r->o->cgroup) {
		pr_err("--cgroup '%s': uid %u can write its cgroup.procs or a parent's, so the command could leave; try '%s'",
		       start, (unsigned int)r->user.uid, parent);
		return -EPERM;
	}
	pr_info("uid %u can write cgroup '%s'; the command's goes under '%s'",
		(unsigned int)r->user.uid, start, parent);
	return 0;
}

/* A cgroup of its own, with the hooks on it and no one in it yet. */
static int make_cgroup(struct run *r)
{
	char parent[PATH_MAX], name[64];
	int err;

	err = choose_cgroup_parent(r, parent, sizeof(parent));
	if (err)
		return err;
	cgroup_sweep_stale(parent, RUN_CGROUP_PREFIX);
	snprintf(name, sizeof(name), "%s.%d", RUN_CGROUP_PREFIX, getpid());
	err = cgroup__create(&r->cg, parent, name);
	if (err)
		return err;
	return datapath__attach_confined(r->dp, r->cg.fd);
}

static int start_command(struct run *r)
{
	struct launch_opts lo = {
		.argv = r->o->args,
		.cgroup_fd = r->cg.fd,
		.user = &r->user,
		.deny_packet_sockets = r->o->policy.mode == POLICY_MODE_ENFORCE,
		.sigmask = &r->old_mask,
	};
	char err_text[LAUNCH_ERR_MAX];
	int err;

	err = launch_command(&lo, &r->child, &r->failed_status, err_text,
			     sizeof(err_text));
	if (err) {
		pr_err("%s", err_text);
		return err;
	}
	r->started = true;
	pr_info("running '%s' (pid %d) in %s", r->o->args[0], r->child,
		r->cg.path);
	return 0;
}

static int set_up(struct run *r)
{
	int (*const steps[])(struct run *) = {
		setup_signals, open_audit,	open_summary,
		open_datapath, track_processes, start_proxy,
		allow_local,   open_events,	make_cgroup,
	};
	size_t i;
	int err;

	err = upstream_resolve(&r->o->policy, NULL);
	for (i = 0; !err && i < sizeof(steps) / sizeof(steps[0]); i++)
		err = steps[i](r);
	if (!err) {
		audit__start(r->audit,
			     r->o->policy.mode == POLICY_MODE_AUDIT ? "audit" :
								      "enforce",
			     NULL, getpid());
		audit__flush(r->audit);
	}
	return err;
}

/*
 * Serve the command's DNS and events until it exits. Returns 0, or a
 * negative errno when the loop fails: moat can then no longer answer DNS or report, and the command
 * is stopped with the rest rather than left to run unwatched.
 */
static int serve(struct run *r)
{
	uint64_t now;
	int n;

	while (!r->exited) {
		n = loop__run_once(&r->loop, proxy__tick(r->px));
		if (n < 0) {
			pr_err("moat run: the event loop failed: %s; stopping the command",
			       errstr(n));
			return n;
		}
		audit__flush(r->audit);
		now = loop_now_ms();
		if (now - r->expired_ms >= RUN_EXPIRE_MS) {
			n = allowlist__expire(&r->al);
			if (n < 0)
				pr_warn("cannot expire learned addresses: %s",
					errstr(n));
			r->expired_ms = now;
		}
	}
	return 0;
}

/* A shell's convention: the status, or 128 and the signal that killed it. */
static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNTIME;
}

static void write_summaries(struct run *r)
{
	struct summary *s = summary__new();
	FILE *log, *md;
	int fd, err;

	audit__flush(r->audit);
	if (!s || r->log_fd < 0 || lseek(r->log_fd, 0, SEEK_SET) < 0)
		goto out;
	fd = dup(r->log_fd);
	log = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!log) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	summary__add_file(s, log);
	fclose(log);

	summary__text(s, stderr, RUN_TEXT_ROWS);
	if (r->summary_fd < 0)
		goto out;
	md = fdopen(r->summary_fd, "w");
	if (!md) {
		err = -errno;
		close(r->summary_fd);
	} else {
		err = summary__markdown(s, md, SUMMARY_ROWS_DEFAULT);
		if (fclose(md) && !err)
			err = -errno;
	}
	r->summary_fd = -1;
	if (err)
		pr_err("summary '%s': cannot write it: %s", r->o->summary_file,
		       errstr(err));
out:
	summary__free(s);
}

/*
 * Everything the command started goes with it: the cgroup cannot be
 * removed while a process is in it. Should one survive, the hooks stay
 * on its cgroup (it remains confined) and the next moat run cleans up.
 */
static void tear_down(struct run *r)
{
	bool empty = r->cg.fd < 0;

	if (r->cg.fd >= 0)
		empty = !cgroup__kill(&r->cg, RUN_KILL_TIMEOUT_MS);
	if (!empty)
		pr_warn("cgroup '%s': processes the command started would not die; they stay there, confined",
			r->cg.path);
	if (r->dp && r->audit) {
		datapath__consume_events(r->dp);
		report__stats(&r->report, r->px, r->dp);
	}
	if (r->audit && r->started)
		write_summaries(r);
	proxy__free(r->px);
	if (r->steps_ready)
		steps__fini(&r->steps);
	if (r->al_ready)
		allowlist__fini(&r->al);
	if (!empty)
		datapath__keep_confined(r->dp);
	datapath__close(r->dp);
	if (empty && cgroup__remove(&r->cg))
		pr_warn("cgroup '%s': cannot remove it: %s", r->cg.path,
			errstr(-errno));
	audit__close(r->audit);
	if (r->log_fd >= 0)
		close(r->log_fd);
	if (r->summary_fd >= 0)
		close(r->summary_fd);
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	loop__fini(&r->loop);
}

static int run_command(struct options *o)
{
	struct run r = { .o = o,
			 .log_fd = -1,
			 .summary_fd = -1,
			 .sig_fd = -1,
			 .loop = { .epfd = -1 },
			 .cg = { .fd = -1 },
			 .failed_status = EXIT_RUNTIME };
	char err_text[LAUNCH_ERR_MAX];
	int err, status = EXIT_RUNTIME;

	if (geteuid() != 0) {
		pr_err("moat run needs root (CAP_BPF, CAP_NET_ADMIN, and a cgroup of its own); run it with sudo");
		return EXIT_RUNTIME;
	}
	if (launch_user_resolve(o->run_user, &r.user, err_text,
				sizeof(err_text))) {
		pr_err("%s", err_text);
		return EXIT_USAGE;
	}
	log_route_libbpf();
	err = launch_withhold_sockets();
	if (err) {
		pr_err("cannot look through inherited file descriptors: %s",
		       errstr(err));
		return EXIT_RUNTIME;
	}
	r.report = (struct report){
		.al = &r.al,
		.policy = &o->policy,
		.steps = &r.steps,
		.boot_to_real_ns = report_boot_to_real_ns(),
	};
	err = loop__init(&r.loop);
	if (!err)
		err = set_up(&r);
	r.report.audit = r.audit;
	if (!err)
		err = start_command(&r);
	if (!err) {
		status = serve(&r) ? EXIT_RUNTIME : exit_status(r.status);
	} else {
		status = r.failed_status;
	}
	tear_down(&r);
	return status;
}

static const char run_help[] =
	"Usage: moat run [POLICY] [OPTIONS] -- COMMAND [ARG...]\n"
	"\n"
	"Run one command, and everything it starts, under the policy; nothing\n"
	"else on this host is touched. A connection the policy does not allow\n"
	"fails at once (connection refused), DNS goes to moat's own proxy\n"
	"whatever resolver the command asks, and at the end what was blocked\n"
	"is listed on stderr. Exits with the command's status (128+N if\n"
	"signal N killed it). Needs root: run it with sudo, and the command\n"
	"runs as you.\n"
	"\n" OPTIONS_POLICY_HELP OPTIONS_PORTS_HELP "\n"
	"Options:\n"
	"  --user USER            run the command as USER (default: the user\n"
	"                         who ran sudo, else root)\n"
	"  --audit-log FILE       append NDJSON events to FILE\n"
	"  --summary FILE         write the markdown report to FILE at exit\n"
	"  --cgroup DIR           make the command's cgroup under DIR\n"
	"                         (default: under moat's own, or the nearest\n"
	"                         cgroup above it that the command's user\n"
	"                         cannot write)\n"
	"  -v, --verbose          more detail on stderr\n"
	"\n"
	"Example:\n"
	"  sudo moat run --allow registry.npmjs.org:443 -- npm ci\n";

int cmd_run(int argc, char **argv)
{
	struct options o;
	int ret;

	ret = options_parse("run", run_help, OPTS_POLICY | OPTS_RUN, argc, argv,
			    &o);
	if (!ret && !o.nargs) {
		pr_err("moat run: no command to run; see 'moat run --help'");
		ret = EXIT_USAGE;
	}
	if (!ret) {
		log_set_level(o.verbose >= 2 ? LOG_LEVEL_DEBUG :
			      o.verbose	     ? LOG_LEVEL_INFO :
					       LOG_LEVEL_WARN);
		ret = run_command(&o);
	}
	options_fini(&o);
	return ret < 0 ? 0 : ret;
}
