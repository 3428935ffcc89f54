// SPDX-License-Identifier: GPL-2.0
/* user/trace/uprobe_multi.c: see uprobe_multi.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "trace/uprobe_multi.h"

/* The uprobe_multi part of union bpf_attr's link_create, as the kernel
 * defines it (the installed UAPI header predates it).
 */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;	/* BPF_F_UPROBE_MULTI_RETURN */
	__u32 pid;
	__u32 pad;
};

#define ML_BPF_F_UPROBE_MULTI_RETURN 1

void uprobe_multi__prepare(struct bpf_program *prog)
{
	bpf_program__set_expected_attach_type(prog, ML_BPF_TRACE_UPROBE_MULTI);
}

void uprobe_session__prepare(struct bpf_program *prog)
{
	bpf_program__set_expected_attach_type(prog, ML_BPF_TRACE_UPROBE_SESSION);
}

static int link_create(__u32 attach_type, int prog_fd, const char *path, const uint64_t *offsets,
		       const uint64_t *cookies, size_t n, pid_t pid, bool retprobe)
{
	union {
		union bpf_attr attr;
		struct link_create_uprobe_multi um;
	} u;
	int fd;

	memset(&u, 0, sizeof(u));
	u.um.prog_fd = prog_fd;
	u.um.attach_type = attach_type;
	u.um.path = (__u64)(unsigned long)path;
	u.um.offsets = (__u64)(unsigned long)offsets;
	u.um.cookies = (__u64)(unsigned long)cookies;
	u.um.cnt = n;
	u.um.multi_flags = retprobe ? ML_BPF_F_UPROBE_MULTI_RETURN : 0;
	u.um.pid = pid > 0 ? pid : 0;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &u, sizeof(u));
	return fd < 0 ? -errno : fd;
}

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t n, pid_t pid, bool retprobe)
{
	return link_create(ML_BPF_TRACE_UPROBE_MULTI, prog_fd, path, offsets, cookies, n, pid,
			   retprobe);
}

int uprobe_session__attach(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *cookies, size_t n, pid_t pid)
{
	return link_create(ML_BPF_TRACE_UPROBE_SESSION, prog_fd, path, offsets, cookies, n, pid,
			   false);
}
