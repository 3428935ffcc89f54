/* user/export/folded.h: folded stacks, the input of flamegraph.pl, inferno and
 * speedscope.
 *
 * One line per stack: frames root first separated by ';', a space, the
 * value.  The root frame is the process, "comm (pid)".  A frame name never
 * holds a ';' or a line break: '\' is written "\\", ';' "\x3b", a newline
 * "\n", other control characters, a space ending a name and a '#'
 * starting one "\xHH", so every line stays one stack
 * and folded__read() gives the names back exactly.  Lines are sorted by
 * stack and identical stacks merged, so the same profile always writes the
 * same file.
 */
#ifndef FOLDED_H
#define FOLDED_H

#include <stdio.h>
#include "export/profile.h"

/* 0 or -errno (a write error). */
int folded__write(const struct profile *p, FILE *out);

/* A differential folded file ("stack BASE NEW", flamegraph.pl's difffolded
 * format) of a diff profile, ranked by growth: the stack that grew most
 * first.  0 or -errno.
 */
int folded__write_diff(const struct profile *p, FILE *out);

/* Read a folded file (one value per line; blank lines and lines starting
 * with '#' are skipped) into out.  Categories are unknown (-1); kinds are
 * guessed from the names ("[jit]", "lib.so+0x12", "comm (pid)" at the
 * root).  On a malformed line: -EINVAL and a one-line message naming the
 * file and line in err; -ERANGE when the values add up past
 * PROFILE_READ_MAX.
 */
int folded__read(const char *path, struct profile *out, char *err, size_t errlen);

/* Escape one frame name into buf (always NUL-terminated); "\x3b" etc. */
void folded_escape(const char *name, char *buf, size_t len);

#endif /* FOLDED_H */
