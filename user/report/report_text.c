// SPDX-License-Identifier: GPL-2.0
/* user/report/report_text.c: the report for people (README.md, "Reading a report"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/format.h"
#include "report/report.h"
#include "target/cgroups.h"
#include "trace/unwind.h"

static const char *const drop_names[ML_DROP_MAX] = {
	[ML_DROP_ALLOCS] = "block table full (--max-allocs)",
	[ML_DROP_STATS] = "site table full (--max-stacks)",
	[ML_DROP_STACKS] = "stack table full (--max-stacks)",
	[ML_DROP_EVENTS] = "event buffer full",
	[ML_DROP_THREADS] = "no thread state",
	[ML_DROP_PROC_EVENTS] = "process event buffer full",
};

/* Names come from the traced processes (comm, perf maps) and their files:
 * show control characters as \xHH, so that none can break a line of the
 * report or send escape sequences to the terminal.
 */
static void put_name(const char *s, FILE *out)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

/* The same into buf, for a padded column (a comm: 15 bytes at most). */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	buf[o] = '\0';
	return buf;
}

/* Estimates (--sample-bytes) are marked "~". */
static const char *est(bool estimated)
{
	return estimated ? "~" : "";
}

/* --sample-bytes: what the figures are. */
static void print_sampling(const struct report *r, FILE *out)
{
	char n[32];

	if (!r->sample_bytes)
		return;
	format_bytes(n, sizeof(n), r->sample_bytes);
	fprintf(out, "  sampled: one allocation per %s allocated on average (--sample-bytes); heap "
		"figures marked ~ are estimates\n", n);
}

static bool any_has(const struct report *r, unsigned cat)
{
	int i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].has_category[cat])
			return true;
	return false;
}

static void print_drops(const struct report *r, FILE *out)
{
	char count[32];
	int k;

	if (!r->dropped)
		return;
	format_count(count, sizeof(count), r->dropped);
	fprintf(out, "  WARNING: %s events dropped since start:", count);
	for (k = 0; k < ML_DROP_MAX; k++) {
		if (!r->drops[k])
			continue;
		format_count(count, sizeof(count), r->drops[k]);
		fprintf(out, " %s %s;", count, drop_names[k]);
	}
	fprintf(out, " figures below undercount\n");
}

/* How the walks ended, and why frames were stepped by frame pointers. */
static const char *const unwind_names[ML_UW_MAX] = {
	[ML_UW_END_FP] = "a frame-pointer step found no frame",
	[ML_UW_END_NO_MAPPING] = "an address in no file",
	[ML_UW_END_NO_ROW] = "code without CFI",
	[ML_UW_END_READ] = "stack unreadable",
	[ML_UW_END_DEPTH] = "depth limit",
	[ML_UW_END_UNSUPPORTED] = "a CFI rule not followed",
	[ML_UW_FP_STEP_NO_MAPPING] = "JIT or anonymous code",
	[ML_UW_FP_STEP_NO_ROW] = "code without CFI",
	[ML_UW_FP_STEP_NO_TABLE] = "files without CFI",
	[ML_UW_FP_STEP_PENDING] = "tables not built yet",
	[ML_UW_FP_STEP_BUDGET] = "tables over --unwind-memory",
};

/* counts[from..to]: " N name, N name" for those that are not 0. */
static void print_reasons(const uint64_t *counts, int from, int to, FILE *out)
{
	const char *sep = " (";
	char n[32];
	int k;

	for (k = from; k <= to; k++) {
		if (!counts[k])
			continue;
		format_count(n, sizeof(n), counts[k]);
		fprintf(out, "%s%s %s", sep, n, unwind_names[k]);
		sep = ", ";
	}
	if (sep[0] == ',')
		fputc(')', out);
}

/* One line on how stacks were walked: the mode, the tables, and how the
 * walks by tables went (what ended them early, what they stepped over by
 * frame pointers).
 */
