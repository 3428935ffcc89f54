/* Leaks of known sizes under heavy churn, for the sampling-accuracy test:
 * see sample_leaks.h.
 */
#include "wl.h"
#include "sample_leaks.h"

NOINLINE void leak_a(void)
{
	keep(malloc(SL_A_SIZE));
}

NOINLINE void leak_b(void)
{
	keep(malloc(SL_B_SIZE));
}

NOINLINE void leak_c(void)
{
	keep(malloc(SL_C_SIZE));
}

void *volatile churn_last;	/* seen escaping, so that the compiler keeps the pair */

NOINLINE void churn(uint64_t i)
{
	char *p = malloc(sl_churn_size(i));

	churn_last = p;
	free(p);
}

int main(void)
{
	uint64_t i, j, k = 0;
	int c = 0;

	for (i = 0; i < SL_A_N; i++) {
		leak_a();
		if (i % SL_B_EVERY == 0)
			leak_b();
		if (i % SL_C_EVERY == 0 && c < SL_C_N) {
			leak_c();
			c++;
		}
		for (j = 0; j < SL_CHURN_PER_A; j++)
			churn(k++);
	}
	say("done");
	return 0;
}
