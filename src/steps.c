// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* steps.c - tie processes to the workflow steps that started them */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "datapath.h"
#include "log.h"
#include "procinfo.h"
#include "steps.h"

#define WORKER_COMM "Runner.Worker"
#define ANCESTRY_MAX 128
#define ROOTS_MAX 65536

struct step_root {
	struct hnode node;
	pid_t pid;
	int step; /* index into steps[] + 1, or 0 for none */
};

struct proc_entry {
	pid_t pid;
	pid_t ppid;
};

static bool read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(comm, (int)len, f) != NULL;
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return ok;
}

static bool is_worker(pid_t pid)
{
	char comm[32];

	return read_comm(pid, comm, sizeof(comm)) && !strcmp(comm, WORKER_COMM);
}

/* moat is started from a step, so the worker is among its ancestors. */
static pid_t worker_among_ancestors(void)
{
	pid_t pid = getppid(), ppid;
	uint64_t start;
	int hops;

	for (hops = 0; pid > 1 && hops < ANCESTRY_MAX; hops++) {
		if (is_worker(pid))
			return pid;
		if (procinfo_stat(pid, &ppid, &start))
			return 0;
		pid = ppid;
	}
	return 0;
}

/* Otherwise: the one Runner.Worker on the host, if there is exactly one. */
static pid_t worker_by_name(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0, pid;
	int count = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		pid = (pid_t)atoi(e->d_name);
		if (pid > 0 && is_worker(pid)) {
			found = pid;
			count++;
		}
	}
	closedir(d);
	if (count > 1)
		pr_warn("%d Runner.Worker processes run: cannot tell which is this job's",
			count);
	return count == 1 ? found : 0;
}

/* The Worker log the worker has open, and the _diag folder it sits in. */
static int find_worker_log(pid_t worker, char *log, size_t len, char *diag,
			   size_t diag_len)
{
	char dir[64], path[PATH_MAX + 64], target[PATH_MAX];
	struct dirent *e;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", worker);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strstr(target, "/_diag/Worker_") ||
		    strcmp(target + n - 4, ".log"))
			continue;
		snprintf(log, len, "%s", target);
		snprintf(diag, diag_len, "%.*s",
			 (int)(strrchr(target, '/') - target), target);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -ENOENT;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process and its parent, sorted by pid. */
static struct proc_entry *list_processes(size_t *count)
{
	struct proc_entry *procs = NULL, *grown;
	size_t cap = 0, n = 0;
	struct dirent *e;
	uint64_t start;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name), ppid;

		if (pid <= 0 || procinfo_stat(pid, &ppid, &start))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			grown = realloc(procs, cap * sizeof(*procs));
			if (!grown)
				break;
			procs = grown;
		}
		procs[n].pid = pid;
		procs[n++].ppid = ppid;
	}
	closedir(d);
	if (procs)
		qsort(procs, n, sizeof(*procs), proc_cmp);
	*count = n;
	return procs;
}

static pid_t parent_of(const struct proc_entry *procs, size_t n, pid_t pid)
{
	struct proc_entry key = { .pid = pid }, *e;

	e = bsearch(&key, procs, n, sizeof(key), proc_cmp);
	return e ? e->ppid : 0;
}

static bool descends_from(const struct proc_entry *procs, size_t n, pid_t pid,
			  pid_t ancestor)
{
	int hops;

	for (hops = 0; pid > 1 && hops < ANCESTRY_MAX; hops++) {
		if (pid == ancestor)
			return true;
		pid = parent_of(procs, n, pid);
	}
	return false;
}

/*
 * Does a process carry this runner's step environment? A step's process
 * that outlived its parent was re-parented to init, out of the worker's
 * tree, but kept the environment the runner gave the step: RUNNER_TEMP
 * names this runner's own directory, which another runner on the same
 * host does not share.
 */
static bool has_step_environment(pid_t pid, const char *marker)
{
	char path[64], *buf, *p;
	bool found = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	buf = malloc(1 << 16);
	n = buf ? read(fd, buf, (1 << 16) - 1) : -1;
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	for (p = buf; n > 0 && p < buf + n; p += strlen(p) + 1) {
		if (!strcmp(p, marker)) {
			found = true;
			break;
		}
	}
	free(buf);
	return found;
}

/*
 * What a process that exists now is: moat's, the runner's (the worker and
 * its ancestors below init), an earlier step's (below the worker, or with
 * the step environment), or the host's own.
 */
