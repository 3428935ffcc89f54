// SPDX-License-Identifier: GPL-2.0
/* user/report/collect.c: one report from the BPF maps, the mapping accounting and
 * the process table.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report/collect.h"
#include "report/history.h"
#include "report/rank.h"
#include "report/trend.h"
#include "sym/symbolize.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/sampling.h"

struct collector {
	struct collect_config cfg;
	struct collect_sources src;
	struct history *history;	/* what each process held at past reports */
	struct symbolizer *sym;
	int seq;
	int64_t start_wall_ns;		/* CLOCK_REALTIME when tracing began */
	struct site_prev *prev;		/* outstanding per site at the last report */
	size_t nprev;
	struct sampling *sampling;	/* --sample-bytes: how BPF weighed blocks; NULL: off */
};

struct site_vec {
	struct site *v;
	size_t n, cap;
};

static struct site *site_vec_push(struct site_vec *sv)
{
	if (ARRAY_GROW(sv->v, sv->cap, sv->n + 1))
		return NULL;
	memset(&sv->v[sv->n], 0, sizeof(sv->v[0]));
	return &sv->v[sv->n++];
}

/* Files of processes in other mount namespaces, kept open by the table:
 * named after the processes and their namespaces have gone.
 */
static int kept_file_of(void *procs, const struct map_entry *e, bool *at_path)
{
	return proctable__kept_fd(procs, e->dev_major, e->dev_minor, e->inode, at_path);
}

struct collector *collector__new(const struct collect_config *cfg, const struct collect_sources *src)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->src = *src;
	if (!c->cfg.monotonic_ns)
		c->cfg.monotonic_ns = clock_monotonic_ns;
	if (!c->cfg.realtime_ns)
		c->cfg.realtime_ns = clock_realtime_ns;
	c->start_wall_ns = c->cfg.realtime_ns() - (int64_t)(c->cfg.monotonic_ns() - cfg->start_ns);
	c->sym = symbolizer__new();
	if (c->sym && src->procs)
		symbolizer__set_kept_files(c->sym, kept_file_of, src->procs);
	c->history = history__new();
	if (cfg->sample_bytes) {
		c->sampling = malloc(sizeof(*c->sampling));
		if (c->sampling)
			sampling__init(c->sampling, cfg->sample_bytes);
	}
	if (!c->sym || !c->history || (cfg->sample_bytes && !c->sampling)) {
		collector__free(c);
		return NULL;
	}
	return c;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	symbolizer__free(c->sym);
	history__free(c->history);
	free(c->sampling);
	free(c->prev);
	free(c);
}

