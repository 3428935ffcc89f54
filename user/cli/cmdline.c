// SPDX-License-Identifier: GPL-2.0
/* user/cli/cmdline.c: argp with its messages through the logger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmdline.h"
#include "util/log.h"

/* line without "prefix: ", or NULL when it does not start so. */
static char *after_prefix(char *line, const char *prefix)
{
	size_t len = strlen(prefix);

	return !strncmp(line, prefix, len) && !strncmp(line + len, ": ", 2) ? line + len + 2 : NULL;
}

/* Each line once more through the logger, without the prefix it already
 * has: getopt's is argv[0] (prog), the logger's "memleakbpf".
 */
static void log_held_lines(char *text, const char *prog)
{
	char *line, *next, *msg;

	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		msg = after_prefix(line, prog);
		if (!msg)
			msg = after_prefix(line, CMDLINE_PROG);
		if (!msg)
			msg = line;
		if (*msg)
			log_error("%s", msg);
	}
}

error_t cmdline__parse(const struct argp *argp, const char *prog, int argc, char **argv,
		       unsigned flags, void *input)
{
	FILE *held, *real_stderr = stderr;
	char **args, *text = NULL;
	size_t len = 0;
	error_t err;

	args = calloc(argc + 1, sizeof(*args));
	if (!args)
		return ENOMEM;
	memcpy(args, argv, argc * sizeof(*args));
	args[0] = (char *)prog;		/* getopt's prefix, and the usage line's name */
	/* getopt prints to stderr, the FILE: glibc lets a program point it
	 * elsewhere.  Without memory for that, getopt's line goes out as is.
	 */
	held = open_memstream(&text, &len);
	if (held)
		stderr = held;
	err = argp_parse(argp, argc, args, flags, NULL, input);
	if (held) {
		stderr = real_stderr;
		fclose(held);
		log_held_lines(text, prog);
	}
	free(text);
	free(args);
	return err;
}

enum options_result cmdline__result(error_t err, bool printed, bool reported, const char *cmd)
{
	if (printed) {
		fflush(stdout);
		return OPTIONS_EXIT;
	}
	if (!err)
		return OPTIONS_OK;
	/* Unless the parser said what failed, getopt did (unknown option, no value). */
	if (!reported && err != EINVAL && err != ARGP_ERR_UNKNOWN)
		log_error("cannot parse the command line: %s", strerror(err));
	cmdline__usage_hint(cmd);
	return OPTIONS_BAD;
}

void cmdline__usage_hint(const char *cmd)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", cmd);
}
