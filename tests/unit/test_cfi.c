/* tests/unit/test_cfi.c: user/target/cfi.c against the fixtures of
 * tests/cfi.mk and the machine's libc.
 *
 * Four kinds of checks:
 *   - named places: a function's first instruction, the instructions of
 *     its prologue (decoded with capstone and simulated: pushes, sub of
 *     rsp, mov %rsp,%rbp), _start, .plt, a function with no CFI;
 *   - the whole table against readelf: an expected table is built from
 *     `readelf --debug-dump=frames-interp` (rows per FDE) and
 *     `--debug-dump=frames` (which expression an "exp" CFA is) by rules of
 *     its own, and must equal ours row for row (the static fixture's too:
 *     FDEs listed from .eh_frame itself, no .eh_frame_hdr);
 *   - hostile input: a copy of a fixture with its .eh_frame_hdr cut short
 *     or corrupted, fuzzed .eh_frame bytes, a truncated file; FDE starts
 *     encoded otherwise; CFA programs that would make libdw allocate
 *     gigabytes (a register near 2^28, DW_CFA_remember_state nested deep),
 *     refused at once;
 *   - the libFuzzer target of tests/fuzz.mk, run for ~5 s when built.
 * No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "tmpdir.h"
#include "target/cfi.h"

#define FIX_DIR ".output/fixtures/cfi/"
/* cfi.c's CFI_MAX_DEPTH: DW_CFA_remember_state nested deeper is refused. */
#define CFI_TEST_DEPTH 64
#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"

/* ---- Files and symbols ---- */

struct image {
	uint8_t *buf;
	size_t size;
};

static bool image_read(const char *path, struct image *im)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	bool ok = false;

	memset(im, 0, sizeof(*im));
	if (fd < 0 || fstat(fd, &st))
		goto out;
	im->size = st.st_size;
	im->buf = malloc(im->size ? im->size : 1);
	ok = im->buf && read(fd, im->buf, im->size) == (ssize_t)im->size;
out:
	if (fd >= 0)
		close(fd);
	return ASSERT_TRUE(ok, path);
}

static void image_free(struct image *im)
{
	free(im->buf);
	memset(im, 0, sizeof(*im));
}

/* Build the table of an image in memory, as a fuzzer would. */
static int build_mem(const struct image *im, size_t size, struct cfi_table *t)
{
	Elf *elf = elf_memory((char *)im->buf, size);
	int err = cfi_table__build_elf(elf, t);

	if (elf)
		elf_end(elf);
	return err;
}

struct sec {
	uint64_t addr, offset, size;
	size_t index;
};

static bool find_sec(const struct image *im, const char *name, struct sec *s)
{
	Elf *elf = elf_memory((char *)im->buf, im->size);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strcmp(n, name) == 0) {
			*s = (struct sec){ sh.sh_addr, sh.sh_offset, sh.sh_size, elf_ndxscn(scn) };
			found = true;
		}
	}
out:
	if (elf)
		elf_end(elf);
	return found;
}

/* A symbol of .symtab: its address and size. */
static bool find_sym(const struct image *im, const char *name, uint64_t *addr, uint64_t *size)
{
	Elf *elf = elf_memory((char *)im->buf, im->size);
	Elf_Scn *scn = NULL;
	bool found = false;

	while (elf && !found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, i, &sym) || !(n = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			if (strcmp(n, name) == 0 && sym.st_value) {
				*addr = sym.st_value;
				*size = sym.st_size;
				found = true;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	return ASSERT_TRUE(found, name);
}

/* The bytes at vaddr addr (in a section that has them), or NULL. */
static const uint8_t *code_at(const struct image *im, uint64_t addr, uint64_t size)
{
	struct sec s;

	if (!find_sec(im, ".text", &s) || addr < s.addr || addr + size > s.addr + s.size ||
	    s.offset + s.size > im->size)
		return NULL;
	return im->buf + s.offset + (addr - s.addr);
}

/* ---- Rows ---- */

static struct ml_unwind_row R(enum ml_cfa_rule rule, int32_t cfa_off, int16_t rbp_off)
{
	return (struct ml_unwind_row){ .cfa_rule = rule, .cfa_off = cfa_off, .rbp_off = rbp_off };
}

static const char *rule_str(const struct ml_unwind_row *r)
{
	static const char *names[] = { "none", "rsp", "rbp", "plt", "end", "unsupported" };
	static char buf[4][64];
	static int i;
	char *b = buf[i++ & 3];

	if (!r)
		return "(no row)";
	snprintf(b, sizeof(buf[0]), "%s%+d rbp@%d thr %u",
		 r->cfa_rule < 6 ? names[r->cfa_rule] : "?", r->cfa_off, r->rbp_off,
		 r->plt_threshold);
	return b;
}

static bool same_rule(const struct ml_unwind_row *a, const struct ml_unwind_row *b)
{
	return a && b && a->cfa_rule == b->cfa_rule && a->cfa_off == b->cfa_off &&
	       a->rbp_off == b->rbp_off && a->plt_threshold == b->plt_threshold;
}

/* The rule at vaddr is want. */
static bool check_rule_at(const struct cfi_table *t, uint64_t vaddr, struct ml_unwind_row want,
			  const char *what)
{
	const struct ml_unwind_row *r = cfi_table__find(t, vaddr);

	if (same_rule(r, &want))
		return true;
	TEST_FAIL_("%s at %#" PRIx64 ": got %s, expected %s", what, vaddr, rule_str(r),
		   rule_str(&want));
	return false;
}

/* Sorted by pc, no duplicates, no two consecutive rows alike, known rules,
 * and a NONE row last (nothing runs on past the last FDE).
 */
static bool check_invariants(const struct cfi_table *t, const char *what)
{
	size_t i;

	if (!ASSERT_GT(t->nrows, 0, what))
		return false;
	for (i = 0; i < t->nrows; i++) {
		const struct ml_unwind_row *r = &t->rows[i];

		if (r->cfa_rule > ML_CFA_UNSUPPORTED ||
		    (i && (r->pc <= r[-1].pc || same_rule(r, r - 1)))) {
			TEST_FAIL_("%s: row %zu (pc %#x, %s) after pc %#x, %s", what, i, r->pc,
				   rule_str(r), i ? r[-1].pc : 0, i ? rule_str(r - 1) : "-");
			return false;
		}
	}
	return ASSERT_EQ(t->rows[0].pc, 0, what) &
	       ASSERT_EQ(t->rows[t->nrows - 1].cfa_rule, ML_CFA_NONE, what);
}

/* ---- The expected table, from readelf ---- */

struct plt_expr {
	uint64_t fde;			/* FDE offset in the section */
	int nexpr;			/* DW_CFA_def_cfa_expression in this FDE */
	bool plt;			/* the only one is the .plt expression */
	int32_t off;
	unsigned threshold;
};

struct xfde {
	uint64_t off, cie, lo, hi;
	size_t first, n;		/* rows in xrows */
};

struct xrow {
	uint64_t loc;
	struct ml_unwind_row r;
};

struct xcie {
	uint64_t off;
	struct ml_unwind_row r;
};

struct expect {
	struct plt_expr *plts;
	size_t nplts;
	struct xfde *fdes;
	size_t nfdes;
	struct xrow *rows;
	size_t nrows;
	struct xcie *cies;
	size_t ncies;
	unsigned plt_thresholds[4];	/* distinct .plt thresholds seen */
	int nthresholds;
};

/* Room for element n: capacities are 16, 32, 64, ... */
static void *grow(void *v, size_t n, size_t size)
{
	if (n && (n < 16 || (n & (n - 1))))
		return v;
	return realloc(v, (n ? 2 * n : 16) * size);
}

#define PUSH(arr, n) ({								\
	void *___v = grow((arr), (n), sizeof(*(arr)));				\
	if (___v) (arr) = ___v;							\
	___v ? &(arr)[(n)++] : NULL; })

