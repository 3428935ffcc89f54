/* A driver of the libraries of large .eh_frame (libbig_eh1.so to 4,
 * beside it: DT_RUNPATH $ORIGIN), built without frame pointers, for the
 * test of the unwind tables' room being reused
 * (tests/e2e/test_e2e_tables.c).  It says "ready", then reads commands:
 *   run N    a child process dlopen()s libbig_ehN.so, calls big_leak(N)
 *            (3 x (1000 + N) B: malloc < big_leaf < big_mid < big_leak <
 *            in_child < run_child < main) and exits; "done run N pid P"
 *            once it has
 *   load N   the same in this process (load_here), then dlclose():
 *            "done load N pid P"
 *   q        exit
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../wl.h"

#define NOIPA __attribute__((noipa))

volatile long sink;

/* big_leak of libbig_ehN.so; the library stays open when keep is NULL. */
NOIPA static int call_library(int n, void **keep)
{
	char name[32];
	int (*big_leak)(int);
	void *h;
	int id;

	snprintf(name, sizeof(name), "libbig_eh%d.so", n);
	h = dlopen(name, RTLD_NOW);
	big_leak = h ? (int (*)(int))dlsym(h, "big_leak") : NULL;
	if (!big_leak) {
		fprintf(stderr, "dlopen %s: %s\n", name, dlerror());
		return -1;
	}
	id = big_leak(n);
	sink++;
	if (keep)
		*keep = h;
	return id;
}

NOIPA static void in_child(int n)
{
	if (call_library(n, NULL) != n)
		_exit(1);
	sink++;
}

NOIPA static void run_child(int n)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		in_child(n);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "run %d failed\n", n);
		return;
	}
	fprintf(stderr, "done run %d pid %d\n", n, pid);
	fflush(stderr);
}

NOIPA static void load_here(int n)
{
	void *h = NULL;

	if (call_library(n, &h) != n || dlclose(h)) {
		fprintf(stderr, "load %d failed\n", n);
		return;
	}
	fprintf(stderr, "done load %d pid %d\n", n, getpid());
	fflush(stderr);
}

int main(void)
{
	char line[64];
	int n;

	say("ready");
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "run %d", &n) == 1)
			run_child(n);
		else if (sscanf(line, "load %d", &n) == 1)
			load_here(n);
		else if (!strncmp(line, "q", 1))
			break;
	}
	sink++;
	return 0;
}
