// SPDX-License-Identifier: GPL-2.0
/* user/report/report_json.c: the report as one NDJSON line, the contract of
 * docs/json.md: a field is never renamed or removed without a new "schema".
 * Built with jansson, which does the escaping of hostile names for us.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "report/report.h"
#include "target/cgroups.h"
#include "trace/unwind.h"

/* Names come from the traced processes and the file system as bytes, not
 * always UTF-8 (a comm cut at 15 bytes inside a character, a Latin-1 path).
 * jansson refuses those, and json_pack would then drop the whole process or
 * stack: replace each invalid byte with U+FFFD instead.
 */
static json_t *json_str_or_null(const char *s)
{
	size_t i, n, len;
	json_t *j, *seq;
	char *buf, *o;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	len = strlen(s);
	buf = malloc(3 * len + 1);
	if (!buf)
		return NULL;
	for (i = 0, o = buf; i < len; i += n) {
		unsigned char c = s[i];

		n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		    (c & 0xf8) == 0xf0 ? 4 : 0;
		seq = n && i + n <= len ? json_stringn(s + i, n) : NULL;	/* valid? */
		if (seq) {
			json_decref(seq);
			memcpy(o, s + i, n);
			o += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		}
	}
	*o = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

static json_t *frame_json(const struct frame *f)
{
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->addr);
	return json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:b, s:b}",
			 "addr", addr,
			 "module", json_str_or_null(f->module),
			 "module_offset", (json_int_t)f->module_offset,
			 "function", json_str_or_null(f->function),
			 "file", json_str_or_null(f->file),
			 "line", f->file ? json_integer(f->line) : json_null(),
			 "inlined", f->inlined,
			 "jit", f->jit);
}

/* "cgroup", and the "container" and systemd "unit" its path shows (null
 * when it shows none, or the cgroup is unknown).
 */
static void set_cgroup(json_t *obj, const char *cgroup)
{
	char container[80], unit[256];

	if (!obj)
		return;
	cgroup_owner(cgroup ? cgroup : "", container, sizeof(container), unit, sizeof(unit));
	json_object_set_new(obj, "cgroup", json_str_or_null(cgroup));
	json_object_set_new(obj, "container", container[0] ? json_string(container) : json_null());
	json_object_set_new(obj, "unit", unit[0] ? json_str_or_null(unit) : json_null());
}

static json_t *stack_json(const struct stack_report *s)
{
	json_t *frames = json_array(), *obj;
	int i;

	for (i = 0; i < s->nframes; i++)
		json_array_append_new(frames, frame_json(&s->frames[i]));
	obj = json_pack("{s:i, s:o, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
			 "pid", s->pid,
			 "comm", json_str_or_null(s->comm),
			 "category", category_key(s->category),
			 "estimated", s->estimated,
			 "outstanding_bytes", (json_int_t)s->outstanding_bytes,
			 "outstanding_count", (json_int_t)s->outstanding_count,
			 "growth_bytes", (json_int_t)s->growth_bytes,
			 "total_bytes", (json_int_t)s->total_bytes,
			 "total_count", (json_int_t)s->total_count,
			 "oldest_age_s", s->oldest_age_s >= 0 ? json_real(s->oldest_age_s) : json_null(),
			 "frames", frames);
	set_cgroup(obj, s->cgroup);
	return obj;
}

/* What survived the last full collections, oldest first. */
static json_t *after_full_json(const struct gc_history *h)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; arr && i < h->n; i++)
		json_array_append_new(arr, json_pack("{s:f, s:I, s:I, s:o, s:I, s:I, s:I}",
			"elapsed_s", h->v[i].t,
			"full_total", (json_int_t)h->v[i].full_total,
			"scavenges_total", (json_int_t)h->v[i].scavenges_total,
			"v8_live_bytes", h->v[i].v8_live >= 0 ? json_integer(h->v[i].v8_live) : json_null(),
			"v8_heap_bytes", (json_int_t)h->v[i].v8_heap,
			"buffer_bytes", (json_int_t)h->v[i].buffer,
			"native_bytes", (json_int_t)h->v[i].native));
	return arr;
}

