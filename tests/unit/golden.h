/* tests/unit/golden.h: compare output with a golden file under tests/golden/.
 *
 * Paths are relative to the repository root, where the runner is started.
 * With UPDATE_GOLDEN=1 in the environment the file is (re)written instead
 * and the check passes, saying so on stderr: review the diff before keeping it.
 */
#ifndef GOLDEN_H
#define GOLDEN_H

#include <stdbool.h>
#include <stddef.h>

/* Read a whole file; NULL if it cannot be read.  The caller frees it. */
char *golden_read(const char *path, size_t *len);
/* true when buf[0..len) equals the file (or the file was just written). */
bool golden_check(const char *path, const char *buf, size_t len);

#endif /* GOLDEN_H */
