// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_pprof.c: the pprof export of the fixture report, read
 * back by pprof__read() and by Go's own `go tool pprof` (Debian's
 * golang-go, installed by tools/install-deps.sh: a missing go fails); a
 * profile made by hand as another tool would; the reader's errors.
 */
#include <errno.h>
#include <ftw.h>
#include <regex.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "gopprof.h"
#include "harness.h"
#include "export/pprof.h"
#include "export/profile.h"
#include "profile.pb-c.h"
#include "report_fixture.h"
#include "sym/symbolize.h"
#include "target/allocators.h"

#define TMP_TEMPLATE "/tmp/memleakbpf-pprof-XXXXXX"

/* The fixture report written to a new file, path[] of TMP_TEMPLATE ".pb.gz". */
static bool write_fixture(char *path)
{
	struct report r;
	FILE *f;
	int fd;

	strcpy(path, TMP_TEMPLATE ".pb.gz");
	fd = mkstemps(path, 6);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		return false;
	report_fixture(&r);
	if (!ASSERT_OK(pprof__write(&r, f), "pprof__write")) {
		fclose(f);
		unlink(path);
		return false;
	}
	return ASSERT_OK(fclose(f), "close");
}

/* Bytes to a new file, path[] of TMP_TEMPLATE. */
static bool write_bytes(char *path, const void *data, size_t len)
{
	FILE *f;
	int fd;

	strcpy(path, TMP_TEMPLATE);
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		return false;
	if (len)
		ASSERT_EQ(fwrite(data, 1, len, f), len, "write");
	return ASSERT_OK(fclose(f), "close");
}

/* got has the samples of want, in order: names, kinds, categories, values. */
static void check_same(const struct profile *got, const struct profile *want, const char *what)
{
	size_t i;
	int k;

	if (!ASSERT_EQ(got->n, want->n, what))
		return;
	for (i = 0; i < got->n; i++) {
		const struct psample *g = &got->v[i], *w = &want->v[i];

		ASSERT_EQ(g->value, w->value, what);
		ASSERT_EQ(g->category, w->category, what);
		if (!ASSERT_EQ(g->nframes, w->nframes, what))
			continue;
		for (k = 0; k < g->nframes; k++) {
			ASSERT_STREQ(g->frames[k].name, w->frames[k].name, what);
			ASSERT_EQ(g->frames[k].kind, w->frames[k].kind, what);
		}
	}
}

/* Read back under one sample type: what profile__from_report() makes of
 * the report under the matching metric, exactly.
 */
static void check_type(const char *path, const char *type, enum metric m)
{
	struct profile got, want;
	struct report r;
	char err[256] = "";

	report_fixture(&r);
	if (!ASSERT_OK(profile__from_report(&want, &r, m), "from_report"))
		return;
	if (ASSERT_OK(pprof__read(path, type, &got, err, sizeof(err)), err)) {
		ASSERT_EQ(got.metric, m, "metric");
		check_same(&got, &want, type ? type : "default type");
		ASSERT_STREQ(got.title, path, "title");
		profile__release(&got);
	}
	profile__release(&want);
}

/* The values and names spelled out, for the reader of this test. */
static void check_spelled_out(const char *path)
{
	static const char *const leaky[] = { "leaky (5150)", "main", FIXTURE_HOSTILE, "malloc" };
	struct profile p;
	char err[256] = "";
	int k;

	if (!ASSERT_OK(pprof__read(path, NULL, &p, err, sizeof(err)), err))
		return;
	ASSERT_STREQ(p.subtitle, "inuse_space (bytes), 2026-11-22 14:01:41 UTC, 30.0 s", "subtitle");
	if (!ASSERT_EQ(p.n, 3, "samples holding something"))
		goto cleanup;
	ASSERT_EQ(p.v[0].value, 199438336, "node's Buffers");
	ASSERT_EQ(p.v[0].category, ML_CAT_BUFFER, "category label");
	ASSERT_EQ(p.v[0].nframes, 9, "8 frames and the process");
	ASSERT_STREQ(p.v[0].frames[0].name, "node (4242)", "root from the labels");
	ASSERT_EQ(p.v[0].frames[0].kind, FRAME_PROCESS, "root kind");
	ASSERT_EQ(p.v[0].frames[6].kind, FRAME_INLINED, "inlined line");
	ASSERT_STREQ(p.v[0].frames[5].name, "node+0xf00000", "no symbol");
	ASSERT_EQ(p.v[0].frames[5].kind, FRAME_UNKNOWN, "no symbol kind");
	ASSERT_EQ(p.v[0].frames[3].kind, FRAME_JIT, "[jit] kind");
	ASSERT_EQ(p.v[1].value, 40960, "leaky");
	ASSERT_EQ(p.v[1].category, ML_CAT_NATIVE, "leaky category");
	if (ASSERT_EQ(p.v[1].nframes, 4, "leaky frames"))
		for (k = 0; k < 4; k++)
			ASSERT_STREQ(p.v[1].frames[k].name, leaky[k], "leaky frame, root first");
	/* a stack without frames: the process alone, as in the report */
	ASSERT_EQ(p.v[2].nframes, 1, "no stack");
	ASSERT_EQ(p.v[2].value, 4096, "no stack value");
	ASSERT_EQ(p.v[2].category, ML_CAT_MMAP, "no stack category");
cleanup:
	profile__release(&p);
}

