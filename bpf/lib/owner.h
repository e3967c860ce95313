/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* owner.h - which process, and which workflow step, owns a socket */
#ifndef MOAT_BPF_OWNER_H
#define MOAT_BPF_OWNER_H

static __always_inline __u32 moat_tag_of(__u32 tgid)
{
	__u32 *tag = bpf_map_lookup_elem(&moat_proc_tag, &tgid);

	return tag ? *tag : MOAT_TAG_NONE;
}

/* The calling process, in a hook that runs in its context. */
static __always_inline void moat_owner_current(struct moat_owner *o)
{
	o->pid = bpf_get_current_pid_tgid() >> 32;
	o->tag = moat_tag_of(o->pid);
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * Record the caller as the socket's owner. The last process to connect or
 * send owns it: a socket passed to a child (fork, SCM_RIGHTS) is the
 * child's work from then on. Unchanged owners cost a lookup, no write.
 */
static __always_inline void moat_record_owner(__u64 cookie)
{
	struct moat_owner o = {}, *old;

	moat_owner_current(&o);
	old = bpf_map_lookup_elem(&moat_sock_owner, &cookie);
	if (old && old->pid == o.pid && old->tag == o.tag)
		return;
	bpf_map_update_elem(&moat_sock_owner, &cookie, &o, BPF_ANY);
}

/* Fill o with a socket's owner; false when no hook saw the socket. */
static __always_inline bool moat_owner_of(__u64 cookie, struct moat_owner *o)
{
	struct moat_owner *found;

	if (!cookie)
		return false;
	found = bpf_map_lookup_elem(&moat_sock_owner, &cookie);
	if (!found)
		return false;
	__builtin_memcpy(o, found, sizeof(*o));
	return true;
}

#endif /* MOAT_BPF_OWNER_H */
