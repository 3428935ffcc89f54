// SPDX-License-Identifier: GPL-2.0
/* user/export/metrics.c: the Prometheus page, see metrics.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export/metrics.h"
#include "target/cgroups.h"

/* What the series of one label set hold: a process, or "other". */
struct row {
	const struct proc_report *proc;	/* NULL: the "other" aggregate */
	bool has[ML_CAT_MAX];
	int64_t bytes[ML_CAT_MAX], count[ML_CAT_MAX];
	double rate[ML_CAT_MAX];	/* bytes per second */
};

/* Ranked by what they hold, the allocator's arenas left out. */
static int64_t held(const struct proc_report *p)
{
	int64_t sum = 0;
	int k;

	for (k = 0; k < ML_CAT_MAX; k++)
		if (k != ML_CAT_ALLOCATOR && p->cat[k].bytes > 0)
			sum += p->cat[k].bytes;
	return sum;
}

static int by_held(const void *a, const void *b)
{
	const struct proc_report *x = *(const struct proc_report *const *)a;
	const struct proc_report *y = *(const struct proc_report *const *)b;
	int64_t hx = held(x), hy = held(y);

	if (hx != hy)
		return hx > hy ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void row_add(struct row *w, const struct proc_report *p)
{
	int k;

	for (k = 0; k < ML_CAT_MAX; k++) {
		if (!p->has_category[k])
			continue;
		w->has[k] = true;
		w->bytes[k] += p->cat[k].bytes;
		w->count[k] += p->cat[k].count;
		if (p->growth_s > 0)
			w->rate[k] += (double)p->cat[k].growth_bytes / p->growth_s;
	}
}

/* A label value: \, " and newline escaped; bytes that are not UTF-8
 * (a comm cut inside a character) become U+FFFD, which Prometheus wants.
 */
static void put_label_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			(*p & 0xf8) == 0xf0 ? 4 : 0;
		int i;

		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 2 && *p < 0xc2)
			n = 0;	/* overlong */
		if (!n) {
			fputs("\xef\xbf\xbd", out);
			p++;
		} else if (*p == '\\' || *p == '"') {
			fputc('\\', out);
			fputc(*p++, out);
		} else if (*p == '\n') {
			fputs("\\n", out);
			p++;
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
}

static void put_label(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",%s=\"", name);
	put_label_value(out, value);
	fputc('"', out);
}

