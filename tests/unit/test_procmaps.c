/* tests/unit/test_procmaps.c: /proc/PID/maps parsing and lookup; the
 * libFuzzer target of tests/fuzz.mk, run for ~5 s when built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "tmpdir.h"
#include "target/procmaps.h"

/* Out of order on purpose (sorting is checked); every kind of path. */
static const char sample[] =
	"7ffc3a1e0000-7ffc3a201000 rw-p 00000000 00:00 0                          [stack]\n"
	"55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]\n"
	"55d0bf400000-55d0bf402000 r--p 00000000 fe:01 1311                       /usr/bin/cat\n"
	"55d0bf402000-55d0bf407000 r-xp 00002000 fe:01 1311                       /usr/bin/cat\n"
	"7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
	"7f1e2d000000-7f1e2d100000 r-xp 00001000 103:02 777                       /tmp/my dir/lib x.so\n"
	"7f1e2e000000-7f1e2e001000 r-xp 00000000 00:01 4242                       /tmp/old.so (deleted)\n"
	"7f1e2f000000-7f1e2f001000 rw-s 00000000 00:01 99                         /memfd:jit (deleted)\n"
	"7f1e30000000-7f1e30004000 rw-p 00000000 00:00 0                          [anon:glibc: malloc arena]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static int parse_text(const char *text, struct proc_maps *m)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	if (!f)
		return -errno;
	err = proc_maps__parse(f, m);
	fclose(f);
	return err;
}

static const struct map_entry *find_path(const struct proc_maps *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].path, path))
			return &m->v[i];
	return NULL;
}

