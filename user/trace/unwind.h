/* user/trace/unwind.h: the CFI tables of the traced processes, in BPF.
 *
 * For each executable file a traced process maps, the table of its CFI is
 * built once (user/target/cfi.c), keyed by device and inode and shared by
 * build id, and its rows copied into "unwind_rows", an array map that
 * memleakbpf maps into its own memory and fills in place.  Each process
 * gets its executable mappings in "unwind_procs" (address range -> rows,
 * load bias), which the walk in bpf/unwind.bpf.h searches.  All tables
 * share a budget (--unwind-memory): a file past it is walked by frame
 * pointers, and that is counted (ML_UW_FP_STEP_BUDGET), never silent.
 *
 * A table lives while a process's entry points to it.  Once none does
 * (the processes exited, unmapped the file, or exec'd), it stays loaded,
 * idle, for a file mapped again, until its room is needed by another
 * table (the least recently used idle tables go first) or more than a few
 * dozen are idle.  Then it leaves "unwind_files", and its room is taken
 * again only after an RCU grace period, when no walk that found it can
 * still be running.  Rows never move: the room is kept as a list of free
 * ranges (util/ranges.h), and a table that fits in no free range after
 * every idle table has gone is over the budget.
 */
#ifndef UNWIND_H
#define UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memleak.h"
#include "target/proctable.h"

/* "auto", "dwarf", "fp"; "?" out of range. */
const char *unwind_mode_name(enum ml_unwind_mode m);
int parse_unwind_mode(const char *s, enum ml_unwind_mode *out);	/* 0 or -EINVAL */

struct unwinder;

/* The maps the walk reads: rows and index are BPF_F_MMAPABLE arrays of
 * that many blocks, filled in place.
 */
struct unwind_maps {
	int rows_fd, index_fd, procs_fd, files_fd;
	size_t row_blocks, index_blocks;
	volatile __u32 *epoch;	/* the BPF side's unwind_epoch */
};

/* NULL with errno set. */
struct unwinder *unwinder__new(const struct unwind_maps *maps);

/* How --unwind-memory is shared: three quarters for the rows, the rest
 * for their indexes.  At least one block each.
 */
void unwind_budget_split(uint64_t bytes, size_t *row_blocks, size_t *index_blocks);
void unwinder__free(struct unwinder *u);	/* accepts NULL */

/* Give p's executable mappings, as its map says now (less those marked
 * unmapped), to the walk (tables built as needed); the tables of its
 * previous entry that it no longer maps are left to others.  0 or -errno.
 */
int unwinder__sync(struct unwinder *u, const struct proc *p);
/* Build the table of the file at path now (a command about to run): its
 * first frames are walked by it from its first instruction.  0 or -errno.
 */
int unwinder__prepare(struct unwinder *u, const char *path);
/* pid has gone, or its image has (execve): its entry goes. */
void unwinder__forget(struct unwinder *u, pid_t pid);

/* Walks recorded so far may not be replayed: the stacks they gave have
 * been taken out of BPF's table (stacktable.h).
 */
void unwinder__forget_walks(struct unwinder *u);
/* Whether pid has an entry. */
bool unwinder__knows(const struct unwinder *u, pid_t pid);

struct unwind_stats {
	size_t tables;			/* files with rows in the budget */
	size_t files_without_cfi;	/* files that have none (or an unreadable one) */
	size_t files_over_budget;	/* tables that did not fit */
	size_t build_failures;		/* files whose CFI was malformed, too big or too slow */
	size_t idle;			/* of tables: mapped by no traced process now */
	size_t released;		/* tables released since the start */
	uint64_t bytes_released;	/* the rows and index they held */
	uint64_t bytes_reused;		/* rows and index loaded into room released tables held */
	size_t rows;			/* rows loaded */
	uint64_t bytes, budget;		/* of "unwind_rows" */
	double build_s;			/* time spent building tables */
};

void unwinder__stats(const struct unwinder *u, struct unwind_stats *out);

#endif /* UNWIND_H */
