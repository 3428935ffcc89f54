// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_exports.c: user/export/exports.c without BPF: the fixture
 * report written as folded, flame graph and pprof files into a temporary
 * directory (file names, --every's series, content against the golden files
 * and the renderers), exports__check()'s refusals with their exact
 * messages, and the names of the series.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "test.h"
#include "golden.h"
#include "report_fixture.h"
#include "tmpdir.h"
#include "export/exports.h"
#include "export/flamegraph.h"
#include "export/pprof.h"
#include "export/profile.h"
#include "util/log.h"

/* The fixture's wall time, 2026-11-22T14:02:11.250Z, as the series spell it */
#define STAMP "20261122T140211.250Z"

/* One run's exports in a temporary directory. */
struct run {
	char dir[64];
	char folded[PATH_MAX], svg[PATH_MAX], pb[PATH_MAX];
	struct export_config cfg;	/* what exports are given: only configure() fills it */
	char err[8192];		/* what exports said on stderr */
};

static void configure(struct run *t, const char *folded, const char *svg, const char *pb,
		      enum metric m, bool every)
{
	memset(&t->cfg, 0, sizeof(t->cfg));
	t->cfg.folded_path = folded;
	t->cfg.flamegraph_path = svg;
	t->cfg.pprof_path = pb;
	t->cfg.metric = m;
	t->cfg.every = every;
}

/* dir/leak.folded, dir/leak.svg, dir/leak.pb.gz: the names a user gives. */
static bool run_start(struct run *t)
{
	memset(t, 0, sizeof(*t));
	if (!tmpdir_make(t->dir, sizeof(t->dir), "exports"))
		return false;
	snprintf(t->folded, sizeof(t->folded), "%s/leak.folded", t->dir);
	snprintf(t->svg, sizeof(t->svg), "%s/leak.svg", t->dir);
	snprintf(t->pb, sizeof(t->pb), "%s/leak.pb.gz", t->dir);
	return true;
}

/* stderr goes to a temporary file until capture_end(). */
static int capture_begin(FILE **tmp)
{
	int saved;

	fflush(stderr);
	*tmp = tmpfile();
	if (!ASSERT_OK_PTR(*tmp, "tmpfile"))
		return -1;
	saved = dup(STDERR_FILENO);
	if (!ASSERT_GE(saved, 0, "dup") || !ASSERT_GE(dup2(fileno(*tmp), STDERR_FILENO), 0, "dup2")) {
		if (saved >= 0)
			close(saved);
		fclose(*tmp);
		return -1;
	}
	return saved;
}

