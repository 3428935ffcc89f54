/* tests/unit/test_placement.c: where memleakbpf's probes go in the real
 * allocators tools/install-deps.sh installs (Debian 12): glibc, jemalloc,
 * tcmalloc (minimal and full), libstdc++'s operator new and delete, and a
 * static executable.
 *
 * For each function, the offset allocators__inspect() chose is the one
 * expected, and a decode of the file's bytes with capstone, independent of
 * user/target/probeplace.c, agrees that it is sound and cheap:
 *   - the instruction there is the expected one, and probe_insn_is_emulated
 *     says what the kernel does with it (emulated, or single-stepped where
 *     nothing better exists);
 *   - none before it is emulated (it is the first cheap one);
 *   - none before it branches, writes memory or the frame pointer, or writes
 *     an argument register the entry program reads (rdi, for every function
 *     of the malloc family);
 *   - with a return probe (all but the release functions), none before it
 *     writes rsp: the return address is at [rsp] when the breakpoint is hit,
 *     where the return probe takes it (sp_adjust 0).
 * Each expectation names the instructions from the entry through the
 * probe's (capstone's mnemonics): a library built otherwise is skipped,
 * saying what it begins with.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "test.h"
#include "target/allocators.h"
#include "target/probeplace.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"
#define CODE_READ 256

enum kind { FN, ANCHOR };

struct expect {
	enum kind kind;
	int idx;		/* enum ml_fn or enum anchor_fn */
	const char *prologue;	/* mnemonics from the entry through the probe's */
	uint32_t offset;
	bool emulated;
};

static bool writes_reg(csh h, const cs_insn *in, unsigned r64, unsigned r32)
{
	cs_regs rd, wr;
	uint8_t nr, nw, i;

	if (cs_regs_access(h, in, rd, &nr, wr, &nw) != CS_ERR_OK)
		return true;	/* unknown: not proven */
	for (i = 0; i < nw; i++)
		if (wr[i] == r64 || wr[i] == r32)
			return true;
	return false;
}

static bool in_group(const cs_insn *in, unsigned grp)
{
	uint8_t i;

	for (i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == grp)
			return true;
	return false;
}

/* Explicit memory operands written (a push writes the stack: it writes rsp). */
static bool writes_memory(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	uint8_t i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return true;
	return false;
}

/* What an instruction before the probe may not do. */
static void check_before(csh h, const cs_insn *in, const uint8_t *code, size_t size,
			 const char *name, const struct expect *e, bool has_return)
{
	char what[256];

	snprintf(what, sizeof(what), "%s: %s at +%llu before the probe", name, in->mnemonic,
		 (unsigned long long)in->address);
	ASSERT_FALSE(probe_insn_is_emulated(code + in->address, size - in->address), what);
	ASSERT_FALSE(in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_CALL) ||
		     in_group(in, CS_GRP_RET), what);
	ASSERT_FALSE(writes_memory(in), what);
	ASSERT_FALSE(writes_reg(h, in, X86_REG_RBP, X86_REG_EBP), what);
	if (e->kind == FN)
		ASSERT_FALSE(writes_reg(h, in, X86_REG_RDI, X86_REG_EDI), what);
	if (has_return)
		ASSERT_FALSE(writes_reg(h, in, X86_REG_RSP, X86_REG_ESP), what);
}

