// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lockdown.c - take root away from the job's user while moat runs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockdown.h"
#include "log.h"
#include "subproc.h"

#define SUDOERS "/etc/sudoers"
#define SUDOERS_D "/etc/sudoers.d"
#define DROPIN_NAME "zzzz-moat-lockdown"
/* What a command path in a sudoers rule may hold: no syntax of its own. */
#define SUDOERS_SAFE                 \
	"abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-"
/* A name with a dot: sudo skips it when it reads the directory. */
#define DROPIN_TMP SUDOERS_D "/.moat-lockdown.tmp"

/*
 * Root by another name: under sudo, each of these undoes the lockdown.
 * One family a line, with the reason, which is also what the refusal
 * says. A name is refused when its base name, the part of it before the
 * first '.' (vim.basic, nc.openbsd, mkfs.ext4) or the part before the
 * first '-' (systemd-run, ssh-keygen, ld-linux-x86-64.so.2) matches, once
 * a version is taken off its end (python3.11, gcc-12, perf_6.1) and a
 * cross compiler's target off its front (x86_64-linux-gnu-gcc).
 */
#define ROOT_BY_NAME "it is root by another name: "
static const struct {
	const char *why;
	const char *names;
} root_equivalent[] = {
	/* time sh, nice sh; ld-linux.so sh, and ldd runs a binary's loader */
	{ ROOT_BY_NAME "it runs any program it is given",
	  "sh bash rbash dash zsh ksh mksh csh tcsh fish busybox toybox env "
	  "nohup setsid nice ionice chrt taskset numactl prlimit timeout "
	  "time stdbuf unbuffer faketime fakeroot flock xargs find parallel "
	  "watch entr run-parts start-stop-daemon script expect rlwrap tmux "
	  "screen byobu chroot nsenter unshare cgexec firejail bwrap ld ldd" },
	{ ROOT_BY_NAME "it runs programs as another user",
	  "su sudo sudoedit doas pkexec run0 runuser setpriv capsh sg "
	  "newgrp" },
	/* systemd-run, a unit, a D-Bus call to systemd, root's crontab */
	{ ROOT_BY_NAME "it has systemd, D-Bus or cron run a program as root",
	  "systemctl systemd service initctl busctl dbus gdbus machinectl "
	  "crontab at batch" },
	/* perf record -- sh, gdb -p 1, strace -o any file */
	{ ROOT_BY_NAME "it runs programs or takes over running ones",
	  "gdb lldb strace ltrace valgrind perf bpftrace" },
	/* :!sh in vi, !sh in less, man and journalctl's pager, \! in psql */
	{ ROOT_BY_NAME "it opens a shell from inside (!sh) or writes any file",
	  "vi vim nvim gvim view rview rvim vimdiff ex ed red nano pico "
	  "emacs jed joe mc mcedit micro editor sensible-editor "
	  "select-editor vipw vigr less more most pg man pager "
	  "sensible-pager journalctl w3m lynx elinks links mail mailx ftp "
	  "telnet sqlite3 psql mysql mariadb" },
	/* awk 'BEGIN{system("sh")}', sed's e command, dc's ! */
	{ ROOT_BY_NAME "it runs any code it is given",
	  "awk gawk mawk nawk sed perl python pypy ruby irb node nodejs deno "
	  "bun php lua luajit tclsh wish java jshell groovy scala kotlin "
	  "pwsh Rscript R julia guile ocaml ghc runghc erl escript elixir "
	  "iex sbcl clisp racket gnuplot octave dc m4 tcc" },
	/* maintainer scripts, setup.py, Makefiles, gcc -wrapper */
	{ ROOT_BY_NAME "it runs the install scripts or build rules it is given",
	  "apt apt-get aptitude dpkg snap flatpak rpm yum dnf zypper pacman "
	  "apk pip pipx uv poetry conda npm npx yarn pnpm gem bundle cpan "
	  "cpanm composer cargo rustc go make cmake meson ninja scons mvn "
	  "gradle ant bazel dotnet gcc cc c++ g++ clang clang++ cpp as "
	  "ansible puppet salt terraform helm" },
	/* docker run --privileged -v /:/host */
	{ ROOT_BY_NAME "a container it starts is root on the host",
	  "docker dockerd podman kubectl nerdctl ctr crictl buildah runc "
	  "crun containerd lxc lxd incus" },
	/*
	 * Over /etc/sudoers.d, /etc/passwd or a root-run script: sort -o,
	 * tar -x (and --checkpoint-action), unlink of moat's drop-in, which
	 * hands the user back the runner's own NOPASSWD rule.
	 */
	{ ROOT_BY_NAME "it writes, moves, removes or mounts over any file",
	  "tee cp mv rename dd install ln link unlink rm shred truncate "
	  "mkdir touch patch split csplit sort shuf uniq iconv ptx xxd "
	  "sponge rsync tar zip unzip 7z 7za 7zr unrar cpio pax bsdtar ar "
	  "objcopy strip zstd lz4 gpg openssl debugfs mknod mount umount" },
	/* chmod u+s, setfacl on /etc/shadow, setcap cap_setuid */
	{ ROOT_BY_NAME "it gives away any file, or the right to run as root",
	  "chmod chown chgrp setfacl setfattr setcap" },
	/* curl -o, git's hooks and aliases, ssh -o ProxyCommand, tcpdump -z */
	{ ROOT_BY_NAME "it writes what it fetches anywhere or runs a command",
	  "curl wget aria2c git ssh scp sftp socat nc ncat netcat tcpdump "
	  "dhclient" },
	{ ROOT_BY_NAME "it changes the kernel, the firewall or moat itself",
	  "modprobe insmod rmmod kmod kexec sysctl ip tc nft iptables "
	  "ip6tables ebtables arptables xtables conntrack bpftool moat kill "
	  "pkill killall" },
	/* a second uid 0, a library every root program loads */
	{ ROOT_BY_NAME "it changes who is root or what root runs",
	  "visudo passwd useradd usermod groupadd gpasswd chpasswd newusers "
	  "adduser addgroup ldconfig update-alternatives" },
};

