/* tests/unit/test_probeplace.c: where a uprobe goes, on hand-written code.
 *
 * The byte arrays are real x86-64 encodings (checked with objdump); the
 * emulated set is the one measured on kernel 6.18 (see user/target/probeplace.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <unistd.h>
#include "test.h"
#include "target/probeplace.h"

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"
#define VADDR 0x401000ULL

static struct place_result place_req(const uint8_t *code, size_t size, unsigned nargs,
				     unsigned max_scan, int keep_sp, int *err)
{
	struct place_request req = {
		.code = code, .size = size, .vaddr = VADDR, .nargs = nargs, .max_scan = max_scan,
		.keep_sp = keep_sp,
	};
	struct place_result res = { 0 };

	*err = probe_place(&req, &res);
	return res;
}

static struct place_result place(const uint8_t *code, size_t size, unsigned nargs,
				 unsigned max_scan, int *err)
{
	return place_req(code, size, nargs, max_scan, 0, err);
}

#define EMULATED(name, want, ...) do {						\
	const uint8_t ___c[] = { __VA_ARGS__ };					\
	if (test__start_subtest(name))						\
		ASSERT_EQ(probe_insn_is_emulated(___c, sizeof(___c)), want, name); \
} while (0)

void test_probeplace_emulated(void)
{
	EMULATED("je rel8", 1, 0x74, 0x10);
	EMULATED("je rel32", 1, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00);
	EMULATED("jmp rel8", 1, 0xeb, 0x00);
	EMULATED("jmp rel32", 1, 0xe9, 0x00, 0x01, 0x00, 0x00);
	EMULATED("call rel32", 1, 0xe8, 0x00, 0x00, 0x00, 0x00);
	EMULATED("bnd jmp", 1, 0xf2, 0xeb, 0x00);
	EMULATED("push rbp", 1, 0x55);
	EMULATED("push r12", 1, 0x41, 0x54);
	EMULATED("nop", 1, 0x90);
	EMULATED("xchg ax,ax", 1, 0x66, 0x90);
	EMULATED("pause", 1, 0xf3, 0x90);
	EMULATED("nopl 5 bytes", 1, 0x0f, 0x1f, 0x44, 0x00, 0x00);
	EMULATED("nopw 6 bytes", 1, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00);
	/* the kernel skips it as a nop, wrongly: emulated, but never chosen */
	EMULATED("xchg r8,rax", 1, 0x49, 0x90);

	EMULATED("test rdi,rdi", 0, 0x48, 0x85, 0xff);
	EMULATED("endbr64", 0, 0xf3, 0x0f, 0x1e, 0xfa);
	EMULATED("mov rdi,rax", 0, 0x48, 0x89, 0xf8);
	EMULATED("mov rdi,rdi", 0, 0x48, 0x89, 0xff);
	EMULATED("sub 8,rsp", 0, 0x48, 0x83, 0xec, 0x08);
	EMULATED("push imm8", 0, 0x6a, 0x00);
	EMULATED("rex push rbp", 0, 0x40, 0x55);
	EMULATED("rex.w push rbp", 0, 0x48, 0x55);
	EMULATED("pop rbp", 0, 0x5d);
	EMULATED("ret", 0, 0xc3);
	EMULATED("jmp *rax", 0, 0xff, 0xe0);
	EMULATED("callw: refused", 0, 0x66, 0xe8, 0x00, 0x00);
	EMULATED("nopw cs: refused", 0, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00);
	EMULATED("nop /1", 0, 0x0f, 0x1f, 0xc8);
	EMULATED("cut je rel32", 0, 0x0f, 0x84, 0x00);
	if (test__start_subtest("no bytes")) {
		ASSERT_EQ(probe_insn_is_emulated(NULL, 4), 0, "NULL");
		ASSERT_EQ(probe_insn_is_emulated((const uint8_t *)"\x90", 0), 0, "size 0");
	}
}

#define PLACE(name, nargs, max_scan, want_off, want_sp, want_insn, ...) do {	\
	const uint8_t ___c[] = { __VA_ARGS__ };					\
	int ___err;								\
	if (test__start_subtest(name)) {					\
		struct place_result ___r = place(___c, sizeof(___c), nargs, max_scan, &___err); \
		ASSERT_OK(___err, "probe_place");				\
		ASSERT_EQ(___r.offset, want_off, "offset");			\
		ASSERT_EQ(___r.sp_adjust, want_sp, "sp_adjust");		\
		ASSERT_STREQ(___r.insn, want_insn, "insn");			\
		ASSERT_OK_PTR(___r.why, "why");					\
	}									\
} while (0)

