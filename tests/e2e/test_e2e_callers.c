// SPDX-License-Identifier: GPL-2.0
/* End to end: `go tool pprof -top` on the pprof export names the function
 * that allocated, not the allocation API it called (the profile's
 * drop_frames), with its exact bytes, for every kind of allocation
 * memleakbpf traces: the malloc family, C++'s new, the libc functions that
 * allocate for their caller, mmap, mremap and the break.  The folded
 * export of the same run keeps the allocator frame.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "e2e.h"
#include "gopprof.h"
#include "unit/golden.h"

struct caller {
	const char *fn;		/* as -top names it */
	long long bytes;	/* in use at the end: its flat */
	const char *folded;	/* the tail of its folded line: the allocator kept */
	long long cum;		/* 0: bytes (nothing below it) */
};

/* Run workload with --pprof and --folded; check callers[] and that no
 * name of gone[] has a line in -top.
 */
static void check_workload(const char *workload, const struct caller *callers,
			   const char *const *gone)
{
	char dir[] = "/tmp/memleakbpf-callers-XXXXXX", pb[96], folded[96], cmd[128];
	const char *args[] = { "-q", "--pprof", pb, "--folded", folded, "--",
			       workload_path(workload), NULL };
	struct ml_run r;
	char *out = NULL, *text = NULL, line[160];
	size_t len;
	int i;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(pb, sizeof(pb), "%s/leak.pb.gz", dir);
	snprintf(folded, sizeof(folded), "%s/leak.folded", dir);
	if (!ASSERT_OK(ml_run(&r, args), "run memleakbpf"))
		goto out;
	if (!ASSERT_EQ(r.exit_code, 0, "exit code")) {
		fprintf(stderr, "  stderr: %s\n", r.err);
		goto release;
	}
	if (!go_pprof(pb, FLAGS("-top", "-nodefraction=0", "-unit=B"), &out)) {
		for (i = 0; callers[i].fn; i++)
			gopprof_top_is(out, callers[i].fn, callers[i].bytes,
				       callers[i].cum ? callers[i].cum : callers[i].bytes);
		for (i = 0; gone[i]; i++) {
			snprintf(line, sizeof(line), " %s\n", gone[i]);
			if (strstr(out, line))
				TEST_FAIL_("-top has a line for %s:\n%s", gone[i], out);
			snprintf(line, sizeof(line), " %s (inline)\n", gone[i]);
			if (strstr(out, line))
				TEST_FAIL_("-top has a line for %s (inline):\n%s", gone[i], out);
		}
	}
	text = golden_read(folded, &len);
	if (ASSERT_OK_PTR(text, "folded file"))
		for (i = 0; callers[i].fn; i++)
			if (!strstr(text, callers[i].folded))
				TEST_FAIL_("folded has no \"%s\":\n%s", callers[i].folded, text);
	free(text);
	free(out);
release:
	ml_run_release(&r);
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
}

static void check_malloc_family(void)
{
	static const struct caller callers[] = {
		{ "leak_malloc", 3000, ";leak_malloc;malloc 3000\n" },
		{ "leak_calloc", 1000, ";leak_calloc;calloc 1000\n" },
		{ "leak_realloc_null", 1234, ";leak_realloc_null;realloc 1234\n" },
		{ "leak_reallocarray", 700, ";leak_reallocarray;reallocarray 700\n" },
		{ "leak_posix_memalign", 4000, ";leak_posix_memalign;posix_memalign 4000\n" },
		/* glibc's aligned_alloc is memalign, at one address */
		{ "leak_aligned_alloc", 512, ";leak_aligned_alloc;memalign 512\n" },
		{ "leak_memalign", 1536, ";leak_memalign;memalign 1536\n" },
		{ "leak_valloc", 5000, ";leak_valloc;valloc 5000\n" },
		{ "leak_pvalloc", 3000, ";leak_pvalloc;pvalloc 3000\n" },
		{ "keep_for_failed_realloc", 2222, ";keep_for_failed_realloc;malloc 2222\n" },
		{},
	};
	static const char *const gone[] = { "malloc", "calloc", "realloc", "reallocarray",
					    "posix_memalign", "memalign", "valloc", "pvalloc",
					    "__mmap64", NULL };

	check_workload("alloc_funcs", callers, gone);
}

static void check_cxx_new(void)
{
	static const struct caller callers[] = {
		{ "shop::make_widgets()", 144, ";shop::make_widgets();operator new(unsigned long) 144\n" },
		{ "shop::make_array()", 40, ";shop::make_array();operator new[](unsigned long) 40\n" },
		{ "shop::make_nothrow()", 48,
		  ";shop::make_nothrow();operator new(unsigned long, std::nothrow_t const&) 48\n" },
		{},
	};
	static const char *const gone[] = { "operator new", "operator new[]",
					    "operator new(unsigned long)", "malloc", NULL };

	check_workload("cxx_new", callers, gone);
}

static void check_libc_internal(void)
{
	static const struct caller callers[] = {
		{ "dup_string", 12, ";dup_string;strdup;malloc 12\n" },
		{ "dup_prefix", 6, ";dup_prefix;strndup;malloc 6\n" },
		{ "print_to_string", 6, ";print_to_string;asprintf;__vasprintf_internal;malloc 6\n" },
		{},
	};
	static const char *const gone[] = { "strdup", "strndup", "asprintf", "__vasprintf_internal",
					    "malloc", NULL };

	check_workload("libc_internal", callers, gone);
}

static void check_mappings(void)
{
	static const struct caller callers[] = {
		{ "grow_break", 49152, ";grow_break;sbrk;brk 49152\n" },
		/* anon() is the program's own wrapper of mmap: the caller */
		{ "anon", 49152, ";map_keep;anon;mmap;__GI___mmap64 12288\n" },
		/* mremap grew the 2 pages anon() mapped to 5: 3 are its own */
		{ "map_remap_grow", 12288, ";map_remap_grow;mremap 12288\n", 12288 + 8192 },
		{},
	};
	static const char *const gone[] = { "sbrk", "brk", "mmap", "__GI___mmap64", "mremap",
					    "__mmap64", NULL };

	check_workload("mmap_ops", callers, gone);
}

void test_e2e_pprof_callers(void)
{
	if (!test__require_root())
		return;
	if (test__start_subtest("malloc family"))
		check_malloc_family();
	if (test__start_subtest("operator new"))
		check_cxx_new();
	if (test__start_subtest("libc allocates for its caller"))
		check_libc_internal();
	if (test__start_subtest("mmap and brk"))
		check_mappings();
}
