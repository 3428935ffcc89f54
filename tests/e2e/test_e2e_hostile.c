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
 *   test_e2e_hostile_setuid_exec  a process of nobody's execs a setuid-root
 *                                 program (-- CMD and -p): the program has
 *                                 the privileges and files it has
 *                                 untraced, runs (not stopped), its
 *                                 654,321 bytes are named, none of the old
 *                                 image's, whose entries go (another exec id).
 *   test_e2e_hostile_pid_reuse    A leaks over four reports and exits; B is
 *                                 made to get A's pid: the report of the pid
 *                                 is B's alone (bytes, sites, name, no
 *                                 verdict of A's), A's entries leave the BPF
 *                                 tables; -p PARENT,A: B is not traced.
 *   test_e2e_hostile_mount_ns     a program and its libraries in a directory
 *                                 of its own mount namespace (a tmpfs):
 *                                 their frames named, with file and line,
 *                                 live and after the process (and the
 *                                 namespace) has gone.
 */
#include <dirent.h>
#include <poll.h>
#include <time.h>
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

/* ---- a traced process that execs a setuid-root program ---- */

#define SETUID_SIZE 654321
#define BEFORE_EXEC_SIZE 111111

/* The lines of /proc/PID/status that say what a process may do, in one
 * string; false when it cannot be read.
 */
static bool privileges_of(pid_t pid, char *out, size_t len)
{
	static const char *const fields[] = { "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:",
					      "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
					      "Seccomp:", "TracerPid:" };
	char path[64], line[512];
	size_t used = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strncmp(line, fields[i], strlen(fields[i])) && used < len)
				used += snprintf(out + used, len - used, "%s", line);
	fclose(f);
	return used > 0 && used < len;
}

/* Field 3 of /proc/PID/stat (R, S, T...), or '?'. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *rp, state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return state;
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[1] == ' ')
		state = rp[2];
	fclose(f);
	return state;
}

/* Its open files, as "0 1 2". */
static void fds_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	struct dirent *de;
	size_t used = 0;
	int v[64], n = 0, i, j, x;
	DIR *d;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && n < 64)
		if (de->d_name[0] != '.')
			v[n++] = atoi(de->d_name);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--)
			x = v[j], v[j] = v[j - 1], v[j - 1] = x;
	for (i = 0; i < n && used < len; i++)
		used += snprintf(out + used, len - used, "%s%d", i ? " " : "", v[i]);
}

/* The distinct exec ids of pid's entries in "site_ids" (up to max); -1 when
 * the map cannot be read.
 */
static int exec_ids_of(int fd, pid_t pid, __u32 *ids, int max)
{
	struct ml_stat_key key, next;
	void *prev = NULL;
	int n = 0, i;

	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.pid == (__u32)pid) {
			for (i = 0; i < n && ids[i] != next.exec_id; i++)
				;
			if (i == n && n < max)
				ids[n++] = next.exec_id;
		}
		key = next;
		prev = &key;
	}
	return n;
}

struct setuid_fixture {
	char dir[64];
	char launcher[96], program[96];
};

/* exec_setuid, and setuid_leak owned by root with mode 4755, in a
 * directory nobody can search.
 */
static bool setuid_install(struct setuid_fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/memleakbpf-setuid.XXXXXX");
	if (!ASSERT_OK_PTR(mkdtemp(f->dir), "temporary directory"))
		return false;
	snprintf(f->launcher, sizeof(f->launcher), "%s/exec_setuid", f->dir);
	snprintf(f->program, sizeof(f->program), "%s/setuid_leak", f->dir);
	return ASSERT_OK(chmod(f->dir, 0755), "chmod the directory") &&
	       ASSERT_TRUE(copy_file(workload_path("exec_setuid"), f->launcher), "copy exec_setuid") &&
	       ASSERT_TRUE(copy_file(workload_path("setuid_leak"), f->program), "copy setuid_leak") &&
	       ASSERT_OK(chown(f->program, 0, 0), "chown root") &&
	       ASSERT_OK(chmod(f->program, 04755), "chmod 4755");
}

static void setuid_remove(struct setuid_fixture *f)
{
	unlink(f->launcher);
	unlink(f->program);
	rmdir(f->dir);
}

/* setpriv ... exec_setuid --gate setuid_leak: exec_setuid runs as nobody. */
#define AS_NOBODY "--reuid=65534", "--regid=65534", "--clear-groups"

