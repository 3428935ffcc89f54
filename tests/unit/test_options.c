/* tests/unit/test_options.c: the command line parser and its value parsers.
 *
 * options__parse() is run on whole argv arrays; what it prints on stdout
 * and stderr is captured (capture.h) and checked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "capture.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include "cli/options.h"

#define NSEC_PER_SEC 1000000000ULL
#define HINT "Try 'memleakbpf --help' for more information."

struct parsed {
	enum options_result res;
	struct options opts;
	char out[16384];	/* stdout */
	char err[4096];		/* stderr */
};

/* argv is NULL-terminated; argv[0] is the program. */
static struct parsed *parse(char **argv)
{
	static struct parsed p;
	struct capture c;
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(&p, 0, sizeof(p));
	capture_start(&c);
	p.res = options__parse(&p.opts, argc, argv);
	capture_end(&c, p.out, sizeof(p.out), p.err, sizeof(p.err));
	return &p;
}

#define ARGV(...) ((char *[]){ "memleakbpf", ##__VA_ARGS__, NULL })

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A bad value: OPTIONS_BAD, two lines: what failed (with needles), the hint. */
static void expect_bad(char **argv, const char *needle1, const char *needle2)
{
	struct parsed *p = parse(argv);
	char what[256];

	snprintf(what, sizeof(what), "%s %s", argv[1], argv[2] ? argv[2] : "");
	ASSERT_EQ(p->res, OPTIONS_BAD, what);
	ASSERT_STRCONTAINS(p->err, "memleakbpf: ", what);
	ASSERT_STRCONTAINS(p->err, needle1, what);
	if (needle2)
		ASSERT_STRCONTAINS(p->err, needle2, what);
	ASSERT_STRCONTAINS(p->err, "\n" HINT "\n", what);
	ASSERT_EQ(count_lines(p->err), 2, what);
	ASSERT_STREQ(p->out, "", what);
}

void test_options_parse_size(void)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "1", 1 }, { "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 },
		{ "4KB", 4096 }, { "4KiB", 4096 }, { "1M", 1048576 }, { "1m", 1048576 },
		{ "2G", 2147483648ULL }, { "1T", 1099511627776ULL }, { "512B", 512 },
		{ "007", 7 }, { "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1X", "K", "1.5M", "1KK", "0x10", "abc",
		"18446744073709551616", "16777216T", "99999999999999999999",
	};
	size_t i;

	if (test__start_subtest("accepted")) {
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			uint64_t v = 12345;

			if (ASSERT_OK(parse_size(ok[i].s, &v), ok[i].s))
				ASSERT_TRUE(v == ok[i].v, ok[i].s);
		}
	}
	if (test__start_subtest("rejected")) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint64_t v = 12345;

			ASSERT_EQ(parse_size(bad[i], &v), -EINVAL, bad[i]);
			ASSERT_EQ(v, 12345, bad[i]);
		}
	}
}

void test_options_parse_duration(void)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "0", 0 }, { "10", 10 * NSEC_PER_SEC }, { "10s", 10 * NSEC_PER_SEC },
		{ "500ms", 500000000 }, { "1.5s", 1500000000 }, { "1.5", 1500000000 },
		{ "2m", 120 * NSEC_PER_SEC }, { "1h", 3600 * NSEC_PER_SEC },
		{ "0.5m", 30 * NSEC_PER_SEC }, { ".25s", 250000000 }, { "2.s", 2 * NSEC_PER_SEC },
		{ "1.5ms", 1500000 }, { "0.000000001s", 1 }, { "0.0000000019s", 1 },
		{ "5124095h", 5124095ULL * 3600 * NSEC_PER_SEC },
	};
	static const char *const bad[] = {
		"", "-1s", "-1", "+1s", " 1s", "1s ", "10x", "s", "ms", ".", ".s", "1.2.3s",
		"1S", "1sec", "10mss", "1e3", "18446744074s", "5124096h", "99999999999999999999",
	};
	size_t i;

	if (test__start_subtest("accepted")) {
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			uint64_t ns = 12345;

			if (ASSERT_OK(parse_duration(ok[i].s, &ns), ok[i].s))
				ASSERT_TRUE(ns == ok[i].ns, ok[i].s);
		}
	}
	if (test__start_subtest("rejected")) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint64_t ns = 12345;

			ASSERT_EQ(parse_duration(bad[i], &ns), -EINVAL, bad[i]);
			ASSERT_EQ(ns, 12345, bad[i]);
		}
	}
}

