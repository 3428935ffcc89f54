// C++ as distributions build it (-O2 -fomit-frame-pointer), through
// libstdc++ (itself without frame pointers):
//   shop::make_widgets   3 x 48 B   new Widget: operator new from the program
//   shop::reserve_label  32 + 1001 B  new std::string (the program), then
//                        its reserve(1000) in libstdc++ allocates 1001 B
// Then it says "ready" and waits for a line on stdin (or its end) to exit,
// so that a report sees it alive.
#include <cstdio>
#include <new>
#include <string>
#include "../wl.h"

#define NOIPA __attribute__((noipa))

volatile long sink;

namespace shop {
struct Widget {
	long parts[6];	// 48 bytes
};

NOIPA void make_widgets()
{
	for (int i = 0; i < 3; i++)
		keep(new Widget());
	sink++;
}

NOIPA void reserve_label()
{
	std::string *label = new std::string();

	label->reserve(1000);	// libstdc++: basic_string::reserve, _M_create
	keep(label);
	sink++;
}
}

int main()
{
	char line[16];

	shop::make_widgets();
	shop::reserve_label();
	say("ready");
	if (!fgets(line, sizeof(line), stdin))
		sink++;
	return (int)(sink & 0);
}
