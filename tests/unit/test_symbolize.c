/* tests/unit/test_symbolize.c: user/sym/symbolize.c against the fixtures of
 * tests/symbolize.mk, run as child processes that wait on their stdin,
 * and against perf maps written for our own pid.  No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "target/procmaps.h"
#include "sym/symbolize.h"

#define FIX_DIR ".output/fixtures/symbolize/"
#define FIX_MAX_VALUES 8

/* A fixture process: what it printed, and its maps while it ran. */
struct fixture {
	pid_t pid;
	int to_child;			/* its stdin: closing it ends it */
	struct proc_maps maps;
	int n;
	char names[FIX_MAX_VALUES][16];
	uint64_t addrs[FIX_MAX_VALUES];
	int lines[FIX_MAX_VALUES];
};

static int fixture__read(struct fixture *fx, FILE *f)
{
	char buf[256], name[16];
	unsigned long long addr;
	int line;

	while (fgets(buf, sizeof(buf), f)) {
		if (strcmp(buf, "ready\n") == 0)
			return 0;
		if (fx->n == FIX_MAX_VALUES ||
		    sscanf(buf, "%15s %llx %d", name, &addr, &line) != 3)
			return -EINVAL;
		snprintf(fx->names[fx->n], sizeof(fx->names[0]), "%s", name);
		fx->addrs[fx->n] = addr;
		fx->lines[fx->n++] = line;
	}
	return -EIO;
}

static int fixture__start(struct fixture *fx, const char *name)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err = -errno;
	char path[256];
	FILE *f = NULL;

	memset(fx, 0, sizeof(*fx));
	fx->to_child = -1;
	snprintf(path, sizeof(path), FIX_DIR "%s", name);
	if (pipe(in) || pipe(out)) {
		err = -errno;
		goto cleanup;
	}
	fx->pid = fork();
	if (fx->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	fx->to_child = in[1];
	in[1] = -1;
	f = fdopen(out[0], "r");
	out[0] = -1;
	err = f ? fixture__read(fx, f) : -errno;
	if (!err)
		err = proc_maps__read(fx->pid, &fx->maps);
cleanup:
	if (f)
		fclose(f);
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return err;
}

/* Ends the process; its map snapshot stays for after-exit lookups. */
static void fixture__stop(struct fixture *fx)
{
	if (fx->to_child >= 0)
		close(fx->to_child);
	fx->to_child = -1;
	if (fx->pid > 0)
		waitpid(fx->pid, NULL, 0);
}

static void fixture__release(struct fixture *fx)
{
	fixture__stop(fx);
	proc_maps__release(&fx->maps);
}

