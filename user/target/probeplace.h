/* user/target/probeplace.h: where to put a function's uprobes so that they are cheap.
 *
 * On x86-64 the kernel emulates a few instructions at a uprobe (branches,
 * calls, push of a register, nops, ...) and single-steps every other one out
 * of line, which costs ~35x more (glibc's free begins with `test %rdi,%rdi`:
 * 16 us per call at +0, 0.46 us at the `je` at +3).  probe_place() walks the
 * function's first instructions with capstone and picks the first offset
 * whose instruction the kernel emulates, when it can prove the probe there
 * is equivalent to one at the entry:
 *   - every instruction before it falls through (no branch, call, ret),
 *     so it is reached exactly once per call;
 *   - no branch anywhere in the function lands inside (0, offset];
 *   - the instructions before it write none of the argument registers the
 *     probe reads, nor the frame pointer (the caller's frame chain), nor
 *     memory, and touch the stack pointer only by push (counted in
 *     sp_adjust, so that the return address can still be found).
 * Otherwise it answers offset 0.
 *
 * A return probe (uretprobe) replaces the return address at [rsp] when its
 * breakpoint is hit, so it may only sit where rsp is still as at the entry:
 * keep_sp asks for that (no push before the offset either; sp_adjust is 0).
 * A function with both probes puts them at that one offset: they share one
 * breakpoint, and an offset past a single-stepped first instruction (e.g.
 * jemalloc's malloc: cmp $0x1000,%rdi; ja) saves the single-step of both.
 */
#ifndef PROBEPLACE_H
#define PROBEPLACE_H

#include <stddef.h>
#include <stdint.h>

struct place_request {
	const uint8_t *code;	/* the function's bytes */
	size_t size;		/* the function's size (st_size), or bytes available */
	uint64_t vaddr;		/* the function's address, for branch targets */
	unsigned nargs;		/* integer argument registers read: rdi, rsi, rdx, rcx, r8, r9 */
	unsigned max_scan;	/* instructions to look at before giving up; 0 = 16 */
	int keep_sp;		/* a return probe goes there too: no push before it */
};

struct place_result {
	uint32_t offset;	/* bytes from the function's start */
	uint8_t sp_adjust;	/* bytes pushed before offset */
	const char *insn;	/* mnemonic at offset, static string: "je", "push", ... */
	const char *why;	/* when offset is 0: why nothing better was proven;
				 * never NULL, "" when an emulated instruction
				 * past the entry was chosen */
};

/* True if the kernel emulates this instruction at a uprobe (no single-step).
 * That includes `xchg %r8,%rax` (49 90), which 6.18 wrongly skips as a nop:
 * probe_place() never chooses it.
 */
int probe_insn_is_emulated(const uint8_t *code, size_t size);

/* 0 on success (result filled, possibly offset 0); -errno if capstone fails. */
int probe_place(const struct place_request *req, struct place_result *out);

#endif /* PROBEPLACE_H */