/* What the setuid program is given by the kernel, untraced: its
 * privileges and open files once it has allocated.
 */
static bool setuid_reference(const struct setuid_fixture *f, char *privs, size_t len, char *fds,
			     size_t fds_len)
{
	const char *args[] = { AS_NOBODY, f->launcher, "--gate", f->program, NULL };
	struct workload w = { .pid = -1 };
	bool ok;

	if (!ASSERT_OK(workload_start_program(&w, "/usr/bin/setpriv", args), "start untraced"))
		return false;
	ok = ASSERT_OK(workload_send(&w, "\n"), "go") && ASSERT_TRUE(workload_wait(&w, "allocated"), "allocated") &&
	     ASSERT_OK(workload_send(&w, "\n"), "exec") && ASSERT_TRUE(workload_wait(&w, "done"), "setuid_leak ran") &&
	     ASSERT_TRUE(privileges_of(w.pid, privs, len), "its privileges");
	fds_of(w.pid, fds, fds_len);
	workload_send(&w, "\n");
	ASSERT_EQ(workload_stop(&w), 0, "untraced exit code");
	/* the kernel honoured the bit: nobody's process runs as root */
	return ok && ASSERT_STRCONTAINS(privs, "Uid:\t65534\t0\t0\t0\n", "setuid to root");
}

/* The checks once setuid_leak (pid) has allocated under memleakbpf (t):
 * the kernel gave it what it gives untraced, no more, and it runs; the
 * report names the new image alone; its old image's entries go.
 */
static void setuid_check(struct ml_tracer *t, pid_t pid, const char *ref_privs, const char *ref_fds,
			 int stats, const __u32 *old_ids, int nold)
{
	char privs[1024], fds[256];
	__u32 ids[16];
	json_t *rep, *s;
	int i, j, k, n = -1, stale = -1;

	if (ASSERT_TRUE(privileges_of(pid, privs, sizeof(privs)), "its privileges"))
		ASSERT_STREQ(privs, ref_privs, "the privileges it has untraced, no more");
	fds_of(pid, fds, sizeof(fds));
	ASSERT_STREQ(fds, ref_fds, "the files it has untraced, no more");
	/* not left stopped (T): it gets to wait for its line (S) */
	for (i = 0; i < 100 && state_of(pid) != 'S'; i++)
		usleep(20 * 1000);
	ASSERT_EQ(state_of(pid), 'S', "not stopped: waiting for its line");
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report") || !ASSERT_OK_PTR(report_proc(rep, pid), "the process"))
		return;
	ASSERT_STREQ(json_string_value(json_object_get(report_proc(rep, pid), "comm")), "setuid_leak",
		     "named after the new image");
	ASSERT_EQ(site_bytes(rep, pid, "setuid_site"), SETUID_SIZE, "the new image's bytes");
	ASSERT_EQ(site_count(rep, pid, "setuid_site"), 1, "one block");
	ASSERT_EQ(site_bytes(rep, pid, "before_exec_site"), 0, "none of the old image's");
	s = site_stack(rep, pid, "setuid_site");
	if (ASSERT_OK_PTR(s, "its stack")) {
		ASSERT_EQ(stack_frame_index(s, "malloc"), 0, "malloc is the leaf");
		ASSERT_EQ(stack_frame_index(s, "setuid_site"), 1, "called by setuid_site");
		ASSERT_EQ(stack_frame_index(s, "main"), 2, "called by main");
	}
	/* the old image's entries are purged after the report that left them out */
	for (i = 0; i < 100; i++) {
		n = exec_ids_of(stats, pid, ids, 16);
		for (j = 0, stale = 0; j < n; j++)
			for (k = 0; k < nold; k++)
				stale += ids[j] == old_ids[k];
		if (n > 0 && !stale)
			break;
		usleep(50 * 1000);
	}
	ASSERT_EQ(n, 1, "one image of it in the site table");
	ASSERT_EQ(stale, 0, "an exec id of its own, the old image's entries gone");
}

