/* A parent, a forked child and an exec'd grandchild, each leaking. */
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "wl.h"

NOINLINE void parent_leak(void) { keep(malloc(1111)); }
NOINLINE void child_leak(void) { keep(malloc(2222)); }

int main(int argc, char **argv)
{
	char target[4096];
	pid_t a, b;

	parent_leak();
	a = fork();
	if (a == 0) {
		child_leak();
		_exit(0);
	}
	/* exec_target sits beside us */
	snprintf(target, sizeof(target), "%s", argv[0]);
	strcpy(strrchr(target, '/') ? strrchr(target, '/') + 1 : target, "exec_target");
	b = fork();
	if (b == 0) {
		child_leak();	/* dropped with the image at exec */
		execl(target, "exec_target", (char *)NULL);
		_exit(127);
	}
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	say("done");
	return 0;
}