static void capture_end(int saved, FILE *tmp, char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static int check(struct run *t)
{
	FILE *tmp;
	int saved = capture_begin(&tmp), err;

	err = exports__check(&t->cfg);
	if (saved >= 0)
		capture_end(saved, tmp, t->err, sizeof(t->err));
	return err;
}

/* exports__write(), what it said appended to t->err. */
static int write_report(struct run *t, struct exports *e, const struct report *r)
{
	size_t used = strlen(t->err);
	FILE *tmp;
	int saved = capture_begin(&tmp), err;

	log_verbosity = 0;	/* "wrote PATH" is a note */
	err = exports__write(e, r);
	if (saved >= 0)
		capture_end(saved, tmp, t->err + used, sizeof(t->err) - used);
	return err;
}

/* exports__new() and one exports__write() of r. */
static int write_once(struct run *t, const struct report *r)
{
	struct exports *e = exports__new(&t->cfg);
	int err;

	if (!ASSERT_OK_PTR(e, "exports__new"))
		return -ENOMEM;
	err = write_report(t, e, r);
	exports__free(e);
	return err;
}

/* The file holds exactly want[0..len). */
static void same_bytes(const char *path, const char *want, size_t len)
{
	size_t got_len = 0;
	char *got = golden_read(path, &got_len);

	if (ASSERT_OK_PTR(got, path) && ASSERT_EQ(got_len, len, path))
		ASSERT_TRUE(memcmp(got, want, len) == 0, path);
	free(got);
}

/* The file is byte for byte the golden file. */
static void same_as_golden(const char *path, const char *golden)
{
	size_t len = 0;
	char *got = golden_read(path, &len);

	if (ASSERT_OK_PTR(got, path))
		ASSERT_TRUE(golden_check(golden, got, len), path);
	free(got);
}

/* The flame graph the renderer draws of r under metric m, and r's pprof
 * profile: what the files must hold (no golden files for these two).
 */
static char *render_svg(const struct report *r, enum metric m, size_t *len)
{
	struct profile p;
	char *buf = NULL;
	FILE *f;

	if (!ASSERT_OK(profile__from_report(&p, r, m), "from_report"))
		return NULL;
	f = open_memstream(&buf, len);
	if (ASSERT_OK_PTR(f, "open_memstream")) {
		ASSERT_OK(flamegraph__write(&p, f), "flamegraph__write");
		fclose(f);
	}
	profile__release(&p);
	return buf;
}

static char *render_pprof(const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	ASSERT_OK(pprof__write(r, f), "pprof__write");
	fclose(f);
	return buf;
}

/* path holds the flame graph of r (metric m), or its pprof profile. */
static void same_svg(const char *path, const struct report *r, enum metric m)
{
	size_t len = 0;
	char *want = render_svg(r, m, &len);

	if (want)
		same_bytes(path, want, len);
	free(want);
}

static void same_pprof(const char *path, const struct report *r)
{
	size_t len = 0;
	char *want = render_pprof(r, &len);

	if (want)
		same_bytes(path, want, len);
	free(want);
}

static void check_missing_dir(struct run *t)
{
	char path[PATH_MAX + 16], want[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/missing/leak.folded", t->dir);
	configure(t, path, NULL, NULL, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -ENOENT, "ret");
	snprintf(want, sizeof(want), "memleakbpf: cannot write --folded '%s': "
		 "No such file or directory\n", path);
	ASSERT_STREQ(t->err, want, "message");
}

static void check_dir_as_file(struct run *t)
{
	char want[PATH_MAX + 128];

	configure(t, NULL, t->dir, NULL, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -EISDIR, "ret");
	snprintf(want, sizeof(want), "memleakbpf: cannot write --flamegraph '%s': it is a directory\n",
		 t->dir);
	ASSERT_STREQ(t->err, want, "message");
}

/* Every path that cannot be written is said, the first error returned. */
static void check_each_said(struct run *t)
{
	char missing[PATH_MAX + 16], want[2 * PATH_MAX + 256];

	snprintf(missing, sizeof(missing), "%s/missing/leak.pb.gz", t->dir);
	configure(t, t->folded, t->dir, missing, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -EISDIR, "ret: the first");
	snprintf(want, sizeof(want),
		 "memleakbpf: cannot write --flamegraph '%s': it is a directory\n"
		 "memleakbpf: cannot write --pprof '%s': No such file or directory\n",
		 t->dir, missing);
	ASSERT_STREQ(t->err, want, "messages");
}

/* One file for two exports: the second would replace the first. */
static void check_same_file(struct run *t)
{
	char dotted[PATH_MAX + 16], sub[PATH_MAX], up[PATH_MAX + 16], want[2 * PATH_MAX + 256];

	configure(t, t->folded, NULL, t->folded, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -EINVAL, "one spelling: ret");
	snprintf(want, sizeof(want), "memleakbpf: conflicting options: --folded '%s' and "
		 "--pprof '%s' are the same file\n", t->folded, t->folded);
	ASSERT_STREQ(t->err, want, "one spelling: message");

	snprintf(dotted, sizeof(dotted), "%s/./leak.folded", t->dir);
	configure(t, t->folded, dotted, NULL, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -EINVAL, "dir/./x: ret");
	snprintf(want, sizeof(want), "memleakbpf: conflicting options: --folded '%s' and "
		 "--flamegraph '%s' are the same file\n", t->folded, dotted);
	ASSERT_STREQ(t->err, want, "dir/./x: message");

	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	snprintf(up, sizeof(up), "%s/sub/../leak.folded", t->dir);
	if (!ASSERT_OK(mkdir(sub, 0755), "mkdir"))
		return;
	configure(t, NULL, up, t->folded, METRIC_OUTSTANDING, false);
	ASSERT_EQ(check(t), -EINVAL, "dir/sub/../x: ret");
	snprintf(want, sizeof(want), "memleakbpf: conflicting options: --flamegraph '%s' and "
		 "--pprof '%s' are the same file\n", up, t->folded);
	ASSERT_STREQ(t->err, want, "dir/sub/../x: message");
}

/* The same name in two directories, and a symlink (the rename replaces
 * the link, not its target), are different files.
 */
static void check_different_files(struct run *t)
{
	char sub[PATH_MAX], other[PATH_MAX + 16], link[PATH_MAX + 16];

	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	snprintf(other, sizeof(other), "%s/sub/leak.folded", t->dir);
	snprintf(link, sizeof(link), "%s/link.folded", t->dir);
	if (!ASSERT_OK(mkdir(sub, 0755), "mkdir") || !ASSERT_OK(symlink(t->folded, link), "symlink"))
		return;
	configure(t, t->folded, other, link, METRIC_OUTSTANDING, false);
	ASSERT_OK(check(t), "ret");
	ASSERT_STREQ(t->err, "", "no message");
	ASSERT_STREQ(tmpdir_list(t->dir), "link.folded sub", "the check leaves nothing");
	ASSERT_STREQ(tmpdir_list(sub), "", "nor in sub");
}

static void check_nothing_asked(struct run *t)
{
	configure(t, NULL, NULL, NULL, METRIC_OUTSTANDING, true);
	ASSERT_FALSE(exports__wanted(&t->cfg), "wanted");
	ASSERT_OK(check(t), "ret");
	ASSERT_STREQ(t->err, "", "no message");
	configure(t, NULL, NULL, t->pb, METRIC_OUTSTANDING, false);
	ASSERT_TRUE(exports__wanted(&t->cfg), "--pprof alone is wanted");
}

void test_exports_check(void)
{
	static const struct {
		const char *name;
		void (*fn)(struct run *t);
	} cases[] = {
		{ "missing directory", check_missing_dir },
		{ "directory given as the file", check_dir_as_file },
		{ "each path said", check_each_said },
		{ "one file for two exports", check_same_file },
		{ "different files", check_different_files },
		{ "nothing asked", check_nothing_asked },
	};
	static struct run t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!test__start_subtest(cases[i].name) || !run_start(&t))
			continue;
		cases[i].fn(&t);
		tmpdir_remove(t.dir);
	}
}

