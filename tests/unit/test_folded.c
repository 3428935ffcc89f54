// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_folded.c: the report as a profile, folded files written
 * (golden) and read back.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "export/folded.h"
#include "golden.h"
#include "export/profile.h"
#include "report_fixture.h"

static char *render_folded(const struct profile *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	err = folded__write(p, f);
	fclose(f);
	if (!ASSERT_OK(err, "folded write")) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The fixture under one metric, against tests/golden/<name>. */
static void check_golden(enum metric m, const char *golden)
{
	struct profile p;
	struct report r;
	size_t len;
	char *out;

	report_fixture(&r);
	if (!ASSERT_OK(profile__from_report(&p, &r, m), "from_report"))
		return;
	out = render_folded(&p, &len);
	if (out)
		ASSERT_TRUE(golden_check(golden, out, len), golden);
	free(out);
	profile__release(&p);
}

static void test_golden(void)
{
	if (test__start_subtest("outstanding"))
		check_golden(METRIC_OUTSTANDING, "tests/golden/report.folded");
	if (test__start_subtest("allocs"))
		check_golden(METRIC_ALLOCS, "tests/golden/report-allocs.folded");
	if (test__start_subtest("growth"))
		check_golden(METRIC_GROWTH, "tests/golden/report-growth.folded");
}

/* Targeted checks of what the golden files hold. */
static void test_lines(void)
{
	struct profile p;
	struct report r;
	size_t len;
	char *out;

	report_fixture(&r);
	if (!ASSERT_OK(profile__from_report(&p, &r, METRIC_OUTSTANDING), "from_report"))
		return;
	/* the freed stack holds nothing: not in the outstanding profile */
	ASSERT_EQ(p.n, 3, "samples");
	ASSERT_EQ(profile__total(&p, false), 199438336 + 40960 + 4096, "total");
	ASSERT_STRCONTAINS(p.title, "outstanding bytes of node (4242), leaky (5150)", "title");
	ASSERT_STRCONTAINS(p.subtitle, "2026-11-22 14:02:11 UTC, 30.0 s traced", "subtitle");
	out = render_folded(&p, &len);
	if (!out)
		goto cleanup;
	ASSERT_STRCONTAINS(out, "node (4242);[unknown];main;[jit];LazyCompile:*leakBuffer /app/leak.js:2;"
			   "node+0xf00000;v8::internal::Heap::AllocateExternalBackingStore(...);"
			   "node::NodeArrayBufferAllocator::Allocate(unsigned long);malloc 199438336\n",
			   "node stack, root first");
	/* the hostile name: its ';' and newline escaped, the line intact */
	ASSERT_STRCONTAINS(out, "leaky (5150);main;operator\"\"_evil<\\\\n>(char const*)\\x3b\\n"
			   "rm -rf / \"x\\\\\"y\";malloc 40960\n", "hostile name escaped");
	ASSERT_STRCONTAINS(out, "node (4242) 4096\n", "a stack without frames");
	ASSERT_EQ(len, strlen(out), "no NUL in the output");
	free(out);
cleanup:
	profile__release(&p);
}

/* What is written is read back with the same names and values. */
static void test_round_trip(void)
{
	char path[] = "/tmp/memleakbpf-folded-XXXXXX", err[256] = "";
	struct profile p, back = { 0 };
	struct report r;
	size_t i;
	FILE *f;
	int fd, k;

	report_fixture(&r);
	if (!ASSERT_OK(profile__from_report(&p, &r, METRIC_ALLOC_BYTES), "from_report"))
		return;
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		goto cleanup;
	ASSERT_OK(folded__write(&p, f), "write");
	fclose(f);
	if (!ASSERT_OK(folded__read(path, &back, err, sizeof(err)), err))
		goto cleanup;
	if (!ASSERT_EQ(back.n, p.n, "samples"))
		goto cleanup;
	ASSERT_EQ(profile__total(&back, false), 250000000 + 81920 + 4096 + 1048576, "total");
	for (i = 0; i < back.n; i++) {
		const struct psample *s = &back.v[i];

		if (strcmp(s->frames[0].name, "leaky (5150)"))
			continue;
		ASSERT_EQ(s->frames[0].kind, FRAME_PROCESS, "root kind");
		ASSERT_STREQ(s->frames[1].name, "main", "caller");
		if (s->nframes == 3) {	/* the freed stack */
			ASSERT_STREQ(s->frames[2].name, "malloc", "leaf");
			ASSERT_EQ(s->value, 1048576, "freed stack's bytes");
		} else if (ASSERT_EQ(s->nframes, 4, "hostile stack")) {
			ASSERT_STREQ(s->frames[2].name, FIXTURE_HOSTILE, "hostile name back exactly");
			ASSERT_EQ(s->value, 81920, "hostile stack's bytes");
		}
	}
	for (i = 0; i < back.n; i++)
		for (k = 0; k < back.v[i].nframes; k++)
			if (!strcmp(back.v[i].frames[k].name, "[jit]"))
				ASSERT_EQ(back.v[i].frames[k].kind, FRAME_JIT, "[jit] kind");
cleanup:
	unlink(path);
	profile__release(&back);
	profile__release(&p);
}

static void test_read_errors(void)
{
	char path[] = "/tmp/memleakbpf-folded-XXXXXX", err[256] = "";
	struct profile p;
	int fd;

	if (test__start_subtest("missing file")) {
		ASSERT_EQ(folded__read("/nonexistent/x.folded", &p, err, sizeof(err)), -ENOENT, "ret");
		ASSERT_STREQ(err, "cannot read '/nonexistent/x.folded': No such file or directory", "err");
	}
	if (test__start_subtest("no value")) {
		fd = mkstemp(path);
		if (!ASSERT_GE(fd, 0, "mkstemp"))
			return;
		ASSERT_EQ(write(fd, "# comment\n\na;b 12\na;b;c twelve\n", 31), 31, "write");
		close(fd);
		ASSERT_EQ(folded__read(path, &p, err, sizeof(err)), -EINVAL, "ret");
		ASSERT_STRCONTAINS(err, ":4: not a folded stack line (frames;... VALUE)", "err");
		unlink(path);
	}
	/* what would overflow the sum of two lines merged, or of a diff */
	if (test__start_subtest("values past 2^60")) {
		static const char text[] = "a;b 1152921504606846975\nc -1\nd 1\n";

		strcpy(path, "/tmp/memleakbpf-folded-XXXXXX");
		fd = mkstemp(path);
		if (!ASSERT_GE(fd, 0, "mkstemp"))
			return;
		ASSERT_EQ(write(fd, text, sizeof(text) - 1), sizeof(text) - 1, "write");
		close(fd);
		ASSERT_EQ(folded__read(path, &p, err, sizeof(err)), -ERANGE, "ret");
		ASSERT_STRCONTAINS(err, ":3: value out of range (the values of a file add up to "
				   "at most 2^60)", "err");
		ASSERT_EQ(p.n, 0, "nothing read");
		unlink(path);
	}
	if (test__start_subtest("two lines of INT64_MAX, one stack")) {
		static const char text[] = "a;b 9223372036854775807\na;b 9223372036854775807\n";

		strcpy(path, "/tmp/memleakbpf-folded-XXXXXX");
		fd = mkstemp(path);
		if (!ASSERT_GE(fd, 0, "mkstemp"))
			return;
		ASSERT_EQ(write(fd, text, sizeof(text) - 1), sizeof(text) - 1, "write");
		close(fd);
		ASSERT_EQ(folded__read(path, &p, err, sizeof(err)), -ERANGE, "ret");
		ASSERT_STRCONTAINS(err, ":1: value out of range", "err");
		unlink(path);
	}
}

/* A name ending in blanks: the last frame's would run into the value; a
 * root starting with '#': the line would be a comment.
 */
static void test_misread_names(void)
{
	char path[] = "/tmp/memleakbpf-folded-XXXXXX", err[256] = "", buf[32];
	const struct pframe frames[] = { { "#p (1)", FRAME_NATIVE }, { "new  ", FRAME_NATIVE } };
	struct profile p = { 0 }, back = { 0 };
	FILE *f;
	int fd;

	folded_escape("a b  ", buf, sizeof(buf));
	ASSERT_STREQ(buf, "a b \\x20", "the last blank escaped");
	folded_escape("#a#", buf, sizeof(buf));
	ASSERT_STREQ(buf, "\\x23a#", "the first '#' escaped");
	if (!ASSERT_OK(profile__add(&p, frames, 2, -1, 5, 0), "add"))
		return;
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		goto cleanup;
	ASSERT_OK(folded__write(&p, f), "write");
	fclose(f);
	if (ASSERT_OK(folded__read(path, &back, err, sizeof(err)), err) &&
	    ASSERT_EQ(back.n, 1, "samples") && ASSERT_EQ(back.v[0].nframes, 2, "frames")) {
		ASSERT_STREQ(back.v[0].frames[0].name, "#p (1)", "the root back exactly");
		ASSERT_STREQ(back.v[0].frames[1].name, "new  ", "the name back exactly");
		ASSERT_EQ(back.v[0].value, 5, "value");
	}
	unlink(path);
cleanup:
	profile__release(&back);
	profile__release(&p);
}

/* "\x00" in a file: a name cannot hold a NUL, so it is read as written,
 * and written back so that it reads the same (the folded fuzzer's find).
 */
static void test_nul_escape(void)
{
	char path[] = "/tmp/memleakbpf-folded-XXXXXX", err[256] = "";
	struct profile p = { 0 }, again = { 0 };
	FILE *f;
	int fd;

	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		return;
	fputs("\\x0000?\\x\377] 28\n", f);
	fclose(f);
	if (ASSERT_OK(folded__read(path, &p, err, sizeof(err)), err) &&
	    ASSERT_EQ(p.n, 1, "samples") && ASSERT_EQ(p.v[0].nframes, 1, "frames")) {
		ASSERT_STREQ(p.v[0].frames[0].name, "\\x0000?\\x\377]", "\\x00 kept as written");
		ASSERT_EQ(p.v[0].value, 28, "value");
		f = fopen(path, "w");
		if (ASSERT_OK_PTR(f, "rewrite")) {
			ASSERT_OK(folded__write(&p, f), "write");
			fclose(f);
			if (ASSERT_OK(folded__read(path, &again, err, sizeof(err)), err) &&
			    ASSERT_EQ(again.n, 1, "samples back"))
				ASSERT_STREQ(again.v[0].frames[0].name, p.v[0].frames[0].name,
					     "the same name back");
		}
	}
	unlink(path);
	profile__release(&again);
	profile__release(&p);
}

void test_folded(void)
{
	if (test__start_subtest("names that would be misread"))
		test_misread_names();
	if (test__start_subtest("\\x00 in a file"))
		test_nul_escape();
	if (test__start_subtest("lines"))
		test_lines();
	if (test__start_subtest("round trip"))
		test_round_trip();
	test_golden();
	test_read_errors();
}

/* tests/fuzz/fuzz_folded.c for 10 s (make fuzz runs it longer). */
void test_fuzz_folded_smoke(void)
{
	fuzz_smoke("folded");
}
