/* What a traced process becomes when it execs a setuid-root program:
 * test_e2e_hostile_setuid_exec installs a copy of this one owned by root,
 * mode 4755, and has exec_setuid (run as nobody) exec it.
 *
 *   setuid_leak   malloc(654321) in setuid_site, say "setuid_leak PID done",
 *                 then wait for a line (or EOF) on stdin
 */
#include <unistd.h>
#include "wl.h"

#define SETUID_SIZE 654321

NOINLINE void setuid_site(void) { keep(malloc(SETUID_SIZE)); }

int main(void)
{
	char c;

	setuid_site();
	fprintf(stderr, "setuid_leak %d done\n", (int)getpid());
	while (read(0, &c, 1) == 1 && c != '\n')
		;
	return 0;
}