/* The final report: the three files named on the command line, each said. */
static void write_final(struct run *t)
{
	char want[3 * PATH_MAX + 64];
	struct report r;

	report_fixture(&r);
	r.final = true;
	configure(t, t->folded, t->svg, t->pb, METRIC_OUTSTANDING, false);
	ASSERT_OK(write_once(t, &r), "ret");
	ASSERT_STREQ(tmpdir_list(t->dir), "leak.folded leak.pb.gz leak.svg", "files");
	snprintf(want, sizeof(want), "memleakbpf: wrote %s\nmemleakbpf: wrote %s\nmemleakbpf: wrote %s\n",
		 t->folded, t->svg, t->pb);
	ASSERT_STREQ(t->err, want, "messages");
	same_as_golden(t->folded, "tests/golden/report.folded");
	same_svg(t->svg, &r, METRIC_OUTSTANDING);
	same_pprof(t->pb, &r);
}

/* --metric reaches the folded file and the flame graph, not pprof (which
 * holds every sample type).
 */
static void write_metric(struct run *t, enum metric m, const char *golden)
{
	struct report r;

	report_fixture(&r);
	r.final = true;
	configure(t, t->folded, t->svg, t->pb, m, false);
	ASSERT_OK(write_once(t, &r), "ret");
	same_as_golden(t->folded, golden);
	same_svg(t->svg, &r, m);
	same_pprof(t->pb, &r);
}

/* Without --every, a report before the final one writes nothing. */
static void write_not_final(struct run *t)
{
	struct report r;

	report_fixture(&r);
	configure(t, t->folded, t->svg, t->pb, METRIC_OUTSTANDING, false);
	ASSERT_OK(write_once(t, &r), "ret");
	ASSERT_STREQ(tmpdir_list(t->dir), "", "no files");
	ASSERT_STREQ(t->err, "", "no messages");
}

