// SPDX-License-Identifier: GPL-2.0
/* End to end: --folded, --flamegraph and --pprof written by a real run of
 * the stepper workload, a series with --every and `memleakbpf diff` over
 * it, and the errors: a path that cannot be written is refused before
 * tracing begins; one that fails at the end still gets the final report.
 */
#include <dirent.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "browser.h"
#include "e2e.h"
#include "gopprof.h"
#include "unit/golden.h"

#define MIB (1 << 20)

/* A fresh directory for one test's files; removed by remove_dir(). */
static bool make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/memleakbpf-exports-XXXXXX");
	return ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp");
}

static void remove_dir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
}

/* The line of text that ends with tail (tail includes the '\n'), or NULL. */
static const char *line_ending(const char *text, const char *tail, char *line, size_t len)
{
	const char *p = text, *hit, *b;

	while (text && (hit = strstr(p, tail))) {
		if (hit == text || hit[-1] != '\n') {
			for (b = hit; b > text && b[-1] != '\n'; b--)
				;
			snprintf(line, len, "%.*s", (int)(hit + strlen(tail) - b), b);
			return line;
		}
		p = hit + 1;
	}
	return NULL;
}

static void check_folded(const char *path, pid_t pid)
{
	size_t len;
	char *text = golden_read(path, &len), line[1024], root[64];

	if (!ASSERT_OK_PTR(text, path))
		return;
	snprintf(root, sizeof(root), "stepper (%d);", (int)pid);
	if (ASSERT_OK_PTR(line_ending(text, ";main;steady_big;malloc 4194304\n", line, sizeof(line)),
			  "steady_big holds 4 MiB"))
		ASSERT_TRUE(!strncmp(line, root, strlen(root)), "the process is the root frame");
	ASSERT_OK_PTR(line_ending(text, ";main;rising;malloc 3145728\n", line, sizeof(line)),
		      "rising holds 3 MiB");
	free(text);
}

static void check_pprof(const char *path)
{
	char *out = NULL;

	if (!go_pprof(path, FLAGS("-traces", "-unit=B", "-sample_index=inuse_space"), &out)) {
		ASSERT_TRUE(gopprof_has_trace(out, 4194304, "steady_big", "main"), "inuse steady_big 4 MiB");
		/* two call sites in main (steps A and B): two stacks, one name in folded */
		ASSERT_TRUE(gopprof_has_trace(out, 1048576, "rising", "main"), "inuse rising 1 MiB (A)");
		ASSERT_TRUE(gopprof_has_trace(out, 2097152, "rising", "main"), "inuse rising 2 MiB (B)");
	}
	free(out);
	/* drop_frames: the functions that called malloc hold the bytes, first */
	if (!go_pprof(path, FLAGS("-top", "-nodefraction=0", "-unit=B", "-sample_index=alloc_space"), &out)) {
		ASSERT_STRCONTAINS(out, "flat flat% sum% cum cum%\n4194304B ", "steady_big ranked first");
		gopprof_top_is(out, "steady_big", 4194304, 4194304);
		gopprof_top_is(out, "rising", 3145728, 3145728);
		ASSERT_FALSE(strstr(out, " malloc\n"), "no line for malloc");
	}
	free(out);
	if (!go_pprof(path, FLAGS("-traces", "-sample_index=alloc_objects"), &out))
		ASSERT_TRUE(gopprof_has_trace(out, 4, "steady_big", "main"), "4 allocations in steady_big");
	free(out);
}

/* The SVG keeps the allocator frame: malloc on top of steady_big, 4 MiB. */
static void check_svg_frames(const char *path)
{
	char *text, want[96];
	const char *caller, *g;
	size_t len;
	int depth;

	text = golden_read(path, &len);
	if (!ASSERT_OK_PTR(text, path))
		return;
	caller = strstr(text, "><title>steady_big");
	for (g = caller; g && g > text && strncmp(g, "<g ", 3); g--)
		;
	if (ASSERT_OK_PTR(caller, "a steady_big frame") &&
	    ASSERT_EQ(sscanf(g, "<g class=\"f\" data-x=\"%*d\" data-v=\"4194304\" data-d=\"%d\"",
			     &depth), 1, "steady_big: 4 MiB")) {
		snprintf(want, sizeof(want), "data-v=\"4194304\" data-d=\"%d\"><title>malloc", depth + 1);
		ASSERT_STRCONTAINS(text, want, "malloc above steady_big");
	}
	free(text);
}

static void check_svg(const char *path)
{
	json_t *res = NULL;

	if (!ASSERT_OK(browser_check_svg(path, "rising", "steady", NULL, &res), "browser"))
		return;
	ASSERT_EQ(json_array_size(json_object_get(res, "errors")), 0, "no script errors");
	ASSERT_TRUE(json_is_true(json_object_get(res, "zoomed")), "click on rising zooms");
	ASSERT_GE(json_integer_value(json_object_get(res, "matches")), 1, "search finds steady_big");
	json_decref(res);
}

