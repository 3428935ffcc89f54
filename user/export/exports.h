/* user/export/exports.h: writing the exports a run asked for (--folded,
 * --flamegraph, --pprof).
 *
 * exports__check() runs before tracing begins, so that a path that cannot
 * be written is said at once, not after an hour of tracing.  Each file is
 * written to a temporary file beside it and renamed into place
 * (util/atomic_file.h): a reader never sees half a file, and a failed write
 * leaves the old one.  With
 * --every, every report also writes files named after its time
 * (leak.svg -> leak-20261122T140211.250Z.svg), so a long run leaves a series.
 */
#ifndef EXPORTS_H
#define EXPORTS_H

#include <stdbool.h>
#include "export/profile.h"
#include "report/model.h"

/* What a run asked for; NULL paths: not that export. */
struct export_config {
	const char *folded_path;	/* --folded */
	const char *flamegraph_path;	/* --flamegraph */
	const char *pprof_path;		/* --pprof */
	enum metric metric;		/* what the folded file and the flame graph measure */
	bool every;			/* a timestamped series at every report */
};

/* True when cfg asks for an export (the collector then builds every stack). */
bool exports__wanted(const struct export_config *cfg);

/* One line on stderr per path that cannot be written ("cannot write
 * --folded 'PATH': REASON"); 0 or the first -errno.  Then -EINVAL, said
 * once, when two exports name one file (however spelled: "x", "./x").
 */
int exports__check(const struct export_config *cfg);

struct exports;

struct exports *exports__new(const struct export_config *cfg);
void exports__free(struct exports *e);	/* accepts NULL */

/* Write the exports of r: the timestamped series with --every, and at the
 * final report the files named on the command line.  A failure is said on
 * stderr (one line per file) and the others are still written; returns 0
 * or the first -errno.
 */
int exports__write(struct exports *e, const struct report *r);

/* "dir/leak.svg" at 2026-11-22 14:02:11.250 UTC ->
 * "dir/leak-20261122T140211.250Z.svg": names sort in time order.  ".pb.gz"
 * is kept whole; with seq > 0 (two reports within one millisecond) "-SEQ"
 * follows the time.  buf always NUL-terminated.
 */
void exports_series_name(const char *path, int64_t wall_ns, int seq, char *buf, size_t len);

/* Write a file through a temporary one beside it: write(f, ctx) fills it
 * (0 or -errno).  0, or -errno with a one-line message on stderr naming
 * what and path; the old file is then left as it was.
 */
int exports_write_file(const char *what, const char *path,
		       int (*write)(FILE *f, const void *ctx), const void *ctx);

#endif /* EXPORTS_H */
