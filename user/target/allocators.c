/* user/target/allocators.c: find the files that implement malloc and free, and
 * where each allocator function starts in them.
 *
 * Symbols are read through libelf/gelf: .dynsym first, then .symtab for
 * what .dynsym lacks (static executables have no .dynsym).  A symbol's
 * address becomes a file offset through the PT_LOAD segment holding it,
 * which is what a uprobe is attached at.  Each file is inspected once per
 * (st_dev, st_ino); negative answers are cached as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "target/allocators.h"
#include "target/probeplace.h"
#include "target/searchpath.h"
#include "util/array.h"

#define CODE_MAX	4096	/* bytes of a function handed to probe_place() */
#define VERSYM_HIDDEN_BIT 0x8000	/* versym: not the default version */
#define NEEDED_MAX	64

/* What the BPF entry program reads of each function: the integer argument
 * registers, so that probe_place() keeps them intact up to the probe
 * (free's pointer in rdi, posix_memalign's three).
 */
static const struct {
	const char *name;
	unsigned nargs;
} fn_table[ML_FN_MAX] = {
	[ML_FN_MALLOC] = { "malloc", 1 },
	[ML_FN_CALLOC] = { "calloc", 2 },
	[ML_FN_REALLOC] = { "realloc", 2 },
	[ML_FN_REALLOCARRAY] = { "reallocarray", 3 },
	[ML_FN_FREE] = { "free", 1 },
	[ML_FN_POSIX_MEMALIGN] = { "posix_memalign", 3 },
	[ML_FN_ALIGNED_ALLOC] = { "aligned_alloc", 2 },
	[ML_FN_MEMALIGN] = { "memalign", 2 },
	[ML_FN_VALLOC] = { "valloc", 1 },
	[ML_FN_PVALLOC] = { "pvalloc", 1 },
	/* C++: in libstdc++ they call malloc (nested: counted once, at new);
	 * jemalloc and tcmalloc define their own, which do not.
	 */
	[ML_FN_CXX_NEW] = { "_Znwm", 1 },
	[ML_FN_CXX_NEW_ARRAY] = { "_Znam", 1 },
	[ML_FN_CXX_NEW_NOTHROW] = { "_ZnwmRKSt9nothrow_t", 2 },
	[ML_FN_CXX_NEW_ARRAY_NOTHROW] = { "_ZnamRKSt9nothrow_t", 2 },
	[ML_FN_CXX_NEW_ALIGN] = { "_ZnwmSt11align_val_t", 2 },
	[ML_FN_CXX_NEW_ARRAY_ALIGN] = { "_ZnamSt11align_val_t", 2 },
	[ML_FN_CXX_DELETE] = { "_ZdlPv", 1 },
	[ML_FN_CXX_DELETE_ARRAY] = { "_ZdaPv", 1 },
	[ML_FN_CXX_DELETE_SIZED] = { "_ZdlPvm", 1 },
	[ML_FN_CXX_DELETE_ARRAY_SIZED] = { "_ZdaPvm", 1 },
	[ML_FN_CXX_DELETE_ALIGN] = { "_ZdlPvSt11align_val_t", 1 },
	[ML_FN_CXX_DELETE_ARRAY_ALIGN] = { "_ZdaPvSt11align_val_t", 1 },
	/* Node.js: (this, size) */
	[ML_FN_NODE_AB_ALLOCATE] = { "_ZN4node24NodeArrayBufferAllocator8AllocateEm", 2 },
	[ML_FN_NODE_AB_ALLOCATE_UNINIT] = { "_ZN4node24NodeArrayBufferAllocator21AllocateUninitializedEm", 2 },
};

/* V8's collectors, by enum ml_gc_kind (gc_enter reads no argument): the
 * symbol looked up, and the name shown for it.
 */
static const struct {
	const char *sym, *name;
} gc_table[ML_GC_MAX] = {
	[ML_GC_SCAVENGE] = { "_ZN2v88internal18ScavengerCollector14CollectGarbageEv",
			     "ScavengerCollector::CollectGarbage" },
	[ML_GC_MINOR_MC] = { "_ZN2v88internal25MinorMarkCompactCollector14CollectGarbageEv",
			     "MinorMarkCompactCollector::CollectGarbage" },
	[ML_GC_FULL] = { "_ZN2v88internal20MarkCompactCollector14CollectGarbageEv",
			 "MarkCompactCollector::CollectGarbage" },
};

/* Where V8 sets the next full collection's limit, from the live size of
 * its old generation (argument 1) after each full collection (bpf
 * gc_full_live).
 */
#define GC_LIVE_SYM "_ZN2v88internal16MemoryControllerINS0_11V8HeapTraitEE24CalculateAllocationLimitEPNS0_4HeapEmmmmdNS4_15HeapGrowingModeE"
#define GC_LIVE_NAME "MemoryController<V8HeapTrait>::CalculateAllocationLimit"

/* Every function of V8's page allocator, v8::internal::MemoryAllocator:
 * the heap's pages (all spaces, code included) are mapped and committed
 * under one of them, and nothing else is.
 */
#define V8_PAGES_PREFIX "_ZN2v88internal15MemoryAllocator"

