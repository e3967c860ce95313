// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_control.c - `moat start`, `moat stop` and `moat wait-ready` */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "daemon.h"
#include "datapath.h"
#include "log.h"
#include "netfilter.h"
#include "options.h"
#include "runfiles.h"

static const char start_help[] =
	"Usage: moat start [POLICY] [PLACEMENT]\n"
	"\n"
	"Guard this host in the foreground until SIGINT or SIGTERM, then\n"
	"remove everything moat installed. Only the hosts the policy names\n"
	"can be reached: everything else is blocked, and reported.\n"
	"\n" OPTIONS_POLICY_HELP
	"  --github               GitHub Actions preset: allow the hosts the\n"
	"                         runner needs (its ACTIONS_*_URL hosts and the\n"
	"                         --github-hosts list), and name workflow steps\n"
	"  --github-hosts LIST    replace the default list of GitHub service\n"
	"                         hosts (comma separated HOST[:PORTS]; 443/tcp\n"
	"                         when no port is given)\n" OPTIONS_PORTS_HELP
	"\n"
	"PLACEMENT options:\n"
	"  --interface IFACE      egress interface (default: the default route's)\n"
	"  --cgroup DIR           cgroup v2 directory for the socket hooks\n"
	"  --dns-listen ADDR:PORT the proxy's address (default 127.0.0.1:53)\n"
	"  --audit-log FILE       append NDJSON events to FILE\n"
	"  --pid-file FILE        (default " MOAT_DEFAULT_PID_FILE ")\n"
	"  --ready-file FILE      written once enforcement is live\n"
	"                         (default " MOAT_DEFAULT_READY_FILE ")\n"
	"  --sudo-lockdown        take sudo (and the docker socket) from the\n"
	"                         user who ran moat through sudo, until moat stops\n"
	"  --sudo-user USER       whose sudo to take (default $SUDO_USER)\n"
	"  --sudo-allow CMD       an absolute command path sudo may still run\n"
	"  -v, --verbose          more detail on stderr (twice for libbpf's)\n"
	"\n"
	"Warning: on a real host this cuts off everything the policy does not\n"
	"allow, for every process, until moat stops.\n";

static const char stop_help[] =
	"Usage: moat stop [--pid-file FILE] [--timeout SECONDS]\n"
	"\n"
	"Stop the moat daemon and wait until it has restored the host. If it\n"
	"was killed, remove what it left behind in this network namespace.\n";

static const char wait_ready_help[] =
	"Usage: moat wait-ready [--ready-file FILE] [--pid-file FILE]\n"
	"                       [--timeout SECONDS]\n"
	"\n"
	"Wait until moat's enforcement is live. Fails at the timeout, or at\n"
	"once if the daemon named by --pid-file exits first.\n";

int cmd_start(int argc, char **argv)
{
	struct options o;
	int ret;

	ret = options_parse("start", start_help, OPTS_POLICY | OPTS_PLACEMENT,
			    argc, argv, &o);
	if (!ret && o.nargs) {
		pr_err("moat start: unexpected operand '%s'; see 'moat start --help'",
		       o.args[0]);
		ret = EXIT_USAGE;
	}
	if (!ret) {
		log_set_level(o.verbose >= 2 ? LOG_LEVEL_DEBUG :
			      o.verbose	     ? LOG_LEVEL_INFO :
					       LOG_LEVEL_WARN);
		ret = daemon_run(&o);
	}
	options_fini(&o);
	return ret < 0 ? 0 : ret;
}

struct control_opts {
	const char *pid_file;
	const char *ready_file;
	double timeout;
};