/* The same profile, not compressed, reads the same. */
static void check_plain(const char *path)
{
	char plain[64], err[256] = "", buf[65536];
	gzFile gz = gzopen(path, "rb");
	struct profile p;
	int n;

	if (!ASSERT_OK_PTR(gz, "gzopen"))
		return;
	n = gzread(gz, buf, sizeof(buf));
	gzclose(gz);
	if (!ASSERT_GT(n, 0, "gunzip") || !ASSERT_LT(n, (int)sizeof(buf), "small") ||
	    !write_bytes(plain, buf, n))
		return;
	if (ASSERT_OK(pprof__read(plain, "alloc_objects", &p, err, sizeof(err)), err)) {
		ASSERT_EQ(p.n, 4, "samples");
		ASSERT_EQ(profile__total(&p, false), 3500 + 20 + 1 + 16, "allocations");
		profile__release(&p);
	}
	unlink(plain);
}

void test_pprof_round_trip(void)
{
	char path[64];

	if (!write_fixture(path))
		return;
	if (test__start_subtest("default is inuse_space"))
		check_type(path, NULL, METRIC_OUTSTANDING);
	if (test__start_subtest("inuse_space"))
		check_type(path, "inuse_space", METRIC_OUTSTANDING);
	if (test__start_subtest("inuse_objects"))
		check_type(path, "inuse_objects", METRIC_COUNT);
	if (test__start_subtest("alloc_space"))
		check_type(path, "alloc_space", METRIC_ALLOC_BYTES);
	if (test__start_subtest("alloc_objects"))
		check_type(path, "alloc_objects", METRIC_ALLOCS);
	if (test__start_subtest("values and names"))
		check_spelled_out(path);
	if (test__start_subtest("not compressed"))
		check_plain(path);
	unlink(path);
}

/* A profile as another tool writes it: sparse ids, no labels, no default
 * sample type, an unsymbolized location, one without a mapping, and two
 * samples of which one has nothing in the last type.
 */
static size_t foreign_profile(uint8_t *buf, size_t len, int64_t cpu0, int64_t cpu1)
{
	static char *strings[] = { "", "samples", "count", "cpu", "nanoseconds", "/usr/bin/prog",
				   "work", "prog.c", "inlined_helper" };
	Perftools__Profiles__ValueType types[2] = {
		PERFTOOLS__PROFILES__VALUE_TYPE__INIT, PERFTOOLS__PROFILES__VALUE_TYPE__INIT };
	Perftools__Profiles__ValueType *typep[2] = { &types[0], &types[1] };
	Perftools__Profiles__Mapping map = PERFTOOLS__PROFILES__MAPPING__INIT, *mapp = &map;
	Perftools__Profiles__Function fns[2] = {
		PERFTOOLS__PROFILES__FUNCTION__INIT, PERFTOOLS__PROFILES__FUNCTION__INIT };
	Perftools__Profiles__Function *fnp[2] = { &fns[0], &fns[1] };
	Perftools__Profiles__Line lines[2] = {
		PERFTOOLS__PROFILES__LINE__INIT, PERFTOOLS__PROFILES__LINE__INIT };
	Perftools__Profiles__Line *linep[2] = { &lines[0], &lines[1] };
	Perftools__Profiles__Location locs[3] = { PERFTOOLS__PROFILES__LOCATION__INIT,
		PERFTOOLS__PROFILES__LOCATION__INIT, PERFTOOLS__PROFILES__LOCATION__INIT };
	Perftools__Profiles__Location *locp[3] = { &locs[0], &locs[1], &locs[2] };
	Perftools__Profiles__Sample samples[2] = {
		PERFTOOLS__PROFILES__SAMPLE__INIT, PERFTOOLS__PROFILES__SAMPLE__INIT };
	Perftools__Profiles__Sample *samplep[2] = { &samples[0], &samples[1] };
	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	uint64_t stack[2][3] = { { 100, 50, 60 }, { 100, 0, 0 } };
	int64_t values[2][2] = { { 3, cpu0 }, { 1, cpu1 } };

	types[0].type = 1, types[0].unit = 2;
	types[1].type = 3, types[1].unit = 4;
	map.id = 7, map.memory_start = 0x400000, map.memory_limit = 0x500000, map.filename = 5;
	fns[0].id = 9, fns[0].name = 6, fns[0].system_name = 6, fns[0].filename = 7;
	fns[1].id = 3, fns[1].name = 8, fns[1].system_name = 8, fns[1].filename = 7;
	/* innermost first: the helper inlined into work */
	lines[0].function_id = 3, lines[0].line = 5;
	lines[1].function_id = 9, lines[1].line = 10;
	locs[0].id = 100, locs[0].mapping_id = 7, locs[0].address = 0x401234;
	locs[0].n_line = 2, locs[0].line = linep;
	locs[1].id = 50, locs[1].mapping_id = 7, locs[1].address = 0x400010;
	locs[2].id = 60, locs[2].address = 0x1234;
	samples[0].n_location_id = 3, samples[0].location_id = stack[0];
	samples[0].n_value = 2, samples[0].value = values[0];
	samples[1].n_location_id = 1, samples[1].location_id = stack[1];
	samples[1].n_value = 2, samples[1].value = values[1];
	p.n_sample_type = 2, p.sample_type = typep;
	p.n_sample = 2, p.sample = samplep;
	p.n_mapping = 1, p.mapping = &mapp;
	p.n_location = 3, p.location = locp;
	p.n_function = 2, p.function = fnp;
	p.n_string_table = sizeof(strings) / sizeof(strings[0]), p.string_table = strings;
	if (perftools__profiles__profile__get_packed_size(&p) > len)
		return 0;
	return perftools__profiles__profile__pack(&p, buf);
}

