/* user/export/diff.h: `memleakbpf diff BASE NEW`, the growth between two profiles.
 *
 * BASE and NEW are pprof files written by memleakbpf (--pprof, one sample
 * type chosen with --sample-index) or folded files (--folded).  Stacks are
 * matched by their frame names; the process root "comm (pid)" is matched by
 * comm unless --keep-pids, so that two runs of a program compare.  The
 * summary on stdout ranks stacks by growth; --folded writes a differential
 * folded file ("stack BASE NEW", flamegraph.pl's difffolded format) and
 * --flamegraph a differential flame graph, growth red and shrinkage blue.
 */
#ifndef DIFF_H
#define DIFF_H

#include <stdbool.h>
#include <stdio.h>
#include "export/profile.h"

/* What to compare and what to write; cli/diff_args.c fills it from argv. */
struct diff_config {
	const char *base_path, *new_path;	/* BASE, NEW */
	const char *folded_path;		/* differential folded file, or NULL */
	const char *flamegraph_path;		/* differential flame graph, or NULL */
	const char *sample_index;		/* pprof sample type; NULL: the file's default */
	bool keep_pids;				/* match root frames by pid too */
	int top;				/* stacks in the summary */
};

/* Read BASE and NEW, print the ranked summary on stdout, write the files
 * asked for.  Each failure is logged, one line naming the file; a file that
 * can still be written is.  Returns 0 or the first -errno.
 */
int diff__run(const struct diff_config *cfg);

/* out = NEW against BASE: one sample per distinct stack, value from new,
 * base from base, ranked by growth (value - base), largest first; ties by
 * stack.  Without keep_pids, root frames lose their " (pid)".  0 or -ENOMEM.
 */
int diff__merge(const struct profile *base, const struct profile *new, bool keep_pids,
		struct profile *out);

/* The ranked summary: totals, then the top stacks, leaf first. */
void diff__print(const struct profile *d, int top, FILE *out);

#endif /* DIFF_H */
