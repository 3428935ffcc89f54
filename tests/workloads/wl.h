/* tests/workloads/wl.h: shared bits of the workload programs.
 *
 * Each allocation site is its own function, named in the tests' asserts.
 * Pointers go to a global so that the compiler cannot drop the calls.
 * Progress goes to stderr ("ready", "done X"): stdout belongs to memleakbpf
 * when a workload runs under `memleakbpf -- CMD`.
 */
#ifndef WL_H
#define WL_H

#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *volatile wl_keep[4096];
static int wl_nkeep;

static inline void *keep(void *p)
{
	wl_keep[wl_nkeep++ % 4096] = p;
	return p;
}

static inline void say(const char *what)
{
	fprintf(stderr, "%s\n", what);
	fflush(stderr);
}

#endif
