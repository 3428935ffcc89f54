/* tests/unit/tmpdir.h: a temporary directory for a test that writes files,
 * what it holds, and its removal.
 */
#ifndef TMPDIR_H
#define TMPDIR_H

#include <stdbool.h>
#include <stddef.h>

/* Make /tmp/memleakbpf-<what>-XXXXXX into dir (of len bytes); false (and
 * the test failed) when it cannot be made.
 */
bool tmpdir_make(char *dir, size_t len, const char *what);
/* The names in dir, sorted, one space between: "a.svg b.folded".  "" for
 * an empty directory, "(unreadable)" when it cannot be read.  Static: the
 * next call overwrites it.
 */
const char *tmpdir_list(const char *dir);
/* Remove dir and everything under it (made writable first). */
void tmpdir_remove(const char *dir);

#endif /* TMPDIR_H */