static json_t *proc_json(const struct proc_report *p)
{
	json_t *cats = json_object(), *obj;
	unsigned k;

	for (k = 0; k < ML_CAT_MAX; k++) {
		if (!p->has_category[k])
			continue;
		json_object_set_new(cats, category_key(k),
				    json_pack("{s:I, s:I, s:I, s:b}",
					      "bytes", (json_int_t)p->cat[k].bytes,
					      "count", (json_int_t)p->cat[k].count,
					      "growth_bytes", (json_int_t)p->cat[k].growth_bytes,
					      "estimated", p->cat[k].estimated));
	}
	obj = json_pack("{s:i, s:o, s:b, s:o, s:o, s:{s:s, s:f, s:i, s:s}}",
			"pid", p->pid,
			"comm", json_str_or_null(p->comm),
			"exited", p->exited,
			"allocator", json_str_or_null(p->allocator),
			"categories", cats,
			"trend",
			"verdict", verdict_key(p->trend.verdict),
			"rate_bytes_per_s", p->trend.rate_bytes_per_s,
			"reports", p->trend.reports,
			"evidence", p->trend.evidence);
	set_cgroup(obj, p->cgroup);
	if (obj && (p->stacks.complete || p->stacks.truncated || p->stacks.frame_pointers))
		json_object_set_new(obj, "stacks", json_pack("{s:I, s:I, s:I}",
			"complete", (json_int_t)p->stacks.complete,
			"truncated", (json_int_t)p->stacks.truncated,
			"frame_pointers", (json_int_t)p->stacks.frame_pointers));
	if (obj && p->is_node) {
		/* scavenges: the young generation, by either collector */
		json_object_set_new(obj, "runtime", json_string("node"));
		json_object_set_new(obj, "gc", json_pack("{s:I, s:I, s:I, s:I, s:o}",
			"scavenges", (json_int_t)(p->gc[ML_GC_SCAVENGE] + p->gc[ML_GC_MINOR_MC]),
			"full", (json_int_t)p->gc[ML_GC_FULL],
			"scavenges_total",
			(json_int_t)(p->gc_total[ML_GC_SCAVENGE] + p->gc_total[ML_GC_MINOR_MC]),
			"full_total", (json_int_t)p->gc_total[ML_GC_FULL],
			"after_full", after_full_json(&p->full)));
	}
	return obj;
}

static const char *const unwind_keys[ML_UW_MAX] = {
	[ML_UW_END_COMPLETE] = "complete",
	[ML_UW_END_FP] = "frame_pointer_end",
	[ML_UW_END_NO_MAPPING] = "no_mapping",
	[ML_UW_END_NO_ROW] = "no_row",
	[ML_UW_END_READ] = "unreadable",
	[ML_UW_END_DEPTH] = "depth",
	[ML_UW_END_UNSUPPORTED] = "unsupported",
	[ML_UW_FP_STEP_NO_MAPPING] = "no_mapping",
	[ML_UW_FP_STEP_NO_ROW] = "no_row",
	[ML_UW_FP_STEP_NO_TABLE] = "no_table",
	[ML_UW_FP_STEP_PENDING] = "pending",
	[ML_UW_FP_STEP_BUDGET] = "over_budget",
};

/* counts[from..to] as {"key": N, ...} */
static json_t *counts_json(const uint64_t *counts, int from, int to)
{
	json_t *o = json_object();
	int k;

	for (k = from; o && k <= to; k++)
		json_object_set_new(o, unwind_keys[k], json_integer(counts[k]));
	return o;
}

