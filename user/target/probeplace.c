/* user/target/probeplace.c: choose a cheap uprobe offset with capstone.
 *
 * What the x86-64 kernel emulates at a uprobe (arch/x86/kernel/uprobes.c,
 * arch_uprobe_analyze_insn: branch_setup_xol_ops, push_setup_xol_ops), and
 * what it costs here.  Measured on this machine (kernel 6.18.44, 2 vCPUs,
 * 2026-11-22): a uprobe without BPF (perf_event_open on the uprobe PMU,
 * cross-checked with tracefs uprobe_events) on the first instruction of a
 * hand-written function called in a loop; ns per call, unprobed ~1.5 ns.
 *
 *   emulated (no single-step)                          ns/call
 *     jcc rel8 (74 00), after a test at +0                 778
 *     jcc rel32 (0f 84)                                    879
 *     jmp rel8 (eb), jmp rel32 (e9)                    912-940
 *     call rel32 (e8)                                      940
 *     bnd jmp (f2 eb)                                     1000
 *     push %reg (50-57): %rbp, %rdi, %rsp                  866-891
 *     push %r8-%r15 (41 50-57): %r12                       893
 *     nop (90), xchg %ax,%ax (66 90), pause (f3 90)    807-834
 *     nopl/nopw 0f 1f /0, 4 and 6 bytes                812-961
 *     nopl 5 bytes (0f 1f 44 00 00)                        662
 *   single-stepped out of line
 *     test %rdi,%rdi                                     13833
 *     endbr64                                            10826
 *     mov %rdi,%rax; mov %rdi,%rdi; mov %edi,%edi  11002-12563
 *     mov %rsp,%rbp; lea 0(%rdi),%rdi; xor %eax,%eax 10114-10501
 *     sub $8,%rsp; sub $0x100,%rsp                9977-13338
 *     push $0 (6a); rex push %rbp (40 55)          9711-10812
 *     pop %rbp; ret; jmp *%rax; nop /1 (0f 1f c8)  9584-12835
 *   refused (the uprobe cannot be created, ENOTSUPP): any instruction with
 *     a 26/2e/36/3e/f0 prefix (e.g. nopw %cs:0(%rax,%rax), 66 2e 0f 1f 84),
 *     and branches with a 66 prefix.
 *
 * The nop test of this kernel looks only at the opcode byte 0x90, so
 * `49 90`/`41 90` (xchg %r8,%rax / %r8d,%eax) are "emulated" as nops: the
 * exchange is skipped and the program computes a wrong value (seen here:
 * a function returning rax after the xchg returned 0 instead of 42 while
 * probed).  probe_insn_is_emulated() says yes for them, as the kernel does;
 * probe_place() never chooses them.
 */
#include <errno.h>
#include <stddef.h>
#include <capstone/capstone.h>
#include "target/probeplace.h"

#define DEFAULT_MAX_SCAN	16
#define BRANCH_SCAN_MAX		4096	/* bytes of the function searched for branches */
#define ARG_REGS		6	/* rdi, rsi, rdx, rcx, r8, r9 */

/* The bytes of one instruction as the kernel's decoder splits them. */
struct raw_insn {
	const uint8_t *op;	/* first opcode byte */
	size_t oplen;		/* bytes from op to the instruction's end */
	uint8_t rex;		/* 0: none */
	int has66;		/* operand-size prefix */
	int bad_prefix;		/* es/cs/ss/ds or lock: the kernel refuses the probe */
};

