/* user/target/proctable.h: what we know of each traced process.
 *
 * Keeps what must outlive the process itself: its name, its memory map (to
 * symbolise its stacks after it has exited) and the history its trend is
 * judged on.
 */
#ifndef PROCTABLE_H
#define PROCTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memleak.h"
#include "target/procmaps.h"

#define PROC_HISTORY 64

struct proc_sample {
	double t;			/* seconds since tracing began */
	int64_t bytes[ML_CAT_MAX];
	/* Node.js, over the interval that ends here: V8 collections, and
	 * the least V8 heap seen as one began (-1: no collection)
	 */
	uint32_t gc[ML_GC_MAX];
	int64_t v8_floor;
};

struct allocator_lib;

struct proc {
	pid_t pid;
	pid_t ppid;			/* the parent, when its fork was seen; else 0 */
	uint32_t exec_id;
	char comm[16];
	char root[32];			/* "/proc/PID/root" */
	bool loaded;			/* comm and map read from /proc (or inherited) */
	bool exited;			/* its exit has been seen */
	bool reported_exit;		/* ... and reported: remove after the report */
	bool rescan_allocators;		/* look for allocator files it maps */
	bool purge_images;		/* drop entries of images other than exec_id */
	struct proc_maps maps;		/* last snapshot */
	const char *allocator;		/* display path of its first allocator */
	int64_t last_bytes[ML_CAT_MAX];	/* at the previous report */
	bool has_last;
	int nhist;			/* samples in hist, oldest first */
	struct proc_sample hist[PROC_HISTORY];
	/* Node.js (user/trace/node.c) */
	const struct allocator_lib *node;	/* the node file it maps, or NULL */
	size_t node_checked_n;		/* maps.n when node was last looked for */
	uint64_t gc[ML_GC_MAX];		/* V8 collections since tracing began */
	uint64_t gc_last[ML_GC_MAX];	/* ... at the previous report */
	int64_t v8_floor;		/* least V8 heap at a collection since then; -1: none */
};

struct proctable;

struct proctable *proctable__new(void);
void proctable__free(struct proctable *t);	/* accepts NULL */

/* The process, created on first sight with its comm and map read from
 * /proc (borrowed from its parent if it has gone); _lazy leaves that for
 * a later proctable__get (forks are many, few of them matter).
 */
struct proc *proctable__get(struct proctable *t, pid_t pid);
struct proc *proctable__get_lazy(struct proctable *t, pid_t pid);
struct proc *proctable__find(struct proctable *t, pid_t pid);
void proctable__remove(struct proctable *t, pid_t pid);
/* Iterate: for (i = 0; (p = proctable__at(t, i)); i++) */
struct proc *proctable__at(struct proctable *t, size_t i);
size_t proctable__count(const struct proctable *t);

/* Re-read /proc/PID/maps; keeps the old snapshot if the process is gone. */
int proc__refresh_maps(struct proc *p);
/* A forked child runs its parent's image: same comm, map and exec id. */
void proc__inherit(struct proc *child, const struct proc *parent);
/* Add a mapping learnt from an event (the process may be gone already). */
int proc__add_mapping(struct proc *p, const struct map_entry *e);
void proc__set_comm(struct proc *p, const char *comm);
/* Remember the path of every file in m, by device and inode, so that a
 * mapping reported by BPF (device, inode) can be named after its process
 * has gone.
 */
void proctable__learn_paths(struct proctable *t, const struct proc_maps *m);
/* The path of (dev as the kernel encodes it, inode), or NULL. */
const char *proctable__path_of(struct proctable *t, uint32_t kdev, uint64_t inode);

/* Append a report sample (drops the oldest when full), with the V8
 * collections and floor of the interval, which start afresh.
 */
void proc__push_sample(struct proc *p, double t, const int64_t bytes[ML_CAT_MAX]);

#endif /* PROCTABLE_H */