/* anchor_enter reads only the stack pointer: no argument to keep. */
static const char *const anchor_names[ANCHOR_MAX] = {
	[ANCHOR_SBRK] = "sbrk",
	[ANCHOR_MREMAP] = "mremap",
	[ANCHOR_STRDUP] = "strdup",
	[ANCHOR_STRNDUP] = "strndup",
	[ANCHOR_WCSDUP] = "wcsdup",
	[ANCHOR_ASPRINTF] = "asprintf",
	[ANCHOR_VASPRINTF] = "vasprintf",
	[ANCHOR_GETLINE] = "getline",
	[ANCHOR_GETDELIM] = "getdelim",
	[ANCHOR_REALPATH] = "realpath",
	[ANCHOR_OPEN_MEMSTREAM] = "open_memstream",
	[ANCHOR_GET_CURRENT_DIR_NAME] = "get_current_dir_name",
};

/* Symbols looked for in one pass over a table: the functions, the
 * anchors, and the C library's marker.  The marker is __libc_start_main,
 * not __libc_malloc: tcmalloc defines __libc_malloc (and sbrk, mremap) to
 * replace glibc's, but only the C library starts programs.
 */
enum {
	PICK_FN = 0,
	PICK_ANCHOR = ML_FN_MAX,
	PICK_GC = ML_FN_MAX + ANCHOR_MAX,
	PICK_GC_LIVE = ML_FN_MAX + ANCHOR_MAX + ML_GC_MAX,
	PICK_LIBC_MARKER,
	PICK_LEAF_MARKER,	/* jemalloc, tcmalloc, mimalloc: see leaf_markers */
	PICK_MAX = PICK_LEAF_MARKER + 3,
};

/* Symbols only these allocators define, whose malloc, calloc and aligned
 * allocators call none of the functions memleakbpf probes (allocators.h,
 * leaf_calls).
 */
static const char *const leaf_markers[PICK_MAX - PICK_LEAF_MARKER] = {
	"mallctl",	/* jemalloc */
	"tc_malloc",	/* tcmalloc (gperftools) */
	"mi_malloc",	/* mimalloc */
};

/* Symbols found by prefix (V8_PAGES_PREFIX): address and size. */
struct sym_ranges {
	struct code_range *v;
	size_t n, cap;
};

struct sym_pick {
	int found;
	int is_default;		/* default symbol version (or unversioned) */
	GElf_Sym sym;
};

struct cache_slot {
	uint64_t dev, ino;
	struct allocator_lib *lib;	/* NULL: not an allocator */
};

/* Files by their identity in /proc/PID/maps (which may differ from
 * stat's, through overlayfs): a process's mapped files are known without
 * a path walk or an open, as thousands of short processes map the same few.
 * Their libs are v's.
 */
struct mapped_slot {
	uint64_t dev, ino;
	const struct allocator_lib *lib;
};

struct allocators {
	struct cache_slot *v;
	size_t n, cap;
	struct mapped_slot *mapped;
	size_t nmapped, mapped_cap;
};

const char *alloc_func_name(int fn)
{
	if (fn < 0 || fn >= ML_FN_MAX)
		return "?";
	return fn_table[fn].name;
}

bool alloc_func_is_leaf(int fn)
{
	switch (fn) {
	case ML_FN_MALLOC:
	case ML_FN_CALLOC:
	case ML_FN_POSIX_MEMALIGN:
	case ML_FN_ALIGNED_ALLOC:
	case ML_FN_MEMALIGN:
	case ML_FN_VALLOC:
	case ML_FN_PVALLOC:
		return true;
	}
	return false;
}

const char *anchor_func_name(int anchor)
{
	if (anchor < 0 || anchor >= ANCHOR_MAX)
		return "?";
	return anchor_names[anchor];
}

const char *v8_gc_function_name(enum ml_gc_kind kind)
{
	if ((int)kind < 0 || kind >= ML_GC_MAX)
		return "?";
	return gc_table[kind].name;
}

const char *v8_gc_live_function_name(void)
{
	return GC_LIVE_NAME;
}

static const char *pick_name(int i)
{
	if (i < PICK_ANCHOR)
		return fn_table[i].name;
	if (i < PICK_GC)
		return anchor_names[i - PICK_ANCHOR];
	if (i < PICK_GC_LIVE)
		return gc_table[i - PICK_GC].sym;
	if (i == PICK_GC_LIVE)
		return GC_LIVE_SYM;
	if (i >= PICK_LEAF_MARKER)
		return leaf_markers[i - PICK_LEAF_MARKER];
	return "__libc_start_main";
}

struct allocators *allocators__new(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	return calloc(1, sizeof(struct allocators));
}

static void lib_free(struct allocator_lib *lib)
{
	if (!lib)
		return;
	free(lib->path);
	free(lib->display_path);
	free(lib->v8_pages);
	free(lib);
}

void allocators__free(struct allocators *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++)
		lib_free(a->v[i].lib);
	free(a->v);
	free(a->mapped);
	free(a);
}