static int fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EPERM;
}

/* name is one of list's space-separated words. */
static bool in_list(const char *list, const char *name, size_t len)
{
	size_t n;

	for (; *list; list += n + strspn(list + n, " ")) {
		n = strcspn(list, " ");
		if (n == len && !strncasecmp(list, name, len))
			return true;
	}
	return false;
}

static const char *family_of_exact(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(root_equivalent) / sizeof(root_equivalent[0]);
	     i++)
		if (in_list(root_equivalent[i].names, name, len))
			return root_equivalent[i].why;
	return NULL;
}

/*
 * The family name[0..len) belongs to, as it is (sqlite3, run0) or once
 * its version is off (python3.11, gcc-12), or NULL.
 */
static const char *family_of(const char *name, size_t len)
{
	const char *why = family_of_exact(name, len);

	while (!why && len > 1 && strchr("0123456789.-_", name[len - 1]))
		len--;
	return why ? why : family_of_exact(name, len);
}

/* The whole name, then the part before the first '.', then before '-'. */
static const char *name_family(const char *name)
{
	const char *why = family_of(name, strlen(name));

	if (!why)
		why = family_of(name, strcspn(name, "."));
	if (!why && *name != '-')
		why = family_of(name, strcspn(name, "-"));
	return why;
}

/* Why the command at path is root by another name, or NULL. */
static const char *root_equivalent_why(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *why, *target;

	base = base ? base + 1 : path;
	why = name_family(base);
	/* x86_64-linux-gnu-gcc-12: the tool is what follows "-linux-gnu-". */
	target = strstr(base, "-linux-");
	if (!why && target && (target = strchr(target + 7, '-')) != NULL)
		why = name_family(target + 1);
	return why;
}

