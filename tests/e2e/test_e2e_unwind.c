// SPDX-License-Identifier: GPL-2.0
/* End to end: stacks walked by the CFI (.eh_frame) of programs built
 * without frame pointers, as users run them, with memleakbpf's default
 * unwinding (--unwind auto):
 *   test_e2e_unwind_c       a C program (-O2 -fomit-frame-pointer): sites on
 *                           the main thread and two threads, glibc's own
 *                           allocations (strdup, getline, fopen's FILE and
 *                           its buffer, a qsort comparator), and a library
 *                           it dlopen()s while traced
 *   test_e2e_unwind_cxx     C++: operator new, from the program and from
 *                           libstdc++
 *   test_e2e_unwind_python  Debian's python3.11 holding 20 MB of bytearrays
 *   test_e2e_unwind_redis   Debian's redis-server (jemalloc) filled by
 *                           redis-benchmark
 *   test_e2e_unwind_node    node --perf-basic-prof: a Buffer leak's JS frames
 *   test_e2e_unwind_modes   --unwind fp gives the frames of before the CFI
 *                           walk; --unwind dwarf walks the C program
 * Every site's bytes are exact, and its frames are held against the whole
 * stack, from the allocator to the outermost frame (_start, or __clone3
 * for a thread): each named frame present, in order, and (but for redis,
 * whose binary names only its exported functions) no frame without a name.
 *
 * Each run passes --json, --top 1000 (every stack, not the first 10) and
 * --interval 1h (reports only when the test asks for one): none of them
 * changes how a stack is walked.
 */
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "e2e.h"

#define PYTHON_BIN "/usr/bin/python3.11"
#define REDIS_SERVER "/usr/bin/redis-server"
#define REDIS_CLI "/usr/bin/redis-cli"
#define REDIS_BENCHMARK "/usr/bin/redis-benchmark"
#define NODE_BIN "/usr/bin/node"
#define UNWIND_SCRIPTS "tests/workloads/unwind"

/* ---- frames ---- */

static const char *frame_fn(json_t *frame)
{
	return json_string_value(json_object_get(frame, "function"));
}

static bool frame_named(json_t *frame)
{
	const char *fn = frame_fn(frame);

	return fn && *fn && strcmp(fn, "[unknown]");
}

static void log_stack(const char *why, json_t *stack)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	fprintf(stderr, "  %s: pid %lld, %s, %lld bytes in %lld blocks, %zu frames:\n", why,
		json_integer_value(json_object_get(stack, "pid")),
		json_string_value(json_object_get(stack, "category")) ?: "?",
		json_integer_value(json_object_get(stack, "outstanding_bytes")),
		json_integer_value(json_object_get(stack, "outstanding_count")), json_array_size(frames));
	json_array_foreach(frames, i, f)
		fprintf(stderr, "    #%-2zu %-18s %s%s  %s+%lld\n", i,
			json_string_value(json_object_get(f, "addr")) ?: "?",
			frame_fn(f) ?: "(no name)",
			json_is_true(json_object_get(f, "inlined")) ? " (inlined)" : "",
			json_string_value(json_object_get(f, "module")) ?: "(no module)",
			json_integer_value(json_object_get(f, "module_offset")));
}

/* A pattern of a whole stack, frame 0 (the allocator) to the last:
 *   "name"   a frame whose function is exactly name
 *   "~part"  a frame whose function contains part
 *   "*"      any one frame
 *   "..."    any frames, none or many
 */
static bool token_matches(const char *tok, json_t *frame)
{
	const char *fn = frame_fn(frame);

	if (!strcmp(tok, "*"))
		return true;
	if (!fn)
		return false;
	if (tok[0] == '~')
		return strstr(fn, tok + 1) != NULL;
	return !strcmp(tok, fn);
}

static bool match_from(json_t *frames, size_t fi, const char *const *pat)
{
	size_t n = json_array_size(frames), k;

	if (!*pat)
		return fi == n;
	if (!strcmp(*pat, "...")) {
		for (k = fi; k <= n; k++)
			if (match_from(frames, k, pat + 1))
				return true;
		return false;
	}
	return fi < n && token_matches(*pat, json_array_get(frames, fi)) &&
	       match_from(frames, fi + 1, pat + 1);
}

static bool stack_matches(json_t *stack, const char *const *pat)
{
	return match_from(json_object_get(stack, "frames"), 0, pat);
}

static void log_pattern(const char *const *pat)
{
	fprintf(stderr, "  expected:");
	for (; *pat; pat++)
		fprintf(stderr, " %s%s", *pat, pat[1] ? " <" : "\n");
}

static int unnamed_frames(json_t *stack)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;
	int n = 0;

	json_array_foreach(frames, i, f)
		n += !frame_named(f);
	return n;
}

/* The first frame whose function contains part, or NULL. */
static json_t *frame_containing(json_t *stack, const char *part)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f)
		if (frame_fn(f) && strstr(frame_fn(f), part))
			return f;
	return NULL;
}

static bool stack_is(json_t *s, pid_t pid, const char *cat)
{
	const char *c = json_string_value(json_object_get(s, "category"));

	return json_integer_value(json_object_get(s, "pid")) == pid && c && !strcmp(c, cat);
}