static struct cache_slot *cache_find(struct allocators *a, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].dev == dev && a->v[i].ino == ino)
			return &a->v[i];
	return NULL;
}

static int cache_add(struct allocators *a, uint64_t dev, uint64_t ino, struct allocator_lib *lib)
{
	if (ARRAY_GROW(a->v, a->cap, a->n + 1))
		return -ENOMEM;
	a->v[a->n++] = (struct cache_slot){ .dev = dev, .ino = ino, .lib = lib };
	return 0;
}

/* "malloc@@GLIBC_2.2.5" in a .symtab: the base name's length, and whether
 * the version is the default one (@@) or a hidden one (@).
 */
static size_t base_name_len(const char *name, int *is_default)
{
	const char *at = strchr(name, '@');

	*is_default = !at || at[1] == '@';
	return at ? (size_t)(at - name) : strlen(name);
}

static int pick_index(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PICK_MAX; i++) {
		const char *p = pick_name(i);

		if (strlen(p) == len && memcmp(p, name, len) == 0)
			return i;
	}
	return -1;
}

/* When a name is defined more than once (symbol versions), take the default
 * version; between equals the higher address, i.e. the newer implementation
 * in practice.  Kept simple on purpose: glibc has one default per name.
 */
static int better_pick(const struct sym_pick *old, int is_default, const GElf_Sym *sym)
{
	if (!old->found)
		return 1;
	if (is_default != old->is_default)
		return is_default;
	return sym->st_value > old->sym.st_value;
}

/* One symbol table: fill the picks it defines that an earlier table did
 * not.  GNU IFUNC symbols are skipped: their address is the resolver,
 * which runs once at relocation, not the function a call reaches (glibc
 * on x86-64 uses no IFUNC for the malloc family).  Local symbols are not
 * what the process's callers bind to, so they are skipped too.
 */
static void ranges_add(struct sym_ranges *r, const GElf_Sym *sym)
{
	if (ARRAY_GROW(r->v, r->cap, r->n + 1))
		return;	/* fewer ranges: some V8 pages count as mmap */
	r->v[r->n++] = (struct code_range){ sym->st_value, sym->st_value + sym->st_size };
}

static void scan_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Data *versym,
			const int *done, struct sym_pick *picks, struct sym_ranges *ranges)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Versym vs;
		const char *name;
		int idx, is_default;
		size_t len;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || !sym.st_value ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    GELF_ST_BIND(sym.st_info) == STB_LOCAL)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		if (sym.st_size && !strncmp(name, V8_PAGES_PREFIX, sizeof(V8_PAGES_PREFIX) - 1))
			ranges_add(ranges, &sym);
		len = base_name_len(name, &is_default);
		idx = pick_index(name, len);
		if (idx < 0 || done[idx])
			continue;
		if (versym && gelf_getversym(versym, (int)i, &vs))
			is_default = !(vs & VERSYM_HIDDEN_BIT);
		if (better_pick(&picks[idx], is_default, &sym)) {
			picks[idx].found = 1;
			picks[idx].is_default = is_default;
			picks[idx].sym = sym;
		}
	}
}

/* .dynsym (with its .gnu.version) first, then .symtab for the rest. */
static void find_symbols(Elf *elf, struct sym_pick *picks, struct sym_ranges *ranges)
{
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	Elf_Data *versym = NULL;
	GElf_Shdr sh, dsh, ssh;
	int done[PICK_MAX] = { 0 };
	int i;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dsh = sh;
		} else if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			ssh = sh;
		} else if (sh.sh_type == SHT_GNU_versym) {
			versym = elf_getdata(scn, NULL);
		}
	}
	if (dynsym)
		scan_symtab(elf, dynsym, &dsh, versym, done, picks, ranges);
	for (i = 0; i < PICK_MAX; i++)
		done[i] = picks[i].found;
	if (symtab)
		scan_symtab(elf, symtab, &ssh, NULL, done, picks, ranges);
}

/* The PT_LOAD segment holding vaddr (in its file part), or -1. */
static int segment_of(Elf *elf, uint64_t vaddr, GElf_Phdr *out)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*out = ph;
			return 0;
		}
	}
	return -1;
}

/* Locate one function and choose its probe offset (keep_sp: it has a
 * return probe too).  The function's bytes come from the file, up to
 * CODE_MAX, or to the segment's end when st_size is 0 (hand-written
 * assembly often has none).
 */
static void fill_func(Elf *elf, int fd, const GElf_Sym *sym, unsigned nargs, bool keep_sp,
		      struct alloc_func *f)
{
	struct place_request req = { 0 };
	struct place_result res = { 0 };
	uint8_t code[CODE_MAX];
	uint64_t avail, want;
	GElf_Phdr ph;
	ssize_t got;