static void print_unwind(const struct report *r, FILE *out)
{
	const struct unwind_report *u = &r->unwind;
	uint64_t early = 0, steps = 0;
	char a[32], b[32], c[32];
	int k;

	if (!u->known)
		return;
	if (u->mode == ML_UNWIND_FP) {
		fprintf(out, "  stacks: frame pointers (--unwind fp)\n");
		return;
	}
	for (k = ML_UW_END_FP; k <= ML_UW_END_UNSUPPORTED; k++)
		early += u->counts[k];
	for (k = ML_UW_FP_STEP_NO_MAPPING; k <= ML_UW_FP_STEP_BUDGET; k++)
		steps += u->counts[k];
	format_bytes(a, sizeof(a), u->bytes);
	format_bytes(b, sizeof(b), u->budget);
	format_count(c, sizeof(c), u->tables);
	fprintf(out, "  stacks: CFI tables (--unwind %s) of %s file%s, %s of %s", unwind_mode_name(u->mode),
		c, u->tables == 1 ? "" : "s", a, b);
	if (u->files_over_budget) {
		format_count(c, sizeof(c), u->files_over_budget);
		fprintf(out, ", %s over budget", c);
	}
	if (u->files_released) {
		format_count(c, sizeof(c), u->files_released);
		format_bytes(a, sizeof(a), u->bytes_reused);
		fprintf(out, ", %s released (%s reused)", c, a);
	}
	format_count(a, sizeof(a), u->counts[ML_UW_WALKS]);
	format_count(b, sizeof(b), u->counts[ML_UW_END_COMPLETE]);
	fprintf(out, "; %s walks", a);
	if (u->counts[ML_UW_REPLAYED]) {
		format_count(a, sizeof(a), u->counts[ML_UW_REPLAYED]);
		fprintf(out, " (%s replayed)", a);
	}
	fprintf(out, ", %s complete", b);
	if (early) {
		format_count(c, sizeof(c), early);
		fprintf(out, ", %s ended early", c);
		print_reasons(u->counts, ML_UW_END_FP, ML_UW_END_UNSUPPORTED, out);
	}
	if (steps) {
		format_count(c, sizeof(c), steps);
		fprintf(out, "; %s frame-pointer steps", c);
		print_reasons(u->counts, ML_UW_FP_STEP_NO_MAPPING, ML_UW_FP_STEP_BUDGET, out);
	}
	fputc('\n', out);
}

static void trend_text(const struct trend *t, char *buf, size_t len)
{
	char rate[32], *dash;

	switch (t->verdict) {
	case VERDICT_INSUFFICIENT:
		snprintf(buf, len, "-");
		return;
	case VERDICT_NONE:
		snprintf(buf, len, "no leak seen");
		return;
	default:
		format_bytes_signed(rate, sizeof(rate), (int64_t)(t->rate_bytes_per_s * 60));
		if (t->collections)
			snprintf(buf, len, "%s? %s/min over %d full collections", verdict_key(t->verdict), rate,
				 t->collections);
		else
			snprintf(buf, len, "%s? %s/min over %d reports", verdict_key(t->verdict), rate, t->reports);
		/* "native-leak?" reads better as "native leak?"; only the last
		 * dash goes, so "off-heap leak?" keeps the one of "off-heap"
		 */
		dash = strstr(buf, "-leak?");
		if (dash)
			*dash = ' ';
	}
}

/* What the program itself asked for: the allocator category is where
 * that lives, not more of it.
 */
static int64_t proc_sum(const struct proc_report *p, bool growth)
{
	int64_t sum = 0;
	unsigned k;

	for (k = 0; k < ML_CAT_MAX; k++)
		if (k != ML_CAT_ALLOCATOR)
			sum += growth ? p->cat[k].growth_bytes : p->cat[k].bytes;
	return sum;
}

static int cmp_proc_growth(const void *pa, const void *pb)
{
	const struct proc_report *a = *(const struct proc_report *const *)pa;
	const struct proc_report *b = *(const struct proc_report *const *)pb;
	int64_t ga = proc_sum(a, true), gb = proc_sum(b, true);

	if (ga != gb)
		return ga > gb ? -1 : 1;
	ga = proc_sum(a, false);
	gb = proc_sum(b, false);
	if (ga != gb)
		return ga > gb ? -1 : 1;
	return a->pid - b->pid;
}

/* A Node.js process has had no full collection for a while, and Buffers
 * or its heap grew: its verdict waits for V8.  Say so, and how to have
 * one now, without a restart.
 */
static void print_gc_wait(const struct proc_report *p, FILE *out)
{
	const struct gc_wait *w = &p->gc_wait;
	char buf[32], v8[32], grew[128];

	if (w->seconds <= 0)
		return;
	format_bytes_signed(buf, sizeof(buf), w->buffer_growth);
	format_bytes_signed(v8, sizeof(v8), w->v8_heap_growth);
	if (w->buffer_growth > 0 && w->v8_heap_growth > 0)
		snprintf(grew, sizeof(grew), "off-heap (Buffer) grew %s and the V8 heap %s", buf, v8);
	else if (w->buffer_growth > 0)
		snprintf(grew, sizeof(grew), "off-heap (Buffer) grew %s", buf);
	else
		snprintf(grew, sizeof(grew), "the V8 heap grew %s", v8);
	fprintf(out, "          no full collection in %.0fs while %s:\n"
		"          promoted objects and their Buffers are freed only by one, so that growth may "
		"be garbage.  To have one now, without a restart:\n"
		"          kill -USR1 %d opens node's inspector (chrome://inspect, Memory tab, "
		"\"Collect garbage\"), or, if node runs with\n"
		"          --heapsnapshot-signal=SIGUSR2, kill -USR2 %d writes a heap snapshot; either runs "
		"a full collection.  (--expose-gc and gc() are for tests.)\n",
		w->seconds, grew, p->pid, p->pid);
}