void test_procmaps_parse(void)
{
	struct proc_maps m = { 0 };
	const struct map_entry *e;
	size_t i;

	if (!ASSERT_OK(parse_text(sample, &m), "parse sample"))
		return;
	if (!ASSERT_EQ(m.n, 10, "entries"))
		goto cleanup;
	ASSERT_GE(m.cap, m.n, "capacity kept");

	if (test__start_subtest("sorted by start")) {
		for (i = 1; i < m.n; i++)
			ASSERT_TRUE(m.v[i - 1].start < m.v[i].start, "ascending");
		ASSERT_TRUE(m.v[0].start == 0x55d0bf400000ULL, "first");
		ASSERT_STREQ(m.v[9].path, "[vsyscall]", "last");
	}
	if (test__start_subtest("file mapping fields")) {
		e = &m.v[1];
		ASSERT_TRUE(e->start == 0x55d0bf402000ULL, "start");
		ASSERT_TRUE(e->end == 0x55d0bf407000ULL, "end");
		ASSERT_EQ(e->offset, 0x2000, "offset");
		ASSERT_EQ(e->dev_major, 0xfe, "major");
		ASSERT_EQ(e->dev_minor, 1, "minor");
		ASSERT_EQ(e->inode, 1311, "inode");
		ASSERT_STREQ(e->perms, "r-xp", "perms");
		ASSERT_STREQ(e->path, "/usr/bin/cat", "path");
		ASSERT_TRUE(map_entry__is_file(e), "is file");
	}
	if (test__start_subtest("heap and stack")) {
		e = find_path(&m, "[heap]");
		if (ASSERT_OK_PTR(e, "[heap]")) {
			ASSERT_FALSE(map_entry__is_file(e), "heap not a file");
			ASSERT_STREQ(e->perms, "rw-p", "heap perms");
		}
		e = find_path(&m, "[stack]");
		if (ASSERT_OK_PTR(e, "[stack]"))
			ASSERT_TRUE(e->end == 0x7ffc3a201000ULL, "stack end");
	}
	if (test__start_subtest("anonymous")) {
		e = proc_maps__find(&m, 0x7f1e2c000010ULL);
		if (ASSERT_OK_PTR(e, "anon entry")) {
			ASSERT_STREQ(e->path, "", "no path");
			ASSERT_EQ(e->inode, 0, "inode");
			ASSERT_FALSE(map_entry__is_file(e), "anon not a file");
		}
		e = find_path(&m, "[anon:glibc: malloc arena]");
		if (ASSERT_OK_PTR(e, "named anon"))
			ASSERT_FALSE(map_entry__is_file(e), "named anon not a file");
	}
	if (test__start_subtest("path with spaces")) {
		e = proc_maps__find(&m, 0x7f1e2d000000ULL);
		if (ASSERT_OK_PTR(e, "entry")) {
			ASSERT_STREQ(e->path, "/tmp/my dir/lib x.so", "path");
			ASSERT_EQ(e->dev_major, 0x103, "major");
			ASSERT_EQ(e->dev_minor, 2, "minor");
			ASSERT_EQ(e->offset, 0x1000, "offset");
			ASSERT_TRUE(map_entry__is_file(e), "is file");
		}
	}
	if (test__start_subtest("deleted")) {
		e = find_path(&m, "/tmp/old.so (deleted)");
		if (ASSERT_OK_PTR(e, "deleted file"))
			ASSERT_FALSE(map_entry__is_file(e), "deleted not a file");
		e = find_path(&m, "/memfd:jit (deleted)");
		if (ASSERT_OK_PTR(e, "memfd"))
			ASSERT_STREQ(e->perms, "rw-s", "shared perms");
	}
	if (test__start_subtest("find")) {
		ASSERT_TRUE(proc_maps__find(&m, 0x55d0bf400000ULL) == &m.v[0], "first byte");
		ASSERT_TRUE(proc_maps__find(&m, 0x55d0bf401fffULL) == &m.v[0], "last byte");
		ASSERT_TRUE(proc_maps__find(&m, 0x55d0bf402000ULL) == &m.v[1], "end is exclusive");
		ASSERT_TRUE(proc_maps__find(&m, 0x55d0bf3fffffULL) == NULL, "below all");
		ASSERT_TRUE(proc_maps__find(&m, 0x55d0bf407000ULL) == NULL, "gap");
		ASSERT_TRUE(proc_maps__find(&m, 0x7f1e2e000fffULL) == &m.v[5], "deleted entry");
		ASSERT_TRUE(proc_maps__find(&m, 0xffffffffff600800ULL) == &m.v[9], "vsyscall");
		ASSERT_TRUE(proc_maps__find(&m, UINT64_MAX) == NULL, "above all");
	}
cleanup:
	proc_maps__release(&m);
	ASSERT_TRUE(m.n == 0 && m.v == NULL, "released");
}