void test_probeplace_prologues(void)
{
	/* glibc 2.36 free: test %rdi,%rdi; je rel32; push %rbp; lea -0x10(%rdi),%rsi */
	PLACE("free", 1, 0, 3, 0, "je",
	      0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55, 0x48, 0x8d, 0x77, 0xf0);
	PLACE("free, short je", 1, 0, 3, 0, "je",
	      0x48, 0x85, 0xff, 0x74, 0x05, 0x55, 0x53, 0x5b, 0x5d, 0xc3, 0xc3);
	/* malloc: push %r12; push %rbp; push %rbx; mov %rdi,%rbx */
	PLACE("malloc", 1, 0, 0, 0, "push", 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb);
	/* mov %rdi,%rbx reads rdi, writes rbx: the push at +3 sees rdi intact */
	PLACE("mov rdi,rbx; push", 1, 0, 3, 0, "push", 0x48, 0x89, 0xfb, 0x55, 0xc3);
	/* mov %rsi,%rdi overwrites the argument */
	PLACE("mov rsi,rdi; push", 1, 0, 0, 0, "mov", 0x48, 0x89, 0xf7, 0x55, 0xc3);
	/* ... which does not matter when rdi is not read */
	PLACE("mov rsi,rdi; push, no args", 0, 0, 3, 0, "push", 0x48, 0x89, 0xf7, 0x55, 0xc3);
	PLACE("xor edi,edi; push", 1, 0, 0, 0, "xor", 0x31, 0xff, 0x55, 0xc3);
	PLACE("mov al,dil; push", 1, 0, 0, 0, "mov", 0x40, 0x88, 0xc7, 0x55, 0xc3);
	PLACE("xor r9d,r9d; push, 5 args", 5, 0, 3, 0, "push", 0x45, 0x31, 0xc9, 0x55, 0xc3);
	PLACE("xor r9d,r9d; push, 6 args", 6, 0, 0, 0, "xor", 0x45, 0x31, 0xc9, 0x55, 0xc3);
	PLACE("mul rdx; push, 3 args", 3, 0, 0, 0, "mul", 0x48, 0xf7, 0xe2, 0x55, 0xc3);
	PLACE("sub 8,rsp first", 0, 0, 0, 0, "sub", 0x48, 0x83, 0xec, 0x08, 0x55, 0xc3);
	PLACE("pop first", 0, 0, 0, 0, "pop", 0x5b, 0x55, 0xc3);
	PLACE("store to the stack first", 0, 0, 0, 0, "mov", 0x48, 0x89, 0x04, 0x24, 0x55, 0xc3);
	PLACE("ret first", 0, 0, 0, 0, "ret", 0xc3, 0x55);
	PLACE("jmp *rax first", 0, 0, 0, 0, "jmp", 0xff, 0xe0, 0x55);
	/* push $0 is single-stepped but moves rsp by 8: the push %rbp at +2 counts it */
	PLACE("push imm before candidate", 1, 0, 2, 8, "push", 0x6a, 0x00, 0x55, 0xc3);
	PLACE("push mem, push imm before candidate", 1, 0, 8, 16, "push",
	      0xff, 0x35, 0x00, 0x00, 0x00, 0x00, 0x6a, 0x00, 0x55, 0xc3);
	PLACE("pushw imm first", 1, 0, 0, 0, "push", 0x66, 0x6a, 0x00, 0x55, 0xc3);
	/* rbp is the caller's frame chain, which a walk by frame pointers starts from */
	PLACE("mov rsp,rbp; push", 0, 0, 0, 0, "mov", 0x48, 0x89, 0xe5, 0x53, 0xc3);
	PLACE("mov rdi,rbp; push", 1, 0, 0, 0, "mov", 0x48, 0x89, 0xfd, 0x53, 0xc3);
	/* endbr64 is single-stepped and changes nothing the probe reads */
	PLACE("endbr64; push", 1, 0, 4, 0, "push", 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0xc3);
	PLACE("endbr64; test; je", 1, 0, 7, 0, "je",
	      0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x01, 0xc3, 0xc3);
	/* cmpb $0,x(%rip) reads memory only (glibc posix_memalign) */
	PLACE("cmpb rip; push", 3, 0, 7, 0, "push",
	      0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54, 0xc3);
	/* 49 90 is emulated wrongly: passed over, the push after it chosen */
	PLACE("xchg r8,rax; push", 1, 0, 2, 0, "push", 0x49, 0x90, 0x55, 0xc3);
	PLACE("nop5 first", 1, 0, 0, 0, "nop", 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55, 0xc3);
	PLACE("code ends at the test", 1, 0, 0, 0, "test", 0x48, 0x85, 0xff);
	PLACE("code cut inside the je", 1, 0, 0, 0, "test", 0x48, 0x85, 0xff, 0x0f, 0x84, 0x00);
	PLACE("max_scan reached", 1, 2, 0, 0, "test", 0x48, 0x85, 0xff, 0x48, 0x85, 0xf6, 0x55);
	PLACE("max_scan enough", 1, 3, 6, 0, "push", 0x48, 0x85, 0xff, 0x48, 0x85, 0xf6, 0x55);

	if (test__start_subtest("why: the frame pointer")) {
		const uint8_t c[] = { 0x48, 0x89, 0xe5, 0x53, 0xc3 };
		int err;

		ASSERT_STRCONTAINS(place(c, sizeof(c), 0, 0, &err).why, "frame pointer", "rbp");
	}
	if (test__start_subtest("why says what stopped")) {
		const uint8_t fr[] = { 0x48, 0x85, 0xff, 0x74, 0x05, 0xc3 };
		const uint8_t mv[] = { 0x48, 0x89, 0xf7, 0x55, 0xc3 };
		const uint8_t cut[] = { 0x48, 0x85, 0xff };
		const uint8_t ml[] = { 0x41, 0x54, 0xc3 };
		int err;

		ASSERT_STREQ(place(fr, sizeof(fr), 1, 0, &err).why, "", "no fallback");
		ASSERT_STRCONTAINS(place(mv, sizeof(mv), 1, 0, &err).why, "argument", "arg written");
		ASSERT_STRCONTAINS(place(cut, sizeof(cut), 1, 0, &err).why, "ends", "code ends");
		ASSERT_STRCONTAINS(place(ml, sizeof(ml), 1, 0, &err).why, "entry is emulated", "entry");
	}
	if (test__start_subtest("bad requests")) {
		struct place_request req = { 0 };
		struct place_result res = { 0 };

		ASSERT_EQ(probe_place(NULL, &res), -EINVAL, "no request");
		ASSERT_EQ(probe_place(&req, NULL), -EINVAL, "no result");
		ASSERT_OK(probe_place(&req, &res), "no code");
		ASSERT_EQ(res.offset, 0, "no code: entry");
		ASSERT_STREQ(res.insn, "", "no code: insn");
	}
}

