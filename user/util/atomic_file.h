/* user/util/atomic_file.h: replacing a file whole.
 *
 * The new content goes to a temporary file beside the target ("PATH.tmp-
 * XXXXXX": the same directory, so the same filesystem) that is renamed onto
 * it: a reader sees the old file or the new one, never half of one, and a
 * failed write leaves the old file as it was.
 *
 *	if ((err = atomic_file__open(&af, path)))
 *		return err;
 *	if ((err = write_content(af.f))) {
 *		atomic_file__abort(&af);
 *		return err;
 *	}
 *	return atomic_file__commit(&af);
 *
 * Renaming replaces the name: a symlink at path is replaced, not followed,
 * and a hard link to the old file keeps the old content.
 */
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H

#include <limits.h>
#include <stdio.h>

struct atomic_file {
	FILE *f;		/* write here, until commit or abort */
	char path[PATH_MAX];	/* the file replaced */
	char tmp[PATH_MAX];	/* the temporary file; "" once gone */
};

/* Create the temporary file beside path, its mode 0666 less the umask (as
 * open(2) would give the target).  0 or -errno: -ENAMETOOLONG when the
 * temporary name does not fit, else what creating it said (-ENOENT,
 * -ENOTDIR, -EACCES, -EROFS, ...).
 */
int atomic_file__open(struct atomic_file *af, const char *path);

/* Flush and close af->f and rename the temporary file onto af->path.  0 or
 * -errno; on error the temporary file is removed and af->path left as it
 * was.  af is closed either way: a later atomic_file__abort() does nothing.
 */
int atomic_file__commit(struct atomic_file *af);

/* Close af->f and remove the temporary file; af->path is left as it was. */
void atomic_file__abort(struct atomic_file *af);

/* Could path be replaced?  It must not be a directory (-EISDIR; also for
 * a name ending in '/'), and its temporary file must be creatable: the
 * check creates and removes it, so what would fail at the end (a missing
 * directory, no permission, a read-only filesystem, a name too long once
 * ".tmp-XXXXXX" is added) fails now with the same -errno.  0 or -errno.
 */
int atomic_file__check(const char *path);

#endif /* ATOMIC_FILE_H */
