/* user/sym/symbolize.c: addresses to function, file and line, through libdwfl.
 *
 * Three caches, all living until symbolizer__free():
 *   modules  one Dwfl session per module file, keyed by (st_dev, st_ino);
 *            aliases map the (dev, inode) of /proc/PID/maps lines to them
 *            so that a known file costs no system call.  A session no
 *            look-up needed for SYM_IDLE_TRIMS trims is ended (its mapped
 *            files and libdw's tables go) and opened again at a miss;
 *   addrs    resolved frames, keyed by (module, ELF virtual address);
 *   strings  every string handed out, interned.
 * JIT names come from /tmp/perf-PID.map, parsed into a sorted table per pid.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include "sym/symbolize.h"
#include "util/array.h"

/* A perf map is written by the traced process: bound what it can cost us. */
#define PERF_MAP_LINE_MAX	1024
#define PERF_MAP_MAX_ENTRIES	(1u << 18)
/* Deeper inline chains than this are cut in the middle. */
#define MAX_SCOPE_FUNCS		64
/* A module's session ends once this many trims (reports) needed none of
 * it: a long system-wide run meets every binary of the machine.
 */
#define SYM_IDLE_TRIMS		3

/* From libstdc++ (cxxabi.h is C++ only). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct load_seg {
	uint64_t offset, filesz, memsz, vaddr;
	int exec;
};

struct sym_module {
	dev_t dev;
	ino_t ino;
	Dwfl *dwfl;		/* NULL: not an ELF file libdwfl can use */
	Dwfl_Module *mod;
	GElf_Addr bias;
	struct load_seg *segs;
	size_t nsegs;
	const char *build_id;	/* interned hex, or NULL */
	struct public_name *publics;	/* sorted by value; built on first need */
	size_t npublics;
	bool publics_built;
	bool released;		/* dwfl ended while idle: open again at need */
	unsigned long used;	/* the trim count at its last look-up */
};

/* A global function symbol whose name a programmer would write: glibc
 * defines malloc as an alias of __libc_malloc, strdup of __strdup; the
 * report should say malloc and strdup.
 */
struct public_name {
	GElf_Addr value;
	const char *name;	/* libdwfl's string */
};

struct module_alias {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	struct sym_module *m;
	bool gone;		/* its path no longer names it (deleted, replaced) */
};

struct addr_entry {
	const struct sym_module *m;
	uint64_t vaddr;
	struct sym_info info;
};

struct jit_sym {
	uint64_t start, size;
	size_t seq;		/* line order: later lines win */
	char *name;
};

struct perf_map {
	pid_t pid;
	int tried;
	off_t size;		/* of the file when it was last tried */
	struct jit_sym *v;
	size_t n;
};