/* keep_sp: a return probe goes there too, so rsp must be as at the entry. */
#define PLACE_RET(name, nargs, want_off, want_insn, ...) do {			\
	const uint8_t ___c[] = { __VA_ARGS__ };					\
	int ___err;								\
	if (test__start_subtest(name)) {					\
		struct place_result ___r = place_req(___c, sizeof(___c), nargs, 0, 1, &___err); \
		ASSERT_OK(___err, "probe_place");				\
		ASSERT_EQ(___r.offset, want_off, "offset");			\
		ASSERT_EQ(___r.sp_adjust, 0, "sp_adjust");			\
		ASSERT_STREQ(___r.insn, want_insn, "insn");			\
	}									\
} while (0)

void test_probeplace_keep_sp(void)
{
	/* jemalloc's malloc: cmp $0x1000,%rdi; ja rel32 */
	PLACE_RET("cmp; ja", 1, 7, "ja",
		  0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x87, 0x93, 0x00, 0x00, 0x00, 0xc3);
	/* a push at the offset has not run yet when the breakpoint is hit */
	PLACE_RET("push first", 1, 0, "push", 0x41, 0x54, 0x55, 0xc3);
	PLACE_RET("endbr64; test; mov; push", 1, 12, "push",
		  0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x53, 0xc3);
	/* without keep_sp the push after push $0 is chosen (sp_adjust 8): not with it */
	PLACE_RET("push imm before candidate", 1, 0, "push", 0x6a, 0x00, 0x55, 0xc3);
	PLACE_RET("push mem before candidate", 1, 0, "push",
		  0xff, 0x35, 0x00, 0x00, 0x00, 0x00, 0x55, 0xc3);
	PLACE_RET("endbr64; sub 8,rsp; call", 1, 0, "endbr64",
		  0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3);
	PLACE_RET("store to the stack first", 0, 0, "mov", 0x48, 0x89, 0x04, 0x24, 0x55, 0xc3);
	if (test__start_subtest("why: a push")) {
		const uint8_t c[] = { 0x6a, 0x00, 0x55, 0xc3 };
		int err;

		ASSERT_STRCONTAINS(place_req(c, sizeof(c), 1, 0, 1, &err).why, "push", "push");
	}
}