/* A site: every stack of pid and category cat with a frame whose function
 * is fn ("~part": contains part).  Its bytes and blocks (count < 0: not
 * checked) are exact, and every one of its stacks is the pattern, with
 * every frame named when all_named.
 */
static void check_site_cat(json_t *rep, pid_t pid, const char *cat, const char *fn, long long bytes,
			   long long count, const char *const *pat, bool all_named)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	long long got_bytes = 0, got_count = 0;
	int nstacks = 0;
	size_t i;

	json_array_foreach(stacks, i, s) {
		bool in = fn[0] == '~' ? frame_containing(s, fn + 1) != NULL : stack_frame_index(s, fn) >= 0;

		if (!stack_is(s, pid, cat) || !in)
			continue;
		nstacks++;
		got_bytes += json_integer_value(json_object_get(s, "outstanding_bytes"));
		got_count += json_integer_value(json_object_get(s, "outstanding_count"));
		if (!ASSERT_TRUE(stack_matches(s, pat), fn)) {
			log_pattern(pat);
			log_stack("the stack", s);
		} else if (all_named && !ASSERT_EQ(unnamed_frames(s), 0, "frames without a name")) {
			log_stack("the stack", s);
		}
	}
	if (!ASSERT_GT(nstacks, 0, fn))
		return;
	ASSERT_EQ(got_bytes, bytes, "outstanding bytes");
	if (count >= 0)
		ASSERT_EQ(got_count, count, "outstanding blocks");
}

static void check_site(json_t *rep, pid_t pid, const char *fn, long long bytes, long long count,
		       const char *const *pat)
{
	check_site_cat(rep, pid, "native", fn, bytes, count, pat, true);
}

static long long stack_bytes(json_t *s)
{
	return json_integer_value(json_object_get(s, "outstanding_bytes"));
}

/* The native stacks of pid, most bytes first: up to max of them. */
static int top_native(json_t *rep, pid_t pid, json_t **out, int max)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	size_t i;
	int n = 0, k;

	json_array_foreach(stacks, i, s) {
		long long b = stack_bytes(s);

		if (!stack_is(s, pid, "native"))
			continue;
		if (n < max)
			n++;
		else if (stack_bytes(out[max - 1]) >= b)
			continue;
		for (k = n - 1; k > 0 && stack_bytes(out[k - 1]) < b; k--)
			out[k] = out[k - 1];
		out[k] = s;
	}
	return n;
}

/* ---- a traced command, driven through its stdin ---- */

static struct ml_tracer *trace_command(const char *const *extra, const char *const *cmd)
{
	const char *args[48];
	int n = 0, i;

	args[n++] = "--json";
	args[n++] = "--top";
	args[n++] = "1000";
	args[n++] = "--interval";
	args[n++] = "1h";
	for (i = 0; extra && extra[i] && n < 30; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	for (i = 0; cmd[i] && n < 47; i++)
		args[n++] = cmd[i];
	args[n] = NULL;
	return ml_tracer_start(args);
}

static bool send_and_wait(struct ml_tracer *t, const char *line, const char *done)
{
	return ASSERT_OK(ml_tracer_send(t, line), line) && ASSERT_TRUE(ml_tracer_wait_stderr(t, done), done);
}

/* A report now, kept past the tracer's next one. */
static json_t *report_now(struct ml_tracer *t)
{
	json_t *rep = ml_tracer_report(t);

	if (!ASSERT_OK_PTR(rep, "report"))
		return NULL;
	return json_incref(rep);
}

/* "q" to the command (it exits), then memleakbpf's own end. */
static void finish(struct ml_tracer *t, const char *quit)
{
	json_t *final = NULL;

	if (!t)
		return;
	if (quit)
		ml_tracer_send(t, quit);
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
	json_decref(final);
	ml_tracer_free(t);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void log_duration(const char *what, uint64_t start)
{
	fprintf(stderr, "  %s: %.1f s\n", what, (now_ms() - start) / 1000.0);
}

static bool have_binary(const char *path)
{
	char why[PATH_MAX + 64];

	if (access(path, X_OK) == 0)
		return true;
	snprintf(why, sizeof(why), "%s not found (tools/install-deps.sh installs it)", path);
	test__skip(why);
	return false;
}

/* A workload of tests/unwind.mk: `make test` builds them (and a first
 * build of the runner); an up-to-date runner does not rebuild one.
 */
static bool have_workload(const char *name)
{
	const char *path = workload_path(name);

	if (access(path, X_OK) == 0)
		return true;
	TEST_FAIL_("%s is not built: make %s (or make test)", path, path);
	return false;
}

/* ---- the C program ---- */

/* st_blksize: what glibc gives a FILE's buffer (_IO_file_doallocate). */
static long long blksize_of_path(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_blksize;
}

static long long blksize_of_pipe(void)
{
	struct stat st;
	int p[2];
	long long n;

	if (pipe(p))
		return -1;
	n = fstat(p[0], &st) ? -1 : (long long)st.st_blksize;
	close(p[0]);
	close(p[1]);
	return n;
}

/* nofp_leaks through its steps: its sites, "go" (stdin's buffer), "load"
 * (dlopen and the library's first allocations), "again" (the library
 * once memleakbpf has seen it); a report then.
 */
static json_t *nofp_run(const char *const *extra, pid_t *pid)
{
	const char *cmd[] = { workload_path("nofp_leaks"), NULL };
	struct ml_tracer *t;
	json_t *rep = NULL;

	*pid = -1;
	if (!have_workload("nofp_leaks") || !have_workload("libnofp_plugin.so"))
		return NULL;
	t = trace_command(extra, cmd);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return NULL;
	/* A report between "load" and "again": memleakbpf applies every
	 * event before it reports, the library's mapping among them, so that
	 * "again" runs once memleakbpf has seen the library.
	 */
	if (ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready"), "the workload is ready") &&
	    send_and_wait(t, "go\n", "done go") && send_and_wait(t, "load\n", "done load") &&
	    ASSERT_OK_PTR(ml_tracer_report(t), "a report after the dlopen") &&
	    send_and_wait(t, "again\n", "done again"))
		rep = report_now(t);
	finish(t, "q\n");
	if (rep) {
		*pid = report_pid_of(rep, "nofp_leaks");
		ASSERT_GT(*pid, 0, "nofp_leaks in the report");
	}
	return rep;
}

/* Whether memleakbpf reads stack words through the direct map here:
 * x86-64 with 4-level page tables (no la57 flag).
 */
static bool direct_reads_here(void)
{
#if defined(__x86_64__)
	char line[8192];
	bool la57 = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			la57 = strstr(line, " la57 ") || strstr(line, " la57\n");
			break;
		}
	fclose(f);
	return !la57;
#else
	return false;
#endif
}

#define FROM_MAIN "main", "__libc_start_call_main", "...", "_start", NULL

/* The process's native bytes in stacks that match pat. */
static long long pattern_bytes(json_t *rep, pid_t pid, const char *const *pat)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	long long sum = 0;
	size_t i;