/* pid and comm; then cgroup, and the container and unit it names, when known */
static void put_who(FILE *out, const struct row *w)
{
	const struct proc_report *p = w->proc;
	char container[80], unit[256];

	if (p) {
		fprintf(out, "pid=\"%d\"", (int)p->pid);
		put_label(out, "comm", p->comm);
		if (p->cgroup) {
			cgroup_owner(p->cgroup, container, sizeof(container), unit, sizeof(unit));
			put_label(out, "cgroup", p->cgroup);
			if (container[0])
				put_label(out, "container", container);
			if (unit[0])
				put_label(out, "unit", unit);
		}
	} else {
		fputs("pid=\"other\",comm=\"\"", out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum per_cat { BYTES, COUNT, RATE };

static void per_category(FILE *out, const char *name, enum per_cat what, const struct row *rows,
			 int nrows)
{
	int i, k;

	for (i = 0; i < nrows; i++) {
		for (k = 0; k < ML_CAT_MAX; k++) {
			if (!rows[i].has[k])
				continue;
			fprintf(out, "%s{", name);
			put_who(out, &rows[i]);
			fprintf(out, ",category=\"%s\"} ", category_key(k));
			if (what == BYTES)
				fprintf(out, "%" PRId64 "\n", rows[i].bytes[k]);
			else if (what == COUNT)
				fprintf(out, "%" PRId64 "\n", rows[i].count[k]);
			else
				fprintf(out, "%.15g\n", rows[i].rate[k]);
		}
	}
}

/* The category a verdict is about; "" for none and insufficient-data. */
static const char *verdict_category(enum verdict v)
{
	switch (v) {
	case VERDICT_NATIVE_LEAK: return category_key(ML_CAT_NATIVE);
	case VERDICT_MMAP_LEAK: return category_key(ML_CAT_MMAP);
	case VERDICT_OFF_HEAP_LEAK: return category_key(ML_CAT_BUFFER);
	case VERDICT_V8_HEAP_LEAK: return category_key(ML_CAT_V8_HEAP);
	default: return "";
	}
}

static void write_processes(FILE *out, const struct row *rows, int nrows, int named)
{
	int i;

	family(out, "memleakbpf_outstanding_bytes", "gauge",
	       "Bytes allocated and not freed, by process and category (pid=\"other\": the "
	       "processes not named, summed).");
	per_category(out, "memleakbpf_outstanding_bytes", BYTES, rows, nrows);
	family(out, "memleakbpf_outstanding_allocations", "gauge",
	       "Allocations not freed, by process and category.");
	per_category(out, "memleakbpf_outstanding_allocations", COUNT, rows, nrows);
	family(out, "memleakbpf_growth_bytes_per_second", "gauge",
	       "Growth of the outstanding bytes since the previous report, per second.");
	per_category(out, "memleakbpf_growth_bytes_per_second", RATE, rows, nrows);
	family(out, "memleakbpf_verdict", "gauge",
	       "The leak verdict of each named process (1), with the category it is about.");
	for (i = 0; i < named; i++) {
		const struct trend *t = &rows[i].proc->trend;

		fputs("memleakbpf_verdict{", out);
		put_who(out, &rows[i]);
		fprintf(out, ",category=\"%s\",verdict=\"%s\"} 1\n", verdict_category(t->verdict),
			verdict_key(t->verdict));
	}
}

static void write_run(FILE *out, const struct report *r)
{
	unsigned i;

	family(out, "memleakbpf_events_dropped_total", "counter",
	       "Events lost since tracing began (a BPF map or buffer was full), by reason.");
	for (i = 0; i < ML_DROP_MAX; i++)
		fprintf(out, "memleakbpf_events_dropped_total{reason=\"%s\"} %" PRIu64 "\n",
			drop_key(i), r->drops[i]);
	family(out, "memleakbpf_reports_total", "counter", "Reports taken since tracing began.");
	fprintf(out, "memleakbpf_reports_total %d\n", r->seq);
	family(out, "memleakbpf_last_report_timestamp_seconds", "gauge",
	       "When the report these figures come from was taken, in seconds since the epoch.");
	fprintf(out, "memleakbpf_last_report_timestamp_seconds %.3f\n", (double)r->wall_ns / 1e9);
	family(out, "memleakbpf_traced_processes", "gauge", "Processes in the latest report.");
	fprintf(out, "memleakbpf_traced_processes %d\n", r->nprocs);
	if (!r->unwind.known)
		return;
	family(out, "memleakbpf_unwind_table_bytes", "gauge",
	       "Memory the CFI unwind tables loaded into BPF maps take.");
	fprintf(out, "memleakbpf_unwind_table_bytes %" PRIu64 "\n", r->unwind.bytes);
	family(out, "memleakbpf_unwind_table_budget_bytes", "gauge",
	       "Memory the CFI unwind tables may take (--unwind-memory).");
	fprintf(out, "memleakbpf_unwind_table_budget_bytes %" PRIu64 "\n", r->unwind.budget);
	family(out, "memleakbpf_unwind_tables", "gauge", "CFI unwind tables loaded (one per file).");
	fprintf(out, "memleakbpf_unwind_tables %" PRIu64 "\n", r->unwind.tables);
}

static void write_self(FILE *out, const struct metrics_self *self)
{
	family(out, "process_cpu_seconds_total", "counter",
	       "User and system CPU time memleakbpf has spent, in seconds.");
	fprintf(out, "process_cpu_seconds_total %.3f\n", self->cpu_seconds);
	family(out, "process_resident_memory_bytes", "gauge", "memleakbpf's resident memory.");
	fprintf(out, "process_resident_memory_bytes %" PRIu64 "\n", self->resident_bytes);
}

int metrics__write(const struct report *r, const struct metrics_self *self, int top, FILE *out)
{
	const struct proc_report **order = NULL;
	struct row *rows = NULL;
	int i, named = 0, nrows = 0;

	if (r && r->nprocs) {
		order = malloc(r->nprocs * sizeof(*order));
		rows = calloc(r->nprocs + 1, sizeof(*rows));
		if (!order || !rows) {
			free(order);
			free(rows);
			return -ENOMEM;
		}
		for (i = 0; i < r->nprocs; i++)
			order[i] = &r->procs[i];
		qsort(order, r->nprocs, sizeof(*order), by_held);
		named = r->nprocs < top ? r->nprocs : top;
		for (i = 0; i < named; i++) {
			rows[i].proc = order[i];
			row_add(&rows[i], order[i]);
		}
		nrows = named;
		if (named < r->nprocs) {
			for (i = named; i < r->nprocs; i++)
				row_add(&rows[nrows], order[i]);
			nrows++;
		}
	}
	if (r) {
		write_processes(out, rows, nrows, named);
		write_run(out, r);
	}
	write_self(out, self);
	free(order);
	free(rows);
	return ferror(out) ? -EIO : 0;
}
