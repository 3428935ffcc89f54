/* tests/runner.c: runs every test_<name>() the Makefile found.
 *
 *   test_runner [-u] [-t FILTER] [-v]
 *     -u         unit tests only (tests whose name does not start with test_e2e_)
 *     -t FILTER  only tests whose name contains FILTER; "TEST/SUB" also
 *                picks subtests whose name contains SUB
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <getopt.h>
#include "test.h"

#define DEFINE_TEST(name) void name(void);
#include "list.inc"
#undef DEFINE_TEST

struct test_def {
	const char *name;
	void (*fn)(void);
};

#define DEFINE_TEST(name) { #name, name },
static const struct test_def tests[] = {
#include "list.inc"
};
#undef DEFINE_TEST

static struct {
	const char *test;
	char subtest[256];
	bool in_subtest, failed, skipped, any_subtest;
	const char *filter;
	int passed, nfailed, nskipped;
} st;

static void close_case(void)
{
	const char *what = st.failed ? "FAIL" : st.skipped ? "SKIP" : "OK";

	if (st.failed)
		st.nfailed++;
	else if (st.skipped)
		st.nskipped++;
	else
		st.passed++;
	if (st.in_subtest)
		printf("%s/%s: %s\n", st.test, st.subtest, what);
	else
		printf("%s: %s\n", st.test, what);
	fflush(stdout);
	st.failed = st.skipped = st.in_subtest = false;
}

bool test__start_subtest(const char *name)
{
	const char *sub = st.filter ? strchr(st.filter, '/') : NULL;

	if (st.in_subtest)
		close_case();
	st.any_subtest = true;
	if (sub && !strstr(name, sub + 1))
		return false;
	snprintf(st.subtest, sizeof(st.subtest), "%s", name);
	st.in_subtest = true;
	return true;
}

void test__fail(void)
{
	st.failed = true;
}

void test__skip(const char *why)
{
	fprintf(stderr, "  skipped: %s\n", why);
	st.skipped = true;
}

bool test__require_root(void)
{
	if (geteuid() == 0)
		return true;
	test__skip("needs root");
	return false;
}

const char *workload_path(const char *name)
{
	static char buf[8][512];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), ".output/workloads/%s", name);
	return p;
}

const char *memleakbpf_path(void)
{
	const char *p = getenv("MEMLEAKBPF");

	return p ? p : "./memleakbpf";
}

/* FILTER: part of a test's name, or "test/subtest" (parts of each). */
static bool name_matches(const char *name, const char *filter)
{
	const char *slash = strchr(filter, '/');
	char test_part[256];

	if (!slash)
		return strstr(name, filter) != NULL;
	snprintf(test_part, sizeof(test_part), "%.*s", (int)(slash - filter), filter);
	return strstr(name, test_part) != NULL;
}

int main(int argc, char **argv)
{
	const char *excluded[32];
	bool unit_only = false;
	int opt, nexcluded = 0, k;
	size_t i;

	/* a workload that died must fail its test, not end the run at the
	 * next line a test writes to its stdin
	 */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "ut:x:")) != -1) {
		switch (opt) {
		case 'u': unit_only = true; break;
		case 't': st.filter = optarg; break;
		case 'x':	/* tests whose name contains it are not run */
			if (nexcluded < (int)(sizeof(excluded) / sizeof(excluded[0]))) {
				excluded[nexcluded++] = optarg;
				break;
			}
			/* fall through */
		default:
			fprintf(stderr, "usage: %s [-u] [-t FILTER] [-x NAME]...\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const struct test_def *t = &tests[i];
		bool e2e = strncmp(t->name, "test_e2e_", 9) == 0;

		if (unit_only && e2e)
			continue;
		if (st.filter && !name_matches(t->name, st.filter))
			continue;
		for (k = 0; k < nexcluded && !strstr(t->name, excluded[k]); k++)
			;
		if (k < nexcluded)
			continue;
		st.test = t->name;
		st.any_subtest = st.failed = st.skipped = st.in_subtest = false;
		t->fn();
		if (st.in_subtest || !st.any_subtest)
			close_case();
	}
	printf("%d passed, %d failed, %d skipped\n", st.passed, st.nfailed, st.nskipped);
	return st.nfailed ? 1 : 0;
}