void test_pprof_foreign(void)
{
	static const char *const names[] = { "[unknown]", "prog+0x10", "work", "inlined_helper" };
	static const enum frame_kind kinds[] = { FRAME_UNKNOWN, FRAME_UNKNOWN, FRAME_NATIVE,
						 FRAME_INLINED };
	char path[64], err[256] = "";
	uint8_t buf[4096];
	struct profile p;
	size_t len = foreign_profile(buf, sizeof(buf), 3000000, 0);
	int k;

	if (!ASSERT_GT(len, 0, "pack") || !write_bytes(path, buf, len))
		return;
	/* no default: the last type, cpu; the sample with 0 cpu is left out */
	if (!ASSERT_OK(pprof__read(path, NULL, &p, err, sizeof(err)), err))
		goto cleanup;
	ASSERT_EQ(p.metric, METRIC_COUNT, "not bytes");
	if (ASSERT_EQ(p.n, 1, "samples") && ASSERT_EQ(p.v[0].nframes, 4, "frames, no process")) {
		ASSERT_EQ(p.v[0].value, 3000000, "cpu value");
		ASSERT_EQ(p.v[0].category, -1, "no category label");
		for (k = 0; k < 4; k++) {
			ASSERT_STREQ(p.v[0].frames[k].name, names[k], "name, root first");
			ASSERT_EQ(p.v[0].frames[k].kind, kinds[k], "kind");
		}
	}
	profile__release(&p);
	if (ASSERT_OK(pprof__read(path, "samples", &p, err, sizeof(err)), err)) {
		ASSERT_EQ(p.n, 2, "samples by name");
		ASSERT_EQ(profile__total(&p, false), 4, "sample counts");
		profile__release(&p);
	}
	if (ASSERT_OK(pprof__read(path, "0", &p, err, sizeof(err)), "by number")) {
		ASSERT_EQ(p.n, 2, "samples by number");
		profile__release(&p);
	}
cleanup:
	unlink(path);
}

/* err is one line: "<path>: <want>". */
static void error_is(const char *err, const char *path, const char *want)
{
	char full[512];

	snprintf(full, sizeof(full), "%s: %s", path, want);
	ASSERT_STREQ(err, full, "message");
	ASSERT_FALSE(strchr(err, '\n'), "one line");
}

static void check_bad_bytes(const void *data, size_t len, const char *want)
{
	char path[64], err[256] = "";
	struct profile p;

	if (!write_bytes(path, data, len))
		return;
	ASSERT_EQ(pprof__read(path, NULL, &p, err, sizeof(err)), -EINVAL, "ret");
	error_is(err, path, want);
	ASSERT_EQ(p.n, 0, "nothing read");
	unlink(path);
}

void test_pprof_read_errors(void)
{
	char path[64], err[256] = "", head[200];
	struct profile p;
	FILE *f;

	if (test__start_subtest("missing file")) {
		ASSERT_EQ(pprof__read("/nonexistent/x.pb.gz", NULL, &p, err, sizeof(err)), -ENOENT,
			  "ret");
		ASSERT_STREQ(err, "cannot read '/nonexistent/x.pb.gz': No such file or directory",
			     "err");
	}
	if (test__start_subtest("empty file"))
		check_bad_bytes("", 0, "not a pprof profile: the file is empty");
	if (test__start_subtest("text"))
		check_bad_bytes("main;malloc 4096\n", 17,
				"not a pprof profile: not a profile.proto message");
	if (!write_fixture(path))
		return;
	if (test__start_subtest("truncated gzip")) {
		f = fopen(path, "rb");
		if (ASSERT_OK_PTR(f, "open") &&
		    ASSERT_EQ(fread(head, 1, sizeof(head), f), sizeof(head), "read"))
			check_bad_bytes(head, sizeof(head),
					"not a pprof profile: gzip: unexpected end of data");
		if (f)
			fclose(f);
	}
	if (test__start_subtest("no such sample type")) {
		ASSERT_EQ(pprof__read(path, "foo", &p, err, sizeof(err)), -EINVAL, "ret");
		error_is(err, path, "no sample type 'foo' (have: alloc_objects, alloc_space, "
			 "inuse_objects, inuse_space)");
	}
	unlink(path);
}