static int raw_insn_split(const uint8_t *b, size_t len, struct raw_insn *r)
{
	size_t i = 0;

	*r = (struct raw_insn){ 0 };
	for (; i < len; i++) {
		switch (b[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0xf0:
			r->bad_prefix = 1;
			continue;
		case 0x66:
			r->has66 = 1;
			continue;
		case 0x64: case 0x65: case 0x67: case 0xf2: case 0xf3:
			continue;
		}
		break;
	}
	if (i < len && (b[i] & 0xf0) == 0x40)
		r->rex = b[i++];
	if (i >= len)
		return -1;
	r->op = b + i;
	r->oplen = len - i;
	return 0;
}

/* Mirrors the 6.18 kernel: nops (opcode 0x90 with any prefixes, 0f 1f /0)
 * and relative jumps, jccs and calls go through branch_xol_ops; push of a
 * register (1 byte, or 41 + 1 byte) through push_xol_ops.
 */
static int kernel_emulates(const uint8_t *b, size_t len)
{
	struct raw_insn r;
	uint8_t op;

	if (raw_insn_split(b, len, &r) || r.bad_prefix)
		return 0;
	op = r.op[0];
	if (op == 0x90)
		return 1;
	if (op == 0x0f) {
		if (r.oplen < 2)
			return 0;
		if (r.op[1] == 0x1f)
			return r.oplen >= 3 && ((r.op[2] >> 3) & 7) == 0;
		if (r.op[1] >= 0x80 && r.op[1] <= 0x8f)
			return !r.has66;
		return 0;
	}
	if (op == 0xe8 || op == 0xe9 || op == 0xeb || (op >= 0x70 && op <= 0x7f))
		return !r.has66;
	if (op >= 0x50 && op <= 0x57)
		return len == 1 || (len == 2 && r.rex == 0x41);
	return 0;
}

/* 90 with REX.B is xchg %r8,%rax, which the kernel skips as if a nop. */
static int kernel_misemulates(const uint8_t *b, size_t len)
{
	struct raw_insn r;

	return !raw_insn_split(b, len, &r) && r.op[0] == 0x90 && (r.rex & 1);
}

static int disasm_open(csh *h, cs_insn **in)
{
	cs_err e = cs_open(CS_ARCH_X86, CS_MODE_64, h);

	if (e != CS_ERR_OK)
		return e == CS_ERR_MEM ? -ENOMEM : -EINVAL;
	if (cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		cs_close(h);
		return -EINVAL;
	}
	*in = cs_malloc(*h);
	if (!*in) {
		cs_close(h);
		return -ENOMEM;
	}
	return 0;
}

static void disasm_close(csh *h, cs_insn *in)
{
	cs_free(in, 1);
	cs_close(h);
}

int probe_insn_is_emulated(const uint8_t *code, size_t size)
{
	const uint8_t *p = code;
	uint64_t addr = 0;
	cs_insn *in;
	int yes = 0;
	csh h;

	if (!code || !size || disasm_open(&h, &in))
		return 0;
	if (cs_disasm_iter(h, &p, &size, &addr, in))
		yes = kernel_emulates(code, in->size);
	disasm_close(&h, in);
	return yes;
}

/* Index of an integer argument register (any width), or -1. */
static int arg_index(unsigned reg)
{
	switch (reg) {
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return 0;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return 1;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return 2;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return 3;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return 4;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return 5;
	}
	return -1;
}

static int is_sp(unsigned reg)
{
	return reg == X86_REG_RSP || reg == X86_REG_ESP || reg == X86_REG_SP ||
	       reg == X86_REG_SPL;
}

static int is_bp(unsigned reg)
{
	return reg == X86_REG_RBP || reg == X86_REG_EBP || reg == X86_REG_BP ||
	       reg == X86_REG_BPL;
}

static int in_group(const cs_insn *in, unsigned grp)
{
	uint8_t i;

	for (i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == grp)
			return 1;
	return 0;
}

/* A push of 8 bytes: the only way the stack pointer may move before the probe. */
static int is_push8(const cs_insn *in)
{
	return (in->id == X86_INS_PUSH || in->id == X86_INS_PUSHFQ) &&
	       in->detail->x86.prefix[2] != 0x66;
}

static int leaves_straight_line(const cs_insn *in)
{
	switch (in->id) {
	case X86_INS_SYSCALL: case X86_INS_SYSENTER: case X86_INS_UD0: case X86_INS_UD2:
	case X86_INS_HLT: case X86_INS_INT: case X86_INS_INT1: case X86_INS_INT3:
	case X86_INS_INTO: case X86_INS_XBEGIN: case X86_INS_XABORT: case X86_INS_XEND:
		return 1;
	}
	return in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_CALL) ||
	       in_group(in, CS_GRP_RET) || in_group(in, CS_GRP_INT) ||
	       in_group(in, CS_GRP_IRET) || in_group(in, CS_GRP_BRANCH_RELATIVE);
}

