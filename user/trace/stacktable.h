/* user/trace/stacktable.h: the BPF stack table ("stacks", bpf/stack.bpf.h)
 * from user space: taking back the stacks that nothing names any more.
 *
 * Stacks are interned by BPF and never deleted there.  Without a sweep, a
 * machine where processes come and go fills the table within minutes
 * (each process's stacks are its own: its libraries load at addresses of
 * their own), and every new stack is lost from then on (drops.stacks).
 */
#ifndef STACKTABLE_H
#define STACKTABLE_H

#include <stddef.h>
#include <stdint.h>

struct stack_sweep;

struct stack_sweep *stack_sweep__new(void);
void stack_sweep__free(struct stack_sweep *s);	/* accepts NULL */

/* Delete from the stack map (fd) every stack whose id is not in keep
 * (sorted, n ids) and was not in it at the previous call either: an
 * allocation in flight has its stack before its site names it.  Returns
 * how many were deleted, or -errno (the map as it was: nothing is lost).
 */
long stack_sweep__run(struct stack_sweep *s, int fd, const uint64_t *keep, size_t n);

/* Sort ids and drop the repeats; returns how many are left. */
size_t stack_ids__sort(uint64_t *ids, size_t n);

#endif /* STACKTABLE_H */
