// SPDX-License-Identifier: GPL-2.0
/* user/target/cfi.c: a file's CFI compiled into sorted unwind rows.
 *
 * libdw interprets the CFI; this file only lists where FDEs begin, vets
 * the FDEs libdw may run, and classifies each state libdw hands back:
 *   - the FDE starts come from the binary search table of .eh_frame_hdr
 *     (an index of (initial location, FDE address) pairs, not DWARF), or,
 *     without one (static executables) and for .debug_frame, from the
 *     entries themselves (dwarf_next_cfi, each FDE's initial location
 *     decoded as its CIE's 'R' augmentation says);
 *   - libdw reads a vetted copy of the section (see "The CFI section as
 *     libdw sees it"): no FDE whose program would have it allocate
 *     gigabytes;
 *   - from an FDE's start, dwarf_cfi_addrframe(pc) gives the state at pc and
 *     dwarf_frame_info the range [start, end) it holds for; the next row
 *     begins at end, until libdw finds no FDE there (the FDE is over: a gap
 *     until the next FDE starts, an ML_CFA_NONE row) or the next FDE begins.
 *
 * libdw runs an FDE's program from its start at every call, so an FDE of k
 * rows costs O(k^2) instructions interpreted (node: 0.2 s for 372K rows,
 * 895 in its longest FDE).  A budget on that sum, a cap on the rows and
 * one on CPU time bound what a hostile file can cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include "target/cfi.h"

/* x86-64 DWARF register numbers. */
#define REG_RBP		6
#define REG_RSP		7
#define REG_RA		16

/* Sum over the rows of their index within their FDE: roughly what stepping
 * costs libdw in CFA instructions interpreted.  node (98 MB, 76K FDEs,
 * 895 rows in its longest) uses 2.8M of it.
 */
#define CFI_STEP_BUDGET	(1ull << 30)
/* The last guard against a hostile file, in CPU time of this thread (a
 * loaded machine does not trip it): what no count above bounds, e.g. an
 * FDE program of megabytes of DW_CFA_nop costs that much at every row.
 * (Programs that would cost memory, a register near 2^28 for one, never
 * reach libdw: see vet().)  node takes 0.25 s.
 */
#define CFI_CPU_LIMIT_NS	(5ull * 1000000000)
/* The CPU clock is a system call: read it once per 10 ms of wall time. */
#define CFI_CPU_CHECK_NS	(10ull * 1000000)

struct builder {
	struct cfi_table *t;
	size_t cap;
	size_t emitted;			/* rows before merging */
	uint64_t budget;		/* CFI_STEP_BUDGET left */
	uint64_t cpu_start;		/* CLOCK_THREAD_CPUTIME_ID at the start */
	uint64_t next_check;		/* CLOCK_MONOTONIC of the next CPU check */
};

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool out_of_time(struct builder *b)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (now < b->next_check)
		return false;
	b->next_check = now + CFI_CPU_CHECK_NS;
	return clock_ns(CLOCK_THREAD_CPUTIME_ID) - b->cpu_start > CFI_CPU_LIMIT_NS;
}

static bool row_same_rule(const struct ml_unwind_row *a, const struct ml_unwind_row *b)
{
	return a->cfa_rule == b->cfa_rule && a->cfa_off == b->cfa_off &&
	       a->rbp_off == b->rbp_off && a->plt_threshold == b->plt_threshold;
}

/* Append the rule r from vaddr pc on; a rule equal to the last one only
 * extends it.  pc never decreases (the caller steps forward).
 */
static int emit(struct builder *b, uint64_t pc, const struct ml_unwind_row *r)
{
	struct cfi_table *t = b->t;

	if (++b->emitted > CFI_MAX_ROWS)
		return -E2BIG;
	if (pc < t->base || pc - t->base > UINT32_MAX)
		return -E2BIG;
	if (r->cfa_rule == ML_CFA_UNSUPPORTED)
		t->nunsupported++;
	if (t->nrows && row_same_rule(&t->rows[t->nrows - 1], r))
		return 0;
	if (t->nrows && t->rows[t->nrows - 1].pc >= pc - t->base)
		return -EINVAL;		/* cannot happen: the walk moves forward */
	if (t->nrows == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct ml_unwind_row *v = realloc(t->rows, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->rows = v;
		b->cap = cap;
	}
	t->rows[t->nrows] = *r;
	t->rows[t->nrows].pc = (uint32_t)(pc - t->base);
	t->nrows++;
	return 0;
}

static int emit_rule(struct builder *b, uint64_t pc, enum ml_cfa_rule rule)
{
	struct ml_unwind_row r = { .cfa_rule = rule };

	return emit(b, pc, &r);
}

/* ops is "CFA + off" (a location, not a value): DW_OP_call_frame_cfa and,
 * unless off is 0, DW_OP_plus_uconst off (libdw's form of an offset rule).
 */
static bool is_cfa_plus(const Dwarf_Op *ops, size_t nops, int64_t *off)
{
	if (nops == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		*off = 0;
		return true;
	}
	if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa &&
	    ops[1].atom == DW_OP_plus_uconst) {
		*off = (int64_t)ops[1].number;
		return true;
	}
	return false;
}