/* -top has no line for name (flat or cum). */
static void check_no_line(const char *out, const char *name)
{
	long long flat, cum;

	if (gopprof_top_entry(out, name, &flat, &cum))
		TEST_FAIL_("-top has a line for \"%s\" (flat %lld, cum %lld): dropped frames expected",
			   name, flat, cum);
}

/* Values that would overflow a sum of two files (a diff) are refused. */
void test_pprof_read_value_range(void)
{
	char path[64], err[256] = "";
	uint8_t buf[4096];
	struct profile p;
	size_t len;

	if (test__start_subtest("2^60 in all reads")) {
		len = foreign_profile(buf, sizeof(buf), PROFILE_READ_MAX - 1, 1);
		if (ASSERT_GT(len, 0, "pack") && write_bytes(path, buf, len)) {
			if (ASSERT_OK(pprof__read(path, NULL, &p, err, sizeof(err)), err)) {
				ASSERT_EQ(profile__total(&p, false), PROFILE_READ_MAX, "total");
				profile__release(&p);
			}
			unlink(path);
		}
	}
	if (test__start_subtest("one more is refused")) {
		len = foreign_profile(buf, sizeof(buf), PROFILE_READ_MAX, -1);
		if (ASSERT_GT(len, 0, "pack") && write_bytes(path, buf, len)) {
			ASSERT_EQ(pprof__read(path, NULL, &p, err, sizeof(err)), -ERANGE, "ret");
			error_is(err, path, "not a pprof profile: sample values add up to more than 2^60");
			ASSERT_EQ(p.n, 0, "nothing read");
			unlink(path);
		}
	}
	if (test__start_subtest("INT64_MIN")) {
		len = foreign_profile(buf, sizeof(buf), INT64_MIN, 0);
		if (ASSERT_GT(len, 0, "pack") && write_bytes(path, buf, len)) {
			ASSERT_EQ(pprof__read(path, NULL, &p, err, sizeof(err)), -ERANGE, "ret");
			unlink(path);
		}
	}
}

/* A location of nlines lines of one function, and nsamples samples of it
 * alone: about 6 * (nlines + nsamples) bytes that name nlines * nsamples
 * frames.  name: the function's.
 */
static uint8_t *expanding_profile(size_t nlines, size_t nsamples, const char *name, size_t *len)
{
	char *strings[] = { "", "inuse_space", "bytes", (char *)name };
	Perftools__Profiles__ValueType type = PERFTOOLS__PROFILES__VALUE_TYPE__INIT, *typep = &type;
	Perftools__Profiles__Function fn = PERFTOOLS__PROFILES__FUNCTION__INIT, *fnp = &fn;
	Perftools__Profiles__Line line = PERFTOOLS__PROFILES__LINE__INIT;
	Perftools__Profiles__Location loc = PERFTOOLS__PROFILES__LOCATION__INIT, *locp = &loc;
	Perftools__Profiles__Sample sample = PERFTOOLS__PROFILES__SAMPLE__INIT;
	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__Line **lines = calloc(nlines, sizeof(*lines));
	Perftools__Profiles__Sample **samples = calloc(nsamples, sizeof(*samples));
	uint64_t loc_id = 1;
	int64_t value = 8;
	uint8_t *buf = NULL;
	size_t i;

	if (!lines || !samples)
		goto out;
	type.type = 1, type.unit = 2;
	fn.id = 1, fn.name = 3;
	line.function_id = 1, line.line = 7;
	for (i = 0; i < nlines; i++)
		lines[i] = &line;
	loc.id = 1, loc.n_line = nlines, loc.line = lines;
	sample.n_location_id = 1, sample.location_id = &loc_id;
	sample.n_value = 1, sample.value = &value;
	for (i = 0; i < nsamples; i++)
		samples[i] = &sample;
	p.n_sample_type = 1, p.sample_type = &typep;
	p.n_sample = nsamples, p.sample = samples;
	p.n_location = 1, p.location = &locp;
	p.n_function = 1, p.function = &fnp;
	p.n_string_table = 4, p.string_table = strings;
	*len = perftools__profiles__profile__get_packed_size(&p);
	buf = malloc(*len);
	if (buf)
		perftools__profiles__profile__pack(&p, buf);
out:
	free(lines);
	free(samples);
	return buf;
}

