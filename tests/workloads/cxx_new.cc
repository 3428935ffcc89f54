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

int main()
{
	shop::make_widgets();
	shop::make_array();
	shop::make_nothrow();
	say("done");
	return 0;
}
