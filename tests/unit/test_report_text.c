// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_report_text.c: the report for people, against a golden
 * file and by targeted checks.
 */
#include <stdlib.h>
#include <time.h>
#include "test.h"
#include "report/report.h"
#include "golden.h"
#include "report_fixture.h"

#define GOLDEN_TEXT "tests/golden/report.txt"

/* The report as text, in UTC so that the clock in the header is stable.
 * The caller frees the result.
 */
static char *render(const struct report *r, size_t *len)
{
	const char *tz = getenv("TZ");
	char *saved = tz ? strdup(tz) : NULL, *buf = NULL;
	FILE *f;

	setenv("TZ", "UTC", 1);
	tzset();
	f = open_memstream(&buf, len);
	if (f) {
		report__print_text(r, f);
		fclose(f);
	}
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	if (!ASSERT_OK_PTR(buf, "render"))
		return NULL;
	return buf;
}

/* The first line of text that contains needle, copied into line; or NULL. */
static const char *line_with(const char *text, const char *needle, char *line, size_t len)
{
	const char *p = strstr(text, needle), *b, *e;

	if (!p)
		return NULL;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	snprintf(line, len, "%.*s", (int)(e - b), b);
	return line;
}

static void test_golden(void)
{
	struct report r;
	size_t len;
	char *out;

	report_fixture(&r);
	out = render(&r, &len);
	if (out)
		golden_check(GOLDEN_TEXT, out, len);
	free(out);
}

static void test_header(void)
{
	struct report r;
	size_t len;
	char *out;

	report_fixture(&r);
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_TRUE(!strncmp(out, "14:02:11  report 3, 30.0s traced\n", 33), "header");
	ASSERT_TRUE(!strstr(out, "final"), "not final");
	ASSERT_EQ(out[len - 1], '\n', "ends with a newline");
	ASSERT_TRUE(len >= 2 && out[len - 2] == '\n', "blank line after the report");
	free(out);

	r.final = true;
	r.seq = 7;
	r.elapsed_s = 61.26;
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_TRUE(!strncmp(out, "14:02:11  final report 7, 61.3s traced\n", 39), "final header");
	free(out);
}

static void test_drops(void)
{
	struct report r;
	char line[512];
	size_t len;
	char *out;

	report_fixture(&r);
	out = render(&r, &len);
	if (!out)
		return;
	if (ASSERT_OK_PTR(line_with(out, "WARNING", line, sizeof(line)), "warning with drops")) {
		ASSERT_STRCONTAINS(line, "1,234 events dropped", "total");
		ASSERT_STRCONTAINS(line, "1,000 stack table full", "by reason");
		ASSERT_STRCONTAINS(line, "234 event buffer full", "by reason");
		ASSERT_TRUE(!strstr(line, "block table"), "reasons without drops left out");
	}
	/* right after the header, before the tables */
	ASSERT_TRUE(!strncmp(strchr(out, '\n') + 1, "  WARNING:", 10), "warning second line");
	free(out);

	memset(r.drops, 0, sizeof(r.drops));
	r.dropped = 0;
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_TRUE(!strstr(out, "WARNING"), "no warning without drops");
	ASSERT_TRUE(!strstr(out, "dropped"), "no drop count without drops");
	free(out);
}

/* The CFI tables: released ones and the room they gave, when there are. */
static void test_unwind_tables(void)
{
	struct report r;
	char line[512];
	size_t len;
	char *out;

	report_fixture(&r);
	r.unwind.known = true;
	r.unwind.mode = ML_UNWIND_AUTO;
	r.unwind.tables = 4;
	r.unwind.bytes = 778240;	/* 760 KiB */
	r.unwind.budget = 1310720;
	r.unwind.files_idle = 1;
	r.unwind.files_released = 3;
	r.unwind.bytes_reused = 1155072;	/* 1128 KiB */
	r.unwind.counts[ML_UW_WALKS] = 52;
	r.unwind.counts[ML_UW_END_COMPLETE] = 52;
	out = render(&r, &len);
	if (!out)
		return;
	if (ASSERT_OK_PTR(line_with(out, "stacks: CFI", line, sizeof(line)), "the tables' line"))
		ASSERT_STREQ(line, "  stacks: CFI tables (--unwind auto) of 4 files, 760.0 KiB of 1.2 MiB, "
			     "3 released (1.1 MiB reused); 52 walks, 52 complete", "line");
	free(out);

	r.unwind.files_released = 0;
	r.unwind.bytes_reused = 0;
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_TRUE(!strstr(out, "released"), "nothing released, nothing said");
	free(out);
}

