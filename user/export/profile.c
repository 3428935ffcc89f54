// SPDX-License-Identifier: GPL-2.0
/* user/export/profile.c: a report reduced to named stacks and one metric. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "export/profile.h"
#include "util/array.h"
#include "util/format.h"

static const struct {
	const char *unit, *title;
} metrics[METRIC_MAX] = {
	[METRIC_OUTSTANDING] = { "bytes", "outstanding bytes" },
	[METRIC_GROWTH] = { "bytes", "growth in bytes since the previous report" },
	[METRIC_COUNT] = { "allocations", "outstanding allocations" },
	[METRIC_ALLOCS] = { "allocations", "allocations made" },
	[METRIC_ALLOC_BYTES] = { "bytes", "bytes allocated" },
};

const char *metric_unit(enum metric m)
{
	return m < METRIC_MAX ? metrics[m].unit : "?";
}

const char *metric_title(enum metric m)
{
	return m < METRIC_MAX ? metrics[m].title : "?";
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

enum frame_kind profile_frame_kind(const struct frame *f)
{
	if (f->jit)
		return FRAME_JIT;
	if (!f->function)
		return FRAME_UNKNOWN;
	return f->inlined ? FRAME_INLINED : FRAME_NATIVE;
}

const char *profile_frame_name(const struct frame *f, char *buf, size_t len)
{
	if (f->function)
		return f->function;
	if (f->jit)
		return "[jit]";
	if (f->module && f->module[0] == '/') {
		snprintf(buf, len, "%s+0x%" PRIx64, base_name(f->module), f->module_offset);
		return buf;
	}
	return "[unknown]";
}

int profile__add(struct profile *p, const struct pframe *frames, int nframes, int category,
		 int64_t value, int64_t base)
{
	struct psample *s;
	int i;

	if (ARRAY_GROW(p->v, p->cap, p->n + 1))
		return -ENOMEM;
	s = &p->v[p->n];
	memset(s, 0, sizeof(*s));
	s->frames = calloc(nframes ? nframes : 1, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	for (i = 0; i < nframes; i++) {
		s->frames[i].kind = frames[i].kind;
		s->frames[i].name = strdup(frames[i].name ? frames[i].name : "");
		if (!s->frames[i].name) {
			while (i--)
				free((char *)s->frames[i].name);
			free(s->frames);
			return -ENOMEM;
		}
	}
	s->nframes = nframes;
	s->category = category;
	s->value = value;
	s->base = base;
	p->n++;
	return 0;
}

static int64_t stack_value(const struct stack_report *s, enum metric m)
{
	switch (m) {
	case METRIC_GROWTH:
		return s->growth_bytes > 0 ? s->growth_bytes : 0;
	case METRIC_COUNT:
		return s->outstanding_count > 0 ? s->outstanding_count : 0;
	case METRIC_ALLOCS:
		return (int64_t)s->total_count;
	case METRIC_ALLOC_BYTES:
		return (int64_t)s->total_bytes;
	case METRIC_OUTSTANDING:
	default:
		return s->outstanding_bytes > 0 ? s->outstanding_bytes : 0;
	}
}

/* Root first: the process, then the report's frames (leaf first) reversed. */
static int add_stack(struct profile *p, const struct stack_report *s, int64_t value)
{
	struct pframe *frames = calloc(s->nframes + 1, sizeof(*frames));
	char *names = malloc((size_t)(s->nframes + 1) * 64);
	char root[64];
	int i, err;

	if (!frames || !names) {
		err = -ENOMEM;
		goto cleanup;
	}
	snprintf(root, sizeof(root), "%s (%d)", s->comm ? s->comm : "?", (int)s->pid);
	frames[0] = (struct pframe){ root, FRAME_PROCESS };
	for (i = 0; i < s->nframes; i++) {
		const struct frame *f = &s->frames[s->nframes - 1 - i];

		frames[i + 1].name = profile_frame_name(f, names + (size_t)i * 64, 64);
		frames[i + 1].kind = profile_frame_kind(f);
	}
	err = profile__add(p, frames, s->nframes + 1, (int)s->category, value, 0);
cleanup:
	free(frames);
	free(names);
	return err;
}

