// SPDX-License-Identifier: GPL-2.0
/* user/report/history.c: see history.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/history.h"
#include "util/pidmap.h"

struct history {
	struct pidmap procs;	/* struct proc_history */
};

static void proc_history__free(struct proc_history *ph)
{
	if (ph)
		free(ph->samples);
	free(ph);
}

struct history *history__new(void)
{
	return calloc(1, sizeof(struct history));
}

void history__free(struct history *h)
{
	struct proc_history *ph;
	size_t i;

	if (!h)
		return;
	for (i = 0; (ph = pidmap__at(&h->procs, i)); i++)
		proc_history__free(ph);
	pidmap__release(&h->procs);
	free(h);
}

struct proc_history *history__get(struct history *h, pid_t pid, uint32_t image)
{
	struct proc_history *ph = pidmap__find(&h->procs, pid);

	if (ph) {
		if (ph->image != image) {	/* a new image: a new start */
			struct proc_sample *samples = ph->samples;
			int cap = ph->cap;

			memset(ph, 0, sizeof(*ph));
			ph->pid = pid;
			ph->image = image;
			ph->samples = samples;
			ph->cap = cap;
		}
		return ph;
	}
	ph = calloc(1, sizeof(*ph));
	if (!ph)
		return NULL;
	ph->pid = pid;
	ph->image = image;
	if (pidmap__insert(&h->procs, pid, ph)) {
		free(ph);
		return NULL;
	}
	return ph;
}

void history__forget(struct history *h, pid_t pid)
{
	proc_history__free(pidmap__remove(&h->procs, pid));
}

int proc_history__push(struct proc_history *ph, const struct proc_sample *s)
{
	if (ph->nsamples == HISTORY_SAMPLES) {
		memmove(&ph->samples[0], &ph->samples[1], (HISTORY_SAMPLES - 1) * sizeof(ph->samples[0]));
		ph->nsamples--;
	}
	/* not ARRAY_GROW: its 16 first elements would be 1.6 KiB for each
	 * of the thousands of processes that live through one report
	 */
	if (ph->nsamples == ph->cap) {
		int cap = ph->cap ? 2 * ph->cap : 2;
		struct proc_sample *v;

		if (cap > HISTORY_SAMPLES)
			cap = HISTORY_SAMPLES;
		v = realloc(ph->samples, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ph->samples = v;
		ph->cap = cap;
	}
	ph->samples[ph->nsamples++] = *s;
	memcpy(ph->last_bytes, s->bytes, sizeof(ph->last_bytes));
	ph->has_last = true;
	return 0;
}