static bool fixture__get(const struct fixture *fx, const char *name, uint64_t *addr, int *line)
{
	int i;

	for (i = 0; i < fx->n; i++) {
		if (strcmp(fx->names[i], name) == 0) {
			*addr = fx->addrs[i];
			*line = fx->lines[i];
			return true;
		}
	}
	return false;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* Start fixture name, resolve the value key (minus back: 1 turns a
 * return address into its call), stop.
 */
static bool resolve_in(struct symbolizer *s, const char *fixture, const char *key, int back,
		       struct sym_info *info, int *line)
{
	struct fixture fx;
	uint64_t addr;
	bool ok = false;

	if (!ASSERT_OK(fixture__start(&fx, fixture), fixture))
		goto cleanup;
	if (!ASSERT_TRUE(fixture__get(&fx, key, &addr, line), key))
		goto cleanup;
	ok = ASSERT_OK(symbolizer__resolve(s, fx.pid, &fx.maps, NULL, addr - back, info),
		       "resolve");
cleanup:
	fixture__release(&fx);
	return ok;
}

void test_symbolize_demangle(void)
{
	char *d;

	d = symbolizer__demangle("_ZN2ns6Widget4growEm");
	ASSERT_STREQ(d, "ns::Widget::grow(unsigned long)", "method");
	free(d);
	d = symbolizer__demangle("_Z3fooi.isra.0");
	ASSERT_STRCONTAINS(d, "foo(int)", "clone suffix");
	free(d);
	ASSERT_TRUE(symbolizer__demangle("main") == NULL, "C name");
	ASSERT_TRUE(symbolizer__demangle("_Z!!!") == NULL, "bad mangling");
	ASSERT_TRUE(symbolizer__demangle(NULL) == NULL, "NULL");
}

static void check_leaf_start(struct symbolizer *s, const struct fixture *fx)
{
	const struct map_entry *e;
	struct sym_info info;
	uint64_t leaf;
	int line;

	if (!ASSERT_TRUE(fixture__get(fx, "leaf", &leaf, &line), "leaf"))
		return;
	ASSERT_OK(symbolizer__resolve(s, fx->pid, &fx->maps, NULL, leaf, &info), "resolve");
	ASSERT_EQ(info.kind, SYM_NATIVE, "kind");
	ASSERT_STREQ(info.lines[info.nlines - 1].function, "sym_leaf", "function");
	ASSERT_EQ(info.sym_offset, 0, "sym_offset");
	ASSERT_STREQ(base_name(info.module), "sym_fixture", "module");
	ASSERT_TRUE(info.build_id && strlen(info.build_id) == 40, "build id");
	e = proc_maps__find(&fx->maps, leaf);
	if (ASSERT_OK_PTR(e, "mapping"))
		ASSERT_EQ(info.module_offset, leaf - e->start + e->offset, "module_offset");
}

static void check_lines(struct symbolizer *s, const struct fixture *fx)
{
	struct sym_info info;
	uint64_t pc;
	int line;

	if (!ASSERT_TRUE(fixture__get(fx, "pc0", &pc, &line), "pc0"))
		return;
	ASSERT_OK(symbolizer__resolve(s, fx->pid, &fx->maps, NULL, pc - 1, &info), "resolve");
	ASSERT_EQ(info.nlines, 1, "nlines");
	ASSERT_STREQ(info.lines[0].function, "sym_leaf", "function");
	ASSERT_STREQ(base_name(info.lines[0].file), "sym_fixture.c", "file");
	ASSERT_EQ(info.lines[0].line, line, "line");
	ASSERT_GT(info.sym_offset, 0, "sym_offset");
}

static void check_inline(struct symbolizer *s, const struct fixture *fx)
{
	struct sym_info info;
	int line, call_line;
	uint64_t pc, unused;

	if (!ASSERT_TRUE(fixture__get(fx, "pc1", &pc, &line), "pc1") ||
	    !ASSERT_TRUE(fixture__get(fx, "call1", &unused, &call_line), "call1"))
		return;
	ASSERT_OK(symbolizer__resolve(s, fx->pid, &fx->maps, NULL, pc - 1, &info), "resolve");
	if (!ASSERT_EQ(info.nlines, 2, "nlines"))
		return;
	ASSERT_STREQ(info.lines[0].function, "sym_inlined", "inlined function");
	ASSERT_STREQ(base_name(info.lines[0].file), "sym_fixture.c", "inlined file");
	ASSERT_EQ(info.lines[0].line, line, "inlined line");
	ASSERT_STREQ(info.lines[1].function, "sym_outer", "caller");
	ASSERT_STREQ(base_name(info.lines[1].file), "sym_fixture.c", "call file");
	ASSERT_EQ(info.lines[1].line, call_line, "call line");
}

/* The same file mapped elsewhere by another process (made up here). */
static void check_other_process(struct symbolizer *s, const struct fixture *fx)
{
	const struct map_entry *e;
	struct map_entry copy;
	struct proc_maps other = { .pid = 999999, .n = 1, .v = &copy };
	struct sym_info a, b;
	uint64_t leaf;
	int line;

	if (!ASSERT_TRUE(fixture__get(fx, "leaf", &leaf, &line), "leaf"))
		return;
	e = proc_maps__find(&fx->maps, leaf);
	if (!ASSERT_OK_PTR(e, "mapping"))
		return;
	copy = *e;
	copy.start = e->start + 0x10000000;
	copy.end = e->end + 0x10000000;
	symbolizer__resolve(s, fx->pid, &fx->maps, NULL, leaf, &a);
	symbolizer__resolve(s, other.pid, &other, NULL, leaf + 0x10000000, &b);
	ASSERT_STREQ(b.lines[b.nlines - 1].function, "sym_leaf", "function");
	ASSERT_TRUE(a.lines[0].function == b.lines[0].function, "same interned string");
	ASSERT_TRUE(a.build_id == b.build_id, "same module");
}

static void check_root(struct symbolizer *s, const struct fixture *fx, const char *root)
{
	struct sym_info info;
	uint64_t leaf;
	int line;

	if (!ASSERT_TRUE(fixture__get(fx, "leaf", &leaf, &line), "leaf"))
		return;
	ASSERT_OK(symbolizer__resolve(s, fx->pid, &fx->maps, root, leaf, &info), "resolve");
	ASSERT_STREQ(info.lines[info.nlines - 1].function, "sym_leaf", root);
}

void test_symbolize_native(void)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_info info;
	struct fixture fx;
	char root[64];

	if (!ASSERT_OK_PTR(s, "symbolizer__new"))
		return;
	if (!ASSERT_OK(fixture__start(&fx, "sym_fixture"), "fixture"))
		goto cleanup;
	if (test__start_subtest("function start"))
		check_leaf_start(s, &fx);
	if (test__start_subtest("file and line"))
		check_lines(s, &fx);
	if (test__start_subtest("inline chain"))
		check_inline(s, &fx);
	if (test__start_subtest("another process shares the module"))
		check_other_process(s, &fx);
	if (test__start_subtest("root prefix")) {
		struct symbolizer *s2 = symbolizer__new();

		snprintf(root, sizeof(root), "/proc/%d/root", (int)fx.pid);
		check_root(s2, &fx, root);
		symbolizer__free(s2);
		s2 = symbolizer__new();
		check_root(s2, &fx, "/nonexistent-root");
		symbolizer__free(s2);
	}
	if (test__start_subtest("shared library")) {
		uint64_t addr;
		int line;

		if (ASSERT_TRUE(fixture__get(&fx, "libc", &addr, &line), "libc") &&
		    ASSERT_OK(symbolizer__resolve(s, fx.pid, &fx.maps, NULL, addr, &info), "resolve")) {
			ASSERT_EQ(info.kind, SYM_NATIVE, "kind");
			ASSERT_STRCONTAINS(info.lines[info.nlines - 1].function, "getpid", "function");
			ASSERT_STRCONTAINS(base_name(info.module), "libc", "module");
		}
	}
	if (test__start_subtest("idle sessions end, and open again at a miss")) {
		struct symbolizer *s2 = symbolizer__new();
		int i;

		check_leaf_start(s2, &fx);
		ASSERT_EQ(symbolizer__open_modules(s2), 1, "sym_fixture open");
		for (i = 0; i < 2; i++)
			symbolizer__trim(s2);
		ASSERT_EQ(symbolizer__open_modules(s2), 1, "two idle trims: still open");
		symbolizer__trim(s2);
		ASSERT_EQ(symbolizer__open_modules(s2), 0, "three: ended");
		check_leaf_start(s2, &fx);	/* known: answered from the cache */
		ASSERT_EQ(symbolizer__open_modules(s2), 0, "a known address opens nothing");
		check_lines(s2, &fx);		/* a new one: the file again */
		check_inline(s2, &fx);
		ASSERT_EQ(symbolizer__open_modules(s2), 1, "opened again");
		symbolizer__trim(s2);
		symbolizer__trim(s2);
		check_lines(s2, &fx);		/* in the cache: not a use */
		symbolizer__trim(s2);
		ASSERT_EQ(symbolizer__open_modules(s2), 0, "cache hits do not keep it open");
		symbolizer__free(s2);
	}
	if (test__start_subtest("no mapping")) {
		ASSERT_OK(symbolizer__resolve(s, fx.pid, &fx.maps, NULL, 0x10, &info), "resolve");
		ASSERT_EQ(info.kind, SYM_UNKNOWN, "kind");
		ASSERT_STREQ(info.module, "[unknown]", "module");
		ASSERT_TRUE(info.lines[0].function == NULL, "no function");
	}
	fixture__stop(&fx);
	if (test__start_subtest("after exit")) {
		struct symbolizer *s2 = symbolizer__new();

		/* a new symbolizer has to load the file, the process is gone */
		check_leaf_start(s2, &fx);
		check_lines(s, &fx);
		symbolizer__free(s2);
	}
	if (test__start_subtest("invalid arguments")) {
		ASSERT_EQ(symbolizer__resolve(NULL, 1, NULL, NULL, 0, &info), -EINVAL, "no s");
		ASSERT_EQ(symbolizer__resolve(s, 1, NULL, NULL, 0, NULL), -EINVAL, "no out");
	}
cleanup:
	fixture__release(&fx);
	symbolizer__free(s);
}

