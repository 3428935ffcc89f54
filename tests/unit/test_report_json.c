// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_report_json.c: the NDJSON report (the contract of
 * docs/json.md), parsed back with jansson and against a golden file.
 */
#include <stdlib.h>
#include <jansson.h>
#include "test.h"
#include "report/report.h"
#include "golden.h"
#include "report_fixture.h"

#define GOLDEN_JSON "tests/golden/report.json"

struct rendered {
	char *buf;
	size_t len;
	int err;
};

static struct rendered render(const struct report *r)
{
	struct rendered o = { 0 };
	FILE *f = open_memstream(&o.buf, &o.len);

	if (!f) {
		o.err = -1;
		return o;
	}
	o.err = report__print_json(r, f);
	fclose(f);
	return o;
}

/* o[key] with the given type; a failed assert otherwise. */
static json_t *get(json_t *o, const char *key, json_type type, const char *where)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		TEST_FAIL_("%s: no field \"%s\"", where, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		TEST_FAIL_("%s: field \"%s\" has type %d, expected %d", where, key,
			   json_typeof(v), type);
		return NULL;
	}
	return v;
}

/* An integer field equal to want. */
static void int_is(json_t *o, const char *key, long long want, const char *where)
{
	json_t *v = get(o, key, JSON_INTEGER, where);

	if (v && json_integer_value(v) != want)
		TEST_FAIL_("%s: \"%s\" is %lld, expected %lld", where, key,
			   (long long)json_integer_value(v), want);
}

static void str_is(json_t *o, const char *key, const char *want, const char *where)
{
	json_t *v = get(o, key, JSON_STRING, where);

	if (v && strcmp(json_string_value(v), want))
		TEST_FAIL_("%s: \"%s\" is \"%s\", expected \"%s\"", where, key,
			   json_string_value(v), want);
}

static void bool_is(json_t *o, const char *key, bool want, const char *where)
{
	json_t *v = json_object_get(o, key);

	if (!v || !json_is_boolean(v))
		TEST_FAIL_("%s: \"%s\" missing or not a boolean", where, key);
	else if (json_is_true(v) != want)
		TEST_FAIL_("%s: \"%s\" is %s", where, key, want ? "false" : "true");
}

static void real_is(json_t *o, const char *key, double want, const char *where)
{
	json_t *v = get(o, key, JSON_REAL, where);

	if (v && json_real_value(v) != want)
		TEST_FAIL_("%s: \"%s\" is %.17g, expected %.17g", where, key,
			   json_real_value(v), want);
}

static void null_is(json_t *o, const char *key, const char *where)
{
	get(o, key, JSON_NULL, where);
}

static json_t *parse(const struct rendered *o)
{
	json_error_t jerr;
	json_t *root = json_loadb(o->buf, o->len, 0, &jerr);

	if (!root)
		TEST_FAIL_("not JSON: %s at line %d column %d: %s", jerr.text, jerr.line,
			   jerr.column, o->buf);
	else if (!json_is_object(root))
		TEST_FAIL_("not an object: %s", o->buf);
	return root;
}