static void test_procs(void)
{
	struct report r;
	char line[512];
	size_t len;
	char *out;

	report_fixture(&r);
	out = render(&r, &len);
	if (!out)
		return;
	if (ASSERT_OK_PTR(line_with(out, "5150", line, sizeof(line)), "exited process")) {
		ASSERT_STRCONTAINS(line, "leaky", "comm");
		ASSERT_STRCONTAINS(line, "(exited)", "marked exited");
		ASSERT_STRCONTAINS(line, "40.0 KiB -4.0K", "native and its growth");
	}
	if (ASSERT_OK_PTR(line_with(out, "4242 node", line, sizeof(line)), "live process")) {
		ASSERT_TRUE(!strstr(line, "(exited)"), "live is not exited");
		ASSERT_STRCONTAINS(line, "off-heap leak? +111.6M/min over 3 full collections", "trend");
		ASSERT_STRCONTAINS(line, "190.2 MiB +19.6M", "buffer column");
	}
	if (ASSERT_OK_PTR(line_with(out, "evidence:", line, sizeof(line)), "evidence"))
		ASSERT_STREQ(line, "          evidence: off-heap (Buffer) after full collections: 38.1 \u2192 "
			     "75.3 \u2192 112.5 MiB over 3 collections in 40s (+111.6M/min); native heap grows too",
			     "evidence, arrows as UTF-8");
	if (ASSERT_OK_PTR(line_with(out, "V8 collections", line, sizeof(line)), "collections"))
		ASSERT_STREQ(line, "          V8 collections: 12 scavenges, 2 full in the interval (41, 5 since "
			     "start); after the last full, at 50s: V8 heap 30.0 MiB live (40.0 MiB committed), "
			     "Buffers 112.5 MiB, native heap 202.2 MiB", "what survived the last full collection");
	if (ASSERT_OK_PTR(line_with(out, "no full collection in", line, sizeof(line)), "the wait")) {
		ASSERT_STREQ(line, "          no full collection in 75s while off-heap (Buffer) grew +20.0M:",
			     "how long, what grew");
		ASSERT_STRCONTAINS(out, "kill -USR1 4242 opens node's inspector", "how, without a restart");
		ASSERT_STRCONTAINS(out, "--heapsnapshot-signal=SIGUSR2, kill -USR2 4242 writes a heap snapshot",
				   "or by a snapshot");
	}
	report_fixture(&r);
	r.procs[0].gc_wait.v8_heap_growth = 17 * 1024 * 1024;
	free(out);
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_STRCONTAINS(out, "while off-heap (Buffer) grew +20.0M and the V8 heap +17.0M:\n", "both grew");
	r.procs[0].gc_wait.seconds = 0;
	free(out);
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_FALSE(strstr(out, "no full collection in"), "not waiting: nothing said");
	if (ASSERT_OK_PTR(line_with(out, "PID", line, sizeof(line)), "table header")) {
		ASSERT_STRCONTAINS(line, "COMM", "comm column");
		ASSERT_STRCONTAINS(line, "native heap", "native column");
		ASSERT_STRCONTAINS(line, "off-heap (Buffer)", "buffer column, one process has it");
		ASSERT_TRUE(!strstr(line, "V8 heap"), "no V8 column, no process has it");
		ASSERT_STRCONTAINS(line, "TREND", "trend column");
	}
	free(out);
}