void test_symbolize_stripped(void)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_info info;
	int line;

	if (!ASSERT_OK_PTR(s, "symbolizer__new"))
		return;
	if (test__start_subtest("symtab without debug info") &&
	    resolve_in(s, "sym_fixture_nodebug", "pc0", 1, &info, &line)) {
		ASSERT_EQ(info.kind, SYM_NATIVE, "kind");
		ASSERT_EQ(info.nlines, 1, "nlines");
		ASSERT_STREQ(info.lines[0].function, "sym_leaf", "function");
		ASSERT_TRUE(info.lines[0].file == NULL, "no file");
		ASSERT_EQ(info.lines[0].line, 0, "no line");
	}
	if (test__start_subtest("no symbol gives module and offset")) {
		struct fixture fx;
		const struct map_entry *e;
		uint64_t leaf;

		if (!ASSERT_OK(fixture__start(&fx, "sym_fixture_stripped"), "fixture"))
			goto next;
		if (!ASSERT_TRUE(fixture__get(&fx, "leaf", &leaf, &line), "leaf"))
			goto next;
		ASSERT_OK(symbolizer__resolve(s, fx.pid, &fx.maps, NULL, leaf, &info), "resolve");
		ASSERT_EQ(info.kind, SYM_UNKNOWN, "kind");
		ASSERT_TRUE(info.lines[0].function == NULL, "no function");
		ASSERT_STREQ(base_name(info.module), "sym_fixture_stripped", "module");
		e = proc_maps__find(&fx.maps, leaf);
		if (ASSERT_OK_PTR(e, "mapping"))
			ASSERT_EQ(info.module_offset, leaf - e->start + e->offset, "offset");
next:
		fixture__release(&fx);
	}
	symbolizer__free(s);
}

