/* user/sym/symbolize.h: addresses to function, file and line, through libdwfl.
 *
 * One libdwfl session per module file (keyed by device and inode), loaded
 * once and shared by every process that maps the file: symbol tables and
 * DWARF are read once per module.  Separate debug files are found by
 * build-id and .gnu_debuglink (libdwfl's standard search).  JIT code is
 * named from /tmp/perf-PID.map.  Strings returned stay valid until
 * symbolizer__free().
 */
#ifndef SYMBOLIZE_H
#define SYMBOLIZE_H

#include <stdint.h>
#include <sys/types.h>
#include "target/procmaps.h"

#define SYM_MAX_INLINE 8

enum sym_kind {
	SYM_NATIVE = 0,		/* a function in a module file */
	SYM_JIT,		/* named from /tmp/perf-PID.map */
	SYM_UNKNOWN,		/* no symbol: module+offset or [jit] */
};

struct sym_line {
	const char *function;	/* demangled; NULL when unknown */
	const char *system_name;	/* the symbol as linked (mangled, __libc_malloc); NULL when unknown */
	const char *file;	/* source file, NULL without debug info */
	int line;		/* 0 without debug info */
	int start_line;		/* the function's declaration line; 0: unknown */
};

struct sym_info {
	enum sym_kind kind;
	const char *module;	/* path of the module file, "[jit]", or NULL */
	uint64_t module_offset;	/* file offset of the address in module */
	const char *build_id;	/* hex, or NULL */
	/* lines[0] is the innermost frame (an inlined function when debug
	 * information says so), lines[nlines-1] the real function that
	 * contains the address.  nlines >= 1; lines[0].function may be NULL.
	 */
	int nlines;
	struct sym_line lines[SYM_MAX_INLINE];
	/* address - start of the symbol that names lines[nlines-1]
	 * (ELF symbol or perf map entry); 0 when there is none
	 */
	uint64_t sym_offset;
};

struct symbolizer;

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *s);	/* accepts NULL */

/* Resolve a user address of process pid with the given map snapshot.
 * root: path prefix for the process's files, e.g. "/proc/1234/root", or
 * NULL for our own mount namespace.  Always fills out (kind SYM_UNKNOWN
 * at worst) and returns 0; a negative errno only for invalid arguments.
 * addr is looked up as given: pass return address - 1 for caller frames.
 * Without a file behind addr, module is "[jit]" (perf map hit, or
 * executable anonymous memory), the pseudo-mapping's name ("[heap]",
 * "[vdso]"...) or "[unknown]", and module_offset is addr itself.
 */
int symbolizer__resolve(struct symbolizer *s, pid_t pid, const struct proc_maps *maps,
			const char *root, uint64_t addr, struct sym_info *out);

/* Where separate debug files are looked for, in libdwfl's format
 * (dwfl_standard_find_debuginfo): ':'-separated directories, the
 * absolute ones also searched by build-id (DIR/.build-id/xx/yyyy.debug).
 * NULL restores the default ":.debug:/usr/lib/debug".  Applies to modules
 * loaded afterwards; meant for tests.  0 or -errno.
 */
int symbolizer__set_debuginfo_path(struct symbolizer *s, const char *path);

/* Where the file of a mapping is looked for last, when neither its path
 * (through the process's root) nor /proc/PID/map_files reaches it any
 * more: a file kept open by the caller, whose process and mount
 * namespace have gone.  Returns a borrowed fd or -1; *at_path: the file
 * was at its path in its namespace (not deleted).
 */
typedef int (*sym_kept_file_fn)(void *ctx, const struct map_entry *e, bool *at_path);
void symbolizer__set_kept_files(struct symbolizer *s, sym_kept_file_fn fn, void *ctx);

/* Once per report: modules no look-up needed for the last few trims have
 * their libdwfl session ended (the ELF and debug files it mapped, libdw's
 * tables); a later address in one opens its file again.  Addresses
 * resolved before stay known.
 */
void symbolizer__trim(struct symbolizer *s);
/* Modules with a session open (for tests and -v). */
size_t symbolizer__open_modules(const struct symbolizer *s);

/* Forget per-process state (the perf map) of a process that is gone. */
void symbolizer__forget_pid(struct symbolizer *s, pid_t pid);

/* Demangle a C++ (Itanium ABI) name; returns a malloc'd string or NULL
 * when name is not mangled.
 */
char *symbolizer__demangle(const char *name);

#endif /* SYMBOLIZE_H */
