// SPDX-License-Identifier: GPL-2.0
/* tools/bench/floor.bpf.c: empty programs for the benchmark's floor.
 *
 * Attached where memleakbpf attaches its own (malloc entry and return,
 * free entry), they measure what the probes cost before any work is done:
 * the breakpoint, the trap, the return trampoline and the BPF dispatch.
 * floor_session is malloc's as --sample-bytes attaches it, a uprobe
 * session whose entry asks for no return: what an unsampled call costs
 * the kernel, sessions included.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int floor_enter(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_return(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int floor_free(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int floor_session(struct pt_regs *ctx)
{
	return 1;	/* no return probe for this call */
}