/*
 * Owned by root and writable by root alone: the file and every folder
 * above it. lstat, so that each link on the way is checked too: sudo
 * resolves the rule's path when the command runs, and whoever can swap a
 * link on that path can point the rule at a shell.
 */
static bool root_owned_path(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		if (lstat(dir, &st) || st.st_uid != 0)
			return false;
		/*
		 * A link's own mode bits mean nothing; its owner does. In a
		 * sticky folder (/tmp) only an entry's owner can replace it,
		 * and the entry below was checked to be root's.
		 */
		if (!S_ISLNK(st.st_mode) && !(st.st_mode & S_ISVTX) &&
		    (st.st_mode & (S_IWGRP | S_IWOTH)))
			return false;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	return true;
}

int lockdown_check_command(const char *path, const char **why)
{
	const char *family;
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/') {
		*why = "a command must be an absolute path";
		return -EINVAL;
	}
	/* It goes into a sudoers rule: nothing that rule syntax reads. */
	if (strspn(path, SUDOERS_SAFE) != strlen(path)) {
		*why = "a command path may hold only letters, digits and / . _ + -";
		return -EINVAL;
	}
	if (!realpath(path, real) || stat(real, &st) || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & S_IXUSR)) {
		*why = "no such executable file";
		return -EINVAL;
	}
	family = root_equivalent_why(path);
	if (!family)
		family = root_equivalent_why(real);
	if (family) {
		*why = family;
		return -EINVAL;
	}
	if (!root_owned_path(path) || !root_owned_path(real)) {
		*why = "someone other than root can change it or a folder above it";
		return -EINVAL;
	}
	return 0;
}

/* sudo runs it as root for the user: only root may be able to change it. */
static int check_stop_command(const char *path, char *err, size_t err_len)
{
	if (!path)
		return 0;
	if (path[0] != '/' || strspn(path, SUDOERS_SAFE) != strlen(path))
		return fail(
			err, err_len,
			"moat's own path '%s' cannot be written into a sudoers rule; install moat under a plain path such as /usr/local/bin",
			path);
	if (!root_owned_path(path))
		return fail(
			err, err_len,
			"%s: a user other than root can change moat's binary or a folder above it, and the job's user may run it as 'sudo moat stop'; install moat in a root-owned folder first (make install)",
			path);
	return 0;
}