static void expect_free(struct expect *x)
{
	free(x->plts);
	free(x->fdes);
	free(x->rows);
	free(x->cies);
	memset(x, 0, sizeof(*x));
}

static bool is_section_line(const char *line, const char *section, bool *in)
{
	char want[96];

	if (strncmp(line, "Contents of the ", 16))
		return false;
	snprintf(want, sizeof(want), "Contents of the %s section:", section);
	*in = strncmp(line, want, strlen(want)) == 0;
	return true;
}

/* "%08x %016x %08x FDE cie=%08x pc=%016x..%016x" */
static bool parse_fde_header(const char *line, struct xfde *f)
{
	unsigned long long off, len, id, cie, lo, hi;

	if (sscanf(line, "%llx %llx %llx FDE cie=%llx pc=%llx..%llx", &off, &len, &id, &cie,
		   &lo, &hi) != 6)
		return false;
	*f = (struct xfde){ .off = off, .cie = cie, .lo = lo, .hi = hi };
	return true;
}

static bool parse_cie_header(const char *line, uint64_t *off)
{
	unsigned long long o, len, id;
	char word[8];

	if (sscanf(line, "%llx %llx %llx %7s", &o, &len, &id, word) != 4 || strcmp(word, "CIE"))
		return false;
	*off = o;
	return true;
}

/* `readelf --debug-dump=frames`: which FDEs define the CFA by the .plt
 * expression, and with what offset and threshold.
 */
static bool read_plt_exprs(const char *path, const char *section, struct expect *x)
{
	static const char fmt[] =
		"DW_CFA_def_cfa_expression (DW_OP_breg7 (rsp): %d; DW_OP_breg16 (rip): 0; "
		"DW_OP_lit15; DW_OP_and; DW_OP_lit%u; DW_OP_ge; DW_OP_lit3; DW_OP_shl; "
		"DW_OP_plus)%n";
	char cmd[512], line[1024];
	struct plt_expr *cur = NULL;
	bool in = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -W -wN --debug-dump=frames '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!ASSERT_OK_PTR(f, "readelf frames"))
		return false;
	while (fgets(line, sizeof(line), f)) {
		struct xfde fde;
		const char *p;
		int off, n = 0;
		unsigned thr;

		if (is_section_line(line, section, &in) || !in)
			continue;
		if (parse_fde_header(line, &fde)) {
			cur = PUSH(x->plts, x->nplts);
			if (cur)
				*cur = (struct plt_expr){ .fde = fde.off };
			continue;
		}
		if (strstr(line, " CIE")) {
			cur = NULL;
			continue;
		}
		p = strstr(line, "DW_CFA_def_cfa_expression");
		if (!p || !cur)
			continue;
		cur->nexpr++;
		if (sscanf(p, fmt, &off, &thr, &n) == 2 && n > 0) {
			cur->plt = cur->nexpr == 1;
			cur->off = off;
			cur->threshold = thr;
		} else {
			cur->plt = false;
		}
	}
	return ASSERT_OK(pclose(f), "readelf frames exit") & ASSERT_GT(x->nplts, 0, "FDEs in readelf frames");
}

static const struct plt_expr *plt_of(const struct expect *x, uint64_t fde)
{
	size_t i;

	for (i = 0; i < x->nplts; i++)
		if (x->plts[i].fde == fde)
			return x->plts[i].nexpr == 1 && x->plts[i].plt ? &x->plts[i] : NULL;
	return NULL;
}

/* One row of frames-interp, by the rules of memleak.h: the return address
 * at c-8 or undefined ("u": the outermost frame); CFA rsp+N, rbp+N or the
 * .plt expression; rbp unchanged (no column, "u" which readelf prints for a
 * register the FDE mentions only later, or "s") or at c+N.
 */
static struct ml_unwind_row interp_rule(const char *cfa, const char *rbp, const char *ra,
					const struct plt_expr *plt)
{
	char reg[16];
	long long off;
	int n = 0;

	if (!ra || strcmp(ra, "u") == 0)
		return R(ML_CFA_END, 0, 0);
	if (strcmp(ra, "c-8"))
		return R(ML_CFA_UNSUPPORTED, 0, 0);
	struct ml_unwind_row r = { 0 };

	if (strcmp(cfa, "exp") == 0) {
		if (!plt)
			return R(ML_CFA_UNSUPPORTED, 0, 0);
		r.cfa_rule = ML_CFA_PLT;
		r.cfa_off = plt->off;
		r.plt_threshold = plt->threshold;
	} else if (sscanf(cfa, "%15[a-z0-9]%lld%n", reg, &off, &n) == 2 && !cfa[n] &&
		   (strcmp(reg, "rsp") == 0 || strcmp(reg, "rbp") == 0) &&
		   off >= INT32_MIN && off <= INT32_MAX) {
		r.cfa_rule = strcmp(reg, "rsp") == 0 ? ML_CFA_RSP : ML_CFA_RBP;
		r.cfa_off = (int32_t)off;
	} else {
		return R(ML_CFA_UNSUPPORTED, 0, 0);
	}
	if (!rbp || strcmp(rbp, "u") == 0 || strcmp(rbp, "s") == 0)
		return r;
	if (sscanf(rbp, "c%lld%n", &off, &n) == 1 && !rbp[n] && off && off >= INT16_MIN &&
	    off <= INT16_MAX) {
		r.rbp_off = (int16_t)off;
		return r;
	}
	return R(ML_CFA_UNSUPPORTED, 0, 0);
}

/* `readelf --debug-dump=frames-interp`: every FDE's rows, every CIE's
 * initial row (an FDE whose program changes nothing prints no row).
 */
