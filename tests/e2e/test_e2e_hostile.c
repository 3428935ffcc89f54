// SPDX-License-Identifier: GPL-2.0
/* tests/e2e/test_e2e_hostile.c: odd targets.
 *
 *   test_e2e_hostile_binary_gone  first_alloc run from a copy that is then
 *                                 deleted, or replaced by another program
 *                                 (a new inode at the same path): its
 *                                 3,000,000 bytes keep their function
 *                                 names, read through /proc/PID/map_files,
 *                                 never the other program's, and the module
 *                                 says "(deleted)".
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "e2e.h"

#define FIRST_SIZE 3000000

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	size_t n;
	bool ok = in && out;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out))
		ok = false;
	return ok && chmod(to, 0755) == 0;
}

/* Run first_alloc from dir/first_alloc under -p; then how (deleted or
 * replaced by stepper) before it allocates; check the report.
 */
static void binary_gone(const char *dir, bool replace)
{
	const char *wargs[] = { "--gate", "--wait", NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "-p", NULL, NULL };
	char exe[PATH_MAX], other[PATH_MAX], pid_arg[16], want[PATH_MAX + 16];
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *rep, *s, *frames, *final = NULL;
	int i;

	snprintf(exe, sizeof(exe), "%s/first_alloc", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	if (!ASSERT_TRUE(copy_file(workload_path("first_alloc"), exe), "copy first_alloc") ||
	    !ASSERT_OK(workload_start_program(&w, exe, wargs), "start the copy"))
		goto out;
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.pid);
	args[6] = pid_arg;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	if (replace) {
		/* another program at the same path: a new inode */
		if (!ASSERT_TRUE(copy_file(workload_path("stepper"), other), "copy stepper") ||
		    !ASSERT_OK(rename(other, exe), "replace the binary"))
			goto out;
	} else if (!ASSERT_OK(unlink(exe), "delete the binary")) {
		goto out;
	}
	kill(w.pid, SIGUSR2);
	if (!ASSERT_TRUE(workload_wait(&w, "done"), "allocated"))
		goto out;
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	ASSERT_EQ(site_bytes(rep, w.pid, "first_alloc_site"), FIRST_SIZE, "its bytes, by name");
	s = site_stack(rep, w.pid, "first_alloc_site");
	if (!ASSERT_OK_PTR(s, "its stack"))
		goto out;
	frames = json_object_get(s, "frames");
	i = stack_frame_index(s, "first_alloc_site");
	snprintf(want, sizeof(want), "%s (deleted)", exe);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, i), "module")), want,
		     "the module says it is gone");
	ASSERT_EQ(stack_frame_index(s, "main"), i + 1, "main follows, from the same file");
out:
	if (w.pid > 0)
		workload_stop(&w);
	if (t) {
		ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
	unlink(exe);
	unlink(other);
}

void test_e2e_hostile_binary_gone(void)
{
	char dir[] = "/tmp/memleakbpf-gone.XXXXXX";

	if (!test__require_root())
		return;
	if (!ASSERT_OK_PTR(mkdtemp(dir), "temporary directory"))
		return;
	if (test__start_subtest("deleted while traced"))
		binary_gone(dir, false);
	if (test__start_subtest("replaced by another program while traced"))
		binary_gone(dir, true);
	rmdir(dir);
}