struct symbolizer {
	void *strings;
	void *modules;
	void *aliases;
	void *addrs;
	void *perf_maps;
	char *debuginfo_path;
	Dwfl_Callbacks cb;	/* every Dwfl session points here */
	sym_kept_file_fn kept_file;
	void *kept_ctx;
	unsigned long trims;
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *symbolizer__intern(struct symbolizer *s, const char *str)
{
	void **node;
	char *dup;

	if (!str)
		return NULL;
	node = tfind(str, &s->strings, str_cmp);
	if (node)
		return *node;
	dup = strdup(str);
	if (!dup)
		return NULL;
	node = tsearch(dup, &s->strings, str_cmp);
	if (!node) {
		free(dup);
		return NULL;
	}
	return *node;
}

/* Function names go through here: C++ names come out demangled. */
static const char *symbolizer__intern_fn(struct symbolizer *s, const char *name)
{
	char *demangled = symbolizer__demangle(name);
	const char *ret;

	if (!demangled)
		return symbolizer__intern(s, name);
	ret = symbolizer__intern(s, demangled);
	free(demangled);
	return ret;
}

char *symbolizer__demangle(const char *name)
{
	int status = -1;
	char *out;

	/* Itanium ABI names only: plain C names would be read as types */
	if (!name || strncmp(name, "_Z", 2) != 0)
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int module_cmp(const void *a, const void *b)
{
	const struct sym_module *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static int alias_cmp(const void *a, const void *b)
{
	const struct module_alias *x = a, *y = b;

	if (x->dev_major != y->dev_major)
		return x->dev_major < y->dev_major ? -1 : 1;
	if (x->dev_minor != y->dev_minor)
		return x->dev_minor < y->dev_minor ? -1 : 1;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	const struct addr_entry *x = a, *y = b;

	if (x->m != y->m)
		return (uintptr_t)x->m < (uintptr_t)y->m ? -1 : 1;
	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return 0;
}

static int perf_map_cmp(const void *a, const void *b)
{
	const struct perf_map *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cb.find_elf = dwfl_build_id_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	/* NULL path: libdwfl's default, ":.debug:/usr/lib/debug" */
	s->cb.debuginfo_path = &s->debuginfo_path;
	return s;
}

int symbolizer__set_debuginfo_path(struct symbolizer *s, const char *path)
{
	char *dup = NULL;

	if (!s)
		return -EINVAL;
	if (path) {
		dup = strdup(path);
		if (!dup)
			return -ENOMEM;
	}
	free(s->debuginfo_path);
	s->debuginfo_path = dup;
	return 0;
}

static void module__free(void *p)
{
	struct sym_module *m = p;

	if (m->dwfl)
		dwfl_end(m->dwfl);
	free(m->publics);
	free(m->segs);
	free(m);
}

static void perf_map__clear(struct perf_map *pm)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		free(pm->v[i].name);
	free(pm->v);
	pm->v = NULL;
	pm->n = 0;
}

static void perf_map__free(void *p)
{
	perf_map__clear(p);
	free(p);
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	tdestroy(s->addrs, free);
	tdestroy(s->aliases, free);
	tdestroy(s->modules, module__free);
	tdestroy(s->perf_maps, perf_map__free);
	tdestroy(s->strings, free);
	free(s->debuginfo_path);
	free(s);
}

/* PT_LOAD segments translate file offsets to ELF virtual addresses. */
static int module__read_segments(struct sym_module *m)
{
	Elf *elf = dwfl_module_getelf(m->mod, &m->bias);
	size_t i, n;
	GElf_Phdr ph;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -EINVAL;
	m->segs = calloc(n ? n : 1, sizeof(*m->segs));
	if (!m->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct load_seg *seg = &m->segs[m->nsegs];

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		seg->offset = ph.p_offset;
		seg->filesz = ph.p_filesz;
		seg->memsz = ph.p_memsz;
		seg->vaddr = ph.p_vaddr;
		seg->exec = !!(ph.p_flags & PF_X);
		m->nsegs++;
	}
	return m->nsegs ? 0 : -EINVAL;
}

static void module__read_build_id(struct symbolizer *s, struct sym_module *m)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *bits;
	GElf_Addr vaddr;
	char buf[2 * 64 + 1];
	int len, i;

	len = dwfl_module_build_id(m->mod, &bits, &vaddr);
	if (len <= 0)
		return;
	if (len > 64)
		len = 64;
	for (i = 0; i < len; i++) {
		buf[2 * i] = hex[bits[i] >> 4];
		buf[2 * i + 1] = hex[bits[i] & 0xf];
	}
	buf[2 * len] = '\0';
	m->build_id = symbolizer__intern(s, buf);
}

/* Opens m's session over the file at fd, reported at base 0, and loads its
 * symbols and debug info now: a /proc/PID/root path may be gone by the
 * time a lazy load would run.  fd is consumed.  0 or -errno.
 */
static int module__open(struct symbolizer *s, struct sym_module *m, int fd, const char *path)
{
	Dwarf_Addr bias;

	m->dwfl = dwfl_begin(&s->cb);
	if (!m->dwfl) {
		close(fd);
		return -ENOMEM;
	}
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, path, path, fd, 0, true);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod || !dwfl_module_getelf(m->mod, &m->bias)) {
		if (!m->mod)
			close(fd);	/* libdwfl's once reported */
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
		m->mod = NULL;
		return -EINVAL;
	}
	m->released = false;
	dwfl_module_getsymtab(m->mod);
	dwfl_module_getdwarf(m->mod, &bias);
	return 0;
}

/* Ends m's session; its segments and build id stay. */
static void module__release(struct sym_module *m)
{
	dwfl_end(m->dwfl);
	m->dwfl = NULL;
	m->mod = NULL;
	free(m->publics);	/* their names were libdwfl's */
	m->publics = NULL;
	m->npublics = 0;
	m->publics_built = false;
	m->released = true;
}

