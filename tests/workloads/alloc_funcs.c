/* Every allocation function once, with sizes the test checks exactly. */
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include "wl.h"

NOINLINE void leak_malloc(void) { for (int i = 0; i < 3; i++) keep(malloc(1000)); }
NOINLINE void leak_calloc(void) { keep(calloc(10, 100)); }
/* volatile: gcc would turn realloc(NULL, n) into malloc(n) */
static void *volatile null_ptr;

NOINLINE void leak_realloc_null(void) { keep(realloc(null_ptr, 1234)); }
NOINLINE void leak_reallocarray(void) { keep(reallocarray(null_ptr, 7, 100)); }
NOINLINE void leak_posix_memalign(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, 4000) == 0)
		keep(p);
}
NOINLINE void leak_aligned_alloc(void) { keep(aligned_alloc(256, 512)); }
NOINLINE void leak_memalign(void) { keep(memalign(128, 1536)); }
NOINLINE void leak_valloc(void) { keep(valloc(5000)); }
NOINLINE void leak_pvalloc(void) { keep(pvalloc(3000)); }
NOINLINE void malloc_then_free(void)
{
	for (int i = 0; i < 10; i++)
		free(keep(malloc(4321)));
}
NOINLINE void free_null(void) { free(NULL); }
NOINLINE void failed_malloc(void) { keep(malloc(SIZE_MAX / 2)); }
NOINLINE void failed_calloc(void) { volatile size_t n = SIZE_MAX / 2; keep(calloc(n, 4)); }
NOINLINE void *keep_for_failed_realloc(void) { return keep(malloc(2222)); }
NOINLINE void failed_realloc(void *p)
{
	void *q = realloc(p, SIZE_MAX / 2);

	if (q)
		keep(q);
}

int main(void)
{
	void *p;

	leak_malloc();
	leak_calloc();
	leak_realloc_null();
	leak_reallocarray();
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	malloc_then_free();
	free_null();
	failed_malloc();
	failed_calloc();
	p = keep_for_failed_realloc();
	failed_realloc(p);
	say("done");
	return 0;
}