static void check_top(json_t *root, const struct report *r)
{
	json_t *time;
	const char *t;
	size_t i;

	str_is(root, "type", "report", "top");
	int_is(root, "schema", 1, "top");
	time = get(root, "time", JSON_STRING, "top");
	if (time) {
		/* YYYY-MM-DDTHH:MM:SSZ */
		t = json_string_value(time);
		ASSERT_EQ(strlen(t), 20, "time length");
		for (i = 0; i < strlen(t) && i < 20; i++) {
			bool digit = t[i] >= '0' && t[i] <= '9';

			switch (i) {
			case 4: case 7: ASSERT_EQ(t[i], '-', "time: date separator"); break;
			case 10: ASSERT_EQ(t[i], 'T', "time: T"); break;
			case 13: case 16: ASSERT_EQ(t[i], ':', "time: time separator"); break;
			case 19: ASSERT_EQ(t[i], 'Z', "time: Z"); break;
			default: ASSERT_TRUE(digit, "time: digit");
			}
		}
		ASSERT_STREQ(t, "2026-11-22T14:02:11Z", "time in UTC");
	}
	int_is(root, "report", r->seq, "top");
	real_is(root, "elapsed_s", r->elapsed_s, "top");
	bool_is(root, "final", r->final, "top");
	int_is(root, "dropped", r->dropped, "top");
	str_is(root, "sort", "growth", "top");
	int_is(root, "top", 10, "top");
	real_is(root, "min_age_s", 30.0, "top");
	int_is(root, "stacks_total", 5, "top");
	if (get(root, "drops", JSON_OBJECT, "top")) {
		json_t *d = json_object_get(root, "drops");

		int_is(d, "stacks", 1000, "drops");
		int_is(d, "events", 234, "drops");
		int_is(d, "allocs", 0, "drops");
	}
}

static void check_cat(json_t *cats, const char *key, const struct category_state *c,
		      const char *where)
{
	json_t *o = get(cats, key, JSON_OBJECT, where);

	if (!o)
		return;
	int_is(o, "bytes", c->bytes, key);
	int_is(o, "count", c->count, key);
	int_is(o, "growth_bytes", c->growth_bytes, key);
}

/* gc: the collections, and what survived the last full ones. */
static void check_gc(json_t *gc, const struct proc_report *p)
{
	json_t *after, *f;
	int i;

	if (!gc)
		return;
	int_is(gc, "scavenges", 12, "gc");
	int_is(gc, "full", 2, "gc");
	int_is(gc, "scavenges_total", 41, "gc: both young collectors");
	int_is(gc, "full_total", 5, "gc");
	ASSERT_EQ(json_object_size(gc), 5, "gc: fields");
	after = get(gc, "after_full", JSON_ARRAY, "gc");
	if (!after || !ASSERT_EQ(json_array_size(after), 3, "after_full: entries"))
		return;
	for (i = 0; i < 3; i++) {
		f = json_array_get(after, i);
		real_is(f, "elapsed_s", p->full.v[i].t, "after_full");
		int_is(f, "full_total", p->full.v[i].full_total, "after_full");
		int_is(f, "scavenges_total", p->full.v[i].scavenges_total, "after_full");
		int_is(f, "v8_live_bytes", p->full.v[i].v8_live, "after_full");
		int_is(f, "v8_heap_bytes", p->full.v[i].v8_heap, "after_full");
		int_is(f, "buffer_bytes", p->full.v[i].buffer, "after_full");
		int_is(f, "native_bytes", p->full.v[i].native, "after_full");
		ASSERT_EQ(json_object_size(f), 7, "after_full: fields");
	}
	int_is(json_array_get(after, 2), "buffer_bytes", 118000000, "after_full: the last");
	int_is(json_array_get(after, 2), "native_bytes", 212000000, "after_full: the last's native heap");
}

/* V8's live count not known: null, as everything unknown. */
static void test_live_unknown(void)
{
	struct report r;
	struct rendered o;
	json_error_t e;
	json_t *root, *after;

	report_fixture(&r);
	r.procs[0].full.v[1].v8_live = -1;
	o = render(&r);
	root = o.err ? NULL : json_loadb(o.buf, o.len, 0, &e);
	free(o.buf);
	if (!ASSERT_OK_PTR(root, "json"))
		return;
	after = json_object_get(json_object_get(json_array_get(json_object_get(root, "processes"), 0), "gc"),
				"after_full");
	ASSERT_TRUE(json_is_null(json_object_get(json_array_get(after, 1), "v8_live_bytes")), "null");
	ASSERT_TRUE(json_is_integer(json_object_get(json_array_get(after, 0), "v8_live_bytes")), "the others known");
	json_decref(root);
}