void test_options_parse_pid_list(void)
{
	pid_t pids[OPTIONS_MAX_PIDS];
	int n;

	if (test__start_subtest("one and several")) {
		n = 0;
		if (ASSERT_OK(parse_pid_list("12", pids, &n, OPTIONS_MAX_PIDS), "12") &&
		    ASSERT_EQ(n, 1, "n"))
			ASSERT_EQ(pids[0], 12, "pids[0]");
		if (ASSERT_OK(parse_pid_list("34,56", pids, &n, OPTIONS_MAX_PIDS), "34,56") &&
		    ASSERT_EQ(n, 3, "n")) {
			ASSERT_EQ(pids[1], 34, "pids[1]");
			ASSERT_EQ(pids[2], 56, "pids[2]");
		}
		/* A pid given twice is traced once. */
		if (ASSERT_OK(parse_pid_list("12,78,78", pids, &n, OPTIONS_MAX_PIDS), "dup"))
			ASSERT_EQ(n, 4, "n after duplicates");
		ASSERT_EQ(pids[3], 78, "pids[3]");
		if (ASSERT_OK(parse_pid_list("2147483647", pids, &n, OPTIONS_MAX_PIDS), "max"))
			ASSERT_EQ(pids[4], 2147483647, "pids[4]");
	}
	if (test__start_subtest("rejected")) {
		static const char *const bad[] = {
			"", ",", "12,", ",12", "12,,34", "abc", "12a", "0", "-3", "12,-3", "+5",
			" 12", "12 ", "1.5", "2147483648", "99999999999999999999", "12;34",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n = 1;
			pids[0] = 99;
			ASSERT_EQ(parse_pid_list(bad[i], pids, &n, OPTIONS_MAX_PIDS), -EINVAL, bad[i]);
			ASSERT_EQ(n, 1, bad[i]);	/* all or nothing */
			ASSERT_EQ(pids[0], 99, bad[i]);
		}
	}
	if (test__start_subtest("too many")) {
		n = 0;
		ASSERT_OK(parse_pid_list("1,2,3", pids, &n, 4), "three of four");
		ASSERT_EQ(parse_pid_list("4,5", pids, &n, 4), -E2BIG, "five of four");
		ASSERT_EQ(n, 3, "unchanged");
		ASSERT_OK(parse_pid_list("4,1", pids, &n, 4), "four of four");
		ASSERT_EQ(n, 4, "full");
		ASSERT_EQ(parse_pid_list("5", pids, &n, 4), -E2BIG, "one more");
	}
}

void test_options_sort_key(void)
{
	static const struct { const char *s; enum sort_key k; } keys[] = {
		{ "growth", SORT_GROWTH }, { "outstanding", SORT_OUTSTANDING },
		{ "count", SORT_COUNT }, { "age", SORT_AGE },
	};
	static const char *const bad[] = { "", "Growth", "grow", "growthx", "size", "bytes" };
	enum sort_key k;
	size_t i;

	if (test__start_subtest("names round trip")) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			k = SORT_AGE + 1;
			if (ASSERT_OK(parse_sort_key(keys[i].s, &k), keys[i].s))
				ASSERT_EQ(k, keys[i].k, keys[i].s);
			ASSERT_STREQ(sort_key_name(keys[i].k), keys[i].s, "sort_key_name");
		}
		ASSERT_STREQ(sort_key_name((enum sort_key)42), "?", "out of range");
	}
	if (test__start_subtest("rejected")) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ASSERT_EQ(parse_sort_key(bad[i], &k), -EINVAL, bad[i]);
	}
}

