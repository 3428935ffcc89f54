/* tests/fuzz/fuzz_allocators.c: libFuzzer target for allocator discovery
 * (user/target/allocators.c): the symbol tables, versions and segments of
 * an ELF file (and the probe placement that reads its code), and the
 * dynamic section read for `-- CMD` (DT_NEEDED, RUNPATH, RPATH, PT_INTERP).
 *
 * The input is the file, a memfd opened by path as a mapped file would be
 * (allocators.c is compiled in: the dynamic section reader is static).  An
 * allocator found must be well formed: paths set, every function present
 * with its instruction read, aliases pointing at present functions, V8's page
 * ranges sorted.  Built and run by tests/fuzz.mk (`make fuzz`).
 *
 * libelf is the system's, not instrumented: the sanitizers see
 * allocators.c, probeplace.c and the allocations libelf makes.
 */
#include "../../user/target/allocators.c"
#include "memfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (elf_version(EV_CURRENT) == EV_NONE)
		abort();
	return 0;
}

static void check_func(const struct alloc_func *f, size_t size, int max)
{
	if (!f->present)
		return;
	if (!f->insn || f->alias_of >= max)
		abort();
}

static void check_lib(const struct allocator_lib *lib, size_t size)
{
	size_t i;

	if (!lib->path || !lib->display_path)
		abort();
	for (i = 0; i < ML_FN_MAX; i++) {
		check_func(&lib->fn[i], size, ML_FN_MAX);
		if (lib->fn[i].present && lib->fn[i].alias_of >= 0 &&
		    !lib->fn[lib->fn[i].alias_of].present)
			abort();
	}
	for (i = 0; i < ANCHOR_MAX; i++)
		check_func(&lib->anchor[i], size, ANCHOR_MAX);
	for (i = 0; i < ML_GC_MAX; i++)
		check_func(&lib->gc[i], size, ML_GC_MAX);
	for (i = 0; i < lib->nv8_pages; i++)
		if (lib->v8_pages[i].start >= lib->v8_pages[i].end ||
		    (i && lib->v8_pages[i].start < lib->v8_pages[i - 1].start))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;
	struct dyn_info d;
	char path[64];
	int fd, machine = -1, i;

	if (!a)
		abort();
	fd = memfile_open(data, size, path, sizeof(path));
	lib = allocators__inspect(a, path, "/usr/lib/libfuzz.so");
	if (lib)
		check_lib(lib, size);
	if (dyn_info_read(path, &d, &machine) == 0) {
		if (d.n_needed > NEEDED_MAX || strnlen(d.interp, sizeof(d.interp)) == sizeof(d.interp))
			abort();
		for (i = 0; i < d.n_needed; i++)
			if (d.needed[i] && strlen(d.needed[i]) > size)
				abort();
		dyn_info_release(&d);
	}
	memfile_close(fd);
	allocators__free(a);
	return 0;
}
