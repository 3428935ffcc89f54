/* A program as Fedora ships it: -O2 without frame pointers, stripped of
 * its symbol table, its function names kept only in .gnu_debugdata (an
 * xz-compressed ELF with a .symtab of its functions, "MiniDebugInfo";
 * tests/minidebuginfo.sh).  Its leak is in static functions, which no
 * .dynsym names:
 *   hidden_leaf  4 x 333 B  main > hidden_run > hidden_fill > hidden_leaf
 * It leaks and exits.
 */
#include "../wl.h"

#define NOIPA __attribute__((noipa))

volatile long sink;

NOIPA static void hidden_leaf(int i)
{
	keep(malloc(333));
	sink += i;
}

NOIPA static void hidden_fill(int n)
{
	/* rbp as a general register: a frame-pointer walk cannot pass */
	long a = sink + 1, b = sink * 3, c = sink ^ 5, d = sink - 7, e = sink + 11, f = sink * 13;

	for (int i = 0; i < n; i++)
		hidden_leaf(i);
	sink += a * b + c * d + e * f;
}

NOIPA static void hidden_run(void)
{
	hidden_fill(4);
	sink++;
}

int main(void)
{
	hidden_run();
	sink++;
	return 0;
}
