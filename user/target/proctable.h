/* user/target/proctable.h: what we know of each traced process.
 *
 * Keeps what must outlive the process itself: its name and its memory map
 * (to symbolise its stacks after it has exited).  proctable.c is the one
 * writer of struct proc: other modules read its fields and change them
 * through the functions below.  The report history of a process belongs
 * to the collector (user/report/history.h), its Node.js state to
 * user/trace/node.h.
 */
#ifndef PROCTABLE_H
#define PROCTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memleak.h"
#include "target/procmaps.h"

struct allocator_lib;

/* Images of a pid left since the last purge, remembered one by one. */
#define PROC_LEFT_MAX 4

struct proc {
	pid_t pid;
	pid_t ppid;			/* the parent, when its fork was seen; else 0 */
	uint32_t exec_id;		/* 0: not known yet */
	uint32_t image;			/* execve calls seen since we knew it */
	char comm[16];
	char root[32];			/* "/proc/PID/root" */
	bool loaded;			/* comm and map read from /proc (or inherited) */
	bool exited;			/* its exit has been seen */
	bool rescan_allocators;		/* look for allocator files it maps */
	bool purge_images;		/* drop entries of images other than exec_id */
	bool forked;			/* a child's fork was seen */
	/* The images it left since the last purge (its own before an
	 * execve, the process's that had the pid before it), whose entries
	 * go at the next purge even if it has exited meanwhile; more than
	 * PROC_LEFT_MAX, or one not known: every image but exec_id.
	 */
	uint32_t left[PROC_LEFT_MAX];
	uint8_t nleft;
	bool left_unknown;
	struct proc_maps maps;		/* last snapshot */
	const char *allocator;		/* display path of its first allocator */
	char *cgroup;			/* its cgroup v2 path when last read (at first
					 * sight and at exec); NULL: unknown */
	uint64_t start_time;		/* /proc/PID/stat's, in clock ticks since boot:
					 * who the pid names; 0: unknown */
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

/* Whether the process is gone: /proc has no such pid, or the pid names
 * another process now (another start time).
 */
bool proc__gone(const struct proc *p);

/* Re-read /proc/PID/maps; keeps the old snapshot if the process is gone. */
int proc__refresh_maps(struct proc *p);
/* Add a mapping learnt from an event (the process may be gone already). */
int proc__add_mapping(struct proc *p, const struct map_entry *e);
/* [start, end) was unmapped: its executable file mappings wholly inside
 * are marked unmapped (kept, to name the stacks taken while they were
 * there).  Returns how many were marked.
 */
int proc__unmap(struct proc *p, uint64_t start, uint64_t end);
void proc__set_comm(struct proc *p, const char *comm);
/* The image's exec id, from the first event that tells it. */
void proc__note_exec_id(struct proc *p, uint32_t exec_id);
/* The allocator file its probes are on (a path that outlives it). */
void proc__set_allocator(struct proc *p, const char *display_path);
/* Whether the files it maps must be looked at for allocators. */
void proc__set_rescan(struct proc *p, bool rescan);
/* Its old images' entries have been dropped. */
void proc__images_purged(struct proc *p);
/* Whether exec_id is an image it has left (entries to purge). */
bool proc__left_image(const struct proc *p, uint32_t exec_id);
/* Whether an event of image exec_id for p's pid comes from another
 * process: p has exited, and that image is not its own.
 */
bool proc__taken_by(const struct proc *p, uint32_t exec_id);
/* p's pid names another process now (image exec_id, 0: not known): p
 * starts over as that one, nothing of the old carried over (name, map,
 * allocator, cgroup, start time; its image count moves on, so its
 * report history starts afresh), and the old one's entries are left
 * images, dropped at the next purge.
 */
void proc__renew(struct proc *p, uint32_t exec_id);

/* pid called execve (exec_id is the new image's, comm its name): a process
 * seen before drops its map and allocator, and is marked for its old
 * images to be purged.  Returns the process, or NULL without memory.
 */
struct proc *proctable__exec(struct proctable *t, pid_t pid, uint32_t exec_id, const char *comm);
/* The last thread of pid exited.  An unknown pid is adopted when adopt
 * (system-wide: it may hold blocks we never had an event for).  Returns
 * the process if this is news, NULL if unknown or already seen exiting.
 */
struct proc *proctable__exit(struct proctable *t, pid_t pid, uint32_t exec_id, const char *comm,
			     bool adopt);
/* parent forked child (its image: child_exec_id): until it calls execve,
 * the child runs its parent's code.  Returns the child, or NULL without
 * memory.
 */
struct proc *proctable__fork(struct proctable *t, pid_t parent, pid_t child, uint32_t child_exec_id);
/* Remember the path of every file in m, by device and inode, so that a
 * mapping reported by BPF (device, inode) can be named after its process
 * has gone.
 */
void proctable__learn_paths(struct proctable *t, const struct proc_maps *m);
/* The path of (dev as the kernel encodes it, inode), or NULL. */
const char *proctable__path_of(struct proctable *t, uint32_t kdev, uint64_t inode);
/* A file that its path does not reach from our mount namespace (a
 * process's in another namespace, or deleted) is kept open as it is
 * learnt, up to 256 files, while a process in the table maps it: its
 * (borrowed) fd, or -1.  *at_path: it was at its path in its process's
 * namespace (not deleted).
 */
int proctable__kept_fd(struct proctable *t, uint32_t major, uint32_t minor, uint64_t inode,
		       bool *at_path);
/* Close the kept files no process in the table maps any more. */
void proctable__release_kept(struct proctable *t);

#endif /* PROCTABLE_H */
