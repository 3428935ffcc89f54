// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_diff_args.c: the command line of `memleakbpf diff`.
 *
 * diff_options__parse() on whole argv arrays (argv[0] is "diff", as main
 * passes it), and diff__main() for the exit codes; stdout and stderr are
 * captured (capture.h) and checked to the byte where the text is fixed.
 */
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "capture.h"
#include "cli/diff_args.h"

#define HINT "Try 'memleakbpf diff --help' for more information.\n"

#define ARGV(...) ((char *[]){ "diff", ##__VA_ARGS__, NULL })

struct parsed {
	enum options_result res;
	int code;			/* diff__main()'s exit code */
	struct diff_options opts;
	char out[16384];
	char err[4096];
};

static int argc_of(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return argc;
}

static struct parsed *parse(char **argv)
{
	static struct parsed p;
	struct capture c;

	memset(&p, 0, sizeof(p));
	capture_start(&c);
	p.res = diff_options__parse(&p.opts, argc_of(argv), argv);
	capture_end(&c, p.out, sizeof(p.out), p.err, sizeof(p.err));
	return &p;
}

static struct parsed *run(char **argv)
{
	static struct parsed p;
	struct capture c;

	memset(&p, 0, sizeof(p));
	capture_start(&c);
	p.code = diff__main(argc_of(argv), argv);
	capture_end(&c, p.out, sizeof(p.out), p.err, sizeof(p.err));
	return &p;
}

/* Refused: OPTIONS_BAD, nothing on stdout, stderr exactly the line and the hint. */
static void expect_bad(char **argv, const char *line)
{
	struct parsed *p = parse(argv);
	char want[512];

	snprintf(want, sizeof(want), "memleakbpf: %s\n" HINT, line);
	ASSERT_EQ(p->res, OPTIONS_BAD, line);
	ASSERT_STREQ(p->err, want, line);
	ASSERT_STREQ(p->out, "", line);
}