static void check_procs(json_t *root, const struct report *r)
{
	json_t *procs = get(root, "processes", JSON_ARRAY, "top"), *p, *cats, *trend;

	if (!procs || !ASSERT_EQ(json_array_size(procs), 2, "processes"))
		return;

	p = json_array_get(procs, 0);
	int_is(p, "pid", 4242, "node");
	str_is(p, "comm", "node", "node");
	bool_is(p, "exited", false, "node");
	str_is(p, "allocator", "/usr/lib/x86_64-linux-gnu/libc.so.6", "node");
	cats = get(p, "categories", JSON_OBJECT, "node");
	if (cats) {
		check_cat(cats, "native", &r->procs[0].cat[ML_CAT_NATIVE], "node");
		check_cat(cats, "mmap", &r->procs[0].cat[ML_CAT_MMAP], "node");
		check_cat(cats, "allocator", &r->procs[0].cat[ML_CAT_ALLOCATOR], "node");
		check_cat(cats, "buffer", &r->procs[0].cat[ML_CAT_BUFFER], "node");
		ASSERT_TRUE(!json_object_get(cats, "v8_heap"), "node: no v8_heap");
		ASSERT_EQ(json_object_size(cats), 4, "node: categories");
	}
	trend = get(p, "trend", JSON_OBJECT, "node");
	if (trend) {
		str_is(trend, "verdict", "off-heap-leak", "node trend");
		real_is(trend, "rate_bytes_per_s", 1950000, "node trend");
		str_is(trend, "evidence", r->procs[0].trend.evidence, "node trend");
	}
	check_gc(get(p, "gc", JSON_OBJECT, "node"), &r->procs[0]);

	p = json_array_get(procs, 1);
	int_is(p, "pid", 5150, "leaky");
	str_is(p, "comm", "leaky", "leaky");
	bool_is(p, "exited", true, "leaky");
	null_is(p, "allocator", "leaky");
	cats = get(p, "categories", JSON_OBJECT, "leaky");
	if (cats) {
		check_cat(cats, "native", &r->procs[1].cat[ML_CAT_NATIVE], "leaky");
		check_cat(cats, "mmap", &r->procs[1].cat[ML_CAT_MMAP], "leaky");
		check_cat(cats, "allocator", &r->procs[1].cat[ML_CAT_ALLOCATOR], "leaky");
		ASSERT_EQ(json_object_size(cats), 3, "leaky: categories");
	}
	trend = get(p, "trend", JSON_OBJECT, "leaky");
	if (trend) {
		str_is(trend, "verdict", "insufficient-data", "leaky trend");
		real_is(trend, "rate_bytes_per_s", 0, "leaky trend");
		str_is(trend, "evidence", "2 reports so far; a verdict needs 3", "leaky trend");
	}
}

static void check_frame(json_t *f, const struct frame *want, const char *where)
{
	char addr[32];

	if (!ASSERT_TRUE(json_is_object(f), where))
		return;
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)want->addr);
	str_is(f, "addr", addr, where);
	if (want->module)
		str_is(f, "module", want->module, where);
	else
		null_is(f, "module", where);
	if (want->function)
		str_is(f, "function", want->function, where);
	else
		null_is(f, "function", where);
	if (want->file) {
		str_is(f, "file", want->file, where);
		int_is(f, "line", want->line, where);
	} else {
		null_is(f, "file", where);
		null_is(f, "line", where);
	}
	int_is(f, "module_offset", want->module_offset, where);
	bool_is(f, "jit", want->jit, where);
	bool_is(f, "inlined", want->inlined, where);
}

