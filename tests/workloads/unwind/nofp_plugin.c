/* libnofp_plugin.so: dlopen()ed by nofp_leaks while it is traced, built
 * like it (-O2 -fomit-frame-pointer).  plugin_run allocates right after the
 * dlopen returns; plugin_again when asked later.
 */
#include <stdlib.h>

#define NOIPA __attribute__((noipa))

void *volatile plugin_keep[8];
volatile long plugin_sink;

NOIPA void plugin_store(int i)
{
	plugin_keep[i] = malloc(700);
	plugin_sink++;
}

NOIPA void plugin_parse(void)
{
	/* rbp as a general register: a frame-pointer walk cannot pass */
	long a = plugin_sink + 1, b = plugin_sink * 3, c = plugin_sink ^ 5, d = plugin_sink - 7,
	     e = plugin_sink + 11, f = plugin_sink * 13;

	for (int i = 0; i < 2; i++)
		plugin_store(i);
	plugin_sink += a * b + c * d + e * f;
}

int plugin_run(void)
{
	plugin_parse();
	return (int)(plugin_sink & 0);
}

NOIPA void plugin_late(int i)
{
	plugin_keep[4 + i] = malloc(900);
	plugin_sink++;
}

int plugin_again(void)
{
	for (int i = 0; i < 2; i++)
		plugin_late(i);
	plugin_sink++;
	return (int)(plugin_sink & 0);
}