/* A module for the file at fd (consumed).  A file libdwfl cannot use
 * gives a module without a session, kept so that it is not tried again.
 */
static struct sym_module *module__load(struct symbolizer *s, int fd, const char *path,
				       const struct stat *st)
{
	struct sym_module *m = calloc(1, sizeof(*m));

	if (!m) {
		close(fd);
		return NULL;
	}
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->used = s->trims;
	if (module__open(s, m, fd, path))
		return m;
	if (module__read_segments(m)) {
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
		m->mod = NULL;
		return m;
	}
	module__read_build_id(s, m);
	return m;
}

/* The path names another file than the mapped one (an upgrade, or the
 * plain path of a container's file): the mapped file stays reachable
 * through map_files while the process lives, given the privileges.
 * Returns the better fd, closing the other one.
 */
static int map_entry__reopen(const struct map_entry *e, pid_t pid, int fd, char *path,
			     size_t size, struct stat *st)
{
	struct stat st2;
	char mf[64];
	int fd2;

	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, e->start, e->end);
	fd2 = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd2 < 0)
		return fd;
	if (fstat(fd2, &st2) || st2.st_ino != e->inode) {
		close(fd2);
		return fd;
	}
	close(fd);
	*st = st2;
	snprintf(path, size, "%s", mf);
	return fd2;
}

#define DELETED_SUFFIX " (deleted)"

/* The file the caller kept open for e, once nothing else reaches it. */
static int map_entry__open_kept(struct symbolizer *s, const struct map_entry *e, char *path,
				size_t size, struct stat *st, bool *gone)
{
	bool at_path = false;
	int kept = s->kept_file ? s->kept_file(s->kept_ctx, e, &at_path) : -1, fd;

	if (kept < 0)
		return -1;
	fd = fcntl(kept, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, st) || st->st_ino != e->inode) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*gone = !at_path;
	snprintf(path, size, "%s", e->path);
	return fd;
}

/* The file of a mapping as the process sees it: through root first, then
 * map_files when its path is gone or names another file (deleted,
 * replaced: *gone set), then a file the caller kept open.  Never another
 * file than the one mapped: -1.
 */
static int map_entry__open(struct symbolizer *s, const struct map_entry *e, pid_t pid,
			   const char *root, char *path, size_t size, struct stat *st, bool *gone)
{
	size_t len = strlen(e->path), dlen = strlen(DELETED_SUFFIX);
	int plain = (int)len, fd = -1;

	*gone = false;
	if (len >= dlen && !strcmp(e->path + len - dlen, DELETED_SUFFIX))
		plain = (int)(len - dlen);	/* the kernel's word: try the path anyway */
	if (root && snprintf(path, size, "%s%.*s", root, plain, e->path) < (int)size)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && snprintf(path, size, "%.*s", plain, e->path) < (int)size)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, st)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && (!e->inode || st->st_ino == e->inode))
		return fd;
	*gone = e->inode != 0;
	if (pid > 0 && e->inode)
		fd = map_entry__reopen(e, pid, fd, path, size, st);
	if (fd >= 0 && st->st_ino == e->inode)
		return fd;	/* the mapped file, through map_files */
	if (fd >= 0)
		close(fd);
	return e->inode ? map_entry__open_kept(s, e, path, size, st, gone) : -1;
}