/* A one-op register rule: libdw gives DW_OP_bregx (reg, off) for
 * DW_CFA_def_cfa*, DW_OP_bregN (off) for an expression.
 */
static bool is_breg(const Dwarf_Op *op, uint64_t *reg, int64_t *off)
{
	if (op->atom == DW_OP_bregx) {
		*reg = op->number;
		*off = (int64_t)op->number2;
		return true;
	}
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (int64_t)op->number;
		return true;
	}
	return false;
}

/* The .plt expression of GNU ld:
 *   DW_OP_breg7 N; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_litK;
 *   DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus
 * i.e. CFA = rsp + N + ((rip & 15) >= K) * 8.
 */
static bool is_plt_expr(const Dwarf_Op *ops, size_t nops, int64_t *off, unsigned *threshold)
{
	uint64_t reg;

	if (nops != 9 || !is_breg(&ops[0], &reg, off) || reg != REG_RSP)
		return false;
	if (ops[1].atom != DW_OP_breg16 || ops[1].number != 0 ||
	    ops[2].atom != DW_OP_lit15 || ops[3].atom != DW_OP_and ||
	    ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15 ||
	    ops[5].atom != DW_OP_ge || ops[6].atom != DW_OP_lit3 ||
	    ops[7].atom != DW_OP_shl || ops[8].atom != DW_OP_plus)
		return false;
	*threshold = ops[4].atom - DW_OP_lit0;
	return true;
}

/* The row for libdw's state f; false: a rule the walk cannot follow. */
static bool classify(Dwarf_Frame *f, struct ml_unwind_row *r)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	bool signal = false;
	int64_t off;
	uint64_t reg;
	unsigned threshold;

	memset(r, 0, sizeof(*r));
	if (dwarf_frame_info(f, NULL, NULL, &signal) != REG_RA || signal)
		return false;

	/* The return address: undefined in the outermost frame, else at CFA-8. */
	if (dwarf_frame_register(f, REG_RA, mem, &ops, &nops))
		return false;
	if (nops == 0 && ops == mem) {
		r->cfa_rule = ML_CFA_END;
		return true;
	}
	if (!is_cfa_plus(ops, nops, &off) || off != -8)
		return false;

	if (dwarf_frame_cfa(f, &ops, &nops) || nops == 0)
		return false;
	if (nops == 1 && is_breg(&ops[0], &reg, &off) &&
	    (reg == REG_RSP || reg == REG_RBP)) {
		r->cfa_rule = reg == REG_RSP ? ML_CFA_RSP : ML_CFA_RBP;
	} else if (is_plt_expr(ops, nops, &off, &threshold)) {
		r->cfa_rule = ML_CFA_PLT;
		r->plt_threshold = threshold;
	} else {
		return false;
	}
	if (off < INT32_MIN || off > INT32_MAX)
		return false;
	r->cfa_off = (int32_t)off;

	/* rbp: unchanged (same value), or saved at CFA + off. */
	if (dwarf_frame_register(f, REG_RBP, mem, &ops, &nops))
		return false;
	if (nops == 0 && ops == NULL)
		return true;
	if (!is_cfa_plus(ops, nops, &off) || off == 0 || off < INT16_MIN || off > INT16_MAX)
		return false;
	r->rbp_off = (int16_t)off;
	return true;
}

static bool classify_ok(Dwarf_Frame *f, struct ml_unwind_row *r)
{
	if (classify(f, r))
		return true;
	memset(r, 0, sizeof(*r));
	r->cfa_rule = ML_CFA_UNSUPPORTED;
	return false;
}

/* The rows of the FDE starting at start, up to next (the next FDE's start,
 * or UINT64_MAX), then ML_CFA_NONE up to next if the FDE ends before.
 */
