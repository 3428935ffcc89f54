/* user/util/pidmap.h: a table of per-process objects, sorted by pid.
 *
 * The modules that keep state per process (the process table, the report
 * history, the Node.js tracker) each own one; the table owns the slots,
 * the caller its objects.  Lookups are binary searches; iteration by index
 * goes in pid order.
 */
#ifndef PIDMAP_H
#define PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_slot {
	pid_t pid;
	void *obj;
};

struct pidmap {
	struct pidmap_slot *v;	/* sorted by pid */
	size_t n, cap;
};

void *pidmap__find(const struct pidmap *m, pid_t pid);	/* NULL: none */
/* Add obj for pid (which must not be there yet).  0 or -ENOMEM. */
int pidmap__insert(struct pidmap *m, pid_t pid, void *obj);
/* Remove pid and return its object (NULL: none) for the caller to free. */
void *pidmap__remove(struct pidmap *m, pid_t pid);
/* The object at index i in pid order, NULL past the end. */
void *pidmap__at(const struct pidmap *m, size_t i);
/* Frees the slots, not the objects. */
void pidmap__release(struct pidmap *m);

#endif /* PIDMAP_H */