/* want: the error's format, of the bound (per_byte * the file's size). */
static void check_expansion(size_t nlines, size_t nsamples, const char *name, int want_ret,
			    const char *want, size_t per_byte)
{
	char path[64], err[256] = "", msg[160];
	struct profile p;
	size_t len = 0;
	uint8_t *buf = expanding_profile(nlines, nsamples, name, &len);

	if (!ASSERT_OK_PTR(buf, "pack") || !write_bytes(path, buf, len))
		goto out;
	ASSERT_EQ(pprof__read(path, NULL, &p, err, sizeof(err)), want_ret, "ret");
	if (want_ret) {
		snprintf(msg, sizeof(msg), want, per_byte * len);
		error_is(err, path, msg);
	} else {
		ASSERT_EQ(p.n, nsamples, "samples");
		ASSERT_EQ(p.n ? p.v[0].nframes : 0, (int)nlines, "frames");
		profile__release(&p);
	}
	unlink(path);
out:
	free(buf);
}

/* A profile memleakbpf wrote of tests/workloads/sample_leaks (the fuzz
 * seed): within the bounds.
 */
static void check_own_profile(void)
{
	char err[256] = "";
	struct profile p;

	if (ASSERT_OK(pprof__read("tests/fuzz/corpus/pprof/inuse.pb.gz", NULL, &p, err,
				  sizeof(err)), err)) {
		ASSERT_GT(p.n, 0, "samples");
		profile__release(&p);
	}
}

/* A file of ~100 KB that would name 48 million frames (seconds of work
 * and gigabytes) is refused at once.
 */
void test_pprof_read_expansion(void)
{
	static char long_name[2001];

	if (test__start_subtest("8000 lines in 6000 samples"))
		check_expansion(8000, 6000, "f", -E2BIG, "not a pprof profile: its samples "
				"expand to more than %zu frames", 4);
	if (test__start_subtest("a deep stack of inlines reads"))
		check_expansion(1000, 2, "f", 0, NULL, 0);
	if (test__start_subtest("memleakbpf's own profile reads"))
		check_own_profile();
	if (test__start_subtest("a long name in many frames")) {
		memset(long_name, 'n', sizeof(long_name) - 1);
		check_expansion(2, 2000, long_name, -E2BIG, "not a pprof profile: its samples "
				"expand to more than %zu bytes of names", 256);
	}
}

/* One gzip member: 1 MiB of zeros in about a KB. */
static size_t gzip_zeros(uint8_t *out, size_t cap)
{
	static uint8_t zeros[1 << 20];
	z_stream zs = { 0 };
	size_t n;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = zeros;
	zs.avail_in = sizeof(zeros);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? cap - zs.avail_out : 0;
	deflateEnd(&zs);
	return n;
}

/* A gzip bomb: 1025 members of 1 MiB each, 1 MiB on disk.  Inflating
 * stops at 1 GiB with an error, whatever the file would give.
 */
void test_pprof_read_gzip_bomb(void)
{
	char path[64], err[256] = "";
	uint8_t member[4096];
	struct profile p;
	size_t len = gzip_zeros(member, sizeof(member));
	FILE *f;
	int fd, i;

	if (!ASSERT_GT(len, 0, "deflate") || !ASSERT_LT(len, 2048, "a KB or so"))
		return;
	strcpy(path, TMP_TEMPLATE);
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "temp file"))
		return;
	for (i = 0; i < 1025; i++)
		fwrite(member, 1, len, f);
	if (ASSERT_OK(fclose(f), "close")) {
		ASSERT_EQ(pprof__read(path, NULL, &p, err, sizeof(err)), -EINVAL, "ret");
		error_is(err, path, "not a pprof profile: more than 1 GiB uncompressed");
		ASSERT_EQ(p.n, 0, "nothing read");
	}
	unlink(path);
}

static void check_top_inuse_space(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-top", "-nodefraction=0", "-unit=B"), &out))
		goto cleanup;
	/* the program, not the library of the first leaf */
	ASSERT_STRCONTAINS(out, "File: node\n", "main binary");
	ASSERT_STRCONTAINS(out, "\nmemleakbpf report 3: 4 stacks of 2 processes, 30.0 s traced",
			   "comment");
	ASSERT_STRCONTAINS(out, "\n1234 events dropped: values may be low\n", "drops");
	ASSERT_STRCONTAINS(out, "Type: inuse_space\n", "the default sample type");
	ASSERT_STRCONTAINS(out, "Duration: 30s, Total samples = 199483392B\n", "total");
	/* drop_frames: the callers of malloc and of Node's allocator hold the bytes */
	check_no_line(out, "malloc");
	check_no_line(out, "node::NodeArrayBufferAllocator::Allocate(unsigned long)");
	gopprof_top_is(out, "v8::internal::Heap::AllocateExternalBackingStore(...) (inline)",
		       199438336, 199438336);
	gopprof_top_is(out, "node+0xf00000", 0, 199438336);
	gopprof_top_is(out, "LazyCompile:*leakBuffer /app/leak.js:2", 0, 199438336);
	gopprof_top_is(out, "[jit]", 0, 199438336);
	gopprof_top_is(out, "[unknown]", 0, 199438336);
	gopprof_top_is(out, "main", 0, 199438336 + 40960);
	gopprof_top_is(out, FIXTURE_HOSTILE, 40960, 40960);
	gopprof_top_is(out, "[no stack]", 4096, 4096);
cleanup:
	free(out);
}