/* A run ended with Ctrl-C writes all three, with the workload's bytes. */
void test_e2e_exports_end(void)
{
	char dir[64], folded[128], svg[128], pb[128];
	const char *extra[] = { "--folded", folded, "--flamegraph", svg, "--pprof", pb, NULL };
	struct ml_tracer *t;
	json_t *final = NULL;
	pid_t pid;

	if (!test__require_root() || !make_dir(dir, sizeof(dir)))
		return;
	snprintf(folded, sizeof(folded), "%s/leak.folded", dir);
	snprintf(svg, sizeof(svg), "%s/leak.svg", dir);
	snprintf(pb, sizeof(pb), "%s/leak.pb.gz", dir);
	t = stepper_start(extra);
	if (!ASSERT_OK_PTR(t, "start"))
		goto out;
	if (stepper_step(t, 'A') && stepper_step(t, 'B')) {
		ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "exit code");
		pid = report_pid_of(final, "stepper");
		ASSERT_STRCONTAINS(ml_tracer_stderr(t), "wrote ", "says what it wrote");
		if (test__start_subtest("folded"))
			check_folded(folded, pid);
		if (test__start_subtest("pprof"))
			check_pprof(pb);
		if (test__start_subtest("flame graph")) {
			check_svg_frames(svg);
			check_svg(svg);
		}
		json_decref(final);
	}
	ml_tracer_free(t);
out:
	remove_dir(dir);
}

/* Names in dir that start with prefix and end with suffix, sorted. */
static int list_series(const char *dir, const char *prefix, const char *suffix, char names[][128], int max)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0, i, j;

	if (!dp)
		return 0;
	while ((d = readdir(dp)) && n < max) {
		size_t l = strlen(d->d_name);

		if (!strncmp(d->d_name, prefix, strlen(prefix)) && l > strlen(suffix) &&
		    !strcmp(d->d_name + l - strlen(suffix), suffix))
			snprintf(names[n++], 128, "%s/%s", dir, d->d_name);
	}
	closedir(dp);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char tmp[128];

			memcpy(tmp, names[j], 128);
			memcpy(names[j], names[j - 1], 128);
			memcpy(names[j - 1], tmp, 128);
		}
	return n;
}

/* diff of the first two of a series: rising grew by 2 MiB, steady_big not. */
static void check_diff(const char *base, const char *new, const char *dir)
{
	char folded[160], svg[160], *text, line[1024];
	const char *args[] = { "diff", base, new, "--folded", folded, "--flamegraph", svg, NULL };
	struct ml_run r;
	const char *first;
	size_t len;

	snprintf(folded, sizeof(folded), "%s/growth.folded", dir);
	snprintf(svg, sizeof(svg), "%s/growth.svg", dir);
	if (!ASSERT_OK(ml_run(&r, args), "run diff"))
		return;
	ASSERT_EQ(r.exit_code, 0, "exit code");
	first = strstr(r.out, " #1 ");
	if (ASSERT_OK_PTR(first, "a ranked summary"))
		ASSERT_TRUE(!strncmp(first, " #1      +2.0M  1.0 MiB -> 3.0 MiB  stepper\n       malloc\n"
				     "       rising\n", 62), "rising grew most, ranked first");
	text = golden_read(folded, &len);
	if (ASSERT_OK_PTR(text, "differential folded file")) {
		ASSERT_OK_PTR(line_ending(text, ";main;rising;malloc 1048576 3145728\n", line, sizeof(line)),
			      "rising: 1 MiB -> 3 MiB");
		ASSERT_TRUE(strstr(text, ";rising;malloc 1048576 3145728\n") < strstr(text, ";steady_big;"),
			    "ranked by growth");
		free(text);
	}
	text = golden_read(svg, &len);
	ASSERT_TRUE(text && strstr(text, "<svg") && strstr(text, "rising"), "differential SVG");
	free(text);
	ml_run_release(&r);
}

/* --every leaves one file per report; diff ranks the growing stack first. */
void test_e2e_exports_every(void)
{
	char dir[64], folded[128], pb[128], names[8][128];
	const char *extra[] = { "--every", "--folded", folded, "--pprof", pb, NULL };
	struct ml_tracer *t;
	int n;

	if (!test__require_root() || !make_dir(dir, sizeof(dir)))
		return;
	snprintf(folded, sizeof(folded), "%s/leak.folded", dir);
	snprintf(pb, sizeof(pb), "%s/leak.pb.gz", dir);
	t = stepper_start(extra);
	if (!ASSERT_OK_PTR(t, "start"))
		goto out;
	if (stepper_step(t, 'A') && ASSERT_OK_PTR(ml_tracer_report(t), "report 1") &&
	    stepper_step(t, 'B') && ASSERT_OK_PTR(ml_tracer_report(t), "report 2")) {
		ASSERT_EQ(ml_tracer_stop(t, SIGINT, NULL), 0, "exit code");
		n = list_series(dir, "leak-", ".pb.gz", names, 8);
		ASSERT_EQ(n, 3, "pprof series: two reports and the final one");
		ASSERT_EQ(list_series(dir, "leak-", ".folded", names + 3, 5), 3, "folded series");
		ASSERT_EQ(access(pb, R_OK), 0, "the final pprof under its own name");
		ASSERT_EQ(access(folded, R_OK), 0, "the final folded file under its own name");
		if (n >= 2 && test__start_subtest("diff of two pprof files"))
			check_diff(names[0], names[1], dir);
		if (n >= 2 && test__start_subtest("diff of two folded files"))
			check_diff(names[3], names[4], dir);
	}
	ml_tracer_free(t);
out:
	remove_dir(dir);
}

