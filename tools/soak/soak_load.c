// SPDX-License-Identifier: GPL-2.0
/* tools/soak/soak_load.c: one kind of load for tools/soak.sh, until killed.
 *
 *   soak_load threads   threads created and joined, each allocating and
 *                       freeing, one after another
 *   soak_load maps      mmap, mremap (grow, shrink, move) and munmap storms
 *   soak_load dlopen    dlopen and dlclose of libz and libm, in turn
 *   soak_load forks     fork, and exec of /bin/true from the child
 *
 * Everything it allocates it frees: it adds no outstanding memory of its
 * own, so the soak's leak figures stay exact.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void *thread_body(void *arg)
{
	void *p[32];
	int i;

	(void)arg;
	for (i = 0; i < 32; i++)
		p[i] = malloc(64 + 64 * i);
	for (i = 0; i < 32; i++)
		free(p[i]);
	return NULL;
}

static void threads(void)
{
	pthread_t t[4];
	int i;

	for (;;) {
		for (i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, thread_body, NULL))
				t[i] = 0;
		for (i = 0; i < 4; i++)
			if (t[i])
				pthread_join(t[i], NULL);
	}
}

static void maps(void)
{
	const size_t page = 4096;
	char *p, *q;

	for (;;) {
		p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue;
		p[0] = 1;
		q = mremap(p, 4 * page, 64 * page, MREMAP_MAYMOVE);
		if (q == MAP_FAILED) {
			munmap(p, 4 * page);
			continue;
		}
		q = mremap(q, 64 * page, 8 * page, 0);
		munmap(q + 2 * page, page);	/* a hole */
		munmap(q, 8 * page);
		usleep(100);
	}
}

static void dlopens(void)
{
	static const char *const libs[] = { "libz.so.1", "libm.so.6" };
	unsigned n = 0;
	void *h;

	for (;;) {
		h = dlopen(libs[n++ % 2], RTLD_NOW | RTLD_LOCAL);
		if (h)
			dlclose(h);
		usleep(1000);
	}
}

static void forks(void)
{
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "threads"))
		threads();
	else if (argc == 2 && !strcmp(argv[1], "maps"))
		maps();
	else if (argc == 2 && !strcmp(argv[1], "dlopen"))
		dlopens();
	else if (argc == 2 && !strcmp(argv[1], "forks"))
		forks();
	fprintf(stderr, "usage: soak_load threads|maps|dlopen|forks\n");
	return 2;
}