static int gather_heap_sites(struct collector *c, struct site_vec *sv)
{
	const struct heap_maps *heap = c->src.heap;
	struct heap_site *hs;
	long n, i;

	n = heap->sites(heap->ctx, &hs);
	if (n < 0) {
		log_error("cannot read the BPF map of allocation sites: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++) {
		struct site *s = site_vec_push(sv);

		if (!s) {
			n = -ENOMEM;
			log_error("out of memory gathering the allocation sites");
			break;
		}
		s->key = hs[i].key;
		s->outstanding_bytes = hs[i].stat.outstanding_bytes;
		s->outstanding_count = hs[i].stat.outstanding_count;
		s->total_bytes = hs[i].stat.total_bytes;
		s->total_count = hs[i].stat.total_count;
	}
	free(hs);
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

/* --min-age with --sample-bytes: the blocks old enough, weighed as BPF
 * weighed them, summed in fixed point per site (q[2 j]: bytes, q[2 j + 1]:
 * allocations) and rounded once.
 */
static void weigh_old_block(struct collector *c, int64_t *q, const struct site *v,
			    const struct site *s, const struct ml_alloc *b)
{
	q[2 * (s - v)] += sampling__bytes_q8(c->sampling, b->size);
	q[2 * (s - v) + 1] += sampling__count_q16(c->sampling, b->size);
}

static void weighed_totals(int64_t *q, struct site *v, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		if (v[j].key.category != ML_CAT_NATIVE)
			continue;
		v[j].outstanding_bytes = sampling__round(q[2 * j], ML_Q_BYTES);
		v[j].outstanding_count = sampling__round(q[2 * j + 1], ML_Q_COUNT);
	}
}

static int measure_ages(struct collector *c, struct site *v, size_t n, uint64_t now)
{
	const struct heap_maps *heap = c->src.heap;
	uint64_t min_age = c->cfg.min_age_ns;
	struct ml_alloc *vals;
	int64_t *q = NULL;
	long nb, i;
	size_t j;

	nb = heap->blocks(heap->ctx, &vals);
	if (nb < 0) {
		log_error("cannot read the BPF map of outstanding blocks: %s", strerror(-nb));
		return nb;
	}
	if (min_age && c->sampling) {
		q = calloc(n ? 2 * n : 1, sizeof(*q));
		if (!q) {
			free(vals);
			log_error("out of memory weighing the outstanding blocks");
			return -ENOMEM;
		}
	}
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
		if (q) {
			weigh_old_block(c, q, v, s, &vals[i]);
		} else if (min_age) {
			s->outstanding_bytes += vals[i].size;
			s->outstanding_count++;
		}
		if (!s->oldest_ts_ns || vals[i].ts_ns < s->oldest_ts_ns)
			s->oldest_ts_ns = vals[i].ts_ns;
	}
	if (q)
		weighed_totals(q, v, n);
	free(q);
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
		const struct proc *p = proctable__find(c->src.procs, v[i].key.pid);

		if (p && p->exec_id && p->exec_id != v[i].key.exec_id)
			continue;
		v[keep++] = v[i];
	}
	return keep;
}

/* Outstanding bytes and blocks per category of one process. */
struct proc_totals {
	int64_t bytes[ML_CAT_MAX];
	int64_t count[ML_CAT_MAX];
	struct proc_stacks stacks;	/* of the sites new in this report */
	bool any;
	bool folded;			/* into report.exited_folded */
	bool listed;			/* in report.procs */
};

/* System-wide, an exited process that held no heap block at its exit
 * (only mappings: ld.so's, its stacks', which the kernel takes back) is
 * summed into one figure rather than listed: a machine starts thousands of
 * /bin/true a minute.  One that exited holding heap blocks is listed.
 */
static bool fold_exited(const struct collector *c, const struct proc *p,
			const struct proc_totals *tot)
{
	return !c->cfg.list_all_procs && p->exited && tot->bytes[ML_CAT_NATIVE] <= 0 &&
	       tot->bytes[ML_CAT_BUFFER] <= 0 && tot->bytes[ML_CAT_V8_HEAP] <= 0;
}

/* How a site's stack was walked (struct ml_stack's end): looked up once,
 * in the first report that has the site.
 */
static void count_stack(struct collector *c, const struct site *s, struct proc_stacks *out)
{
	const struct heap_maps *heap = c->src.heap;
	struct ml_stack st;

	if (!s->key.stack_id || heap->stack(heap->ctx, s->key.stack_id, &st))
		return;
	if (st.end == 0)
		out->frame_pointers++;
	else if (st.end == ML_UW_END_COMPLETE)
		out->complete++;
	else
		out->truncated++;
}

/* One process's line of the report: its totals, their growth since the
 * previous report, its Node.js collections and its trend.
 */
