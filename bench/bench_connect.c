// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench_connect.c - what moat's socket hooks add to connect() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "cgroup.h"
#include "datapath.h"
#include "log.h"

/*
 * connect() on loopback, in a network namespace of the benchmark's own,
 * timed call by call, from three cgroups in turn: one with no hooks, one
 * with moat start's (they note each socket's owner), one with moat run's
 * (they decide each call). The process moves between them round by
 * round, so that all three see the same machine. UDP connect() is a
 * route lookup and little else, which shows a hook's cost most plainly;
 * TCP's carries a whole handshake on loopback.
 */
#define CALLS 20000
#define TCP_CALLS 4000 /* each leaves a socket in TIME_WAIT */
#define ROUNDS 7

enum config { CFG_NONE, CFG_START, CFG_RUN, CFG_MAX };

static const char *const config_names[] = { "none", "start_hooks",
					    "run_hooks" };

struct bench {
	struct cgroup home; /* where the benchmark started, to go back to */
	struct cgroup parent, cg[CFG_MAX];
	struct datapath *start, *run;
	struct policy pol;
	struct sockaddr_in udp_dst, tcp_dst;
	int listener;
};

static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_UP };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

static int listen_tcp(struct bench *b)
{
	socklen_t len = sizeof(b->tcp_dst);

	b->tcp_dst.sin_family = AF_INET;
	b->tcp_dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b->listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (b->listener < 0 ||
	    bind(b->listener, (struct sockaddr *)&b->tcp_dst, len) ||
	    listen(b->listener, 4096) ||
	    getsockname(b->listener, (struct sockaddr *)&b->tcp_dst, &len))
		return -errno;
	b->udp_dst = b->tcp_dst;
	return 0;
}

static int make_cgroups(struct bench *b)
{
	char root[PATH_MAX], name[64];
	int i, err = cgroup_v2_root(root, sizeof(root));

	if (!err)
		err = cgroup_self(b->home.path, sizeof(b->home.path));
	if (!err) {
		b->home.fd = open(b->home.path, O_RDONLY | O_DIRECTORY);
		err = b->home.fd < 0 ? -errno : 0;
	}
	snprintf(name, sizeof(name), "moat-bench.%d", getpid());
	if (!err)
		err = cgroup__create(&b->parent, root, name);
	for (i = 0; i < CFG_MAX && !err; i++)
		err = cgroup__create(&b->cg[i], b->parent.path,
				     config_names[i]);
	return err;
}

static int attach(struct bench *b)
{
	struct datapath_opts start = { .ifindex = 1, .has_l2 = true };
	struct datapath_opts run = { .programs = DATAPATH_CONFINE };
	int err;

	err = policy__init(&b->pol);
	if (!err)
		err = datapath__open(&b->start, &start);
	if (!err)
		err = datapath__attach_hooks(b->start, b->cg[CFG_START].path,
					     false);
	if (!err)
		err = datapath__open(&b->run, &run);
	if (!err)
		err = datapath__load_policy(b->run, &b->pol);
	if (!err)
		err = datapath__attach_confined(b->run, b->cg[CFG_RUN].fd);
	return err;
}

static int join(const struct cgroup *cg)
{
	int fd = openat(cg->fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, "0", 1);

	if (fd >= 0)
		close(fd);
	return n == 1 ? 0 : -errno;
}

/* Mean nanoseconds of connect() itself, over many sockets. */
static double time_connects(struct bench *b, int type)
{
	const struct sockaddr_in *dst = type == SOCK_STREAM ? &b->tcp_dst :
							      &b->udp_dst;
	int i, fd, peer, calls = type == SOCK_STREAM ? TCP_CALLS : CALLS;
	uint64_t total = 0, t0;

	for (i = 0; i < calls; i++) {
		fd = socket(AF_INET, type, 0);
		if (fd < 0)
			return -1;
		t0 = bench_now_ns();
		if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst))) {
			close(fd);
			return -1;
		}
		total += bench_now_ns() - t0;
		close(fd);
		while ((peer = accept(b->listener, NULL, NULL)) >= 0)
			close(peer);
	}
	return (double)total / calls;
}

static void tear_down(struct bench *b)
{
	int i;

	if (b->home.fd >= 0) {
		join(&b->home);
		close(b->home.fd);
	}
	datapath__close(b->start);
	datapath__close(b->run);
	policy__fini(&b->pol);
	for (i = 0; i < CFG_MAX; i++)
		cgroup__remove(&b->cg[i]);
	cgroup__remove(&b->parent);
}

static void measure(struct bench *b)
{
	double udp[CFG_MAX][ROUNDS], tcp[CFG_MAX][ROUNDS];
	char name[64];
	int r, c, i;

	/* Each round starts with another set-up: none is always first. */
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < CFG_MAX; i++) {
			c = (r + i) % CFG_MAX;
			join(&b->cg[c]);
			udp[c][r] = time_connects(b, SOCK_DGRAM);
			tcp[c][r] = time_connects(b, SOCK_STREAM);
		}
	for (c = 0; c < CFG_MAX; c++) {
		snprintf(name, sizeof(name), "connect.udp.%s", config_names[c]);
		bench_result(name, bench_median(udp[c], ROUNDS), "ns");
		snprintf(name, sizeof(name), "connect.tcp.%s", config_names[c]);
		bench_result(name, bench_median(tcp[c], ROUNDS), "ns");
	}
}

int main(void)
{
	struct bench b = { .listener = -1 };
	int i, err;

	log_set_level(LOG_LEVEL_ERROR);
	b.home.fd = -1;
	b.parent.fd = -1;
	for (i = 0; i < CFG_MAX; i++)
		b.cg[i].fd = -1;
	err = unshare(CLONE_NEWNET) ? -errno : 0;
	if (!err)
		err = loopback_up();
	if (!err)
		err = listen_tcp(&b);
	if (!err)
		err = make_cgroups(&b);
	if (!err)
		err = attach(&b);
	if (err)
		fprintf(stderr, "bench_connect: cannot set up: %s\n",
			strerror(-err));
	else
		measure(&b);
	tear_down(&b);
	return err ? 1 : 0;
}