static struct sym_module *symbolizer__load_module(struct symbolizer *s, const struct map_entry *e,
						  pid_t pid, const char *root, bool *gone)
{
	struct sym_module key, *m = NULL;
	char path[PATH_MAX];
	struct stat st;
	void **node;
	int fd;

	fd = map_entry__open(s, e, pid, root, path, sizeof(path), &st, gone);
	if (fd < 0)
		goto cleanup;
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	node = tfind(&key, &s->modules, module_cmp);
	if (node) {
		m = *node;
		goto cleanup;
	}
	m = module__load(s, fd, path, &st);
	fd = -1;	/* consumed */
	if (m && !tsearch(m, &s->modules, module_cmp)) {
		module__free(m);
		m = NULL;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	return m;
}

static struct sym_module *symbolizer__module(struct symbolizer *s, const struct map_entry *e,
					     pid_t pid, const char *root, bool *gone)
{
	struct module_alias key = { e->dev_major, e->dev_minor, e->inode, NULL, false }, *a;
	struct sym_module *m;
	void **node;

	*gone = false;
	/* inode 0 says nothing about identity: no alias then */
	if (e->inode) {
		node = tfind(&key, &s->aliases, alias_cmp);
		if (node) {
			*gone = ((struct module_alias *)*node)->gone;
			return ((struct module_alias *)*node)->m;
		}
	}
	m = symbolizer__load_module(s, e, pid, root, gone);
	if (!m || !e->inode)
		return m;
	a = malloc(sizeof(*a));
	if (!a)
		return m;
	*a = key;
	a->m = m;
	a->gone = *gone;
	node = tsearch(a, &s->aliases, alias_cmp);
	if (!node || *node != a)
		free(a);
	return m;
}

/* File offset to ELF virtual address; a segment of the mapping's kind
 * wins when segments share a page.
 */
static int module__vaddr(const struct sym_module *m, uint64_t off, int exec, uint64_t *vaddr)
{
	const struct load_seg *best = NULL;
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		const struct load_seg *seg = &m->segs[i];
		uint64_t len = seg->filesz > seg->memsz ? seg->filesz : seg->memsz;

		if (off < seg->offset || off - seg->offset >= len)
			continue;
		if (!best || (seg->exec == exec && best->exec != exec))
			best = seg;
	}
	if (!best)
		return -ENOENT;
	*vaddr = off - best->offset + best->vaddr;
	return 0;
}

/* Name a line: the demangled name and the symbol as linked. */
static void sym_line__set_name(struct symbolizer *s, struct sym_line *l, const char *raw)
{
	l->function = raw ? symbolizer__intern_fn(s, raw) : NULL;
	l->system_name = raw ? symbolizer__intern(s, raw) : NULL;
}

static const char *die__function_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	/* the linkage name demangles to the qualified C++ name */
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/* The call site an inlined instance was expanded at. */
static void die__call_site(struct symbolizer *s, Dwarf_Die *die, Dwarf_Files *files,
			   struct sym_line *out)
{
	Dwarf_Attribute attr;
	Dwarf_Word val;

	if (files && dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0)
		out->file = symbolizer__intern(s, dwarf_filesrc(files, val, NULL, NULL));
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0)
		out->line = (int)val;
}

/* Subprogram and inlined-subroutine DIEs around a pc, innermost first,
 * ending with the real function.  Returns how many, 0 without DWARF.
 */
static int module__scope_funcs(struct sym_module *m, Dwarf_Addr addr, Dwarf_Die *funcs,
			       int max, Dwarf_Files **files)
{
	Dwarf_Die *scopes = NULL, inner;
	Dwarf_Addr bias;
	Dwarf_Die *cu;
	int i, n, nf = 0;

	cu = dwfl_module_addrdie(m->mod, addr, &bias);
	if (!cu)
		return 0;
	if (dwarf_getsrcfiles(cu, files, NULL) != 0)
		*files = NULL;
	n = dwarf_getscopes(cu, addr - bias, &scopes);
	if (n <= 0)
		goto cleanup;
	/* getscopes continues into an inlined instance's abstract origin;
	 * the concrete chain of call sites comes from getscopes_die
	 */
	inner = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&inner, &scopes);
	for (i = 0; i < n && nf < max; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		funcs[nf++] = scopes[i];
		if (tag == DW_TAG_subprogram)
			break;
	}
cleanup:
	free(scopes);
	return nf;
}

/* Fills out->lines from DWARF: lines[0] already holds the line table's
 * file:line of the pc and the ELF symbol, which names the real function.
 */
static void module__inline_chain(struct symbolizer *s, struct sym_module *m, Dwarf_Addr addr,
				 struct sym_info *out)
{
	Dwarf_Die funcs[MAX_SCOPE_FUNCS];
	const char *symname = out->lines[0].function, *symsys = out->lines[0].system_name;
	Dwarf_Files *files = NULL;
	int nf, i, k = 0;

