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
 *   test_e2e_hostile_killed       four threads churning malloc, realloc and
 *                                 free, killed (SIGKILL) mid-call: once its
 *                                 exit is reported, memleakbpf's block and
 *                                 site tables hold no entry of it.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "e2e.h"
#include "memleak.h"

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

/* The fd of memleakbpf's (pid ml) BPF map called name, or -1. */
static int map_of(pid_t ml, const char *name)
{
	char dir[64], path[384], line[256];
	struct bpf_map_info info;
	__u32 id, len;
	struct dirent *de;
	int fd = -1, mfd;
	DIR *d;
	FILE *f;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", ml);
	d = opendir(dir);
	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fd < 0 && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "map_id: %u", &id) != 1)
				continue;
			mfd = bpf_map_get_fd_by_id(id);
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (mfd >= 0 && !bpf_obj_get_info_by_fd(mfd, &info, &len) &&
			    !strcmp(info.name, name))
				fd = mfd;
			else if (mfd >= 0)
				close(mfd);
		}
		fclose(f);
	}
	closedir(d);
	return fd;
}

/* Entries of a hash map whose key starts with a pid ("site_ids") for
 * pid; -1 when the map cannot be read.
 */
static long entries_of(int fd, size_t key_size, pid_t pid)
{
	unsigned char key[64], next[64];
	void *prev = NULL;
	long n = 0;

	if (fd < 0 || key_size > sizeof(key))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (*(__u32 *)next == (__u32)pid)
			n++;
		memcpy(key, next, key_size);
		prev = key;
	}
	return n;
}

/* A whole BPF array, mapped read-only; NULL when it cannot be. */
static void *map_array(int fd, __u32 value_size, size_t *len)
{
	struct bpf_map_info info = {};
	__u32 n = sizeof(info);
	void *p;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &n) || info.value_size != value_size)
		return NULL;
	*len = (size_t)info.max_entries * value_size;
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Live blocks of pid in the block table ("block_tags" and "blocks",
 * arrays read through mappings of them); -1 when it cannot be read.
 */
static long blocks_of(int tags_fd, int blocks_fd, pid_t pid)
{
	size_t tags_len = 0, blocks_len = 0, i;
	struct ml_block_tags *tags = map_array(tags_fd, sizeof(*tags), &tags_len);
	struct ml_block *blocks = map_array(blocks_fd, sizeof(*blocks), &blocks_len);
	long n = -1;

	if (tags && blocks && blocks_len / sizeof(*blocks) == tags_len / sizeof(*tags) * ML_BUCKET_SLOTS) {
		n = 0;
		for (i = 0; i < blocks_len / sizeof(*blocks); i++)
			if (ML_BLOCK_LIVE(tags[i / ML_BUCKET_SLOTS].tag[i % ML_BUCKET_SLOTS]) &&
			    blocks[i].pid == (__u32)pid)
				n++;
	}
	if (tags)
		munmap(tags, tags_len);
	if (blocks)
		munmap(blocks, blocks_len);
	return n;
}

static bool proc_exited(json_t *rep, pid_t pid)
{
	json_t *p = report_proc(rep, pid);

	return p && json_is_true(json_object_get(p, "exited"));
}

void test_e2e_hostile_killed(void)
{
	char script[PATH_MAX + 64], wl[PATH_MAX];
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--", "/bin/sh", "-c",
			       script, NULL };
	struct ml_tracer *t;
	json_t *rep, *final = NULL;
	int tags = -1, allocs = -1, stats = -1, i;
	const char *at;
	pid_t pid = -1;

	if (!test__require_root())
		return;
	if (!realpath(workload_path("churn_forever"), wl))
		snprintf(wl, sizeof(wl), "%s", workload_path("churn_forever"));
	/* churn_forever runs until its stdin closes: the shell's, kept open */
	snprintf(script, sizeof(script), "%s <&0 & echo churning $! >&2; read x", wl);
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, "churning "), "churn_forever started"))
		goto out;
	at = strstr(ml_tracer_stderr(t), "churning ");
	if (!ASSERT_EQ(sscanf(at, "churning %d", &pid), 1, "its pid"))
		goto out;
	tags = map_of(ml_tracer_pid(t), "block_tags");
	allocs = map_of(ml_tracer_pid(t), "blocks");
	stats = map_of(ml_tracer_pid(t), "site_ids");
	if (!ASSERT_GE(tags, 0, "the block table's tags") || !ASSERT_GE(allocs, 0, "the block table") ||
	    !ASSERT_GE(stats, 0, "the site table"))
		goto out;
	for (i = 0; i < 100 && blocks_of(tags, allocs, pid) <= 0; i++)
		usleep(50 * 1000);
	ASSERT_GT(blocks_of(tags, allocs, pid), 0, "blocks held while it runs");
	ASSERT_EQ(kill(pid, SIGKILL), 0, "SIGKILL mid-allocation");
	/* the report after its exit says so; the one after that is without it */
	for (i = 0; i < 50; i++) {
		rep = ml_tracer_report(t);
		if (!rep || proc_exited(rep, pid))
			break;
		usleep(100 * 1000);
	}
	if (!ASSERT_TRUE(rep && proc_exited(rep, pid), "its exit reported"))
		goto out;
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "the next report"))
		ASSERT_TRUE(report_proc(rep, pid) == NULL, "not reported again");
	ASSERT_EQ(blocks_of(tags, allocs, pid), 0, "no block of it left");
	ASSERT_EQ(entries_of(stats, sizeof(struct ml_stat_key), pid), 0, "no site of it left");
out:
	if (tags >= 0)
		close(tags);
	if (allocs >= 0)
		close(allocs);
	if (stats >= 0)
		close(stats);
	ml_tracer_stop(t, SIGINT, &final);
	json_decref(final);
	ml_tracer_free(t);
}