static void check_top_alloc_space(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-top", "-nodefraction=0", "-unit=B",
					 "-sample_index=alloc_space"), &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "Type: alloc_space\n", "type");
	ASSERT_STRCONTAINS(out, "Total samples = 251134592B\n", "total");
	check_no_line(out, "malloc");
	gopprof_top_is(out, "v8::internal::Heap::AllocateExternalBackingStore(...) (inline)",
		       250000000, 250000000);
	/* the stack all freed again: main called malloc itself */
	gopprof_top_is(out, "main", 1048576, 250000000 + 81920 + 1048576);
	gopprof_top_is(out, FIXTURE_HOSTILE, 81920, 81920);
	gopprof_top_is(out, "[no stack]", 4096, 4096);
cleanup:
	free(out);
}

static void check_top_inuse_objects(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-top", "-nodefraction=0", "-sample_index=inuse_objects"),
			     &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "Type: inuse_objects\n", "type");
	ASSERT_STRCONTAINS(out, "Total samples = 2929\n", "total");
	check_no_line(out, "malloc");
	gopprof_top_is(out, "v8::internal::Heap::AllocateExternalBackingStore(...) (inline)",
		       2918, 2918);
	gopprof_top_is(out, FIXTURE_HOSTILE, 10, 10);
	gopprof_top_is(out, "[no stack]", 1, 1);
cleanup:
	free(out);
}

static void check_traces(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-traces", "-unit=B"), &out))
		goto cleanup;
	/* labels, the value, the frames leaf first (inlined runs innermost
	 * first), the allocation API dropped (labels in an order of go's
	 * choosing: the raw output checks them)
	 */
	ASSERT_STRCONTAINS(out, "category: buffer\n"
			   "container: " FIXTURE_CONTAINER "\npid: 4242\n"
			   "199438336B v8::internal::Heap::AllocateExternalBackingStore(...) (inline)\n"
			   "node+0xf00000\n"
			   "LazyCompile:*leakBuffer /app/leak.js:2\n"
			   "[jit]\nmain\n[unknown]\n-----------+", "node's Buffer stack");
	ASSERT_STRCONTAINS(out, "category: native\npid: 5150\n"
			   "40960B " FIXTURE_HOSTILE "\nmain\n-----------+",
			   "the hostile name, intact");
	ASSERT_STRCONTAINS(out, "category: mmap\ncontainer: " FIXTURE_CONTAINER "\npid: 4242\n"
			   "4096B [no stack]\n",
			   "a stack without frames");
	free(out);
	if (go_pprof(path, FLAGS("-traces", "-sample_index=alloc_objects"), &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "category: native\npid: 5150\n16 main\n",
			   "a stack all freed again still counts its allocations");
	ASSERT_STRCONTAINS(out, "\n3500 v8::internal::Heap::AllocateExternalBackingStore(...) "
			   "(inline)\n", "node's allocations");
cleanup:
	free(out);
}

static void check_raw(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-raw"), &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "PeriodType: space bytes\nPeriod: 1\n"
			   "Time: 2026-11-22 14:01:41.25 +0000 UTC\nDuration: 30s\n", "period, time");
	ASSERT_STRCONTAINS(out, "\nalloc_objects/count alloc_space/bytes inuse_objects/count "
			   "inuse_space/bytes[dflt]\n", "sample types, inuse_space the default");
	/* values in sample type order; labels */
	ASSERT_STRCONTAINS(out, "\n3500 250000000 2918 199438336: ", "node's values");
	ASSERT_STRCONTAINS(out, "\ncategory:[buffer] cgroup:[" FIXTURE_NODE_CGROUP "] comm:[node] "
			   "container:[" FIXTURE_CONTAINER "]\npid:[4242]\n", "node's labels");
	ASSERT_STRCONTAINS(out, "\ncategory:[native] cgroup:[/system.slice/leaky.service] comm:[leaky] "
			   "unit:[leaky.service]\npid:[5150]\n", "leaky's labels");
	ASSERT_STRCONTAINS(out, "\n20 81920 10 40960: ", "leaky's values");
	ASSERT_STRCONTAINS(out, "\n1 4096 1 4096: ", "no stack values");
	ASSERT_STRCONTAINS(out, "\n16 1048576 0 0: ", "freed values");
	/* locations: address, mapping, lines with file:line, start line, system name */
	ASSERT_STRCONTAINS(out, " 0x55d0c0a1b2c3 M=1 node::NodeArrayBufferAllocator::Allocate("
			   "unsigned long) ../src/api/environment.cc:102 "
			   "s=98(_ZN4node24NodeArrayBufferAllocator8AllocateEm)\n", "a location");
	ASSERT_STRCONTAINS(out, " 0x55d0c0f00000 M=1 v8::internal::Heap::AllocateExternalBackingStore"
			   "(...) ../deps/v8/src/heap/heap.cc:3010 s=0()\nnode+0xf00000 :0 s=0()\n",
			   "an inlined run is one location");
	ASSERT_STRCONTAINS(out, " 0x5608a0001234 M=", "hostile address");
	ASSERT_STRCONTAINS(out, FIXTURE_HOSTILE " /opt/leaky/src/leaky.c:42 s=40()\n", "hostile line");
	ASSERT_STRCONTAINS(out, " 0xdeadbeef [unknown] :0 s=0()\n", "no mapping");
	ASSERT_STRCONTAINS(out, " 0x7f3a1c2b4e10 M=2 malloc :0 s=0(__libc_malloc)\n", "malloc");
	/* mappings: start/limit/offset, file, build id, what is known */
	ASSERT_STRCONTAINS(out, "\n1: 0x0/0x0/0x0 /usr/bin/node [FN][FL][LN][IN]\n", "node mapping");
	ASSERT_STRCONTAINS(out, "\n2: 0x7f3a1c23c000/0x7f3a1c3b1000/0x26000 "
			   "/usr/lib/x86_64-linux-gnu/libc.so.6 "
			   "c047672cae7964324658491e7dee26748ae5d2f8 [FN]\n", "libc mapping and build id");
	ASSERT_STRCONTAINS(out, ": 0x0/0x0/0x0 [jit] [FN]\n", "the jit mapping");
	ASSERT_STRCONTAINS(out, ": 0x5608a0001000/0x5608a0002000/0x1000 /opt/leaky/bin/leaky "
			   "0123456789abcdef0123456789abcdef01234567 [FN][FL][LN]\n", "leaky mapping");
	ASSERT_STRCONTAINS(out, "Comment: memleakbpf report 3: ", "comment");
cleanup:
	free(out);
}