static int step_fde(struct builder *b, Dwarf_CFI *cfi, uint64_t start, uint64_t next)
{
	uint64_t pc = start, k = 0;
	int err;

	while (pc < next) {
		Dwarf_Frame *f = NULL;
		Dwarf_Addr s, e;
		struct ml_unwind_row r;

		if (k > b->budget)
			return -E2BIG;
		b->budget -= k++;
		if (out_of_time(b))
			return -ETIMEDOUT;
		if (dwarf_cfi_addrframe(cfi, pc, &f)) {
			/* Past the FDE's end (or an FDE libdw cannot read). */
			if (pc == start)
				b->t->nbad++;
			return emit_rule(b, pc, ML_CFA_NONE);
		}
		if (dwarf_frame_info(f, &s, &e, NULL) < 0 || e <= pc) {
			free(f);
			b->t->nbad++;
			return emit_rule(b, pc, ML_CFA_NONE);
		}
		classify_ok(f, &r);
		free(f);
		err = emit(b, pc, &r);
		if (err)
			return err;
		pc = e < next ? e : next;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort starts, drop duplicates, step every FDE. */
static int step_all(struct cfi_table *t, Dwarf_CFI *cfi, uint64_t *starts, size_t n)
{
	struct builder b = {
		.t = t, .budget = CFI_STEP_BUDGET,
		.cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID),
		.next_check = clock_ns(CLOCK_MONOTONIC) + CFI_CPU_CHECK_NS,
	};
	size_t i, m = 0;
	int err;

	if (n == 0)
		return -ENODATA;
	qsort(starts, n, sizeof(*starts), cmp_u64);
	for (i = 0; i < n; i++)
		if (m == 0 || starts[m - 1] != starts[i])
			starts[m++] = starts[i];
	t->base = starts[0];
	for (i = 0; i < m; i++) {
		err = step_fde(&b, cfi, starts[i], i + 1 < m ? starts[i + 1] : UINT64_MAX);
		if (err)
			return err;
		t->nfdes++;
	}
	return 0;
}

/* ---- The CFI section as libdw sees it ----
 *
 * libdw never reads the file's CFI: it reads a copy of the .eh_frame (or
 * .debug_frame) section in an ELF image of our own (a header, that
 * section, .shstrtab), in which every FDE this file does not vouch for has
 * been made unreadable.  Without .eh_frame_hdr in the image libdw finds
 * an FDE by reading the entries in order, so the FDEs it may run are
 * exactly those left readable: the ones vetted below.  The file's own
 * .eh_frame_hdr could name other offsets; libdw never sees it.
 *
 * Vetting decodes each CFA program as libdw's execute_cfi would, without
 * interpreting it: every instruction known and its operands within the
 * program, no register above CFI_MAX_REG (libdw sizes a frame's register
 * array by the largest register named, 8 bytes each: one near 2^28 is a
 * 2 GB array, allocated and cleared at every row), DW_CFA_remember_state
 * nested at most CFI_MAX_DEPTH deep (each level a copy of that array), and
 * no expression longer than CFI_MAX_EXPR (libdw keeps each one it reads
 * as 32-byte operations).  A lexer of the instructions, not an
 * interpreter: it keeps no state but the nesting.
 */
#define CFI_MAX_REG	255		/* x86-64 names registers up to 145 */
#define CFI_MAX_DEPTH	64
#define CFI_MAX_EXPR	1024
/* A CIE's augmentation string: "zPLRS" at most in real files.  libdw
 * reads one augmentation byte per letter without bounds (dwarf_next_cfi,
 * intern_new_cie): a CIE with a longer string is made unreadable before
 * libdw looks at it, and the image has CFI_PAD zeros after the section
 * for the few bytes it may read past its end.
 */
#define CFI_MAX_AUG	8
#define CFI_PAD		128
/* An FDE's CIE pointer that dwarf_next_cfi refuses in .eh_frame (beyond
 * the start of the section) and that finds no CIE in .debug_frame. */
#define CFI_NO_CIE	0xfffffff0u

struct cfi_copy {
	uint8_t *image;
	size_t image_size;
	Elf *elf;
	Elf_Data *data;			/* the section in image, as libdw reads it */
	uint8_t *buf;			/* data->d_buf, writable */
	size_t size;
	uint64_t vaddr;			/* of buf[0]; 0 for .debug_frame */
	bool eh;			/* .eh_frame, else .debug_frame */
};

static void copy_release(struct cfi_copy *c)
{
	if (c->elf)
		elf_end(c->elf);
	free(c->image);
	memset(c, 0, sizeof(*c));
}

/* An ELF image holding size bytes at vaddr as .eh_frame (eh) or .debug_frame. */
static int copy_make(struct cfi_copy *c, const void *bytes, size_t size, uint64_t vaddr, bool eh)
{
	static const char strtab[] = "\0.eh_frame\0.debug_frame\0.shstrtab";
	const size_t data_off = sizeof(Elf64_Ehdr);
	size_t str_off, sh_off;
	Elf64_Ehdr *eh_hdr;
	Elf64_Shdr *sh;
	Elf_Scn *scn;

	memset(c, 0, sizeof(*c));
	if (size >= CFI_NO_CIE)
		return -E2BIG;
	str_off = data_off + size + CFI_PAD;
	sh_off = (str_off + sizeof(strtab) + 7) & ~(size_t)7;
	c->image_size = sh_off + 3 * sizeof(Elf64_Shdr);
	c->image = calloc(1, c->image_size);
	if (!c->image)
		return -ENOMEM;
	eh_hdr = (Elf64_Ehdr *)c->image;
	memcpy(eh_hdr->e_ident, ELFMAG, SELFMAG);
	eh_hdr->e_ident[EI_CLASS] = ELFCLASS64;
	eh_hdr->e_ident[EI_DATA] = ELFDATA2LSB;
	eh_hdr->e_ident[EI_VERSION] = EV_CURRENT;
	eh_hdr->e_type = ET_DYN;
	eh_hdr->e_machine = EM_X86_64;
	eh_hdr->e_version = EV_CURRENT;
	eh_hdr->e_shoff = sh_off;
	eh_hdr->e_ehsize = sizeof(Elf64_Ehdr);
	eh_hdr->e_shentsize = sizeof(Elf64_Shdr);
	eh_hdr->e_shnum = 3;
	eh_hdr->e_shstrndx = 2;
	sh = (Elf64_Shdr *)(c->image + sh_off);
	sh[1] = (Elf64_Shdr){
		.sh_name = eh ? 1 : 11, .sh_type = SHT_PROGBITS, .sh_flags = eh ? SHF_ALLOC : 0,
		.sh_addr = vaddr, .sh_offset = data_off, .sh_size = size, .sh_addralign = 1,
	};
	sh[2] = (Elf64_Shdr){
		.sh_name = 24, .sh_type = SHT_STRTAB, .sh_offset = str_off,
		.sh_size = sizeof(strtab), .sh_addralign = 1,
	};
	if (size)
		memcpy(c->image + data_off, bytes, size);
	memcpy(c->image + str_off, strtab, sizeof(strtab));
	c->elf = elf_memory((char *)c->image, c->image_size);
	scn = c->elf ? elf_getscn(c->elf, 1) : NULL;
	c->data = scn ? elf_rawdata(scn, NULL) : NULL;
	if (!c->data || c->data->d_size != size || (size && c->data->d_buf != c->image + data_off)) {
		copy_release(c);
		return -EINVAL;
	}
	c->buf = c->image + data_off;
	c->size = size;
	c->vaddr = vaddr;
	c->eh = eh;
	return 0;
}

/* A LEB128 operand as libdw reads it: the same bytes and value for one
 * that ends within 9 bytes and before end; false for any other (which
 * libdw reads on past end, or takes as all ones).
 */
static bool lex_leb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t acc = 0;
	unsigned i;

	for (i = 0; i < 9 && *p < end; i++) {
		uint8_t b = *(*p)++;

		acc |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = acc;
			return true;
		}
	}
	return false;
}

