/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* launch.h - start the confined command: in its cgroup, as its user */
#ifndef MOAT_LAUNCH_H
#define MOAT_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Room for a message about why the command did not start. */
#define LAUNCH_ERR_MAX 512

/* Supplementary groups kept for the command; more are left out. */
#define LAUNCH_GROUPS_MAX 256

struct launch_user {
	bool change; /* false: keep moat's own (root) */
	uid_t uid;
	gid_t gid;
	char name[64]; /* for $USER; may be empty */
	char home[256]; /* for $HOME; may be empty */
	/* Supplementary groups, looked up before the fork: NSS (LDAP,
	 * sssd) has no place in a forked child. */
	gid_t groups[LAUNCH_GROUPS_MAX];
	int ngroups;
};

/*
 * Who runs the command: --user NAME|UID if given, else the user who ran
 * sudo (SUDO_UID, SUDO_GID, SUDO_USER), else root. Returns 0 or -EINVAL
 * with err saying why.
 */
int launch_user_resolve(const char *spec, struct launch_user *u, char *err,
			size_t err_len);

/*
 * Keep moat's inherited network sockets (IP, packet, AF_XDP) from the
 * command: the socket hooks judge a socket by the cgroup it was made in,
 * so one made before the command's cgroup existed would carry packets
 * past them. They are marked close-on-exec, so moat, not the command,
 * holds them; stdin, stdout and stderr are kept, with a warning, being
 * how whoever started moat talks to the command. Returns 0 or a negative
 * errno.
 */
int launch_withhold_sockets(void);

struct launch_opts {
	char *const *argv; /* the command and its arguments */
	int cgroup_fd; /* the cgroup it joins before it runs */
	const struct launch_user *user;
	/* Refuse packet and AF_XDP sockets (seccomp): no cgroup hook sees
	 * what they send. */
	bool deny_packet_sockets;
	const sigset_t *sigmask; /* the mask the command starts with */
};

/*
 * Fork and exec the command. The child joins the cgroup, gets its
 * seccomp filter and drops to the user before exec, and dies if moat
 * does; nothing of moat's runs in it. Returns 0 with *pid set once the
 * exec happened, or a negative errno with err saying which step failed
 * and *status what a shell would exit with (127: not found, 126: not
 * runnable, 1: the set-up failed); the child is then reaped.
 */
int launch_command(const struct launch_opts *o, pid_t *pid, int *status,
		   char *err, size_t err_len);

#endif /* MOAT_LAUNCH_H */