/* The pid in the first line of text that fmt ("name %d ready") reads, or -1. */
static pid_t pid_said(const char *text, const char *fmt)
{
	const char *line = text;
	int pid;

	while (line && *line) {
		if (sscanf(line, fmt, &pid) == 1)
			return pid;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return -1;
}

static void setuid_launched(const struct setuid_fixture *f, const char *ref_privs, const char *ref_fds)
{
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--", "/usr/bin/setpriv",
			       AS_NOBODY, f->launcher, "--gate", f->program, NULL };
	struct ml_tracer *t = ml_tracer_start(args);
	json_t *final = NULL;
	int stats = -1, nold;
	__u32 old_ids[16];
	pid_t pid;

	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, " ready"), "exec_setuid started"))
		goto out;
	pid = pid_said(ml_tracer_stderr(t), "exec_setuid %d ready");
	stats = map_of(ml_tracer_pid(t), "site_ids");
	if (!ASSERT_GT(pid, 0, "its pid") || !ASSERT_GE(stats, 0, "the site table") ||
	    !ASSERT_OK(ml_tracer_send(t, "\n"), "go") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, " allocated"), "allocated before the exec"))
		goto out;
	nold = exec_ids_of(stats, pid, old_ids, 16);
	if (!ASSERT_GT(nold, 0, "the old image's entries") ||
	    !ASSERT_OK(ml_tracer_send(t, "\n"), "exec") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, "setuid_leak "), "setuid_leak ran") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, " done"), "setuid_leak allocated"))
		goto out;
	ASSERT_EQ(pid_said(ml_tracer_stderr(t), "setuid_leak %d done"), pid, "the same process");
	setuid_check(t, pid, ref_privs, ref_fds, stats, old_ids, nold);
	ASSERT_OK(ml_tracer_send(t, "\n"), "let it end");
out:
	if (stats >= 0)
		close(stats);
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
	if (ASSERT_OK_PTR(final, "final report"))
		ASSERT_EQ(site_bytes(final, pid_said(ml_tracer_stderr(t), "setuid_leak %d done"),
				     "setuid_site"), SETUID_SIZE, "the final report");
	json_decref(final);
	ml_tracer_free(t);
}

static void setuid_pid(const struct setuid_fixture *f, const char *ref_privs, const char *ref_fds)
{
	const char *wargs[] = { AS_NOBODY, f->launcher, "--gate", f->program, NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "-p", NULL, NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *final = NULL;
	int stats = -1, nold;
	char pid_arg[16];
	__u32 old_ids[16];

	if (!ASSERT_OK(workload_start_program(&w, "/usr/bin/setpriv", wargs), "start exec_setuid"))
		return;
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.pid);
	args[6] = pid_arg;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	stats = map_of(ml_tracer_pid(t), "site_ids");
	if (!ASSERT_GE(stats, 0, "the site table") || !ASSERT_OK(workload_send(&w, "\n"), "go") ||
	    !ASSERT_TRUE(workload_wait(&w, "allocated"), "allocated before the exec"))
		goto out;
	nold = exec_ids_of(stats, w.pid, old_ids, 16);
	if (!ASSERT_GT(nold, 0, "the old image's entries") || !ASSERT_OK(workload_send(&w, "\n"), "exec") ||
	    !ASSERT_TRUE(workload_wait(&w, "done"), "setuid_leak allocated"))
		goto out;
	setuid_check(t, w.pid, ref_privs, ref_fds, stats, old_ids, nold);
out:
	if (stats >= 0)
		close(stats);
	workload_send(&w, "\n");
	ASSERT_EQ(workload_stop(&w), 0, "setuid_leak exit code");
	if (t) {
		ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
		if (ASSERT_OK_PTR(final, "final report"))
			ASSERT_EQ(site_bytes(final, w.pid, "setuid_site"), SETUID_SIZE, "the final report");
		json_decref(final);
		ml_tracer_free(t);
	}
}

void test_e2e_hostile_setuid_exec(void)
{
	struct setuid_fixture f;
	char privs[1024], fds[256];

	if (!test__require_root())
		return;
	if (setuid_install(&f) && setuid_reference(&f, privs, sizeof(privs), fds, sizeof(fds))) {
		if (test__start_subtest("launched: -- setpriv (nobody) exec_setuid"))
			setuid_launched(&f, privs, fds);
		if (test__start_subtest("-p: exec_setuid (nobody) execs it"))
			setuid_pid(&f, privs, fds);
	}
	setuid_remove(&f);
}

/* ---- a pid taken by another process during the run ---- */

#define REUSE_A_SIZE 262144
#define REUSE_B_SIZE 333333
#define REUSE_A_LEAKS 4