static void check_separate_debug(struct symbolizer *s, const char *fixture)
{
	struct sym_info info;
	int line;

	if (!resolve_in(s, fixture, "pc0", 1, &info, &line))
		return;
	ASSERT_EQ(info.kind, SYM_NATIVE, "kind");
	ASSERT_STREQ(info.lines[0].function, "sym_leaf", "function");
	ASSERT_STREQ(base_name(info.lines[0].file), "sym_fixture.c", "file");
	ASSERT_EQ(info.lines[0].line, line, "line");
}

void test_symbolize_separate_debug(void)
{
	char dir[PATH_MAX];
	struct symbolizer *s;
	struct sym_info info;
	int line;

	if (test__start_subtest("debuglink")) {
		s = symbolizer__new();
		check_separate_debug(s, "sym_fixture_debuglink");
		symbolizer__free(s);
	}
	if (test__start_subtest("build-id")) {
		/* not found by the default path ... */
		s = symbolizer__new();
		if (resolve_in(s, "sym_fixture_buildid", "pc0", 1, &info, &line))
			ASSERT_TRUE(info.lines[0].file == NULL, "default path");
		symbolizer__free(s);
		/* ... but under DIR/.build-id/ */
		s = symbolizer__new();
		if (ASSERT_OK_PTR(realpath(FIX_DIR "debug", dir), "debug dir") &&
		    ASSERT_OK(symbolizer__set_debuginfo_path(s, dir), "set path"))
			check_separate_debug(s, "sym_fixture_buildid");
		symbolizer__free(s);
	}
}

void test_symbolize_cxx(void)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_info info;
	int line;

	if (!ASSERT_OK_PTR(s, "symbolizer__new"))
		return;
	if (resolve_in(s, "sym_fixture_cxx", "pc0", 1, &info, &line)) {
		ASSERT_EQ(info.kind, SYM_NATIVE, "kind");
		ASSERT_STREQ(info.lines[info.nlines - 1].function,
			     "ns::Widget::grow(unsigned long)", "demangled");
		ASSERT_STREQ(base_name(info.lines[0].file), "sym_fixture_cxx.cc", "file");
		ASSERT_EQ(info.lines[0].line, line, "line");
	}
	symbolizer__free(s);
}

/* JIT code: anonymous executable memory of ours, named by a perf map. */
struct jit {
	char path[64];
	uint8_t *code;
	size_t len;
	struct map_entry v[3];		/* code, then a data mapping, then [heap] */
	struct proc_maps maps;
};