void test_options_defaults(void)
{
	struct parsed *p = parse(ARGV());
	const struct options *o = &p->opts;

	ASSERT_EQ(p->res, OPTIONS_OK, "result");
	ASSERT_STREQ(p->err, "", "stderr");
	ASSERT_STREQ(p->out, "", "stdout");
	ASSERT_EQ(o->npids, 0, "npids");
	ASSERT_TRUE(o->interval_ns == 10 * NSEC_PER_SEC, "interval 10s");
	ASSERT_EQ(o->duration_ns, 0, "duration");
	ASSERT_EQ(o->top, 10, "top");
	ASSERT_EQ(o->min_age_ns, 0, "min_age");
	ASSERT_EQ(o->min_size, 0, "min_size");
	ASSERT_TRUE(o->max_size == UINT64_MAX, "max_size");
	ASSERT_EQ(o->sort, SORT_GROWTH, "sort");
	ASSERT_EQ(o->sample_bytes, 0, "sample_bytes");
	ASSERT_FALSE(o->no_malloc || o->no_mmap || o->json, "flags");
	ASSERT_TRUE(!o->folded_path && !o->flamegraph_path && !o->pprof_path, "exports");
	ASSERT_EQ(o->metric, METRIC_OUTSTANDING, "metric");
	ASSERT_FALSE(o->every, "every");
	ASSERT_EQ(o->verbosity, 0, "verbosity");
	ASSERT_EQ(o->max_allocs, 1 << 20, "max_allocs");
	ASSERT_EQ(o->max_stacks, 1 << 15, "max_stacks");
	ASSERT_TRUE(o->cmd == NULL && o->ncmd == 0, "cmd");
}