static bool lex_reg(const uint8_t **p, const uint8_t *end)
{
	uint64_t reg;

	return lex_leb(p, end, &reg) && reg <= CFI_MAX_REG;
}

/* Size of a value encoded enc (DW_EH_PE_*) that toolchains use; 0 else. */
static size_t enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	default:
		return 0;
	}
}

/* The CFA program [p, end) of a CIE or FDE whose addresses are encoded
 * enc passes (see above); decoded as libdw's execute_cfi reads it.
 */
static bool lex_program(const uint8_t *p, const uint8_t *end, uint8_t enc)
{
	int depth = 0;
	uint64_t v;
	size_t n;

	while (p < end) {
		uint8_t op = *p++;

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
		case DW_CFA_restore:		/* register: the low 6 bits */
			continue;
		case DW_CFA_offset:
			if (!lex_leb(&p, end, &v))
				return false;
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
		case DW_CFA_GNU_window_save:	/* SPARC's; libdw sizes 32 registers */
			continue;
		case DW_CFA_remember_state:
			if (++depth > CFI_MAX_DEPTH)
				return false;
			continue;
		case DW_CFA_restore_state:
			if (--depth < 0)
				return false;
			continue;
		case DW_CFA_advance_loc1:
			n = 1;
			break;
		case DW_CFA_advance_loc2:
			n = 2;
			break;
		case DW_CFA_advance_loc4:
			n = 4;
			break;
		case DW_CFA_MIPS_advance_loc8:
			n = 8;
			break;
		case DW_CFA_set_loc:
			/* No aligned, indirect or LEB128 forms. */
			n = (enc & 0xf0) <= DW_EH_PE_funcrel ? enc_size(enc) : 0;
			if (!n)
				return false;
			break;
		case DW_CFA_def_cfa:		/* the CFA's register indexes nothing */
		case DW_CFA_def_cfa_sf:
			if (!lex_leb(&p, end, &v) || !lex_leb(&p, end, &v))
				return false;
			continue;
		case DW_CFA_def_cfa_register:
		case DW_CFA_def_cfa_offset:
		case DW_CFA_def_cfa_offset_sf:
		case DW_CFA_GNU_args_size:
			if (!lex_leb(&p, end, &v))
				return false;
			continue;
		case DW_CFA_undefined:
		case DW_CFA_same_value:
		case DW_CFA_restore_extended:
			if (!lex_reg(&p, end))
				return false;
			continue;
		case DW_CFA_offset_extended:
		case DW_CFA_offset_extended_sf:
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
		case DW_CFA_register:
		case DW_CFA_GNU_negative_offset_extended:
			if (!lex_reg(&p, end) || !lex_leb(&p, end, &v))
				return false;
			continue;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			if (!lex_reg(&p, end))
				return false;
			/* fall through */
		case DW_CFA_def_cfa_expression:
			if (!lex_leb(&p, end, &v) || v > CFI_MAX_EXPR || v > (uint64_t)(end - p))
				return false;
			p += v;
			continue;
		default:
			return false;
		}
		if ((size_t)(end - p) < n)
			return false;
		p += n;
	}
	return true;
}