static bool valid_user(const char *user)
{
	size_t n = strlen(user);

	return n && n <= 32 &&
	       ((user[0] >= 'a' && user[0] <= 'z') || user[0] == '_') &&
	       strspn(user, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool is_include(const char *line, bool *dir, char *path, size_t len)
{
	char word[32], arg[PATH_MAX];

	if (sscanf(line, " %31s %4095s", word, arg) != 2)
		return false;
	if (!strcmp(word, "#includedir") || !strcmp(word, "@includedir"))
		*dir = true;
	else if (!strcmp(word, "#include") || !strcmp(word, "@include"))
		*dir = false;
	else
		return false;
	snprintf(path, len, "%s", arg);
	return true;
}

static bool is_blank_or_comment(const char *line)
{
	line += strspn(line, " \t");
	return !*line || *line == '\n' || *line == '#';
}

/*
 * sudo uses the last rule that matches. moat's rule is the last one read
 * only if /etc/sudoers includes /etc/sudoers.d at its very end, which is
 * what Debian and Ubuntu ship; anything after that include could
 * override it.
 */
static int check_main_sudoers(char *err, size_t err_len)
{
	bool seen = false, dir = false;
	char line[4096], path[PATH_MAX];
	FILE *f = fopen(SUDOERS, "r");
	int lineno = 0;

	if (!f)
		return fail(err, err_len, SUDOERS ": cannot read: %s",
			    strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (is_include(line, &dir, path, sizeof(path))) {
			seen = dir && !strcmp(path, SUDOERS_D);
			continue;
		}
		if (seen && !is_blank_or_comment(line)) {
			fclose(f);
			return fail(
				err, err_len,
				SUDOERS
				":%d: a rule after the include of " SUDOERS_D
				" could override moat's; cannot lock sudo down",
				lineno);
		}
	}
	fclose(f);
	if (!seen)
		return fail(err, err_len,
			    SUDOERS " does not end by including " SUDOERS_D
				    "; cannot lock sudo down");
	return 0;
}

/* sudo reads the directory in name order, skipping names with a dot. */
static int check_dropin_last(char *err, size_t err_len)
{
	DIR *d = opendir(SUDOERS_D);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return fail(err, err_len, SUDOERS_D ": cannot read: %s",
			    strerror(errno));
	while (!ret && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (strchr(e->d_name, '.') || (n && e->d_name[n - 1] == '~'))
			continue;
		if (strcmp(e->d_name, DROPIN_NAME) > 0)
			ret = fail(
				err, err_len,
				SUDOERS_D
				"/%s is read after moat's rule and could override it; cannot lock sudo down",
				e->d_name);
	}
	closedir(d);
	return ret;
}

int lockdown_write_rules(const struct lockdown_opts *o, FILE *f)
{
	size_t i;

	fprintf(f,
		"# moat: sudo is taken from %s while moat runs, and given back\n"
		"# when it stops. sudo uses the last matching rule, and this\n"
		"# file is read last.\n"
		"%s ALL=(ALL:ALL) NOPASSWD: !ALL\n",
		o->user, o->user);
	/* NOEXEC: should an allowed command start another, it cannot. */
	for (i = 0; i < o->nallow; i++)
		fprintf(f, "%s ALL=(root) NOPASSWD:NOEXEC: %s\n", o->user,
			o->allow[i]);
	/*
	 * With its argument, so that it cannot be "moat start --allow ...".
	 * Not NOEXEC: after a killed daemon, "moat stop" runs nft to remove
	 * the DNS redirect it left, and it runs nothing else.
	 */
	if (o->stop_command)
		fprintf(f, "%s ALL=(root) NOPASSWD: %s stop\n", o->user,
			o->stop_command);
	return ferror(f) ? -EIO : 0;
}

static int write_dropin(const struct lockdown_opts *o, char *err,
			size_t err_len)
{
	int fd, ret;
	FILE *f;

	unlink(DROPIN_TMP);
	fd = open(DROPIN_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0440);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return fail(err, err_len, DROPIN_TMP ": %s", strerror(errno));
	ret = lockdown_write_rules(o, f);
	if (fclose(f) || ret)
		return fail(err, err_len, DROPIN_TMP ": %s", strerror(errno));
	return 0;
}

static int run_tool(const char *const argv[], char *err, size_t err_len)
{
	char out[1024];
	int status = subproc_run(argv, NULL, out, sizeof(out));

	if (status == -ENOENT)
		return fail(err, err_len, "%s not found; cannot lock sudo down",
			    argv[0]);
	if (status)
		return fail(err, err_len, "%s failed: %s", argv[0], out);
	return 0;
}

/* Checked by sudo itself, syntax first, then whole, then in effect. */
static int install_dropin(const struct lockdown_opts *o, char *err,
			  size_t err_len)
{
	const char *const check_tmp[] = { "visudo", "-cf", DROPIN_TMP, NULL };
	const char *const check_all[] = { "visudo", "-c", NULL };
	const char *const shell[] = { "sudo",  "-n",	  "-l", "-U",
				      o->user, "/bin/sh", NULL };
	char out[256];
	int err_ret;

	err_ret = write_dropin(o, err, err_len);
	if (!err_ret)
		err_ret = run_tool(check_tmp, err, err_len);
	if (!err_ret && rename(DROPIN_TMP, LOCKDOWN_DROPIN))
		err_ret = fail(err, err_len, LOCKDOWN_DROPIN ": %s",
			       strerror(errno));
	unlink(DROPIN_TMP);
	if (!err_ret)
		err_ret = run_tool(check_all, err, err_len);
	if (!err_ret && subproc_run(shell, NULL, out, sizeof(out)) == 0)
		err_ret = fail(
			err, err_len,
			"sudo still lets %s run a shell after the lockdown; refusing to go on",
			o->user);
	return err_ret;
}

/*
 * Accounts are read from the files themselves, not through NSS: a static
 * moat cannot load glibc's NSS modules, and the runner's user is local.
 */
static bool local_user(const char *name, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "r");
	struct passwd *pw;
	bool found = false;

	while (f && !found && (pw = fgetpwent(f)) != NULL)
		if (!strcmp(pw->pw_name, name)) {
			*gid = pw->pw_gid;
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

static bool user_in_group(const char *user, gid_t primary, gid_t gid)
{
	FILE *f = fopen("/etc/group", "r");
	bool found = primary == gid;
	struct group *gr;
	char **m;

	while (f && !found && (gr = fgetgrent(f)) != NULL)
		for (m = gr->gr_gid == gid ? gr->gr_mem : NULL; m && *m; m++)
			if (!strcmp(*m, user))
				found = true;
	if (f)
		fclose(f);
	return found;
}

/*
 * The docker group can start a privileged container, which is root: the
 * socket is closed to its group until moat stops. A process of the user's
 * that has the socket open keeps that one connection.
 */
static int close_docker(const struct lockdown_opts *o,
			struct lockdown_state *st)
{
	static const char *const sockets[] = { "/run/docker.sock",
					       "/var/run/docker.sock" };
	gid_t primary;
	struct stat sb;
	size_t i;

	if (!local_user(o->user, &primary))
		return 0;
	for (i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
		if (stat(sockets[i], &sb) || !S_ISSOCK(sb.st_mode) ||
		    !(sb.st_mode & S_IWGRP) ||
		    !user_in_group(o->user, primary, sb.st_gid))
			continue;
		snprintf(st->socket, sizeof(st->socket), "%s", sockets[i]);
		st->mode = sb.st_mode & 07777;
		st->gid = sb.st_gid;
		if (chmod(sockets[i],
			  st->mode & ~(unsigned int)(S_IRWXG | S_IRWXO)))
			return -errno;
		pr_info("lockdown: %s closed to the docker group", sockets[i]);
		return 0;
	}
	return 0;
}

int lockdown__apply(const struct lockdown_opts *o, struct lockdown_state *st,
		    char *err, size_t err_len)
{
	const char *why;
	gid_t gid;
	size_t i;
	int ret;

	memset(st, 0, sizeof(*st));
	if (!o->user || !valid_user(o->user) || !local_user(o->user, &gid))
		return fail(
			err, err_len,
			"--sudo-user '%s': no such user in /etc/passwd; say whose sudo to take with --sudo-user",
			o->user ? o->user : "");
	for (i = 0; i < o->nallow; i++)
		if (lockdown_check_command(o->allow[i], &why))
			return fail(err, err_len, "--sudo-allow '%s': %s",
				    o->allow[i], why);
	ret = check_stop_command(o->stop_command, err, err_len);
	if (!ret)
		ret = check_main_sudoers(err, err_len);
	if (!ret)
		ret = check_dropin_last(err, err_len);
	if (ret)
		return ret;

	st->dropin = true; /* from here on, the drop-in may exist */
	ret = install_dropin(o, err, err_len);
	if (!ret)
		ret = close_docker(o, st);
	if (ret && !err[0])
		snprintf(err, err_len, "lockdown: %s", strerror(-ret));
	return ret;
}

void lockdown__restore(struct lockdown_state *st)
{
	if (st->dropin && unlink(LOCKDOWN_DROPIN) && errno != ENOENT)
		pr_err(LOCKDOWN_DROPIN
		       ": cannot remove it: %s; remove it by hand to give sudo back",
		       strerror(errno));
	if (st->socket[0] && chmod(st->socket, st->mode) && errno != ENOENT)
		pr_err("%s: cannot give the docker group back its mode: %s",
		       st->socket, strerror(errno));
	memset(st, 0, sizeof(*st));
}
