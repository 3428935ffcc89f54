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

/* argv[0] is "diff".  Returns the exit code: 0, 1 (a file could not be
 * read or written), 2 (bad usage).
 */
int diff__main(int argc, char **argv);

/* out = NEW against BASE: one sample per distinct stack, value from new,
 * base from base, ranked by growth (value - base), largest first; ties by
 * stack.  Without keep_pids, root frames lose their " (pid)".  0 or -ENOMEM.
 */
int diff__merge(const struct profile *base, const struct profile *new, bool keep_pids,
		struct profile *out);

/* The ranked summary: totals, then the top stacks, leaf first. */
void diff__print(const struct profile *d, int top, FILE *out);

#endif /* DIFF_H */