void test_diff_args(void)
{
	if (test__start_subtest("defaults")) {
		struct parsed *p = parse(ARGV("base.pb.gz", "new.pb.gz"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_EQ(p->opts.npaths, 2, "npaths");
		ASSERT_STREQ(p->opts.paths[0], "base.pb.gz", "BASE");
		ASSERT_STREQ(p->opts.paths[1], "new.pb.gz", "NEW");
		ASSERT_TRUE(!p->opts.folded_path && !p->opts.flamegraph_path, "no files");
		ASSERT_TRUE(!p->opts.sample_index, "the file's default sample type");
		ASSERT_FALSE(p->opts.keep_pids, "keep_pids");
		ASSERT_EQ(p->opts.top, 10, "top");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_STREQ(p->out, "", "stdout");
	}
	if (test__start_subtest("every flag")) {
		struct parsed *p = parse(ARGV("--folded", "g.folded", "--flamegraph=g.svg",
					      "--sample-index", "alloc_space", "--keep-pids",
					      "-T", "3", "a", "b"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_STREQ(p->opts.folded_path, "g.folded", "--folded");
		ASSERT_STREQ(p->opts.flamegraph_path, "g.svg", "--flamegraph");
		ASSERT_STREQ(p->opts.sample_index, "alloc_space", "--sample-index");
		ASSERT_TRUE(p->opts.keep_pids, "--keep-pids");
		ASSERT_EQ(p->opts.top, 3, "-T");
		ASSERT_STREQ(p->opts.paths[1], "b", "NEW");
	}
	if (test__start_subtest("options after the profiles")) {
		struct parsed *p = parse(ARGV("a", "b", "--top=20", "--flamegraph", "g.svg"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_STREQ(p->opts.paths[0], "a", "BASE");
		ASSERT_STREQ(p->opts.paths[1], "b", "NEW");
		ASSERT_EQ(p->opts.top, 20, "--top");
		ASSERT_STREQ(p->opts.flamegraph_path, "g.svg", "--flamegraph");
	}
	if (test__start_subtest("profiles named like options")) {
		struct parsed *p = parse(ARGV("--", "-a", "--b"));

		ASSERT_EQ(p->res, OPTIONS_OK, "result");
		ASSERT_STREQ(p->opts.paths[0], "-a", "BASE");
		ASSERT_STREQ(p->opts.paths[1], "--b", "NEW");
	}
	if (test__start_subtest("missing profiles")) {
		expect_bad(ARGV(), "missing BASE profile (give BASE and NEW)");
		expect_bad(ARGV("a.folded"), "missing NEW profile (give BASE and NEW)");
	}
	if (test__start_subtest("a third profile")) {
		expect_bad(ARGV("a", "b", "c"), "unexpected argument 'c' (give BASE and NEW)");
	}
	if (test__start_subtest("bad top")) {
		expect_bad(ARGV("-T", "0", "a", "b"),
			   "invalid value for --top: '0' (expected a number of at least 1)");
		expect_bad(ARGV("--top", "ten", "a", "b"),
			   "invalid value for --top: 'ten' (expected a number of at least 1)");
		expect_bad(ARGV("--top=5x", "a", "b"),
			   "invalid value for --top: '5x' (expected a number of at least 1)");
		expect_bad(ARGV("-T", "99999999999", "a", "b"),
			   "invalid value for --top: '99999999999' (expected a number of at least 1)");
	}
	if (test__start_subtest("unknown option, missing value")) {
		/* getopt's lines, with the prefix of every other */
		expect_bad(ARGV("--frobnicate", "a", "b"), "unrecognized option '--frobnicate'");
		expect_bad(ARGV("-x", "a", "b"), "invalid option -- 'x'");
		expect_bad(ARGV("a", "b", "--folded"), "option '--folded' requires an argument");
		expect_bad(ARGV("--keep-pids=yes", "a", "b"),
			   "option '--keep-pids' doesn't allow an argument");
	}
	if (test__start_subtest("help")) {
		struct parsed *p = parse(ARGV("--help"));

		ASSERT_EQ(p->res, OPTIONS_EXIT, "result");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_TRUE(!strncmp(p->out, "Usage: memleakbpf diff [OPTION...] BASE NEW\n", 44),
			    "usage line names the subcommand");
		ASSERT_STRCONTAINS(p->out, "--sample-index=TYPE", "options");
		ASSERT_STRCONTAINS(p->out, "EXAMPLES:", "examples");
		/* nothing after -h matters, not even an error */
		p = parse(ARGV("-h", "--top", "0"));
		ASSERT_EQ(p->res, OPTIONS_EXIT, "-h first");
		ASSERT_STREQ(p->err, "", "-h first: stderr");
	}
}

/* diff__main(): 0, 1 when a profile cannot be read, 2 for bad usage. */
void test_diff_args_exit(void)
{
	char dir[] = "/tmp/ml-diff-args-XXXXXX", base[64], new[64];
	struct parsed *p;
	FILE *f;

	if (test__start_subtest("bad usage: 2")) {
		p = run(ARGV("a.folded"));
		ASSERT_EQ(p->code, 2, "exit code");
		ASSERT_STREQ(p->err, "memleakbpf: missing NEW profile (give BASE and NEW)\n" HINT,
			     "stderr");
		ASSERT_STREQ(p->out, "", "stdout");
	}
	if (test__start_subtest("help: 0")) {
		p = run(ARGV("-h"));
		ASSERT_EQ(p->code, 0, "exit code");
		ASSERT_STRCONTAINS(p->out, "Usage: memleakbpf diff", "usage");
	}
	if (test__start_subtest("unreadable profile: 1")) {
		p = run(ARGV("/nonexistent/a.folded", "/nonexistent/b.folded"));
		ASSERT_EQ(p->code, 1, "exit code");
		ASSERT_STREQ(p->err, "memleakbpf: cannot read '/nonexistent/a.folded': "
			     "No such file or directory\n", "stderr: one line, no hint");
		ASSERT_STREQ(p->out, "", "stdout");
	}
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(base, sizeof(base), "%s/base.folded", dir);
	snprintf(new, sizeof(new), "%s/new.folded", dir);
	f = fopen(base, "w");
	if (f) {
		fputs("prog (1);main;grow;malloc 100\nprog (1);main;keep;malloc 50\n", f);
		fclose(f);
	}
	f = fopen(new, "w");
	if (f) {
		fputs("prog (2);main;grow;malloc 300\nprog (2);main;keep;malloc 50\n", f);
		fclose(f);
	}
	if (test__start_subtest("a comparison: 0")) {
		p = run(ARGV(base, new, "-T", "1"));
		ASSERT_EQ(p->code, 0, "exit code");
		ASSERT_STREQ(p->err, "", "stderr");
		ASSERT_STRCONTAINS(p->out, "Top 1 stacks by growth:\n #1       +200  100 B -> 300 B  prog\n"
				   "       malloc\n       grow\n       main\n", "ranked summary");
		ASSERT_FALSE(strstr(p->out, "keep"), "-T 1: one stack");
	}
	if (test__start_subtest("a file that cannot be written: 1")) {
		p = run(ARGV(base, new, "--folded", "/nonexistent/growth.folded"));
		ASSERT_EQ(p->code, 1, "exit code");
		ASSERT_STREQ(p->err, "memleakbpf: cannot write folded diff '/nonexistent/growth.folded': "
			     "No such file or directory\n", "stderr");
		ASSERT_STRCONTAINS(p->out, "Top 10 stacks by growth:", "the summary is still printed");
	}
	unlink(base);
	unlink(new);
	rmdir(dir);
}