static uint64_t read_le(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/* A value encoded enc as libdw reads it (encoded-value.h), for what
 * toolchains emit for addresses: absolute or pc-relative, 4 or 8 bytes.
 * *p is in buf, whose first byte is at vaddr; no reading past end.
 */
static bool read_encoded(uint8_t enc, const uint8_t *buf, uint64_t vaddr, const uint8_t **p,
			 const uint8_t *end, uint64_t *v)
{
	uint64_t base = 0, x;

	switch (enc & 0xf0) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		base = vaddr + (uint64_t)(*p - buf);
		break;
	default:			/* datarel, textrel, ..., indirect */
		return false;
	}
	switch (enc & 0x0f) {
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		if (end - *p < 4)
			return false;
		x = read_le(*p, 4);
		if ((enc & 0x0f) == DW_EH_PE_sdata4)
			x = (uint64_t)(int64_t)(int32_t)x;
		*p += 4;
		break;
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		if (end - *p < 8)
			return false;
		x = read_le(*p, 8);
		*p += 8;
		break;
	default:			/* absptr not made udata8, 2 bytes, LEB128 */
		return false;
	}
	*v = base + x;
	return true;
}

/* An entry's framing as dwarf_next_cfi reads it: its id field's offset
 * and size, and where the next entry begins.  0, 1 at the end (a zero
 * length, or no room for one), -1 when dwarf_next_cfi stops there too.
 */
static int entry_frame(const struct cfi_copy *c, uint64_t off, uint64_t *id_off, size_t *id_size,
		       uint64_t *next)
{
	uint64_t len, pos = off + 4;

	if (off + 4 >= c->size)
		return 1;
	len = read_le(c->buf + off, 4);
	*id_size = 4;
	if (len == 0xffffffff) {
		if (c->size - pos < 8)
			return -1;
		len = read_le(c->buf + pos, 8);
		pos += 8;
		*id_size = 8;
	}
	if (len == 0)
		return 1;
	if (c->size - pos < len || len < *id_size + 1)
		return -1;
	*id_off = pos;
	*next = pos + len;
	return 0;
}

/* Make CIEs with a long augmentation string unreadable (their version
 * byte), before dwarf_next_cfi reads any.
 */
static void guard_cies(struct cfi_copy *c)
{
	uint64_t off = 0, id_off, next;
	size_t id_size;

	while (entry_frame(c, off, &id_off, &id_size, &next) == 0) {
		uint64_t id = read_le(c->buf + id_off, id_size);
		bool cie = c->eh ? id == 0 : id == (id_size == 4 ? DW_CIE_ID_32 : DW_CIE_ID_64);
		uint8_t *ver = c->buf + id_off + id_size;	/* within the entry */
		const uint8_t *aug = ver + 1, *s;

		if (cie) {
			s = aug < c->buf + next ? memchr(aug, 0, c->buf + next - aug) : NULL;
			if (!s || s - aug > CFI_MAX_AUG)
				*ver = 0xff;
		}
		off = next;
	}
}

struct cie_info {
	uint64_t off;
	uint8_t enc;			/* of FDE addresses */
	bool sized;			/* 'z': FDEs have an augmentation block */
	bool ok;
};

/* The entries in the order libdw's linear search reads them (fde.c): an
 * entry dwarf_next_cfi refuses is passed over when it told where the next
 * one begins; else the walk ends.  0, or 1 at the end.
 */
static int next_entry(const struct cfi_copy *c, const unsigned char *ident, uint64_t *off,
		      uint64_t *at, Dwarf_CFI_Entry *e)
{
	for (;;) {
		Dwarf_Off next = *off;
		int r = dwarf_next_cfi(ident, c->data, c->eh, *off, &next, e);

		if (r > 0 || (r < 0 && next <= *off))
			return 1;
		*at = *off;
		*off = next;
		if (r == 0)
			return 0;
	}
}

/* A CIE libdw reads as we do (cie.c intern_new_cie): augmentation "" or
 * 'z' then L, P, R, S; a personality of fixed size; and a program that
 * passes.
 */
static void parse_cie(const Dwarf_CIE *e, struct cie_info *ci)
{
	const uint8_t *d = e->augmentation_data, *dend = d + e->augmentation_data_size;
	const char *ap = e->augmentation;
	size_t n;

	ci->enc = DW_EH_PE_absptr;
	ci->sized = *ap == 'z';
	ci->ok = false;
	if (*ap && *ap++ != 'z')
		return;
	for (; *ap; ap++) {
		switch (*ap) {
		case 'S':
			continue;
		case 'R':
		case 'L':
		case 'P':
			if (d >= dend)
				return;
			if (*ap == 'R')
				ci->enc = *d;
			n = *ap == 'P' ? enc_size(*d & 0x07) : 0;
			if (*ap == 'P' && (!n || (size_t)(dend - d - 1) < n))
				return;
			d += 1 + n;
			continue;
		default:
			return;
		}
	}
	if ((ci->enc & 0x0f) == DW_EH_PE_absptr)
		ci->enc |= DW_EH_PE_udata8;	/* as libdw canonicalizes it */
	ci->ok = lex_program(e->initial_instructions, e->initial_instructions_end, ci->enc);
}