void test_options_every_option(void)
{
	if (test__start_subtest("long")) {
		struct parsed *p = parse(ARGV("--pid", "12,34", "--pid=56", "--interval", "500ms",
					      "--duration", "1.5s", "--top", "20", "--min-age", "30s",
					      "--min-size", "4K", "--max-size", "1M", "--sort", "age",
					      "--sample-bytes", "512K", "--no-mmap", "--json",
					      "--folded", "out.folded", "--flamegraph", "out.svg",
					      "--pprof", "out.pb.gz", "--metric", "alloc-bytes", "--every",
					      "--verbose", "--verbose",
					      "--max-allocs", "4096", "--max-stacks", "2K"));
		const struct options *o = &p->opts;

		if (!ASSERT_EQ(p->res, OPTIONS_OK, "result"))
			fprintf(stderr, "%s", p->err);
		if (ASSERT_EQ(o->npids, 3, "npids")) {
			ASSERT_EQ(o->pids[0], 12, "pid 0");
			ASSERT_EQ(o->pids[1], 34, "pid 1");
			ASSERT_EQ(o->pids[2], 56, "pid 2");
		}
		ASSERT_EQ(o->interval_ns, 500000000, "interval");
		ASSERT_EQ(o->duration_ns, 1500000000, "duration");
		ASSERT_EQ(o->top, 20, "top");
		ASSERT_TRUE(o->min_age_ns == 30 * NSEC_PER_SEC, "min_age");
		ASSERT_EQ(o->min_size, 4096, "min_size");
		ASSERT_EQ(o->max_size, 1048576, "max_size");
		ASSERT_EQ(o->sort, SORT_AGE, "sort");
		ASSERT_EQ(o->sample_bytes, 524288, "sample_bytes");
		ASSERT_TRUE(!o->no_malloc && o->no_mmap && o->json, "flags");
		ASSERT_STREQ(o->folded_path, "out.folded", "folded");
		ASSERT_STREQ(o->flamegraph_path, "out.svg", "flamegraph");
		ASSERT_STREQ(o->pprof_path, "out.pb.gz", "pprof");
		ASSERT_EQ(o->metric, METRIC_ALLOC_BYTES, "metric");
		ASSERT_TRUE(o->every, "every");
		ASSERT_EQ(o->verbosity, 2, "verbosity");
		ASSERT_EQ(o->max_allocs, 4096, "max_allocs");
		ASSERT_EQ(o->max_stacks, 2048, "max_stacks");
		ASSERT_STREQ(p->err, "", "stderr");
	}
	if (test__start_subtest("short")) {
		struct parsed *p = parse(ARGV("-p", "7", "-p8", "-i", "2m", "-d", "1h", "-T", "3",
					      "-vvq", "--no-mmap", "--sort=count"));
		const struct options *o = &p->opts;

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		if (ASSERT_EQ(o->npids, 2, "npids")) {
			ASSERT_EQ(o->pids[0], 7, "pid 0");
			ASSERT_EQ(o->pids[1], 8, "pid 1");
		}
		ASSERT_TRUE(o->interval_ns == 120 * NSEC_PER_SEC, "interval");
		ASSERT_TRUE(o->duration_ns == 3600 * NSEC_PER_SEC, "duration");
		ASSERT_EQ(o->top, 3, "top");
		ASSERT_EQ(o->verbosity, 1, "verbosity");
		ASSERT_TRUE(o->no_mmap && !o->no_malloc, "no_mmap");
		ASSERT_EQ(o->sort, SORT_COUNT, "sort");
	}
	if (test__start_subtest("quiet")) {
		struct parsed *p = parse(ARGV("-q", "--quiet", "--interval", "10"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_EQ(p->opts.verbosity, -2, "verbosity");
		ASSERT_TRUE(p->opts.interval_ns == 10 * NSEC_PER_SEC, "bare seconds");
	}
	if (test__start_subtest("last value wins, state reset between calls")) {
		struct parsed *p = parse(ARGV("-T", "5", "-T", "6"));

		ASSERT_EQ(p->opts.top, 6, "top");
		p = parse(ARGV("-i", "1s"));
		ASSERT_EQ(p->opts.top, 10, "top back to default");
		ASSERT_EQ(p->opts.npids, 0, "npids");
	}
}

void test_options_command(void)
{
	if (test__start_subtest("command keeps its options")) {
		char **argv = ARGV("-i", "1s", "--", "ls", "-l", "--json", "-p", "3", "--");
		struct parsed *p = parse(argv);
		const struct options *o = &p->opts;

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		if (ASSERT_EQ(o->ncmd, 6, "ncmd")) {
			ASSERT_TRUE(o->cmd == argv + 4, "cmd points into argv");
			ASSERT_STREQ(o->cmd[0], "ls", "cmd[0]");
			ASSERT_STREQ(o->cmd[1], "-l", "cmd[1]");
			ASSERT_STREQ(o->cmd[5], "--", "cmd[5]");
			ASSERT_TRUE(o->cmd[6] == NULL, "NULL-terminated");
		}
		ASSERT_FALSE(o->json, "--json belongs to the command");
		ASSERT_EQ(o->npids, 0, "-p belongs to the command");
		ASSERT_EQ(o->interval_ns, 1000000000, "interval");
	}
	if (test__start_subtest("example: -- ./cmd args")) {
		struct parsed *p = parse(ARGV("--", "./cmd", "args"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		if (ASSERT_EQ(p->opts.ncmd, 2, "ncmd"))
			ASSERT_STREQ(p->opts.cmd[1], "args", "cmd[1]");
	}
	if (test__start_subtest("command that looks like an option")) {
		struct parsed *p = parse(ARGV("--", "-v"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_EQ(p->opts.verbosity, 0, "not ours");
		if (ASSERT_EQ(p->opts.ncmd, 1, "ncmd"))
			ASSERT_STREQ(p->opts.cmd[0], "-v", "cmd[0]");
	}
	if (test__start_subtest("the examples of --help")) {
		struct parsed *p = parse(ARGV("-p", "1234", "--interval", "10"));

		ASSERT_EQ(p->res, OPTIONS_OK, "-p 1234 --interval 10");
		p = parse(ARGV("--top", "20", "--min-age", "30s"));
		ASSERT_EQ(p->res, OPTIONS_OK, "--top 20 --min-age 30s");
		p = parse(ARGV("--json", "-d", "30s", "-p", "1234"));
		ASSERT_EQ(p->res, OPTIONS_OK, "--json -d 30s -p 1234");
		ASSERT_TRUE(p->opts.json && p->opts.npids == 1 && p->opts.pids[0] == 1234, "json pid");
	}
}

void test_options_unwind(void)
{
	if (test__start_subtest("defaults")) {
		struct parsed *p = parse(ARGV("-p", "1"));

		ASSERT_EQ(p->opts.unwind, ML_UNWIND_AUTO, "auto");
		ASSERT_EQ(p->opts.unwind_memory, 64 << 20, "64M");
	}
	if (test__start_subtest("values")) {
		struct parsed *p = parse(ARGV("--unwind", "dwarf", "--unwind-memory", "8M"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_EQ(p->opts.unwind, ML_UNWIND_DWARF, "dwarf");
		ASSERT_EQ(p->opts.unwind_memory, 8 << 20, "8M");
		p = parse(ARGV("--unwind=fp"));
		ASSERT_EQ(p->opts.unwind, ML_UNWIND_FP, "fp");
	}
	if (test__start_subtest("bad values")) {
		expect_bad(ARGV("--unwind", "libunwind"),
			   "memleakbpf: invalid value for --unwind: 'libunwind' (expected auto, dwarf or fp)\n",
			   NULL);
		expect_bad(ARGV("--unwind-memory", "512"),
			   "memleakbpf: invalid value for --unwind-memory: '512' (expected a size from 1K "
			   "to 4G, like 64M)\n", NULL);
		expect_bad(ARGV("--unwind-memory", "5G"), "--unwind-memory", "'5G'");
	}
}

void test_options_sample_bytes(void)
{
	if (test__start_subtest("off by default")) {
		ASSERT_EQ(parse(ARGV("-p", "1"))->opts.sample_bytes, 0, "default");
		ASSERT_EQ(parse(ARGV("--sample-bytes", "0"))->opts.sample_bytes, 0, "0: off");
	}
	if (test__start_subtest("values")) {
		struct parsed *p = parse(ARGV("--sample-bytes", "64K"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_EQ(p->opts.sample_bytes, 65536, "64K");
		ASSERT_EQ(parse(ARGV("--sample-bytes=1K"))->opts.sample_bytes, 1024, "lowest");
		ASSERT_EQ(parse(ARGV("--sample-bytes", "1G"))->opts.sample_bytes, 1 << 30, "highest");
		ASSERT_EQ(parse(ARGV("--sample-bytes", "524288"))->opts.sample_bytes, 524288, "bytes");
		ASSERT_EQ(parse(ARGV("--sample-bytes", "2MiB"))->opts.sample_bytes, 2 << 20, "MiB");
	}
	if (test__start_subtest("out of range")) {
		expect_bad(ARGV("--sample-bytes", "1023"),
			   "memleakbpf: invalid value for --sample-bytes: '1023' (expected 0 (every "
			   "allocation) or a size from 1K to 1G, like 512K)\n", NULL);
		expect_bad(ARGV("--sample-bytes", "1"), "--sample-bytes", "'1'");
		expect_bad(ARGV("--sample-bytes", "1073741825"), "--sample-bytes", "'1073741825'");
		expect_bad(ARGV("--sample-bytes", "2G"), "--sample-bytes", "'2G'");
	}
	if (test__start_subtest("not a size")) {
		expect_bad(ARGV("--sample-bytes", "lots"), "--sample-bytes", "'lots'");
		expect_bad(ARGV("--sample-bytes", "-64K"), "--sample-bytes", "'-64K'");
		expect_bad(ARGV("--sample-bytes", "64Q"), "--sample-bytes", "'64Q'");
		expect_bad(ARGV("--sample-bytes", ""), "--sample-bytes", "''");
		expect_bad(ARGV("--sample-bytes"), "--sample-bytes", NULL);
	}
	if (test__start_subtest("nothing to sample")) {
		expect_bad(ARGV("--sample-bytes", "64K", "--no-malloc"),
			   "memleakbpf: conflicting options: --sample-bytes and --no-malloc (sampling "
			   "is of allocator calls)\n", NULL);
	}
}

void test_options_errors(void)
{
	if (test__start_subtest("bad duration")) {
		expect_bad(ARGV("--interval", "abc"),
			   "memleakbpf: invalid value for --interval: 'abc' (expected a duration like "
			   "500ms, 10s, 2m)\n", NULL);
		expect_bad(ARGV("-i", "10x"), "--interval", "'10x'");
		expect_bad(ARGV("-i", "-1s"), "--interval", "'-1s'");
		expect_bad(ARGV("--duration", "soon"), "--duration", "'soon'");
		expect_bad(ARGV("--min-age", "1d"), "--min-age", "'1d'");
	}
	if (test__start_subtest("zero interval")) {
		expect_bad(ARGV("--interval", "0"), "--interval", "'0'");
		expect_bad(ARGV("--interval=0ms"), "--interval", "'0ms'");
		expect_bad(ARGV("-d", "0s"), "--duration", "'0s'");
	}
	if (test__start_subtest("bad size")) {
		expect_bad(ARGV("--min-size", "1X"), "--min-size", "'1X'");
		expect_bad(ARGV("--max-size", "-1"), "--max-size", "'-1'");
		expect_bad(ARGV("--max-size", ""), "--max-size", "''");
	}
	if (test__start_subtest("min-size above max-size")) {
		expect_bad(ARGV("--min-size", "2M", "--max-size", "1M"), "--min-size", "'2M'");
		expect_bad(ARGV("--max-size", "1M", "--min-size", "2M"), "--max-size", "'1M'");
	}
	if (test__start_subtest("bad top")) {
		expect_bad(ARGV("--top", "0"), "--top", "'0'");
		expect_bad(ARGV("-T", "-5"), "--top", "'-5'");
		expect_bad(ARGV("-T", "ten"), "--top", "'ten'");
		expect_bad(ARGV("-T", "99999999999"), "--top", "'99999999999'");
	}
	if (test__start_subtest("bad sort key")) {
		expect_bad(ARGV("--sort", "size"), "--sort", "'size'");
	}
	if (test__start_subtest("bad pid")) {
		expect_bad(ARGV("-p", ""), "--pid", "''");
		expect_bad(ARGV("-p", "abc"), "--pid", "'abc'");
		expect_bad(ARGV("-p", "12,,34"), "--pid", "'12,,34'");
		expect_bad(ARGV("-p", "0"), "--pid", "'0'");
		expect_bad(ARGV("--pid", "-3"), "--pid", "'-3'");
	}
	if (test__start_subtest("too many pids")) {
		char list[OPTIONS_MAX_PIDS * 8] = "";
		int i;

		for (i = 1; i <= OPTIONS_MAX_PIDS + 1; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
				 i > 1 ? "," : "", i);
		expect_bad(ARGV("-p", list), "--pid", "too many");
	}
	if (test__start_subtest("pid and command conflict")) {
		expect_bad(ARGV("-p", "1234", "--", "ls"), "conflicting", "-p '1234'");
		expect_bad(ARGV("-p", "1234", "--", "ls"), "'ls'", NULL);
	}
	if (test__start_subtest("missing or stray command")) {
		expect_bad(ARGV("--"), "missing command", NULL);
		expect_bad(ARGV("ls", "-l"), "unexpected argument 'ls'", NULL);
	}
	if (test__start_subtest("table sizes")) {
		expect_bad(ARGV("--max-allocs", "0"), "--max-allocs", "'0'");
		expect_bad(ARGV("--max-stacks", "x"), "--max-stacks", "'x'");
		expect_bad(ARGV("--max-stacks", "8G"), "--max-stacks", "'8G'");
	}
	if (test__start_subtest("empty export path")) {
		expect_bad(ARGV("--folded", ""), "--folded", "''");
		expect_bad(ARGV("--pprof="), "--pprof", "''");
	}
	if (test__start_subtest("export options")) {
		expect_bad(ARGV("--metric", "bytes"), "--metric", "'bytes'");
		expect_bad(ARGV("--every"), "--every needs an export", NULL);
		expect_bad(ARGV("--folded", "a", "--flamegraph", "a"), "--folded and --flamegraph both write 'a'", NULL);
	}
	if (test__start_subtest("nothing to trace")) {
		expect_bad(ARGV("--no-malloc", "--no-mmap"), "--no-malloc", "--no-mmap");
	}
	if (test__start_subtest("unknown option")) {
		/* getopt's line, logged with the same prefix as ours */
		expect_bad(ARGV("--frobnicate"), "memleakbpf: unrecognized option '--frobnicate'\n"
			   HINT "\n", NULL);
		expect_bad(ARGV("--max", "1"), "memleakbpf: option '--max' is ambiguous", NULL);
		expect_bad(ARGV("-x"), "'x'", NULL);
		expect_bad(ARGV("--json=yes"), "--json", NULL);
	}
	if (test__start_subtest("missing value")) {
		expect_bad(ARGV("--interval"), "--interval", NULL);
		expect_bad(ARGV("-i"), "'i'", NULL);
	}
}

void test_options_help_version(void)
{
	if (test__start_subtest("help")) {
		struct parsed *p = parse(ARGV("--help"));

		ASSERT_EQ(p->res, OPTIONS_EXIT, "result");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_STRCONTAINS(p->out, "Usage: memleakbpf", "usage line");
		ASSERT_STRCONTAINS(p->out, "EXAMPLES:", "examples");
		ASSERT_STRCONTAINS(p->out, "memleakbpf -p 1234 --interval 10", "example 1");
		ASSERT_STRCONTAINS(p->out, "memleakbpf --top 20 --min-age 30s", "example 2");
		ASSERT_STRCONTAINS(p->out, "memleakbpf -- ./cmd args", "example 3");
		ASSERT_STRCONTAINS(p->out, "memleakbpf --json -d 30s -p 1234", "example 4");
		ASSERT_STRCONTAINS(p->out, "--max-allocs", "advanced option");
		ASSERT_STRCONTAINS(p->out, "--sample-bytes=N", "sampling offered");
		ASSERT_STRCONTAINS(p->out, "memleakbpf -p 1234 --sample-bytes 512K", "sampling example");
	}
	if (test__start_subtest("-h stops before later errors")) {
		struct parsed *p = parse(ARGV("-h", "--interval", "abc"));

		ASSERT_EQ(p->res, OPTIONS_EXIT, "result");
		ASSERT_STRCONTAINS(p->out, "EXAMPLES:", "help printed");
		ASSERT_STREQ(p->err, "", "stderr");
	}
	if (test__start_subtest("usage")) {
		struct parsed *p = parse(ARGV("--usage"));

		ASSERT_EQ(p->res, OPTIONS_EXIT, "result");
		ASSERT_STRCONTAINS(p->out, "Usage: memleakbpf", "usage");
		ASSERT_STRCONTAINS(p->out, "--interval=DUR", "usage options");
		ASSERT_STRCONTAINS(p->out, "--sample-bytes=N", "sampling in the usage");
	}
	if (test__start_subtest("version")) {
		struct parsed *p = parse(ARGV("-V"));

		ASSERT_EQ(p->res, OPTIONS_EXIT, "-V");
		ASSERT_TRUE(strncmp(p->out, "memleakbpf ", 11) == 0, "starts with memleakbpf");
		ASSERT_EQ(count_lines(p->out), 1, "one line");
		p = parse(ARGV("--version"));
		ASSERT_EQ(p->res, OPTIONS_EXIT, "--version");
		ASSERT_STRCONTAINS(p->out, "memleakbpf ", "--version output");
	}
}

#define EXPECT_LISTEN "(expected PORT or ADDR:PORT, the address numeric and the port from 1 " \
		      "to 65535, like 9464, 0.0.0.0:9464 or [::1]:9464)"

void test_options_listen(void)
{
	if (test__start_subtest("off by default")) {
		struct parsed *p = parse(ARGV("-p", "1"));

		ASSERT_FALSE(p->opts.listen, "no --listen");
		ASSERT_EQ(p->opts.metrics_top, 20, "--metrics-top default");
	}
	if (test__start_subtest("a bare port is loopback")) {
		struct parsed *p = parse(ARGV("--listen", "9464"));
		const struct sockaddr_in *in = (const void *)&p->opts.listen_addr.sa;

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_TRUE(p->opts.listen, "listen");
		ASSERT_EQ(in->sin_family, AF_INET, "IPv4");
		ASSERT_EQ(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK, "127.0.0.1");
		ASSERT_EQ(ntohs(in->sin_port), 9464, "port");
		ASSERT_STREQ(p->opts.listen_addr.text, "127.0.0.1:9464", "text");
	}
	if (test__start_subtest("addresses given")) {
		struct parsed *p = parse(ARGV("--listen=0.0.0.0:1"));
		const struct sockaddr_in6 *in6;

		ASSERT_EQ(p->res, OPTIONS_OK, "0.0.0.0:1");
		ASSERT_STREQ(p->opts.listen_addr.text, "0.0.0.0:1", "0.0.0.0:1");
		ASSERT_EQ(((const struct sockaddr_in *)&p->opts.listen_addr.sa)->sin_addr.s_addr,
			  0, "any address");
		p = parse(ARGV("--listen", "[::1]:65535"));
		in6 = (const void *)&p->opts.listen_addr.sa;
		ASSERT_EQ(p->res, OPTIONS_OK, "[::1]:65535");
		ASSERT_EQ(in6->sin6_family, AF_INET6, "IPv6");
		ASSERT_TRUE(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr), "::1");
		ASSERT_EQ(ntohs(in6->sin6_port), 65535, "highest port");
		ASSERT_STREQ(p->opts.listen_addr.text, "[::1]:65535", "text");
		ASSERT_STREQ(parse(ARGV("--listen", "10.1.2.3:80"))->opts.listen_addr.text,
			     "10.1.2.3:80", "an address of this machine or not: bind says");
	}
	if (test__start_subtest("bad values")) {
		const char *bad[] = { "abc", "0", "65536", "99999999999999999999", "-1", "+80", "",
				      "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:0",
				      "127.0.0.1:65536", "localhost:9464", "::1:9464", "[::1]9464",
				      "[::1]:", "[localhost]:80", "1.2.3:80", "9464 ", "0x10", NULL };
		char line[256];
		int i;

		for (i = 0; bad[i]; i++) {
			snprintf(line, sizeof(line), "memleakbpf: invalid value for --listen: '%s' %s\n",
				 bad[i], EXPECT_LISTEN);
			expect_bad(ARGV("--listen", (char *)bad[i]), line, NULL);
		}
	}
	if (test__start_subtest("--metrics-top")) {
		ASSERT_EQ(parse(ARGV("--listen", "1", "--metrics-top", "3"))->opts.metrics_top, 3, "3");
		expect_bad(ARGV("--listen", "1", "--metrics-top", "0"),
			   "memleakbpf: invalid value for --metrics-top: '0' (expected a number of at "
			   "least 1)\n", NULL);
		expect_bad(ARGV("--metrics-top", "5"), "memleakbpf: --metrics-top needs --listen\n", NULL);
	}
}

/* tests/fuzz/fuzz_options.c for 10 s (make fuzz runs it longer). */
void test_fuzz_options_smoke(void)
{
	fuzz_smoke("options");
}
