/* realloc in every shape: grow, shrink, move, to zero, from NULL. */
#include "wl.h"

NOINLINE void journal_grow(void)
{
	char *p = malloc(100);

	keep(realloc(p, 777777));
}

NOINLINE void journal_shrink(void)
{
	char *p = malloc(5000);

	keep(realloc(p, 100));
}

NOINLINE void shrink_to_zero(void)
{
	char *p = malloc(300);

	p = realloc(p, 0);	/* glibc: frees, returns NULL */
	if (p)
		keep(p);
}

NOINLINE void journal_move(void)
{
	char *p = malloc(16), *blocker = malloc(16), *q;

	q = realloc(p, 200000);	/* past the mmap threshold: a new block */
	keep(q);
	free(blocker);
	fprintf(stderr, "moved %d\n", q != p);
}

static void *volatile null_ptr;	/* gcc would make realloc(NULL, n) a malloc */

NOINLINE void realloc_from_null(void) { keep(realloc(null_ptr, 4242)); }

int main(void)
{
	journal_grow();
	journal_shrink();
	shrink_to_zero();
	journal_move();
	realloc_from_null();
	say("done");
	return 0;
}
