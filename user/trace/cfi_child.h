/* user/trace/cfi_child.h: building a file's CFI table in a child process.
 *
 * The files are any that a traced process maps, read as root: a hostile
 * one can make libdw allocate gigabytes (a register number near 2^27 in an
 * FDE) or, should libdw have a bug, crash.  The child runs under a memory
 * limit and a time limit; whatever happens to it, memleakbpf gets a table
 * or an error.
 */
#ifndef CFI_CHILD_H
#define CFI_CHILD_H

#include "target/cfi.h"

#define CFI_CHILD_MEMORY (1ULL << 30)	/* address space of the child */
#define CFI_CHILD_COMM "memleakbpf-cfi"	/* its name (comm), 15 bytes at most */
#define CFI_CHILD_SECONDS 30		/* wall time before it is killed */

/* cfi_table__build(path, out), then fallback if path is gone, in a child.
 * 0 or -errno as cfi_table__build; -ECHILD when the child died (a signal,
 * the memory limit), -ETIMEDOUT when it was killed for taking too long.
 */
int cfi_child__build(const char *path, const char *fallback, struct cfi_table *out);

#endif /* CFI_CHILD_H */
