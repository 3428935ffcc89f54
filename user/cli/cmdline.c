// SPDX-License-Identifier: GPL-2.0
/* user/cli/cmdline.c: argp with its messages through the logger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmdline.h"
#include "util/log.h"

#define PREFIX CMDLINE_PROG ": "

/* Each line once more through the logger, without the prefix it already
 * has (getopt's is argv[0], ours is the logger's).
 */
static void log_held_lines(char *text)
{
	char *line, *next;

	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, PREFIX, strlen(PREFIX)))
			line += strlen(PREFIX);
		if (*line)
			log_error("%s", line);
	}
}

error_t cmdline__parse(const struct argp *argp, int argc, char **argv, unsigned flags,
		       void *input)
{
	FILE *held, *real_stderr = stderr;
	char **args, *text = NULL;
	size_t len = 0;
	error_t err;

	args = calloc(argc + 1, sizeof(*args));
	if (!args)
		return ENOMEM;
	memcpy(args, argv, argc * sizeof(*args));
	args[0] = (char *)CMDLINE_PROG;	/* getopt's prefix, and the usage line's name */
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
		log_held_lines(text);
	}
	free(text);
	free(args);
	return err;
}

void cmdline__usage_hint(const char *cmd)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", cmd);
}