static const struct cie_info *find_cie(const struct cie_info *v, size_t n, uint64_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].off == off)
			return &v[mid];
		if (v[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Room for one more in *v (n used, *cap allocated, elements of size). */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	if (n >= CFI_MAX_ROWS)
		return -E2BIG;
	c = *cap ? *cap * 2 : 256;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static int push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	int err = grow((void **)v, *n, cap, sizeof(**v));

	if (!err)
		(*v)[(*n)++] = x;
	return err;
}

/* The FDEs of a vetted copy. */
struct vetted {
	uint64_t *kept;			/* starts of the FDEs left readable */
	size_t nkept, kcap;
	uint64_t *dropped;		/* starts of those made unreadable (when known) */
	size_t ndropped, dcap;
	size_t nrefused;		/* FDEs made unreadable but for empty ones */
};

static void vetted_free(struct vetted *v)
{
	free(v->kept);
	free(v->dropped);
	memset(v, 0, sizeof(*v));
}

/* Make the entry at off unreadable: its CIE pointer (an FDE), or its
 * version (a CIE).
 */
static void make_unreadable(struct cfi_copy *c, uint64_t off, bool cie)
{
	uint64_t id_off, next;
	size_t id_size;

	if (entry_frame(c, off, &id_off, &id_size, &next))
		return;		/* cannot happen: dwarf_next_cfi read it */
	if (cie) {
		c->buf[id_off + id_size] = 0xff;
		return;
	}
	memset(c->buf + id_off, 0, id_size);
	c->buf[id_off] = CFI_NO_CIE & 0xff;
	c->buf[id_off + 1] = CFI_NO_CIE >> 8 & 0xff;
	c->buf[id_off + 2] = CFI_NO_CIE >> 16 & 0xff;
	c->buf[id_off + 3] = CFI_NO_CIE >> 24;
}

/* 1: the FDE passes; 0: it does not; -1: it is empty (libdw passes over
 * it).  *known: *start could be read.
 */
static int vet_fde(const struct cfi_copy *c, const struct cie_info *ci, const Dwarf_FDE *f,
		   uint64_t *start, bool *known)
{
	const uint8_t *p = f->start, *end = f->end;
	uint64_t range, len;

	*known = false;
	if (!ci || !ci->ok || !read_encoded(ci->enc, c->buf, c->vaddr, &p, end, start))
		return 0;
	*known = true;
	/* The range: the format alone (libdw: fde_encoding & 0x0f). */
	if (!read_encoded(ci->enc & 0x0f, c->buf, c->vaddr, &p, end, &range))
		return 0;
	if (*start + range <= *start)
		return -1;
	if (ci->sized) {
		if (!lex_leb(&p, end, &len) || len > (uint64_t)(end - p))
			return 0;
		p += len;
	}
	return lex_program(p, end, ci->enc);
}

/* Read every entry as libdw would; leave readable the FDEs whose start we
 * can decode, whose CIE is an entry of the section that passes, and whose
 * program passes.
 */
static int vet(struct cfi_copy *c, struct vetted *v)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(c->elf, NULL);
	struct cie_info *cies = NULL;
	size_t ncies = 0, ccap = 0;
	uint64_t off = 0, at;
	Dwarf_CFI_Entry e;
	int err = 0;

	memset(v, 0, sizeof(*v));
	if (!ident)
		return -EINVAL;
	guard_cies(c);
	/* The CIEs, in increasing offsets. */
	while (!err && next_entry(c, ident, &off, &at, &e) == 0) {
		if (e.CIE_id != DW_CIE_ID_64 || (err = grow((void **)&cies, ncies, &ccap, sizeof(*cies))))
			continue;
		cies[ncies].off = at;
		parse_cie(&e.cie, &cies[ncies]);
		ncies++;
	}
	for (off = 0; !err && next_entry(c, ident, &off, &at, &e) == 0;) {
		const struct cie_info *ci;
		uint64_t start;
		bool known;
		int verdict;

		if (e.CIE_id == DW_CIE_ID_64) {
			ci = find_cie(cies, ncies, at);
			if (ci && !ci->ok)
				make_unreadable(c, at, true);
			continue;
		}
		ci = find_cie(cies, ncies, e.fde.CIE_pointer);
		verdict = vet_fde(c, ci, &e.fde, &start, &known);
		if (verdict == 1) {
			err = push_u64(&v->kept, &v->nkept, &v->kcap, start);
			continue;
		}
		make_unreadable(c, at, false);
		if (verdict == 0)
			v->nrefused++;
		if (known)
			err = push_u64(&v->dropped, &v->ndropped, &v->dcap, start);
	}
	free(cies);
	return err;
}

static bool has_u64(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* .eh_frame_hdr's starts but those of FDEs made unreadable (unless a
 * readable one begins there too); the number left.
 */