static bool read_interp(const char *path, const char *section, struct expect *x)
{
	char cmd[512], line[4096];
	int col_cfa = -1, col_rbp = -1, col_ra = -1;
	struct xfde *fde = NULL;
	uint64_t cie = 0;
	bool in = false, in_cie = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -W -wN --debug-dump=frames-interp '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!ASSERT_OK_PTR(f, "readelf frames-interp"))
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *tok[64], *save = NULL, *s;
		int ntok = 0;
		struct xfde hdr;
		unsigned long long loc;

		if (is_section_line(line, section, &in) || !in)
			continue;
		if (parse_fde_header(line, &hdr)) {
			fde = PUSH(x->fdes, x->nfdes);
			if (fde) {
				*fde = hdr;
				fde->first = x->nrows;
			}
			in_cie = false;
			continue;
		}
		if (parse_cie_header(line, &cie)) {
			fde = NULL;
			in_cie = true;
			continue;
		}
		/* A register rule prints as "r10 (r10)": one value. */
		for (s = strtok_r(line, " \t\n", &save); s && ntok < 64; s = strtok_r(NULL, " \t\n", &save)) {
			if (s[0] == '(' && ntok)
				s[-1] = ' ';
			else
				tok[ntok++] = s;
		}
		if (ntok == 0)
			continue;
		if (strcmp(tok[0], "LOC") == 0) {
			int i;

			col_cfa = col_rbp = col_ra = -1;
			for (i = 0; i < ntok; i++) {
				if (strcmp(tok[i], "CFA") == 0)
					col_cfa = i;
				else if (strcmp(tok[i], "rbp") == 0)
					col_rbp = i;
				else if (strcmp(tok[i], "ra") == 0)
					col_ra = i;
			}
			continue;
		}
		if (strlen(tok[0]) != 16 || sscanf(tok[0], "%llx", &loc) != 1 || col_cfa < 0 ||
		    col_cfa >= ntok || col_rbp >= ntok || col_ra >= ntok)
			continue;
		struct ml_unwind_row r = interp_rule(tok[col_cfa], col_rbp >= 0 ? tok[col_rbp] : NULL,
						     col_ra >= 0 ? tok[col_ra] : NULL,
						     fde ? plt_of(x, fde->off) : NULL);
		if (fde) {
			struct xrow *xr = PUSH(x->rows, x->nrows);

			if (xr) {
				*xr = (struct xrow){ .loc = loc, .r = r };
				fde->n++;
			}
		} else if (in_cie) {
			struct xcie *c = PUSH(x->cies, x->ncies);

			if (c)
				*c = (struct xcie){ .off = cie, .r = r };
			in_cie = false;
		}
	}
	return ASSERT_OK(pclose(f), "readelf frames-interp exit") &
	       ASSERT_GT(x->nfdes, 0, "FDEs in readelf frames-interp");
}

static int cmp_xfde(const void *a, const void *b)
{
	const struct xfde *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool xemit(struct cfi_table *t, uint64_t pc, struct ml_unwind_row r)
{
	struct ml_unwind_row *v;

	if (t->nrows && same_rule(&t->rows[t->nrows - 1], &r))
		return true;
	v = PUSH(t->rows, t->nrows);
	if (!v)
		return false;
	r.pc = (uint32_t)(pc - t->base);
	*v = r;
	return true;
}

/* The table readelf describes: each FDE's rows over [lo, hi) (cut at the
 * next FDE), its CIE's row if it printed none, NONE where no FDE is.
 */
static bool expected_table(const char *path, const char *section, struct cfi_table *t,
			   struct expect *x)
{
	size_t i, j;

	memset(t, 0, sizeof(*t));
	if (!read_plt_exprs(path, section, x) || !read_interp(path, section, x))
		return false;
	qsort(x->fdes, x->nfdes, sizeof(*x->fdes), cmp_xfde);
	for (i = 0; i < x->nfdes && x->fdes[i].lo >= x->fdes[i].hi; i++)
		;
	if (!ASSERT_LT(i, x->nfdes, "a non-empty FDE"))
		return false;
	t->base = x->fdes[i].lo;
	for (; i < x->nfdes; i++) {
		const struct xfde *f = &x->fdes[i];
		uint64_t next = UINT64_MAX, end;

		if (f->lo >= f->hi)
			continue;
		for (j = i + 1; j < x->nfdes; j++) {
			if (x->fdes[j].lo >= x->fdes[j].hi)
				continue;
			next = x->fdes[j].lo;
			break;
		}
		end = f->hi < next ? f->hi : next;
		if (f->n == 0) {
			for (j = 0; j < x->ncies && x->cies[j].off != f->cie; j++)
				;
			if (!ASSERT_LT(j, x->ncies, "the FDE's CIE") || !xemit(t, f->lo, x->cies[j].r))
				return false;
		}
		for (j = 0; j < f->n; j++) {
			const struct xrow *xr = &x->rows[f->first + j];
			uint64_t s = xr->loc > f->lo ? xr->loc : f->lo;
			uint64_t e = j + 1 < f->n ? x->rows[f->first + j + 1].loc : end;

			if (e > end)
				e = end;
			if (s < e && !xemit(t, s, xr->r))
				return false;
		}
		if (end < next && !xemit(t, end, R(ML_CFA_NONE, 0, 0)))
			return false;
	}
	for (i = 0; i < x->nplts; i++) {
		int k;

		if (!x->plts[i].plt)
			continue;
		for (k = 0; k < x->nthresholds && x->plt_thresholds[k] != x->plts[i].threshold; k++)
			;
		if (k == x->nthresholds && k < 4)
			x->plt_thresholds[x->nthresholds++] = x->plts[i].threshold;
	}
	return true;
}

/* Our table of path equals readelf's, row for row. */
static bool check_against_readelf(const struct cfi_table *t, const char *path, const char *section,
				  struct expect *x)
{
	struct cfi_table want;
	size_t i, n;
	bool ok = false;

	if (!expected_table(path, section, &want, x))
		goto out;
	if (!ASSERT_EQ(t->base, want.base, path))
		goto out;
	n = t->nrows < want.nrows ? t->nrows : want.nrows;
	for (i = 0; i < n; i++) {
		const struct ml_unwind_row *a = &t->rows[i], *b = &want.rows[i];

		if (a->pc != b->pc || !same_rule(a, b)) {
			TEST_FAIL_("%s: row %zu: ours %#" PRIx64 " %s, readelf %#" PRIx64 " %s",
				   path, i, t->base + a->pc, rule_str(a), want.base + b->pc,
				   rule_str(b));
			goto out;
		}
	}
	ok = ASSERT_EQ(t->nrows, want.nrows, path);
out:
	free(want.rows);
	return ok;
}

/* ---- Prologues, simulated ---- */

struct prologue {
	uint64_t after_push_rbp;	/* the instruction after push %rbp; 0: none */
	uint64_t after_mov_rbp;		/* after mov %rsp,%rbp (frame pointer builds) */
	int32_t cfa_off_at_stop;	/* at the first call, jump or return */
	int checked;			/* instruction boundaries checked */
};

/* Walk name's first instructions up to its first call, jump or return,
 * keeping the rule they imply (push: CFA 8 further from rsp, and rbp's
 * slot when it is rbp; sub of rsp; mov %rsp,%rbp when frame pointers are
 * on), and check the table's rule at every instruction.
 */
static bool check_prologue(const struct cfi_table *t, const struct image *im, const char *name,
			   bool fp, struct prologue *p)
{
	struct ml_unwind_row st = R(ML_CFA_RSP, 8, 0);
	const uint8_t *code;
	uint64_t addr, size;
	cs_insn *insn = NULL;
	size_t n, i;
	bool ok = true;
	csh h;

	memset(p, 0, sizeof(*p));
	if (!find_sym(im, name, &addr, &size) || !ASSERT_GT(size, 0, name))
		return false;
	code = code_at(im, addr, size);
	if (!ASSERT_OK_PTR(code, name) ||
	    !ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK, "cs_open"))
		return false;
	n = cs_disasm(h, code, size, addr, 0, &insn);
	for (i = 0; i < n && ok; i++) {
		const cs_insn *in = &insn[i];
		const char *mn = in->mnemonic, *op = in->op_str;
		uint64_t next = in->address + in->size;
		char what[256];

		snprintf(what, sizeof(what), "%s+%#" PRIx64 " (%s %s)", name, in->address - addr,
			 mn, op);
		ok = check_rule_at(t, in->address, st, what);
		p->checked++;
		p->cfa_off_at_stop = st.cfa_off;
		if (mn[0] == 'j' || strcmp(mn, "call") == 0 || strcmp(mn, "ret") == 0)
			break;
		if (strcmp(mn, "push") == 0) {
			if (st.cfa_rule != ML_CFA_RSP) {
				if (strcmp(op, "rbp") == 0)
					break;
				continue;
			}
			st.cfa_off += 8;
			if (strcmp(op, "rbp") == 0) {
				st.rbp_off = (int16_t)-st.cfa_off;
				p->after_push_rbp = next;
			}
		} else if (strcmp(mn, "mov") == 0 && strcmp(op, "rbp, rsp") == 0 && fp &&
			   st.cfa_rule == ML_CFA_RSP) {
			st.cfa_rule = ML_CFA_RBP;
			p->after_mov_rbp = next;
		} else if (strcmp(mn, "sub") == 0 && strncmp(op, "rsp, ", 5) == 0) {
			if (st.cfa_rule == ML_CFA_RSP)
				st.cfa_off += (int32_t)strtoll(op + 5, NULL, 0);
		} else if (strncmp(op, "rsp", 3) == 0 || strcmp(mn, "pop") == 0 ||
			   strcmp(mn, "leave") == 0) {
			break;		/* anything else moving rsp: stop here */
		}
	}
	cs_free(insn, n);
	cs_close(&h);
	return ASSERT_GT(p->checked, 1, name) && ok;
}