static int report_proc(struct collector *c, const struct proc *p, const struct proc_totals *tot,
		       double elapsed, struct proc_report *pr)
{
	struct proc_history *ph = history__get(c->history, p->pid, p->image);
	struct proc_sample sample = { .t = elapsed };
	struct node_interval gc;
	int k;

	if (!ph)
		return -ENOMEM;
	pr->pid = p->pid;
	pr->comm = strdup(p->comm);
	pr->cgroup = p->cgroup ? strdup(p->cgroup) : NULL;
	pr->exited = p->exited;
	pr->allocator = p->allocator;
	pr->growth_s = elapsed - (ph->has_last && ph->nsamples ? ph->samples[ph->nsamples - 1].t : 0);
	for (k = 0; k < ML_CAT_MAX; k++) {
		pr->cat[k].bytes = tot->bytes[k];
		pr->cat[k].count = tot->count[k];
		pr->cat[k].estimated = category_estimated(c->cfg.sample_bytes, k);
		/* a sum of sampled blocks has variance sum s^2 (1 - p)/p <=
		 * N sum s (e^-x x / (1 - e^-x) <= 1, x = s/N): at most N bytes
		 */
		if (pr->cat[k].estimated && tot->bytes[k] > 0)
			sample.noise[k] = (int64_t)sqrt((double)c->cfg.sample_bytes * (double)tot->bytes[k]);
		pr->cat[k].growth_bytes = tot->bytes[k] - (ph->has_last ? ph->last_bytes[k] : 0);
		pr->has_category[k] = k <= ML_CAT_ALLOCATOR || tot->bytes[k] || tot->count[k];
		sample.bytes[k] = tot->bytes[k];
	}
	ph->stacks.complete += tot->stacks.complete;
	ph->stacks.truncated += tot->stacks.truncated;
	ph->stacks.frame_pointers += tot->stacks.frame_pointers;
	pr->stacks = ph->stacks;
	pr->is_node = node_tracker__of(c->src.node, p) != NULL;
	node_tracker__end_interval(c->src.node, p->pid, c->src.heap, &gc);
	for (k = 0; k < ML_GC_MAX; k++) {
		pr->gc[k] = gc.gc[k];
		pr->gc_total[k] = gc.gc_total[k];
		sample.gc[k] = (uint32_t)gc.gc[k];
	}
	for (k = 0; k < gc.nfull && k < GC_FULL_KEEP; k++)
		pr->full.v[pr->full.n++] = (struct gc_full){
			.t = (double)((int64_t)(gc.full[k].ts_ns - c->cfg.start_ns)) / 1e9,
			.full_total = gc.full[k].full_total,
			.scavenges_total = gc.full[k].scavenges_total,
			.v8_live = gc.full[k].v8_live,
			.v8_heap = gc.full[k].v8_heap,
			.buffer = gc.full[k].buffer,
			.buffer_noise = c->cfg.sample_bytes && gc.full[k].buffer > 0 ?
					(int64_t)sqrt((double)c->cfg.sample_bytes * (double)gc.full[k].buffer) : 0,
			.native = gc.full[k].native,
			.native_noise = c->cfg.sample_bytes && gc.full[k].native > 0 ?
					(int64_t)sqrt((double)c->cfg.sample_bytes * (double)gc.full[k].native) : 0,
		};
	if (proc_history__push(ph, &sample))
		return -ENOMEM;
	trend_judge(ph->samples, ph->nsamples, pr->is_node ? &pr->full : NULL, &pr->trend);
	trend_gc_wait(ph->samples, ph->nsamples, pr->is_node ? &pr->full : NULL, &pr->gc_wait);
	return pr->comm ? 0 : -ENOMEM;
}

/* The processes of sites v[0..*n), sorted by pid; the sites of processes
 * folded (fold_exited) are taken out of v, *n updated.
 */
static int build_procs(struct collector *c, struct site *v, size_t *n, double elapsed,
		       struct report *r)
{
	struct proctable *pt = c->src.procs;
	struct proc_totals *tot;
	const struct proc *p;
	size_t i, j, np, kept, listed;
	int err = 0, k;