static void check_tags(const char *path)
{
	char *out;

	if (go_pprof(path, FLAGS("-tags", "-sample_index=inuse_objects"), &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "category: Total 2929.0\n2918.0 (99.62%): buffer\n"
			   "10.0 ( 0.34%): native\n1.0 (0.034%): mmap\n", "category label");
	ASSERT_STRCONTAINS(out, "comm: Total 2929.0\n2919.0 (99.66%): node\n10.0 ( 0.34%): leaky\n",
			   "comm label");
	ASSERT_STRCONTAINS(out, "pid: Total 2929.0\n2919.0 (99.66%): 4242\n10.0 ( 0.34%): 5150\n",
			   "pid label");
	free(out);
	if (go_pprof(path, FLAGS("-tags", "-unit=B"), &out))
		goto cleanup;
	ASSERT_STRCONTAINS(out, "category: Total 199483392.0B\n199438336.0B ( 100%): buffer\n"
			   "40960.0B (0.021%): native\n4096.0B (0.0021%): mmap\n", "bytes by category");
cleanup:
	free(out);
}

void test_pprof_go(void)
{
	char path[64];

	if (!write_fixture(path))
		return;
	if (test__start_subtest("top inuse_space"))
		check_top_inuse_space(path);
	if (test__start_subtest("top alloc_space"))
		check_top_alloc_space(path);
	if (test__start_subtest("top inuse_objects"))
		check_top_inuse_objects(path);
	if (test__start_subtest("traces"))
		check_traces(path);
	if (test__start_subtest("raw"))
		check_raw(path);
	if (test__start_subtest("tags"))
		check_tags(path);
	unlink(path);
}

/* name as pprof matches it against drop_frames: cut at its first '('. */
static bool dropped(const regex_t *re, const char *name)
{
	char simple[256];

	snprintf(simple, sizeof(simple), "%.*s", (int)strcspn(name, "("), name);
	return regexec(re, simple, 0, NULL, 0) == 0;
}

/* The drop_frames of the file, and what it matches: every function
 * memleakbpf probes as the report names it, the aliases the report shows
 * for them, and none of the callers.
 */
void test_pprof_drop_frames(void)
{
	static const char *const aliases[] = {
		"__libc_malloc", "__GI___libc_malloc", "__libc_calloc", "__posix_memalign",
		"operator new[](unsigned long)", "operator delete(void*, unsigned long)",
		"operator new(unsigned long, std::nothrow_t const&)",
		"tc_newarray", "tc_new_nothrow", "tc_realloc", "tc_pvalloc", "tc_deletearray_sized",
		"mmap", "__mmap", "__mmap64", "__GI___mmap64", "munmap", "__mremap", "mprotect",
		"brk", "__brk", "sbrk", "__strdup", "_IO_getdelim", "___asprintf",
		"node::NodeArrayBufferAllocator::AllocateUninitialized(unsigned long)",
	};
	static const char *const callers[] = {
		"main", "leak_malloc", "xmalloc", "malloc_then_free", "my_free", "realloc_chain",
		"steady_big", "g_malloc0", "mallocx", "operator", "operator()", "operator delete_helper",
		"v8::internal::Malloced::operator new(unsigned long)", "uv__malloc",
		"node::NodeArrayBufferAllocator::Something()", "shop::make_widgets()", "[unknown]",
		"mmap_file", "anon", "strdup_all", "libc.so.6+0x9ee10",
	};
	char path[64];
	gzFile gz;
	uint8_t buf[65536];
	Perftools__Profiles__Profile *p;
	regex_t re;
	size_t i;
	int n;

	if (!ASSERT_OK(regcomp(&re, "^(" PPROF_DROP_FRAMES ")$", REG_EXTENDED | REG_NOSUB),
		       "drop_frames is a regular expression"))
		return;
	for (i = 0; i < ML_FN_MAX; i++) {
		char *demangled = symbolizer__demangle(alloc_func_name(i));
		const char *name = demangled ? demangled : alloc_func_name(i);

		if (!dropped(&re, name))
			TEST_FAIL_("probed function %s is not in drop_frames", name);
		free(demangled);
	}
	for (i = 0; i < ANCHOR_MAX; i++)
		if (!dropped(&re, anchor_func_name(i)))
			TEST_FAIL_("anchor %s is not in drop_frames", anchor_func_name(i));
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!dropped(&re, aliases[i]))
			TEST_FAIL_("alias %s is not in drop_frames", aliases[i]);
	for (i = 0; i < sizeof(callers) / sizeof(callers[0]); i++)
		if (dropped(&re, callers[i]))
			TEST_FAIL_("caller %s would be dropped", callers[i]);
	regfree(&re);

	if (!write_fixture(path))
		return;
	gz = gzopen(path, "rb");
	n = gz ? gzread(gz, buf, sizeof(buf)) : -1;
	if (gz)
		gzclose(gz);
	unlink(path);
	if (!ASSERT_GT(n, 0, "gunzip") || !ASSERT_LT(n, (int)sizeof(buf), "small"))
		return;
	p = perftools__profiles__profile__unpack(NULL, n, buf);
	if (!ASSERT_OK_PTR(p, "unpack"))
		return;
	if (ASSERT_TRUE(p->drop_frames > 0 && (size_t)p->drop_frames < p->n_string_table,
			"drop_frames is set"))
		ASSERT_STREQ(p->string_table[p->drop_frames], PPROF_DROP_FRAMES, "drop_frames");
	ASSERT_EQ(p->keep_frames, 0, "no keep_frames");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

/* The one encoder into memory: the same bytes as the file, and the
 * default sample type as asked.
 */
void test_pprof_memory(void)
{
	struct pprof_mem heap, allocs;
	char path[64], file_path[64], *out = NULL;
	struct report r;
	FILE *f;
	long len;

	if (!write_fixture(file_path))
		return;
	report_fixture(&r);
	if (!ASSERT_OK(pprof__encode_mem(&r, "inuse_space", &heap), "encode heap"))
		goto cleanup;
	f = fopen(file_path, "r");
	if (ASSERT_OK_PTR(f, "open the file")) {
		char *bytes = malloc(heap.len + 1);

		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		ASSERT_EQ((long)heap.len, len, "as long as the file");
		if (bytes && fread(bytes, 1, heap.len, f) == heap.len)
			ASSERT_OK(memcmp(bytes, heap.data, heap.len), "the file's bytes");
		free(bytes);
		fclose(f);
	}
	free(heap.data);
	if (test__start_subtest("allocs: alloc_space by default")) {
		if (ASSERT_OK(pprof__encode_mem(&r, "alloc_space", &allocs), "encode allocs") &&
		    write_bytes(path, allocs.data, allocs.len)) {
			if (!go_pprof(path, FLAGS("-raw"), &out))
				ASSERT_STRCONTAINS(out, "\nalloc_objects/count alloc_space/bytes[dflt] "
						   "inuse_objects/count inuse_space/bytes\n", "alloc_space the default");
			free(out);
			out = NULL;
			if (!go_pprof(path, FLAGS("-top", "-nodefraction=0"), &out))
				ASSERT_STRCONTAINS(out, "\nType: alloc_space\n", "alloc_space shown");
			free(out);
			out = NULL;
			unlink(path);
		}
		free(allocs.data);
	}
cleanup:
	unlink(file_path);
}

/* tests/fuzz/fuzz_pprof.c for 10 s (make fuzz runs it longer). */
void test_fuzz_pprof_smoke(void)
{
	fuzz_smoke("pprof");
}