	if (segment_of(elf, sym->st_value, &ph))
		return;
	f->present = 1;
	f->file_offset = ph.p_offset + (sym->st_value - ph.p_vaddr);
	f->size = sym->st_size;
	f->insn = "";
	avail = ph.p_filesz - (sym->st_value - ph.p_vaddr);
	want = sym->st_size ? sym->st_size : avail;
	if (want > avail)
		want = avail;
	if (want > CODE_MAX)
		want = CODE_MAX;
	got = pread(fd, code, want, (off_t)f->file_offset);
	if (got <= 0)
		return;		/* probe at the entry */
	req.code = code;
	req.size = (size_t)got;
	req.vaddr = sym->st_value;
	req.nargs = nargs;
	req.keep_sp = keep_sp;
	if (probe_place(&req, &res) == 0 && res.offset < (uint64_t)got) {
		f->probe_delta = res.offset;
		f->sp_adjust = res.sp_adjust;
		f->insn = res.insn;
	}
	f->emulated = probe_insn_is_emulated(code + f->probe_delta, (size_t)got - f->probe_delta);
}

/* Functions at the same offset (glibc: aligned_alloc is memalign) are
 * attached once, under the lower enum index.
 */
static void mark_aliases(struct allocator_lib *lib)
{
	int i, j;

	for (i = 0; i < ML_FN_MAX; i++) {
		if (!lib->fn[i].present || lib->fn[i].alias_of >= 0)
			continue;
		for (j = i + 1; j < ML_FN_MAX; j++)
			if (lib->fn[j].present && lib->fn[j].alias_of < 0 &&
			    lib->fn[j].file_offset == lib->fn[i].file_offset)
				lib->fn[j].alias_of = i;
	}
}

static int name_is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0;
}

/* Build the description of an allocator (a file that defines malloc and
 * free), or of a library with C++'s operator new and delete only
 * (libstdc++), or NULL.  The libc anchors (strdup, asprintf, sbrk, ...) only count in the C
 * library (a shared libc, or a static executable carrying it): jemalloc's
 * callers reach libc's strdup, which calls malloc through the PLT and is
 * seen there.
 */
static int range_cmp(const void *a, const void *b)
{
	const struct code_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* V8's page-allocator functions as file offsets, sorted, once each. */
static void fill_v8_pages(Elf *elf, struct sym_ranges *r, struct allocator_lib *lib)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		GElf_Phdr ph;

		if (segment_of(elf, r->v[i].start, &ph))
			continue;
		r->v[n].end = ph.p_offset + (r->v[i].end - ph.p_vaddr);
		r->v[n].start = ph.p_offset + (r->v[i].start - ph.p_vaddr);
		n++;
	}
	if (n > 1)
		qsort(r->v, n, sizeof(*r->v), range_cmp);
	for (i = 0, r->n = 0; i < n; i++)	/* .dynsym and .symtab both list them */
		if (!r->n || r->v[r->n - 1].start != r->v[i].start)
			r->v[r->n++] = r->v[i];
	lib->v8_pages = r->v;
	lib->nv8_pages = r->n;
	r->v = NULL;
}

/* Build the description of an allocator (a file that defines malloc and
 * free), or of a library with C++'s operator new and delete only
 * (libstdc++), or of Node.js (its ArrayBuffer allocator and V8), or NULL.
 * The libc anchors (strdup, asprintf, sbrk, ...) only count in the C
 * library (a shared libc, or a static executable carrying it): jemalloc's
 * callers reach libc's strdup, which calls malloc through the PLT and is
 * seen there.
 */
static struct allocator_lib *lib_build(Elf *elf, int fd, const char *path,
				       const char *display_path, const struct stat *st)
{
	struct sym_pick picks[PICK_MAX] = { 0 };
	struct sym_ranges ranges = { 0 };
	struct allocator_lib *lib = NULL;
	int i, is_node;

	find_symbols(elf, picks, &ranges);
	is_node = picks[ML_FN_NODE_AB_ALLOCATE].found;
	if ((!picks[ML_FN_MALLOC].found || !picks[ML_FN_FREE].found) &&
	    !picks[ML_FN_CXX_NEW].found && !is_node)
		goto cleanup;
	lib = calloc(1, sizeof(*lib));
	if (!lib)
		goto cleanup;
	lib->path = strdup(path);
	lib->display_path = strdup(display_path);
	if (!lib->path || !lib->display_path)
		goto fail;
	lib->dev = st->st_dev;
	lib->inode = st->st_ino;
	lib->is_libc = picks[PICK_LIBC_MARKER].found || name_is_libc(display_path) ||
		       name_is_libc(path);
	for (i = 0; i < ML_FN_MAX; i++) {
		lib->fn[i].alias_of = -1;
		if (picks[i].found)
			fill_func(elf, fd, &picks[i].sym, fn_table[i].nargs, !ML_FN_IS_RELEASE(i),
				  &lib->fn[i]);
	}
	for (i = 0; i < ANCHOR_MAX; i++) {
		lib->anchor[i].alias_of = -1;
		if (lib->is_libc && picks[PICK_ANCHOR + i].found)
			fill_func(elf, fd, &picks[PICK_ANCHOR + i].sym, 0, true, &lib->anchor[i]);
	}
	lib->is_allocator = lib->fn[ML_FN_MALLOC].present && lib->fn[ML_FN_FREE].present;
	/* glibc's shared C library (a static executable may bring its own
	 * malloc), or a known allocator library
	 */
	lib->leaf_calls = lib->is_allocator &&
			  (name_is_libc(display_path) || name_is_libc(path) ||
			   picks[PICK_LEAF_MARKER].found || picks[PICK_LEAF_MARKER + 1].found ||
			   picks[PICK_LEAF_MARKER + 2].found);
	lib->is_node = is_node && lib->fn[ML_FN_NODE_AB_ALLOCATE].present;
	for (i = 0; i < ML_GC_MAX && lib->is_node; i++) {
		lib->gc[i].alias_of = -1;
		if (picks[PICK_GC + i].found)
			fill_func(elf, fd, &picks[PICK_GC + i].sym, 0, false, &lib->gc[i]);
	}
	/* the full collector's return: placed where rsp is as at its entry */
	lib->gc_end.alias_of = -1;
	if (lib->is_node && picks[PICK_GC + ML_GC_FULL].found)
		fill_func(elf, fd, &picks[PICK_GC + ML_GC_FULL].sym, 0, true, &lib->gc_end);
	lib->gc_live.alias_of = -1;
	if (lib->is_node && picks[PICK_GC_LIVE].found)
		fill_func(elf, fd, &picks[PICK_GC_LIVE].sym, 2, false, &lib->gc_live);
	if (lib->is_node)
		fill_v8_pages(elf, &ranges, lib);
	if (!lib->is_allocator && !lib->fn[ML_FN_CXX_NEW].present && !lib->is_node)
		goto fail;	/* symbols outside any segment: a broken file */
	mark_aliases(lib);
	goto cleanup;
fail:
	lib_free(lib);
	lib = NULL;
cleanup:
	free(ranges.v);
	return lib;
}

