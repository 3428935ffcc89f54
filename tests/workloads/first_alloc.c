/* A program whose first allocation is 3,000,000 bytes, made as soon as it
 * runs: whatever allocator serves it (a preload, a library it dlopen()s)
 * must already be probed.
 *
 *   first_alloc [--gate] [--dlopen LIB] [--wait]
 *
 *   (no option)   malloc(3000000) in first_alloc_site, first thing in main
 *   --dlopen LIB  dlopen LIB, and its own malloc(3000000) (dlsym) in
 *                 dlopen_alloc_site at once
 *   --gate        first say "first_alloc PID ready" and wait for SIGUSR2
 *   --wait        at the end, wait for a line (or EOF) on stdin
 *
 * Says "done" on stderr once it has allocated.
 */
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "wl.h"

#define FIRST_SIZE 3000000

typedef void *(*malloc_fn)(size_t);

NOINLINE void first_alloc_site(void) { keep(malloc(FIRST_SIZE)); }

NOINLINE void dlopen_alloc_site(malloc_fn lib_malloc) { keep(lib_malloc(FIRST_SIZE)); }

static void wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fprintf(stderr, "first_alloc %d ready\n", (int)getpid());
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	const char *lib = NULL;
	int gate = 0, wait = 0, i;
	char c;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gate"))
			gate = 1;
		else if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--dlopen") && i + 1 < argc)
			lib = argv[++i];
		else
			return 2;
	}
	if (gate)
		wait_for_signal();
	if (lib) {
		void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		malloc_fn lib_malloc = h ? (malloc_fn)dlsym(h, "malloc") : NULL;

		if (!lib_malloc) {
			fprintf(stderr, "dlopen %s: %s\n", lib, dlerror());
			return 1;
		}
		dlopen_alloc_site(lib_malloc);
	} else {
		first_alloc_site();
	}
	say("done");
	if (wait)
		while (read(0, &c, 1) == 1 && c != '\n')
			;
	return 0;
}