	json_array_foreach(stacks, i, s)
		if (stack_is(s, pid, "native") && stack_matches(s, pat))
			sum += json_integer_value(json_object_get(s, "outstanding_bytes"));
	return sum;
}

/* Everything the C program's sites must show, by whichever walk of the
 * tables (auto or dwarf).
 */
static bool nofp_subtest(const char *mode, const char *name)
{
	char full[160];

	snprintf(full, sizeof(full), "%s%s", mode, name);
	return test__start_subtest(full);
}

static void check_nofp_sites(json_t *rep, pid_t pid, const char *mode)
{
	if (nofp_subtest(mode, "deep chain: a VLA frame, six saved registers, an 8 KiB frame")) {
		const char *pat[] = { "malloc", "deep_leaf", "deep_c", "deep_b", "deep_a", FROM_MAIN };

		check_site(rep, pid, "deep_leaf", 3 * 1000, 3, pat);
	}
	if (nofp_subtest(mode, "twin callers, malloc entered alike: each its own stack")) {
		const char *pat_a[] = { "malloc", "twin_leaf", "twin_a", "run_twins", FROM_MAIN };
		const char *pat_b[] = { "malloc", "twin_leaf", "twin_b", "run_twins", FROM_MAIN };

		ASSERT_EQ(pattern_bytes(rep, pid, pat_a), 50 * 300, "by twin_a");
		ASSERT_EQ(pattern_bytes(rep, pid, pat_b), 50 * 500, "by twin_b");
	}
	if (nofp_subtest(mode, "one stack forty times")) {
		const char *pat[] = { "malloc", "repeat_leaf", "run_repeat", FROM_MAIN };

		check_site(rep, pid, "repeat_leaf", 40 * 64, 40, pat);
	}
	if (nofp_subtest(mode, "calloc")) {
		const char *pat[] = { "calloc", "make_table", FROM_MAIN };

		check_site(rep, pid, "make_table", 1600, 1, pat);
	}
	if (nofp_subtest(mode, "realloc")) {
		const char *pat[] = { "realloc", "grow_buffer", FROM_MAIN };

		check_site(rep, pid, "grow_buffer", 5000, 1, pat);
	}
	if (nofp_subtest(mode, "thread one reaches start_thread")) {
		const char *pat[] = { "malloc", "one_leaf", "one_fill", "thread_one", "start_thread", "__clone3", NULL };

		check_site(rep, pid, "one_leaf", 4 * 300, 4, pat);
	}
	if (nofp_subtest(mode, "thread two reaches start_thread")) {
		const char *pat[] = { "malloc", "two_leaf", "two_fill", "thread_two", "start_thread", "__clone3", NULL };

		check_site(rep, pid, "two_leaf", 3 * 500, 3, pat);
	}
	if (nofp_subtest(mode, "glibc: strdup")) {
		/* the walk goes through strdup (libc's CFI): no anchor */
		const char *pat[] = { "malloc", "strdup", "copy_name", "run_glibc_set", FROM_MAIN };

		check_site(rep, pid, "copy_name", 23, 1, pat);
	}
	if (nofp_subtest(mode, "glibc: getline")) {
		/* glibc's getdelim starts a line with 120 bytes */
		const char *pat[] = { "malloc", "getdelim", "getline", "read_command", FROM_MAIN };

		check_site(rep, pid, "read_command", 120, 1, pat);
	}
	if (nofp_subtest(mode, "glibc: fopen's FILE")) {
		/* fopen tail-calls __fopen_internal: no frame of its own.  472:
		 * sizeof(struct locked_FILE), glibc 2.36 on x86-64.
		 */
		const char *pat[] = { "malloc", "__fopen_internal", "open_self", "run_glibc_set", FROM_MAIN };

		check_site(rep, pid, "open_self", 472, 1, pat);
	}
	if (nofp_subtest(mode, "glibc: fopen's buffer, at the first read")) {
		const char *pat[] = { "malloc", "_IO_file_doallocate", "...", "_IO_doallocbuf", "...",
				      "read_header", "run_glibc_set", FROM_MAIN };

		check_site(rep, pid, "read_header", blksize_of_path(workload_path("nofp_leaks")), 1, pat);
	}
	if (nofp_subtest(mode, "glibc: stdin's buffer, in fgets")) {
		const char *pat[] = { "malloc", "_IO_file_doallocate", "...", "_IO_doallocbuf", "...", "fgets",
				      "wait_for_go", FROM_MAIN };

		check_site(rep, pid, "wait_for_go", blksize_of_pipe(), 1, pat);
	}
	if (nofp_subtest(mode, "glibc: a qsort comparator that allocates")) {
		const char *pat[] = { "malloc", "build_collation", "compare_names", "...", "qsort_r", "sort_names",
				      "run_glibc_set", FROM_MAIN };

		check_site(rep, pid, "build_collation", 256, 1, pat);
	}
	if (nofp_subtest(mode, "dlopen()ed library, allocating as dlopen returns")) {
		/* These two blocks are made microseconds after ld.so maps
		 * the library, as a library's constructors or a Python
		 * extension's module init allocate: before memleakbpf could
		 * have built its table from the mmap event.  Under -- CMD the
		 * process is stopped at that mmap until the table is in;
		 * without that the walk ended at "malloc < plugin_store".
		 */
		const char *pat[] = { "malloc", "plugin_store", "plugin_parse", "plugin_run", "load_plugin", FROM_MAIN };

		check_site(rep, pid, "plugin_store", 2 * 700, 2, pat);
	}
	if (nofp_subtest(mode, "dlopen()ed library, once memleakbpf has seen it")) {
		const char *pat[] = { "malloc", "plugin_late", "plugin_again", "call_plugin_again", FROM_MAIN };

		check_site(rep, pid, "plugin_late", 2 * 900, 2, pat);
	}
	if (nofp_subtest(mode, "ld.so's allocations in dlopen reach main")) {
		/* link maps, scopes, search paths: sizes are ld.so's own */
		const char *pat[] = { "...", "_dl_open", "...", "load_plugin", FROM_MAIN };
		json_t *stacks = json_object_get(rep, "stacks"), *s;
		int n = 0;
		size_t i;

		json_array_foreach(stacks, i, s) {
			if (!stack_is(s, pid, "native") || stack_frame_index(s, "_dl_open") < 0)
				continue;
			n++;
			if (!ASSERT_TRUE(stack_matches(s, pat), "through dlopen to main") ||
			    !ASSERT_EQ(unnamed_frames(s), 0, "frames without a name"))
				log_stack("the stack", s);
		}
		ASSERT_GT(n, 0, "stacks through _dl_open");
	}
}