/* An existing file is replaced whole, with no temporary file left. */
static void write_replaces(struct run *t)
{
	struct report r;
	FILE *f = fopen(t->folded, "w");

	if (!ASSERT_OK_PTR(f, "old file"))
		return;
	fputs("old;stack 1\nold;stack;longer than the new file, so that a short write would show "
	      "padding padding padding padding padding padding padding padding padding padding 2\n", f);
	fclose(f);
	report_fixture(&r);
	r.final = true;
	configure(t, t->folded, NULL, NULL, METRIC_OUTSTANDING, false);
	ASSERT_OK(write_once(t, &r), "ret");
	same_as_golden(t->folded, "tests/golden/report.folded");
	ASSERT_STREQ(tmpdir_list(t->dir), "leak.folded", "no temporary file");
}

/* A file that cannot be written is said; the others are still written and
 * the first error is returned.
 */
static void write_failure(struct run *t)
{
	char gone[PATH_MAX + 16], want[3 * PATH_MAX + 256];
	struct report r;

	snprintf(gone, sizeof(gone), "%s/gone/leak.folded", t->dir);
	/* the flame graph's name is a directory by the time the run ends */
	if (!ASSERT_OK(mkdir(t->svg, 0755), "mkdir"))
		return;
	report_fixture(&r);
	r.final = true;
	configure(t, gone, t->svg, t->pb, METRIC_OUTSTANDING, false);
	ASSERT_EQ(write_once(t, &r), -ENOENT, "ret: the first error");
	snprintf(want, sizeof(want),
		 "memleakbpf: cannot write folded '%s': No such file or directory\n"
		 "memleakbpf: cannot write flamegraph '%s': Is a directory\n"
		 "memleakbpf: wrote %s\n", gone, t->svg, t->pb);
	ASSERT_STREQ(t->err, want, "messages");
	ASSERT_STREQ(tmpdir_list(t->dir), "leak.pb.gz leak.svg", "pprof written, nothing else");
	ASSERT_STREQ(tmpdir_list(t->svg), "", "nothing written into the directory");
	same_pprof(t->pb, &r);
}

/* --every: each report writes NAME-YYYYMMDDTHHMMSS.mmmZ.EXT from its wall
 * time; a second report in the same millisecond adds "-SEQ"; the final
 * report writes its series and the files named on the command line.
 */
static void write_every(struct run *t)
{
	char path[PATH_MAX + 64], want[4 * PATH_MAX + 64];
	struct exports *e;
	struct report r;

	report_fixture(&r);
	configure(t, t->folded, t->svg, t->pb, METRIC_OUTSTANDING, true);
	e = exports__new(&t->cfg);
	if (!ASSERT_OK_PTR(e, "exports__new"))
		return;
	if (!ASSERT_OK(write_report(t, e, &r), "first report"))
		goto out;
	ASSERT_STREQ(tmpdir_list(t->dir),
		     "leak-" STAMP ".folded leak-" STAMP ".pb.gz leak-" STAMP ".svg",
		     "one series, named after the report's time");
	ASSERT_STREQ(t->err, "", "series are not said");
	snprintf(path, sizeof(path), "%s/leak-" STAMP ".folded", t->dir);
	same_as_golden(path, "tests/golden/report.folded");
	snprintf(path, sizeof(path), "%s/leak-" STAMP ".svg", t->dir);
	same_svg(path, &r, METRIC_OUTSTANDING);
	snprintf(path, sizeof(path), "%s/leak-" STAMP ".pb.gz", t->dir);
	same_pprof(path, &r);

	/* within the same millisecond: the report's seq (3) tells them apart */
	if (!ASSERT_OK(write_report(t, e, &r), "second report"))
		goto out;
	ASSERT_STREQ(tmpdir_list(t->dir),
		     "leak-" STAMP "-3.folded leak-" STAMP "-3.pb.gz leak-" STAMP "-3.svg "
		     "leak-" STAMP ".folded leak-" STAMP ".pb.gz leak-" STAMP ".svg",
		     "a second series, -SEQ after the time");

	/* 1.5 s later, final */
	r.seq = 4;
	r.wall_ns += 1500000000;
	r.final = true;
	if (!ASSERT_OK(write_report(t, e, &r), "final report"))
		goto out;
	ASSERT_STREQ(tmpdir_list(t->dir),
		     "leak-" STAMP "-3.folded leak-" STAMP "-3.pb.gz leak-" STAMP "-3.svg "
		     "leak-" STAMP ".folded leak-" STAMP ".pb.gz leak-" STAMP ".svg "
		     "leak-20261122T140212.750Z.folded leak-20261122T140212.750Z.pb.gz "
		     "leak-20261122T140212.750Z.svg "
		     "leak.folded leak.pb.gz leak.svg",
		     "the final series and the named files");
	snprintf(want, sizeof(want), "memleakbpf: wrote %s\nmemleakbpf: wrote %s\nmemleakbpf: wrote %s\n",
		 t->folded, t->svg, t->pb);
	ASSERT_STREQ(t->err, want, "only the named files are said");
	snprintf(path, sizeof(path), "%s/leak-20261122T140212.750Z.pb.gz", t->dir);
	same_pprof(path, &r);
	same_pprof(t->pb, &r);
	same_as_golden(t->folded, "tests/golden/report.folded");
out:
	exports__free(e);
}

