/* user/target/regions.h: accounting of anonymous mappings and of the heap break.
 *
 * Mapping syscalls arrive from BPF in order (bpf/memleak.h, struct
 * ml_event).  Their accounting needs interval arithmetic -- a munmap may
 * cut a mapping in two, an mremap may grow, shrink or move it, an mprotect
 * may turn a PROT_NONE reservation into memory -- so it is done here.
 * Each byte of a counted interval belongs to one (stack, category) of the
 * process image; the per-site totals mirror BPF's site table ("site_stats").
 *
 * Rules:
 *  - mmap of an anonymous private mapping: counted, unless PROT_NONE (a
 *    reservation: remembered, not counted, until mprotect makes it usable);
 *    the new range first replaces whatever was tracked there (MAP_FIXED).
 *  - munmap: every tracked byte in the range is released (partial cuts too).
 *  - mremap: the tracked bytes of the old range move with their owner to the
 *    new address; growth is owned by the mremap's own stack and category;
 *    shrinking releases the tail.
 *  - mprotect: PROT_NONE -> usable makes reserved bytes counted (owned by the
 *    mprotect's stack/category); usable -> PROT_NONE un-counts them.
 *  - brk: growth [old break, new break) is a new interval owned by the brk's
 *    stack/category, shrinking releases the top.  The first brk event of a
 *    process only sets its break (a query, brk(0), grows nothing); a failed
 *    brk returns the old break and changes nothing.
 *
 * Ranges are whole pages as the kernel maps them: lengths round up to 4096,
 * an unaligned start is a call that failed (ignored), and the heap ends at
 * the break rounded up.  mmap, mremap and brk open an image never seen;
 * munmap and mprotect of one are ignored.
 *
 * Counting: every mmap (and brk growth, and each mprotect that makes
 * reserved bytes usable) is one mapping of its site.  Pieces left by cuts
 * stay that one mapping: outstanding_count counts mappings with a counted
 * byte left, not intervals.  mremap growth joins the mapping it extends if
 * that mapping is the same site's (a realloc-like grow), else it is a new
 * mapping of the mremap's site; growing a reservation stays reserved.  A
 * fork's inherited mappings are not the child's: unmapping them in the
 * child changes nothing.  MREMAP_DONTUNMAP is a move (the old range keeps
 * no pages).
 */
#ifndef REGIONS_H
#define REGIONS_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>	/* memleak.h's __u32 and friends */
#include "memleak.h"

struct regions;

/* Per-site totals, like struct ml_stat. */
struct region_site {
	uint64_t stack_id;
	uint32_t category;
	int64_t outstanding_bytes;
	int64_t outstanding_count;	/* mappings with bytes alive (not pieces) */
	uint64_t total_bytes;		/* ever counted for this site */
	uint64_t total_count;		/* mappings ever counted */
	uint64_t oldest_ts_ns;		/* ts of the oldest byte still mapped; 0 if none */
};

struct regions *regions__new(void);
void regions__free(struct regions *r);		/* accepts NULL */

/* Apply one event of process image (pid, exec_id); other event types are
 * ignored.  Returns 0, or -ENOMEM with the event not applied.
 */
int regions__apply(struct regions *r, const struct ml_event *e);

/* Forget process images.  regions__apply() acts on mapping events only
 * (MMAP, MUNMAP, MREMAP, MPROTECT, BRK); the caller decides when an image
 * ends, typically after a last report:
 *  - regions__drop_pid(): pid exited, forget all of its images;
 *  - regions__drop_other_images(): pid called execve, keep only the image
 *    keep_exec_id (the new one) and forget the others.
 */
void regions__drop_pid(struct regions *r, pid_t pid);
void regions__drop_other_images(struct regions *r, pid_t pid, uint32_t keep_exec_id);

/* Visit every site with outstanding or total bytes of pid (all pids if
 * pid == 0).  min_age_ns > 0: only count bytes mapped at least that long
 * before now_ns (outstanding_* and oldest_ts_ns then cover those bytes
 * only; totals never age).  Outstanding values are computed from the
 * intervals, O(intervals) per image.  fn must not change r.
 */
typedef void (*regions_visit_fn)(pid_t pid, uint32_t exec_id, const struct region_site *site, void *ctx);
void regions__visit(struct regions *r, pid_t pid, uint64_t now_ns, uint64_t min_age_ns,
		    regions_visit_fn fn, void *ctx);

#endif /* REGIONS_H */