static void test_stacks(void)
{
	struct report r;
	char line[512];
	size_t len;
	char *out;

	report_fixture(&r);
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_STRCONTAINS(out, "  Top 10 stacks by growth (allocations older than 30s):\n",
			   "stacks heading");
	if (ASSERT_OK_PTR(line_with(out, "#1 ", line, sizeof(line)), "stack 1"))
		ASSERT_STREQ(line, "  #1    +19.6M  190.2 MiB in 2,918 allocs, oldest 1m01s   "
			     "pid 4242 node  [buffer]", "stack 1 line");
	if (ASSERT_OK_PTR(line_with(out, "#2 ", line, sizeof(line)), "stack 2")) {
		ASSERT_STRCONTAINS(line, "-4.0K  40.0 KiB in 10 allocs   pid 5150 leaky  [native]",
				   "stack 2: no age when unknown");
	}
	ASSERT_STRCONTAINS(out, "in 1 alloc, oldest 0s", "singular alloc");
	ASSERT_STRCONTAINS(out, "        [no stack]\n", "stack without frames");
	ASSERT_STRCONTAINS(out, "  ... 2 more stacks\n", "cut stacks counted");
	ASSERT_STRCONTAINS(out, "        [unknown] /usr/bin/node+0xf00000\n", "no symbol");
	ASSERT_STRCONTAINS(out, "        [unknown] 0xdeadbeef\n", "nothing known");
	ASSERT_STRCONTAINS(out, "        [jit] 0x3e8a1f2c9000\n", "anonymous JIT");
	ASSERT_STRCONTAINS(out, "        LazyCompile:*leakBuffer /app/leak.js:2 [jit]\n",
			   "named JIT");
	ASSERT_STRCONTAINS(out, "        main /opt/leaky/src/leaky.c:77\n", "file:line");
	ASSERT_STRCONTAINS(out, "heap.cc:3010 (inlined)\n", "inlined");
	/* leaf first */
	ASSERT_TRUE(strstr(out, "        malloc\n") < strstr(out, "        main\n"), "leaf first");
	free(out);

	r.nstacks = 0;
	r.nstacks_total = 0;
	r.min_age_ns = 0;
	r.sort = SORT_AGE;
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_STRCONTAINS(out, "  Top 10 stacks by age: none outstanding\n", "no stacks");
	free(out);
}

/* A traced process names itself (prctl) and writes its perf map: no name
 * may break a line of the report or reach the terminal as an escape.
 */
static void test_hostile(void)
{
	struct report r, clean;
	size_t len, clean_len, i;
	char *out, *ref;
	int lines = 0, clean_lines = 0;

	report_fixture(&clean);
	ref = render(&clean, &clean_len);
	report_fixture(&r);
	r.procs[1].comm = "\x1b[2J\nfake";
	r.stacks[1].comm = r.procs[1].comm;
	r.stacks[0].frames[3].module = "/tmp/a\nb\x7f";
	r.stacks[0].frames[4].function = "jit\r\x1b]0;title\x07";
	out = render(&r, &len);
	if (!out || !ref)
		goto out;
	for (i = 0; i < len; i++) {
		unsigned char c = out[i];

		lines += c == '\n';
		if (c < 0x20 && c != '\n')
			TEST_FAIL_("control character 0x%02x at offset %zu", c, i);
	}
	for (i = 0; i < clean_len; i++)
		clean_lines += ref[i] == '\n';
	ASSERT_EQ(lines, clean_lines, "no line added");
	ASSERT_TRUE(!strchr(out, 0x7f), "no DEL");
	ASSERT_STRCONTAINS(out, "  5150 \\x1b[2J\\x0afake 40.0 KiB", "comm escaped, in its column");
	ASSERT_STRCONTAINS(out, "pid 5150 \\x1b[2J\\x0afake  [native]", "comm escaped in stacks");
	ASSERT_STRCONTAINS(out, "        [unknown] /tmp/a\\x0ab\\x7f+0xf00000\n", "module escaped");
	ASSERT_STRCONTAINS(out, "        jit\\x0d\\x1b]0;title\\x07 [jit]\n", "function escaped");
	ASSERT_STRCONTAINS(out, "char const*);\\x0arm -rf", "newline in a function name");
	/* 15 bytes, all control characters: escaped whole */
	r.procs[1].comm = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f";
	free(out);
	out = render(&r, &len);
	if (out)
		ASSERT_STRCONTAINS(out, "\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09"
				   "\\x0a\\x0b\\x0c\\x0d\\x0e\\x0f ", "long comm escaped whole");
out:
	free(out);
	free(ref);
}

