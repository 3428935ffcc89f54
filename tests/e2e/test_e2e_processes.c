/* End to end: children by fork and exec, processes that exit. */
#include <string.h>
#include "e2e.h"

void test_e2e_fork_exec(void)
{
	json_t *rep, *procs, *p;
	pid_t parent, child = -1, execd = -1;
	struct ml_run r;
	size_t i;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "forker", NULL);
	if (!rep)
		goto out;
	parent = report_pid_of(rep, "forker");
	execd = report_pid_of(rep, "exec_target");
	procs = json_object_get(rep, "processes");
	json_array_foreach(procs, i, p) {
		pid_t pid = json_integer_value(json_object_get(p, "pid"));

		if (pid != parent && site_bytes(rep, pid, "child_leak") == 2222)
			child = pid;
	}
	if (test__start_subtest("parent"))
		ASSERT_EQ(site_bytes(rep, parent, "parent_leak"), 1111, "bytes");
	if (test__start_subtest("forked child")) {
		ASSERT_GT(child, 0, "child found");
		ASSERT_EQ(site_bytes(rep, child, "child_leak"), 2222, "bytes");
		ASSERT_EQ(site_bytes(rep, child, "parent_leak"), 0, "parent's blocks are not the child's");
	}
	if (test__start_subtest("exec'd child")) {
		ASSERT_GT(execd, 0, "exec_target found");
		ASSERT_EQ(site_bytes(rep, execd, "exec_leak"), 3333, "bytes");
		ASSERT_EQ(site_bytes(rep, execd, "child_leak"), 0, "old image dropped at exec");
	}
	if (test__start_subtest("all exited")) {
		json_array_foreach(procs, i, p)
			ASSERT_TRUE(json_is_true(json_object_get(p, "exited")), "exited");
	}
out:
	ml_run_release(&r);
}
