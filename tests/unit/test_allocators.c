/* tests/unit/test_allocators.c: finding allocator files and their functions.
 *
 * Expected offsets are computed independently of libelf, from readelf's
 * text output (symbol value through the PT_LOAD that holds it), so the
 * tests hold on whatever glibc the machine has.  Fixtures are built by
 * tests/allocators.mk into .output/fixtures/.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "target/allocators.h"
#include "target/probeplace.h"
#include "target/procmaps.h"

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBC_USR_PATH "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBZ_PATH "/lib/x86_64-linux-gnu/libz.so.1"

static const char *fixture(const char *name)
{
	static char buf[8][512];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), ".output/fixtures/%s", name);
	return p;
}

struct rsym {
	int found;
	uint64_t value, size;
};

/* The default-version definition of name in table (".dynsym"/".symtab"),
 * from `readelf -Ws`: "  506: 0000000000098ef0   257 FUNC GLOBAL DEFAULT 16 free@@GLIBC_2.2.5".
 */
static struct rsym readelf_sym(const char *file, const char *table, const char *name)
{
	struct rsym r = { 0 };
	char cmd[1024], line[1024], cur[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -Ws '%s' 2>/dev/null", file);
	f = popen(cmd, "r");
	if (!f)
		return r;
	while (fgets(line, sizeof(line), f)) {
		char type[32], bind[32], vis[32], ndx[32], sym[512], *at;
		unsigned long long value, size;
		unsigned num;

		if (sscanf(line, "Symbol table '%63[^']'", cur) == 1 || r.found || strcmp(cur, table))
			continue;
		if (sscanf(line, " %u: %llx %llu %31s %31s %31s %31s %511s", &num, &value, &size,
			   type, bind, vis, ndx, sym) != 8)
			continue;
		at = strchr(sym, '@');
		if (at && at[1] != '@')
			continue;	/* a hidden, older version */
		if (at)
			*at = '\0';
		if (strcmp(sym, name) || strcmp(ndx, "UND") == 0 || strcmp(type, "FUNC"))
			continue;
		r.found = 1;
		r.value = value;
		r.size = size;
	}
	pclose(f);
	return r;
}

/* vaddr -> file offset through `readelf -lW`'s LOAD lines; ~0 if none. */
static uint64_t readelf_file_offset(const char *file, uint64_t vaddr)
{
	char cmd[1024], line[1024];
	uint64_t ret = ~0ULL;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' 2>/dev/null", file);
	f = popen(cmd, "r");
	if (!f)
		return ret;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long off, va, pa, filesz, memsz;

		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx", &off, &va, &pa, &filesz,
			   &memsz) != 5)
			continue;
		if (vaddr >= va && vaddr < va + filesz && ret == ~0ULL)
			ret = off + (vaddr - va);
	}
	pclose(f);
	return ret;
}

/* The function as our inspection should report it, from readelf alone. */
static bool check_func(const char *file, const char *table, const char *name,
		       const struct alloc_func *fn)
{
	struct rsym r = readelf_sym(file, table, name);
	char what[128];

	snprintf(what, sizeof(what), "%s in %s", name, file);
	if (!ASSERT_TRUE(r.found, "readelf knows the symbol") || !ASSERT_TRUE(fn->present, what))
		return false;
	return ASSERT_EQ(fn->file_offset, readelf_file_offset(file, r.value), what) &
	       ASSERT_EQ(fn->size, r.size, what) &
	       ASSERT_LT(fn->probe_delta, fn->size ? fn->size : 4096, what);
}

