/* Built -static: the executable carries its own malloc. */
#include "wl.h"

NOINLINE void static_site(void) { for (int i = 0; i < 5; i++) keep(malloc(700)); }

int main(void)
{
	static_site();
	say("done");
	return 0;
}
