// Allocator calls that call another allocator function (operator new[] ->
// operator new -> malloc, realloc(NULL, n) -> malloc), many of them, for
// the test that each is sampled, and counted, once: with --sample-bytes
// most are not sampled, and their inner calls must be seen inside them
// (tests/e2e/test_e2e_sampling.c).
#include <new>
#include "wl.h"
#include "sample_nested.h"

NOINLINE void nested_new(void)
{
	keep(new char[SN_SIZE]);
}

NOINLINE void nested_realloc(void)
{
	keep(realloc(NULL, SN_SIZE));
}

NOINLINE void plain_malloc(void)
{
	keep(malloc(SN_SIZE));
}

int main(void)
{
	for (int i = 0; i < SN_N; i++) {
		nested_new();
		nested_realloc();
		plain_malloc();
	}
	say("done");
	return 0;
}