void test_allocators_libc(void)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;
	struct stat st;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	lib = allocators__inspect(a, LIBC_PATH, NULL);
	if (test__start_subtest("libc is an allocator")) {
		if (ASSERT_OK_PTR(lib, "inspect libc")) {
			ASSERT_TRUE(lib->is_libc, "is_libc");
			ASSERT_TRUE(lib->is_allocator, "is an allocator");
			/* its malloc calls nothing probed: probes say so */
			ASSERT_TRUE(lib->leaf_calls, "leaf_calls");
			ASSERT_TRUE(alloc_func_is_leaf(ML_FN_MALLOC), "malloc is a leaf");
			ASSERT_TRUE(alloc_func_is_leaf(ML_FN_POSIX_MEMALIGN), "posix_memalign too");
			ASSERT_FALSE(alloc_func_is_leaf(ML_FN_REALLOC), "not realloc");
			ASSERT_FALSE(alloc_func_is_leaf(ML_FN_CXX_NEW_ARRAY), "not new[]: a jump to new");
			ASSERT_FALSE(alloc_func_is_leaf(ML_FN_REALLOCARRAY), "not reallocarray");
			ASSERT_FALSE(alloc_func_is_leaf(ML_FN_FREE), "not free");
			ASSERT_STREQ(lib->path, LIBC_PATH, "path");
			ASSERT_STREQ(lib->display_path, LIBC_PATH, "display_path defaults to path");
			ASSERT_OK(stat(LIBC_PATH, &st), "stat libc");
			ASSERT_EQ(lib->dev, st.st_dev, "dev");
			ASSERT_EQ(lib->inode, st.st_ino, "inode");
		}
	}
	if (!lib)
		goto cleanup;
	if (test__start_subtest("offsets match readelf")) {
		static const int fns[] = { ML_FN_MALLOC, ML_FN_FREE, ML_FN_CALLOC, ML_FN_REALLOC,
					   ML_FN_POSIX_MEMALIGN, ML_FN_ALIGNED_ALLOC,
					   ML_FN_MEMALIGN, ML_FN_VALLOC };
		size_t i;

		for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
			check_func(LIBC_PATH, ".dynsym", alloc_func_name(fns[i]), &lib->fn[fns[i]]);
	}
	if (test__start_subtest("aligned_alloc and memalign are one")) {
		struct rsym al = readelf_sym(LIBC_PATH, ".dynsym", "aligned_alloc");
		struct rsym me = readelf_sym(LIBC_PATH, ".dynsym", "memalign");

		if (al.found && me.found && al.value == me.value) {
			ASSERT_EQ(lib->fn[ML_FN_MEMALIGN].alias_of, ML_FN_ALIGNED_ALLOC, "memalign");
			ASSERT_EQ(lib->fn[ML_FN_ALIGNED_ALLOC].alias_of, -1, "aligned_alloc");
		} else {
			test__skip("this libc has separate aligned_alloc and memalign");
		}
		ASSERT_EQ(lib->fn[ML_FN_MALLOC].alias_of, -1, "malloc is no alias");
		ASSERT_EQ(lib->fn[ML_FN_FREE].alias_of, -1, "free is no alias");
	}
	if (test__start_subtest("anchors")) {
		check_func(LIBC_PATH, ".dynsym", "sbrk", &lib->anchor[ANCHOR_SBRK]);
		check_func(LIBC_PATH, ".dynsym", "mremap", &lib->anchor[ANCHOR_MREMAP]);
		ASSERT_STREQ(anchor_func_name(ANCHOR_MREMAP), "mremap", "anchor name");
	}
	if (test__start_subtest("probe placement as probe_place says")) {
		const struct alloc_func *fr = &lib->fn[ML_FN_FREE];
		struct rsym r = readelf_sym(LIBC_PATH, ".dynsym", "free");
		struct place_request req = { 0 };
		struct place_result res = { 0 };
		uint8_t code[4096];
		ssize_t got = -1;
		int fd = open(LIBC_PATH, O_RDONLY);

		if (fd >= 0) {
			got = pread(fd, code, fr->size < sizeof(code) ? fr->size : sizeof(code),
				    (off_t)fr->file_offset);
			close(fd);
		}
		if (ASSERT_GT(got, 0, "read free's bytes")) {
			req.code = code;
			req.size = (size_t)got;
			req.vaddr = r.value;
			req.nargs = 1;	/* free's pointer must be intact */
			ASSERT_OK(probe_place(&req, &res), "probe_place");
			ASSERT_EQ(fr->probe_delta, res.offset, "free probe_delta");
			ASSERT_EQ(fr->sp_adjust, res.sp_adjust, "free sp_adjust");
		}
	}
	if (test__start_subtest("cached by inode")) {
		ASSERT_TRUE(allocators__inspect(a, LIBC_PATH, NULL) == lib, "same path, same pointer");
		ASSERT_TRUE(allocators__inspect(a, LIBC_USR_PATH, "x") == lib,
			    "another name of the file, same pointer");
	}
	if (test__start_subtest("names")) {
		ASSERT_STREQ(alloc_func_name(ML_FN_POSIX_MEMALIGN), "posix_memalign", "name");
		ASSERT_STREQ(alloc_func_name(ML_FN_MAX), "?", "out of range");
		ASSERT_STREQ(v8_gc_function_name(ML_GC_SCAVENGE), "ScavengerCollector::CollectGarbage",
			     "scavenger");
		ASSERT_STREQ(v8_gc_function_name(ML_GC_MINOR_MC),
			     "MinorMarkCompactCollector::CollectGarbage", "minor mark-compact");
		ASSERT_STREQ(v8_gc_function_name(ML_GC_FULL), "MarkCompactCollector::CollectGarbage",
			     "full");
		ASSERT_STREQ(v8_gc_function_name(ML_GC_MAX), "?", "gc out of range");
		ASSERT_STREQ(v8_gc_function_name((enum ml_gc_kind)-1), "?", "gc negative");
	}
