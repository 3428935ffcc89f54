// SPDX-License-Identifier: GPL-2.0
/* user/util/ticker.c: see ticker.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/ticker.h"

struct ticker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	volatile uint64_t *word;
	unsigned int period_ms;
};

static void *tick(void *arg)
{
	struct ticker *t = arg;
	struct timespec until;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		__atomic_store_n(t->word, clock_monotonic_ns(), __ATOMIC_RELAXED);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)t->period_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&t->wake, &t->lock, &until);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct ticker *ticker__start(volatile uint64_t *word, unsigned int period_ms)
{
	struct ticker *t = calloc(1, sizeof(*t));
	pthread_condattr_t attr;
	int err;

	if (!t)
		return NULL;
	t->word = word;
	t->period_ms = period_ms ? period_ms : 1;
	__atomic_store_n(word, clock_monotonic_ns(), __ATOMIC_RELAXED);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&t->thread, NULL, tick, t);
	if (err) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		errno = err;
		return NULL;
	}
	return t;
}

void ticker__stop(struct ticker *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