static void check_stacks(json_t *root, const struct report *r)
{
	json_t *stacks = get(root, "stacks", JSON_ARRAY, "top"), *s, *frames;
	char where[64];
	int i, j;

	if (!stacks || !ASSERT_EQ(json_array_size(stacks), r->nstacks, "stacks"))
		return;
	for (i = 0; i < r->nstacks; i++) {
		const struct stack_report *w = &r->stacks[i];

		snprintf(where, sizeof(where), "stack %d", i);
		s = json_array_get(stacks, i);
		int_is(s, "pid", w->pid, where);
		str_is(s, "comm", w->comm, where);
		str_is(s, "category", category_key(w->category), where);
		int_is(s, "outstanding_bytes", w->outstanding_bytes, where);
		int_is(s, "outstanding_count", w->outstanding_count, where);
		int_is(s, "growth_bytes", w->growth_bytes, where);
		int_is(s, "total_bytes", w->total_bytes, where);
		int_is(s, "total_count", w->total_count, where);
		if (w->oldest_age_s >= 0)
			real_is(s, "oldest_age_s", w->oldest_age_s, where);
		else
			null_is(s, "oldest_age_s", where);
		frames = get(s, "frames", JSON_ARRAY, where);
		if (!frames || !ASSERT_EQ(json_array_size(frames), w->nframes, where))
			continue;
		for (j = 0; j < w->nframes; j++) {
			snprintf(where, sizeof(where), "stack %d frame %d", i, j);
			check_frame(json_array_get(frames, j), &w->frames[j], where);
		}
	}
	/* spot checks against the fixture as written, not only as re-read */
	s = json_array_get(stacks, 0);
	str_is(s, "category", "buffer", "stack 0");
	real_is(s, "oldest_age_s", 61.25, "stack 0");
	frames = json_object_get(s, "frames");
	str_is(json_array_get(frames, 0), "addr", "0x7f3a1c2b4e10", "leaf frame");
	str_is(json_array_get(frames, 0), "function", "malloc", "leaf first");
	null_is(json_array_get(frames, 3), "function", "unsymbolised frame");
	null_is(json_array_get(frames, 7), "module", "frame with nothing known");
	s = json_array_get(stacks, 1);
	null_is(s, "oldest_age_s", "stack 1: age unknown");
	int_is(s, "growth_bytes", -4096, "stack 1: shrinking");
}

static void test_fields(void)
{
	struct report r;
	struct rendered o;
	json_t *root;

	report_fixture(&r);
	o = render(&r);
	if (!ASSERT_OK(o.err, "render"))
		goto out;
	ASSERT_GT(o.len, 1, "length");
	ASSERT_EQ(strlen(o.buf), o.len, "no NUL inside");
	ASSERT_EQ(o.buf[o.len - 1], '\n', "ends in a newline");
	ASSERT_TRUE(strchr(o.buf, '\n') == o.buf + o.len - 1, "exactly one line");
	root = parse(&o);
	if (!root)
		goto out;
	check_top(root, &r);
	check_procs(root, &r);
	check_stacks(root, &r);
	json_decref(root);
out:
	free(o.buf);
}

static void test_hostile(void)
{
	struct report r;
	struct rendered o;
	json_t *root, *f;

	report_fixture(&r);
	r.procs[1].comm = "a\"b\\c\n;d";
	r.stacks[1].comm = r.procs[1].comm;
	o = render(&r);
	if (!ASSERT_OK(o.err, "render"))
		goto out;
	ASSERT_TRUE(strchr(o.buf, '\n') == o.buf + o.len - 1, "newlines escaped");
	root = parse(&o);
	if (!root)
		goto out;
	f = json_array_get(json_object_get(json_array_get(json_object_get(root, "stacks"), 1),
					   "frames"), 1);
	str_is(f, "function", FIXTURE_HOSTILE, "hostile function round-trips");
	str_is(json_array_get(json_object_get(root, "processes"), 1), "comm", "a\"b\\c\n;d",
	       "hostile comm round-trips");
	json_decref(root);
out:
	free(o.buf);
}

/* Names are bytes, not always UTF-8: a comm cut at 15 bytes in the middle
 * of a character, a path in Latin-1.  Nothing may disappear from the report
 * because of it.
 */
