/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lockdown.h - take root away from the job's user while moat runs */
#ifndef MOAT_LOCKDOWN_H
#define MOAT_LOCKDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define LOCKDOWN_DROPIN "/etc/sudoers.d/zzzz-moat-lockdown"
#define LOCKDOWN_ERR_MAX 512
#define LOCKDOWN_ALLOW_MAX 32

/* What a lockdown changed, so that it can be undone after a crash. */
struct lockdown_state {
	bool dropin; /* LOCKDOWN_DROPIN is moat's */
	char socket[108]; /* the docker socket moat closed, or "" */
	unsigned int mode; /* its mode and group before */
	gid_t gid;
};

struct lockdown_opts {
	const char *user;
	const char *allow[LOCKDOWN_ALLOW_MAX]; /* absolute command paths */
	size_t nallow;
	/* moat's own binary, which the user may run as "moat stop" only */
	const char *stop_command;
};

/*
 * Refuse a command sudo may still run: a relative path, one a non-root
 * user can change, or a program that is root by another name (a shell or
 * launcher, an editor or pager, an interpreter, a debugger, a package
 * manager or build tool, docker, systemd-run, tee, cp, chmod, ...), by
 * its name or the name of the file it links to, with or without a
 * version or a suffix after a '.' or '-' (vim.basic, python3.12,
 * systemd-run). Returns 0, or -EINVAL with *why.
 */
int lockdown_check_command(const char *path, const char **why);

/*
 * Take sudo from the user, but for the allowed commands, by a sudoers
 * rule that matches last, and close the docker socket to them (the
 * docker group is root by another name). Anything that would let a rule
 * of the user's come after moat's makes it fail, closed, with err set;
 * what it changed is in *st either way. Returns 0 or a negative errno.
 */
int lockdown__apply(const struct lockdown_opts *opts, struct lockdown_state *st,
		    char *err, size_t err_len);

/*
 * Write the drop-in's rules to f: all of sudo denied to opts->user, then
 * each allowed command, tagged NOEXEC so that it cannot start a shell,
 * then "moat stop". Returns 0, or -EIO when f reports a write error.
 */
int lockdown_write_rules(const struct lockdown_opts *opts, FILE *f);

/* Undo what st says was changed; safe to call on any state. */
void lockdown__restore(struct lockdown_state *st);

#endif /* MOAT_LOCKDOWN_H */
