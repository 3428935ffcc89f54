/* user/trace/holds.h: the processes BPF stopped (SIGSTOP) until memleakbpf
 * has looked at a file they mapped, and their release (SIGCONT).
 *
 * BPF puts a process in the "held" map before it stops it.  Each hold is
 * noted from its event and released once the events are applied; every
 * process in the map is released when memleakbpf ends; and a guard process,
 * forked before any BPF object exists and holding nothing but that map,
 * releases them when memleakbpf dies without ending (SIGKILL, a crash).
 * No process is left stopped.
 */
#ifndef HOLDS_H
#define HOLDS_H

#include <stdint.h>
#include <sys/types.h>

struct holds;

/* Fork the guard (before the BPF objects are made: it inherits none of
 * them).  NULL with errno set.
 */
struct holds *holds__new(void);
/* The "held" map, once loaded: given to the guard.  0 or -errno. */
int holds__arm(struct holds *h, int held_fd);
/* pid was stopped at since_ns (CLOCK_MONOTONIC; an event said so). */
void holds__note(struct holds *h, pid_t pid, uint64_t since_ns);
/* Continue the processes noted. */
void holds__release(struct holds *h);
/* Continue every process in the map, noted or not. */
void holds__release_all(struct holds *h);
/* pid has exited: its entry goes, if it had one. */
void holds__forget(struct holds *h, pid_t pid);
/* release_all, say (-v) how many holds there were and how long they
 * lasted, then end the guard (a clean end).  Accepts NULL.
 */
void holds__free(struct holds *h);

#endif /* HOLDS_H */
