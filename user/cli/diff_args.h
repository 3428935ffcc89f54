/* user/cli/diff_args.h: the command line of `memleakbpf diff BASE NEW`.
 *
 * diff_options__parse() checks it as options__parse() checks the run's: a
 * bad argument logs one line naming it, then the usage hint, and returns
 * OPTIONS_BAD (exit 2); --help prints on stdout and returns OPTIONS_EXIT
 * (exit 0).  The comparison itself is export/diff.h's.
 */
#ifndef DIFF_ARGS_H
#define DIFF_ARGS_H

#include <stdbool.h>
#include "cli/options.h"

struct diff_options {
	const char *paths[2];		/* BASE, NEW */
	int npaths;
	const char *folded_path;	/* --folded FILE */
	const char *flamegraph_path;	/* --flamegraph FILE.svg */
	const char *sample_index;	/* --sample-index TYPE; NULL: the file's default */
	bool keep_pids;			/* --keep-pids */
	int top;			/* -T, --top; default 10 */
};

/* argv[0] is "diff"; the strings stay argv's. */
enum options_result diff_options__parse(struct diff_options *o, int argc, char **argv);

/* `memleakbpf diff ...` from main: argv[0] is "diff".  Returns the exit
 * code: 0; 1 when a profile cannot be read or a file written; 2 for bad
 * usage.
 */
int diff__main(int argc, char **argv);

#endif /* DIFF_ARGS_H */