static void expect_refused(const char *const *args, const char *message)
{
	struct ml_run r;

	if (!ASSERT_OK(ml_run(&r, args), "run"))
		return;
	ASSERT_EQ(r.exit_code, 2, "exit code");
	ASSERT_STRCONTAINS(r.err, message, "message");
	ASSERT_FALSE(strstr(r.err, "tracing "), "refused before tracing");
	ml_run_release(&r);
}

void test_e2e_exports_errors(void)
{
	if (!test__require_root())
		return;
	if (test__start_subtest("directory missing")) {
		const char *args[] = { "--folded", "/nonexistent/dir/x.folded", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: cannot write --folded '/nonexistent/dir/x.folded': "
			       "No such file or directory\n");
	}
	if (test__start_subtest("a directory")) {
		const char *args[] = { "--flamegraph", "/tmp", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: cannot write --flamegraph '/tmp': it is a directory\n");
	}
	if (test__start_subtest("read-only place")) {
		const char *args[] = { "--pprof", "/proc/x.pb.gz", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: cannot write --pprof '/proc/x.pb.gz': ");
	}
	if (test__start_subtest("one file twice")) {
		const char *args[] = { "--folded", "/tmp/x", "--pprof", "/tmp/x", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: conflicting options: --folded and --pprof both write '/tmp/x'\n");
	}
	if (test__start_subtest("--every alone")) {
		const char *args[] = { "--every", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: --every needs an export (--folded, --flamegraph or --pprof)\n");
	}
	if (test__start_subtest("bad metric")) {
		const char *args[] = { "--metric", "bytes", "--", "/bin/true", NULL };

		expect_refused(args, "memleakbpf: invalid value for --metric: 'bytes' (expected outstanding, "
			       "growth, count, allocs or alloc-bytes)\n");
	}
}

/* The directory vanishes during the run: the final report is still printed. */
void test_e2e_exports_fail_at_end(void)
{
	char dir[64], sub[96], folded[128];
	const char *extra[] = { "--folded", folded, NULL };
	struct ml_tracer *t;
	json_t *final = NULL;

	if (!test__require_root() || !make_dir(dir, sizeof(dir)))
		return;
	snprintf(sub, sizeof(sub), "%s/gone", dir);
	snprintf(folded, sizeof(folded), "%s/leak.folded", sub);
	if (!ASSERT_OK(mkdir(sub, 0755), "mkdir"))
		goto out;
	t = stepper_start(extra);
	if (!ASSERT_OK_PTR(t, "start"))
		goto out;
	if (stepper_step(t, 'A') && ASSERT_OK(rmdir(sub), "rmdir")) {
		ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 1, "exit code: the export failed");
		ASSERT_OK_PTR(final, "the final report is printed");
		ASSERT_EQ(site_bytes(final, report_pid_of(final, "stepper"), "steady_big"), 4 * MIB,
			  "with its figures");
		ASSERT_STRCONTAINS(ml_tracer_stderr(t), "memleakbpf: cannot write folded '", "what failed");
		ASSERT_STRCONTAINS(ml_tracer_stderr(t), "/gone/leak.folded': No such file or directory\n",
				   "why");
		json_decref(final);
	}
	ml_tracer_free(t);
out:
	remove_dir(dir);
}

/* `memleakbpf diff` refuses what it cannot compare. */
void test_e2e_diff_errors(void)
{
	struct ml_run r;

	if (test__start_subtest("one profile")) {
		const char *args[] = { "diff", "a.folded", NULL };

		if (ASSERT_OK(ml_run(&r, args), "run")) {
			ASSERT_EQ(r.exit_code, 2, "exit code");
			ASSERT_STREQ(r.err, "memleakbpf: missing NEW profile (give BASE and NEW)\n"
				     "Try 'memleakbpf diff --help' for more information.\n", "err");
			ml_run_release(&r);
		}
	}
	if (test__start_subtest("missing file")) {
		const char *args[] = { "diff", "/nonexistent/a.folded", "/nonexistent/b.folded", NULL };

		if (ASSERT_OK(ml_run(&r, args), "run")) {
			ASSERT_EQ(r.exit_code, 1, "exit code");
			ASSERT_STREQ(r.err, "memleakbpf: cannot read '/nonexistent/a.folded': "
				     "No such file or directory\n", "err");
			ml_run_release(&r);
		}
	}
}