cleanup:
	allocators__free(a);
}

void test_allocators_not_allocator(void)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	if (test__start_subtest("an executable")) {
		lib = allocators__inspect(a, "/bin/true", NULL);
		ASSERT_TRUE(lib == NULL, "/bin/true");
		ASSERT_EQ(errno, 0, "no error, just not an allocator");
		ASSERT_TRUE(allocators__inspect(a, "/bin/true", NULL) == NULL, "cached answer");
	}
	if (test__start_subtest("a library")) {
		if (access(LIBZ_PATH, R_OK) == 0)
			ASSERT_TRUE(allocators__inspect(a, LIBZ_PATH, NULL) == NULL, "libz");
		else
			test__skip(LIBZ_PATH " missing");
	}
	if (test__start_subtest("not ELF, missing, a directory")) {
		ASSERT_TRUE(allocators__inspect(a, "tests/unit/test_allocators.c", NULL) == NULL,
			    "a source file");
		lib = allocators__inspect(a, "/nonexistent/libc.so.6", NULL);
		ASSERT_TRUE(lib == NULL && errno == ENOENT, "a missing file");
		ASSERT_TRUE(allocators__inspect(a, "/lib", NULL) == NULL, "a directory");
	}
	allocators__free(a);
	allocators__free(NULL);
}

void test_allocators_static(void)
{
	const char *exe = fixture("static_alloc");
	const struct allocator_lib *lib, *out[4];
	struct allocators *a = allocators__new();
	int n;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	lib = allocators__inspect(a, exe, NULL);
	if (test__start_subtest("malloc from .symtab")) {
		ASSERT_FALSE(readelf_sym(exe, ".dynsym", "malloc").found, "no .dynsym malloc");
		if (ASSERT_OK_PTR(lib, "static executable is an allocator")) {
			check_func(exe, ".symtab", "malloc", &lib->fn[ML_FN_MALLOC]);
			check_func(exe, ".symtab", "free", &lib->fn[ML_FN_FREE]);
			check_func(exe, ".symtab", "realloc", &lib->fn[ML_FN_REALLOC]);
			/* glibc linked in: its wrappers and anchors are there too */
			ASSERT_TRUE(lib->is_libc, "static glibc counts as libc");
			/* a static executable may define its own malloc */
			ASSERT_FALSE(lib->leaf_calls, "no leaf_calls");
			check_func(exe, ".symtab", "strdup", &lib->anchor[ANCHOR_STRDUP]);
		}
	}
	if (test__start_subtest("for_command: the binary alone")) {
		n = allocators__for_command(a, exe, out, 4);
		if (ASSERT_EQ(n, 1, "one allocator"))
			ASSERT_TRUE(out[0] == lib, "the executable");
	}
	allocators__free(a);
}

