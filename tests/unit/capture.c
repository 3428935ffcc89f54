// SPDX-License-Identifier: GPL-2.0
/* tests/unit/capture.c: stdout and stderr into temporary files. */
#include <unistd.h>
#include "capture.h"

/* Redirect fd to a temporary file; returns the saved fd, or -1. */
static int redirect(int fd, FILE **tmp)
{
	int saved;

	*tmp = tmpfile();
	if (!*tmp)
		return -1;
	saved = dup(fd);
	if (saved < 0 || dup2(fileno(*tmp), fd) < 0) {
		fclose(*tmp);
		*tmp = NULL;
		if (saved >= 0)
			close(saved);
		return -1;
	}
	return saved;
}

static void restore(int fd, int saved, FILE *tmp, char *buf, size_t size)
{
	size_t n = 0;

	if (saved >= 0) {
		dup2(saved, fd);
		close(saved);
		rewind(tmp);
		n = fread(buf, 1, size - 1, tmp);
		fclose(tmp);
	}
	buf[n] = '\0';
}

void capture_start(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->saved[0] = redirect(STDOUT_FILENO, &c->tmp[0]);
	c->saved[1] = redirect(STDERR_FILENO, &c->tmp[1]);
}

void capture_end(struct capture *c, char *out, size_t outlen, char *err, size_t errlen)
{
	fflush(stdout);
	fflush(stderr);
	restore(STDERR_FILENO, c->saved[1], c->tmp[1], err, errlen);
	restore(STDOUT_FILENO, c->saved[0], c->tmp[0], out, outlen);
}
