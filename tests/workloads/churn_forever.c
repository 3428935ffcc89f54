/* Four threads churn malloc/realloc/free until stdin closes, writing a
 * pattern into every block and checking it before freeing: if tracing ever
 * disturbed a call (a lost return, a clobbered register), the check or the
 * allocator itself fails and the exit status says so.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "wl.h"

#define NTHREADS 4
#define SLOTS 64

static volatile int stop;
static volatile long bad;

NOINLINE static void *churn(void *arg)
{
	unsigned seed = (unsigned)(long)arg;
	unsigned char *slot[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	int i;

	while (!stop) {
		i = rand_r(&seed) % SLOTS;
		if (slot[i]) {
			for (size_t k = 0; k < len[i]; k++)
				if (slot[i][k] != (unsigned char)(i + len[i]))
					bad++;
			if (rand_r(&seed) % 2) {
				free(slot[i]);
				slot[i] = NULL;
				continue;
			}
			len[i] = 1 + rand_r(&seed) % 4096;
			slot[i] = realloc(slot[i], len[i]);
		} else {
			len[i] = 1 + rand_r(&seed) % 4096;
			slot[i] = malloc(len[i]);
		}
		if (slot[i])
			memset(slot[i], (unsigned char)(i + len[i]), len[i]);
	}
	for (i = 0; i < SLOTS; i++)
		free(slot[i]);
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	char c;
	long i;

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	say("ready");
	while (read(0, &c, 1) > 0)
		;
	stop = 1;
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "bad %ld\n", bad);
	return bad ? 1 : 0;
}
