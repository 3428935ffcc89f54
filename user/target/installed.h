/* user/target/installed.h: the allocator libraries installed on the machine
 * -- the C library, jemalloc, tcmalloc, mimalloc -- found by name in the
 * standard directories, so that they can be attached to before any
 * process loads them (system-wide and -p: a process started later is
 * counted from its first call).
 */
#ifndef INSTALLED_H
#define INSTALLED_H

#include <limits.h>
#include <stdbool.h>

/* Is name (a file name, no directory) one of theirs: libc.so.*,
 * libjemalloc.so*, libtcmalloc*.so*, libmimalloc*.so*?
 */
bool installed__is_allocator_name(const char *name);

/* Their real paths (symbolic links followed, each file once, regular
 * files only) in files, at most max: the directories of dirs in order
 * (':'-separated; NULL: SEARCHPATH_LD_DEFAULT), each one's names sorted.
 * Returns how many.
 */
int installed__allocator_files(const char *dirs, char (*files)[PATH_MAX], int max);

#endif /* INSTALLED_H */
