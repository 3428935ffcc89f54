/* tests/unit/capture.h: what a call prints on stdout and stderr.
 *
 * Between capture_start() and capture_end() both descriptors point at
 * temporary files (dup2), so every kind of write is caught: stdio, the
 * logger, getopt.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdio.h>

struct capture {
	FILE *tmp[2];		/* stdout's, stderr's */
	int saved[2];		/* the descriptors they replace; -1: not captured */
};

void capture_start(struct capture *c);
/* Restore both and copy what was written, NUL-terminated (cut to size). */
void capture_end(struct capture *c, char *out, size_t outlen, char *err, size_t errlen);

#endif /* CAPTURE_H */