static void test_not_utf8(void)
{
	struct report r;
	struct rendered o;
	json_t *root, *procs, *stacks, *frames;

	report_fixture(&r);
	r.procs[1].comm = "caf\xc3";	/* "café" cut after the first byte of é */
	r.stacks[1].comm = r.procs[1].comm;
	r.stacks[1].frames[2].module = "/opt/\xe9t\xe9/leaky";
	r.stacks[1].frames[2].file = "\xff\xfe";
	o = render(&r);
	if (!ASSERT_OK(o.err, "render"))
		goto out;
	root = parse(&o);
	if (!root)
		goto out;
	procs = json_object_get(root, "processes");
	stacks = json_object_get(root, "stacks");
	if (ASSERT_EQ(json_array_size(procs), 2, "no process lost")) {
		str_is(json_array_get(procs, 1), "comm", "caf\xef\xbf\xbd",
		       "invalid byte replaced by U+FFFD");
		int_is(json_array_get(procs, 1), "pid", 5150, "the same process");
	}
	if (ASSERT_EQ(json_array_size(stacks), 3, "no stack lost")) {
		frames = json_object_get(json_array_get(stacks, 1), "frames");
		if (ASSERT_EQ(json_array_size(frames), 3, "no frame lost")) {
			str_is(json_array_get(frames, 2), "module",
			       "/opt/\xef\xbf\xbdt\xef\xbf\xbd/leaky", "latin-1 path");
			str_is(json_array_get(frames, 2), "file",
			       "\xef\xbf\xbd\xef\xbf\xbd", "bytes never valid");
			str_is(json_array_get(frames, 2), "function", "main", "rest intact");
		}
	}
	json_decref(root);
	/* Valid UTF-8 is kept as it is. */
	free(o.buf);
	report_fixture(&r);
	r.procs[1].comm = "caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x92\xa7";
	o = render(&r);
	if (!ASSERT_OK(o.err, "render utf-8"))
		goto out;
	root = parse(&o);
	if (!root)
		goto out;
	str_is(json_array_get(json_object_get(root, "processes"), 1), "comm",
	       "caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x92\xa7", "valid UTF-8 kept");
	json_decref(root);
out:
	free(o.buf);
}

static void test_empty(void)
{
	struct report r = { .seq = 1, .wall = 0, .final = true, .top = 10 };
	struct rendered o;
	json_t *root;

	o = render(&r);
	if (!ASSERT_OK(o.err, "render"))
		goto out;
	root = parse(&o);
	if (!root)
		goto out;
	str_is(root, "time", "1970-01-01T00:00:00Z", "epoch");
	bool_is(root, "final", true, "final");
	int_is(root, "dropped", 0, "dropped");
	ASSERT_EQ(json_array_size(json_object_get(root, "processes")), 0, "no processes");
	ASSERT_EQ(json_array_size(json_object_get(root, "stacks")), 0, "no stacks");
	json_decref(root);
out:
	free(o.buf);
}

static void test_golden(void)
{
	struct report r;
	struct rendered o;

	report_fixture(&r);
	o = render(&r);
	if (ASSERT_OK(o.err, "render"))
		golden_check(GOLDEN_JSON, o.buf, o.len);
	free(o.buf);
}

/* Every line is an object with "schema": 1, whatever the report holds;
 * the golden file too, so that it cannot drift from the contract.
 */
static void schema_on_every_line(const char *buf, size_t len, const char *where)
{
	const char *line = buf, *end = buf + len, *nl;
	json_error_t jerr;
	json_t *o;
	int n = 0;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if (!ASSERT_OK_PTR(nl, "ends in a newline"))
			return;
		o = json_loadb(line, nl - line, 0, &jerr);
		if (ASSERT_TRUE(json_is_object(o), where))
			int_is(o, "schema", 1, where);
		json_decref(o);
		n++;
	}
	ASSERT_GT(n, 0, where);
}

