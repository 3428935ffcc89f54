/* End to end: the probes of a preloaded allocator where allocators.c put
 * them, past the entry when that is cheaper (jemalloc's malloc: entry and
 * return probes at the ja at +7, not on the cmp at +0).  The links memleakbpf
 * holds are at those offsets, -v lists them, every allocation function of
 * alloc_funcs counts its exact bytes through them, with its caller named,
 * and the program exits 0.  Then again with another tool's return probe
 * (a tracefs uretprobe) on malloc's first byte of a private copy of
 * jemalloc: it swaps the return address before our entry probe reads it
 * (bpf/uretprobe.bpf.h).  And with --sample-bytes (uprobe sessions), where
 * a call is known to be nested in an unsampled one by its return address:
 * such a probe on new[]'s first byte (libstdc++: endbr64, ours past it).
 *
 * LD_PRELOAD is set for memleakbpf's own command line, as README says: the
 * allocator is attached before the command starts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdlib.h>
#include <signal.h>
#include "e2e.h"
#include "target/allocators.h"
#include "workloads/sample_nested.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

/* The offsets of pid's uprobe_multi links on path (of its return probes:
 * link_type uretprobe_multi, or entry probes: uprobe_multi), from their
 * fdinfo ("path:\t..." then a "cookie offset ref_ctr_offset" row per probe).
 */
static size_t link_offsets(pid_t pid, const char *path, bool ret, uint64_t *out, size_t max)
{
	const char *type = ret ? "link_type:\turetprobe_multi" : "link_type:\tuprobe_multi";
	char dir[64], file[PATH_MAX], line[PATH_MAX + 16];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		bool multi = false, ours = false;
		unsigned long long cookie, off, ref;
		FILE *f;

		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strcmp(line, type))
				multi = true;
			else if (!strncmp(line, "path:\t", 6))
				ours = !strcmp(line + 6, path);
			else if (multi && ours && n < max &&
				 sscanf(line, "%llu %llx %llx", &cookie, &off, &ref) == 3)
				out[n++] = off;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static int count_of(const uint64_t *v, size_t n, uint64_t x)
{
	int c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += v[i] == x;
	return c;
}

/* Does the -v line of fn in the listing of path (after "attached to
 * <path> ") contain want?
 */
static bool listed(const char *err, const char *path, const char *fn, const char *want)
{
	char head[PATH_MAX + 32], row[128];
	const char *at, *end;

	snprintf(head, sizeof(head), "attached to %s ", path);
	snprintf(row, sizeof(row), "memleakbpf:   %s ", fn);
	at = strstr(err, head);
	at = at ? strstr(at, row) : NULL;
	if (!at)
		return false;
	end = strchr(at, '\n');
	return end && memmem(at, end - at, want, strlen(want));
}

#define TRACEFS "/sys/kernel/tracing"
#define OTHER_EVENT "memleakbpf_test/other_malloc_return"

/* Appended (opened without O_TRUNC, which would drop every event). */
static bool tracefs_write(const char *file, const char *line)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, line, strlen(line));
	close(fd);
	return n == (ssize_t)strlen(line);
}

static void other_uretprobe_remove(void)
{
	tracefs_write("events/" OTHER_EVENT "/enable", "0\n");
	tracefs_write("uprobe_events", "-:" OTHER_EVENT "\n");
}

/* Another tool's return probe at offset of path: a tracefs uretprobe
 * (one a run that crashed left behind goes first).
 */
static bool other_uretprobe(const char *path, uint64_t offset)
{
	char line[PATH_MAX + 96];

	other_uretprobe_remove();
	snprintf(line, sizeof(line), "r:%s %s:0x%" PRIx64 "\n", OTHER_EVENT, path, offset);
	return tracefs_write("uprobe_events", line) &&
	       tracefs_write("events/" OTHER_EVENT "/enable", "1\n");
}

