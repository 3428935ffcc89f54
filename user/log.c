// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int log_verbosity;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "memleakbpf: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