/* unwind.tables: every count, the released ones among them. */
static void test_unwind_tables(void)
{
	struct report r;
	struct rendered o;
	json_t *root, *t;

	report_fixture(&r);
	r.unwind.known = true;
	r.unwind.tables = 4;
	r.unwind.rows = 62757;
	r.unwind.bytes = 778240;
	r.unwind.budget = 1310720;
	r.unwind.files_without_cfi = 2;
	r.unwind.files_over_budget = 0;
	r.unwind.files_failed = 1;
	r.unwind.files_idle = 1;
	r.unwind.files_released = 7;
	r.unwind.bytes_reused = 2696512;
	o = render(&r);
	root = ASSERT_OK(o.err, "render") ? parse(&o) : NULL;
	t = json_object_get(json_object_get(root, "unwind"), "tables");
	if (ASSERT_TRUE(json_is_object(t), "unwind.tables")) {
		int_is(t, "files", 4, "tables");
		int_is(t, "rows", 62757, "tables");
		int_is(t, "bytes", 778240, "tables");
		int_is(t, "budget_bytes", 1310720, "tables");
		int_is(t, "files_without_cfi", 2, "tables");
		int_is(t, "files_over_budget", 0, "tables");
		int_is(t, "files_failed", 1, "tables");
		int_is(t, "files_idle", 1, "tables");
		int_is(t, "files_released", 7, "tables");
		int_is(t, "bytes_reused", 2696512, "tables");
		ASSERT_EQ(json_object_size(t), 10, "no other field");
	}
	json_decref(root);
	free(o.buf);
}

static void test_schema(void)
{
	struct report fixture, empty = { .seq = 1, .final = true, .top = 10 };
	const struct report *reports[] = { &fixture, &empty };
	struct rendered o;
	char *golden;
	size_t i, len;

	report_fixture(&fixture);
	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		o = render(reports[i]);
		if (ASSERT_OK(o.err, "render"))
			schema_on_every_line(o.buf, o.len, i ? "empty report" : "fixture");
		free(o.buf);
	}
	golden = golden_read(GOLDEN_JSON, &len);
	if (ASSERT_OK_PTR(golden, GOLDEN_JSON))
		schema_on_every_line(golden, len, GOLDEN_JSON);
	free(golden);
}

void test_report_json(void)
{
	if (test__start_subtest("fields"))
		test_fields();
	if (test__start_subtest("hostile names"))
		test_hostile();
	if (test__start_subtest("names not in UTF-8"))
		test_not_utf8();
	if (test__start_subtest("unwind tables"))
		test_unwind_tables();
	if (test__start_subtest("empty report"))
		test_empty();
	if (test__start_subtest("golden"))
		test_golden();
	if (test__start_subtest("V8's live count unknown"))
		test_live_unknown();
	if (test__start_subtest("schema on every object"))
		test_schema();
}

/* --sample-bytes: "sampled" is N, and each estimate says so. */
void test_report_json_sampled(void)
{
	struct report r;
	struct rendered o;
	json_t *root, *leaky;

	report_fixture(&r);
	r.sample_bytes = 512 * 1024;
	r.procs[1].cat[ML_CAT_NATIVE].estimated = true;
	r.stacks[1].estimated = true;
	o = render(&r);
	if (!ASSERT_OK(o.err, "render"))
		goto out;
	root = parse(&o);
	if (!root)
		goto out;
	int_is(root, "sampled", 524288, "top");
	leaky = json_object_get(json_object_get(json_array_get(json_object_get(root, "processes"), 1),
						"categories"), "native");
	bool_is(leaky, "estimated", true, "leaky native");
	bool_is(json_object_get(json_object_get(json_array_get(json_object_get(root, "processes"), 1),
						"categories"), "mmap"), "estimated", false, "leaky mmap");
	bool_is(json_array_get(json_object_get(root, "stacks"), 1), "estimated", true, "stack 1");
	bool_is(json_array_get(json_object_get(root, "stacks"), 2), "estimated", false, "stack 2 (mmap)");
	json_decref(root);
out:
	free(o.buf);
}