	nf = module__scope_funcs(m, addr, funcs, MAX_SCOPE_FUNCS, &files);
	if (nf <= 0)
		return;
	for (i = 0; i < nf; i++) {
		struct sym_line *l = &out->lines[k];

		/* too deep: keep the innermost frames and the real function */
		if (k == SYM_MAX_INLINE - 1 && i != nf - 1)
			continue;
		sym_line__set_name(s, l, die__function_name(&funcs[i]));
		if (dwarf_decl_line(&funcs[i], &l->start_line))
			l->start_line = 0;
		if (i > 0) {
			l->file = NULL;
			l->line = 0;
			die__call_site(s, &funcs[i - 1], files, l);
		}
		k++;
	}
	out->nlines = k;
	if (symname && dwarf_tag(&funcs[nf - 1]) == DW_TAG_subprogram) {
		out->lines[k - 1].function = symname;
		out->lines[k - 1].system_name = symsys;
	}
}

static int public_cmp(const void *a, const void *b)
{
	const struct public_name *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return strlen(x->name) < strlen(y->name) ? -1 : strlen(x->name) > strlen(y->name);
}

static void module__build_publics(struct sym_module *m)
{
	int i, n = dwfl_module_getsymtab(m->mod);
	size_t cap = 0;

	m->publics_built = true;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &value, NULL, NULL, NULL);

		if (!name || name[0] == '_' || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    GELF_ST_BIND(sym.st_info) == STB_LOCAL || sym.st_shndx == SHN_UNDEF)
			continue;
		if (ARRAY_GROW(m->publics, cap, m->npublics + 1))
			return;
		m->publics[m->npublics++] = (struct public_name){ value, name };
	}
	if (m->npublics > 1)
		qsort(m->publics, m->npublics, sizeof(*m->publics), public_cmp);
}

