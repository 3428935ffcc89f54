/* libbig_ehN.so (N = BIG_EH_ID, 1 to 4): a library with a large .eh_frame
 * (big_eh_pad.S: about 375 KiB of unwind rows), built like the
 * distributions build (-O2 -fomit-frame-pointer): only its table walks
 * its frames.  The N copies differ in one constant, so that each has a
 * build id (and a table) of its own.  big_leak(n) leaks 3 blocks of
 * 1000 + n bytes through big_mid and big_leaf.
 */
#include <stdlib.h>

#define NOIPA __attribute__((noipa))

void *volatile big_keep[16];
volatile long big_sink;
const int big_eh_id = BIG_EH_ID;

NOIPA void big_leaf(int n, int i)
{
	big_keep[i] = malloc(1000 + n);
	big_sink++;
}

NOIPA void big_mid(int n)
{
	/* rbp as a general register: a frame-pointer walk cannot pass */
	long a = big_sink + 1, b = big_sink * 3, c = big_sink ^ 5, d = big_sink - 7,
	     e = big_sink + 11, f = big_sink * 13;

	for (int i = 0; i < 3; i++)
		big_leaf(n, i);
	big_sink += a * b + c * d + e * f + big_eh_id;
}

NOIPA int big_leak(int n)
{
	big_mid(n);
	big_sink++;
	return big_eh_id;
}