bool allocator_lib__in_v8_pages(const struct allocator_lib *lib, uint64_t file_offset)
{
	size_t lo = 0, hi = lib->nv8_pages;

	while (lo < hi) {	/* the last range starting at or before the offset */
		size_t mid = (lo + hi) / 2;

		if (lib->v8_pages[mid].start <= file_offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && file_offset < lib->v8_pages[lo - 1].end;
}

static struct allocator_lib *inspect_fd(int fd, const char *path, const char *display_path,
					const struct stat *st)
{
	struct allocator_lib *lib = NULL;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);

	if (elf && elf_kind(elf) == ELF_K_ELF)
		lib = lib_build(elf, fd, path, display_path, st);
	elf_end(elf);
	return lib;
}

const struct allocator_lib *allocators__inspect(struct allocators *a, const char *path,
						const char *display_path)
{
	struct allocator_lib *lib = NULL;
	struct cache_slot *slot;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;	/* errno from open */
	errno = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = errno ? errno : EINVAL;
		close(fd);
		errno = err;
		return NULL;
	}
	slot = cache_find(a, st.st_dev, st.st_ino);
	if (slot) {
		close(fd);
		errno = 0;
		return slot->lib;
	}
	lib = inspect_fd(fd, path, display_path ? display_path : path, &st);
	close(fd);
	if (cache_add(a, st.st_dev, st.st_ino, lib)) {
		lib_free(lib);
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	return lib;
}

/* ---- ordering the answers ---- */

struct found_list {
	const struct allocator_lib **v;
	const struct allocator_lib *main;	/* the executable's, if an allocator */
	size_t n, cap;
};

static int found_add(struct found_list *l, const struct allocator_lib *lib)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == lib)
			return 0;
	if (ARRAY_GROW(l->v, l->cap, l->n + 1))
		return -ENOMEM;
	l->v[l->n++] = lib;
	return 0;
}

/* Most specific first: the executable, the others in the order found
 * (preloads come first), glibc last.
 */
static int found_emit(const struct found_list *l, const struct allocator_lib **out, int max)
{
	int k = 0, pass;
	size_t i;

	if (l->main && k < max)
		out[k++] = l->main;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < l->n && k < max; i++)
			if (l->v[i] != l->main && l->v[i]->is_libc == pass)
				out[k++] = l->v[i];
	return k;
}

/* ---- a running process ---- */

static int seen_path(const struct proc_maps *maps, size_t upto, const char *path)
{
	size_t i;

	for (i = 0; i < upto; i++) {
		const struct map_entry *e = &maps->v[i];

		if (e->perms[2] == 'x' && map_entry__is_file(e) && strcmp(e->path, path) == 0)
			return 1;
	}
	return 0;
}

/* Files are opened through /proc/PID/root so that a process in another
 * mount namespace (a container) is read as it sees them.
 */
static const struct allocator_lib *inspect_mapped(struct allocators *a, pid_t pid,
						  const char *path, bool *its_own)
{
	const struct allocator_lib *lib;
	char rooted[PATH_MAX + 32];
	struct stat in_ns, here;

	snprintf(rooted, sizeof(rooted), "/proc/%d/root%s", (int)pid, path);
	*its_own = true;
	/* The same file in our namespace: keep that path, which outlives the
	 * process (the result is cached and attached to for others).
	 */
	if (stat(rooted, &in_ns) == 0 && stat(path, &here) == 0 &&
	    in_ns.st_dev == here.st_dev && in_ns.st_ino == here.st_ino)
		return allocators__inspect(a, path, path);
	lib = allocators__inspect(a, rooted, path);
	if (!lib && errno) {
		/* gone: the file of that name here, which may be another */
		*its_own = false;
		lib = allocators__inspect(a, path, path);
	}
	return lib;
}