/* Under a process's line: what its verdict rests on, its V8 collections,
 * and what to do about a V8 heap leak, which its stacks cannot name.
 */
/* --cgroup: where the process is, and the unit or container that says. */
static void print_cgroup(const struct proc_report *p, FILE *out)
{
	char container[80], unit[256];

	if (!p->cgroup)
		return;
	cgroup_owner(p->cgroup, container, sizeof(container), unit, sizeof(unit));
	fputs("          cgroup ", out);
	put_name(p->cgroup, out);
	if (container[0])
		fprintf(out, "  (container %.12s)", container);
	else if (unit[0])
		fprintf(out, "  (unit %s)", unit);
	fputc('\n', out);
}

static void print_proc_notes(const struct proc_report *p, FILE *out)
{
	char live[32], heap[32], buffer[32], native[32];

	if (p->trend.verdict > VERDICT_NONE || (p->is_node && p->trend.verdict == VERDICT_INSUFFICIENT &&
						 p->trend.reports)) {
		fputs("          evidence: ", out);
		put_name(p->trend.evidence, out);
		fputc('\n', out);
	}
	if (p->is_node) {
		fprintf(out, "          V8 collections: %llu scavenges, %llu full in the interval "
			"(%llu, %llu since start)",
			(unsigned long long)(p->gc[ML_GC_SCAVENGE] + p->gc[ML_GC_MINOR_MC]),
			(unsigned long long)p->gc[ML_GC_FULL],
			(unsigned long long)(p->gc_total[ML_GC_SCAVENGE] + p->gc_total[ML_GC_MINOR_MC]),
			(unsigned long long)p->gc_total[ML_GC_FULL]);
		if (p->full.n) {
			const struct gc_full *f = &p->full.v[p->full.n - 1];

			format_bytes(live, sizeof(live), f->v8_live);
			format_bytes(heap, sizeof(heap), f->v8_heap);
			format_bytes(buffer, sizeof(buffer), f->buffer);
			format_bytes(native, sizeof(native), f->native);
			fprintf(out, "; after the last full, at %.0fs: V8 heap %s live (%s committed), "
				"Buffers %s, native heap %s", f->t, live, heap, buffer, native);
		}
		fputc('\n', out);
		print_gc_wait(p, out);
	}
	if (p->trend.verdict == VERDICT_V8_HEAP_LEAK)
		fprintf(out, "          JS objects are not malloc calls: the stacks show V8 growing its "
			"heap, not which objects stay.  Compare two heap snapshots\n"
			"          (node --heapsnapshot-signal=SIGUSR2, then kill -USR2 %d) in Chrome "
			"DevTools' Memory tab.\n", p->pid);
}

/* The processes that grew most first; as many lines as stacks (--top). */
static void print_procs(const struct report *r, FILE *out)
{
	char b[32], g[32], tr[96], comm[80];
	const struct proc_report **order;
	bool show[ML_CAT_MAX];
	unsigned k;
	int i, shown;

	if (!r->nprocs)
		return;
	order = malloc(r->nprocs * sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < r->nprocs; i++)
		order[i] = &r->procs[i];
	qsort(order, r->nprocs, sizeof(*order), cmp_proc_growth);
	shown = r->nprocs < r->top ? r->nprocs : r->top;
	for (k = 0; k < ML_CAT_MAX; k++)
		show[k] = k <= ML_CAT_ALLOCATOR || any_has(r, k);
	fprintf(out, "  %7s %-15s", "PID", "COMM");
	for (k = 0; k < ML_CAT_MAX; k++)
		if (show[k])
			fprintf(out, " %-20s", category_title(k));
	fprintf(out, " TREND\n");
	for (i = 0; i < shown; i++) {
		const struct proc_report *p = order[i];

		fprintf(out, "  %7d %-15s", p->pid, printable(p->comm, comm, sizeof(comm)));
		for (k = 0; k < ML_CAT_MAX; k++) {
			char cell[80];

			if (!show[k])
				continue;
			format_bytes(b, sizeof(b), p->cat[k].bytes > 0 ? p->cat[k].bytes : 0);
			format_bytes_signed(g, sizeof(g), p->cat[k].growth_bytes);
			snprintf(cell, sizeof(cell), "%s%s %s%s", est(p->cat[k].estimated), b,
				 est(p->cat[k].estimated), g);
			fprintf(out, " %-20s", cell);
		}
		trend_text(&p->trend, tr, sizeof(tr));
		fprintf(out, " %s%s\n", tr, p->exited ? "  (exited)" : "");
		if (r->show_cgroups)
			print_cgroup(p, out);
		print_proc_notes(p, out);
	}
	if (shown < r->nprocs)
		fprintf(out, "  ... %d more processes (--json lists them all)\n", r->nprocs - shown);
	free(order);
}

