// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* launch.c - start the confined command: in its cgroup, as its user */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#define SYS_SOCKET_CALL 1 /* socketcall()'s number for socket() */

static int parse_id(const char *text, unsigned long *id)
{
	char *end;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	*id = strtoul(text, &end, 10);
	return errno || *end || *id > 0x7fffffffUL ? -EINVAL : 0;
}

static void user_from_passwd(const struct passwd *pw, struct launch_user *u)
{
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
}

/* --user NAME or --user UID (a UID with no passwd entry keeps GID = UID). */
static int user_from_spec(const char *spec, struct launch_user *u, char *err,
			  size_t err_len)
{
	struct passwd *pw = getpwnam(spec);
	unsigned long id;

	if (!pw && !parse_id(spec, &id)) {
		pw = getpwuid((uid_t)id);
		if (!pw) {
			u->uid = (uid_t)id;
			u->gid = (gid_t)id;
			return 0;
		}
	}
	if (!pw) {
		snprintf(err, err_len, "--user '%s': no such user", spec);
		return -EINVAL;
	}
	user_from_passwd(pw, u);
	return 0;
}

/* Started through sudo: the user who typed it, with the groups they had. */
static int user_from_sudo(struct launch_user *u, char *err, size_t err_len)
{
	const char *name = getenv("SUDO_USER");
	unsigned long uid, gid;
	struct passwd *pw;

	if (parse_id(getenv("SUDO_UID"), &uid) ||
	    parse_id(getenv("SUDO_GID"), &gid)) {
		snprintf(
			err, err_len,
			"SUDO_UID and SUDO_GID are not numbers; pass --user USER");
		return -EINVAL;
	}
	pw = getpwuid((uid_t)uid);
	if (pw)
		user_from_passwd(pw, u);
	else if (name)
		snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	return 0;
}

/*
 * The user's groups as initgroups() would set them; a user with no
 * passwd name gets only the primary group. A user in more groups than
 * fit keeps the first ones, and moat says so.
 */
static void lookup_groups(struct launch_user *u)
{
	int n = LAUNCH_GROUPS_MAX;

	u->groups[0] = u->gid;
	u->ngroups = 1;
	if (!u->name[0])
		return;
	if (getgrouplist(u->name, u->gid, u->groups, &n) >= 0) {
		u->ngroups = n;
		return;
	}
	/*
	 * Only a count larger than the room says the list was cut; any
	 * other failure (an unreadable group database) leaves the list
	 * unfilled, and the command then gets its primary group alone.
	 */
	if (n > LAUNCH_GROUPS_MAX) {
		pr_warn("user '%s' is in %d groups; the command gets the first %d",
			u->name, n, LAUNCH_GROUPS_MAX);
		u->ngroups = LAUNCH_GROUPS_MAX;
		return;
	}
	pr_warn("user '%s': cannot read its groups; the command gets only group %u",
		u->name, (unsigned int)u->gid);
	u->groups[0] = u->gid;
	u->ngroups = 1;
}

int launch_user_resolve(const char *spec, struct launch_user *u, char *err,
			size_t err_len)
{
	int ret = 0;

	memset(u, 0, sizeof(*u));
	if (spec)
		ret = user_from_spec(spec, u, err, err_len);
	else if (getenv("SUDO_UID"))
		ret = user_from_sudo(u, err, err_len);
	u->change = u->uid != 0 || u->gid != 0;
	if (!ret && u->change)
		lookup_groups(u);
	return ret;
}

#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define NR_OFF offsetof(struct seccomp_data, nr)
/* The low 32 bits of an argument, on a little-endian machine. */
#define ARG_OFF(n) offsetof(struct seccomp_data, args[n])
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the seccomp filter reads the low half of arguments little-endian"
#endif

/*
 * Packet sockets (AF_PACKET, and SOCK_PACKET, which the kernel makes an
 * AF_PACKET socket of) and AF_XDP sockets send frames that no cgroup hook
 * sees, so the confined command may not create them: socket() fails with
 * EPERM. Both also need CAP_NET_RAW, so this matters for a command run as
 * root or a program with that file capability. The compat ABI is covered
 * too; on i386, socket() through socketcall() cannot have its family
 * read, and is refused whatever the family (modern i386 C libraries call
 * socket() directly). Jump offsets count from the next instruction.
 */