static const struct mapped_slot *mapped_find(const struct allocators *a, const struct map_entry *e)
{
	uint64_t dev = makedev(e->dev_major, e->dev_minor);
	size_t i;

	for (i = 0; i < a->nmapped; i++)
		if (a->mapped[i].ino == e->inode && a->mapped[i].dev == dev)
			return &a->mapped[i];
	return NULL;
}

/* What the file of e is, from the cache by its mapped identity, else
 * inspected (and cached when known: a file gone is not).
 */
static const struct allocator_lib *inspect_entry(struct allocators *a, pid_t pid,
						 const struct map_entry *e)
{
	const struct mapped_slot *slot = e->inode ? mapped_find(a, e) : NULL;
	const struct allocator_lib *lib;
	bool its_own;

	if (slot)
		return slot->lib;
	lib = inspect_mapped(a, pid, e->path, &its_own);
	if ((lib || !errno) && its_own && e->inode &&
	    !ARRAY_GROW(a->mapped, a->mapped_cap, a->nmapped + 1))
		a->mapped[a->nmapped++] = (struct mapped_slot){
			.dev = makedev(e->dev_major, e->dev_minor), .ino = e->inode, .lib = lib };
	return lib;
}

/* The executable as maps names it: /proc/PID/exe, else the first file. */
static void main_exe_path(pid_t pid, const struct proc_maps *maps, char *buf, size_t size)
{
	char link[64];
	ssize_t n;
	size_t i;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, buf, size - 1);
	if (n > 0) {
		buf[n] = '\0';
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < maps->n; i++) {
		if (map_entry__is_file(&maps->v[i])) {
			snprintf(buf, size, "%s", maps->v[i].path);
			return;
		}
	}
}

int allocators__for_process(struct allocators *a, pid_t pid, const struct proc_maps *maps,
			    const struct allocator_lib **out, int max)
{
	struct proc_maps own = { 0 };
	struct found_list l = { 0 };
	char exe[PATH_MAX];
	int err = 0;
	size_t i;

	if (!maps) {
		err = proc_maps__read(pid, &own);
		if (err)
			return err;
		maps = &own;
	}
	exe[0] = '\0';
	for (i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];
		const struct allocator_lib *lib;

		if (e->perms[2] != 'x' || !map_entry__is_file(e) || seen_path(maps, i, e->path))
			continue;
		lib = inspect_entry(a, pid, e);
		if (!lib)
			continue;
		if (!exe[0])	/* read when needed: most processes map one allocator */
			main_exe_path(pid, maps, exe, sizeof(exe));
		if (strcmp(e->path, exe) == 0)
			l.main = lib;
		err = found_add(&l, lib);
		if (err)
			goto cleanup;
	}
	err = found_emit(&l, out, max);
cleanup:
	free(l.v);
	proc_maps__release(&own);
	return err;
}

/* ---- a command about to start ---- */

/* What the dynamic section says about loading: DT_NEEDED, DT_RUNPATH,
 * DT_RPATH.  (The file's e_machine is returned beside it, so that a library
 * for another architecture found on the way is passed over, as ld.so does.)
 */
struct dyn_info {
	char *needed[NEEDED_MAX];
	int n_needed;
	char *runpath, *rpath;
	char origin[PATH_MAX];	/* the file's directory, for $ORIGIN */
	char interp[PATH_MAX];	/* PT_INTERP: the dynamic loader; "" if none */
};

static void dyn_info_release(struct dyn_info *d)
{
	int i;

	for (i = 0; i < d->n_needed; i++)
		free(d->needed[i]);
	free(d->runpath);
	free(d->rpath);
	memset(d, 0, sizeof(*d));
}

static void dyn_entries(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct dyn_info *d)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (i = 0; data && i < count; i++) {
		GElf_Dyn dyn;
		const char *s;

		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
			continue;
		s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (!s)
			continue;
		if (dyn.d_tag == DT_NEEDED && d->n_needed < NEEDED_MAX)
			d->needed[d->n_needed++] = strdup(s);
		else if (dyn.d_tag == DT_RUNPATH && !d->runpath)
			d->runpath = strdup(s);
		else if (dyn.d_tag == DT_RPATH && !d->rpath)
			d->rpath = strdup(s);
	}
}

/* 0, or -errno when the file cannot be read as ELF. */
/* .interp holds the loader's path, NUL-terminated (PT_INTERP points at it). */
static void interp_entry(const Elf_Data *data, struct dyn_info *d)
{
	if (data && data->d_buf && data->d_size > 1 && data->d_size < sizeof(d->interp) &&
	    memchr(data->d_buf, '\0', data->d_size))
		snprintf(d->interp, sizeof(d->interp), "%s", (const char *)data->d_buf);
}