void test_e2e_unwind_c(void)
{
	uint64_t start = now_ms();
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = nofp_run(NULL, &pid);
	if (!rep)
		return;
	check_nofp_sites(rep, pid, "");
	if (test__start_subtest("a loop's walks are replayed")) {
		/* repeat_leaf's forty mallocs from one stack (39 replays), and
		 * twin_leaf's hundred, from two stacks malloc is entered alike
		 * from, in turn (98: the two stacks share a set of memos)
		 */
		json_t *u = json_object_get(rep, "unwind");

		ASSERT_GE(json_integer_value(json_object_get(u, "replayed")), 39 + 98 - 10,
			  "walks replayed, all but a few (another thread on the CPU)");
		ASSERT_LT(json_integer_value(json_object_get(u, "replayed")),
			  json_integer_value(json_object_get(u, "walks")), "not every walk");
	}
	if (direct_reads_here() && test__start_subtest("replays read the stack through the direct map")) {
		/* every word of every replay, from the process's page tables
		 * (bpf/umem.bpf.h), checked against a copy until trusted
		 */
		json_t *u = json_object_get(rep, "unwind");

		ASSERT_EQ(json_integer_value(json_object_get(u, "replayed_direct")),
			  json_integer_value(json_object_get(u, "replayed")), "replays read directly");
	}
	if (test__start_subtest("every native stack is whole")) {
		/* from the allocator to _start (__clone3 for a thread,
		 * _dl_start_user for a library's constructor), all named;
		 * plugin_store's are checked above
		 */
		json_t *stacks = json_object_get(rep, "stacks"), *s;
		const char *to_start[] = { "...", "_start", NULL };
		const char *to_clone[] = { "...", "start_thread", "__clone3", NULL };
		const char *to_ldso[] = { "...", "_dl_init", "_dl_start_user", NULL };
		size_t i;

		json_array_foreach(stacks, i, s) {
			if (!stack_is(s, pid, "native") || stack_frame_index(s, "plugin_store") >= 0)
				continue;
			if (!ASSERT_TRUE(stack_matches(s, to_start) || stack_matches(s, to_clone) ||
					 stack_matches(s, to_ldso), "ends at an outermost frame") ||
			    !ASSERT_EQ(unnamed_frames(s), 0, "frames without a name"))
				log_stack("the stack", s);
		}
	}
	json_decref(rep);
	log_duration("test_e2e_unwind_c", start);
}

