/* Anonymous mappings and the break, made by the program itself. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include "wl.h"

#define PAGE 4096

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

NOINLINE void map_keep(void) { keep(anon(3 * PAGE)); }
NOINLINE void map_unmapped(void) { munmap(anon(2 * PAGE), 2 * PAGE); }
NOINLINE void map_partial(void)
{
	char *p = anon(8 * PAGE);

	munmap(p + 3 * PAGE, 2 * PAGE);	/* a hole in the middle: 6 pages left */
	keep(p);
}
NOINLINE void map_remap_grow(void)
{
	char *p = anon(2 * PAGE);

	keep(mremap(p, 2 * PAGE, 5 * PAGE, MREMAP_MAYMOVE));
}
NOINLINE void map_remap_shrink(void)
{
	char *p = anon(4 * PAGE);

	keep(mremap(p, 4 * PAGE, 1 * PAGE, 0));
}
NOINLINE void map_file(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	if (fd >= 0) {
		keep(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0));
		close(fd);
	}
}
NOINLINE void grow_break(void)
{
	keep(sbrk(8 * PAGE));
	keep(sbrk(4 * PAGE));
}

int main(void)
{
	map_keep();
	map_unmapped();
	map_partial();
	map_remap_grow();
	map_remap_shrink();
	map_file();
	grow_break();
	say("done");
	return 0;
}