/* The small option set of stop and wait-ready. */
static int control_parse(const char *command, const char *help, int argc,
			 char **argv, struct control_opts *co)
{
	static const struct option longopts[] = {
		{ "pid-file", required_argument, NULL, 'p' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(help, stdout);
			return -1;
		case 'p':
			co->pid_file = optarg;
			break;
		case 'r':
			co->ready_file = optarg;
			break;
		case 't':
			co->timeout = strtod(optarg, &end);
			if (*end || end == optarg || co->timeout < 0) {
				pr_err("moat %s: --timeout '%s': expected a number of seconds",
				       command, optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			pr_err("moat %s: unknown option '%s'; see 'moat %s --help'",
			       command, argv[optind - 1], command);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_err("moat %s: unexpected operand '%s'", command,
		       argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Undo what a killed daemon left in this network namespace. */
static int clean_stale(void)
{
	struct run_state stale;
	char err_text[2048];
	pid_t holder = 0;
	int fd, err = 0;

	fd = run_state_lock(&holder, &stale);
	if (fd == -EBUSY) {
		pr_err("a moat daemon (pid %d) still runs in this network namespace",
		       holder);
		return EXIT_RUNTIME;
	}
	if (fd < 0)
		return 0; /* no state directory: nothing was ever set up */
	if (stale.ifindex) {
		err = datapath_detach_link(stale.ifindex, stale.created_qdisc);
		if (err)
			pr_err("link %s: cannot remove moat's filter: %s",
			       stale.ifname, errstr(err));
		else
			pr_warn("removed the classifier a killed moat (pid %d) left on %s",
				stale.pid, stale.ifname);
	}
	if (netfilter__present()) {
		if (netfilter__remove(err_text, sizeof(err_text))) {
			pr_err("DNS redirect: %s", err_text);
			err = -EIO;
		}
		conntrack_flush_dns();
	}
	lockdown__restore(&stale.lockdown);
	run_state_release(fd);
	return err ? EXIT_RUNTIME : 0;
}

/*
 * Wait for the daemon to exit. A daemon under a sudo lockdown refuses a
 * stop from anywhere but the job's post step and says so with SIGUSR1,
 * so that a refused stop fails at once rather than at the timeout.
 */
static int wait_exit(pid_t pid, double timeout, const sigset_t *usr1)
{
	double deadline = now_s() + timeout;
	struct timespec tick = { 0, 20 * 1000000L };
	siginfo_t info;

	while (kill(pid, 0) == 0 && process_is_moat(pid)) {
		if (now_s() >= deadline)
			return -ETIMEDOUT;
		if (sigtimedwait(usr1, &info, &tick) == SIGUSR1 &&
		    info.si_pid == pid)
			return -EPERM;
	}
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	struct control_opts co = { .pid_file = MOAT_DEFAULT_PID_FILE,
				   .timeout = 15 };
	sigset_t usr1;
	pid_t pid = 0;
	int ret;

	ret = control_parse("stop", stop_help, argc, argv, &co);
	if (ret)
		return ret < 0 ? 0 : ret;

	if (runfile_read_pid(co.pid_file, &pid) || !process_is_moat(pid)) {
		pr_info("no moat daemon runs for '%s'", co.pid_file);
		unlink(co.pid_file);
		return clean_stale();
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (kill(pid, SIGTERM)) {
		pr_err("moat (pid %d): cannot signal it: %s", pid,
		       errstr(errno));
		return EXIT_RUNTIME;
	}
	ret = wait_exit(pid, co.timeout, &usr1);
	if (ret == -EPERM) {
		pr_err("moat (pid %d) refused to stop: under the sudo lockdown only the job's post step may stop it; the attempt is in the audit log",
		       pid);
		return EXIT_RUNTIME;
	}
	if (ret) {
		pr_err("moat (pid %d) did not stop within %g seconds", pid,
		       co.timeout);
		return EXIT_RUNTIME;
	}
	return 0;
}

/*
 * A daemon that wait-ready saw alive and that is gone now. A pid file may
 * name a killed daemon of an earlier run until the new one rewrites it,
 * so only a daemon seen alive counts.
 */
static bool daemon_died(const char *pid_file, pid_t *seen)
{
	pid_t pid = 0;

	if (!pid_file)
		return false;
	if (runfile_read_pid(pid_file, &pid) == 0 && process_is_moat(pid))
		*seen = pid;
	else if (*seen && pid != *seen)
		return !process_is_moat(*seen);
	return *seen && !process_is_moat(*seen);
}

int cmd_wait_ready(int argc, char **argv)
{
	struct control_opts co = { .ready_file = MOAT_DEFAULT_READY_FILE,
				   .timeout = 30 };
	double deadline;
	pid_t pid, seen = 0;
	int ret;

	ret = control_parse("wait-ready", wait_ready_help, argc, argv, &co);
	if (ret)
		return ret < 0 ? 0 : ret;

	deadline = now_s() + co.timeout;
	for (;;) {
		if (!runfile_read_pid(co.ready_file, &pid) &&
		    runfile_owner_alive(co.ready_file, pid))
			return 0;
		if (daemon_died(co.pid_file, &seen)) {
			pr_err("moat (pid %d) exited before it was ready",
			       seen);
			return EXIT_RUNTIME;
		}
		if (now_s() >= deadline)
			break;
		sleep_ms(5);
	}
	pr_err("moat was not ready within %g seconds ('%s')", co.timeout,
	       co.ready_file);
	return EXIT_RUNTIME;
}