	/* Every process with a site gets an entry (comm, map), including
	 * those that only ever called malloc since we started watching.
	 */
	for (i = 0; i < *n; i++)
		if ((i == 0 || v[i].key.pid != v[i - 1].key.pid) && !proctable__get(pt, v[i].key.pid))
			return -ENOMEM;
	np = proctable__count(pt);
	tot = calloc(np ? np : 1, sizeof(*tot));
	if (!tot) {
		err = -ENOMEM;
		goto out;
	}
	/* Sites and the table are both sorted by pid: one merge. */
	for (i = 0, j = 0; i < *n; i++) {
		while (j < np && proctable__at(pt, j)->pid < (pid_t)v[i].key.pid)
			j++;
		if (j == np)
			break;
		tot[j].bytes[v[i].key.category] += v[i].outstanding_bytes;
		tot[j].count[v[i].key.category] += v[i].outstanding_count;
		tot[j].any = true;
		if (c->cfg.unwind != ML_UNWIND_FP && !v[i].known)
			count_stack(c, &v[i], &tot[j].stacks);
	}
	/* Listed or folded; a busy machine has seen thousands of processes
	 * come and go: r->procs holds only the listed ones.
	 */
	for (j = 0, listed = 0; (p = proctable__at(pt, j)); j++) {
		if (!tot[j].any && !c->cfg.list_all_procs)
			continue;
		if (fold_exited(c, p, &tot[j])) {
			tot[j].folded = true;
			r->exited_folded.processes++;
			for (k = 0; k < ML_CAT_MAX; k++)
				r->exited_folded.bytes += tot[j].bytes[k] > 0 ? tot[j].bytes[k] : 0;
			continue;
		}
		tot[j].listed = true;
		listed++;
	}
	r->procs = calloc(listed ? listed : 1, sizeof(*r->procs));
	if (!r->procs) {
		err = -ENOMEM;
		goto out;
	}
	for (j = 0; !err && (p = proctable__at(pt, j)); j++)
		if (tot[j].listed)
			err = report_proc(c, p, &tot[j], elapsed, &r->procs[r->nprocs++]);
	/* the folded processes' sites go too: same merge, keeping the rest */
	for (i = 0, j = 0, kept = 0; !err && i < *n; i++) {
		while (j < np && proctable__at(pt, j)->pid < (pid_t)v[i].key.pid)
			j++;
		if (j < np && proctable__at(pt, j)->pid == (pid_t)v[i].key.pid && tot[j].folded)
			continue;
		v[kept++] = v[i];
	}
	if (!err)
		*n = kept;
out:
	free(tot);
	if (err)
		log_error("out of memory building the report's processes");
	return err;
}

static void resolve_frames(struct collector *c, struct stack_report *sr, const struct ml_stack *st,
			   const struct proc *p)
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
	const struct heap_maps *heap = c->src.heap;
	const struct proc *p = proctable__find(c->src.procs, s->key.pid);
	struct ml_stack st;

	sr->pid = s->key.pid;
	sr->comm = strdup(p ? p->comm : "?");
	sr->cgroup = p && p->cgroup ? strdup(p->cgroup) : NULL;
	sr->category = s->key.category;
	sr->stack_id = s->key.stack_id;
	sr->outstanding_bytes = s->outstanding_bytes;
	sr->outstanding_count = s->outstanding_count;
	sr->growth_bytes = s->growth_bytes;
	sr->total_bytes = s->total_bytes;
	sr->total_count = s->total_count;
	sr->estimated = category_estimated(c->cfg.sample_bytes, s->key.category);
	sr->oldest_age_s = s->oldest_ts_ns && s->outstanding_count ?
			   (double)(now - s->oldest_ts_ns) / 1e9 : -1;
	if (s->key.stack_id && heap->stack(heap->ctx, s->key.stack_id, &st) == 0)
		resolve_frames(c, sr, &st, p);
}