void test_procmaps_edge_cases(void)
{
	struct proc_maps m = { 0 };

	if (test__start_subtest("empty")) {
		if (ASSERT_OK(parse_text("", &m), "empty text"))
			ASSERT_EQ(m.n, 0, "no entries");
		ASSERT_TRUE(proc_maps__find(&m, 0x1000) == NULL, "find in empty");
		proc_maps__release(&m);
		proc_maps__release(&m);	/* twice is fine */
	}
	if (test__start_subtest("no trailing newline or space")) {
		if (ASSERT_OK(parse_text("1000-2000 r--p 00000000 00:00 0", &m), "parse")) {
			ASSERT_EQ(m.n, 1, "one entry");
			ASSERT_STREQ(m.v[0].path, "", "no path");
		}
		proc_maps__release(&m);
	}
	if (test__start_subtest("long path")) {
		size_t len = 100000;
		char *text = malloc(len + 128);
		int n;

		if (!ASSERT_OK_PTR(text, "malloc"))
			return;
		n = sprintf(text, "1000-2000 r-xp 00000000 08:01 12 /");
		memset(text + n, 'a', len);
		strcpy(text + n + len, "\n3000-4000 rw-p 00000000 00:00 0 [heap]\n");
		if (ASSERT_OK(parse_text(text, &m), "parse") && ASSERT_EQ(m.n, 2, "entries")) {
			ASSERT_EQ(strlen(m.v[0].path), len + 1, "path length");
			ASSERT_STREQ(m.v[1].path, "[heap]", "next line intact");
		}
		proc_maps__release(&m);
		free(text);
	}
	if (test__start_subtest("malformed")) {
		static const char *const bad[] = {
			"garbage\n",
			"1000 r--p 00000000 00:00 0\n",
			"1000-2000 r--p 00000000 00:00\n",
			"1000-2000 r--p zz 00:00 0\n",
			"1000-2000 r- 00000000 00:00 0\n",
			"2000-1000 r--p 00000000 00:00 0\n",
			"1000-1000 r--p 00000000 00:00 0\n",	/* empty: fuzz_procmaps */
			"1000-2000 r--p 00000000 00:00 0 /ok\nbroken line\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ASSERT_EQ(parse_text(bad[i], &m), -EINVAL, bad[i]);
			ASSERT_TRUE(m.n == 0 && m.v == NULL, "left empty");
		}
	}
	if (test__start_subtest("is_file")) {
		struct map_entry e = { .inode = 5, .path = "/usr/lib/libc.so.6" };

		ASSERT_TRUE(map_entry__is_file(&e), "plain file");
		e.inode = 0;
		ASSERT_FALSE(map_entry__is_file(&e), "inode 0");
		e.inode = 5;
		e.path = "/a (deleted)";
		ASSERT_FALSE(map_entry__is_file(&e), "deleted");
		e.path = "/a (deleted) b";
		ASSERT_TRUE(map_entry__is_file(&e), "deleted in the middle");
		e.path = "[heap]";
		ASSERT_FALSE(map_entry__is_file(&e), "heap");
		e.path = "";
		ASSERT_FALSE(map_entry__is_file(&e), "empty");
	}
}

void test_procmaps_self(void)
{
	struct proc_maps m = { 0 };
	const struct map_entry *e;
	uint64_t addr = (uint64_t)(uintptr_t)&test_procmaps_self;
	size_t len;

	if (test__start_subtest("own text")) {
		if (!ASSERT_OK(proc_maps__read(getpid(), &m), "proc_maps__read"))
			return;
		ASSERT_EQ(m.pid, getpid(), "pid");
		ASSERT_GT(m.n, 4, "entries");
		e = proc_maps__find(&m, addr);
		if (ASSERT_OK_PTR(e, "entry of a test function")) {
			len = strlen(e->path);
			ASSERT_TRUE(len >= 11 && !strcmp(e->path + len - 11, "test_runner"), e->path);
			ASSERT_EQ(e->perms[2], 'x', "executable");
			ASSERT_TRUE(map_entry__is_file(e), "is file");
			ASSERT_TRUE(e->start <= addr && addr < e->end, "contains");
		}
		e = proc_maps__find(&m, (uint64_t)(uintptr_t)sample);
		if (ASSERT_OK_PTR(e, "entry of read-only data")) {
			ASSERT_STRCONTAINS(e->path, "test_runner", "rodata path");
			ASSERT_EQ(e->perms[0], 'r', "readable");
			ASSERT_EQ(e->perms[1], '-', "read-only");
		}
		proc_maps__release(&m);
	}
	if (test__start_subtest("gone process")) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (!ASSERT_GT(pid, 0, "fork"))
			return;
		waitpid(pid, NULL, 0);	/* reaped: /proc/PID is gone */
		ASSERT_EQ(proc_maps__read(pid, &m), -ENOENT, "reaped child");
		ASSERT_TRUE(m.n == 0 && m.v == NULL, "left empty");
	}
}

/* ---- The fuzzer, briefly ---- */


/* tests/fuzz/fuzz_procmaps.c for ~5 s on its committed seeds (a fresh
 * corpus in a temporary directory): no crash, leak, timeout or 2 GB of
 * memory.
 */
void test_fuzz_procmaps_smoke(void)
{
	fuzz_smoke("procmaps");
}
