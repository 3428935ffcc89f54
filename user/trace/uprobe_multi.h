/* user/trace/uprobe_multi.h: many uprobes of one program on one file, one link.
 *
 * A perf-event uprobe link costs one unregistration (an RCU grace period,
 * ~0.1 s here) when it goes: forty of them made every exit take five
 * seconds.  A uprobe_multi link (kernel 6.6+) puts all of a program's
 * offsets in one file behind one link.  libbpf 1.1 has no API for it, so
 * the link is created with BPF_LINK_CREATE directly; the program must have
 * been loaded with expected_attach_type BPF_TRACE_UPROBE_MULTI.
 */
#ifndef UPROBE_MULTI_H
#define UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ML_BPF_TRACE_UPROBE_MULTI 48	/* enum bpf_attach_type, kernel 6.6 */
#define ML_BPF_TRACE_UPROBE_SESSION 57	/* kernel 6.12 */

struct bpf_program;

/* Load prog as a uprobe_multi program (call before the object is loaded). */
void uprobe_multi__prepare(struct bpf_program *prog);

/* Attach prog at n file offsets of path, each with its BPF cookie; pid 0
 * or -1: every process.  Returns the link fd, or -errno.
 */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t n, pid_t pid, bool retprobe);

/* Uprobe sessions: one program runs at the entry and, unless the entry
 * returned 1, at the return of the same call (bpf_session_is_return()
 * tells which).  The return is hooked where the probe sits: an offset
 * where the return address is still at the stack pointer.
 */
void uprobe_session__prepare(struct bpf_program *prog);
int uprobe_session__attach(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *cookies, size_t n, pid_t pid);

#endif /* UPROBE_MULTI_H */