static void fill_unwind(struct collector *c, struct unwind_report *u)
{
	struct unwind_stats st = { 0 };

	u->known = true;
	u->mode = c->cfg.unwind;
	c->src.heap->unwind_counts(c->src.heap->ctx, u->counts);
	if (c->src.unwind_tables)
		c->src.unwind_tables(c->src.unwind_ctx, &st);
	u->tables = st.tables;
	u->rows = st.rows;
	u->files_without_cfi = st.files_without_cfi;
	u->files_over_budget = st.files_over_budget;
	u->files_failed = st.build_failures;
	u->bytes = st.bytes;
	u->budget = st.budget;
	u->files_idle = st.idle;
	u->files_released = st.released;
	u->bytes_reused = st.bytes_reused;
}

int collector__collect(struct collector *c, bool final, struct report *r)
{
	struct region_ctx rc;
	struct site_vec sv = { 0 };
	uint64_t now;
	size_t n, live, i;
	int err, k;

	memset(r, 0, sizeof(*r));
	now = c->cfg.monotonic_ns();
	r->seq = ++c->seq;
	r->wall_ns = c->cfg.realtime_ns();
	r->wall = (time_t)(r->wall_ns / 1000000000LL);
	r->start_wall_ns = c->start_wall_ns;
	r->elapsed_s = (double)(now - c->cfg.start_ns) / 1e9;
	r->final = final;
	r->sort = c->cfg.sort;
	r->top = c->cfg.top;
	r->min_age_ns = c->cfg.min_age_ns;
	r->sample_bytes = c->cfg.sample_bytes;
	r->show_cgroups = c->cfg.show_cgroups;
	c->src.heap->drops(c->src.heap->ctx, r->drops);
	fill_unwind(c, &r->unwind);
	for (k = 0; k < ML_DROP_MAX; k++)
		r->dropped += r->drops[k];

	err = gather_heap_sites(c, &sv);
	if (err)
		goto out;
	sites_sort_by_key(sv.v, sv.n);
	r->ages_known = c->cfg.min_age_ns || c->cfg.sort == SORT_AGE ||
			outstanding_blocks(sv.v, sv.n) <= AGES_WALK_LIMIT;
	if (r->ages_known) {
		err = measure_ages(c, sv.v, sv.n, now);
		if (err)
			goto out;
	}
	rc = (struct region_ctx){ .sv = &sv };
	regions__visit(c->src.regions, 0, now, c->cfg.min_age_ns, add_region_site, &rc);
	err = rc.err;
	if (err) {
		log_error("out of memory gathering the mapping sites");
		goto out;
	}
	sites_sort_by_key(sv.v, sv.n);
	n = drop_stale_images(c, sv.v, sv.n);
	sites_apply_growth(sv.v, n, c->prev, c->nprev);
	free(c->prev);
	c->prev = sites_snapshot(sv.v, n);
	c->nprev = c->prev ? n : 0;

	err = build_procs(c, sv.v, &n, r->elapsed_s, r);
	if (err)
		goto out;
	live = sites_rank(sv.v, n, c->cfg.sort);
	r->nstacks_total = live;
	r->nstacks = live < (size_t)c->cfg.top ? (int)live : c->cfg.top;
	r->nprofile = c->cfg.want_all ? (int)n : r->nstacks;
	r->stacks = calloc(r->nprofile ? r->nprofile : 1, sizeof(*r->stacks));
	if (!r->stacks) {
		err = -ENOMEM;
		log_error("out of memory building the report's stacks");
		goto out;
	}
	for (i = 0; i < (size_t)r->nprofile; i++)
		build_stack(c, &sv.v[i], now, &r->stacks[i]);
	symbolizer__trim(c->sym);	/* what this report did not need may go */
out:
	free(sv.v);
	return err;
}

/* Processes seen exiting were in this report, holding something or not:
 * the tracer drops them next (tracer__purge_exited); forget them here.
 */
void collector__done(struct collector *c, const struct report *r)
{
	const struct proc *p;
	size_t i;

	for (i = 0; (p = proctable__at(c->src.procs, i)); i++) {
		if (!p->exited)
			continue;
		symbolizer__forget_pid(c->sym, p->pid);
		history__forget(c->history, p->pid);
	}
}