static int dyn_info_read(const char *path, struct dyn_info *d, int *machine)
{
	char real[PATH_MAX], *slash;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf *elf;
	int fd, err = 0;

	memset(d, 0, sizeof(*d));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	*machine = eh.e_machine;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			dyn_entries(elf, scn, &sh, d);
		else if (sh.sh_type == SHT_PROGBITS && elf_strptr(elf, eh.e_shstrndx, sh.sh_name) &&
			 !strcmp(elf_strptr(elf, eh.e_shstrndx, sh.sh_name), ".interp"))
			interp_entry(elf_getdata(scn, NULL), d);
	}
	snprintf(d->origin, sizeof(d->origin), "%s", realpath(path, real) ? real : path);
	slash = strrchr(d->origin, '/');
	if (slash)
		*(slash == d->origin ? slash + 1 : slash) = '\0';
	else
		snprintf(d->origin, sizeof(d->origin), ".");
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}

static int elf_machine(const char *path)
{
	GElf_Ehdr eh;
	int fd, machine = -1;
	Elf *elf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh))
		machine = eh.e_machine;
	elf_end(elf);
	close(fd);
	return machine;
}

/* Look for name in each directory of list, as ld.so reads it (searchpath.h:
 * an empty entry is the current directory, $ORIGIN is origin).
 */
static int search_list(const char *list, const char *seps, const char *origin, const char *name,
		       int machine, char *out, size_t size)
{
	struct searchpath sp;

	searchpath__init_ld(&sp, list, seps, origin);
	while (searchpath__next(&sp, name, out, size))
		if (access(out, R_OK) == 0 && elf_machine(out) == machine)
			return 0;
	return -ENOENT;
}

/* Resolve a DT_NEEDED (or LD_PRELOAD) name the way ld.so does: a name
 * with a slash is a path; else DT_RPATH (only when there is no
 * DT_RUNPATH; the executable's RPATH applies to its dependencies too),
 * LD_LIBRARY_PATH (its $ORIGIN is the executable's directory), DT_RUNPATH,
 * then the standard directories (SEARCHPATH_LD_DEFAULT).
 */
static int find_lib(const char *name, const struct dyn_info *obj, const struct dyn_info *exe,
		    int machine, char *out, size_t size)
{
	if (strchr(name, '/')) {
		snprintf(out, size, "%s", name);
		return access(out, R_OK) ? -errno : 0;
	}
	if (obj && !obj->runpath && obj->rpath &&
	    !search_list(obj->rpath, SEARCHPATH_RPATH_SEPS, obj->origin, name, machine, out, size))
		return 0;
	if (exe && exe != obj && !(obj && obj->runpath) && !exe->runpath && exe->rpath &&
	    !search_list(exe->rpath, SEARCHPATH_RPATH_SEPS, exe->origin, name, machine, out, size))
		return 0;
	if (!search_list(getenv("LD_LIBRARY_PATH"), SEARCHPATH_LD_LIBRARY_SEPS,
			 exe ? exe->origin : ".", name, machine, out, size))
		return 0;
	if (obj && obj->runpath &&
	    !search_list(obj->runpath, SEARCHPATH_RPATH_SEPS, obj->origin, name, machine, out,
			 size))
		return 0;
	return search_list(SEARCHPATH_LD_DEFAULT, ":", NULL, name, machine, out, size);
}

/* A command name without a slash, through PATH as execvp would. */
static int resolve_command(const char *cmd, char *out, size_t size)
{
	if (strchr(cmd, '/')) {
		snprintf(out, size, "%s", cmd);
		return access(out, F_OK) ? -errno : 0;
	}
	return searchpath__find_command(cmd, out, size);
}

struct cmd_scan {
	struct allocators *a;
	struct found_list l;
	struct dyn_info exe;
	int machine;
	char visited[2 * NEEDED_MAX][PATH_MAX];	/* libraries whose needs were read */
	int n_visited;
};

static int visit_once(struct cmd_scan *s, const char *path)
{
	int i;

	for (i = 0; i < s->n_visited; i++)
		if (strcmp(s->visited[i], path) == 0)
			return 0;
	if (s->n_visited < (int)(sizeof(s->visited) / sizeof(s->visited[0])))
		snprintf(s->visited[s->n_visited++], PATH_MAX, "%s", path);
	return 1;
}

static int add_if_allocator(struct cmd_scan *s, const char *path)
{
	const struct allocator_lib *lib = allocators__inspect(s->a, path, path);

	return lib ? found_add(&s->l, lib) : 0;
}

/* The needs of a library: one more level below the executable's. */
static int scan_library(struct cmd_scan *s, const char *path, int depth)
{
	char dep[PATH_MAX];
	struct dyn_info d;
	int i, machine, err;

	if (!visit_once(s, path))
		return 0;
	err = add_if_allocator(s, path);
	if (err || depth == 0 || dyn_info_read(path, &d, &machine))
		return err;
	for (i = 0; i < d.n_needed && !err; i++)
		if (d.needed[i] && !find_lib(d.needed[i], &d, &s->exe, s->machine, dep, sizeof(dep)))
			err = scan_library(s, dep, depth - 1);
	dyn_info_release(&d);
	return err;
}

/* LD_PRELOAD: names separated by spaces or colons, loaded before all,
 * searched as the executable's own needs are.
 */