static size_t filter_starts(uint64_t *starts, size_t n, struct vetted *v)
{
	size_t i, m = 0;

	if (v->nkept)
		qsort(v->kept, v->nkept, sizeof(*v->kept), cmp_u64);
	if (v->ndropped)
		qsort(v->dropped, v->ndropped, sizeof(*v->dropped), cmp_u64);
	for (i = 0; i < n; i++)
		if (has_u64(v->kept, v->nkept, starts[i]) ||
		    !has_u64(v->dropped, v->ndropped, starts[i]))
			starts[m++] = starts[i];
	return m;
}

/* The FDE starts listed by .eh_frame_hdr (hdr: size bytes at vaddr).
 * -ENODATA: no table we read (none, or encoded otherwise), or an empty one.
 */
static int eh_frame_hdr_starts(const uint8_t *hdr, size_t size, uint64_t vaddr,
			       uint64_t **startsp, size_t *np)
{
	size_t pos = 4, ptr_size, count_size, i;
	uint64_t count, *starts;

	if (size < 4 || hdr[0] != 1)
		return -EINVAL;
	ptr_size = enc_size(hdr[1]);
	count_size = enc_size(hdr[2]);
	/* The count: an absolute unsigned value; the table: 4-byte offsets
	 * from the hdr's address.
	 */
	if (hdr[1] == DW_EH_PE_omit || hdr[2] == DW_EH_PE_omit || hdr[3] == DW_EH_PE_omit ||
	    !ptr_size || !count_size || (hdr[2] & 0xf0) || (hdr[2] & DW_EH_PE_signed) ||
	    hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENODATA;
	if (size - pos < ptr_size + count_size)
		return -EINVAL;
	pos += ptr_size;
	count = read_le(hdr + pos, count_size);
	pos += count_size;
	if (count > (size - pos) / 8)
		return -EINVAL;
	if (count == 0)
		return -ENODATA;
	if (count > CFI_MAX_ROWS)
		return -E2BIG;
	starts = malloc(count * sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	for (i = 0; i < count; i++, pos += 8)
		starts[i] = vaddr + (uint64_t)(int64_t)(int32_t)read_le(hdr + pos, 4);
	*startsp = starts;
	*np = count;
	return 0;
}

/* A section by name: NULL when absent (or the section table is unreadable). */
static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *s;

		if (!gelf_getshdr(scn, shdr))
			continue;
		s = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (s && strcmp(s, name) == 0)
			return shdr->sh_type == SHT_NOBITS ? NULL : scn;
	}
	return NULL;
}

/* The .eh_frame_hdr: the section, else the PT_GNU_EH_FRAME segment.
 * -ENODATA when there is none.
 */
static int find_eh_frame_hdr(Elf *elf, const uint8_t **hdr, size_t *size, uint64_t *vaddr)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, ".eh_frame_hdr", &shdr);
	Elf_Data *data;
	size_t phnum, i;

	if (scn) {
		data = elf_rawdata(scn, NULL);
		if (!data || !data->d_buf)
			return -EINVAL;
		*hdr = data->d_buf;
		*size = data->d_size;
		*vaddr = shdr.sh_addr;
		return 0;
	}
	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_GNU_EH_FRAME)
			continue;
		data = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		if (!data || !data->d_buf)
			return -EINVAL;
		*hdr = data->d_buf;
		*size = data->d_size;
		*vaddr = ph.p_vaddr;
		return 0;
	}
	return -ENODATA;
}

/* The .eh_frame: the section, else (no section table) from where the
 * hdr's eh_frame_ptr points to the end of the PT_LOAD segment holding it.
 * -ENODATA when there is none.
 */
static int find_eh_frame(Elf *elf, const uint8_t *hdr, size_t hdr_size, uint64_t hdr_vaddr,
			 const void **bytes, size_t *size, uint64_t *vaddr)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, ".eh_frame", &shdr);
	Elf_Data *data;
	const uint8_t *p;
	uint64_t ptr;
	size_t phnum, i;

	if (scn) {
		data = elf_rawdata(scn, NULL);
		if (!data || (!data->d_buf && data->d_size))
			return -EINVAL;
		*bytes = data->d_buf;
		*size = data->d_size;
		*vaddr = shdr.sh_addr;
		return 0;
	}
	if (!hdr)
		return -ENODATA;
	p = hdr + 4;
	if (hdr_size < 4 || !read_encoded(hdr[1], hdr, hdr_vaddr, &p, hdr + hdr_size, &ptr))
		return -ENOTSUP;
	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD || ptr < ph.p_vaddr || ptr - ph.p_vaddr >= ph.p_filesz)
			continue;
		data = elf_getdata_rawchunk(elf, ph.p_offset + (ptr - ph.p_vaddr),
					    ph.p_filesz - (ptr - ph.p_vaddr), ELF_T_BYTE);
		if (!data || !data->d_buf)
			return -EINVAL;
		*bytes = data->d_buf;
		*size = data->d_size;
		*vaddr = ptr;
		return 0;
	}
	return -EINVAL;
}

/* .eh_frame: the FDEs listed by .eh_frame_hdr's table, or when it has
 * none we read (or there is no .eh_frame_hdr) by the entries themselves.
 */
