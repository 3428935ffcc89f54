/* Several threads allocate; one frees what another allocated. */
#include <pthread.h>
#include "wl.h"

#define NTHREADS 4
#define PER_THREAD 25

static void *handoff[PER_THREAD];

NOINLINE void thread_leak(void *slot[], int n)
{
	for (int i = 0; i < n; i++)
		slot[i] = malloc(1000);
}

static void *worker(void *arg)
{
	thread_leak(arg, PER_THREAD);
	return NULL;
}

NOINLINE void handoff_alloc(void)
{
	for (int i = 0; i < PER_THREAD; i++)
		handoff[i] = malloc(512);
}

static void *freer(void *arg)
{
	for (int i = 0; i < PER_THREAD; i++)
		free(handoff[i]);
	return NULL;
}

int main(void)
{
	static void *slots[NTHREADS][PER_THREAD];
	pthread_t t[NTHREADS + 1];
	int i;

	handoff_alloc();
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, slots[i]);
	pthread_create(&t[NTHREADS], NULL, freer, NULL);
	for (i = 0; i <= NTHREADS; i++)
		pthread_join(t[i], NULL);
	keep(slots);
	say("done");
	return 0;
}