static void check_placed(const char *lib_path, bool other, const char *unwind)
{
	const char *wrapper = "read go; \"$0\"; echo \"workload exit status $?\" >&2";
	char prog[PATH_MAX];
	const char *args[] = { "-v", "--json", "--top", "1000", "--interval", "1h", "--unwind", unwind,
			       "--", "/bin/sh", "-c", wrapper, prog, NULL };
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib = a ? allocators__inspect(a, lib_path, NULL) : NULL;
	const char *old = getenv("LD_PRELOAD");
	char *saved = old ? strdup(old) : NULL, want[96], real[PATH_MAX];
	const struct alloc_func *m;
	struct ml_tracer *t = NULL;
	json_t *final = NULL;
	bool stopped = false;
	uint64_t offs[512];
	size_t n;
	pid_t pid;

	if (!ASSERT_OK_PTR(lib, lib_path) || !ASSERT_OK_PTR(realpath(lib_path, real), "realpath") ||
	    !ASSERT_OK_PTR(realpath(workload_path("alloc_funcs"), prog), "alloc_funcs"))
		goto out;
	m = &lib->fn[ML_FN_MALLOC];
	/* what this test is about: the probes are not at malloc's first byte */
	if (!ASSERT_GT(m->probe_delta, 0, "malloc's probes moved") ||
	    !ASSERT_TRUE(m->emulated, "emulated there"))
		goto out;
	if (other && !ASSERT_TRUE(other_uretprobe(real, m->file_offset), "a tracefs uretprobe"))
		goto out;
	setenv("LD_PRELOAD", lib_path, 1);
	t = ml_tracer_start(args);
	if (saved)
		setenv("LD_PRELOAD", saved, 1);
	else
		unsetenv("LD_PRELOAD");
	if (!ASSERT_OK_PTR(t, "start"))
		goto out;
	/* the links held now, before the command runs */
	n = link_offsets(ml_tracer_pid(t), real, true, offs, sizeof(offs) / sizeof(offs[0]));
	ASSERT_EQ(count_of(offs, n, m->file_offset + m->probe_delta), 1, "malloc's return probe");
	ASSERT_EQ(count_of(offs, n, m->file_offset), 0, "no return probe at malloc's first byte");
	n = link_offsets(ml_tracer_pid(t), real, false, offs, sizeof(offs) / sizeof(offs[0]));
	ASSERT_EQ(count_of(offs, n, m->file_offset + m->probe_delta), 1, "malloc's entry probe");
	ASSERT_EQ(count_of(offs, n, m->file_offset), 0, "no entry probe at malloc's first byte");
	ASSERT_EQ(count_of(offs, n, lib->fn[ML_FN_FREE].file_offset + lib->fn[ML_FN_FREE].probe_delta),
		  1, "free's entry probe");
	snprintf(want, sizeof(want), "entry+return +%-4u %-8s emulated", m->probe_delta, m->insn);
	ASSERT_TRUE(listed(ml_tracer_stderr(t), lib_path, "malloc", want) ||
		    listed(ml_tracer_stderr(t), real, "malloc", want), "-v lists malloc's probes");

	if (!ASSERT_OK(ml_tracer_send(t, "go\n"), "go") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, "workload exit status"), "the workload ran"))
		goto out;
	ASSERT_STRCONTAINS(ml_tracer_stderr(t), "workload exit status 0", "it exited 0");
	stopped = true;
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
	if (!ASSERT_OK_PTR(final, "final report"))
		goto out;
	pid = report_pid_of(final, "alloc_funcs");
	ASSERT_EQ(site_bytes(final, pid, "leak_malloc"), 3000, "malloc");
	ASSERT_EQ(site_count(final, pid, "leak_malloc"), 3, "malloc count");
	assert_caller(final, pid, "leak_malloc", "malloc");
	ASSERT_EQ(site_bytes(final, pid, "leak_calloc"), 1000, "calloc");
	ASSERT_EQ(site_bytes(final, pid, "leak_realloc_null"), 1234, "realloc(NULL, n)");
	ASSERT_EQ(site_count(final, pid, "leak_realloc_null"), 1, "realloc counted once");
	ASSERT_EQ(site_bytes(final, pid, "leak_reallocarray"), 700, "reallocarray");
	ASSERT_EQ(site_count(final, pid, "leak_reallocarray"), 1, "reallocarray counted once");
	ASSERT_EQ(site_bytes(final, pid, "leak_posix_memalign"), 4000, "posix_memalign");
	ASSERT_EQ(site_bytes(final, pid, "leak_aligned_alloc"), 512, "aligned_alloc");
	ASSERT_EQ(site_bytes(final, pid, "leak_memalign"), 1536, "memalign");
	ASSERT_EQ(site_bytes(final, pid, "leak_valloc"), 5000, "valloc");
	ASSERT_EQ(site_bytes(final, pid, "leak_pvalloc"), 3000, "pvalloc");
	ASSERT_EQ(site_count(final, pid, "malloc_then_free"), 0, "freed blocks");
	ASSERT_EQ(site_count(final, pid, "failed_malloc"), 0, "failed malloc");
	ASSERT_EQ(site_count(final, pid, "failed_realloc"), 0, "failed realloc");
	ASSERT_EQ(site_bytes(final, pid, "keep_for_failed_realloc"), 2222, "kept by a failed realloc");
	/* all that main allocated (the libraries' constructors allocate too) */
	ASSERT_EQ(site_bytes(final, pid, "main"),
		  3000 + 1000 + 1234 + 700 + 4000 + 512 + 1536 + 5000 + 3000 + 2222, "under main");
	ASSERT_EQ(site_count(final, pid, "main"), 12, "blocks under main");