/* One function: its offset, instruction and what comes before it. */
static void check_one(const char *path, const struct alloc_func *f, const char *name,
		      const struct expect *e)
{
	bool has_return = e->kind == ANCHOR || !ML_FN_IS_RELEASE(e->idx);
	uint8_t code[CODE_READ];
	char seen[256] = "", what[256];
	cs_insn *insns = NULL;
	size_t i, n, len = 0, probe = 0;
	ssize_t got = -1;
	csh h;
	int fd;

	if (!ASSERT_TRUE(f->present, name))
		return;
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		got = pread(fd, code, sizeof(code), (off_t)f->file_offset);
		close(fd);
	}
	if (!ASSERT_GT(got, (ssize_t)e->offset, "read the function's bytes"))
		return;
	if (!ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK, "cs_open"))
		return;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, (size_t)got, 0, 32, &insns);
	/* the prologue, through the instruction at the expected offset */
	for (i = 0; i < n && insns[i].address <= e->offset && len < sizeof(seen); i++) {
		len += snprintf(seen + len, sizeof(seen) - len, "%s%s", len ? " " : "",
				insns[i].mnemonic);
		probe = i;
	}
	if (strcmp(seen, e->prologue) || !n || insns[probe].address != e->offset) {
		snprintf(what, sizeof(what), "%s of %s begins \"%s\", not \"%s\"", name, path,
			 seen, e->prologue);
		test__skip(what);
		goto out;
	}
	for (i = 0; i < probe; i++)
		check_before(h, &insns[i], code, (size_t)got, name, e, has_return);
	snprintf(what, sizeof(what), "%s probe offset", name);
	ASSERT_EQ(f->probe_delta, e->offset, what);
	snprintf(what, sizeof(what), "%s instruction", name);
	ASSERT_STREQ(f->insn, insns[probe].mnemonic, what);
	snprintf(what, sizeof(what), "%s emulated (probeplace)", name);
	ASSERT_EQ(probe_insn_is_emulated(code + e->offset, (size_t)got - e->offset), e->emulated,
		  what);
	snprintf(what, sizeof(what), "%s emulated (as inspected)", name);
	ASSERT_EQ(f->emulated, e->emulated, what);
	if (has_return) {
		snprintf(what, sizeof(what), "%s sp_adjust", name);
		ASSERT_EQ(f->sp_adjust, 0, what);
	}
out:
	if (n)
		cs_free(insns, n);
	cs_close(&h);
}

static void check_lib(const char *path, const struct expect *v, size_t n)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;
	size_t i;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	if (!ASSERT_OK(access(path, R_OK), path))	/* tools/install-deps.sh installs it */
		goto out;
	lib = allocators__inspect(a, path, NULL);
	if (!ASSERT_OK_PTR(lib, path))
		goto out;
	for (i = 0; i < n; i++) {
		const struct alloc_func *f = v[i].kind == FN ? &lib->fn[v[i].idx]
							     : &lib->anchor[v[i].idx];
		char name[128];

		snprintf(name, sizeof(name), "%s %s", strrchr(path, '/') + 1,
			 v[i].kind == FN ? alloc_func_name(v[i].idx) : anchor_func_name(v[i].idx));
		if (test__start_subtest(name))
			check_one(path, f, name, &v[i]);
	}
out:
	allocators__free(a);
}

#define CHECK_LIB(path, table) check_lib(path, table, sizeof(table) / sizeof(table[0]))

/* glibc 2.36, shared or static: its functions begin with pushes (emulated
 * at +0), or test a hook flag first (cmpb $0,x(%rip), single-stepped: the
 * probes go to the jcc or push after it).
 */
static const struct expect glibc[] = {
	{ FN, ML_FN_MALLOC, "push", 0, true },
	{ FN, ML_FN_CALLOC, "push", 0, true },
	{ FN, ML_FN_REALLOC, "push", 0, true },
	{ FN, ML_FN_FREE, "test je", 3, true },
	{ FN, ML_FN_POSIX_MEMALIGN, "cmp push", 7, true },
	{ FN, ML_FN_ALIGNED_ALLOC, "cmp je", 7, true },
	{ FN, ML_FN_VALLOC, "cmp push", 7, true },
	{ FN, ML_FN_PVALLOC, "cmp push", 7, true },
	{ ANCHOR, ANCHOR_SBRK, "push", 0, true },
	{ ANCHOR, ANCHOR_STRDUP, "push", 0, true },
	{ ANCHOR, ANCHOR_STRNDUP, "push", 0, true },
	{ ANCHOR, ANCHOR_VASPRINTF, "xor jmp", 2, true },
	{ ANCHOR, ANCHOR_GETDELIM, "push", 0, true },
	/* sub $N,%rsp first: nothing cheaper keeps rsp */
	{ ANCHOR, ANCHOR_MREMAP, "sub", 0, false },
	{ ANCHOR, ANCHOR_ASPRINTF, "sub", 0, false },
};