static int jit__init(struct jit *j)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->path, sizeof(j->path), "/tmp/perf-%d.map", (int)getpid());
	j->len = 3 * 4096;
	j->code = mmap(NULL, j->len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (j->code == MAP_FAILED)
		return -errno;
	/* a hand-made snapshot: what /proc/self/maps would say */
	j->v[0] = (struct map_entry){ .start = (uintptr_t)j->code,
				      .end = (uintptr_t)j->code + 4096,
				      .perms = "r-xp", .path = "" };
	j->v[1] = j->v[0];
	j->v[1].start += 4096;
	j->v[1].end += 4096;
	strcpy(j->v[1].perms, "rw-p");
	j->v[2] = j->v[1];
	j->v[2].start += 4096;
	j->v[2].end += 4096;
	j->v[2].path = "[heap]";
	j->maps = (struct proc_maps){ .pid = getpid(), .n = 3, .v = j->v };
	return 0;
}

static void jit__release(struct jit *j)
{
	unlink(j->path);
	if (j->code && j->code != MAP_FAILED)
		munmap(j->code, j->len);
}

static bool jit__write(const struct jit *j, const char *mode, const char *text)
{
	FILE *f = fopen(j->path, mode);
	bool ok = f && fputs(text, f) >= 0;

	if (f)
		fclose(f);
	return ASSERT_TRUE(ok, j->path);
}

/* "START SIZE name" for code + off */
static void jit__line(const struct jit *j, char *buf, size_t size, uint64_t off, uint64_t len,
		      const char *name)
{
	snprintf(buf, size, "%" PRIx64 " %" PRIx64 " %s\n", (uint64_t)(uintptr_t)j->code + off,
		 len, name);
}

static void jit__resolve(struct symbolizer *s, const struct jit *j, uint64_t off,
			 struct sym_info *info)
{
	ASSERT_OK(symbolizer__resolve(s, getpid(), &j->maps, NULL,
				      (uintptr_t)j->code + off, info), "resolve");
}

static void check_jit_names(struct symbolizer *s, struct jit *j)
{
	char text[512], line[256];
	struct sym_info info;

	jit__line(j, text, sizeof(text), 0x100, 0x40, "jit_one");
	jit__line(j, line, sizeof(line), 0x200, 0x20, "Lcom/example/Foo;::bar (compiled)");
	strcat(text, line);
	if (!jit__write(j, "w", text))
		return;
	jit__resolve(s, j, 0x110, &info);
	ASSERT_EQ(info.kind, SYM_JIT, "kind");
	ASSERT_STREQ(info.module, "[jit]", "module");
	ASSERT_STREQ(info.lines[0].function, "jit_one", "function");
	ASSERT_EQ(info.sym_offset, 0x10, "sym_offset");
	jit__resolve(s, j, 0x21f, &info);
	ASSERT_STREQ(info.lines[0].function, "Lcom/example/Foo;::bar (compiled)", "spaces");
	jit__resolve(s, j, 0x220, &info);
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "past the end");
	ASSERT_STREQ(info.module, "[jit]", "exec anon miss");
	ASSERT_TRUE(info.lines[0].function == NULL, "no function");
}

static void check_jit_misses(struct symbolizer *s, struct jit *j)
{
	struct sym_info info;

	jit__resolve(s, j, 4096 + 0x10, &info);
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "data kind");
	ASSERT_STREQ(info.module, "[unknown]", "data module");
	jit__resolve(s, j, 2 * 4096 + 0x10, &info);
	ASSERT_STREQ(info.module, "[heap]", "heap module");
}

static void check_jit_grown(struct symbolizer *s, struct jit *j)
{
	struct sym_info info;
	char line[256];

	jit__line(j, line, sizeof(line), 0x300, 0x10, "jit_later");
	if (!jit__write(j, "a", line))
		return;
	jit__resolve(s, j, 0x308, &info);
	ASSERT_EQ(info.kind, SYM_JIT, "kind");
	ASSERT_STREQ(info.lines[0].function, "jit_later", "new entry");
	jit__resolve(s, j, 0x100, &info);
	ASSERT_STREQ(info.lines[0].function, "jit_one", "old entry");
}

