// C++: operator new calls malloc from libstdc++, built without frame
// pointers; the caller of new must still be named.
#include <new>
#include "wl.h"

namespace shop {
struct Widget {
	long parts[6];	// 48 bytes
};

NOINLINE void make_widgets()
{
	for (int i = 0; i < 3; i++)
		keep(new Widget());
}

NOINLINE void make_array() { keep(new int[10]); }	// 40 bytes

NOINLINE void make_nothrow() { keep(new (std::nothrow) Widget()); }
}

// With an argument, waits for a line on stdin first (so that a test can see
// a preloaded allocator attached before anything is allocated).
int main(int argc, char **argv)
{
	char line[16];

	if (argc > 1) {
		say("ready");
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	shop::make_widgets();
	shop::make_array();
	shop::make_nothrow();
	say("done");
	return 0;
}
