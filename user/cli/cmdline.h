/* user/cli/cmdline.h: what the command-line parsers (options.c for the
 * run, diff_args.c for `memleakbpf diff`) share, so that both speak alike.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <argp.h>

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

/* "Try 'CMD --help' for more information." on stderr: the usage text that
 * follows an error line, unprefixed as GNU tools print it.
 */
void cmdline__usage_hint(const char *cmd);

#endif /* CMDLINE_H */
