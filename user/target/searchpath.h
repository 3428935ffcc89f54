/* user/target/searchpath.h: the directories of a search list -- PATH for
 * execvp(3); LD_LIBRARY_PATH, DT_RPATH and DT_RUNPATH for ld.so -- read
 * the way glibc reads them.
 *
 * Entries are separated by any of seps.  An empty entry (leading, trailing,
 * or between two separators) is the current directory, for execvp
 * (posix/execvpe.c) and ld.so (elf/dl-load.c, fillin_rpath) alike; checked
 * on glibc 2.36 with PATH and LD_LIBRARY_PATH ":/nonexistent",
 * "/nonexistent:" and "/nonexistent::/x", and DT_RUNPATH and DT_RPATH
 * "/nonexistent:".  A list empty as a whole differs: execvp reads PATH=""
 * as one empty entry, ld.so ignores an empty LD_LIBRARY_PATH, DT_RPATH or
 * DT_RUNPATH (_dl_init_paths, decompose_rpath).
 *
 *	struct searchpath sp;
 *	char path[PATH_MAX];
 *
 *	searchpath__init_ld(&sp, getenv("LD_LIBRARY_PATH"), ":;", exe_dir);
 *	while (searchpath__next(&sp, "libc.so.6", path, sizeof(path)))
 *		try(path);
 */
#ifndef SEARCHPATH_H
#define SEARCHPATH_H

#include <stdbool.h>
#include <stddef.h>

/* execvp's PATH when the variable is unset: glibc's _CS_PATH, what
 * `getconf PATH` prints.  It has no current directory.
 */
#define SEARCHPATH_EXEC_DEFAULT "/bin:/usr/bin"

/* The standard directories, where ld.so looks last (Debian's ld.so.conf
 * for x86-64 and the built-in ones).  The ld.so.cache is not read: these
 * cover it.
 */
#define SEARCHPATH_LD_DEFAULT \
	"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib:/lib:/usr/local/lib:" \
	"/usr/local/lib/x86_64-linux-gnu"

/* ld.so's separators: LD_LIBRARY_PATH takes ';' too, DT_RPATH and
 * DT_RUNPATH do not.
 */
#define SEARCHPATH_LD_LIBRARY_SEPS ":;"
#define SEARCHPATH_RPATH_SEPS ":"

struct searchpath {
	const char *next;	/* the rest of the list; NULL after the last entry */
	const char *seps;
	const char *origin;	/* $ORIGIN's value; NULL: '$' is an ordinary byte */
};

/* list as execvp reads PATH: NULL has no entry, "" one empty entry. */
void searchpath__init(struct searchpath *sp, const char *list, const char *seps);
/* The PATH execvp searches: the environment's, else SEARCHPATH_EXEC_DEFAULT. */
void searchpath__init_exec(struct searchpath *sp);
/* list as ld.so reads it: NULL and "" have no entry.  $ORIGIN and
 * ${ORIGIN} become origin (the directory of the object whose list it is;
 * the executable's for LD_LIBRARY_PATH); an entry holding $LIB or
 * $PLATFORM is passed over (their values are ld.so's own); another '$' is
 * kept as it is, as ld.so keeps it.
 */
void searchpath__init_ld(struct searchpath *sp, const char *list, const char *seps,
			 const char *origin);

/* The next entry joined to name, "DIR/name" ("./name" for an empty entry),
 * in out; false after the last entry.  An entry that does not fit in size
 * bytes is passed over, not cut.
 */
bool searchpath__next(struct searchpath *sp, const char *name, char *out, size_t size);

/* Where execvp(name) would find the program: the first regular file along
 * PATH that we may execute, in out.  name must not hold a '/' (execvp does
 * not search for those).  0, or -ENOENT.
 */
int searchpath__find_command(const char *name, char *out, size_t size);

#endif /* SEARCHPATH_H */