enum reuse_mode { REUSE_SYSTEM, REUSE_LAUNCHED, REUSE_PID };

/* pid_reuse under memleakbpf, in one of three ways; its stderr in one place. */
struct reuse_run {
	enum reuse_mode mode;
	struct ml_tracer *t;
	struct workload w;
	char said[16384];
	size_t len;
};

static int reuse_send(struct reuse_run *r, const char *line)
{
	return r->mode == REUSE_LAUNCHED ? ml_tracer_send(r->t, line) : workload_send(&r->w, line);
}

/* Wait until pid_reuse has said needle; its words so far. */
static const char *reuse_wait(struct reuse_run *r, const char *needle)
{
	time_t deadline = time(NULL) + 30;

	if (r->mode == REUSE_LAUNCHED)
		return ml_tracer_wait_stderr(r->t, needle) ? ml_tracer_stderr(r->t) : NULL;
	while (!strstr(r->said, needle) && time(NULL) < deadline && r->len < sizeof(r->said) - 1) {
		struct pollfd p = { r->w.err_fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(r->w.err_fd, r->said + r->len, sizeof(r->said) - 1 - r->len);
		if (n <= 0)
			break;
		r->len += n;
		r->said[r->len] = '\0';
	}
	return strstr(r->said, needle) ? r->said : NULL;
}

/* Start pid_reuse and memleakbpf.  -p: A is started first, and traced
 * with its parent (-p PARENT,A: children are not followed); *a its pid.
 * System-wide, only the blocks of 128 KiB and more are counted: the
 * machine's other processes could fill the tables.
 */
static bool reuse_start(struct reuse_run *r, const char *exec_dir, pid_t *a)
{
	const char *wargs[] = { exec_dir ? "--exec" : NULL, exec_dir, NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", NULL, NULL, NULL, NULL,
			       NULL };
	const char *said;
	char pids[32];

	r->w.pid = -1;
	if (r->mode == REUSE_LAUNCHED) {
		args[5] = "--";
		args[6] = workload_path("pid_reuse");
		args[7] = wargs[0];
		args[8] = wargs[1];
		r->t = ml_tracer_start(args);
		return ASSERT_OK_PTR(r->t, "start memleakbpf") &&
		       ASSERT_OK_PTR(reuse_wait(r, " ready"), "pid_reuse started");
	}
	if (!ASSERT_OK(workload_start(&r->w, "pid_reuse", wargs), "start pid_reuse"))
		return false;
	if (r->mode == REUSE_PID) {
		if (!ASSERT_OK(reuse_send(r, "A\n"), "A starts") ||
		    !ASSERT_OK_PTR(said = reuse_wait(r, " leaked 1\n"), "A started"))
			return false;
		*a = pid_said(said, "reuse A %d leaked 1");
		snprintf(pids, sizeof(pids), "%d,%d", r->w.pid, *a);
		args[5] = "-p";
		args[6] = pids;
	} else {
		args[5] = "--min-size";
		args[6] = "128K";
	}
	r->t = ml_tracer_start(args);
	return ASSERT_OK_PTR(r->t, "start memleakbpf");
}

static const char *verdict_of(json_t *rep, pid_t pid)
{
	json_t *p = report_proc(rep, pid);

	return json_string_value(json_object_get(json_object_get(p, "trend"), "verdict"));
}

/* The report of B (pid b): its one block, nothing of A's. */
static void reuse_check_b(json_t *rep, pid_t b, const char *b_comm)
{
	json_t *p = rep ? report_proc(rep, b) : NULL;

	if (!ASSERT_OK_PTR(p, "B in the report"))
		return;
	ASSERT_STREQ(json_string_value(json_object_get(p, "comm")), b_comm, "B's name");
	ASSERT_FALSE(json_is_true(json_object_get(p, "exited")), "B lives");
	ASSERT_EQ(proc_category_bytes(rep, b, "native"), REUSE_B_SIZE, "B's bytes alone");
	ASSERT_EQ(site_bytes(rep, b, "b_site"), REUSE_B_SIZE, "at b_site");
	ASSERT_EQ(site_count(rep, b, "b_site"), 1, "one block");
	ASSERT_EQ(site_bytes(rep, b, "a_site"), 0, "nothing of A's");
	ASSERT_OK_PTR(site_stack(rep, b, "b_site"), "B's stack");
	ASSERT_TRUE(site_stack(rep, b, "a_site") == NULL, "no stack of A's");
	ASSERT_STREQ(verdict_of(rep, b), "insufficient-data", "no verdict of A's");
}

/* -p PARENT,A: B, a child of the parent, is not traced: the report after
 * A's exit is A's (its exit, its bytes), the next has no such pid.
 */
static void reuse_check_untraced(json_t *rep, struct ml_tracer *t, pid_t a)
{
	if (ASSERT_OK_PTR(rep, "report") && ASSERT_OK_PTR(report_proc(rep, a), "A in it")) {
		ASSERT_TRUE(proc_exited(rep, a), "A's exit");
		ASSERT_EQ(proc_category_bytes(rep, a, "native"), REUSE_A_LEAKS * REUSE_A_SIZE,
			  "A's bytes, none of B's");
		ASSERT_EQ(site_bytes(rep, a, "b_site"), 0, "nothing at b_site");
	}
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "the next report"))
		ASSERT_TRUE(report_proc(rep, a) == NULL, "B, not a target, not reported");
}