/* ---- Shared checks of a fixture ---- */

static bool sym_in_text(const struct cfi_table *t, uint64_t addr)
{
	int i;

	for (i = 0; i < t->ntext; i++)
		if (addr >= t->text[i].vaddr && addr < t->text[i].vaddr + t->text[i].filesz)
			return true;
	return false;
}

/* readelf -n's "Build ID: <hex>", or "". */
static void readelf_build_id(const char *path, char *out, size_t len)
{
	char cmd[512], line[512], id[128];
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " Build ID: %127s", id) == 1)
			snprintf(out, len, "%s", id);
	pclose(f);
}

static void check_common(const struct cfi_table *t, const struct image *im, const char *path,
			 const char *section, struct expect *x)
{
	if (test__start_subtest("sorted and unique"))
		check_invariants(t, path);
	if (test__start_subtest("every row as readelf reads the CFI"))
		check_against_readelf(t, path, section, x);
	if (test__start_subtest("from memory, the same rows")) {
		struct cfi_table m;

		if (ASSERT_OK(build_mem(im, im->size, &m), "build_elf") &&
		    ASSERT_EQ(m.nrows, t->nrows, "nrows") && ASSERT_EQ(m.base, t->base, "base"))
			ASSERT_OK(memcmp(m.rows, t->rows, t->nrows * sizeof(*t->rows)), "rows");
		cfi_table__release(&m);
	}
	if (test__start_subtest("build id, text segments")) {
		char id[128];

		readelf_build_id(path, id, sizeof(id));
		ASSERT_EQ(strlen(id), 40, "readelf's build id");
		ASSERT_STREQ(t->build_id, id, "build_id");
		ASSERT_GE(t->ntext, 1, "ntext");
		ASSERT_TRUE(sym_in_text(t, t->base), "base in a text segment");
	}
}

static bool build_fixture(const char *name, struct image *im, struct cfi_table *t)
{
	char path[256];

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), FIX_DIR "%s", name);
	return image_read(path, im) && ASSERT_OK(cfi_table__build(path, t), path);
}

static void check_first_insn(const struct cfi_table *t, const struct image *im, const char *name)
{
	uint64_t addr, size;

	if (find_sym(im, name, &addr, &size))
		check_rule_at(t, addr, R(ML_CFA_RSP, 8, 0), name);
}

static void check_start_is_end(const struct cfi_table *t, const struct image *im)
{
	uint64_t addr, size;

	if (find_sym(im, "_start", &addr, &size))
		check_rule_at(t, addr, R(ML_CFA_END, 0, 0), "_start");
}

/* cfi_nofp and cfi_fp share these. */
static void check_fixture(const char *name, bool fp)
{
	char path[256];
	struct expect x = { 0 };
	struct cfi_table t;
	struct image im;
	struct prologue p;
	uint64_t addr, size;

	snprintf(path, sizeof(path), FIX_DIR "%s", name);
	if (!build_fixture(name, &im, &t))
		goto out;
	check_common(&t, &im, path, ".eh_frame", &x);
	if (test__start_subtest("first instruction: CFA=rsp+8, rbp unchanged")) {
		check_first_insn(&t, &im, "cfi_leaf");
		check_first_insn(&t, &im, "cfi_pusher");
		check_first_insn(&t, &im, "cfi_frame");
		check_first_insn(&t, &im, "main");
	}
	if (test__start_subtest("_start is the outermost frame"))
		check_start_is_end(&t, &im);
	if (test__start_subtest("a function without CFI is a gap")) {
		if (find_sym(&im, "cfi_nocfi", &addr, &size)) {
			check_rule_at(&t, addr, R(ML_CFA_NONE, 0, 0), "cfi_nocfi");
			check_rule_at(&t, addr + size - 1, R(ML_CFA_NONE, 0, 0), "cfi_nocfi's end");
		}
	}
	if (test__start_subtest("leaf")) {
		if (check_prologue(&t, &im, "cfi_leaf", fp, &p) && !fp) {
			find_sym(&im, "cfi_leaf", &addr, &size);
			/* One rule over the whole function. */
			ASSERT_TRUE(cfi_table__find(&t, addr) == cfi_table__find(&t, addr + size - 1),
				    "one row");
		}
	}
	if (test__start_subtest("pushes, rbp saved")) {
		if (check_prologue(&t, &im, "cfi_pusher", fp, &p) &&
		    ASSERT_GT(p.after_push_rbp, 0, "push %rbp seen")) {
			const struct ml_unwind_row *r = cfi_table__find(&t, p.after_push_rbp);

			if (ASSERT_OK_PTR(r, "row after push %rbp")) {
				ASSERT_EQ(r->cfa_rule, ML_CFA_RSP, "after the push: rsp-based");
				ASSERT_EQ(r->rbp_off, -r->cfa_off, "rbp at the top of the frame");
			}
			if (fp) {
				/* The classic frame: push %rbp; mov %rsp,%rbp. */
				check_rule_at(&t, p.after_push_rbp, R(ML_CFA_RSP, 16, -16), "after push %rbp");
				if (ASSERT_GT(p.after_mov_rbp, 0, "mov %rsp,%rbp seen"))
					check_rule_at(&t, p.after_mov_rbp, R(ML_CFA_RBP, 16, -16),
						      "after mov %rsp,%rbp");
			}
		}
	}
	if (test__start_subtest("a frame: pushes and sub")) {
		if (check_prologue(&t, &im, "cfi_frame", fp, &p) && !fp)
			ASSERT_GT(p.cfa_off_at_stop, 512, "CFA beyond the 512-byte array");
	}
out:
	expect_free(&x);
	cfi_table__release(&t);
	image_free(&im);
}

void test_cfi_nofp(void)
{
	check_fixture("cfi_nofp", false);
}

void test_cfi_fp(void)
{
	check_fixture("cfi_fp", true);
}

/* Static: .eh_frame without .eh_frame_hdr, its FDEs listed by its entries. */
void test_cfi_static(void)
{
	struct cfi_table t;
	struct image im;
	struct sec s;

	if (!build_fixture("cfi_static", &im, &t))
		goto out;
	if (test__start_subtest("no .eh_frame_hdr, all FDEs read")) {
		ASSERT_FALSE(find_sec(&im, ".eh_frame_hdr", &s), "no .eh_frame_hdr");
		ASSERT_TRUE(find_sec(&im, ".eh_frame", &s), ".eh_frame");
		ASSERT_GT(t.nfdes, 500, "static glibc's FDEs");
		ASSERT_EQ(t.nbad, 0, "nbad");
	}
out:
	cfi_table__release(&t);
	image_free(&im);
	check_fixture("cfi_static", false);
}

