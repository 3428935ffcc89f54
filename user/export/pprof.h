/* user/export/pprof.h: the report as a pprof heap profile (go tool pprof), and
 * any pprof file read back as a profile for `memleakbpf diff`.
 *
 * The file is profile.proto (proto/profile.proto), gzip-compressed, shaped
 * like a Go heap profile so that pprof's defaults fit:
 *
 *   sample types   alloc_objects/count, alloc_space/bytes,
 *                  inuse_objects/count, inuse_space/bytes (the default)
 *   samples        one per stack of the report (stacks[0..nprofile)) but
 *                  those of the allocator category (the arenas that hold
 *                  the native heap: profile__from_report leaves them out
 *                  too), with the labels pid (number), comm and category,
 *                  and, when the process's cgroup is known, cgroup and the
 *                  container and unit it names (target/cgroups.h)
 *   locations      one per (process, mapping, address, lines); the address
 *                  is the one the stack walk saw (a return address for
 *                  callers); an inlined run of frames is one location whose
 *                  lines go innermost first, the real function last
 *   mappings       one per (process, mapping start, module), with the range,
 *                  file offset, path and build id as /proc/PID/maps and the
 *                  ELF file gave them (0 when unknown); JIT code without a
 *                  known range goes to a "[jit]" mapping of its process;
 *                  frames with neither module nor range have no mapping
 *
 * Every location carries at least one line: a frame the symbolizer could
 * not name gets a function named as in every other export (profile.h:
 * "libfoo.so+0x1a2b", "[jit]" or "[unknown]"), so `go tool pprof -top`
 * shows where it is instead of a bare address.  Every mapping says
 * has_functions: symbolization was done when the stack was taken, and the
 * binary now at that path may not be the one that ran, so pprof must not
 * redo it (pprof never symbolizes "[...]" mappings either).  A function's
 * system_name is written only when it differs from its name: pprof
 * re-demangles and shortens ("(...)", "<...>" dropped) names whose
 * system_name equals the name, and would then show other names than the
 * text report.
 */
#ifndef PPROF_H
#define PPROF_H

#include <stddef.h>
#include <stdio.h>
#include "report/model.h"
#include "export/profile.h"

/* The profile's drop_frames: the allocation API as the report names its
 * frames, a regular expression (RE2, and POSIX ERE alike) that pprof
 * anchors at both ends and matches against each function name cut at its
 * first '(' ("operator new(unsigned long)" is "operator new").  pprof
 * drops a matching frame and every frame below it, so the caller that
 * leaks is the leaf ("flat" in -top) of each sample; the stack written is
 * whole, and the folded and SVG exports keep the allocator frame.
 *
 * The names are those probed (target/allocators.c: the malloc family,
 * C++'s operator new and delete, Node's ArrayBuffer allocator, the libc
 * functions that allocate for their caller) and the system calls that map
 * memory, with the prefixes of their aliases: glibc's __libc_malloc,
 * __GI___mmap64, _IO_getdelim, tcmalloc's tc_realloc, tc_newarray.
 */
#define PPROF_DROP_FRAMES \
	"(__GI_)?_*(libc_|je_|tc_|IO_)?(malloc|calloc|realloc|reallocarray|free|cfree|" \
	"posix_memalign|aligned_alloc|memalign|valloc|pvalloc|" \
	"strdup|strndup|wcsdup|asprintf|vasprintf|getline|getdelim|realpath|" \
	"open_memstream|get_current_dir_name|" \
	"mmap|mmap64|munmap|mremap|mprotect|brk|sbrk)" \
	"|tc_(new|newarray|delete|deletearray)(_[a-z_]+)?" \
	"|operator (new|delete)(\\[\\])?" \
	"|node::(Node|Debugging)ArrayBufferAllocator::(Allocate|AllocateUninitialized|Reallocate|Free)"

/* Where an encoded profile goes: write() takes each piece in order,
 * 0 or -errno (which ends the encoding).
 */
struct pprof_sink {
	int (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

/* The one encoder: r's stacks[0..nprofile) as a gzipped profile.proto into
 * sink, default_type the sample type pprof shows unless told
 * ("inuse_space", "alloc_space"; NULL: inuse_space).  0 or -errno.
 */
int pprof__encode(const struct report *r, const char *default_type,
		  const struct pprof_sink *sink);

/* Write r's stacks[0..nprofile) to out (inuse_space by default).  0 or -errno. */
int pprof__write(const struct report *r, FILE *out);

/* The profile in memory: malloc'd data[0..len), the caller's to free. */
struct pprof_mem {
	unsigned char *data;
	size_t len, cap;
};

/* pprof__encode() into *out.  0, or -errno with *out empty. */
int pprof__encode_mem(const struct report *r, const char *default_type, struct pprof_mem *out);

/* Read a pprof file (gzip-compressed or not; ours or any valid profile)
 * into out, one sample per pprof sample with a non-zero value:
 *
 *   sample_type   the value to take ("inuse_space", ...); NULL: the file's
 *                 default_sample_type, else its last type (as pprof does)
 *   frames        root first: "comm (pid)" when the sample has the comm
 *                 and pid labels, then one frame per line of each location;
 *                 kinds: FRAME_JIT in a JIT mapping ("[jit]", "//anon",
 *                 perf maps), FRAME_UNKNOWN without a function (named
 *                 "module+0xoffset" or "[unknown]") or with one of the
 *                 names above, FRAME_INLINED for all but the last line;
 *                 a stack written without frames (its one "[no stack]"
 *                 location) reads back as the process alone
 *   category      from the "category" label; -1 without one
 *
 * out->metric follows the sample type (inuse_space: METRIC_OUTSTANDING,
 * inuse_objects: METRIC_COUNT, alloc_space: METRIC_ALLOC_BYTES,
 * alloc_objects: METRIC_ALLOCS; others by unit), out->title is the path.
 * On failure: -errno (-EINVAL for what is not a pprof profile or has no
 * such sample type, -ERANGE when the sample values add up past
 * PROFILE_READ_MAX, -E2BIG when the samples expand to more than 4 frames
 * or 256 bytes of names per byte of the file: a location's lines and a
 * function's name are written once, referenced by id any number of times)
 * and a one-line message in err, such as
 * "x.pb.gz: not a pprof profile: ..." or
 * "x.pb.gz: no sample type 'foo' (have: alloc_objects, ...)".
 */
int pprof__read(const char *path, const char *sample_type, struct profile *out,
		char *err, size_t errlen);

#endif /* PPROF_H */