/* A (pid P) leaks REUSE_A_LEAKS blocks at a_site over as many reports,
 * and exits; B is made to get pid P and allocates at b_site.  The
 * report of P is B's alone, and A's entries leave the BPF tables.
 * report_between: a report comes between A's exit and B's start (else
 * both happen in one interval, the hard case).
 */
static void pid_reuse(enum reuse_mode mode, const char *exec_dir, bool report_between,
		      const char *b_comm)
{
	struct reuse_run r = { .mode = mode };
	char needle[32];
	json_t *rep = NULL, *final = NULL;
	int stats = -1, tags = -1, allocs = -1, nold = 0, n = -1, i, j, k, stale = -1, first;
	__u32 old_ids[16], ids[16];
	pid_t a = -1, b = -1;
	const char *said;

	if (!reuse_start(&r, exec_dir, &a))
		goto out;
	stats = map_of(ml_tracer_pid(r.t), "site_ids");
	tags = map_of(ml_tracer_pid(r.t), "block_tags");
	allocs = map_of(ml_tracer_pid(r.t), "blocks");
	if (!ASSERT_GE(stats, 0, "the site table") || !ASSERT_GE(tags, 0, "the block tags") ||
	    !ASSERT_GE(allocs, 0, "the block table"))
		goto out;
	first = mode == REUSE_PID ? 2 : 1;	/* -p: A's first block came before */
	for (i = first; i < first + REUSE_A_LEAKS; i++) {
		snprintf(needle, sizeof(needle), " leaked %d\n", i);
		if (!ASSERT_OK(reuse_send(&r, "A\n"), "A leaks") ||
		    !ASSERT_OK_PTR(said = reuse_wait(&r, needle), "A leaked"))
			goto out;
		a = pid_said(said, "reuse A %d leaked 1");
		rep = ml_tracer_report(r.t);
		if (!ASSERT_OK_PTR(rep, "report of A"))
			goto out;
	}
	/* what must not pass to B: A's verdict, bytes and entries */
	ASSERT_STREQ(verdict_of(rep, a), "native-leak", "A leaks");
	ASSERT_EQ(site_bytes(rep, a, "a_site"), REUSE_A_LEAKS * REUSE_A_SIZE, "A's bytes");
	nold = exec_ids_of(stats, a, old_ids, 16);
	if (!ASSERT_GT(nold, 0, "A's entries") || !ASSERT_OK(reuse_send(&r, "E\n"), "A exits") ||
	    !ASSERT_OK_PTR(reuse_wait(&r, " exited\n"), "A exited"))
		goto out;
	if (report_between) {
		rep = ml_tracer_report(r.t);
		if (ASSERT_OK_PTR(rep, "report after A") && ASSERT_OK_PTR(report_proc(rep, a), "A in it")) {
			ASSERT_TRUE(proc_exited(rep, a), "A's exit reported");
			ASSERT_EQ(site_bytes(rep, a, "a_site"), REUSE_A_LEAKS * REUSE_A_SIZE,
				  "A's bytes at its exit");
		}
	}
	if (!ASSERT_OK(reuse_send(&r, "B\n"), "B starts") ||
	    !ASSERT_OK_PTR(said = reuse_wait(&r, " done\n"), "B allocated"))
		goto out;
	b = pid_said(said, "reuse B %d done");
	if (!ASSERT_EQ(b, a, "B has A's pid"))
		goto out;
	if (mode == REUSE_PID)
		reuse_check_untraced(ml_tracer_report(r.t), r.t, a);
	else
		for (k = 0; k < 2; k++)
			reuse_check_b(ml_tracer_report(r.t), b, b_comm);
	/* A's entries are purged; B's stay (-p: B has none) */
	for (i = 0; i < 100; i++) {
		n = exec_ids_of(stats, b, ids, 16);
		for (j = 0, stale = 0; j < n; j++)
			for (k = 0; k < nold; k++)
				stale += ids[j] == old_ids[k];
		if (!stale && blocks_of(tags, allocs, b) == (mode != REUSE_PID))
			break;
		usleep(50 * 1000);
	}
	ASSERT_EQ(stale, 0, "no site entry of A's image left");
	if (mode == REUSE_PID)
		ASSERT_EQ(n, 0, "no site entry of B's");
	else
		ASSERT_GT(n, 0, "B's site entries");
	ASSERT_EQ(blocks_of(tags, allocs, b), mode != REUSE_PID,
		  "B's one block (-p: none), none of A's");
out:
	if (stats >= 0)
		close(stats);
	if (tags >= 0)
		close(tags);
	if (allocs >= 0)
		close(allocs);
	if (r.t)
		reuse_send(&r, "Q\n");
	if (r.w.pid > 0)
		ASSERT_EQ(workload_stop(&r.w), 0, "pid_reuse exit code");
	if (r.t) {
		ASSERT_EQ(ml_tracer_stop(r.t, SIGINT, &final), 0, "memleakbpf exit code");
		json_decref(final);
		ml_tracer_free(r.t);
	}
}