/* With more processes than --top, the fastest growing are shown. */
static void test_procs_cut(void)
{
	struct report r;
	size_t len;
	char *out;

	report_fixture(&r);
	r.top = 1;
	out = render(&r, &len);
	if (!out)
		return;
	ASSERT_OK_PTR(strstr(out, "   4242 node"), "the growing process is shown");
	ASSERT_TRUE(!strstr(out, "   5150 leaky"), "the shrinking one is cut");
	ASSERT_STRCONTAINS(out, "... 1 more processes (--json lists them all)", "says so");
	free(out);
}

void test_report_text(void)
{
	if (test__start_subtest("golden"))
		test_golden();
	if (test__start_subtest("header"))
		test_header();
	if (test__start_subtest("unwind tables released"))
		test_unwind_tables();
	if (test__start_subtest("drops warning"))
		test_drops();
	if (test__start_subtest("process table"))
		test_procs();
	if (test__start_subtest("process table cut at --top"))
		test_procs_cut();
	if (test__start_subtest("stacks"))
		test_stacks();
	if (test__start_subtest("hostile names"))
		test_hostile();
}

/* --sample-bytes: the header says so, estimates carry a "~", exact
 * figures (mappings) none.
 */
void test_report_text_sampled(void)
{
	struct report r;
	char *out, line[512];
	size_t len;

	report_fixture(&r);
	r.sample_bytes = 512 * 1024;
	r.procs[1].cat[ML_CAT_NATIVE].estimated = true;
	r.stacks[1].estimated = true;
	out = render(&r, &len);
	if (!ASSERT_OK_PTR(out, "render"))
		return;
	ASSERT_STRCONTAINS(out, "\n  sampled: one allocation per 512.0 KiB allocated on average "
			   "(--sample-bytes); heap figures marked ~ are estimates\n", "header");
	if (ASSERT_OK_PTR(line_with(out, " leaky ", line, sizeof(line)), "process line"))
		ASSERT_STRCONTAINS(line, "~40.0 KiB ~-4.0K     0 B -1.0M", "native estimated, mmap exact");
	if (ASSERT_OK_PTR(line_with(out, "#2 ", line, sizeof(line)), "stack line"))
		ASSERT_STRCONTAINS(line, "#2    ~-4.0K  ~40.0 KiB in ~10 allocs   pid 5150", "stack estimated");
	if (ASSERT_OK_PTR(line_with(out, "#3 ", line, sizeof(line)), "mapping line"))
		ASSERT_FALSE(strchr(line, '~'), "a mapping is exact");
	free(out);
	report_fixture(&r);
	out = render(&r, &len);
	if (ASSERT_OK_PTR(out, "render exact")) {
		ASSERT_FALSE(strchr(out, '~'), "exact: no ~");
		ASSERT_FALSE(strstr(out, "sampled"), "exact: no sampling line");
	}
	free(out);
}

/* --cgroup: each process row is followed by its cgroup, and the container
 * or unit its path names; without --cgroup, no such line.
 */
void test_report_text_cgroups(void)
{
	struct report r;
	char *out;
	size_t len;

	report_fixture(&r);
	out = render(&r, &len);
	if (ASSERT_OK_PTR(out, "render"))
		ASSERT_FALSE(strstr(out, "cgroup ") != NULL, "no cgroup line without --cgroup");
	free(out);
	r.show_cgroups = true;
	out = render(&r, &len);
	if (!ASSERT_OK_PTR(out, "render with --cgroup"))
		return;
	ASSERT_STRCONTAINS(out, "\n          cgroup " FIXTURE_NODE_CGROUP "  (container 4fa1b2c3d4e5)\n",
			   "node: its container");
	ASSERT_STRCONTAINS(out, "\n          cgroup /system.slice/leaky.service  (unit leaky.service)\n",
			   "leaky: its unit");
	free(out);
}
