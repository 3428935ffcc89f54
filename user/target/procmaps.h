/* user/target/procmaps.h: a process's memory map, from /proc/PID/maps.
 *
 * A snapshot is kept per process so that its stacks can still be
 * symbolised after it has exited (its /proc entry is gone by then).
 */
#ifndef PROCMAPS_H
#define PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end;	/* [start, end) */
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char perms[5];		/* "r-xp" */
	char *path;		/* file path, "[heap]", "[anon:...]", or "" */
	/* unmapped since the snapshot (munmap, dlclose): kept to name the
	 * stacks taken while it was there, walked by no table
	 */
	bool unmapped;
};

struct proc_maps {
	pid_t pid;
	size_t n;
	struct map_entry *v;	/* sorted by start */
	/* Entries allocated in v, for ARRAY_GROW(); 0 when v was built by
	 * hand (ARRAY_GROW then reallocates, which is safe).
	 */
	size_t cap;
};

/* Parse text in /proc/PID/maps format.  0 or -errno; on error out is empty. */
int proc_maps__parse(FILE *f, struct proc_maps *out);
/* Read /proc/PID/maps.  -ENOENT when the process is gone. */
int proc_maps__read(pid_t pid, struct proc_maps *out);
/* The entry containing addr, or NULL.  Binary search. */
const struct map_entry *proc_maps__find(const struct proc_maps *m, uint64_t addr);
/* True for a mapping backed by a regular file (not [heap], anon, deleted...). */
int map_entry__is_file(const struct map_entry *e);
/* Frees the entries; m may be reused after. Accepts an empty m. */
void proc_maps__release(struct proc_maps *m);

#endif /* PROCMAPS_H */