void test_e2e_hostile_pid_reuse(void)
{
	char dir[] = "/tmp/memleakbpf-reuse.XXXXXX", a[PATH_MAX], b[PATH_MAX];

	if (!test__require_root())
		return;
	if (test__start_subtest("system-wide: forked, one interval"))
		pid_reuse(REUSE_SYSTEM, NULL, false, "pid_reuse");
	if (test__start_subtest("system-wide: forked, a report between"))
		pid_reuse(REUSE_SYSTEM, NULL, true, "pid_reuse");
	if (test__start_subtest("-- CMD: forked, one interval"))
		pid_reuse(REUSE_LAUNCHED, NULL, false, "pid_reuse");
	if (test__start_subtest("-p parent,A: forked, one interval"))
		pid_reuse(REUSE_PID, NULL, false, "pid_reuse");
	if (!ASSERT_OK_PTR(mkdtemp(dir), "temporary directory"))
		return;
	snprintf(a, sizeof(a), "%s/reuse_a", dir);
	snprintf(b, sizeof(b), "%s/reuse_b", dir);
	if (ASSERT_TRUE(copy_file(workload_path("pid_reuse"), a), "copy reuse_a") &&
	    ASSERT_TRUE(copy_file(workload_path("pid_reuse"), b), "copy reuse_b")) {
		if (test__start_subtest("system-wide: exec'd, one interval"))
			pid_reuse(REUSE_SYSTEM, dir, false, "reuse_b");
		if (test__start_subtest("-- CMD: exec'd, one interval"))
			pid_reuse(REUSE_LAUNCHED, dir, false, "reuse_b");
	}
	unlink(a);
	unlink(b);
	rmdir(dir);
}

/* ---- a process in another mount namespace ---- */

#define MNTNS_LINKED_SIZE 424242
#define MNTNS_DL_SIZE 515151

/* The frame of a stack at index i, or NULL. */
static json_t *frame_at(json_t *stack, int i)
{
	return i < 0 ? NULL : json_array_get(json_object_get(stack, "frames"), i);
}

static const char *frame_str(json_t *frame, const char *key)
{
	return json_string_value(json_object_get(frame, key));
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = s ? strlen(s) : 0, m = strlen(end);

	return s && n >= m && !strcmp(s + n - m, end);
}

/* mntns_user (pid) allocated through its two libraries, which exist in
 * dir only in its mount namespace: their bytes, and their frames named
 * from those files (function, source file and line, the module as the
 * process sees it).
 */