static json_t *unwind_json(const struct unwind_report *u)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "mode", unwind_mode_name(u->mode),
			 "walks", (json_int_t)u->counts[ML_UW_WALKS],
			 "replayed", (json_int_t)u->counts[ML_UW_REPLAYED],
			 "replayed_direct", (json_int_t)u->counts[ML_UW_REPLAYED_DIRECT],
			 "ends", counts_json(u->counts, ML_UW_END_COMPLETE, ML_UW_END_UNSUPPORTED),
			 "frame_pointer_steps", counts_json(u->counts, ML_UW_FP_STEP_NO_MAPPING,
							   ML_UW_FP_STEP_BUDGET),
			 "vma_lookups", (json_int_t)u->counts[ML_UW_VMA_LOOKUPS],
			 "tables",
			 "files", (json_int_t)u->tables,
			 "rows", (json_int_t)u->rows,
			 "bytes", (json_int_t)u->bytes,
			 "budget_bytes", (json_int_t)u->budget,
			 "files_without_cfi", (json_int_t)u->files_without_cfi,
			 "files_over_budget", (json_int_t)u->files_over_budget,
			 "files_failed", (json_int_t)u->files_failed,
			 "files_idle", (json_int_t)u->files_idle,
			 "files_released", (json_int_t)u->files_released,
			 "bytes_reused", (json_int_t)u->bytes_reused);
}

#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY)

/* ,"key":value (no comma first); value is consumed. */
static int put_member(FILE *out, const char *key, json_t *value, bool first)
{
	int err;

	if (!value)
		return -ENOMEM;
	fprintf(out, "%s\"%s\":", first ? "" : ",", key);
	err = json_dumpf(value, out, JSON_FLAGS);
	json_decref(value);
	return err ? -EIO : 0;
}

/* ,"key":[...], one element made and written at a time. */
static int put_array(FILE *out, const char *key, const void *v, int n, size_t size,
		     json_t *(*element)(const void *))
{
	int i, err = 0;

	fprintf(out, ",\"%s\":[", key);
	for (i = 0; !err && i < n; i++) {
		json_t *e = element((const char *)v + (size_t)i * size);

		if (!e)
			return -ENOMEM;
		if (i)
			fputc(',', out);
		err = json_dumpf(e, out, JSON_FLAGS) ? -EIO : 0;
		json_decref(e);
	}
	fputc(']', out);
	return err;
}

static json_t *proc_element(const void *p)
{
	return proc_json(p);
}

static json_t *stack_element(const void *s)
{
	return stack_json(s);
}

/* Written a member at a time, the bytes json_dumpf would write for the
 * whole: system-wide, "processes" can list thousands, and a document of
 * jansson's nodes cost tens of MiB at every report.
 */
int report__print_json(const struct report *r, FILE *out)
{
	json_t *drops = json_object(), *head, *value;
	const char *key;
	bool first = true;
	char when[32];
	struct tm tm;
	int i, err = 0;

	gmtime_r(&r->wall, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; i < ML_DROP_MAX; i++)
		json_object_set_new(drops, drop_key(i), json_integer(r->drops[i]));
	head = json_pack("{s:s, s:i, s:s, s:i, s:f, s:b, s:I, s:o, s:s, s:i, s:f, s:I, s:i, s:o}",
			 "type", "report",
			 "schema", REPORT_JSON_SCHEMA,
			 "time", when,
			 "report", r->seq,
			 "elapsed_s", r->elapsed_s,
			 "final", r->final,
			 "dropped", (json_int_t)r->dropped,
			 "drops", drops,
			 "sort", sort_key_name(r->sort),
			 "top", r->top,
			 "min_age_s", r->min_age_ns / 1e9,
			 "sampled", (json_int_t)r->sample_bytes,
			 "stacks_total", r->nstacks_total,
			 "exited_folded", json_pack("{s:I, s:I}",
						    "processes", (json_int_t)r->exited_folded.processes,
						    "bytes", (json_int_t)r->exited_folded.bytes));
	if (!head)
		return -ENOMEM;
	fputc('{', out);
	json_object_foreach(head, key, value) {
		err = put_member(out, key, json_incref(value), first);
		first = false;
		if (err)
			break;
	}
	json_decref(head);
	if (!err)
		err = put_array(out, "processes", r->procs, r->nprocs, sizeof(*r->procs), proc_element);
	if (!err)
		err = put_array(out, "stacks", r->stacks, r->nstacks, sizeof(*r->stacks), stack_element);
	if (!err && r->unwind.known)
		err = put_member(out, "unwind", unwind_json(&r->unwind), false);
	if (err)
		return err;
	fputs("}\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
