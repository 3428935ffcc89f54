// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_flamegraph.c: the SVG flame graph, as text (well-formed,
 * escaped, titled, coloured, bounded) and driven in headless Chromium
 * (no script error, click zooms, reset, search).
 */
#include <regex.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "browser.h"
#include "export/flamegraph.h"
#include "export/profile.h"
#include "report_fixture.h"

extern const char flamegraph_js[];

/* The SVG of p (malloc'd), or NULL after a failed assertion. */
static char *render(const struct profile *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	err = flamegraph__write(p, f);
	fclose(f);
	if (!ASSERT_OK(err, "flamegraph__write")) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Write svg to /tmp/memleakbpf-flamegraph-<name>.svg; the path, or NULL. */
static const char *save(const char *name, const char *svg, size_t len)
{
	static char path[8][256];
	static int slot;
	char *p = path[slot++ % 8];
	FILE *f;

	snprintf(p, sizeof(path[0]), "/tmp/memleakbpf-flamegraph-%s.svg", name);
	f = fopen(p, "w");
	if (!ASSERT_OK_PTR(f, p))
		return NULL;
	fwrite(svg, 1, len, f);
	if (!ASSERT_OK(fclose(f), "write svg"))
		return NULL;
	return p;
}

/* xmllint (libxml2-utils) says the file is well-formed XML. */
static bool well_formed(const char *path)
{
	char cmd[512];

	if (!ASSERT_OK(access("/usr/bin/xmllint", X_OK), "xmllint (libxml2-utils) installed"))
		return false;
	snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s'", path);
	return ASSERT_OK(system(cmd), "xmllint --noout");
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* Frames drawn: "all", named, merged. */
static size_t count_frames(const char *svg)
{
	return count(svg, "<g class=\"f\" data-") + count(svg, "<g class=\"f syn\" data-");
}

/* The fill of the first frame whose tooltip starts with name (escaped as
 * written), as r, g, b; false when there is none.
 */
static bool frame_fill(const char *svg, const char *name, int rgb[3])
{
	char key[512];
	const char *at, *end;

	snprintf(key, sizeof(key), "<title>%s\n", name);
	at = strstr(svg, key);
	if (!at)
		return false;
	end = strstr(at, "</g>");
	at = strstr(at, "fill=\"rgb(");
	if (!at || !end || at > end)
		return false;
	return sscanf(at, "fill=\"rgb(%d,%d,%d)", &rgb[0], &rgb[1], &rgb[2]) == 3;
}

/* The attribute data-<attr> of the first frame called name. */
static long long frame_data(const char *svg, const char *name, const char *attr)
{
	char key[512];
	const char *title, *g;

	snprintf(key, sizeof(key), "<title>%s\n", name);
	title = strstr(svg, key);
	if (!title)
		return -1;
	for (g = title; g > svg && strncmp(g, "<g ", 3); g--)
		;
	snprintf(key, sizeof(key), "data-%s=\"", attr);
	g = strstr(g, key);
	return g && g < title ? atoll(g + strlen(key)) : -1;
}

static int add(struct profile *p, const char *const *names, int category, int64_t value,
	       int64_t base)
{
	struct pframe f[16];
	int n;

	for (n = 0; names[n] && n < 16; n++) {
		f[n].name = names[n];
		f[n].kind = n ? FRAME_NATIVE : FRAME_PROCESS;
	}
	return profile__add(p, f, n, category, value, base);
}

#define ADD(p, cat, value, base, ...) \
	add(p, (const char *const[]){ __VA_ARGS__, NULL }, cat, value, base)

static bool fixture_profile(struct profile *p, enum metric m)
{
	struct report r;

	report_fixture(&r);
	return ASSERT_OK(profile__from_report(p, &r, m), "profile__from_report");
}

static void check_fixture_text(void)
{
	struct profile p;
	size_t len;
	char *svg;

	if (!fixture_profile(&p, METRIC_OUTSTANDING))
		return;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	if (test__start_subtest("well-formed"))
		well_formed(save("fixture", svg, len));
	if (test__start_subtest("titles")) {
		ASSERT_TRUE(!strncmp(svg, "<?xml", 5), "XML declaration");
		ASSERT_STRCONTAINS(svg, "<title>memleakbpf: outstanding bytes of node (4242), leaky (5150)</title>",
				   "document title");
		ASSERT_STRCONTAINS(svg, "2026-11-22 14:02:11 UTC, 30.0 s traced", "subtitle");
		ASSERT_STRCONTAINS(svg, "outstanding bytes: total 190.2 MiB (199,483,392 bytes)", "totals");
		ASSERT_STRCONTAINS(svg, "width=\"1200\"", "width");
		ASSERT_TRUE(strlen(svg) == len && !strcmp(svg + len - 7, "</svg>\n"), "ends with </svg>");
	}
	if (test__start_subtest("narrow process")) {
		/* 0.02% of the total: drawn alone, its callees not drawn */
		ASSERT_STRCONTAINS(svg, "<title>leaky (5150)\n40.0 KiB (40,960 bytes), 0.02%\n"
				   "process; too narrow: callees not drawn</title>", "leaky");
	}
	if (test__start_subtest("tooltip")) {
		ASSERT_STRCONTAINS(svg, "<title>main\n190.2 MiB (199,438,336 bytes), 99.98%\noff-heap (Buffer)</title>",
				   "name, value, share, category");
		ASSERT_STRCONTAINS(svg, "<title>[jit]\n190.2 MiB (199,438,336 bytes), 99.98%\noff-heap (Buffer), JIT code",
				   "JIT frame");
	}
	if (test__start_subtest("script")) {
		ASSERT_FALSE(strstr(flamegraph_js, "]]>"), "the script cannot end its CDATA section");
		ASSERT_EQ(count(svg, "<![CDATA["), 1, "one CDATA section");
		ASSERT_STRCONTAINS(svg, "<script type=\"text/ecmascript\"><![CDATA[\n/* user/flamegraph.js", "embedded");
		ASSERT_FALSE(strstr(svg, "http://") && strstr(svg, "http://") != strstr(svg, "http://www.w3.org/2000/svg"),
			     "no link but the SVG namespace");
	}
cleanup:
	free(svg);
	profile__release(&p);
}

/* By bytes allocated, leaky's stacks are wide enough to show. */
static void check_hostile(void)
{
	struct profile p;
	size_t len;
	char *svg;

	if (!fixture_profile(&p, METRIC_ALLOC_BYTES))
		return;
	svg = render(&p, &len);
	if (svg) {
		well_formed(save("hostile", svg, len));
		ASSERT_STRCONTAINS(svg, "<title>operator&quot;&quot;_evil&lt;\\n&gt;(char const*);\xef\xbf\xbd"
				   "rm -rf / &quot;x\\&quot;y&quot;\n80.0 KiB (81,920 bytes), 0.03%\n",
				   "escaped in the tooltip");
		ASSERT_FALSE(strstr(svg, "\"_evil<") || strstr(svg, "_evil<\\n>"), "raw name");
		ASSERT_FALSE(strstr(svg, ";\nrm -rf"), "raw newline");
	}
	free(svg);
	profile__release(&p);
}

static bool is_grey(const int c[3])
{
	return c[0] == c[1] && c[1] == c[2];
}

/* Kinds and categories: each its own hue family. */
static void check_colours(void)
{
	int native[3], buffer[3], mmap[3], jit[3], unknown[3], proc[3];
	struct profile p = { .metric = METRIC_OUTSTANDING };
	size_t len;
	char *svg = NULL;

	ADD(&p, ML_CAT_NATIVE, 2000, 0, "app (1)", "main", "native_fn");
	ADD(&p, ML_CAT_BUFFER, 1000, 0, "app (1)", "main", "buffer_fn");
	ADD(&p, ML_CAT_MMAP, 1000, 0, "app (1)", "main", "mmap_fn");
	if (!ASSERT_OK(ADD(&p, ML_CAT_NATIVE, 1000, 0, "app (1)", "jitted", "unknown+0x10"), "add"))
		goto cleanup;
	p.v[3].frames[1].kind = FRAME_JIT;
	p.v[3].frames[2].kind = FRAME_UNKNOWN;
	svg = render(&p, &len);
	if (!svg || !ASSERT_TRUE(frame_fill(svg, "native_fn", native) && frame_fill(svg, "buffer_fn", buffer) &&
				 frame_fill(svg, "mmap_fn", mmap) && frame_fill(svg, "jitted", jit) &&
				 frame_fill(svg, "unknown+0x10", unknown) && frame_fill(svg, "app (1)", proc),
				 "fills found"))
		goto cleanup;
	ASSERT_TRUE(native[0] > native[1] + 60 && native[0] > native[2] + 60, "native heap: red to orange");
	ASSERT_TRUE(buffer[0] > buffer[1] + 40 && buffer[2] > buffer[1] + 20, "Buffer: pink");
	ASSERT_TRUE(mmap[2] > mmap[1] + 40 && mmap[0] > mmap[1], "mmap: violet");
	ASSERT_TRUE(jit[1] > jit[0] + 40 && jit[1] > jit[2], "JIT: green");
	ASSERT_TRUE(is_grey(unknown), "unknown: grey");
	ASSERT_TRUE(!is_grey(proc) && proc[0] > 180 && proc[1] > 180 && proc[2] > 180, "process: pale neutral");
	/* main holds 2000 native + 1000 each of Buffer and mmap */
	ASSERT_TRUE(frame_fill(svg, "main", buffer) && buffer[0] > buffer[1] + 60, "majority category");
	ASSERT_STRCONTAINS(svg, ">native heap</text>", "legend");
	ASSERT_STRCONTAINS(svg, ">JIT</text>", "legend JIT");
	ASSERT_FALSE(strstr(svg, ">V8 heap</text>"), "legend: only what is drawn");
cleanup:
	free(svg);
	profile__release(&p);
}

static void check_diff(void)
{
	struct profile p = { .metric = METRIC_OUTSTANDING, .diff = true };
	int grew[3], grew_less[3], shrank[3], same[3];
	size_t len;
	char *svg = NULL;

	snprintf(p.title, sizeof(p.title), "memleakbpf diff: growth from a.pb.gz to b.pb.gz");
	ADD(&p, -1, 100000, 10000, "app", "main", "grows");
	ADD(&p, -1, 110000, 100000, "app", "main", "grows_a_little");
	ADD(&p, -1, 10000, 100000, "app", "main", "shrinks");
	if (!ASSERT_OK(ADD(&p, -1, 50000, 50000, "app", "main", "steady"), "add"))
		goto cleanup;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	well_formed(save("diff", svg, len));
	ASSERT_STRCONTAINS(svg, "<title>Differential flame graph: memleakbpf diff: growth from a.pb.gz to b.pb.gz",
			   "title says diff");
	if (!ASSERT_TRUE(frame_fill(svg, "grows", grew) && frame_fill(svg, "grows_a_little", grew_less) &&
			 frame_fill(svg, "shrinks", shrank) && frame_fill(svg, "steady", same), "fills found"))
		goto cleanup;
	ASSERT_TRUE(grew[0] > grew[1] + 100 && grew[0] > grew[2] + 100, "grown: red");
	ASSERT_TRUE(shrank[2] > shrank[0] + 100 && shrank[2] > shrank[1] + 100, "shrunk: blue");
	ASSERT_TRUE(grew_less[0] > grew_less[1] + 20 && grew_less[1] > grew[1], "less growth, paler red");
	ASSERT_TRUE(abs(same[0] - same[2]) < 30 && same[1] > 200, "unchanged: neutral and light");
	ASSERT_EQ(frame_data(svg, "shrinks", "v"), 100000, "width: max(base, new)");
	ASSERT_STRCONTAINS(svg, "<title>grows\n9.8 KiB (10,000 bytes) -&gt; 97.7 KiB (100,000 bytes)\n"
			   "delta +87.9 KiB (+90,000 bytes), +900.0%", "tooltip: base -> new, delta");
	ASSERT_STRCONTAINS(svg, ">grew</text>", "legend");
cleanup:
	free(svg);
	profile__release(&p);
}

static void check_layout(void)
{
	struct profile p = { .metric = METRIC_COUNT };
	size_t len;
	char *svg = NULL;
	int i, err = 0;

	ADD(&p, ML_CAT_NATIVE, 3000, 0, "app (7)", "main", "zeta");
	ADD(&p, ML_CAT_NATIVE, 2000, 0, "app (7)", "main", "alpha");
	ADD(&p, ML_CAT_NATIVE, 1000, 0, "app (7)", "main", "mid");
	/* 40 siblings of 1 in 6041: each under 1/2000 of the total */
	for (i = 0; i < 40 && !err; i++) {
		char name[32];

		snprintf(name, sizeof(name), "tiny_%02d", i);
		err = ADD(&p, ML_CAT_NATIVE, 1, 0, "app (7)", "main", name);
	}
	err = err ?: ADD(&p, ML_CAT_NATIVE, 0, 0, "app (7)", "main", "nothing");
	if (!ASSERT_OK(err, "add"))
		goto cleanup;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	ASSERT_TRUE(frame_data(svg, "alpha", "x") < frame_data(svg, "mid", "x") &&
		    frame_data(svg, "mid", "x") < frame_data(svg, "zeta", "x"), "children by name");
	ASSERT_EQ(frame_data(svg, "main", "v"), 6040, "merged by name");
	ASSERT_EQ(frame_data(svg, "zeta", "d"), 3, "depth under all");
	ASSERT_STRCONTAINS(svg, "<title>[40 small frames]\n40 allocations, 0.66%", "narrow siblings merged");
	ASSERT_FALSE(strstr(svg, "tiny_"), "not drawn one by one");
	ASSERT_FALSE(strstr(svg, "<title>nothing"), "no value, no frame");
	ASSERT_EQ(count_frames(svg), 7, "all, app, main, 3 children, merged");
cleanup:
	free(svg);
	profile__release(&p);
}

/* 100,000 distinct stacks: bounded output, written fast (no timing here,
 * but quadratic code would take minutes).
 */
static int build_large(struct profile *p)
{
	int i, err = 0;

	*p = (struct profile){ .metric = METRIC_OUTSTANDING };
	snprintf(p->title, sizeof(p->title), "a large profile");
	for (i = 0; i < 100000 && !err; i++) {
		char mod[32], fn[32], leaf[32], proc[32];

		snprintf(proc, sizeof(proc), "proc (%d)", i % 3);
		snprintf(mod, sizeof(mod), "module_%d", i % 40);
		snprintf(fn, sizeof(fn), "function_%d", (i / 40) % 300);
		snprintf(leaf, sizeof(leaf), "leaf_%d", i);
		err = ADD(p, i % ML_CAT_MAX, 1 + (i * 7919) % 100000, 0, proc, mod, fn, leaf);
	}
	return err;
}

static void check_large(void)
{
	struct profile p;
	size_t len, frames;
	char *svg = NULL;

	if (!ASSERT_OK(build_large(&p), "add"))
		goto cleanup;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	frames = count_frames(svg);
	ASSERT_LE(frames, FLAMEGRAPH_MAX_FRAMES, "frames drawn");
	ASSERT_LT(count(svg, "<rect"), 5000, "rects");
	ASSERT_LT(len, 3 << 20, "file size");
	ASSERT_STRCONTAINS(svg, "small frames]", "narrow frames merged");
	ASSERT_STRCONTAINS(svg, "<title>proc (0)\n", "wide frames kept");
	well_formed(save("large", svg, len));
cleanup:
	free(svg);
	profile__release(&p);
}

/* 1,000 stacks 21 frames deep, each 1/1000 of the total: 21,000 frames
 * wide enough to draw, more than the budget; the threshold rises.
 */
static void check_deep(void)
{
	struct profile p = { .metric = METRIC_OUTSTANDING };
	struct pframe f[22];
	char names[22][32];
	size_t len;
	char *svg = NULL;
	int i, k, err = 0;

	for (i = 0; i < 1000 && !err; i++) {
		for (k = 0; k < 22; k++) {
			snprintf(names[k], sizeof(names[k]), k ? "f%d_%d" : "deep (1)", i, k);
			f[k] = (struct pframe){ names[k], k ? FRAME_NATIVE : FRAME_PROCESS };
		}
		err = profile__add(&p, f, 22, ML_CAT_NATIVE, 4096, 0);
	}
	if (!ASSERT_OK(err, "add"))
		goto cleanup;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	ASSERT_LE(count_frames(svg), FLAMEGRAPH_MAX_FRAMES, "frames drawn");
	ASSERT_STRCONTAINS(svg, "<title>deep (1)\n", "process kept");
	ASSERT_STRCONTAINS(svg, "[1000 small frames]", "merged");
	well_formed(save("deep", svg, len));
cleanup:
	free(svg);
	profile__release(&p);
}

static void check_empty(void)
{
	struct profile p = { .metric = METRIC_OUTSTANDING };
	size_t len;
	char *svg;

	snprintf(p.title, sizeof(p.title), "memleakbpf: outstanding bytes of no process");
	svg = render(&p, &len);
	if (!svg)
		return;
	well_formed(save("empty", svg, len));
	ASSERT_STRCONTAINS(svg, "Nothing to show", "says so");
	ASSERT_STRCONTAINS(svg, "<title>memleakbpf: outstanding bytes of no process</title>", "title");
	ASSERT_EQ(count_frames(svg), 0, "no frame");
	free(svg);
}

/* Names and titles that are not text: control characters, bytes that are
 * not UTF-8, characters XML forbids.
 */
static int build_bad_bytes(struct profile *p)
{
	*p = (struct profile){ .metric = METRIC_ALLOCS };
	snprintf(p->title, sizeof(p->title), "comm \x1b[31mred\x7f & <b>");
	snprintf(p->subtitle, sizeof(p->subtitle), "\xff\xfe then \xc3\xa9t\xc3\xa9 \xef\xbf\xbf");
	return ADD(p, ML_CAT_NATIVE, 5, 0, "a\tb (1)", "bad\xc0\xaf\xed\xa0\x80", "x\x01y\n\rz",
		   "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5", "cut\xe2\x9c");
}

static void check_bad_bytes(void)
{
	struct profile p;
	size_t len;
	char *svg = NULL;

	if (!ASSERT_OK(build_bad_bytes(&p), "add"))
		goto cleanup;
	svg = render(&p, &len);
	if (!svg)
		goto cleanup;
	well_formed(save("bytes", svg, len));
	ASSERT_STRCONTAINS(svg, "<title>comm \xef\xbf\xbd[31mred\xef\xbf\xbd &amp; &lt;b&gt;</title>", "title");
	ASSERT_STRCONTAINS(svg, "\xef\xbf\xbd\xef\xbf\xbd then \xc3\xa9t\xc3\xa9 \xef\xbf\xbd", "subtitle");
	ASSERT_STRCONTAINS(svg, "<title>x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\n", "controls replaced");
	ASSERT_STRCONTAINS(svg, "<title>caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5\n", "UTF-8 kept");
	ASSERT_STRCONTAINS(svg, "<title>cut\xef\xbf\xbd\xef\xbf\xbd\n", "cut sequence replaced");
cleanup:
	free(svg);
	profile__release(&p);
}

void test_flamegraph(void)
{
	check_fixture_text();
	if (test__start_subtest("hostile names escaped"))
		check_hostile();
	if (test__start_subtest("colours"))
		check_colours();
	if (test__start_subtest("diff"))
		check_diff();
	if (test__start_subtest("layout"))
		check_layout();
	if (test__start_subtest("large profile bounded"))
		check_large();
	if (test__start_subtest("deep profile bounded"))
		check_deep();
	if (test__start_subtest("empty profile"))
		check_empty();
	if (test__start_subtest("bad bytes"))
		check_bad_bytes();
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the SVG's search should find for re, computed from the profile:
 * the frames (distinct paths from the root) whose name matches, and
 * "Matched: N%" for the samples with a match in their stack (a frame
 * inside a matched frame adds nothing).  False if re is not POSIX ERE.
 */
static bool expected_search(const struct profile *p, const char *re, int *frames, char *text,
			    size_t len)
{
	char **paths = calloc(p->n * 16 + 1, sizeof(*paths));
	int64_t hit = 0, total = 0;
	size_t i, npaths = 0;
	regex_t rx;
	int k;

	if (!paths || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) {
		free(paths);
		return false;
	}
	for (i = 0; i < p->n; i++) {
		const struct psample *s = &p->v[i];
		int64_t w = p->diff && s->base > s->value ? s->base : s->value;
		bool any = false;
		char path[4096] = "";

		total += w;
		for (k = 0; k < s->nframes && k < 16; k++) {
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s\x1f", s->frames[k].name);
			if (regexec(&rx, s->frames[k].name, 0, NULL, 0))
				continue;
			any = true;
			paths[npaths++] = strdup(path);
		}
		if (any)
			hit += w;
	}
	qsort(paths, npaths, sizeof(*paths), str_cmp);
	*frames = 0;
	for (i = 0; i < npaths; i++)
		*frames += !i || strcmp(paths[i - 1], paths[i]);
	snprintf(text, len, "Matched: %.1f%%", 100.0 * (double)hit / (double)total);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	regfree(&rx);
	return true;
}

static bool res_true(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static long long res_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *res_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool no_errors(json_t *res)
{
	json_t *errors = json_object_get(res, "errors"), *e;
	size_t i;

	if (!ASSERT_TRUE(json_is_array(errors), "errors listed"))
		return false;
	json_array_foreach(errors, i, e)
		fprintf(stderr, "  in the browser: %s\n", json_string_value(e));
	return ASSERT_EQ(json_array_size(errors), 0, "script errors");
}

/* Render p, drive it in Chromium: click the widest frame called click,
 * search re; the screenshot goes to png.
 */
static void check_in_browser(const struct profile *p, const char *name, const char *click,
			     const char *re, const char *png)
{
	char want_text[64], want_title[320];
	json_t *res = NULL;
	const char *path;
	int want_frames;
	size_t len;
	char *svg;

	svg = render(p, &len);
	if (!svg)
		return;
	path = save(name, svg, len);
	if (!path || !ASSERT_TRUE(expected_search(p, re, &want_frames, want_text, sizeof(want_text)),
				  "expected search") ||
	    !ASSERT_OK(browser_check_svg(path, click, re, png, &res), "browser_check_svg"))
		goto cleanup;
	ASSERT_TRUE(res_true(res, "loaded"), "loaded: <svg>, no parsererror");
	no_errors(res);
	snprintf(want_title, sizeof(want_title), "%s%s", p->diff ? "Differential flame graph: " : "",
		 p->title);
	ASSERT_STREQ(res_str(res, "title"), want_title, "document title");
	ASSERT_EQ(res_int(res, "frames"), count_frames(svg), "frames");
	ASSERT_TRUE(res_true(res, "clicked"), "found and clicked");
	ASSERT_TRUE(res_true(res, "zoomed"), "click zooms to the full width");
	ASSERT_TRUE(res_true(res, "reset"), "Reset Zoom restores");
	ASSERT_TRUE(res_true(res, "escape"), "Escape restores");
	ASSERT_EQ(res_int(res, "matches"), want_frames, "frames highlighted");
	ASSERT_STREQ(res_str(res, "matched_text"), want_text, "matched share");
	ASSERT_TRUE(res_true(res, "cleared"), "Clear search");
	ASSERT_TRUE(res_true(res, "shortcut"), "\"/\" and Ctrl-F search");
	ASSERT_STRCONTAINS(res_str(res, "details"), click, "details line: name");
	ASSERT_STRCONTAINS(res_str(res, "details"), "%", "details line: share");
	ASSERT_EQ(access(png, R_OK), 0, "screenshot written");
cleanup:
	json_decref(res);
	free(svg);
}

/* With scripts off: the same frames and labels, no dead control. */
static void check_static(const struct profile *p)
{
	json_t *res = NULL;
	const char *path;
	size_t len;
	char *svg;

	svg = render(p, &len);
	if (!svg)
		return;
	path = save("static", svg, len);
	if (path && ASSERT_OK(browser_render_static(path, "/tmp/memleakbpf-flamegraph-static.png", &res),
			      "browser_render_static")) {
		ASSERT_TRUE(res_true(res, "loaded"), "loaded");
		no_errors(res);
		ASSERT_EQ(res_int(res, "frames"), count_frames(svg), "frames");
		ASSERT_GE(res_int(res, "labels"), 8, "frames with a label");
		ASSERT_EQ(res_int(res, "controls"), 0, "no control without the script");
	}
	json_decref(res);
	free(svg);
}

/* Loads as SVG, without an error from the script. */
static void check_loads(const struct profile *p, const char *name)
{
	json_t *res = NULL;
	const char *path;
	size_t len;
	char *svg;

	svg = render(p, &len);
	path = svg ? save(name, svg, len) : NULL;
	if (path && ASSERT_OK(browser_check_svg(path, NULL, NULL, NULL, &res), "browser_check_svg")) {
		ASSERT_TRUE(res_true(res, "loaded"), "loaded: <svg>, no parsererror");
		no_errors(res);
		ASSERT_EQ(res_int(res, "frames"), count_frames(svg), "frames");
	}
	json_decref(res);
	free(svg);
}

void test_flamegraph_browser(void)
{
	struct profile p = { .metric = METRIC_OUTSTANDING, .diff = true };

	/* node and Chromium are dependencies: missing, the test fails */
	if (!ASSERT_TRUE(browser_available(), "node and /usr/bin/chromium (tools/install-deps.sh)"))
		return;
	if (test__start_subtest("fixture") && fixture_profile(&p, METRIC_ALLOC_BYTES)) {
		check_in_browser(&p, "browser", "main", "leak|Allocate", "/tmp/memleakbpf-flamegraph.png");
		profile__release(&p);
	}
	if (test__start_subtest("without script") && fixture_profile(&p, METRIC_ALLOC_BYTES)) {
		check_static(&p);
		profile__release(&p);
	}
	if (test__start_subtest("diff")) {
		p = (struct profile){ .metric = METRIC_OUTSTANDING, .diff = true };
		snprintf(p.title, sizeof(p.title), "memleakbpf diff: growth from a to b");
		ADD(&p, -1, 300000, 10000, "app", "main", "grows", "deeper");
		ADD(&p, -1, 110000, 100000, "app", "main", "grows_a_little");
		ADD(&p, -1, 10000, 100000, "app", "main", "shrinks");
		ADD(&p, -1, 50000, 50000, "app", "steady");
		check_in_browser(&p, "browser-diff", "shrinks", "grow", "/tmp/memleakbpf-flamegraph-diff.png");
		profile__release(&p);
	}
	if (test__start_subtest("large") && ASSERT_OK(build_large(&p), "add")) {
		check_in_browser(&p, "browser-large", "proc (1)", "module_(1|2)$",
				 "/tmp/memleakbpf-flamegraph-large.png");
		profile__release(&p);
	}
	if (test__start_subtest("bad bytes") && ASSERT_OK(build_bad_bytes(&p), "add")) {
		check_loads(&p, "browser-bytes");
		profile__release(&p);
	}
	if (test__start_subtest("empty")) {
		p = (struct profile){ .metric = METRIC_OUTSTANDING };
		check_loads(&p, "browser-empty");
	}
}