void test_allocators_myalloc(void)
{
	const char *so = fixture("libmyalloc.so");
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	lib = allocators__inspect(a, so, "/opt/libmyalloc.so");
	if (test__start_subtest("own malloc and free") && ASSERT_OK_PTR(lib, "libmyalloc")) {
		ASSERT_FALSE(lib->is_libc, "not libc, despite its __libc_malloc");
		ASSERT_FALSE(lib->leaf_calls, "an unknown malloc may call anything");
		ASSERT_STREQ(lib->display_path, "/opt/libmyalloc.so", "display_path");
		check_func(so, ".dynsym", "malloc", &lib->fn[ML_FN_MALLOC]);
		check_func(so, ".dynsym", "free", &lib->fn[ML_FN_FREE]);
		check_func(so, ".dynsym", "calloc", &lib->fn[ML_FN_CALLOC]);
		check_func(so, ".dynsym", "realloc", &lib->fn[ML_FN_REALLOC]);
		ASSERT_FALSE(lib->fn[ML_FN_POSIX_MEMALIGN].present, "no posix_memalign");
		ASSERT_FALSE(lib->anchor[ANCHOR_STRDUP].present, "no strdup outside libc");
		ASSERT_FALSE(lib->anchor[ANCHOR_SBRK].present, "no anchors outside libc");
	}
	allocators__free(a);
}

/* Real allocators when the machine has them (not a build dependency). */
void test_allocators_real_world(void)
{
	static const char *const libs[] = {
		"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
		"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
		"/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
	};
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;
	size_t i;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		const char *base = strrchr(libs[i], '/') + 1;

		if (!test__start_subtest(base))
			continue;
		if (access(libs[i], R_OK)) {
			test__skip("not installed");
			continue;
		}
		lib = allocators__inspect(a, libs[i], NULL);
		if (!ASSERT_OK_PTR(lib, base))
			continue;
		ASSERT_FALSE(lib->is_libc, "not the C library");
		ASSERT_TRUE(lib->leaf_calls, "known: its malloc calls nothing probed");
		ASSERT_FALSE(lib->anchor[ANCHOR_STRDUP].present, "strdup left to libc");
		check_func(libs[i], ".dynsym", "malloc", &lib->fn[ML_FN_MALLOC]);
		check_func(libs[i], ".dynsym", "free", &lib->fn[ML_FN_FREE]);
	}
	allocators__free(a);
}

/* The n answers are exactly: libmyalloc.so, then libc. */
static void expect_myalloc_then_libc(const struct allocator_lib **out, int n)
{
	if (!ASSERT_EQ(n, 2, "allocators"))
		return;
	ASSERT_STRCONTAINS(out[0]->path, "libmyalloc.so", "first: the specific allocator");
	ASSERT_FALSE(out[0]->is_libc, "first is not libc");
	ASSERT_TRUE(out[1]->is_libc, "libc last");
}

static void with_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* Does ld.so load path with this LD_LIBRARY_PATH?  It exits 127 when a
 * library is missing.
 */
static bool ld_so_loads(const char *path, const char *llp)
{
	char env[256];
	int status;
	pid_t pid;

	snprintf(env, sizeof(env), "LD_LIBRARY_PATH=%s", llp);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL }, *envp[] = { env, NULL };
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execve(path, argv, envp);
		_exit(126);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* LD_LIBRARY_PATH's empty entries, separators and $ORIGIN: what we find
 * must be what ld.so loads.  Empty entries (the current directory) are
 * tried from the fixtures' directory, which holds libmyalloc.so; $ORIGIN
 * from here, where "." does not.
 */
static void llp_as_ld_so(struct allocators *a)
{
	static const struct {
		const char *llp;
		bool in_fixtures, found;
	} cases[] = {
		{ "$ORIGIN", false, true },		/* the executable's directory */
		{ "/x:${ORIGIN}", false, true },
		{ ".", false, false },
		{ "/nonexistent:", true, true },	/* trailing: the current directory */
		{ ":/nonexistent", true, true },
		{ "/nonexistent::/x", true, true },
		{ "/nonexistent;", true, true },	/* ';' separates too */
		{ "", true, false },			/* empty as a whole: ignored */
		{ "/nonexistent", true, false },
	};
	const struct allocator_lib *out[8];
	char cwd[PATH_MAX], exe[PATH_MAX];
	size_t i;
	int n;

	if (!ASSERT_OK_PTR(getcwd(cwd, sizeof(cwd)), "getcwd"))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(exe, sizeof(exe), "%s", cases[i].in_fixtures ? "./myalloc_user_norpath" :
			 fixture("myalloc_user_norpath"));
		if (cases[i].in_fixtures && !ASSERT_OK(chdir(fixture("")), "chdir fixtures"))
			break;
		setenv("LD_LIBRARY_PATH", cases[i].llp, 1);
		n = allocators__for_command(a, exe, out, 8);
		unsetenv("LD_LIBRARY_PATH");
		if (cases[i].found) {
			expect_myalloc_then_libc(out, n);
		} else if (ASSERT_EQ(n, 1, cases[i].llp)) {
			ASSERT_TRUE(out[0]->is_libc, "libc only");
		}
		ASSERT_EQ(ld_so_loads(exe, cases[i].llp), cases[i].found, cases[i].llp);
		if (!ASSERT_OK(chdir(cwd), "chdir back"))
			break;
	}
}