static int build_eh_frame(Elf *elf, struct cfi_table *t)
{
	const uint8_t *hdr = NULL;
	const void *bytes;
	size_t hdr_size = 0, size, n = 0;
	uint64_t hdr_vaddr = 0, vaddr, *starts = NULL;
	struct cfi_copy c;
	struct vetted v = { 0 };
	Dwarf_CFI *cfi;
	int err;

	err = find_eh_frame_hdr(elf, &hdr, &hdr_size, &hdr_vaddr);
	if (err == 0)
		err = eh_frame_hdr_starts(hdr, hdr_size, hdr_vaddr, &starts, &n);
	else
		hdr = NULL;
	if (err && err != -ENODATA)
		return err;
	err = find_eh_frame(elf, hdr, hdr_size, hdr_vaddr, &bytes, &size, &vaddr);
	if (!err)
		err = copy_make(&c, bytes, size, vaddr, true);
	if (err) {
		free(starts);
		return err;
	}
	err = vet(&c, &v);
	if (!err) {
		if (starts) {
			n = filter_starts(starts, n, &v);
		} else {
			starts = v.kept;
			n = v.nkept;
			v.kept = NULL;
		}
		t->nbad += v.nrefused;
		err = n ? 0 : v.nrefused ? -ENOTSUP : -ENODATA;
	}
	if (!err) {
		cfi = dwarf_getcfi_elf(c.elf);
		err = cfi ? step_all(t, cfi, starts, n) : -EINVAL;
		if (cfi)
			dwarf_cfi_end(cfi);
	}
	vetted_free(&v);
	copy_release(&c);
	free(starts);
	return err;
}

/* .debug_frame: the FDEs listed by the entries themselves. */
static int build_debug_frame(Elf *elf, struct cfi_table *t)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, ".debug_frame", &shdr);
	Elf_Data *data;
	struct cfi_copy c;
	struct vetted v;
	Dwarf *dw = NULL;
	Dwarf_CFI *cfi;
	int err;

	if (!scn)
		return -ENODATA;
	/* As libdw would: decompressed in place. */
	if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return -EINVAL;
	data = elf_getdata(scn, NULL);
	if (!data || (!data->d_buf && data->d_size))
		return -EINVAL;
	err = copy_make(&c, data->d_buf, data->d_size, 0, false);
	if (err)
		return err;
	err = vet(&c, &v);
	if (!err) {
		t->nbad += v.nrefused;
		err = v.nkept ? 0 : v.nrefused ? -ENOTSUP : -ENODATA;
	}
	if (!err) {
		dw = dwarf_begin_elf(c.elf, DWARF_C_READ, NULL);
		cfi = dw ? dwarf_getcfi(dw) : NULL;
		err = cfi ? step_all(t, cfi, v.kept, v.nkept) : -EINVAL;
	}
	if (dw)
		dwarf_end(dw);
	vetted_free(&v);
	copy_release(&c);
	return err;
}

static void read_build_id(Elf *elf, struct cfi_table *t)
{
	static const char hex[] = "0123456789abcdef";
	const void *p;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &p);
	ssize_t i;

	t->build_id[0] = '\0';
	if (len <= 0 || len > 20)
		return;
	for (i = 0; i < len; i++) {
		uint8_t c = ((const uint8_t *)p)[i];

		t->build_id[2 * i] = hex[c >> 4];
		t->build_id[2 * i + 1] = hex[c & 15];
	}
	t->build_id[2 * len] = '\0';
}

static int read_text(Elf *elf, struct cfi_table *t)
{
	size_t phnum, i;

	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (i = 0; i < phnum && t->ntext < CFI_MAX_TEXT; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		t->text[t->ntext++] = (struct cfi_segment){
			.vaddr = ph.p_vaddr, .offset = ph.p_offset, .filesz = ph.p_filesz,
		};
	}
	return 0;
}

int cfi_table__build_elf(Elf *elf, struct cfi_table *out)
{
	GElf_Ehdr eh;
	int err;

	memset(out, 0, sizeof(*out));
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return -EINVAL;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return -ENOTSUP;
	err = read_text(elf, out);
	if (err)
		return err;
	read_build_id(elf, out);
	err = build_eh_frame(elf, out);
	if (err == -ENODATA)
		err = build_debug_frame(elf, out);
	if (err) {
		cfi_table__release(out);
		return err;
	}
	return 0;
}

int cfi_table__build(const char *path, struct cfi_table *out)
{
	Elf *elf;
	int fd, err;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Read, not mmap: a file truncated under us is a read error, not SIGBUS. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -EINVAL;
	}
	err = cfi_table__build_elf(elf, out);
	elf_end(elf);
	close(fd);
	return err;
}

const struct ml_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr)
{
	size_t lo = 0, hi = t->nrows;
	uint64_t pc;

	if (!t->nrows || vaddr < t->base || vaddr - t->base > UINT32_MAX)
		return NULL;
	pc = vaddr - t->base;
	/* The last row whose pc <= pc. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return t->rows[lo].pc <= pc ? &t->rows[lo] : NULL;
}

void cfi_table__release(struct cfi_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