/* ---- C++ ---- */

void test_e2e_unwind_cxx(void)
{
	const char *cmd[] = { workload_path("nofp_cxx"), NULL };
	uint64_t start = now_ms();
	struct ml_tracer *t;
	json_t *rep = NULL;
	pid_t pid;

	if (!test__require_root() || !have_workload("nofp_cxx"))
		return;
	t = trace_command(NULL, cmd);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready"), "the workload is ready"))
		rep = report_now(t);
	finish(t, "q\n");
	if (!rep)
		return;
	pid = report_pid_of(rep, "nofp_cxx");
	ASSERT_GT(pid, 0, "nofp_cxx in the report");
	if (test__start_subtest("operator new from the program")) {
		const char *pat[] = { "operator new(unsigned long)", "shop::make_widgets()", FROM_MAIN };

		check_site(rep, pid, "shop::make_widgets()", 3 * 48, 3, pat);
	}
	if (test__start_subtest("operator new from libstdc++ (basic_string::reserve)")) {
		/* _M_create is inlined into reserve in Debian's libstdc++ */
		const char *pat[] = { "operator new(unsigned long)", "~basic_string", "shop::reserve_label()", FROM_MAIN };
		const char *reserve = "std::__cxx11::basic_string<char, std::char_traits<char>, "
				      "std::allocator<char> >::reserve(unsigned long)";

		json_t *s = site_stack(rep, pid, reserve);
		json_t *f = s ? json_array_get(json_object_get(s, "frames"), stack_frame_index(s, reserve)) : NULL;

		check_site(rep, pid, reserve, 1001, 1, pat);
		if (ASSERT_OK_PTR(f, "reserve's frame"))
			ASSERT_STRCONTAINS(json_string_value(json_object_get(f, "module")), "libstdc++",
					   "reserve is libstdc++'s");
	}
	if (test__start_subtest("the string and its buffer")) {
		const char *pat[] = { "operator new(unsigned long)", "...", "shop::reserve_label()", FROM_MAIN };

		check_site(rep, pid, "shop::reserve_label()", 32 + 1001, 2, pat);
	}
	json_decref(rep);
	log_duration("test_e2e_unwind_cxx", start);
}

/* ---- Python ---- */

void test_e2e_unwind_python(void)
{
	char script[PATH_MAX];
	const char *cmd[] = { PYTHON_BIN, script, NULL };
	uint64_t start = now_ms();
	struct ml_tracer *t;
	json_t *rep = NULL, *top[1];
	pid_t pid;

	if (!test__require_root() || !have_binary(PYTHON_BIN))
		return;
	if (!ASSERT_OK_PTR(realpath(UNWIND_SCRIPTS "/retain.py", script), "retain.py"))
		return;
	t = trace_command(NULL, cmd);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready"), "the script is ready"))
		rep = report_now(t);
	finish(t, "\n");
	if (!rep)
		return;
	pid = report_pid_of(rep, "python3.11");
	if (ASSERT_GT(pid, 0, "python3.11 in the report") &&
	    ASSERT_EQ(top_native(rep, pid, top, 1) > 0, 1, "native stacks")) {
		json_t *s = top[0];
		/* python3.11's main is one jmp to Py_BytesMain: no frame of
		 * its own, Py_BytesMain's caller is __libc_start_call_main.
		 */
		const char *pat[] = { "malloc", "...", "PyByteArray_Resize", "...", "Py_BytesMain",
				      "__libc_start_call_main", "...", "_start", NULL };
		size_t nframes = json_array_size(json_object_get(s, "frames"));
		bool ok = true;

		if (test__start_subtest("the bytearrays are the largest native site")) {
			/* bytearray(1 MiB): 1 MiB + 1 byte, 20 of them */
			ok &= ASSERT_EQ(json_integer_value(json_object_get(s, "outstanding_bytes")),
					20 * ((1 << 20) + 1), "bytes");
			ok &= ASSERT_EQ(json_integer_value(json_object_get(s, "outstanding_count")), 20, "blocks");
		}
		if (test__start_subtest("its stack: 10 frames named or more, to Py_BytesMain")) {
			ok &= ASSERT_GE((long long)nframes - unnamed_frames(s), 10, "named frames");
			ok &= ASSERT_EQ(unnamed_frames(s), 0, "frames without a name");
			ok &= ASSERT_TRUE(stack_matches(s, pat), "through PyByteArray_Resize to Py_BytesMain");
		}
		if (!ok) {
			log_pattern(pat);
			log_stack("the largest native stack", s);
		}
	}
	json_decref(rep);
	log_duration("test_e2e_unwind_python", start);
}

