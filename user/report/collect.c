// SPDX-License-Identifier: GPL-2.0
/* user/report/collect.c: one report from the BPF maps, the mapping accounting and
 * the process table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "memleak.skel.h"
#include "trace/bpfmaps.h"
#include "report/collect.h"
#include "util/log.h"
#include "trace/node.h"
#include "report/rank.h"
#include "sym/symbolize.h"
#include "report/trend.h"

struct collector {
	struct tracer *t;
	const struct options *opts;
	struct symbolizer *sym;
	int seq;
	bool want_all;			/* build every stack, for the exports */
	int64_t start_wall_ns;		/* CLOCK_REALTIME when tracing began */
	struct site_prev *prev;		/* outstanding per site at the last report */
	size_t nprev;
};

struct site_vec {
	struct site *v;
	size_t n, cap;
};

static struct site *site_vec_push(struct site_vec *sv)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 1024;
		struct site *v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		sv->v = v;
		sv->cap = cap;
	}
	memset(&sv->v[sv->n], 0, sizeof(sv->v[0]));
	return &sv->v[sv->n++];
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct collector *collector__new(struct tracer *t, const struct options *opts)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->t = t;
	c->opts = opts;
	c->start_wall_ns = wall_now_ns() - (int64_t)(tracer__now_ns() - t->start_ns);
	c->sym = symbolizer__new();
	if (!c->sym) {
		free(c);
		return NULL;
	}
	return c;
}

void collector__want_all(struct collector *c, bool all)
{
	c->want_all = all;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	symbolizer__free(c->sym);
	free(c->prev);
	free(c);
}

/* "stats" is per CPU: a site's figures are the sums over CPUs (a block
 * freed on another CPU than it was allocated on leaves one slot negative).
 */
static int gather_heap_sites(struct collector *c, struct site_vec *sv)
{
	int fd = bpf_map__fd(c->t->skel->maps.stats), ncpu = libbpf_num_possible_cpus();
	struct ml_stat_key *keys;
	struct ml_stat *vals;
	long n, i;
	int cpu;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	n = map_dump(fd, sizeof(*keys), sizeof(*vals) * ncpu, (void **)&keys, (void **)&vals);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		struct site *s = site_vec_push(sv);

		if (!s) {
			n = -ENOMEM;
			break;
		}
		s->key = keys[i];
		for (cpu = 0; cpu < ncpu; cpu++) {
			const struct ml_stat *v = &vals[i * ncpu + cpu];

			s->outstanding_bytes += v->outstanding_bytes;
			s->outstanding_count += v->outstanding_count;
			s->total_bytes += v->total_bytes;
			s->total_count += v->total_count;
		}
	}
	free(keys);
	free(vals);
	return n < 0 ? n : 0;
}

/* Ages need a walk over every outstanding block: done when asked for
 * (--min-age, --sort age), or when the walk is small (a few ms).  With
 * --min-age, outstanding counts only blocks at least that old.
 */
#define AGES_WALK_LIMIT 100000

static int64_t outstanding_blocks(const struct site *v, size_t n)
{
	int64_t blocks = 0;
	size_t i;

	for (i = 0; i < n; i++)
		blocks += v[i].outstanding_count;
	return blocks;
}