static void mntns_check(json_t *rep, pid_t pid, const char *dir)
{
	static const struct {
		const char *fn, *lib, *src;
		long long size;
	} sites[] = {
		{ "mntns_linked_site", "libmntns.so", "mntns_lib.c", MNTNS_LINKED_SIZE },
		{ "mntns_dl_site", "libmntns_dl.so", "mntns_dl.c", MNTNS_DL_SIZE },
	};
	char module[PATH_MAX], exe[PATH_MAX];
	json_t *s, *f;
	size_t i;
	int at;

	snprintf(exe, sizeof(exe), "%s/mntns_user", dir);
	for (i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		ASSERT_EQ(site_bytes(rep, pid, sites[i].fn), sites[i].size, sites[i].fn);
		s = site_stack(rep, pid, sites[i].fn);
		if (!ASSERT_OK_PTR(s, "its stack"))
			continue;
		at = stack_frame_index(s, sites[i].fn);
		ASSERT_EQ(at, 1, "called malloc");
		ASSERT_STREQ(frame_str(frame_at(s, 0), "function"), "malloc", "the leaf");
		f = frame_at(s, at);
		snprintf(module, sizeof(module), "%s/%s", dir, sites[i].lib);
		ASSERT_STREQ(frame_str(f, "module"), module, "the library, as the process sees it");
		ASSERT_TRUE(ends_with(frame_str(f, "file"), sites[i].src), "its source file");
		ASSERT_GT(json_integer_value(json_object_get(f, "line")), 0, "and line");
		f = frame_at(s, stack_frame_index(s, "main"));
		ASSERT_EQ(stack_frame_index(s, "main"), at + 1, "called by main");
		ASSERT_STREQ(frame_str(f, "module"), exe, "in mntns_user");
		ASSERT_TRUE(ends_with(frame_str(f, "file"), "mntns_user.c"), "main's source file");
	}
}

enum mntns_mode { MNTNS_SYSTEM, MNTNS_PID, MNTNS_LAUNCHED };

/* Whether process ml has a file open whose path ends with suffix. */
static bool has_open(pid_t ml, const char *suffix)
{
	char dir[64], path[384], target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)ml);
	d = opendir(dir);
	while (d && !found && (de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = ends_with(target, suffix);
	}
	if (d)
		closedir(d);
	return found;
}

/* Without a hold (system-wide, -p) a process is read as its events are:
 * wait until memleakbpf has taken its files (kept open, they are in no
 * namespace of ours) before it may exit.
 */
static bool files_taken(pid_t ml)
{
	static const char *const files[] = { "/private/mntns_user", "/private/libmntns.so",
					      "/private/libmntns_dl.so" };
	size_t i = 0;
	int tries;

	for (tries = 0; tries < 200 && i < sizeof(files) / sizeof(files[0]); tries++) {
		if (has_open(ml, files[i]))
			i++;
		else
			usleep(50 * 1000);
	}
	return i == sizeof(files) / sizeof(files[0]);
}

/* unshare -m: a tmpfs on mnt, seen by this process alone, holding
 * mnt/private with mntns_user and its libraries; then mntns_user.
 */
static void mntns_script(char *buf, size_t len, const char *mnt)
{
	char fix[PATH_MAX];

	if (!realpath(".output/fixtures/mntns", fix))
		snprintf(fix, sizeof(fix), ".output/fixtures/mntns");
	snprintf(buf, len,
		 "mount -t tmpfs memleakbpf-mntns %s && mkdir %s/private && "
		 "cp %s/mntns_user %s/libmntns.so %s/libmntns_dl.so %s/private/ && "
		 "exec %s/private/mntns_user", mnt, mnt, fix, fix, fix, mnt, mnt);
}

/* report_live: a report while it runs (its files read through
 * /proc/PID/root), else only the one after its exit.
 */