/* ---- redis ---- */

/* A TCP port on 127.0.0.1 that nobody listens on now (not 6379: the
 * kernel hands out ephemeral ports).
 */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static long long redis_dbsize(const char *port)
{
	const char *args[] = { "-h", "127.0.0.1", "-p", port, "dbsize", NULL };
	struct ml_run r;
	long long n = -1;

	if (!run_program(&r, REDIS_CLI, args) && r.exit_code == 0)
		n = strtoll(r.out, NULL, 10);
	ml_run_release(&r);
	return n;
}

/* "memleakbpf: tracing pid N (...)": the command's pid. */
static pid_t traced_pid(struct ml_tracer *t)
{
	const char *at = strstr(ml_tracer_stderr(t), "tracing pid ");

	return at ? (pid_t)strtol(at + strlen("tracing pid "), NULL, 10) : -1;
}

/* The native bytes of pid's stacks that are the pattern. */
/* Redis's own frames between the allocator and main.  Its binary exports
 * its functions (.dynsym) but its static ones have no name without
 * redis-server-dbgsym: "*" stands for each of those.
 */
#define REDIS_REQUEST "processInputBuffer", "readQueryFromClient", "*", "*", "aeMain", FROM_MAIN

static void check_redis(json_t *rep, pid_t pid, long long keys)
{
	json_t *top[6];
	int n = top_native(rep, pid, top, 6), i, through_set = 0;
	const char *set_path[] = { "...", "setCommand", "call", "processCommand", REDIS_REQUEST };
	const char *whole[] = { "...", FROM_MAIN };

	if (test__start_subtest("the stacks holding the most bytes reach main")) {
		/* The six largest: the keyspace (through setCommand, call and
		 * processCommand), the values redis parsed from the requests
		 * (processMultibulkBuffer: they become the keys' values before
		 * the command runs), and initServer's tables.
		 */
		ASSERT_EQ(n, 6, "six native stacks or more");
		for (i = 0; i < n; i++) {
			bool via_set = stack_matches(top[i], set_path);
			json_t *frames = json_object_get(top[i], "frames"), *f;
			size_t k;

			through_set += via_set;
			if (!ASSERT_TRUE(stack_matches(top[i], whole), "reaches main and _start"))
				log_stack("a top stack", top[i]);
			json_array_foreach(frames, k, f) {
				const char *mod = json_string_value(json_object_get(f, "module"));

				/* a frame without a name is still redis's own code */
				if (!frame_named(f) &&
				    !ASSERT_TRUE(mod && strstr(mod, "/usr/bin/redis"), "an unnamed frame is in redis")) {
					log_stack("a top stack", top[i]);
					break;
				}
			}
		}
		ASSERT_GE(through_set, 3, "top stacks through setCommand, call, processCommand");
	}
	if (test__start_subtest("the keyspace, through setCommand")) {
		/* per key: its dictEntry (24 B) and its name copied by dbAdd
		 * (an sds of type 5: 1 + 16 + 1 B for "key:000000012345")
		 */
		const char *entry[] = { "malloc", "zmalloc", "dictAddRaw", "dbAdd", "setKey", "setGenericCommand",
					"setCommand", "call", "processCommand", REDIS_REQUEST };
		const char *name[] = { "malloc", "zmalloc_usable", "_sdsnewlen", "dbAdd", "setKey",
				       "setGenericCommand", "setCommand", "call", "processCommand", REDIS_REQUEST };

		ASSERT_EQ(pattern_bytes(rep, pid, entry), keys * 24, "dictEntry per key");
		ASSERT_EQ(pattern_bytes(rep, pid, name), keys * 18, "key names per key");
	}
	if (test__start_subtest("the values, parsed from the requests")) {
		/* per key: an sds of type 8 (3 + 100 + 1 B) and its robj (16 B);
		 * createStringObject tail-calls createObject: no frame of its own
		 */
		const char *value[] = { "malloc", "zmalloc_usable", "_sdsnewlen", "createStringObject",
					"processMultibulkBuffer", REDIS_REQUEST };
		const char *robj[] = { "malloc", "zmalloc", "createObject", "processMultibulkBuffer", REDIS_REQUEST };

		ASSERT_EQ(pattern_bytes(rep, pid, value), keys * 104, "value strings");
		ASSERT_EQ(pattern_bytes(rep, pid, robj), keys * 16, "value objects");
	}
}

