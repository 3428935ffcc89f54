// SPDX-License-Identifier: GPL-2.0
/* tools/bench/churn.c: the benchmark's workload, malloc(64)/free pairs.
 *
 * Usage: churn [-n PAIRS] [-t THREADS] [-d DEPTH] [-o FILE] [-s SECONDS] [-a]
 *
 * Each of THREADS threads makes PAIRS malloc(64)/free pairs, each pair
 * DEPTH calls below the thread's loop (so that a stack walk sees a few
 * frames, as in a real program).  The threads start together (a barrier)
 * and each times its own loop with CLOCK_MONOTONIC: start-up, thread
 * creation and exit are not counted.  The figure is the mean over threads
 * of ns per pair, printed as "ns_per_pair N" on stderr, or into FILE
 * (stdout may belong to a tracer's report).  -s: stay SECONDS after that,
 * making no more calls, so that a tracer's per-program counters can be read
 * while it still runs (tools/bench.sh's profile).  -a: alternate between
 * two call sites of the loop, so that no stack is the same as the one
 * before it (a tracer that replays its last walk cannot here).
 *
 * Built with frame pointers and no inlining, like the programs a user
 * would profile; linked against the private libc copy (see tools/bench.mk).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_DEPTH 64

struct worker {
	pthread_t tid;
	long pairs;
	int depth;
	int alternate;
	double ns_per_pair;
};

static pthread_barrier_t start_line;

/* Keeps the compiler from pairing malloc with free and removing both. */
static void *volatile sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One pair, depth frames further down: each level is a real frame. */
__attribute__((noinline)) static void pair_at(int depth)
{
	char *p;

	if (depth > 0) {
		pair_at(depth - 1);
		__asm__ volatile("" ::: "memory");	/* no tail call */
		return;
	}
	p = malloc(64);
	if (!p)
		abort();
	p[0] = 1;
	sink = p;
	free(p);
}

__attribute__((noinline)) static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t t0, t1;
	long i;

	pthread_barrier_wait(&start_line);
	t0 = now_ns();
	for (i = 0; i < w->pairs; i++) {
		/* different code after each call: two return addresses */
		if (w->alternate && (i & 1)) {
			pair_at(w->depth);
			__asm__ volatile("nop" ::: "memory");
		} else {
			pair_at(w->depth);
			__asm__ volatile("nop; nop" ::: "memory");
		}
	}
	t1 = now_ns();
	w->ns_per_pair = (double)(t1 - t0) / (double)w->pairs;
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: churn [-n PAIRS] [-t THREADS] [-d DEPTH] [-o FILE] [-s SECONDS] [-a]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS];
	long pairs = 1000000;
	int threads = 1, depth = 4, hold = 0, alternate = 0, i, c, err;
	const char *out_path = NULL;
	double sum = 0;
	FILE *out = stderr;

	while ((c = getopt(argc, argv, "n:t:d:o:s:a")) != -1) {
		switch (c) {
		case 'n': pairs = atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'o': out_path = optarg; break;
		case 's': hold = atoi(optarg); break;
		case 'a': alternate = 1; break;
		default: return usage();
		}
	}
	if (optind != argc || pairs <= 0 || threads < 1 || threads > MAX_THREADS ||
	    depth < 0 || depth > MAX_DEPTH || hold < 0)
		return usage();

	pthread_barrier_init(&start_line, NULL, threads);
	for (i = 0; i < threads; i++) {
		w[i] = (struct worker){ .pairs = pairs, .depth = depth, .alternate = alternate };
		/* Thread 0 is this thread: one fewer thread to create. */
		if (i == 0)
			continue;
		err = pthread_create(&w[i].tid, NULL, worker_run, &w[i]);
		if (err) {
			fprintf(stderr, "churn: cannot create a thread: %s\n", strerror(err));
			return 1;
		}
	}
	worker_run(&w[0]);
	for (i = 1; i < threads; i++)
		pthread_join(w[i].tid, NULL);
	for (i = 0; i < threads; i++)
		sum += w[i].ns_per_pair;

	if (out_path && !(out = fopen(out_path, "w"))) {
		fprintf(stderr, "churn: cannot open '%s': %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(out, "ns_per_pair %.2f\n", sum / threads);
	if (out != stderr && fclose(out)) {
		fprintf(stderr, "churn: cannot write '%s': %s\n", out_path, strerror(errno));
		return 1;
	}
	if (hold)
		sleep(hold);
	return 0;
}