/* The public alias of a reserved name (__libc_malloc -> malloc), or name. */
static const char *module__public_name(struct sym_module *m, const char *name, GElf_Addr value)
{
	size_t lo = 0, hi;

	if (!name || name[0] != '_')
		return name;
	if (!m->publics_built)
		module__build_publics(m);
	hi = m->npublics;
	while (lo < hi) {	/* the first entry at value: the shortest name */
		size_t mid = (lo + hi) / 2;

		if (m->publics[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->npublics && m->publics[lo].value == value ? m->publics[lo].name : name;
}

/* Everything about one ELF virtual address of a module. */
static void module__lookup(struct symbolizer *s, struct sym_module *m, uint64_t vaddr,
			   struct sym_info *out)
{
	Dwarf_Addr addr = vaddr + m->bias;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;
	Dwfl_Line *line;
	int lineno = 0;

	name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
	out->lines[0].system_name = name ? symbolizer__intern(s, name) : NULL;
	if (name)
		name = module__public_name(m, name, addr - off);
	out->lines[0].function = name ? symbolizer__intern_fn(s, name) : NULL;
	out->sym_offset = name ? off : 0;
	out->nlines = 1;
	line = dwfl_module_getsrc(m->mod, addr);
	if (line) {
		const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);

		out->lines[0].file = symbolizer__intern(s, file);
		out->lines[0].line = file ? lineno : 0;
	}
	module__inline_chain(s, m, addr, out);
	out->kind = out->lines[out->nlines - 1].function ? SYM_NATIVE : SYM_UNKNOWN;
}

/* A released module's session again, from the file of e. */
static int module__reopen(struct symbolizer *s, struct sym_module *m, const struct map_entry *e,
			  pid_t pid, const char *root)
{
	char path[PATH_MAX];
	struct stat st;
	bool gone;
	int fd;

	fd = map_entry__open(s, e, pid, root, path, sizeof(path), &st, &gone);
	if (fd < 0)
		return -ENOENT;
	if (st.st_dev != m->dev || st.st_ino != m->ino) {
		close(fd);
		return -ESTALE;
	}
	return module__open(s, m, fd, path);
}

static void symbolizer__resolve_file(struct symbolizer *s, pid_t pid, const struct map_entry *e,
				     const char *root, uint64_t addr, struct sym_info *out)
{
	struct addr_entry key, *hit;
	char gone_name[PATH_MAX + 16];
	struct sym_module *m;
	void **node;
	bool gone;

	out->module = symbolizer__intern(s, e->path);
	out->module_offset = addr - e->start + e->offset;
	m = symbolizer__module(s, e, pid, root, &gone);
	if (gone && !strstr(e->path, DELETED_SUFFIX)) {
		/* deleted or replaced since: read through map_files while the
		 * process lives, never another file's symbols
		 */
		snprintf(gone_name, sizeof(gone_name), "%s" DELETED_SUFFIX, e->path);
		out->module = symbolizer__intern(s, gone_name);
	}
	if (!m || (!m->dwfl && !m->released))
		return;
	out->build_id = m->build_id;
	key.m = m;
	if (module__vaddr(m, out->module_offset, e->perms[2] == 'x', &key.vaddr))
		return;
	node = tfind(&key, &s->addrs, addr_cmp);
	if (node) {
		hit = *node;
	} else {
		if (!m->dwfl && module__reopen(s, m, e, pid, root))
			return;	/* its file is out of reach now */
		m->used = s->trims;
		hit = calloc(1, sizeof(*hit));
		if (!hit)
			return;
		hit->m = m;
		hit->vaddr = key.vaddr;
		module__lookup(s, m, key.vaddr, &hit->info);
		if (!tsearch(hit, &s->addrs, addr_cmp)) {
			free(hit);
			return;
		}
	}
	out->kind = hit->info.kind;
	out->sym_offset = hit->info.sym_offset;
	out->nlines = hit->info.nlines;
	memcpy(out->lines, hit->info.lines, sizeof(out->lines));
}

/* "START SIZE name": hex numbers, the name runs to the end of the line. */
static int perf_map__parse_line(char *line, struct jit_sym *out)
{
	char *p = line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	out->start = strtoull(p, &end, 16);
	if (errno || (*end != ' ' && *end != '\t'))
		return -EINVAL;
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	out->size = strtoull(p, &end, 16);
	if (errno || (*end != ' ' && *end != '\t') || !out->size ||
	    out->start + out->size < out->start)
		return -EINVAL;
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strlen(p);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	if (!*p)
		return -EINVAL;
	out->name = strdup(p);
	return out->name ? 0 : -ENOMEM;
}

static int jit_sym_cmp(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int perf_map__add(struct perf_map *pm, size_t *cap, struct jit_sym *sym)
{
	if (ARRAY_GROW(pm->v, *cap, pm->n + 1))
		return -ENOMEM;
	sym->seq = pm->n;
	pm->v[pm->n++] = *sym;
	return 0;
}

/* Skips malformed and over-long lines; stops at PERF_MAP_MAX_ENTRIES. */
static void perf_map__parse(struct perf_map *pm, FILE *f)
{
	char buf[PERF_MAP_LINE_MAX];
	struct jit_sym sym;
	size_t cap = 0, i, j;
	int c;

	while (pm->n < PERF_MAP_MAX_ENTRIES && fgets(buf, sizeof(buf), f)) {
		if (!strchr(buf, '\n') && !feof(f)) {
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (perf_map__parse_line(buf, &sym))
			continue;
		if (perf_map__add(pm, &cap, &sym)) {
			free(sym.name);
			break;
		}
	}
	if (!pm->n)
		return;
	qsort(pm->v, pm->n, sizeof(*pm->v), jit_sym_cmp);
	/* one entry per start: the last line written for it */
	for (i = 0, j = 1; j < pm->n; j++) {
		if (pm->v[j].start == pm->v[i].start)
			free(pm->v[i].name);
		else
			i++;
		pm->v[i] = pm->v[j];
	}
	pm->n = i + 1;
}

/* Owned by the process's user, a regular file, not a symlink: otherwise
 * anyone could name the frames of someone else's process.
 */
static FILE *perf_map__open(pid_t pid, struct stat *st)
{
	char path[64];
	struct stat pst;
	FILE *f = NULL;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || stat(path, &pst) ||
	    pst.st_uid != st->st_uid)
		goto cleanup;
	f = fdopen(fd, "r");
	if (f)
		fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return f;
}

/* Parses the perf map again when its size changed since the last time. */
static void perf_map__refresh(struct perf_map *pm)
{
	char path[64];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pm->pid);
	if (lstat(path, &st) || (pm->tried && st.st_size == pm->size))
		return;
	/* a refused file is not tried again until it changes either */
	pm->tried = 1;
	pm->size = st.st_size;
	f = perf_map__open(pm->pid, &st);
	if (!f)
		return;
	perf_map__clear(pm);
	perf_map__parse(pm, f);
	fclose(f);
}

static struct perf_map *symbolizer__perf_map(struct symbolizer *s, pid_t pid)
{
	struct perf_map key = { .pid = pid }, *pm;
	void **node;

	node = tfind(&key, &s->perf_maps, perf_map_cmp);
	if (node) {
		pm = *node;
	} else {
		pm = calloc(1, sizeof(*pm));
		if (!pm)
			return NULL;
		pm->pid = pid;
		if (!tsearch(pm, &s->perf_maps, perf_map_cmp)) {
			free(pm);
			return NULL;
		}
	}
	perf_map__refresh(pm);
	return pm;
}

static const struct jit_sym *perf_map__find(const struct perf_map *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	/* the last entry starting at or before addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - pm->v[lo - 1].start >= pm->v[lo - 1].size)
		return NULL;
	return &pm->v[lo - 1];
}

/* Memory without a file: a perf map names it, or nothing does. */
static void symbolizer__resolve_anon(struct symbolizer *s, pid_t pid, const struct map_entry *e,
				     uint64_t addr, struct sym_info *out)
{
	const struct perf_map *pm = pid > 0 ? symbolizer__perf_map(s, pid) : NULL;
	const struct jit_sym *sym = pm ? perf_map__find(pm, addr) : NULL;
	const char *path = e && e->path ? e->path : "";
	int exec = e && e->perms[2] == 'x';

	out->module_offset = addr;
	if (sym) {
		out->kind = SYM_JIT;
		out->module = symbolizer__intern(s, "[jit]");
		out->sym_offset = addr - sym->start;
		out->lines[0].function = symbolizer__intern_fn(s, sym->name);
		return;
	}
	/* named pseudo-mappings ([vdso], [heap]...) keep their name */
	if (exec && (path[0] != '[' || strncmp(path, "[anon", 5) == 0))
		out->module = symbolizer__intern(s, "[jit]");
	else if (path[0])
		out->module = symbolizer__intern(s, path);
	else
		out->module = symbolizer__intern(s, "[unknown]");
}

int symbolizer__resolve(struct symbolizer *s, pid_t pid, const struct proc_maps *maps,
			const char *root, uint64_t addr, struct sym_info *out)
{
	const struct map_entry *e;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->kind = SYM_UNKNOWN;
	out->nlines = 1;
	e = maps ? proc_maps__find(maps, addr) : NULL;
	if (e && map_entry__is_file(e))
		symbolizer__resolve_file(s, pid, e, root, addr, out);
	else
		symbolizer__resolve_anon(s, pid, e, addr, out);
	return 0;
}

void symbolizer__set_kept_files(struct symbolizer *s, sym_kept_file_fn fn, void *ctx)
{
	s->kept_file = fn;
	s->kept_ctx = ctx;
}

static void module__trim(const void *node, VISIT which, void *ctx)
{
	struct sym_module *m = *(struct sym_module *const *)node;
	const struct symbolizer *s = ctx;

	if ((which == postorder || which == leaf) && m->dwfl && s->trims - m->used >= SYM_IDLE_TRIMS)
		module__release(m);
}

void symbolizer__trim(struct symbolizer *s)
{
	if (!s)
		return;
	s->trims++;
	twalk_r(s->modules, module__trim, s);
}

static void module__count(const void *node, VISIT which, void *ctx)
{
	const struct sym_module *m = *(const struct sym_module *const *)node;
	size_t *n = ctx;

	if ((which == postorder || which == leaf) && m->dwfl)
		(*n)++;
}

size_t symbolizer__open_modules(const struct symbolizer *s)
{
	size_t n = 0;

	if (s)
		twalk_r(s->modules, module__count, &n);
	return n;
}

void symbolizer__forget_pid(struct symbolizer *s, pid_t pid)
{
	struct perf_map key = { .pid = pid }, *pm;
	void **node;

	if (!s)
		return;
	node = tfind(&key, &s->perf_maps, perf_map_cmp);
	if (!node)
		return;
	pm = *node;
	tdelete(&key, &s->perf_maps, perf_map_cmp);
	perf_map__free(pm);
}