#if defined(__x86_64__)
static struct sock_filter socket_filter[] = {
	/* 0 */ LD(ARCH_OFF),
	/* 1 */ JEQ(AUDIT_ARCH_X86_64, 0, 3),
	/* 2 */ LD(NR_OFF),
	/* 3 */ JEQ(__NR_socket, 7, 0),
	/* 4 */ JEQ(__NR_socket | 0x40000000 /* x32 */, 6, 12),
	/* 5 */ JEQ(AUDIT_ARCH_I386, 0, 11),
	/* 6 */ LD(NR_OFF),
	/* 7 */ JEQ(359 /* i386 socket */, 3, 0),
	/* 8 */ JEQ(102 /* i386 socketcall */, 0, 8),
	/* 9 */ LD(ARG_OFF(0)),
	/* 10 */ JEQ(SYS_SOCKET_CALL, 7, 6),
	/* 11 */ LD(ARG_OFF(0)),
	/* 12 */ JEQ(AF_PACKET, 5, 0),
	/* 13 */ JEQ(AF_XDP, 4, 0),
	/* 14 */ LD(ARG_OFF(1)),
	/* 15 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),
	/* 16 */ JEQ(SOCK_PACKET, 1, 0),
	/* 17 */ RET(SECCOMP_RET_ALLOW),
	/* 18 */ RET(SECCOMP_RET_ERRNO | EPERM),
};
#elif defined(__aarch64__)
static struct sock_filter socket_filter[] = {
	/* 0 */ LD(ARCH_OFF),
	/* 1 */ JEQ(AUDIT_ARCH_AARCH64, 0, 2),
	/* 2 */ LD(NR_OFF),
	/* 3 */ JEQ(__NR_socket, 3, 9),
	/* 4 */ JEQ(AUDIT_ARCH_ARM, 0, 8),
	/* 5 */ LD(NR_OFF),
	/* 6 */ JEQ(281 /* arm socket */, 0, 6),
	/* 7 */ LD(ARG_OFF(0)),
	/* 8 */ JEQ(AF_PACKET, 5, 0),
	/* 9 */ JEQ(AF_XDP, 4, 0),
	/* 10 */ LD(ARG_OFF(1)),
	/* 11 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),
	/* 12 */ JEQ(SOCK_PACKET, 1, 0),
	/* 13 */ RET(SECCOMP_RET_ALLOW),
	/* 14 */ RET(SECCOMP_RET_ERRNO | EPERM),
};
#endif

/*
 * Installed while still root (CAP_SYS_ADMIN), so no_new_privs is not
 * needed and setuid programs (sudo) keep working under it.
 */
static int deny_packet_sockets(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct sock_fprog prog = {
		.len = sizeof(socket_filter) / sizeof(socket_filter[0]),
		.filter = socket_filter,
	};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -errno : 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* What the child failed at, sent up a pipe that exec closes. */
enum launch_step {
	LAUNCH_CGROUP = 1,
	LAUNCH_SECCOMP,
	LAUNCH_GROUPS,
	LAUNCH_GID,
	LAUNCH_UID,
	LAUNCH_PARENT,
	LAUNCH_EXEC,
};

struct launch_failure {
	int step;
	int err;
};

static const char *const step_words[] = {
	[LAUNCH_CGROUP] = "cannot join its cgroup",
	[LAUNCH_SECCOMP] = "cannot install its seccomp filter",
	[LAUNCH_GROUPS] = "cannot set its groups",
	[LAUNCH_GID] = "cannot set its group id",
	[LAUNCH_UID] = "cannot set its user id",
	[LAUNCH_PARENT] = "moat exited first",
	[LAUNCH_EXEC] = "cannot run it",
};

static __attribute__((noreturn)) void child_fail(int fd, int step)
{
	struct launch_failure f = { .step = step, .err = errno };
	ssize_t n = write(fd, &f, sizeof(f));

	(void)n;
	_exit(127);
}

static int join_cgroup(int cgroup_fd)
{
	int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, "0", 1); /* "0": the writing process */
	close(fd);
	return n == 1 ? 0 : -1;
}