void test_allocators_for_command(void)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *out[8];
	char *old_llp = getenv("LD_LIBRARY_PATH"), *old_pre = getenv("LD_PRELOAD");
	char preload[1024], script[] = "/tmp/alloc_script_XXXXXX";
	int n, fd;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	old_llp = old_llp ? strdup(old_llp) : NULL;
	old_pre = old_pre ? strdup(old_pre) : NULL;
	unsetenv("LD_LIBRARY_PATH");
	unsetenv("LD_PRELOAD");
	if (test__start_subtest("RUNPATH $ORIGIN"))
		expect_myalloc_then_libc(out, allocators__for_command(a, fixture("myalloc_user"), out, 8));
	if (test__start_subtest("RPATH"))
		expect_myalloc_then_libc(out, allocators__for_command(a, fixture("myalloc_user_rpath"),
								      out, 8));
	if (test__start_subtest("LD_LIBRARY_PATH")) {
		n = allocators__for_command(a, fixture("myalloc_user_norpath"), out, 8);
		if (ASSERT_EQ(n, 1, "without LD_LIBRARY_PATH: libc only"))
			ASSERT_TRUE(out[0]->is_libc, "libc");
		setenv("LD_LIBRARY_PATH", "/nonexistent:.output/fixtures", 1);
		n = allocators__for_command(a, fixture("myalloc_user_norpath"), out, 8);
		unsetenv("LD_LIBRARY_PATH");
		expect_myalloc_then_libc(out, n);
	}
	if (test__start_subtest("LD_LIBRARY_PATH as ld.so reads it"))
		llp_as_ld_so(a);
	if (test__start_subtest("LD_PRELOAD and PATH")) {
		snprintf(preload, sizeof(preload), " libnonexistent.so:%s ", fixture("libmyalloc.so"));
		setenv("LD_PRELOAD", preload, 1);
		n = allocators__for_command(a, "true", out, 8);
		unsetenv("LD_PRELOAD");
		expect_myalloc_then_libc(out, n);
		n = allocators__for_command(a, fixture("myalloc_user"), out, 1);
		if (ASSERT_EQ(n, 1, "max = 1"))
			ASSERT_FALSE(out[0]->is_libc, "the most specific kept");
	}
	if (test__start_subtest("a script")) {
		fd = mkstemp(script);
		if (ASSERT_GE(fd, 0, "mkstemp")) {
			ASSERT_EQ(write(fd, "#!/bin/sh\nexit 0\n", 17), 17, "write script");
			close(fd);
			n = allocators__for_command(a, script, out, 8);
			if (ASSERT_EQ(n, 1, "libc of the interpreter"))
				ASSERT_TRUE(out[0]->is_libc, "libc");
			fd = open(script, O_WRONLY | O_TRUNC);
			ASSERT_EQ(write(fd, "plain text\n", 11), 11, "rewrite");
			close(fd);
			n = allocators__for_command(a, script, out, 8);
			if (ASSERT_EQ(n, 1, "not a program: our own libc"))
				ASSERT_TRUE(out[0]->is_libc, "libc");
			unlink(script);
		}
	}
	if (test__start_subtest("a missing command")) {
		ASSERT_LT(allocators__for_command(a, "no-such-command-memleakbpf", out, 8), 0,
			  "not in PATH");
		ASSERT_LT(allocators__for_command(a, "/nonexistent/cmd", out, 8), 0, "missing path");
	}
	with_env("LD_LIBRARY_PATH", old_llp);
	with_env("LD_PRELOAD", old_pre);
	free(old_llp);
	free(old_pre);
	allocators__free(a);
}

