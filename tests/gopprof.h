/* tests/gopprof.h: reading pprof files with Go's own `go tool pprof`, the
 * client users have (Debian's golang-go, installed by tools/install-deps.sh:
 * a missing go fails the test, it does not skip it).
 */
#ifndef GOPPROF_H
#define GOPPROF_H

#include <stdbool.h>
#include <stdint.h>

#define FLAGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* `go tool pprof FLAGS... path` with an empty environment (no HOME), no
 * module proxy or toolchain download, a temporary GOCACHE/GOPATH and
 * PPROF_TMPDIR, and HTTP proxied to a closed port: pprof must work alone
 * and offline, and must not try to symbolize.  0 when it exited 0 and said
 * nothing on stderr (no "parsing profile", no "local symbolization");
 * *out is its stdout with runs of blanks squeezed to one and none at the
 * start of a line, so that column widths do not matter.  Free it.  path
 * may be an http:// URL (loopback: the proxy is not asked); pprof's lines
 * "Fetching profile over HTTP from" and "Saved profile in" are then
 * expected on stderr.
 */
int go_pprof(const char *path, const char *const *flags, char **out);

/* In -top output: the line of name, its flat and cum values ("1234B" or
 * "1234").  The name is matched as text, so it may hold a newline.
 */
bool gopprof_top_entry(const char *out, const char *name, long long *flat, long long *cum);
/* Assert name's line has these flat and cum values. */
void gopprof_top_is(const char *out, const char *name, long long flat, long long cum);

/* In -traces output: a trace of exactly value (bytes with -unit=B, or a
 * count) whose frames, leaf first, have fn and, further from the leaf,
 * caller (NULL: any).
 */
bool gopprof_has_trace(const char *traces, int64_t value, const char *fn, const char *caller);

#endif /* GOPPROF_H */
