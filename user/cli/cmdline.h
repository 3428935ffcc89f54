/* user/cli/cmdline.h: what the command-line parsers (options.c for the
 * run, diff_args.c for `memleakbpf diff`) share, so that both speak alike.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <argp.h>
#include <stdbool.h>

#define CMDLINE_PROG "memleakbpf"

/* argp_parse() on a copy of argv whose argv[0] is prog ("memleakbpf",
 * "memleakbpf diff": the name in the usage line); argc >= 1.  What goes to
 * stderr meanwhile -- getopt's line about an unknown option or a missing
 * value, the parser's own log_error() -- is held until argp returns, then
 * logged by log_error(): one line each, one prefix ("memleakbpf: "),
 * whoever wrote it.  Returns argp_parse()'s error, or ENOMEM with nothing
 * said.
 */
error_t cmdline__parse(const struct argp *argp, const char *prog, int argc, char **argv,
		       unsigned flags, void *input);

/* What a parser's run came to: the options to act on, --help or --version
 * printed (exit 0), or an error said (exit 2).
 */
enum options_result {
	OPTIONS_OK = 0,		/* run */
	OPTIONS_EXIT = 1,	/* --help / --version printed: exit 0 */
	OPTIONS_BAD = 2,	/* error printed: exit 2 */
};

/* The end of a parse by cmdline__parse(): err its result, printed when the
 * parser printed help or a version, reported when it said what was wrong
 * (otherwise getopt did, or a line is said here).  A bad command line
 * gets the usage hint for cmd.
 */
enum options_result cmdline__result(error_t err, bool printed, bool reported, const char *cmd);

/* "Try 'CMD --help' for more information." on stderr: the usage text that
 * follows an error line, unprefixed as GNU tools print it.
 */
void cmdline__usage_hint(const char *cmd);

#endif /* CMDLINE_H */
