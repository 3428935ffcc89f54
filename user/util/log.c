// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "util/log.h"

int log_verbosity;

/* One write per line: stderr is unbuffered, and lines from a tool that
 * others read line by line should not arrive in pieces.
 */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "memleakbpf: %s", prefix);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

#define DEFINE_LOG(name, prefix, cond)			\
void name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	if (!(cond))					\
		return;					\
	va_start(ap, fmt);				\
	vlog(prefix, fmt, ap);				\
	va_end(ap);					\
}

DEFINE_LOG(log_error, "", 1)
DEFINE_LOG(log_warn, "warning: ", 1)
DEFINE_LOG(log_note, "", log_verbosity >= 0)
DEFINE_LOG(log_info, "", log_verbosity >= 1)
DEFINE_LOG(log_debug, "debug: ", log_verbosity >= 2)

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && log_verbosity < 1)
		return 0;
	if (level == LIBBPF_WARN && log_verbosity < 1)
		return 0;	/* our own message says what failed */
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