void test_allocators_for_process(void)
{
	struct allocators *a = allocators__new();
	const struct allocator_lib *out[8], *libc;
	struct proc_maps maps = { 0 };
	int n;

	if (!ASSERT_OK_PTR(a, "allocators__new"))
		return;
	libc = allocators__inspect(a, LIBC_PATH, NULL);
	if (test__start_subtest("the runner's libc")) {
		if (ASSERT_OK(proc_maps__read(getpid(), &maps), "proc_maps__read")) {
			n = allocators__for_process(a, getpid(), &maps, out, 8);
			if (ASSERT_GE(n, 1, "allocators")) {
				ASSERT_TRUE(out[n - 1]->is_libc, "libc last");
				ASSERT_TRUE(out[n - 1] == libc, "the libc.so.6 inspected directly");
				ASSERT_STRCONTAINS(out[n - 1]->display_path, "libc.so", "display_path");
			}
		}
		proc_maps__release(&maps);
	}
	if (test__start_subtest("maps read on demand")) {
		n = allocators__for_process(a, getpid(), NULL, out, 8);
		if (ASSERT_GE(n, 1, "allocators"))
			ASSERT_TRUE(out[n - 1] == libc, "libc");
		ASSERT_EQ(allocators__for_process(a, getpid(), NULL, out, 0), 0, "max = 0");
	}
	if (test__start_subtest("a file known by its maps identity is not opened again")) {
		size_t i;

		/* libc's mapping named by a path that does not exist: only the
		 * cache by (device, inode), filled above, can know it
		 */
		if (ASSERT_OK(proc_maps__read(getpid(), &maps), "proc_maps__read")) {
			for (i = 0; i < maps.n; i++) {
				if (!strstr(maps.v[i].path, "libc.so"))
					continue;
				free(maps.v[i].path);
				maps.v[i].path = strdup("/nonexistent/libc-renamed.so.6");
			}
			n = allocators__for_process(a, getpid(), &maps, out, 8);
			if (ASSERT_GE(n, 1, "allocators"))
				ASSERT_TRUE(out[n - 1] == libc, "libc, from the cache");
			for (i = 0; i < maps.n; i++)
				maps.v[i].inode = 0;	/* no identity: looked up by path */
			n = allocators__for_process(a, getpid(), &maps, out, 8);
			ASSERT_GE(n, 0, "allocators");
			for (i = 0; i < (size_t)n; i++)
				ASSERT_FALSE(out[i] == libc, "not libc: its path does not exist");
		}
		proc_maps__release(&maps);
	}
	allocators__free(a);
}

/* libstdc++ is no allocator, but it defines operator new and delete:
 * it is reported for those.
 */
void test_allocators_libstdcxx(void)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
	struct allocators *a = allocators__new();
	const struct allocator_lib *lib;

	if (access(path, R_OK)) {
		test__skip("no libstdc++ here");
		goto out;
	}
	lib = allocators__inspect(a, path, path);
	if (!ASSERT_OK_PTR(lib, "libstdc++ is reported"))
		goto out;
	ASSERT_FALSE(lib->is_allocator, "not an allocator");
	ASSERT_FALSE(lib->leaf_calls, "its operator new calls malloc");
	ASSERT_FALSE(lib->fn[ML_FN_MALLOC].present, "no malloc");
	check_func(path, ".dynsym", "_Znwm", &lib->fn[ML_FN_CXX_NEW]);
	check_func(path, ".dynsym", "_Znam", &lib->fn[ML_FN_CXX_NEW_ARRAY]);
	check_func(path, ".dynsym", "_ZdlPv", &lib->fn[ML_FN_CXX_DELETE]);
	ASSERT_FALSE(lib->anchor[ANCHOR_STRDUP].present, "no libc anchors");
out:
	allocators__free(a);
}

/* tests/fuzz/fuzz_allocators.c for 10 s (make fuzz runs it longer). */
void test_fuzz_allocators_smoke(void)
{
	fuzz_smoke("allocators");
}