static uint32_t classify(const struct steps *st, const struct proc_entry *p,
			 size_t n, pid_t pid)
{
	if (descends_from(p, n, pid, getpid()))
		return MOAT_TAG_MOAT;
	if (!st->worker)
		return MOAT_TAG_NONE;
	if (pid != 1 && descends_from(p, n, st->worker, pid))
		return MOAT_TAG_RUNNER;
	if (descends_from(p, n, pid, st->worker) ||
	    (st->step_marker[0] && has_step_environment(pid, st->step_marker)))
		return MOAT_TAG_PREEXISTING;
	return MOAT_TAG_NONE;
}

static int seed_tags(struct steps *st)
{
	struct proc_entry *procs;
	size_t i, n = 0;
	uint32_t tag;
	int err = 0;

	procs = list_processes(&n);
	if (!procs)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		tag = classify(st, procs, n, procs[i].pid);
		if (tag != MOAT_TAG_NONE)
			err = datapath__set_proc_tag(st->dp, procs[i].pid, tag);
	}
	free(procs);
	return err;
}

static void open_runner_log(struct steps *st)
{
	char log[PATH_MAX];
	int err;

	err = find_worker_log(st->worker, log, sizeof(log), st->diag,
			      sizeof(st->diag));
	if (!err)
		err = diag_tail_open(&st->log, log);
	if (err) {
		pr_warn("Runner.Worker (pid %d): no Worker log found: %s; steps will have no names",
			st->worker, errstr(err));
		return;
	}
	pr_info("following the runner's log %s", log);
}

int steps__init(struct steps *st, struct datapath *dp, struct audit *audit,
		bool github, uint64_t boot_to_real_ns)
{
	int err;

	memset(st, 0, sizeof(*st));
	st->dp = dp;
	st->audit = audit;
	st->log.fd = -1;
	st->boot_to_real_ns = boot_to_real_ns;
	err = htable_init(&st->roots);
	if (err)
		return err;

	if (github) {
		const char *temp = getenv("RUNNER_TEMP");

		snprintf(st->step_marker, sizeof(st->step_marker), "%s%s",
			 temp ? "RUNNER_TEMP=" : "GITHUB_ACTIONS=true",
			 temp ? temp : "");
		st->worker = worker_among_ancestors();
		if (!st->worker)
			st->worker = worker_by_name();
		if (!st->worker)
			pr_warn("no Runner.Worker found: events will not name workflow steps");
	}
	/* Seed, let the fork hook mint step roots, seed what forked meanwhile. */
	err = seed_tags(st);
	if (!err && st->worker)
		err = datapath__set_worker(dp, st->worker);
	if (!err && st->worker)
		err = seed_tags(st);
	if (err)
		return err;
	if (st->worker) {
		pr_info("tracking the steps of Runner.Worker (pid %d)",
			st->worker);
		open_runner_log(st);
	}
	return 0;
}

static void free_root(struct hnode *n, void *ctx)
{
	free(container_of(n, struct step_root, node));
}

void steps__fini(struct steps *st)
{
	if (st->roots.buckets)
		htable_for_each(&st->roots, free_root, NULL);
	htable_fini(&st->roots);
	diag_tail_close(&st->log);
}

/* The plan is logged once, before the first step; read it whole. */
static void load_plan(struct steps *st)
{
	char path[PATH_MAX + 16], *text;
	size_t len;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", st->log.fd);
	f = fopen(path, "r");
	if (!f)
		return;
	text = malloc(1 << 22);
	len = text ? fread(text, 1, (1 << 22), f) : 0;
	fclose(f);
	n = text ? diag_parse_plan(text, len, st->plan, DIAG_PLAN_MAX) : 0;
	free(text);
	st->nplan = n > 0 ? n : 0;
}

/*
 * A step's start to the fraction of a second, from the first line of its
 * block file, which the runner writes as the step begins: the plan gives
 * the step's id from its name (each plan step counts once).
 */
static uint64_t block_start(struct steps *st, const char *name)
{
	char path[PATH_MAX + 300], line[128], id[DIAG_ID_MAX];
	struct dirent *e;
	uint64_t ns = 0;
	DIR *d;
	int i;

	for (i = 0; i < st->nplan; i++)
		if (st->plan[i].name[0] && !strcmp(st->plan[i].name, name))
			break;
	if (i == st->nplan)
		return 0;
	st->plan[i].name[0] = '\0';

	snprintf(path, sizeof(path), "%s/blocks", st->diag);
	d = opendir(path);
	while (d && (e = readdir(d)) != NULL && !ns) {
		FILE *f;

		if (!diag_block_name(e->d_name, id, sizeof(id)) ||
		    strcmp(id, st->plan[i].id))
			continue;
		snprintf(path, sizeof(path), "%s/blocks/%s", st->diag,
			 e->d_name);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f))
			ns = diag_block_time(line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return ns;
}