/* "memleakbpf: outstanding bytes of leaky (5150), node (4242)" */
static void make_titles(struct profile *p, const struct report *r)
{
	time_t when = r->wall;
	struct tm tm;
	size_t o;
	int i;

	/* sampled: the heap's figures are estimates, and so is the graph */
	o = (size_t)snprintf(p->title, sizeof(p->title), "memleakbpf: %s%s of ",
			     r->sample_bytes ? "estimated " : "", metric_title(p->metric));
	for (i = 0; i < r->nprocs && o < sizeof(p->title); i++)
		o += (size_t)snprintf(p->title + o, sizeof(p->title) - o, "%s%s (%d)", i ? ", " : "",
				      r->procs[i].comm ? r->procs[i].comm : "?", (int)r->procs[i].pid);
	if (!r->nprocs && o < sizeof(p->title))
		snprintf(p->title + o, sizeof(p->title) - o, "no process");
	if (o >= sizeof(p->title))	/* too many processes: say so */
		memcpy(p->title + sizeof(p->title) - 4, "...", 4);
	gmtime_r(&when, &tm);
	o = strftime(p->subtitle, sizeof(p->subtitle), "%Y-%m-%d %H:%M:%S UTC", &tm);
	o += snprintf(p->subtitle + o, sizeof(p->subtitle) - o, ", %.1f s traced, report %d%s",
		      r->elapsed_s, r->seq, r->final ? " (final)" : "");
	if (r->sample_bytes && o < sizeof(p->subtitle)) {
		char n[32];

		format_bytes(n, sizeof(n), r->sample_bytes);
		snprintf(p->subtitle + o, sizeof(p->subtitle) - o,
			 ", one allocation sampled per %s (--sample-bytes)", n);
	}
}

int profile__from_report(struct profile *p, const struct report *r, enum metric m)
{
	int i, err;

	memset(p, 0, sizeof(*p));
	p->metric = m;
	make_titles(p, r);
	for (i = 0; i < r->nprofile; i++) {
		int64_t value = stack_value(&r->stacks[i], m);

		/* the allocator's arenas hold the native heap: counted once */
		if (value <= 0 || r->stacks[i].category == ML_CAT_ALLOCATOR)
			continue;
		err = add_stack(p, &r->stacks[i], value);
		if (err) {
			profile__release(p);
			return err;
		}
	}
	return 0;
}

bool profile_read_value_fits(uint64_t *abs_total, int64_t value)
{
	uint64_t m = value < 0 ? -(uint64_t)value : (uint64_t)value;

	if (m > (uint64_t)PROFILE_READ_MAX - *abs_total)
		return false;
	*abs_total += m;
	return true;
}

int64_t profile__total(const struct profile *p, bool base)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		sum += base ? p->v[i].base : p->v[i].value;
	return sum;
}

void profile__release(struct profile *p)
{
	size_t i;
	int k;

	for (i = 0; i < p->n; i++) {
		for (k = 0; k < p->v[i].nframes; k++)
			free((char *)p->v[i].frames[k].name);
		free(p->v[i].frames);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

static const char *const metric_names[METRIC_MAX] = {
	[METRIC_OUTSTANDING] = "outstanding",
	[METRIC_GROWTH] = "growth",
	[METRIC_COUNT] = "count",
	[METRIC_ALLOCS] = "allocs",
	[METRIC_ALLOC_BYTES] = "alloc-bytes",
};

int parse_metric(const char *s, enum metric *out)
{
	int m;

	for (m = 0; s && m < METRIC_MAX; m++) {
		if (!strcmp(s, metric_names[m])) {
			*out = m;
			return 0;
		}
	}
	return -EINVAL;
}

const char *metric_name(enum metric m)
{
	return (unsigned)m < METRIC_MAX ? metric_names[m] : "?";
}