/* .plt: the push of PLT0 (rsp+16, then rsp+24), then the entries' rule,
 * whose threshold is where the entry's push has run: 11 in the classic
 * entry (jmp *GOT, 6 bytes; push $n, 5), 9 with IBT (endbr64, 4; push $n).
 */
static void check_plt(const char *name, bool is_exe, unsigned threshold)
{
	char path[256];
	struct expect x = { 0 };
	struct cfi_table t;
	struct image im;
	struct sec plt;

	snprintf(path, sizeof(path), FIX_DIR "%s", name);
	if (!build_fixture(name, &im, &t))
		goto out;
	check_common(&t, &im, path, ".eh_frame", &x);
	if (test__start_subtest(".plt rows")) {
		if (!ASSERT_TRUE(find_sec(&im, ".plt", &plt), ".plt") ||
		    !ASSERT_GE(plt.size, 48, "PLT0 and two entries") ||
		    !ASSERT_EQ(x.nthresholds, 1, "one .plt expression in readelf"))
			goto out;
		check_rule_at(&t, plt.addr, R(ML_CFA_RSP, 16, 0), "PLT0");
		check_rule_at(&t, plt.addr + 6, R(ML_CFA_RSP, 24, 0), "PLT0 after its push");
		struct ml_unwind_row want = R(ML_CFA_PLT, 8, 0);

		want.plt_threshold = x.plt_thresholds[0];
		check_rule_at(&t, plt.addr + 16, want, "first entry");
		check_rule_at(&t, plt.addr + 16 + 11, want, "first entry after its push");
		check_rule_at(&t, plt.addr + plt.size - 1, want, "last entry");
		ASSERT_EQ(x.plt_thresholds[0], threshold, "readelf's threshold");
	}
	if (is_exe && test__start_subtest("_start is the outermost frame"))
		check_start_is_end(&t, &im);
out:
	expect_free(&x);
	cfi_table__release(&t);
	image_free(&im);
}

void test_cfi_plt(void)
{
	check_plt("cfi_plt", true, 11);
	check_plt("libcfi_plt.so", false, 11);
	check_plt("cfi_plt_ibt", true, 9);
}

void test_cfi_debug_frame(void)
{
	const char *path = FIX_DIR "cfi_debug_frame.so";
	struct expect x = { 0 };
	struct cfi_table t;
	struct image im;
	struct prologue p;
	struct sec s;

	if (!build_fixture("cfi_debug_frame.so", &im, &t))
		goto out;
	ASSERT_FALSE(find_sec(&im, ".eh_frame_hdr", &s), "no .eh_frame_hdr");
	check_common(&t, &im, path, ".debug_frame", &x);
	if (test__start_subtest("pushes")) {
		check_first_insn(&t, &im, "cfi_df_pusher");
		check_prologue(&t, &im, "cfi_df_pusher", false, &p);
		ASSERT_EQ(t.nfdes, 2, "nfdes");
	}
out:
	expect_free(&x);
	cfi_table__release(&t);
	image_free(&im);
}

void test_cfi_no_cfi(void)
{
	struct cfi_table t;

	ASSERT_EQ(cfi_table__build(FIX_DIR "cfi_none.so", &t), -ENODATA, "no CFI");
	ASSERT_EQ(t.nrows, 0, "empty");
	ASSERT_EQ(cfi_table__build(FIX_DIR "no-such-file", &t), -ENOENT, "no file");
	ASSERT_EQ(cfi_table__build("tests/fixtures/cfi/cfi_fixture.c", &t), -EINVAL, "not ELF");
	ASSERT_EQ(cfi_table__build_elf(NULL, &t), -EINVAL, "no Elf");
	cfi_table__release(&t);
}

/* The machine's libc: every row against readelf, the outermost frames. */
void test_cfi_libc(void)
{
	struct expect x = { 0 };
	struct cfi_table t;
	size_t i, ends = 0;

	if (access(LIBC_PATH, R_OK)) {
		test__skip("no " LIBC_PATH);
		return;
	}
	if (!ASSERT_OK(cfi_table__build(LIBC_PATH, &t), "build libc"))
		return;
	if (test__start_subtest("sorted and unique"))
		check_invariants(&t, LIBC_PATH);
	if (test__start_subtest("every row as readelf reads the CFI"))
		check_against_readelf(&t, LIBC_PATH, ".eh_frame", &x);
	if (test__start_subtest("clone and clone3 end the walk")) {
		for (i = 0; i < t.nrows; i++)
			ends += t.rows[i].cfa_rule == ML_CFA_END;
		ASSERT_GE(ends, 2, "ML_CFA_END rows");
		ASSERT_GT(t.nfdes, 1000, "nfdes");
		ASSERT_EQ(t.nbad, 0, "nbad");
	}
	expect_free(&x);
	cfi_table__release(&t);
}

/* ---- Hostile input ---- */

/* Two tables alike: base, rows, and the FDEs stepped. */
static bool same_table(const struct cfi_table *a, const struct cfi_table *b, const char *what)
{
	return ASSERT_EQ(a->base, b->base, what) && ASSERT_EQ(a->nrows, b->nrows, what) &&
	       ASSERT_EQ(a->nfdes, b->nfdes, what) &&
	       ASSERT_OK(memcmp(a->rows, b->rows, a->nrows * sizeof(*a->rows)), what);
}

/* A copy of im with a change, built from memory. */
struct mutant {
	struct image im;
	struct cfi_table t;
	int err;
};

static uint8_t *mutant_new(struct mutant *m, const struct image *orig)
{
	memset(m, 0, sizeof(*m));
	m->im.size = orig->size;
	m->im.buf = malloc(orig->size);
	if (!ASSERT_OK_PTR(m->im.buf, "copy"))
		return NULL;
	memcpy(m->im.buf, orig->buf, orig->size);
	return m->im.buf;
}

static int mutant_build(struct mutant *m, size_t size)
{
	cfi_table__release(&m->t);	/* the table of a build before */
	m->err = build_mem(&m->im, size, &m->t);
	return m->err;
}