static void on_log_line(const char *line, void *ctx)
{
	struct steps *st = ctx;
	struct step_info *s;
	uint64_t ns, precise;
	char name[DIAG_NAME_MAX];

	if (!diag_step_line(line, name, sizeof(name), &ns) ||
	    st->nsteps == STEPS_MAX)
		return;
	if (!st->nplan)
		load_plan(st);
	precise = block_start(st, name);

	s = &st->steps[st->nsteps++];
	/* The runner's own numbering: "Set up job" is step 1. */
	s->number = st->nsteps + 1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->started_ns = precise ? precise : ns;
	audit__step(st->audit, s->number, s->name, s->started_ns);
}

void steps__poll(struct steps *st)
{
	if (st->log.fd >= 0)
		diag_tail_read(&st->log, on_log_line, st);
}

/*
 * The step the worker ran when it forked: steps run one at a time, so it
 * is the last one to start before the fork. A log time has whole seconds
 * only; a start in the fork's own second counts as before it.
 */
static int step_at(const struct steps *st, uint64_t fork_ns)
{
	int i;

	for (i = st->nsteps - 1; i >= 0; i--) {
		uint64_t start = st->steps[i].started_ns;
		bool whole = start % 1000000000ULL == 0;

		if (whole ? start / 1000000000ULL <= fork_ns / 1000000000ULL :
			    start <= fork_ns)
			return i + 1;
	}
	return 0;
}

static bool root_eq(const struct hnode *n, const void *key)
{
	return container_of_const(n, struct step_root, node)->pid ==
	       *(const pid_t *)key;
}

static struct step_root *find_root(struct steps *st, pid_t pid)
{
	struct hnode *n = htable_find(&st->roots, hash_bytes(&pid, sizeof(pid)),
				      &pid, root_eq);

	return n ? container_of(n, struct step_root, node) : NULL;
}

void steps__on_root(struct steps *st, pid_t root, uint64_t boot_ns)
{
	struct step_root *r = find_root(st, root);

	steps__poll(st);
	if (!r) {
		if (st->roots.count >= ROOTS_MAX ||
		    !(r = calloc(1, sizeof(*r))))
			return;
		r->pid = root;
		r->node.hash = hash_bytes(&root, sizeof(root));
		htable_insert(&st->roots, &r->node);
	}
	/* A pid reused by a later root is that later step's. */
	r->step = step_at(st, boot_ns + st->boot_to_real_ns);
}

const struct step_info *steps__of_tag(struct steps *st, uint32_t tag)
{
	struct step_root *r;

	if (tag == MOAT_TAG_NONE || tag >= MOAT_TAG_STEP_MAX)
		return NULL;
	steps__poll(st);
	r = find_root(st, (pid_t)tag);
	return r && r->step ? &st->steps[r->step - 1] : NULL;
}

const struct step_info *steps__current(struct steps *st)
{
	steps__poll(st);
	return st->nsteps ? &st->steps[st->nsteps - 1] : NULL;
}

static void who_step(struct steps *st, uint32_t root, struct who *who)
{
	struct step_root *r = find_root(st, (pid_t)root);

	who->scope = "step";
	if (r && r->step) {
		who->step = st->steps[r->step - 1].number;
		who->step_name = st->steps[r->step - 1].name;
	}
}

void steps__who(struct steps *st, const struct moat_owner *owner,
		uint64_t cookie, struct who *who)
{
	const struct procinfo *info;

	memset(who, 0, sizeof(*who));
	if (!owner) {
		/* No socket: routed through this host from a NATed namespace. */
		who->scope = cookie ? "unattributed" : "forwarded";
		return;
	}
	who->pid = (pid_t)owner->pid;
	memcpy(who->comm, owner->comm, sizeof(who->comm));
	who->comm[sizeof(who->comm) - 1] = '\0';
	/* The hook saw a thread's name; the process's is its main thread's. */
	info = procinfo_get(who->pid, who->comm);
	if (info) {
		if (info->comm[0])
			memcpy(who->comm, info->comm, sizeof(who->comm));
		who->exe = info->exe[0] ? info->exe : NULL;
		who->cmdline = info->cmdline[0] ? info->cmdline : NULL;
	}

	switch (owner->tag) {
	case MOAT_TAG_NONE:
		who->scope = st->untagged_scope ? st->untagged_scope : "host";
		break;
	case MOAT_TAG_RUNNER:
		who->scope = "runner";
		break;
	case MOAT_TAG_MOAT:
		who->scope = "moat";
		break;
	case MOAT_TAG_PREEXISTING:
		who->scope = "pre_existing";
		break;
	default:
		who_step(st, owner->tag, who);
	}
}