/* Why a probe may not move past this instruction, or NULL if it may. */
static const char *stop_reason(csh h, const cs_insn *in, unsigned nargs)
{
	const cs_x86 *x = &in->detail->x86;
	uint8_t nr, nw, i;
	cs_regs rd, wr;

	if (leaves_straight_line(in))
		return "a branch, call, return or trap comes first";
	if (in->id == X86_INS_POP || in->id == X86_INS_POPF || in->id == X86_INS_POPFQ)
		return "a pop comes first";
	/* capstone 4 lists no registers for enter */
	if (in->id == X86_INS_ENTER || in->id == X86_INS_LEAVE)
		return "the stack pointer is changed other than by push first";
	if (cs_regs_access(h, in, rd, &nr, wr, &nw) != CS_ERR_OK)
		return "what an instruction writes is unknown";
	for (i = 0; i < nw; i++) {
		int a = arg_index(wr[i]);

		if (a >= 0 && (unsigned)a < nargs)
			return "an argument register is written first";
		if (is_sp(wr[i]) && !is_push8(in))
			return "the stack pointer is changed other than by push first";
		/* a walk by frame pointers starts from the caller's rbp */
		if (is_bp(wr[i]))
			return "the frame pointer is written first";
	}
	/* The return address must still be at sp + sp_adjust. */
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return "memory is written first";
	return NULL;
}

/* capstone's names are static strings in the library */
static const char *insn_name(csh h, const cs_insn *in)
{
	const char *n = cs_insn_name(h, in->id);

	return n ? n : "";
}

static int is_candidate(const cs_insn *in)
{
	return kernel_emulates(in->bytes, in->size) && !kernel_misemulates(in->bytes, in->size);
}

/* Walk from the entry to the first emulated instruction that every call
 * reaches with the arguments and the return address intact (with keep_sp,
 * the stack pointer too).  Returns the entry's mnemonic, for a later
 * fallback.
 */
static const char *find_candidate(csh h, cs_insn *in, const struct place_request *req,
				  struct place_result *out)
{
	unsigned max = req->max_scan ? req->max_scan : DEFAULT_MAX_SCAN;
	unsigned nargs = req->nargs < ARG_REGS ? req->nargs : ARG_REGS;
	const char *why = "no emulated instruction within max_scan instructions";
	const uint8_t *p = req->code;
	size_t left = req->size;
	uint64_t addr = req->vaddr;
	const char *entry = "";
	unsigned i, pushed = 0;

	for (i = 0; i < max; i++) {
		uint32_t off = (uint32_t)(addr - req->vaddr);

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			why = left ? "an instruction cannot be decoded (or is cut)"
				   : "the code ends before an emulated instruction";
			break;
		}
		if (i == 0)
			out->insn = entry = insn_name(h, in);
		if (is_candidate(in)) {
			out->offset = off;
			out->sp_adjust = (uint8_t)pushed;
			out->insn = insn_name(h, in);
			out->why = off ? "" : "the entry is emulated";
			return entry;
		}
		why = stop_reason(h, in, nargs);
		if (why)
			break;
		why = "no emulated instruction within max_scan instructions";
		if (is_push8(in) && req->keep_sp) {
			why = "a push comes first (a return probe needs rsp as at the entry)";
			break;
		}
		if (is_push8(in))
			pushed += 8;
		if (pushed > UINT8_MAX - 8) {
			why = "too many pushes";
			break;
		}
	}
	out->why = why;
	return entry;
}

/* Does a direct branch anywhere in the function land in (vaddr, vaddr + offset]?
 * Linear sweep; an undecodable byte is skipped (data in the text can only
 * add false targets, which make the answer more cautious).
 */
static int branch_lands_in(csh h, cs_insn *in, const struct place_request *req, uint32_t offset)
{
	size_t left = req->size < BRANCH_SCAN_MAX ? req->size : BRANCH_SCAN_MAX;
	const uint8_t *p = req->code;
	uint64_t addr = req->vaddr;

	while (left) {
		const cs_x86 *x;
		uint64_t target;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			p++;
			left--;
			addr++;
			continue;
		}
		x = &in->detail->x86;
		if (!in_group(in, CS_GRP_JUMP) && !in_group(in, CS_GRP_CALL) &&
		    !in_group(in, CS_GRP_BRANCH_RELATIVE))
			continue;
		if (x->op_count < 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		target = (uint64_t)x->operands[0].imm;
		if (target > req->vaddr && target <= req->vaddr + offset)
			return 1;
	}
	return 0;
}

int probe_place(const struct place_request *req, struct place_result *out)
{
	const char *entry;
	cs_insn *in;
	csh h;
	int err;

	if (!req || !out)
		return -EINVAL;
	*out = (struct place_result){ .insn = "", .why = "no code" };
	if (!req->code || !req->size)
		return 0;
	err = disasm_open(&h, &in);
	if (err)
		return err;
	entry = find_candidate(h, in, req, out);
	if (out->offset && branch_lands_in(h, in, req, out->offset)) {
		out->offset = 0;
		out->sp_adjust = 0;
		out->insn = entry;
		out->why = "a branch lands in the prologue";
	}
	disasm_close(&h, in);
	return 0;
}
