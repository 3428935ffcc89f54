/* Run by forker after exec. */
#include "wl.h"

NOINLINE void exec_leak(void) { keep(malloc(3333)); }

int main(void)
{
	exec_leak();
	return 0;
}
