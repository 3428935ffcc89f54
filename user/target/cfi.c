// SPDX-License-Identifier: GPL-2.0
/* user/target/cfi.c: a file's CFI compiled into sorted unwind rows.
 *
 * libdw interprets the CFI; this file only lists where FDEs begin and
 * classifies each state libdw hands back:
 *   - the FDE starts come from the binary search table of .eh_frame_hdr
 *     (an index of (initial location, FDE address) pairs, not DWARF), or,
 *     for a file with only .debug_frame, from dwarf_next_cfi;
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
 * FDE program of megabytes of DW_CFA_nop costs that much at every row,
 * and one naming a register near 2^27 makes libdw allocate and clear a
 * register array of ~2 GB at every row.  node takes 0.25 s.
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

/* Size of an encoded value of format enc (the low nibble), 0: unsupported. */
static size_t eh_pe_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	default:
		return 0;
	}
}

static uint64_t read_le(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/* The FDE starts listed by .eh_frame_hdr (hdr: size bytes at vaddr). */
static int eh_frame_hdr_starts(const uint8_t *hdr, size_t size, uint64_t vaddr,
			       uint64_t **startsp, size_t *np)
{
	size_t pos = 4, ptr_size, count_size, i;
	uint64_t count, *starts;

	if (size < 4 || hdr[0] != 1)
		return -EINVAL;
	if (hdr[1] == DW_EH_PE_omit || hdr[2] == DW_EH_PE_omit || hdr[3] == DW_EH_PE_omit)
		return -ENOTSUP;	/* no table to read */
	ptr_size = eh_pe_size(hdr[1]);
	count_size = eh_pe_size(hdr[2]);
	/* The count: an absolute unsigned value; the table: 4-byte offsets
	 * from the hdr's address.
	 */
	if (!ptr_size || !count_size || (hdr[2] & 0xf0) || (hdr[2] & DW_EH_PE_signed) ||
	    hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENOTSUP;
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

/* The .eh_frame_hdr: the section, as libdw looks for it first, else the
 * PT_GNU_EH_FRAME segment.  -ENODATA when there is none.
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

static int build_eh_frame(Elf *elf, struct cfi_table *t)
{
	const uint8_t *hdr;
	size_t size, n = 0;
	uint64_t vaddr, *starts = NULL;
	Dwarf_CFI *cfi;
	int err;

	err = find_eh_frame_hdr(elf, &hdr, &size, &vaddr);
	if (err)
		return err;
	err = eh_frame_hdr_starts(hdr, size, vaddr, &starts, &n);
	if (err)
		return err;
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		free(starts);
		return -EINVAL;
	}
	err = step_all(t, cfi, starts, n);
	dwarf_cfi_end(cfi);
	free(starts);
	return err;
}

/* .debug_frame: FDEs listed by dwarf_next_cfi; an FDE's initial location
 * is its first field, an address (8 bytes in an ELF64 file).
 */
static int build_debug_frame(Elf *elf, struct cfi_table *t)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;
	Elf_Data *data;
	Dwarf *dw;
	Dwarf_CFI *cfi;
	Dwarf_Off off = 0, next;
	const unsigned char *ident;
	uint64_t *starts = NULL;
	size_t n = 0, cap = 0, iter;
	int err = 0;

	if (!find_section(elf, ".debug_frame", &shdr))
		return -ENODATA;
	ident = (const unsigned char *)elf_getident(elf, NULL);
	dw = ident ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	if (!dw)
		return -EINVAL;
	cfi = dwarf_getcfi(dw);
	/* libdw decompressed the section in place if it was compressed. */
	scn = find_section(elf, ".debug_frame", &shdr);
	data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!cfi || !data || !data->d_buf) {
		err = -EINVAL;
		goto out;
	}
	for (iter = 0; iter < CFI_MAX_ROWS; iter++) {
		Dwarf_CFI_Entry e;
		int r = dwarf_next_cfi(ident, data, false, off, &next, &e);

		if (r == 1)
			break;
		if (r != 0 || next <= off) {
			err = -EINVAL;
			goto out;
		}
		off = next;
		if (e.CIE_id == DW_CIE_ID_64)
			continue;
		if (e.fde.end - e.fde.start < 8)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 256;
			uint64_t *v = realloc(starts, c * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			starts = v;
			cap = c;
		}
		starts[n++] = read_le(e.fde.start, 8);
	}
	err = iter == CFI_MAX_ROWS ? -E2BIG : step_all(t, cfi, starts, n);
out:
	free(starts);
	dwarf_end(dw);
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
	GElf_Shdr sh;
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
	if (err == -ENODATA && find_section(elf, ".eh_frame", &sh) && sh.sh_size > 4)
		err = -ENOTSUP;		/* an .eh_frame with no table to list it */
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