static int measure_ages(struct collector *c, struct site *v, size_t n, uint64_t now)
{
	int fd = bpf_map__fd(c->t->skel->maps.allocs);
	uint64_t min_age = c->opts->min_age_ns;
	struct ml_alloc_key *keys;
	struct ml_alloc *vals;
	long nb, i;
	size_t j;

	nb = map_dump(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	if (nb < 0)
		return nb;
	if (min_age)
		for (j = 0; j < n; j++)
			if (v[j].key.category == ML_CAT_NATIVE)
				v[j].outstanding_bytes = v[j].outstanding_count = 0;
	for (i = 0; i < nb; i++) {
		struct site *s = sites_find(v, n, &vals[i].key);

		if (!s)
			continue;
		if (min_age && vals[i].ts_ns + min_age > now)
			continue;	/* too young */
		if (min_age) {
			s->outstanding_bytes += vals[i].size;
			s->outstanding_count++;
		}
		if (!s->oldest_ts_ns || vals[i].ts_ns < s->oldest_ts_ns)
			s->oldest_ts_ns = vals[i].ts_ns;
	}
	free(keys);
	free(vals);
	return 0;
}

struct region_ctx {
	struct site_vec *sv;
	int err;
};

static void add_region_site(pid_t pid, uint32_t exec_id, const struct region_site *rs, void *ctx)
{
	struct region_ctx *rc = ctx;
	struct site *s = site_vec_push(rc->sv);

	if (!s) {
		rc->err = -ENOMEM;
		return;
	}
	s->key.pid = pid;
	s->key.exec_id = exec_id;
	s->key.stack_id = rs->stack_id;
	s->key.category = rs->category;
	s->outstanding_bytes = rs->outstanding_bytes;
	s->outstanding_count = rs->outstanding_count;
	s->total_bytes = rs->total_bytes;
	s->total_count = rs->total_count;
	s->oldest_ts_ns = rs->oldest_ts_ns;
}

/* Entries of an image the process has left (pending purge) are not shown. */
static size_t drop_stale_images(struct collector *c, struct site *v, size_t n)
{
	size_t i, keep = 0;

	for (i = 0; i < n; i++) {
		struct proc *p = proctable__find(c->t->procs, v[i].key.pid);

		if (p && p->exec_id && p->exec_id != v[i].key.exec_id)
			continue;
		v[keep++] = v[i];
	}
	return keep;
}

static bool is_target_mode(const struct collector *c)
{
	return c->t->mode != MODE_SYSTEM;
}

/* Outstanding bytes and blocks per category of one process. */
struct proc_totals {
	int64_t bytes[ML_CAT_MAX];
	int64_t count[ML_CAT_MAX];
	bool any;
};

static int build_procs(struct collector *c, const struct site *v, size_t n, double elapsed,
		       struct report *r)
{
	struct proctable *pt = c->t->procs;
	struct proc_totals *tot;
	struct proc *p;
	size_t i, j, np;
	int err = 0;

	/* Every process with a site gets an entry (comm, map), including
	 * those that only ever called malloc since we started watching.
	 */
	for (i = 0; i < n; i++)
		if ((i == 0 || v[i].key.pid != v[i - 1].key.pid) && !proctable__get(pt, v[i].key.pid))
			return -ENOMEM;
	np = proctable__count(pt);
	tot = calloc(np ? np : 1, sizeof(*tot));
	r->procs = calloc(np ? np : 1, sizeof(*r->procs));
	if (!tot || !r->procs) {
		err = -ENOMEM;
		goto out;
	}
	/* Sites and the table are both sorted by pid: one merge. */
	for (i = 0, j = 0; i < n; i++) {
		while (j < np && proctable__at(pt, j)->pid < (pid_t)v[i].key.pid)
			j++;
		if (j == np)
			break;
		tot[j].bytes[v[i].key.category] += v[i].outstanding_bytes;
		tot[j].count[v[i].key.category] += v[i].outstanding_count;
		tot[j].any = true;
	}
	for (j = 0; (p = proctable__at(pt, j)); j++) {
		struct proc_report *pr = &r->procs[r->nprocs];
		int k;

		if (!tot[j].any && !is_target_mode(c))
			continue;
		pr->pid = p->pid;
		pr->comm = strdup(p->comm);
		pr->exited = p->exited;
		pr->allocator = p->allocator;
		for (k = 0; k < ML_CAT_MAX; k++) {
			pr->cat[k].bytes = tot[j].bytes[k];
			pr->cat[k].count = tot[j].count[k];
			pr->cat[k].growth_bytes = tot[j].bytes[k] - (p->has_last ? p->last_bytes[k] : 0);
			pr->has_category[k] = k <= ML_CAT_ALLOCATOR || tot[j].bytes[k] || tot[j].count[k];
			p->last_bytes[k] = tot[j].bytes[k];
		}
		p->has_last = true;
		pr->is_node = node__of(c->t, p) != NULL;
		proc__push_sample(p, elapsed, tot[j].bytes);
		/* the sample holds the interval's collections */
		for (k = 0; k < ML_GC_MAX; k++) {
			pr->gc[k] = p->hist[p->nhist - 1].gc[k];
			pr->gc_total[k] = p->gc[k];
		}
		trend_judge(p->hist, p->nhist, &pr->trend);
		r->nprocs++;
	}
out:
	free(tot);
	return err;
}

static void resolve_frames(struct collector *c, struct stack_report *sr, const struct ml_stack *st,
			   struct proc *p)
{
	int cap = st->nr * 2 + 1, i, l;

	sr->frames = calloc(cap, sizeof(*sr->frames));
	if (!sr->frames)
		return;
	for (i = 0; i < (int)st->nr && i < ML_MAX_FRAMES; i++) {
		uint64_t ip = st->ips[i];
		const struct map_entry *e;
		struct sym_info info;

		if (!ip)
			break;	/* the end of the walk */
		/* A return address points after the call: look up the call. */
		symbolizer__resolve(c->sym, sr->pid, p ? &p->maps : NULL, p ? p->root : NULL,
				    i ? ip - 1 : ip, &info);
		e = p ? proc_maps__find(&p->maps, ip) : NULL;	/* for pprof's mappings */
		for (l = 0; l < info.nlines && sr->nframes < cap; l++) {
			struct frame *f = &sr->frames[sr->nframes++];

			f->addr = ip;
			f->module = info.module;
			f->module_offset = info.module_offset + (i ? 1 : 0);
			f->build_id = info.build_id;
			if (e) {
				f->map_start = e->start;
				f->map_limit = e->end;
				f->map_offset = e->offset;
			}
			f->function = info.lines[l].function;
			f->system_name = info.lines[l].system_name;
			f->file = info.lines[l].file;
			f->line = info.lines[l].line;
			f->start_line = info.lines[l].start_line;
			f->jit = info.kind == SYM_JIT || (info.module && !strcmp(info.module, "[jit]"));
			f->inlined = l < info.nlines - 1;
		}
	}
}

static void build_stack(struct collector *c, const struct site *s, uint64_t now, struct stack_report *sr)
{
	int fd = bpf_map__fd(c->t->skel->maps.stacks);
	struct proc *p = proctable__find(c->t->procs, s->key.pid);
	struct ml_stack st;

	sr->pid = s->key.pid;
	sr->comm = strdup(p ? p->comm : "?");
	sr->category = s->key.category;
	sr->stack_id = s->key.stack_id;
	sr->outstanding_bytes = s->outstanding_bytes;
	sr->outstanding_count = s->outstanding_count;
	sr->growth_bytes = s->growth_bytes;
	sr->total_bytes = s->total_bytes;
	sr->total_count = s->total_count;
	sr->oldest_age_s = s->oldest_ts_ns && s->outstanding_count ?
			   (double)(now - s->oldest_ts_ns) / 1e9 : -1;
	if (s->key.stack_id && bpf_map_lookup_elem(fd, &s->key.stack_id, &st) == 0)
		resolve_frames(c, sr, &st, p);

}

int collector__collect(struct collector *c, bool final, struct report *r)
{
	struct region_ctx rc;
	struct site_vec sv = { 0 };
	uint64_t now;
	size_t n, live, i;
	int err, k;

	memset(r, 0, sizeof(*r));
	tracer__drain(c->t);
	tracer__housekeeping(c->t);
	now = tracer__now_ns();
	r->seq = ++c->seq;
	r->wall_ns = wall_now_ns();
	r->wall = (time_t)(r->wall_ns / 1000000000LL);
	r->start_wall_ns = c->start_wall_ns;
	r->elapsed_s = (double)(now - c->t->start_ns) / 1e9;
	r->final = final;
	r->sort = c->opts->sort;
	r->top = c->opts->top;
	r->min_age_ns = c->opts->min_age_ns;
	tracer__drops(c->t, r->drops);
	for (k = 0; k < ML_DROP_MAX; k++)
		r->dropped += r->drops[k];

	err = gather_heap_sites(c, &sv);
	if (err)
		goto out;
	sites_sort_by_key(sv.v, sv.n);
	r->ages_known = c->opts->min_age_ns || c->opts->sort == SORT_AGE ||
			outstanding_blocks(sv.v, sv.n) <= AGES_WALK_LIMIT;
	if (r->ages_known) {
		err = measure_ages(c, sv.v, sv.n, now);
		if (err)
			goto out;
	}
	rc = (struct region_ctx){ .sv = &sv };
	regions__visit(c->t->regions, 0, now, c->opts->min_age_ns, add_region_site, &rc);
	err = rc.err;
	if (err)
		goto out;
	sites_sort_by_key(sv.v, sv.n);
	n = drop_stale_images(c, sv.v, sv.n);
	sites_apply_growth(sv.v, n, c->prev, c->nprev);
	free(c->prev);
	c->prev = sites_snapshot(sv.v, n);
	c->nprev = c->prev ? n : 0;

	err = build_procs(c, sv.v, n, r->elapsed_s, r);
	if (err)
		goto out;
	live = sites_rank(sv.v, n, c->opts->sort);
	r->nstacks_total = live;
	r->nstacks = live < (size_t)c->opts->top ? (int)live : c->opts->top;
	r->nprofile = c->want_all ? (int)n : r->nstacks;
	r->stacks = calloc(r->nprofile ? r->nprofile : 1, sizeof(*r->stacks));
	if (!r->stacks) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < (size_t)r->nprofile; i++)
		build_stack(c, &sv.v[i], now, &r->stacks[i]);
out:
	free(sv.v);
	return err;
}

void collector__done(struct collector *c, const struct report *r)
{
	int i;

	for (i = 0; i < r->nprocs; i++) {
		struct proc *p;

		if (!r->procs[i].exited)
			continue;
		p = proctable__find(c->t->procs, r->procs[i].pid);
		if (!p)
			continue;
		p->reported_exit = true;
		c->t->pending_purge = true;
		symbolizer__forget_pid(c->sym, p->pid);
	}
	/* Exited processes that held nothing were not in the report. */
	for (i = 0; i < (int)proctable__count(c->t->procs); i++) {
		struct proc *p = proctable__at(c->t->procs, i);

		if (p->exited && !p->reported_exit) {
			p->reported_exit = true;
			c->t->pending_purge = true;
			symbolizer__forget_pid(c->sym, p->pid);
		}
	}
	tracer__purge(c->t);
}
