/* Allocates in steps read from stdin, so that a test can take reports
 * between them:  A  4 MiB in steady_big + 1 MiB in rising
 *                B  2 MiB more in rising
 *                O  64 KiB in old_blocks
 *                Y  64 KiB in young_blocks
 *                F  free everything rising holds
 *                q  exit
 * It says "ready" at start and "done X" after each step, on stderr.
 */
#include <string.h>
#include "wl.h"

static void *rising_blocks[64];
static int nrising;

NOINLINE void steady_big(void) { for (int i = 0; i < 4; i++) keep(malloc(1 << 20)); }
NOINLINE void rising(int mib) { for (int i = 0; i < mib; i++) rising_blocks[nrising++] = malloc(1 << 20); }
NOINLINE void old_blocks(void) { for (int i = 0; i < 16; i++) keep(malloc(4096)); }
NOINLINE void young_blocks(void) { for (int i = 0; i < 16; i++) keep(malloc(4096)); }

int main(void)
{
	char line[64], msg[32];

	say("ready");
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'A': steady_big(); rising(1); break;
		case 'B': rising(2); break;
		case 'O': old_blocks(); break;
		case 'Y': young_blocks(); break;
		case 'F': while (nrising) free(rising_blocks[--nrising]); break;
		case 'q': return 0;
		default: continue;
		}
		snprintf(msg, sizeof(msg), "done %c", line[0]);
		say(msg);
	}
	return 0;
}