static void mount_ns(enum mntns_mode mode, const char *mnt, bool report_live)
{
	char script[4 * PATH_MAX], dir[PATH_MAX], lib[PATH_MAX + 32], pid_arg[16];
	const char *wargs[] = { "-m", "--propagation", "private", "/bin/sh", "-c", script, NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", NULL, NULL, NULL, NULL,
			       NULL, NULL, NULL, NULL, NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *rep, *final = NULL;
	pid_t pid = -1;
	int i;

	mntns_script(script, sizeof(script), mnt);
	snprintf(dir, sizeof(dir), "%s/private", mnt);
	snprintf(lib, sizeof(lib), "%s/libmntns.so", dir);
	if (mode == MNTNS_LAUNCHED) {
		args[5] = "--";
		args[6] = "/usr/bin/unshare";
		for (i = 0; wargs[i]; i++)
			args[7 + i] = wargs[i];
		t = ml_tracer_start(args);
		if (!ASSERT_OK_PTR(t, "start memleakbpf") ||
		    !ASSERT_TRUE(ml_tracer_wait_stderr(t, " ready"), "mntns_user started"))
			goto out;
		pid = pid_said(ml_tracer_stderr(t), "mntns_user %d ready");
	} else {
		if (mode == MNTNS_SYSTEM) {
			/* the machine's other processes could fill the tables */
			args[5] = "--min-size";
			args[6] = "128K";
			t = ml_tracer_start(args);
			if (!ASSERT_OK_PTR(t, "start memleakbpf"))
				goto out;
		}
		if (!ASSERT_OK(workload_start_program(&w, "/usr/bin/unshare", wargs), "start mntns_user"))
			goto out;
		pid = w.pid;
		if (mode == MNTNS_PID) {
			snprintf(pid_arg, sizeof(pid_arg), "%d", pid);
			args[5] = "-p";
			args[6] = pid_arg;
			t = ml_tracer_start(args);
			if (!ASSERT_OK_PTR(t, "start memleakbpf"))
				goto out;
		}
	}
	if (!ASSERT_GT(pid, 0, "its pid"))
		goto out;
	ASSERT_NEQ(access(lib, F_OK), 0, "its libraries are not in our namespace");
	if (mode == MNTNS_LAUNCHED ? !ASSERT_OK(ml_tracer_send(t, "\n"), "go") ||
				     !ASSERT_TRUE(ml_tracer_wait_stderr(t, " done"), "allocated")
				   : !ASSERT_OK(workload_send(&w, "\n"), "go") ||
				     !ASSERT_TRUE(workload_wait(&w, "done"), "allocated"))
		goto out;
	if (report_live) {
		rep = ml_tracer_report(t);
		if (ASSERT_OK_PTR(rep, "report") && ASSERT_OK_PTR(report_proc(rep, pid), "the process"))
			mntns_check(rep, pid, dir);
	}
	/* once it has gone, its namespace with it: still named */
	if (mode != MNTNS_LAUNCHED)
		ASSERT_TRUE(files_taken(ml_tracer_pid(t)), "memleakbpf keeps its files open");
	if (mode == MNTNS_LAUNCHED) {
		ASSERT_OK(ml_tracer_send(t, "\n"), "end it");
	} else {
		workload_send(&w, "\n");
		ASSERT_EQ(workload_stop(&w), 0, "mntns_user exit code");
		w.pid = -1;
	}
	for (i = 0; i < 50; i++) {
		rep = ml_tracer_report(t);	/* -p, --: the final one */
		if (!rep || proc_exited(rep, pid))
			break;
		usleep(100 * 1000);
	}
	if (ASSERT_OK_PTR(rep, "the report after its exit") && ASSERT_TRUE(proc_exited(rep, pid), "exited"))
		mntns_check(rep, pid, dir);
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
out:
	if (w.pid > 0) {
		workload_send(&w, "\n");
		workload_stop(&w);
	}
	if (t) {
		if (!final)
			ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
}

void test_e2e_hostile_mount_ns(void)
{
	char mnt[] = "/tmp/memleakbpf-mntns.XXXXXX";

	if (!test__require_root())
		return;
	if (!ASSERT_OK_PTR(mkdtemp(mnt), "mount point"))
		return;
	if (test__start_subtest("-p: reported live and exited"))
		mount_ns(MNTNS_PID, mnt, true);
	if (test__start_subtest("-p: reported after its exit only"))
		mount_ns(MNTNS_PID, mnt, false);
	if (test__start_subtest("system-wide: reported live and exited"))
		mount_ns(MNTNS_SYSTEM, mnt, true);
	if (test__start_subtest("system-wide: reported after its exit only"))
		mount_ns(MNTNS_SYSTEM, mnt, false);
	if (test__start_subtest("-- unshare -m: the final report"))
		mount_ns(MNTNS_LAUNCHED, mnt, false);
	rmdir(mnt);
}