static const struct expect glibc_shared_only[] = {
	/* mul writes rdx, its third argument, before any emulated instruction */
	{ FN, ML_FN_REALLOCARRAY, "mov", 0, false },
	{ ANCHOR, ANCHOR_GETLINE, "mov mov jmp", 8, true },
	{ ANCHOR, ANCHOR_REALPATH, "push", 0, true },
};

void test_placement_libc(void)
{
	CHECK_LIB("/lib/x86_64-linux-gnu/libc.so.6", glibc);
	CHECK_LIB("/lib/x86_64-linux-gnu/libc.so.6", glibc_shared_only);
}

void test_placement_static(void)
{
	CHECK_LIB(".output/fixtures/static_alloc", glibc);
}

/* jemalloc 5.3: malloc and new test the size first (cmp $0x1000,%rdi,
 * single-stepped); both probes go to the ja after it.
 */
void test_placement_jemalloc(void)
{
	static const struct expect v[] = {
		{ FN, ML_FN_MALLOC, "cmp ja", 7, true },
		{ FN, ML_FN_FREE, "mov mov mov shr and and add add cmp jne", 48, true },
		{ FN, ML_FN_CALLOC, "push", 0, true },
		{ FN, ML_FN_REALLOC, "push", 0, true },
		{ FN, ML_FN_POSIX_MEMALIGN, "push", 0, true },
		{ FN, ML_FN_CXX_NEW, "cmp ja", 7, true },
		{ FN, ML_FN_CXX_NEW_NOTHROW, "cmp ja", 7, true },
		{ FN, ML_FN_CXX_NEW_ARRAY, "jmp", 0, true },
		{ FN, ML_FN_CXX_DELETE, "jmp", 0, true },
		{ FN, ML_FN_CXX_DELETE_SIZED, "test je", 3, true },
	};

	CHECK_LIB(LIBDIR "libjemalloc.so.2", v);
}

void test_placement_tcmalloc(void)
{
	static const struct expect minimal[] = {
		{ FN, ML_FN_MALLOC, "mov test jne", 10, true },
		{ FN, ML_FN_FREE, "mov test jne", 10, true },
		{ FN, ML_FN_CALLOC, "push", 0, true },
		{ FN, ML_FN_POSIX_MEMALIGN, "lea or test jne", 11, true },
		{ FN, ML_FN_ALIGNED_ALLOC, "mov cmp ja", 10, true },
		{ FN, ML_FN_CXX_NEW, "mov test jne", 10, true },
		{ FN, ML_FN_CXX_NEW_ALIGN, "mov mov cmp ja", 13, true },
		{ FN, ML_FN_CXX_DELETE_SIZED, "mov test jne", 10, true },
	};
	static const struct expect full[] = {
		{ FN, ML_FN_MALLOC, "mov mov test jne", 13, true },
		{ FN, ML_FN_CALLOC, "mov cmp jne", 12, true },
		{ FN, ML_FN_FREE, "mov test jne", 10, true },
		{ FN, ML_FN_CXX_NEW, "mov mov test jne", 13, true },
	};

	CHECK_LIB(LIBDIR "libtcmalloc_minimal.so.4", minimal);
	CHECK_LIB(LIBDIR "libtcmalloc.so.4", full);
}

/* libstdc++ (CET): endbr64 first, single-stepped; the probes go past it. */
void test_placement_libstdcxx(void)
{
	static const struct expect v[] = {
		{ FN, ML_FN_CXX_NEW, "endbr64 test mov push", 12, true },
		{ FN, ML_FN_CXX_NEW_ARRAY, "endbr64 jmp", 4, true },
		{ FN, ML_FN_CXX_NEW_ALIGN, "endbr64 push", 4, true },
		{ FN, ML_FN_CXX_DELETE, "endbr64 jmp", 4, true },
		{ FN, ML_FN_CXX_DELETE_SIZED, "endbr64 jmp", 4, true },
		/* sub $8,%rsp after the endbr64: nothing cheaper keeps rsp */
		{ FN, ML_FN_CXX_NEW_NOTHROW, "endbr64", 0, false },
	};

	CHECK_LIB(LIBDIR "libstdc++.so.6", v);
}
