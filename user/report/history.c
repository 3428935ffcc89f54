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
		free(ph);
	pidmap__release(&h->procs);
	free(h);
}

struct proc_history *history__get(struct history *h, pid_t pid, uint32_t image)
{
	struct proc_history *ph = pidmap__find(&h->procs, pid);

	if (ph) {
		if (ph->image != image) {	/* a new image: a new start */
			memset(ph, 0, sizeof(*ph));
			ph->pid = pid;
			ph->image = image;
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
	free(pidmap__remove(&h->procs, pid));
}
void proc_history__push(struct proc_history *ph, const struct proc_sample *s)
{
	if (ph->nsamples == HISTORY_SAMPLES) {
		memmove(&ph->samples[0], &ph->samples[1], (HISTORY_SAMPLES - 1) * sizeof(ph->samples[0]));
		ph->nsamples--;
	}
	ph->samples[ph->nsamples++] = *s;
	memcpy(ph->last_bytes, s->bytes, sizeof(ph->last_bytes));
	ph->has_last = true;
}
