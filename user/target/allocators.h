/* user/target/allocators.h: which file implements a process's allocator, and where
 * each allocator function is in it.
 *
 * An allocator is any ELF file that defines malloc and free itself: glibc's
 * libc.so.6, libjemalloc, libtcmalloc, or a static executable.  Functions
 * are looked up in .dynsym, then .symtab (static binaries); each is
 * reported with its file offset (what a uprobe is attached at) and the
 * probe offset chosen by probe_place().  Results are cached by (dev, inode).
 */
#ifndef ALLOCATORS_H
#define ALLOCATORS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>	/* memleak.h's __u32 and friends */
#include <limits.h>
#include "memleak.h"
#include "target/procmaps.h"

/* libc functions that allocate or map on their caller's behalf, built
 * without frame pointers: their stack is taken at their entry and used for
 * what they allocate (bpf anchor_enter/anchor_return).  Attached under
 * --unwind fp only: a table walk goes through them.
 */
enum anchor_fn {
	ANCHOR_SBRK = 0,
	ANCHOR_MREMAP,
	ANCHOR_STRDUP,
	ANCHOR_STRNDUP,
	ANCHOR_WCSDUP,
	ANCHOR_ASPRINTF,
	ANCHOR_VASPRINTF,
	ANCHOR_GETLINE,
	ANCHOR_GETDELIM,
	ANCHOR_REALPATH,
	ANCHOR_OPEN_MEMSTREAM,
	ANCHOR_GET_CURRENT_DIR_NAME,
	ANCHOR_MAX
};

/* Where a function's probes go (probe_place()): its entry probe, and its
 * return probe when it has one (every function but the release functions,
 * ML_FN_IS_RELEASE, and V8's collectors), both at file_offset + probe_delta.
 * With a return probe, rsp is as at the function's entry there: sp_adjust
 * is 0.
 */
struct alloc_func {
	int present;
	uint64_t file_offset;	/* of the function's first byte */
	uint64_t size;		/* st_size */
	uint32_t probe_delta;	/* the probes at file_offset + probe_delta */
	uint8_t sp_adjust;	/* bytes pushed before the probe (ML_COOKIE) */
	bool emulated;		/* the kernel emulates the instruction there (else
				 * it single-steps it, ~10 us a hit) */
	const char *insn;	/* its mnemonic ("ja", "push"), static; "" if unread */
	int alias_of;		/* >= 0: same address as that enum ml_func: attach once */
};

struct code_range {
	uint64_t start, end;	/* file offsets, [start, end) */
};

struct allocator_lib {
	char *path;		/* as opened (may be under /proc/PID/root) */
	char *display_path;	/* as the process sees it */
	uint64_t dev, inode;
	int is_allocator;	/* defines malloc and free; else it only has C++'s
				 * operator new and delete (libstdc++) */
	int is_libc;		/* glibc: has the libc anchors */
	/* Its malloc, calloc and aligned allocators (alloc_func_is_leaf())
	 * call no probed function, only syscalls: glibc's shared C library,
	 * jemalloc, tcmalloc, mimalloc.  Their probes say so (ML_COOKIE_LEAF).
	 */
	int leaf_calls;
	struct alloc_func fn[ML_FN_MAX];
	struct alloc_func anchor[ANCHOR_MAX];
	/* Node.js: defines node::NodeArrayBufferAllocator (fn[ML_FN_NODE_AB_*]) */
	int is_node;
	struct alloc_func gc[ML_GC_MAX];	/* V8's collectors, for gc_enter */
	/* the full collector again, placed for its return probe (gc_full_end) */
	struct alloc_func gc_end;
	/* where V8 counts what survived a full collection, for gc_full_live */
	struct alloc_func gc_live;
	struct code_range *v8_pages;		/* V8's page allocator, sorted */
	size_t nv8_pages;
};

/* Is file_offset inside one of V8's page-allocator functions of lib?  A
 * mapping made under one holds V8 heap pages (category v8_heap).
 */
bool allocator_lib__in_v8_pages(const struct allocator_lib *lib, uint64_t file_offset);

/* Not thread-safe: one struct allocators per thread, or a lock around it. */
struct allocators;

struct allocators *allocators__new(void);
void allocators__free(struct allocators *a);	/* accepts NULL */

/* Inspect the ELF file at path; NULL when it is not an allocator.  The
 * result is cached (by dev/inode) and owned by a.
 *
 * display_path NULL means path.  On NULL, errno is 0 when the file was read
 * and is not an allocator (or not ELF), else why it could not be opened.
 * A cached answer keeps the paths of the first lookup.  Functions missing
 * from the file have present = 0; alias_of is -1 unless aliased.  strdup,
 * strndup and the anchors are filled only when is_libc (glibc, shared or
 * linked into a static executable: the file defines __libc_start_main, or is
 * named libc.so* / libc-*).  GNU IFUNC symbols are not used (their address
 * is the resolver's).  dev is st_dev as stat(2) gives it (not the kernel's
 * s_dev encoding).
 */
const struct allocator_lib *allocators__inspect(struct allocators *a, const char *path,
						const char *display_path);

/* The allocators a process maps (executable file mappings that define malloc
 * and free), at most max, most specific first (the executable, preloaded
 * libraries, then libc).  Returns how many.
 *
 * maps NULL: /proc/PID/maps is read here.  Files are opened through
 * /proc/PID/root, then by their plain path.  Returns -errno when maps
 * cannot be read or memory runs out.
 */
int allocators__for_process(struct allocators *a, pid_t pid, const struct proc_maps *maps,
			    const struct allocator_lib **out, int max);

/* For `-- CMD`, before CMD runs: the executable at path and what it will
 * load first (DT_NEEDED resolved through RUNPATH/RPATH, LD_LIBRARY_PATH and
 * the standard directories; LD_PRELOAD), keeping those that are allocators.
 *
 * exe_path without a slash is looked up in PATH.  Two levels of DT_NEEDED
 * are followed.  A script ("#!") is replaced by its interpreter (through
 * "/usr/bin/env NAME" too).  When nothing is found, the libc.so this
 * process maps.  Returns how many, at most max; -ENOENT when the command
 * is not found.
 */
int allocators__for_command(struct allocators *a, const char *exe_path,
			    const struct allocator_lib **out, int max);

/* For `-- CMD`, before CMD runs: the ELF files it maps first, found as
 * ld.so will find them -- the program (a script's interpreter), its
 * loader (PT_INTERP) and its DT_NEEDED libraries, two levels deep -- in
 * files (at most max).  Returns how many, or -errno when the command is
 * not found.
 */
int allocators__command_files(const char *exe_path, char (*files)[PATH_MAX], int max);

/* Name of an allocator function, for messages: "malloc"; "?" if out of range. */
const char *alloc_func_name(int fn);

/* Whether fn, in a library with leaf_calls, calls no probed function:
 * malloc, calloc and the aligned allocators.  Not realloc (reallocarray
 * and realloc(p, 0) reach others in some libraries), nor operator new
 * (jemalloc's new[] is a jump to its new).
 */
bool alloc_func_is_leaf(int fn);
/* Name of an anchor (enum anchor_fn): "sbrk", "mremap"; "?" if out of range. */
const char *anchor_func_name(int anchor);
/* Name of a V8 collector, for messages and probe names (lib->gc[kind]):
 * "ScavengerCollector::CollectGarbage"; "?" if out of range.
 */
const char *v8_gc_function_name(enum ml_gc_kind kind);
/* Name of the function V8 counts what survived a full collection in
 * (lib->gc_live), for messages and probe names.
 */
const char *v8_gc_live_function_name(void);

#endif /* ALLOCATORS_H */