void test_probeplace_branch_targets(void)
{
	if (test__start_subtest("jump back onto the candidate")) {
		/* +0 test; +3 je +5 (-> +10); +5 push; +6 pop; +7 jmp -6 (-> +3); +9 ret; +10 ret */
		const uint8_t c[] = { 0x48, 0x85, 0xff, 0x74, 0x05, 0x55, 0x5d, 0xeb, 0xfa, 0xc3, 0xc3 };
		int err;
		struct place_result r = place(c, sizeof(c), 1, 0, &err);

		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(r.offset, 0, "offset");
		ASSERT_STREQ(r.insn, "test", "insn");
		ASSERT_STREQ(r.why, "a branch lands in the prologue", "why");
	}
	if (test__start_subtest("jump to the middle of the prologue")) {
		/* +0 endbr64; +4 test; +7 je +8 (-> +17); +9 push; +10 pop;
		 * +11 jne rel32 -13 (-> +4, the test); +17 ret
		 */
		const uint8_t c[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x08, 0x55, 0x5d,
				      0x0f, 0x85, 0xf3, 0xff, 0xff, 0xff, 0xc3 };
		int err;
		struct place_result r = place(c, sizeof(c), 1, 0, &err);

		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(r.offset, 0, "offset");
		ASSERT_STREQ(r.insn, "endbr64", "insn");
	}
	if (test__start_subtest("jump back to the entry is fine")) {
		/* +0 test; +3 je +4 (-> +9); +5 nop; +6 nop; +7 jmp -9 (-> +0); +9 ret */
		const uint8_t c[] = { 0x48, 0x85, 0xff, 0x74, 0x04, 0x90, 0x90, 0xeb, 0xf7, 0xc3 };
		int err;
		struct place_result r = place(c, sizeof(c), 1, 0, &err);

		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(r.offset, 3, "offset");
		ASSERT_STREQ(r.why, "", "why");
	}
	if (test__start_subtest("jump past the candidate is fine")) {
		/* +0 test; +3 je +2 (-> +7); +5 push; +6 pop; +7 jmp -3 (-> +6); +9 ret */
		const uint8_t c[] = { 0x48, 0x85, 0xff, 0x74, 0x02, 0x55, 0x5d, 0xeb, 0xfd, 0xc3 };
		int err;
		struct place_result r = place(c, sizeof(c), 1, 0, &err);

		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(r.offset, 3, "offset");
	}
	if (test__start_subtest("call into the prologue")) {
		/* +0 test; +3 je +5 (-> +10); +5 call -7 (-> +3); +10 ret */
		const uint8_t c[] = { 0x48, 0x85, 0xff, 0x74, 0x05, 0xe8, 0xf9, 0xff, 0xff, 0xff, 0xc3 };
		int err;
		struct place_result r = place(c, sizeof(c), 1, 0, &err);

		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(r.offset, 0, "offset");
	}
}

/* The file offset of a .dynsym symbol's code, through the section holding it. */
static int dynsym_code(Elf *elf, const char *name, uint64_t *vaddr, uint64_t *off, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, n;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; i < n; i++) {
			const char *s;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name))
				goto found;
		}
	}
	return -1;
found:
	scn = elf_getscn(elf, sym.st_shndx);
	if (!scn || !gelf_getshdr(scn, &sh))
		return -1;
	*vaddr = sym.st_value;
	*off = sh.sh_offset + (sym.st_value - sh.sh_addr);
	*size = sym.st_size;
	return 0;
}

void test_probeplace_libc_free(void)
{
	uint64_t vaddr = 0, off = 0, size = 0;
	uint8_t code[4096];
	Elf *elf = NULL;
	ssize_t got = -1;
	int fd, err;

	elf_version(EV_CURRENT);
	fd = open(LIBC_PATH, O_RDONLY);
	if (fd < 0) {
		test__skip("no " LIBC_PATH);
		return;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!ASSERT_OK_PTR(elf, "elf_begin"))
		goto cleanup;
	if (!ASSERT_OK(dynsym_code(elf, "free", &vaddr, &off, &size), "free in .dynsym"))
		goto cleanup;
	got = pread(fd, code, size && size < sizeof(code) ? size : sizeof(code), (off_t)off);
	if (!ASSERT_GT(got, 3, "read free"))
		goto cleanup;
	if (memcmp(code, "\x48\x85\xff", 3)) {
		test__skip("this libc's free does not begin with test %rdi,%rdi");
		goto cleanup;
	}
	{
		struct place_request req = { .code = code, .size = (size_t)got, .vaddr = vaddr, .nargs = 1 };
		struct place_result res = { 0 };

		err = probe_place(&req, &res);
		ASSERT_OK(err, "probe_place");
		ASSERT_EQ(res.offset, 3, "free offset");
		ASSERT_EQ(res.sp_adjust, 0, "free sp_adjust");
		ASSERT_STREQ(res.insn, "je", "free insn");
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
}