/* System-wide: the processes that exited holding only mappings, in one
 * line rather than thousands.
 */
static void print_exited_folded(const struct report *r, FILE *out)
{
	char n[32], b[32];

	if (!r->exited_folded.processes)
		return;
	format_count(n, sizeof(n), (int64_t)r->exited_folded.processes);
	format_bytes(b, sizeof(b), r->exited_folded.bytes > 0 ? r->exited_folded.bytes : 0);
	fprintf(out, "  %s process%s exited, holding %s at exit (mappings only, not listed)\n", n,
		r->exited_folded.processes == 1 ? "" : "es", b);
}

static void print_frame(const struct frame *f, FILE *out)
{
	if (f->function) {
		fputs("        ", out);
		put_name(f->function, out);
		if (f->file) {
			fputc(' ', out);
			put_name(f->file, out);
			fprintf(out, ":%d", f->line);
		} else if (f->jit) {
			fprintf(out, " [jit]");
		}
		if (f->inlined)
			fprintf(out, " (inlined)");
		fputc('\n', out);
	} else if (f->jit && f->map_limit) {
		fprintf(out, "        [jit] 0x%llx in anonymous 0x%llx-0x%llx\n",
			(unsigned long long)f->addr, (unsigned long long)f->map_start,
			(unsigned long long)f->map_limit);
	} else if (f->jit) {
		fprintf(out, "        [jit] 0x%llx\n", (unsigned long long)f->addr);
	} else if (f->module) {
		fputs("        [unknown] ", out);
		put_name(f->module, out);
		fprintf(out, "+0x%llx\n", (unsigned long long)f->module_offset);
	} else {
		fprintf(out, "        [unknown] 0x%llx\n", (unsigned long long)f->addr);
	}
}

static void print_stacks(const struct report *r, FILE *out)
{
	char g[32], b[32], n[32], age[32], minage[64], comm[80];
	int i, j;

	if (r->min_age_ns) {
		format_age(age, sizeof(age), r->min_age_ns / 1e9);
		snprintf(minage, sizeof(minage), " (allocations older than %s)", age);
	} else {
		minage[0] = '\0';
	}
	fprintf(out, "  Top %d stacks by %s%s:", r->top, sort_key_name(r->sort), minage);
	if (!r->nstacks) {
		fprintf(out, " none outstanding\n");
		return;
	}
	fputc('\n', out);
	for (i = 0; i < r->nstacks; i++) {
		const struct stack_report *s = &r->stacks[i];

		snprintf(g, sizeof(g), "%s", est(s->estimated));
		format_bytes_signed(g + strlen(g), sizeof(g) - strlen(g), s->growth_bytes);
		format_bytes(b, sizeof(b), s->outstanding_bytes > 0 ? s->outstanding_bytes : 0);
		format_count(n, sizeof(n), s->outstanding_count);
		fprintf(out, "  #%-2d %8s  %s%s in %s%s alloc%s", i + 1, g, est(s->estimated), b,
			est(s->estimated), n, s->outstanding_count == 1 ? "" : "s");
		if (s->oldest_age_s >= 0) {
			format_age(age, sizeof(age), s->oldest_age_s);
			fprintf(out, ", oldest %s", age);
		}
		fprintf(out, "   pid %d %s  [%s]\n", s->pid, printable(s->comm, comm, sizeof(comm)),
			category_key(s->category));
		if (!s->nframes)
			fprintf(out, "        [no stack]\n");
		for (j = 0; j < s->nframes; j++)
			print_frame(&s->frames[j], out);
	}
	if (r->nstacks_total > r->nstacks)
		fprintf(out, "  ... %d more stacks\n", r->nstacks_total - r->nstacks);
}

void report__print_text(const struct report *r, FILE *out)
{
	char when[16];
	struct tm tm;

	localtime_r(&r->wall, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "%s  %sreport %d, %.1fs traced\n", when, r->final ? "final " : "", r->seq,
		r->elapsed_s);
	print_drops(r, out);
	print_sampling(r, out);
	print_unwind(r, out);
	print_procs(r, out);
	print_exited_folded(r, out);
	print_stacks(r, out);
	fputc('\n', out);
	fflush(out);
}
