/* tests/fuzz/fuzz_symbolize.c: libFuzzer target for the symbol and debug
 * information reading of user/sym/symbolize.c (libdwfl).
 *
 * The input is an ELF file, handed to module__load() through a memfd as a
 * mapped file would be (symbolize.c is compiled in: the loader is
 * static); when it loads, addresses are looked up: each PT_LOAD
 * segment's first, middle and last byte, and the value of every function
 * symbol libdwfl finds.  No debug file is looked for outside the input
 * (an empty debuginfo path).  Every answer must be well formed: 1 to
 * SYM_MAX_INLINE lines, NUL-terminated strings.  Built and run by
 * tests/fuzz.mk (`make fuzz`).
 *
 * libdw and libelf are the system's, not instrumented: the sanitizers see
 * symbolize.c and the allocations elfutils makes, not elfutils' reads.
 */
#include <sys/mman.h>
#include "../../user/sym/symbolize.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

/* elfutils 0.188's dwarf_getscopes() leaks its scope array on DWARF it
 * cannot follow (tests/lsan.supp), and the allocation's stack, inside
 * libdw, is often unreadable (a garbage frame), so that no suppression
 * matches: leaks are not looked for here.  symbolize.c's own are, by the
 * unit tests under `make unit SANITIZE=1`.
 */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:dwarf_getscopes\n";
}

/* Most symbols looked up per input: a large table is not slower to fuzz. */
#define MAX_SYMBOL_LOOKUPS 64

static void check_info(const struct sym_info *info)
{
	int i;

	if (info->nlines < 1 || info->nlines > SYM_MAX_INLINE)
		abort();
	for (i = 0; i < info->nlines; i++) {
		const struct sym_line *l = &info->lines[i];

		/* strlen: ASan sees a read past the end */
		if ((l->function && strlen(l->function) > (1u << 20)) ||
		    (l->system_name && strlen(l->system_name) > (1u << 20)) ||
		    (l->file && strlen(l->file) > (1u << 20)))
			abort();
	}
	if (info->build_id && strlen(info->build_id) > 128)
		abort();
}

static void lookup(struct symbolizer *s, struct sym_module *m, uint64_t vaddr)
{
	struct sym_info info;

	memset(&info, 0, sizeof(info));
	info.nlines = 1;
	module__lookup(s, m, vaddr, &info);
	check_info(&info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_module *m;
	char path[64];
	struct stat st;
	int fd, i, n;
	size_t k;

	if (!s || symbolizer__set_debuginfo_path(s, "/nonexistent-debuginfo"))
		abort();
	fd = memfd_create("fuzz_symbolize", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || fstat(fd, &st))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	m = module__load(s, fd, path, &st);	/* fd consumed */
	if (m && m->dwfl) {
		for (k = 0; k < m->nsegs; k++) {
			const struct load_seg *seg = &m->segs[k];
			uint64_t len = seg->memsz ? seg->memsz : 1;

			lookup(s, m, seg->vaddr);
			lookup(s, m, seg->vaddr + len / 2);
			lookup(s, m, seg->vaddr + len - 1);
		}
		n = dwfl_module_getsymtab(m->mod);
		for (i = 1; i < n && i <= MAX_SYMBOL_LOOKUPS; i++) {
			GElf_Sym sym;
			GElf_Addr value;

			if (dwfl_module_getsym_info(m->mod, i, &sym, &value, NULL, NULL, NULL) &&
			    GELF_ST_TYPE(sym.st_info) == STT_FUNC)
				lookup(s, m, value - m->bias);
		}
	}
	if (m)
		module__free(m);
	symbolizer__free(s);
	return 0;
}
