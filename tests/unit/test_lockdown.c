// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_lockdown.c - which commands sudo may keep under the lockdown */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockdown.h"
#include "subproc.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct command_case {
	const char *path;
	int want; /* 0 or -EINVAL */
	const char *what;
};

static void test_commands(void)
{
	static const struct command_case cases[] = {
		{ "/usr/bin/id", 0, "a plain read-only tool" },
		{ "usr/bin/id", -EINVAL, "relative" },
		{ "/usr/bin/id ALL", -EINVAL, "sudoers syntax in the path" },
		{ "/usr/bin/id,/bin/sh", -EINVAL, "a second command" },
		{ "/nonexistent/moat-test", -EINVAL, "missing" },
		{ "/usr/bin", -EINVAL, "a folder" },
		{ "/bin/sh", -EINVAL, "a shell" },
		{ "/usr/bin/env", -EINVAL, "a launcher" },
		{ "/usr/bin/tee", -EINVAL, "writes any file" },
		{ "/usr/bin/cp", -EINVAL, "copies over any file" },
		{ "/usr/bin/chmod", -EINVAL, "changes modes" },
		{ "/usr/bin/apt-get", -EINVAL, "a package manager" },
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		ASSERT_EQ(lockdown_check_command(cases[i].path, &why),
			  cases[i].want, cases[i].what);
		if (cases[i].want)
			ASSERT_TRUE(why && *why, "the refusal says why");
	}
}

/* python3.12, pip3 and a link named "ok" to a shell are all refused. */
static void test_disguises(void)
{
	char dir[] = "/tmp/moat-lockdown-XXXXXX", link[64];
	const char *why;
	struct stat st;

	if (!stat("/usr/bin/python3", &st))
		ASSERT_EQ(lockdown_check_command("/usr/bin/python3", &why),
			  -EINVAL, "python3 is python");
	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(link, sizeof(link), "%s/ok", dir);
	ASSERT_OK(symlink("/bin/bash", link), "link");
	ASSERT_EQ(lockdown_check_command(link, &why), -EINVAL,
		  "a link to a shell is a shell");
	unlink(link);
	rmdir(dir);
}

/*
 * Root by another name, as each is found on a runner: a link of that
 * name to a harmless tool must be refused for its name, before anything
 * else is looked at. Names with a version or a suffix after a '.' or '-'
 * are the family they belong to.
 */
static const char *const refused_names[] = {
	/* launchers */
	"time",
	"tmux",
	"screen",
	"byobu",
	"taskset",
	"chrt",
	"numactl",
	"prlimit",
	"unbuffer",
	"faketime",
	"fakeroot",
	"parallel",
	"entr",
	"run-parts",
	"start-stop-daemon",
	"rlwrap",
	"cgexec",
	"firejail",
	"bwrap",
	"rbash",
	"toybox",
	"ld-linux-x86-64.so.2",
	"ld.so",
	/* other users, services */
	"run0",
	"sg",
	"newgrp",
	"systemd-run",
	"systemd-nspawn",
	"systemd-tmpfiles",
	"systemd",
	"initctl",
	"busctl",
	"dbus-send",
	"dbus-run-session",
	"gdbus",
	"machinectl",
	"batch",
	/* debuggers */
	"perf",
	"perf_6.1",
	"lldb",
	"valgrind",
	"bpftrace",
	/* editors, pagers, clients with a shell escape */
	"vim.basic",
	"vim.tiny",
	"vim.nox",
	"gvim",
	"rvim",
	"rview",
	"red",
	"jed",
	"joe",
	"mc",
	"mcedit",
	"micro",
	"editor",
	"sensible-editor",
	"select-editor",
	"vipw",
	"vigr",
	"pg",
	"pager",
	"sensible-pager",
	"w3m",
	"lynx",
	"elinks",
	"links",
	"mail",
	"mailx",
	"ftp",
	"telnet",
	"sqlite3",
	"psql",
	"mysql",
	"mariadb",
	/* interpreters */
	"python3.12",
	"pypy3",
	"luajit",
	"lua5.4",
	"php8.2",
	"groovy",
	"scala",
	"kotlin",
	"guile",
	"ocaml",
	"ghc",
	"runghc",
	"erl",
	"escript",
	"elixir",
	"iex",
	"sbcl",
	"clisp",
	"racket",
	"gnuplot",
	"octave",
	"dc",
	"m4",
	"tcc",
	/* packages and builds */
	"flatpak",
	"zypper",
	"pacman",
	"apk",
	"pipx",
	"pip3.12",
	"uv",
	"poetry",
	"conda",
	"cpan",
	"cpanm",
	"composer",
	"rustc",
	"meson",
	"ninja",
	"scons",
	"mvn",
	"gradle",
	"ant",
	"bazel",
	"dotnet",
	"c++",
	"g++-12",
	"clang++-17",
	"clang-cpp-17",
	"cpp-12",
	"as",
	"x86_64-linux-gnu-gcc-12",
	"x86_64-linux-gnu-ld.bfd",
	"ld.gold",
	"ansible-playbook",
	"puppet",
	"salt-call",
	"terraform",
	"helm",
	/* containers */
	"crun",
	"lxd",
	"incus",
	"docker-compose",
	"lxc-attach",
	/* files */
	"rename",
	"link",
	"unlink",
	"shred",
	"split",
	"csplit",
	"sort",
	"shuf",
	"uniq",
	"iconv",
	"ptx",
	"xxd",
	"sponge",
	"7z",
	"7za",
	"7zr",
	"unrar",
	"pax",
	"bsdtar",
	"ar",
	"objcopy",
	"strip",
	"zstd",
	"lz4",
	"gpg",
	"debugfs",
	"mknod",
	"mount.nfs",
	"dpkg-deb",
	"dpkg-divert",
	"setfacl",
	"setfattr",
	/* fetchers and remote shells */
	"aria2c",
	"tcpdump",
	"dhclient",
	"nc.openbsd",
	"ssh-keygen",
	"ssh-agent",
	"git-shell",
	/* the kernel, the firewall, accounts */
	"kmod",
	"kexec",
	"arptables",
	"xtables-nft-multi",
	"iptables-restore",
	"ip6tables-legacy",
	"conntrack",
	"newusers",
};