void test_e2e_unwind_redis(void)
{
	char port[16];
	const char *cmd[] = { REDIS_SERVER, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
			      "no", "--logfile", "/dev/stderr", NULL };
	const char *bench[] = { "-h", "127.0.0.1", "-p", port, "-t", "set", "-n", "20000", "-r", "100000",
				"-d", "100", "-q", NULL };
	const char *shutdown[] = { "-h", "127.0.0.1", "-p", port, "shutdown", "nosave", NULL };
	uint64_t start = now_ms();
	struct ml_tracer *t;
	struct ml_run r;
	json_t *rep = NULL, *final = NULL;
	long long keys = -1;
	pid_t server;

	if (!test__require_root() || !have_binary(REDIS_SERVER) || !have_binary(REDIS_CLI) ||
	    !have_binary(REDIS_BENCHMARK))
		return;
	if (!ASSERT_GT(snprintf(port, sizeof(port), "%d", free_port()), 1, "a free port"))
		return;
	/* its log on stderr: memleakbpf's reports are on stdout */
	t = trace_command(NULL, cmd);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	server = traced_pid(t);
	if (ASSERT_GT(server, 0, "redis-server's pid") &&
	    ASSERT_TRUE(ml_tracer_wait_stderr(t, "Ready to accept connections"), "redis is ready")) {
		uint64_t b0 = now_ms();

		if (ASSERT_OK(run_program(&r, REDIS_BENCHMARK, bench), "redis-benchmark") &&
		    !ASSERT_EQ(r.exit_code, 0, "redis-benchmark exit code"))
			fprintf(stderr, "  %s%s\n", r.out, r.err);
		ml_run_release(&r);
		log_duration("redis-benchmark under memleakbpf", b0);
		keys = redis_dbsize(port);
		if (ASSERT_GT(keys, 10000, "keys in redis"))
			rep = report_now(t);
	}
	if (server > 0) {
		ASSERT_OK(run_program(&r, REDIS_CLI, shutdown), "redis-cli shutdown nosave");
		ml_run_release(&r);
		/* redis is gone and memleakbpf ends with it: its final report */
		ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
		if (!kill(server, 0)) {
			ASSERT_TRUE(false, "redis-server still runs after its shutdown");
			kill(server, SIGKILL);
		}
	} else {
		ml_tracer_stop(t, SIGINT, &final);
	}
	json_decref(final);
	ml_tracer_free(t);
	if (rep) {
		pid_t pid = report_pid_of(rep, "redis-server");

		if (ASSERT_EQ(pid, server, "redis-server in the report"))
			check_redis(rep, pid, keys);
	}
	json_decref(rep);
	log_duration("test_e2e_unwind_redis", start);
}

/* ---- Node.js ---- */

static void node_cleanup(pid_t pid)
{
	char path[64];
	glob_t g;
	size_t k;

	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
	unlink(path);
	snprintf(path, sizeof(path), "isolate-0x*-%d-v8.log", (int)pid);
	if (!glob(path, 0, NULL, &g)) {
		for (k = 0; k < g.gl_pathc; k++)
			unlink(g.gl_pathv[k]);
		globfree(&g);
	}
}

void test_e2e_unwind_node(void)
{
	char script[PATH_MAX];
	/* --perf-basic-prof: what names JIT code (a user's flag, not ours) */
	const char *cmd[] = { NODE_BIN, "--perf-basic-prof", script, NULL };
	uint64_t start = now_ms();
	struct ml_tracer *t;
	json_t *rep = NULL;
	pid_t pid = -1;

	if (!test__require_root() || !have_binary(NODE_BIN))
		return;
	if (!ASSERT_OK_PTR(realpath(UNWIND_SCRIPTS "/buffer_hold.js", script), "buffer_hold.js"))
		return;
	t = trace_command(NULL, cmd);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready pid="), "the script is ready") &&
	    send_and_wait(t, "go\n", "done go"))
		rep = report_now(t);
	finish(t, "q\n");
	if (rep) {
		pid = report_pid_of(rep, "node");
		if (ASSERT_GT(pid, 0, "node in the report") && test__start_subtest("a Buffer leak: JS frames to node::Start")) {
			/* node's main is one jmp to node::Start: no frame of
			 * its own, node::Start's caller is __libc_start_call_main
			 */
			const char *pat[] = { "...", "~holdBuffer", "...", "node::Start(int, char**)",
					      "__libc_start_call_main", "...", "_start", NULL };
			json_t *stacks = json_object_get(rep, "stacks"), *s;
			size_t i;

			check_site_cat(rep, pid, "buffer", "~holdBuffer", 64 * 65536, 64, pat, true);
			/* holdBuffer's frame is V8's code, named from the perf map:
			 * "JS:^holdBuffer" (baseline) or "JS:*holdBuffer" (optimized)
			 */
			json_array_foreach(stacks, i, s) {
				json_t *f = stack_is(s, pid, "buffer") ? frame_containing(s, "holdBuffer") : NULL;

				if (f && (!ASSERT_TRUE(!strncmp(frame_fn(f), "JS:", 3), "holdBuffer's frame is JS code") ||
					  !ASSERT_TRUE(json_is_true(json_object_get(f, "jit")), "holdBuffer's frame is JIT code")))
					log_stack("the stack", s);
			}
		}
	}
	node_cleanup(pid);
	json_decref(rep);
	log_duration("test_e2e_unwind_node", start);
}

/* ---- --unwind fp and --unwind dwarf ---- */

/* The stepper through A, B, O: a report. */
static json_t *stepper_run(const char *const *extra, pid_t *pid)
{
	struct ml_tracer *t;
	json_t *rep = NULL;

	*pid = -1;
	if (!have_workload("stepper"))
		return NULL;
	t = stepper_start(extra);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return NULL;
	if (ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready"), "stepper is ready") && stepper_step(t, 'A') &&
	    stepper_step(t, 'B') && stepper_step(t, 'O'))
		rep = report_now(t);
	finish(t, "q\n");
	if (rep)
		*pid = report_pid_of(rep, "stepper");
	return rep;
}