static int drop_to(const struct launch_user *u, int fd)
{
	if (setgroups((size_t)u->ngroups, u->groups))
		child_fail(fd, LAUNCH_GROUPS);
	if (setresgid(u->gid, u->gid, u->gid))
		child_fail(fd, LAUNCH_GID);
	if (setresuid(u->uid, u->uid, u->uid))
		child_fail(fd, LAUNCH_UID);
	/* Never run the command as root by mistake. */
	if (u->uid && (setuid(0) == 0 || geteuid() != u->uid)) {
		errno = EPERM;
		child_fail(fd, LAUNCH_UID);
	}
	if (u->name[0]) {
		setenv("USER", u->name, 1);
		setenv("LOGNAME", u->name, 1);
	}
	if (u->home[0])
		setenv("HOME", u->home, 1);
	return 0;
}

static __attribute__((noreturn)) void child_run(const struct launch_opts *o,
						pid_t parent, int fd)
{
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, o->sigmask, NULL);

	if (join_cgroup(o->cgroup_fd))
		child_fail(fd, LAUNCH_CGROUP);
	if (o->deny_packet_sockets) {
		int err = deny_packet_sockets();

		if (err) {
			errno = -err;
			child_fail(fd, LAUNCH_SECCOMP);
		}
	}
	if (o->user->change)
		drop_to(o->user, fd);
	/* Credentials changed: set the parent-death signal only now. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) {
		errno = ESRCH;
		child_fail(fd, LAUNCH_PARENT);
	}
	execvp(o->argv[0], o->argv);
	child_fail(fd, LAUNCH_EXEC);
}

/* A socket whose packets would need the hooks: IP, packet, AF_XDP. */
static bool is_network_socket(int fd)
{
	socklen_t len = sizeof(int);
	int domain;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len))
		return false; /* ENOTSOCK: not a socket at all */
	return domain == AF_INET || domain == AF_INET6 || domain == AF_PACKET ||
	       domain == AF_XDP;
}

int launch_withhold_sockets(void)
{
	struct dirent *de;
	DIR *dir;
	long fd;
	char *end;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		fd = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || fd == dirfd(dir))
			continue;
		if (!is_network_socket((int)fd))
			continue;
		if (fd <= STDERR_FILENO) {
			pr_warn("fd %ld (the command's %s) is a network socket from outside its cgroup: moat's hooks do not see it",
				fd,
				fd == 0 ? "stdin" :
				fd == 1 ? "stdout" :
					  "stderr");
			continue;
		}
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) == 0)
			pr_info("fd %ld: an inherited network socket, withheld from the command (moat's hooks would not see it)",
				fd);
	}
	closedir(dir);
	return 0;
}

int launch_command(const struct launch_opts *o, pid_t *pid, int *status,
		   char *err, size_t err_len)
{
	struct launch_failure f;
	pid_t parent = getpid();
	int fds[2];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		int e = -errno;

		close(fds[0]);
		close(fds[1]);
		return e;
	}
	if (*pid == 0) {
		close(fds[0]);
		child_run(o, parent, fds[1]);
	}

	close(fds[1]);
	do
		n = read(fds[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != (ssize_t)sizeof(f))
		return 0; /* the pipe closed on exec */

	waitpid(*pid, NULL, 0);
	if (f.step < LAUNCH_CGROUP || f.step > LAUNCH_EXEC)
		f.step = LAUNCH_EXEC;
	*status = f.step != LAUNCH_EXEC ? 1 : f.err == ENOENT ? 127 : 126;
	snprintf(err, err_len, "'%s': %s: %s", o->argv[0], step_words[f.step],
		 strerror(f.err));
	return f.err > 0 ? -f.err : -EIO;
}
