/* A process that execs another program (setuid_leak, setuid root, in
 * test_e2e_hostile_setuid_exec) after leaking a block of its own.
 *
 *   exec_setuid [--gate] PROGRAM
 *
 *   malloc(111111) in before_exec_site, say "exec_setuid PID allocated",
 *   then exec PROGRAM (no arguments)
 *
 *   --gate   say "exec_setuid PID ready" and wait for a line on stdin
 *            first, and again before the exec
 */
#include <string.h>
#include <unistd.h>
#include "wl.h"

#define BEFORE_SIZE 111111

NOINLINE void before_exec_site(void) { keep(malloc(BEFORE_SIZE)); }

static void wait_line(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

int main(int argc, char **argv)
{
	int gate = argc > 1 && !strcmp(argv[1], "--gate"), i = 1 + gate;

	if (i + 1 != argc)
		return 2;
	if (gate) {
		fprintf(stderr, "exec_setuid %d ready\n", (int)getpid());
		wait_line();
	}
	before_exec_site();
	fprintf(stderr, "exec_setuid %d allocated\n", (int)getpid());
	if (gate)
		wait_line();
	execl(argv[i], argv[i], (char *)NULL);
	perror("exec");
	return 127;
}