static void check_jit_malformed(struct symbolizer *s, struct jit *j)
{
	char text[8192], line[256], big[3000];
	struct sym_info info;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "zzz 10 bad\n10 nosize\n-5 10 negative\n0 0 zero\n"
		 "%" PRIx64 " 10\n%" PRIx64 " 10 %s\n\n",
		 (uint64_t)(uintptr_t)j->code + 0x400, (uint64_t)(uintptr_t)j->code + 0x500, big);
	jit__line(j, line, sizeof(line), 0x600, 0x10, "jit_good");
	strcat(text, line);
	/* a later line for the same start wins */
	jit__line(j, line, sizeof(line), 0x600, 0x10, "jit_newer");
	strcat(text, line);
	strcat(text, "ffffffffffffffff 10 wraps\n");
	if (!jit__write(j, "w", text))
		return;
	jit__resolve(s, j, 0x400, &info);
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "no name");
	jit__resolve(s, j, 0x500, &info);
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "over-long line");
	jit__resolve(s, j, 0x604, &info);
	ASSERT_EQ(info.kind, SYM_JIT, "kind");
	ASSERT_STREQ(info.lines[0].function, "jit_newer", "function");
}

/* A perf map the process's user does not own names nothing. */
static void check_jit_foreign(struct jit *j)
{
	struct symbolizer *s = symbolizer__new();
	struct proc_maps maps = j->maps;
	struct sym_info info;
	char line[256];

	jit__line(j, line, sizeof(line), 0x100, 0x40, "jit_foreign");
	if (geteuid() == 0) {
		if (!jit__write(j, "w", line) || !ASSERT_OK(chown(j->path, 65534, 65534), "chown"))
			goto cleanup;
	} else {
		/* pid 1's owner is root, not us */
		snprintf(j->path, sizeof(j->path), "/tmp/perf-1.map");
		maps.pid = 1;
		if (access(j->path, F_OK) == 0) {
			test__skip("/tmp/perf-1.map exists");
			goto cleanup;
		}
		if (!jit__write(j, "wx", line))
			goto cleanup;
	}
	ASSERT_OK(symbolizer__resolve(s, maps.pid, &maps, NULL, (uintptr_t)j->code + 0x110,
				      &info), "resolve");
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "ignored");
cleanup:
	unlink(j->path);
	snprintf(j->path, sizeof(j->path), "/tmp/perf-%d.map", (int)getpid());
	symbolizer__free(s);
}

static void check_jit_symlink(struct jit *j)
{
	struct symbolizer *s = symbolizer__new();
	char target[80], line[256];
	struct sym_info info;
	FILE *f;

	snprintf(target, sizeof(target), "%s.target", j->path);
	jit__line(j, line, sizeof(line), 0x100, 0x40, "jit_via_symlink");
	f = fopen(target, "w");
	if (!ASSERT_OK_PTR(f, target))
		goto cleanup;
	fputs(line, f);
	fclose(f);
	unlink(j->path);
	if (!ASSERT_OK(symlink(target, j->path), "symlink"))
		goto cleanup;
	jit__resolve(s, j, 0x110, &info);
	ASSERT_EQ(info.kind, SYM_UNKNOWN, "not followed");
cleanup:
	unlink(target);
	unlink(j->path);
	symbolizer__free(s);
}

void test_symbolize_jit(void)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_info info;
	struct jit j = { .code = NULL };

	if (!ASSERT_OK_PTR(s, "symbolizer__new") || !ASSERT_OK(jit__init(&j), "mmap"))
		goto cleanup;
	if (test__start_subtest("perf map names"))
		check_jit_names(s, &j);
	if (test__start_subtest("misses outside exec anon"))
		check_jit_misses(s, &j);
	if (test__start_subtest("grown file is read again"))
		check_jit_grown(s, &j);
	if (test__start_subtest("malformed lines skipped"))
		check_jit_malformed(s, &j);
	if (test__start_subtest("forget pid")) {
		symbolizer__forget_pid(s, getpid());
		unlink(j.path);
		jit__resolve(s, &j, 0x604, &info);
		ASSERT_EQ(info.kind, SYM_UNKNOWN, "forgotten");
	}
	if (test__start_subtest("other owner ignored"))
		check_jit_foreign(&j);
	if (test__start_subtest("symlink ignored"))
		check_jit_symlink(&j);
cleanup:
	jit__release(&j);
	symbolizer__free(s);
}

/* tests/fuzz/fuzz_perfmap.c for 10 s (make fuzz runs it longer). */
void test_fuzz_perfmap_smoke(void)
{
	fuzz_smoke("perfmap");
}

/* tests/fuzz/fuzz_symbolize.c for 10 s (make fuzz runs it longer). */
void test_fuzz_symbolize_smoke(void)
{
	fuzz_smoke("symbolize");
}