static void mutant_free(struct mutant *m)
{
	cfi_table__release(&m->t);
	image_free(&m->im);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* The section header of section index in the image (ELF64). */
static Elf64_Shdr *shdr_of(uint8_t *buf, size_t index)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	return (Elf64_Shdr *)(buf + eh->e_shoff + index * eh->e_shentsize);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* ---- .eh_frame's entries, for mutants (CIEs "zR" and the like) ---- */

struct ehf {
	Elf_Data data;			/* the section's bytes in the image */
	const unsigned char *ident;
	uint64_t vaddr;
};

static bool ehf_open(struct image *im, struct ehf *e)
{
	struct sec s;

	memset(e, 0, sizeof(*e));
	if (!ASSERT_TRUE(find_sec(im, ".eh_frame", &s), ".eh_frame"))
		return false;
	e->data.d_buf = im->buf + s.offset;
	e->data.d_size = s.size;
	e->ident = im->buf;
	e->vaddr = s.addr;
	return true;
}

/* The next entry from *off (*at: where it is): 0, or 1 at the end. */
static int ehf_next(struct ehf *e, Dwarf_Off *off, Dwarf_Off *at, Dwarf_CFI_Entry *ent)
{
	for (;;) {
		Dwarf_Off next = *off;
		int r = dwarf_next_cfi(e->ident, &e->data, true, *off, &next, ent);

		if (r > 0 || (r < 0 && next <= *off))
			return 1;
		*at = *off;
		*off = next;
		if (r == 0)
			return 0;
	}
}

/* A CIE's 'R' byte (how its FDEs encode addresses), or NULL. */
static uint8_t *cie_r_byte(const Dwarf_CIE *c)
{
	const uint8_t *d = c->augmentation_data;
	const char *ap = c->augmentation;

	if (*ap++ != 'z')
		return NULL;
	for (; *ap; ap++) {
		switch (*ap) {
		case 'R':
			return (uint8_t *)d;
		case 'L':
			d++;
			break;
		case 'P':
			d += 1 + ((*d & 7) == DW_EH_PE_udata4 ? 4 : 8);
			break;
		case 'S':
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

/* An FDE's start, encoded pcrel|sdata4. */
static uint64_t fde_start(const struct ehf *e, const Dwarf_FDE *f)
{
	int32_t v;

	memcpy(&v, f->start, 4);
	return e->vaddr + (uint64_t)(f->start - (const uint8_t *)e->data.d_buf) + (int64_t)v;
}

/* The FDE starting at addr ("zR": 4-byte start and range, a 1-byte
 * augmentation length): its program [*prog, *end) and its CIE's offset.
 */
static bool find_fde(struct ehf *e, uint64_t addr, uint8_t **prog, uint8_t **end, Dwarf_Off *cie)
{
	Dwarf_Off off = 0, at;
	Dwarf_CFI_Entry ent;

	while (ehf_next(e, &off, &at, &ent) == 0) {
		uint8_t *p = (uint8_t *)ent.fde.start + 8;

		if (ent.CIE_id == DW_CIE_ID_64 || fde_start(e, &ent.fde) != addr)
			continue;
		if (!ASSERT_LT(*p, 0x80, "augmentation length"))
			return false;
		*prog = p + 1 + *p;
		*end = (uint8_t *)ent.fde.end;
		*cie = ent.fde.CIE_pointer;
		return ASSERT_LE(*prog, *end, "program");
	}
	TEST_FAIL_("no FDE at %#" PRIx64, addr);
	return false;
}

/* CIEs "zR" whose 'R' is from get to; with absolute, their FDEs' starts
 * are rewritten so (pcrel|sdata4 made a 4-byte absolute).  The number of
 * their FDEs, or -1.
 */
static int recode(struct image *im, uint8_t from, uint8_t to, bool absolute)
{
	Dwarf_Off off = 0, at, cies[64];
	Dwarf_CFI_Entry ent;
	int ncies = 0, nfdes = 0, i;
	struct ehf e;

	if (!ehf_open(im, &e))
		return -1;
	while (ehf_next(&e, &off, &at, &ent) == 0) {
		uint8_t *r;

		if (ent.CIE_id != DW_CIE_ID_64 || strcmp(ent.cie.augmentation, "zR") ||
		    !(r = cie_r_byte(&ent.cie)) || *r != from || ncies == 64)
			continue;
		*r = to;
		cies[ncies++] = at;
	}
	for (off = 0; ehf_next(&e, &off, &at, &ent) == 0;) {
		uint64_t a;
		uint32_t v;

		if (ent.CIE_id == DW_CIE_ID_64)
			continue;
		for (i = 0; i < ncies && cies[i] != ent.fde.CIE_pointer; i++)
			;
		if (i == ncies)
			continue;
		nfdes++;
		if (!absolute)
			continue;
		a = fde_start(&e, &ent.fde);
		if (!ASSERT_LE(a, INT32_MAX, "an absolute 4-byte start"))
			return -1;
		v = (uint32_t)a;
		memcpy((void *)ent.fde.start, &v, 4);
	}
	return nfdes;
}

/* FDE starts encoded otherwise than pcrel|sdata4, in the static fixture
 * (no .eh_frame_hdr: the starts are decoded from the FDEs).
 */
void test_cfi_eh_frame_encodings(void)
{
	static const struct {
		uint8_t enc;
		const char *name;
	} absolute[] = {
		{ DW_EH_PE_sdata4, "sdata4" },
		{ DW_EH_PE_udata4, "udata4" },
	}, refused[] = {
		{ DW_EH_PE_pcrel | DW_EH_PE_udata2, "pcrel|udata2" },
		{ DW_EH_PE_datarel | DW_EH_PE_sdata4, "datarel|sdata4" },
		{ DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4, "indirect|pcrel|sdata4" },
		{ DW_EH_PE_pcrel | DW_EH_PE_uleb128, "pcrel|uleb128" },
	};
	struct cfi_table good = { 0 };
	struct mutant m;
	struct image im;
	uint64_t addr, size;
	size_t i;
	int n;

	if (!image_read(FIX_DIR "cfi_static", &im))
		return;
	if (!ASSERT_OK(build_mem(&im, im.size, &good), "intact") ||
	    !find_sym(&im, "cfi_leaf", &addr, &size))
		goto out;
	if (test__start_subtest("absolute 4-byte starts: the same rows")) {
		for (i = 0; i < sizeof(absolute) / sizeof(absolute[0]) && mutant_new(&m, &im); i++) {
			n = recode(&m.im, DW_EH_PE_pcrel | DW_EH_PE_sdata4, absolute[i].enc, true);
			if (ASSERT_GT(n, 100, absolute[i].name) &&
			    ASSERT_OK(mutant_build(&m, m.im.size), absolute[i].name))
				same_table(&m.t, &good, absolute[i].name);
			mutant_free(&m);
		}
	}
	if (test__start_subtest("other encodings: their FDEs refused, counted, no rows")) {
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]) && mutant_new(&m, &im); i++) {
			const char *name = refused[i].name;

			n = recode(&m.im, DW_EH_PE_pcrel | DW_EH_PE_sdata4, refused[i].enc, false);
			if (ASSERT_GT(n, 100, name) && ASSERT_OK(mutant_build(&m, m.im.size), name)) {
				ASSERT_EQ(m.t.nbad, n, name);
				ASSERT_EQ(m.t.nfdes + n, good.nfdes, name);
				check_invariants(&m.t, name);
				check_rule_at(&m.t, addr, R(ML_CFA_NONE, 0, 0), name);
			}
			mutant_free(&m);
		}
	}
out:
	cfi_table__release(&good);
	image_free(&im);
}

/* ---- Hostile programs: what would make libdw allocate gigabytes ---- */

/* DW_CFA_undefined r268435454 (2^28 - 2): libdw refuses 2^28 - 1 and above
 * (INT32_MAX / 8), and for this one allocates and clears a 2 GB register
 * array (8 bytes a register) at every row it steps.
 */
static const uint8_t big_reg[] = { DW_CFA_undefined, 0xfe, 0xff, 0xff, 0x7f };

/* op over a program, DW_CFA_nop after; or before, at_end. */
static bool put_program(uint8_t *prog, uint8_t *end, const uint8_t *op, size_t n, bool at_end)
{
	if (!ASSERT_GE(end - prog, (long long)n, "room in the program"))
		return false;
	memset(prog, DW_CFA_nop, end - prog);
	memcpy(at_end ? end - n : prog, op, n);
	return true;
}

/* The start of the first FDE ("zR") whose program has n bytes or more. */
static bool find_long_fde(struct image *im, size_t n, uint64_t *addr)
{
	Dwarf_Off off = 0, at;
	Dwarf_CFI_Entry ent;
	struct ehf e;

	if (!ehf_open(im, &e))
		return false;
	while (ehf_next(&e, &off, &at, &ent) == 0) {
		const uint8_t *p = ent.fde.start + 8;

		if (ent.CIE_id != DW_CIE_ID_64 && *p == 0 && ent.fde.end - (p + 1) >= (long)n) {
			*addr = fde_start(&e, &ent.fde);
			return true;
		}
	}
	return false;
}

/* Build a mutant: CPU seconds taken and the growth of the peak RSS (MB). */
static int timed_build(struct mutant *m, double *cpu, long *rss_mb)
{
	struct rusage r0, r1;
	struct timespec a, b;
	int err;

	getrusage(RUSAGE_SELF, &r0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	err = mutant_build(m, m->im.size);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	getrusage(RUSAGE_SELF, &r1);
	*cpu = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	*rss_mb = (r1.ru_maxrss - r0.ru_maxrss) / 1024;
	return err;
}

/* The FDE of cfi_pusher with op as its program: nbad grows by refused. */
static void check_fde_program(const struct image *im, const struct cfi_table *good, uint64_t addr,
			      const uint8_t *op, size_t n, bool at_end, bool refused, const char *what)
{
	struct mutant m;
	uint8_t *prog, *end;
	Dwarf_Off cie;
	struct ehf e;
	double cpu;
	long rss;

	if (!mutant_new(&m, im))
		return;
	if (ehf_open(&m.im, &e) && find_fde(&e, addr, &prog, &end, &cie) &&
	    put_program(prog, end, op, n, at_end) &&
	    ASSERT_OK(timed_build(&m, &cpu, &rss), what)) {
		ASSERT_EQ(m.t.nbad, good->nbad + refused, what);
		ASSERT_LT(cpu, 1.0, what);
		ASSERT_LT(rss, 256, what);
		if (refused)
			check_rule_at(&m.t, addr, R(ML_CFA_NONE, 0, 0), what);
		check_invariants(&m.t, what);
	}
	mutant_free(&m);
}

static void check_hostile(const char *name, bool deep_fde)
{
	static const uint8_t r255[] = { DW_CFA_same_value, 0xff, 0x01 },
			     r256[] = { DW_CFA_same_value, 0x80, 0x02 },
			     big_expr_reg[] = { DW_CFA_expression, 0xfe, 0xff, 0xff, 0x7f, 1, DW_OP_nop },
			     past_end[] = { DW_CFA_undefined, 0x80 };
	uint8_t deep[CFI_TEST_DEPTH + 1];
	char what[128];
	struct cfi_table good = { 0 };
	struct image im;
	struct mutant m;
	uint64_t addr, size, leaf, leaf_size;
	uint8_t *prog, *end;
	Dwarf_Off off, at;
	Dwarf_CFI_Entry ent;
	struct ehf e;
	double cpu;
	long rss;
	int err;

	snprintf(what, sizeof(what), FIX_DIR "%s", name);
	if (!image_read(what, &im))
		return;
	if (!ASSERT_OK(build_mem(&im, im.size, &good), name) ||
	    !find_sym(&im, "cfi_pusher", &addr, &size) || !find_sym(&im, "cfi_leaf", &leaf, &leaf_size))
		goto out;
	snprintf(what, sizeof(what), "%s: an FDE naming register 2^28-2: refused at once", name);
	if (test__start_subtest(what)) {
		check_fde_program(&im, &good, addr, big_reg, sizeof(big_reg), false, true,
				  "r268435454");
		check_fde_program(&im, &good, addr, big_expr_reg, sizeof(big_expr_reg), false, true,
				  "DW_CFA_expression r268435454");
	}
	snprintf(what, sizeof(what), "%s: registers up to 255 named, 256 refused", name);
	if (test__start_subtest(what)) {
		check_fde_program(&im, &good, addr, r255, sizeof(r255), false, false, "r255");
		check_fde_program(&im, &good, addr, r256, sizeof(r256), false, true, "r256");
		check_fde_program(&im, &good, addr, past_end, sizeof(past_end), true, true,
				  "an operand past the program's end");
	}
	snprintf(what, sizeof(what), "%s: DW_CFA_remember_state %d deep, not %d", name,
		 CFI_TEST_DEPTH, CFI_TEST_DEPTH + 1);
	if (deep_fde && test__start_subtest(what)) {
		uint64_t start;

		memset(deep, DW_CFA_remember_state, sizeof(deep));
		if (find_long_fde(&im, sizeof(deep), &start)) {
			check_fde_program(&im, &good, start, deep, CFI_TEST_DEPTH, false, false,
					  "64 deep");
			check_fde_program(&im, &good, start, deep, CFI_TEST_DEPTH + 1, false, true,
					  "65 deep");
		} else {
			test__skip("no FDE program long enough");
		}
	}
	snprintf(what, sizeof(what), "%s: a CIE naming register 2^28-2: its FDEs refused", name);
	if (test__start_subtest(what) && mutant_new(&m, &im)) {
		Dwarf_Off cie;

		if (ehf_open(&m.im, &e) && find_fde(&e, addr, &prog, &end, &cie)) {
			for (off = 0; ehf_next(&e, &off, &at, &ent) == 0 && at != cie;)
				;
			if (ASSERT_EQ(at, cie, "the CIE") &&
			    put_program((uint8_t *)ent.cie.initial_instructions,
					(uint8_t *)ent.cie.initial_instructions_end, big_reg,
					sizeof(big_reg), false)) {
				err = timed_build(&m, &cpu, &rss);
				if (err == 0) {
					ASSERT_GT(m.t.nbad, good.nbad, "FDEs refused");
					check_rule_at(&m.t, addr, R(ML_CFA_NONE, 0, 0), "cfi_pusher");
					check_rule_at(&m.t, leaf, R(ML_CFA_NONE, 0, 0), "cfi_leaf");
				} else {
					ASSERT_EQ(err, -ENOTSUP, "every FDE refused");
				}
				ASSERT_LT(cpu, 1.0, "CPU time");
				ASSERT_LT(rss, 256, "peak RSS growth");
			}
		}
		mutant_free(&m);
	}
out:
	cfi_table__release(&good);
	image_free(&im);
}

/* A file made to cost libdw gigabytes is refused before libdw runs it:
 * cfi_nofp (FDEs from .eh_frame_hdr) and cfi_static (from .eh_frame, and
 * FDE programs long enough for 65 DW_CFA_remember_state).
 */
void test_cfi_hostile_programs(void)
{
	check_hostile("cfi_nofp", false);
	check_hostile("cfi_static", true);
}

void test_cfi_malformed(void)
{
	struct image im;
	struct cfi_table good;
	struct sec hdr, ehf;
	struct mutant m;
	uint8_t *b;
	char dir[64], path[128];

	memset(&good, 0, sizeof(good));
	if (!image_read(FIX_DIR "cfi_nofp", &im))
		return;
	if (!ASSERT_TRUE(find_sec(&im, ".eh_frame_hdr", &hdr), ".eh_frame_hdr") ||
	    !ASSERT_TRUE(find_sec(&im, ".eh_frame", &ehf), ".eh_frame") ||
	    !ASSERT_OK(build_mem(&im, im.size, &good), "the intact copy"))
		goto out;
	/* The usual header: version 1, eh_frame_ptr pcrel|sdata4, count
	 * udata4, table datarel|sdata4.
	 */
	b = im.buf + hdr.offset;
	if (!ASSERT_EQ(b[0], 1, "version") || !ASSERT_EQ(b[1], 0x1b, "eh_frame_ptr enc") ||
	    !ASSERT_EQ(b[2], 0x03, "fde_count enc") || !ASSERT_EQ(b[3], 0x3b, "table enc"))
		goto out;

	if (test__start_subtest("bad version") && (b = mutant_new(&m, &im))) {
		b[hdr.offset] = 2;
		ASSERT_EQ(mutant_build(&m, m.im.size), -EINVAL, "version 2");
		ASSERT_EQ(m.t.nrows, 0, "nothing left");
		mutant_free(&m);
	}
	/* A table we do not read: .eh_frame's entries list the FDEs. */
	if (test__start_subtest("table encoding other than datarel|sdata4: the same rows") &&
	    (b = mutant_new(&m, &im))) {
		b[hdr.offset + 3] = DW_EH_PE_pcrel | DW_EH_PE_sdata4;
		if (ASSERT_OK(mutant_build(&m, m.im.size), "pcrel|sdata4"))
			same_table(&m.t, &good, "pcrel|sdata4");
		mutant_free(&m);
	}
	if (test__start_subtest("no table: the same rows") && (b = mutant_new(&m, &im))) {
		b[hdr.offset + 2] = DW_EH_PE_omit;
		if (ASSERT_OK(mutant_build(&m, m.im.size), "fde_count omitted"))
			same_table(&m.t, &good, "fde_count omitted");
		mutant_free(&m);
	}
	if (test__start_subtest("no section table: .eh_frame found from PT_GNU_EH_FRAME") &&
	    (b = mutant_new(&m, &im))) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)b;

		eh->e_shoff = 0;
		eh->e_shnum = 0;
		eh->e_shstrndx = 0;
		if (ASSERT_OK(mutant_build(&m, m.im.size), "phdrs only"))
			same_table(&m.t, &good, "phdrs only");
		/* And its table unread: the entries from eh_frame_ptr on. */
		b[hdr.offset + 2] = DW_EH_PE_omit;
		if (ASSERT_OK(mutant_build(&m, m.im.size), "phdrs only, no table"))
			same_table(&m.t, &good, "phdrs only, no table");
		mutant_free(&m);
	}
	if (test__start_subtest("count past the section") && (b = mutant_new(&m, &im))) {
		put32(b + hdr.offset + 8, 0x7fffffff);
		ASSERT_EQ(mutant_build(&m, m.im.size), -EINVAL, "count");
		put32(b + hdr.offset + 8, (uint32_t)((hdr.size - 12) / 8 + 1));
		ASSERT_EQ(mutant_build(&m, m.im.size), -EINVAL, "count one too many");
		mutant_free(&m);
	}
	if (test__start_subtest("header cut short") && (b = mutant_new(&m, &im))) {
		shdr_of(b, hdr.index)->sh_size = 6;
		ASSERT_EQ(mutant_build(&m, m.im.size), -EINVAL, "6 bytes");
		shdr_of(b, hdr.index)->sh_size = 2;
		ASSERT_EQ(mutant_build(&m, m.im.size), -EINVAL, "2 bytes");
		shdr_of(b, hdr.index)->sh_offset = m.im.size - 4;
		shdr_of(b, hdr.index)->sh_size = 4096;
		ASSERT_LT(mutant_build(&m, m.im.size), 0, "past the file's end");
		mutant_free(&m);
	}
	if (test__start_subtest("PT_GNU_EH_FRAME alone: the same rows") && (b = mutant_new(&m, &im))) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
		Elf64_Shdr *strs = shdr_of(b, eh->e_shstrndx);

		/* ".eh_frame_hdr" renamed ".eh_frame_hdX": only the segment finds it. */
		b[strs->sh_offset + shdr_of(b, hdr.index)->sh_name + 12] = 'X';
		if (ASSERT_OK(mutant_build(&m, m.im.size), "build") &&
		    ASSERT_EQ(m.t.nrows, good.nrows, "nrows"))
			ASSERT_OK(memcmp(m.t.rows, good.rows, good.nrows * sizeof(*good.rows)), "rows");
		mutant_free(&m);
	}
	if (test__start_subtest("an FDE 2 GiB away: pcs past 32 bits") && (b = mutant_new(&m, &im))) {
		/* The first entry's initial location, far below the header. */
		put32(b + hdr.offset + 12, 0x80000000u);
		ASSERT_EQ(mutant_build(&m, m.im.size), -E2BIG, "refused");
		ASSERT_EQ(m.t.nrows, 0, "nothing left");
		mutant_free(&m);
	}
	if (test__start_subtest("not x86-64") && (b = mutant_new(&m, &im))) {
		((Elf64_Ehdr *)b)->e_machine = EM_AARCH64;
		ASSERT_EQ(mutant_build(&m, m.im.size), -ENOTSUP, "aarch64");
		mutant_free(&m);
	}
	if (test__start_subtest("truncated file") && tmpdir_make(dir, sizeof(dir), "cfi")) {
		size_t cuts[] = { ehf.offset + ehf.size / 2, hdr.offset + 16, 64, 10 };
		size_t i;

		snprintf(path, sizeof(path), "%s/cut", dir);
		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			struct cfi_table t;
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			int err;

			if (!ASSERT_GE(fd, 0, "create") ||
			    !ASSERT_EQ(write(fd, im.buf, cuts[i]), (ssize_t)cuts[i], "write")) {
				if (fd >= 0)
					close(fd);
				break;
			}
			close(fd);
			err = cfi_table__build(path, &t);
			/* No section table left: the segment's header points
			 * past the end, or what is left is read as far as it goes.
			 */
			if (err == 0)
				check_invariants(&t, "what is left");
			else
				ASSERT_LT(err, 0, "an error");
			cfi_table__release(&t);
		}
		tmpdir_remove(dir);
	}
	if (test__start_subtest("fuzzed .eh_frame and .eh_frame_hdr")) {
		int i, ok = 0, failed = 0;

		for (i = 0; i < 3000 && (b = mutant_new(&m, &im)); i++) {
			int j, flips = 1 + rng() % 8;

			for (j = 0; j < flips; j++) {
				bool in_hdr = rng() % 4 == 0;
				size_t off = in_hdr ? hdr.offset + rng() % hdr.size
						    : ehf.offset + rng() % ehf.size;

				b[off] = rng() % 3 ? (uint8_t)rng() : b[off] ^ (1u << (rng() % 8));
			}
			if (mutant_build(&m, m.im.size) == 0) {
				ok++;
				if (!check_invariants(&m.t, "fuzzed"))
					failed++;
			}
			mutant_free(&m);
			if (failed)
				break;
		}
		ASSERT_EQ(failed, 0, "fuzzed tables well formed");
		ASSERT_GT(ok, 0, "some still build");
	}
out:
	cfi_table__release(&good);
	image_free(&im);
}

/* ---- The fuzzer, briefly ---- */

/* tests/fuzz/fuzz_cfi.c for ~5 s on its seeds (a fresh corpus in a
 * temporary directory): no crash, leak, timeout or 2 GB of memory.
 */
void test_fuzz_cfi_smoke(void)
{
	fuzz_smoke("cfi");
}
