/* Allocations made inside libc on the program's behalf. */
#define _GNU_SOURCE
#include <string.h>
#include "wl.h"

NOINLINE void dup_string(void) { keep(strdup("hello world")); }		/* 12 bytes */
NOINLINE void dup_prefix(void) { keep(strndup("abcdefghij", 5)); }	/* 6 bytes */
NOINLINE void print_to_string(void)
{
	char *s = NULL;

	if (asprintf(&s, "%d", 12345) > 0)	/* 6 bytes */
		keep(s);
}

int main(void)
{
	dup_string();
	dup_prefix();
	print_to_string();
	say("done");
	return 0;
}