/*
 * Check a link named name, in dir, to a harmless tool. Returns what the
 * check returns, or a negative errno when the link cannot be made.
 */
static int check_link(const char *dir, const char *name, const char **why)
{
	char cmd[128];
	int ret;

	*why = NULL;
	snprintf(cmd, sizeof(cmd), "%s/%s", dir, name);
	if (symlink("/usr/bin/id", cmd))
		return -errno;
	ret = lockdown_check_command(cmd, why);
	unlink(cmd);
	return ret;
}

static void test_root_equivalent_names(void)
{
	char dir[] = "/tmp/moat-lockdown-XXXXXX";
	const char *why, *name;
	size_t i;
	int ret;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	for (i = 0; i < ARRAY_SIZE(refused_names); i++) {
		name = refused_names[i];
		ret = check_link(dir, name, &why);
		if (ret != -EINVAL || !why || !strstr(why, "by another name")) {
			test__fail(
				"%s: not refused as root by another name: %s",
				name,
				ret ? why ? why : strerror(-ret) : "accepted");
			break;
		}
	}
	rmdir(dir);
}

/*
 * Names that only look like a family are accepted: the name test does
 * not refuse whatever shares a first letter or a suffix. Only root can
 * own the folder the links are in, which an accepted command needs.
 */
static void test_harmless_names(void)
{
	static const char *const names[] = { "id",     "dmesg",	 "lsof",
					     "ss",     "uptime", "lsblk",
					     "whoami", "nproc",	 "timedatectl",
					     "shells", "vmstat", "dfx" };
	char dir[] = "/tmp/moat-lockdown-XXXXXX";
	const char *why;
	size_t i;
	int ret;

	if (geteuid()) {
		test__skip("needs root: only a root-owned folder is accepted");
		return;
	}
	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ret = check_link(dir, names[i], &why);
		if (ret) {
			test__fail("%s: refused: %s", names[i],
				   why ? why : strerror(-ret));
			break;
		}
	}
	rmdir(dir);
}

/*
 * Every allowed command's rule carries NOEXEC, so that, should it start
 * a shell after all, sudo's noexec makes the exec fail; and sudo itself
 * reads the rules, when visudo is there to ask.
 */
static void test_rules_noexec(void)
{
	struct lockdown_opts o = { .user = "runner",
				   .allow = { "/usr/bin/id", "/usr/bin/dmesg" },
				   .nallow = 2,
				   .stop_command = "/usr/local/bin/moat" };
	char path[] = "/tmp/moat-rules-XXXXXX", out[512];
	const char *const visudo[] = { "visudo", "-cf", path, NULL };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd, ret;

	f = open_memstream(&text, &len);
	ASSERT_TRUE(f != NULL, "memory stream");
	ret = lockdown_write_rules(&o, f);
	fclose(f);
	ASSERT_OK(ret, "rules written");
	ASSERT_CONTAINS(text, "runner ALL=(ALL:ALL) NOPASSWD: !ALL\n",
			"everything denied first");
	ASSERT_CONTAINS(text,
			"runner ALL=(root) NOPASSWD:NOEXEC: /usr/bin/id\n",
			"an allowed command is NOEXEC");
	ASSERT_CONTAINS(text,
			"runner ALL=(root) NOPASSWD:NOEXEC: /usr/bin/dmesg\n",
			"so is every other");
	ASSERT_CONTAINS(
		text, "runner ALL=(root) NOPASSWD: /usr/local/bin/moat stop\n",
		"moat stop, with its argument");

	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0, "temporary file");
	ASSERT_EQ(write(fd, text, len), (long long)len, "rules to a file");
	close(fd);
	free(text);
	chmod(path, 0440);
	ret = subproc_run(visudo, NULL, out, sizeof(out));
	unlink(path);
	if (ret == -ENOENT) {
		test__skip("visudo is not installed");
		return;
	}
	if (ret)
		test__fail("visudo: %s", out);
}

/*
 * A link in a folder others can write can be pointed elsewhere after the
 * check, so it is refused even though it leads to a harmless tool.
 */
static void test_writable_folder(void)
{
	char dir[] = "/tmp/moat-lockdown-XXXXXX", cmd[64];
	const char *why;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(cmd, sizeof(cmd), "%s/report", dir);
	ASSERT_OK(symlink("/usr/bin/id", cmd), "a link to a harmless tool");
	ASSERT_OK(chmod(dir, 0777), "world-writable folder");
	ASSERT_EQ(lockdown_check_command(cmd, &why), -EINVAL,
		  "a folder others can write");
	unlink(cmd);
	rmdir(dir);
}

static const struct test_case cases[] = {
	TEST(test_commands),
	TEST(test_disguises),
	TEST(test_root_equivalent_names),
	TEST(test_harmless_names),
	TEST(test_rules_noexec),
	TEST(test_writable_folder),
};

TEST_MAIN("lockdown", cases)