out:
	if (other)
		other_uretprobe_remove();
	if (t && !stopped)
		ml_tracer_stop(t, SIGINT, &final);
	json_decref(final);
	ml_tracer_free(t);
	free(saved);
	allocators__free(a);
}

void test_e2e_placement_preloaded(void)
{
	static const char *const walks[] = { "auto", "fp" };
	char copy[PATH_MAX], name[96];
	size_t i;

	if (!test__require_root())
		return;
	if (test__start_subtest("jemalloc"))
		check_placed(LIBDIR "libjemalloc.so.2", false, "auto");
	if (test__start_subtest("tcmalloc"))
		check_placed(LIBDIR "libtcmalloc_minimal.so.4", false, "auto");
	/* a private copy: the other probe touches no other process */
	for (i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		snprintf(name, sizeof(name), "another tool's return probe on malloc's first byte, "
			 "--unwind %s", walks[i]);
		if (test__start_subtest(name) &&
		    ASSERT_OK_PTR(realpath(".output/fixtures/jemalloc/libjemalloc.so.2", copy),
				  "the copy of jemalloc"))
			check_placed(copy, true, walks[i]);
	}
}

/* sample_nested under --sample-bytes 1K, a private libstdc++ with another
 * tool's return probe on new[]'s first byte: new[]'s calls are estimated
 * as plain malloc's are (100-byte calls sampled with p = 0.093: a standard
 * deviation of 1.8%; misread, the trampoline took 9 in 10 of them).
 */
void test_e2e_placement_other_probe_sampling(void)
{
	const char *extra[] = { "--sample-bytes", "1K", NULL };
	const char *old = getenv("LD_LIBRARY_PATH");
	char *saved = old ? strdup(old) : NULL, copy[PATH_MAX], dir[PATH_MAX];
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib = NULL;
	const struct alloc_func *f;
	struct ml_run r = { 0 };
	json_t *rep = NULL;
	pid_t pid;

	if (!test__require_root())
		goto out;
	if (!ASSERT_OK_PTR(realpath(".output/fixtures/libstdcxx/libstdc++.so.6", copy),
			   "the copy of libstdc++"))
		goto out;
	lib = a ? allocators__inspect(a, copy, NULL) : NULL;
	if (!ASSERT_OK_PTR(lib, copy))
		goto out;
	f = &lib->fn[ML_FN_CXX_NEW_ARRAY];
	if (!ASSERT_GT(f->probe_delta, 0, "new[]'s probes past its first byte") ||
	    !ASSERT_TRUE(other_uretprobe(copy, f->file_offset), "a tracefs uretprobe"))
		goto out;
	snprintf(dir, sizeof(dir), "%s", copy);
	*strrchr(dir, '/') = '\0';
	setenv("LD_LIBRARY_PATH", dir, 1);
	rep = run_workload(&r, "sample_nested", extra);
	if (saved)
		setenv("LD_LIBRARY_PATH", saved, 1);
	else
		unsetenv("LD_LIBRARY_PATH");
	other_uretprobe_remove();
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "sample_nested");
	ASSERT_GT(site_count(rep, pid, "nested_new()"), SN_N * 85 / 100, "new[] estimated");
	ASSERT_LT(site_count(rep, pid, "nested_new()"), SN_N * 115 / 100, "new[] estimated");
	ASSERT_GT(site_count(rep, pid, "plain_malloc()"), SN_N * 85 / 100, "malloc estimated");
	ASSERT_LT(site_count(rep, pid, "plain_malloc()"), SN_N * 115 / 100, "malloc estimated");
out:
	ml_run_release(&r);
	free(saved);
	allocators__free(a);
}