void test_e2e_unwind_modes(void)
{
	uint64_t start = now_ms();
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	/* The frame-pointer walk, as memleakbpf walked every stack before
	 * the CFI tables (the same frames, checked against that build): it
	 * ends at __libc_start_call_main, which keeps no frame pointer.
	 */
	{
		const char *fp[] = { "--unwind", "fp", NULL };

		rep = stepper_run(fp, &pid);
		if (rep) {
			if (test__start_subtest("fp: stepper's frames as before")) {
				const char *big[] = { "malloc", "steady_big", "main", "__libc_start_call_main", NULL };
				const char *rise[] = { "malloc", "rising", "main", "__libc_start_call_main", NULL };
				const char *old[] = { "malloc", "old_blocks", "main", "__libc_start_call_main", NULL };

				check_site(rep, pid, "steady_big", 4 << 20, 4, big);
				check_site(rep, pid, "rising", 3 << 20, 3, rise);
				check_site(rep, pid, "old_blocks", 16 * 4096, 16, old);
			}
			if (test__start_subtest("fp: glibc's frames stop the walk, as before")) {
				/* stdin's buffer: fgets keeps no frame pointer */
				const char *buf[] = { "malloc", "_IO_file_doallocate", NULL };

				check_site(rep, pid, "_IO_file_doallocate", blksize_of_pipe(), 1, buf);
			}
			json_decref(rep);
		}
	}
	/* The default walks the same frames further. */
	rep = stepper_run(NULL, &pid);
	if (rep) {
		if (test__start_subtest("auto: stepper's frames, then to _start")) {
			const char *big[] = { "malloc", "steady_big", FROM_MAIN };
			const char *rise[] = { "malloc", "rising", FROM_MAIN };
			const char *buf[] = { "malloc", "_IO_file_doallocate", "...", "fgets", FROM_MAIN };

			check_site(rep, pid, "steady_big", 4 << 20, 4, big);
			check_site(rep, pid, "rising", 3 << 20, 3, rise);
			check_site(rep, pid, "_IO_file_doallocate", blksize_of_pipe(), 1, buf);
		}
		json_decref(rep);
	}
	/* --unwind fp on the program without frame pointers: the caller
	 * (read at the stack pointer) and no further, as before: what shows
	 * that the CFI walk is what finds its frames.
	 */
	{
		const char *fp[] = { "--unwind", "fp", NULL };

		rep = nofp_run(fp, &pid);
		if (rep) {
			if (test__start_subtest("fp: no frame pointers, the caller only")) {
				const char *deep[] = { "malloc", "deep_leaf", NULL };

				check_site(rep, pid, "deep_leaf", 3000, 3, deep);
			}
			/* strdup and getdelim keep no frame pointer: their
			 * callers come from the stack taken at their entry (the
			 * libc anchors, attached under --unwind fp only)
			 */
			if (test__start_subtest("fp: strdup's caller, from its entry")) {
				const char *dup[] = { "strdup", "copy_name", NULL };

				check_site(rep, pid, "copy_name", 23, 1, dup);
			}
			if (test__start_subtest("fp: getline's caller, from its entry")) {
				const char *line[] = { "getdelim", "getline", "read_command", NULL };

				check_site(rep, pid, "read_command", 120, 1, line);
			}
			json_decref(rep);
		}
	}
	/* The stack words copied with bpf_probe_read_user(), as where the
	 * direct map cannot be used: the same sites, none read directly.
	 * Then every word read through it a word off, as a wrong translation
	 * would: the first check catches it, and every site is still exact.
	 */
	{
		static const struct {
			const char *var, *value, *name;
		} ways[] = {
			{ "MEMLEAKBPF_DIRECT_READS", "0", "copied: " },
			{ "MEMLEAKBPF_DIRECT_SKEW", "8", "words read a word off: " },
		};
		size_t w;

		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			char name[96];

			setenv(ways[w].var, ways[w].value, 1);
			rep = nofp_run(NULL, &pid);
			unsetenv(ways[w].var);
			if (!rep)
				continue;
			check_nofp_sites(rep, pid, ways[w].name);
			snprintf(name, sizeof(name), "%snone replayed directly", ways[w].name);
			if (test__start_subtest(name)) {
				json_t *u = json_object_get(rep, "unwind");

				ASSERT_GT(json_integer_value(json_object_get(u, "replayed")), 39 + 98 - 10,
					  "walks replayed");
				ASSERT_EQ(json_integer_value(json_object_get(u, "replayed_direct")), 0,
					  "replays read directly");
			}
			json_decref(rep);
		}
	}
	/* --unwind dwarf: tables only, every site of the C program. */
	{
		const char *dwarf[] = { "--unwind", "dwarf", NULL };

		rep = nofp_run(dwarf, &pid);
		if (rep) {
			check_nofp_sites(rep, pid, "dwarf: ");
			json_decref(rep);
		}
	}
	log_duration("test_e2e_unwind_modes", start);
}
