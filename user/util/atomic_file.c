// SPDX-License-Identifier: GPL-2.0
/* user/util/atomic_file.c: see atomic_file.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/atomic_file.h"

int atomic_file__open(struct atomic_file *af, const char *path)
{
	mode_t mask;
	int fd, err;

	memset(af, 0, sizeof(*af));
	if (snprintf(af->path, sizeof(af->path), "%s", path) >= (int)sizeof(af->path) ||
	    snprintf(af->tmp, sizeof(af->tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(af->tmp)) {
		af->tmp[0] = '\0';
		return -ENAMETOOLONG;
	}
	fd = mkstemp(af->tmp);
	if (fd < 0) {
		err = -errno;
		af->tmp[0] = '\0';
		return err;
	}
	/* mkstemp gives 0600; the file replaces one a user would have
	 * created with open(2).  umask() can only be read by setting it.
	 */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	af->f = fdopen(fd, "w");
	if (!af->f) {
		err = -errno;
		close(fd);
		atomic_file__abort(af);
		return err;
	}
	return 0;
}

int atomic_file__commit(struct atomic_file *af)
{
	int err = 0;

	if (!af->f)
		return -EBADF;
	if (fflush(af->f))
		err = -errno;
	else if (ferror(af->f))
		err = -EIO;	/* an earlier write failed; its errno is gone */
	if (fclose(af->f) && !err)
		err = -errno;
	af->f = NULL;
	if (!err && rename(af->tmp, af->path))
		err = -errno;
	if (err) {
		atomic_file__abort(af);
		return err;
	}
	af->tmp[0] = '\0';
	return 0;
}

void atomic_file__abort(struct atomic_file *af)
{
	if (af->f)
		fclose(af->f);
	af->f = NULL;
	if (af->tmp[0])
		unlink(af->tmp);
	af->tmp[0] = '\0';
}

int atomic_file__check(const char *path)
{
	struct atomic_file af;
	struct stat st;
	size_t len = strlen(path);
	int err;

	/* rename() would say so only at the end, after the whole write */
	if ((len && path[len - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
		return -EISDIR;
	err = atomic_file__open(&af, path);
	if (!err)
		atomic_file__abort(&af);
	return err;
}