void test_exports_write(void)
{
	static struct run t;

	if (test__start_subtest("final") && run_start(&t)) {
		write_final(&t);
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("metric allocs") && run_start(&t)) {
		write_metric(&t, METRIC_ALLOCS, "tests/golden/report-allocs.folded");
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("metric growth") && run_start(&t)) {
		write_metric(&t, METRIC_GROWTH, "tests/golden/report-growth.folded");
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("not final") && run_start(&t)) {
		write_not_final(&t);
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("replaces") && run_start(&t)) {
		write_replaces(&t);
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("failure") && run_start(&t)) {
		write_failure(&t);
		tmpdir_remove(t.dir);
	}
	if (test__start_subtest("every") && run_start(&t)) {
		write_every(&t);
		tmpdir_remove(t.dir);
	}
}

void test_exports_series_names(void)
{
	char buf[256];

	int64_t when = 1795356131LL * 1000000000 + 250999999;	/* 14:02:11.250999999 */

	exports_series_name("leak.svg", when, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "leak-20261122T140211.250Z.svg", "svg");
	exports_series_name("/tmp/out/leak.pb.gz", when, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "/tmp/out/leak-20261122T140211.250Z.pb.gz", "pb.gz kept whole");
	exports_series_name("./a.b/stacks", when, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "./a.b/stacks-20261122T140211.250Z", "no extension; a dot in the directory");
	exports_series_name(".folded", when - 250999999, 7, buf, sizeof(buf));
	ASSERT_STREQ(buf, ".folded-20261122T140211.000Z-7", "leading dot; same millisecond");
}

/* --sample-bytes: the flame graph's title and subtitle say the figures are
 * estimates, and from what sampling.
 */
void test_exports_sampled_titles(void)
{
	struct profile p;
	struct report r;

	report_fixture(&r);
	if (!ASSERT_OK(profile__from_report(&p, &r, METRIC_OUTSTANDING), "exact"))
		return;
	ASSERT_STREQ(p.title, "memleakbpf: outstanding bytes of node (4242), leaky (5150)", "exact title");
	ASSERT_FALSE(strstr(p.subtitle, "sampled"), "exact subtitle");
	profile__release(&p);
	r.sample_bytes = 512 * 1024;
	if (!ASSERT_OK(profile__from_report(&p, &r, METRIC_OUTSTANDING), "sampled"))
		return;
	ASSERT_STREQ(p.title, "memleakbpf: estimated outstanding bytes of node (4242), leaky (5150)",
		     "sampled title");
	ASSERT_STRCONTAINS(p.subtitle, "report 3, one allocation sampled per 512.0 KiB (--sample-bytes)",
			   "sampled subtitle");
	profile__release(&p);
}