static int scan_preload(struct cmd_scan *s)
{
	const char *p = getenv("LD_PRELOAD");
	char name[PATH_MAX], path[PATH_MAX];
	int err = 0;

	while (p && *p && !err) {
		size_t len = strcspn(p, " :\t");

		if (len && len < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			if (!find_lib(name, &s->exe, &s->exe, s->machine, path, sizeof(path)))
				err = scan_library(s, path, 1);
		}
		p += len;
		p += strspn(p, " :\t");
	}
	return err;
}

/* "#!/bin/sh" or "#!/usr/bin/env python3": the interpreter's path. */
static int script_interpreter(const char *path, char *out, size_t size)
{
	char line[PATH_MAX], *argv0, *arg, *save = NULL;
	FILE *f = fopen(path, "re");
	int err = -ENOEXEC;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "#!", 2) != 0)
		goto cleanup;
	argv0 = strtok_r(line + 2, " \t\r\n", &save);
	arg = strtok_r(NULL, " \t\r\n", &save);
	if (!argv0)
		goto cleanup;
	if (arg && strcmp(strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0, "env") == 0)
		err = resolve_command(arg, out, size);
	else
		err = resolve_command(argv0, out, size);
cleanup:
	fclose(f);
	return err;
}

/* glibc as this process maps it: the answer when nothing better is known. */
static const struct allocator_lib *own_libc(struct allocators *a)
{
	const struct allocator_lib *lib = NULL;
	struct proc_maps maps = { 0 };
	size_t i;

	if (proc_maps__read(getpid(), &maps))
		return NULL;
	for (i = 0; i < maps.n && !lib; i++)
		if (map_entry__is_file(&maps.v[i]) && name_is_libc(maps.v[i].path))
			lib = allocators__inspect(a, maps.v[i].path, maps.v[i].path);
	proc_maps__release(&maps);
	return lib;
}

static int scan_command(struct cmd_scan *s, const char *exe_path, int depth)
{
	char path[PATH_MAX], dep[PATH_MAX];
	int i, err;

	err = resolve_command(exe_path, path, sizeof(path));
	if (err)
		return err;
	if (dyn_info_read(path, &s->exe, &s->machine)) {
		/* not ELF: a script runs its interpreter */
		if (depth > 0 && !script_interpreter(path, dep, sizeof(dep)))
			return scan_command(s, dep, depth - 1);
		return 0;
	}
	visit_once(s, path);
	s->l.main = allocators__inspect(s->a, path, path);
	if (s->l.main)
		err = found_add(&s->l, s->l.main);
	if (!err)
		err = scan_preload(s);
	for (i = 0; i < s->exe.n_needed && !err; i++)
		if (s->exe.needed[i] && !find_lib(s->exe.needed[i], &s->exe, &s->exe, s->machine,
						  dep, sizeof(dep)))
			err = scan_library(s, dep, 1);
	return err;
}

/* Append path to files[] unless there already. */
static int files_add(char (*files)[PATH_MAX], int n, int max, const char *path)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(files[i], path))
			return n;
	if (n == max)
		return n;
	snprintf(files[n], PATH_MAX, "%s", path);
	return n + 1;
}

int allocators__command_files(const char *exe_path, char (*files)[PATH_MAX], int max)
{
	char path[PATH_MAX], dep[PATH_MAX];
	struct dyn_info exe, lib;
	int machine, i, j, n = 0, err;

	err = resolve_command(exe_path, path, sizeof(path));
	if (err)
		return err;
	if (dyn_info_read(path, &exe, &machine)) {
		/* not ELF: a script runs its interpreter */
		if (script_interpreter(path, dep, sizeof(dep)) || dyn_info_read(dep, &exe, &machine))
			return 0;
		snprintf(path, sizeof(path), "%s", dep);
	}
	n = files_add(files, n, max, path);
	if (exe.interp[0])
		n = files_add(files, n, max, exe.interp);
	for (i = 0; i < exe.n_needed; i++) {
		if (!exe.needed[i] || find_lib(exe.needed[i], &exe, &exe, machine, dep, sizeof(dep)))
			continue;
		n = files_add(files, n, max, dep);
		if (dyn_info_read(dep, &lib, &machine))
			continue;
		for (j = 0; j < lib.n_needed; j++)	/* one level more: libstdc++'s libm */
			if (lib.needed[j] && !find_lib(lib.needed[j], &lib, &exe, machine, path, sizeof(path)))
				n = files_add(files, n, max, path);
		dyn_info_release(&lib);
	}
	dyn_info_release(&exe);
	return n;
}

int allocators__for_command(struct allocators *a, const char *exe_path,
			    const struct allocator_lib **out, int max)
{
	struct cmd_scan *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->a = a;
	err = scan_command(s, exe_path, 1);
	if (!err && s->l.n == 0) {
		const struct allocator_lib *libc = own_libc(a);

		if (libc)
			err = found_add(&s->l, libc);
	}
	if (!err)
		err = found_emit(&s->l, out, max);
	dyn_info_release(&s->exe);
	free(s->l.v);
	free(s);
	return err;
}
