/* tests/test.h: a small test_progs-shaped runner.
 *
 * Every `void test_<name>(void)` under tests/ is found by the Makefile and
 * run.  A test may open subtests with test__start_subtest(); each subtest
 * (or a test without subtests) counts once in the closing line
 * "N passed, N failed, N skipped".  ASSERT_* print what failed and return
 * whether it held, so a test can stop early: if (!ASSERT_...) return;
 */
#ifndef TEST_H
#define TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool test__start_subtest(const char *name);
void test__fail(void);
void test__skip(const char *why);
/* Skip the current test unless running as root; returns true when root. */
bool test__require_root(void);
/* Path of a built workload: .output/workloads/<name> */
const char *workload_path(const char *name);
/* Path of the memleakbpf binary under test. */
const char *memleakbpf_path(void);

#define TEST_FAIL_(fmt, ...) do {						\
	fprintf(stderr, "  %s:%d: FAIL: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
	test__fail();								\
} while (0)

#define ASSERT_TRUE(cond, name) ({						\
	bool ___ok = !!(cond);							\
	if (!___ok) TEST_FAIL_("%s: expected true: %s", (name), #cond);		\
	___ok; })

#define ASSERT_FALSE(cond, name) ASSERT_TRUE(!(cond), name)

#define ASSERT_OP_(a, op, b, name) ({						\
	long long ___a = (long long)(a), ___b = (long long)(b);			\
	bool ___ok = ___a op ___b;						\
	if (!___ok) TEST_FAIL_("%s: %s %s %s: got %lld, expected %s %lld",	\
			       (name), #a, #op, #b, ___a, #op, ___b);		\
	___ok; })

#define ASSERT_EQ(a, b, name) ASSERT_OP_(a, ==, b, name)
#define ASSERT_NEQ(a, b, name) ASSERT_OP_(a, !=, b, name)
#define ASSERT_GE(a, b, name) ASSERT_OP_(a, >=, b, name)
#define ASSERT_GT(a, b, name) ASSERT_OP_(a, >, b, name)
#define ASSERT_LE(a, b, name) ASSERT_OP_(a, <=, b, name)
#define ASSERT_LT(a, b, name) ASSERT_OP_(a, <, b, name)
#define ASSERT_OK(err, name) ASSERT_OP_(err, ==, 0, name)

#define ASSERT_DBL_NEAR(a, b, eps, name) ({					\
	double ___a = (a), ___b = (b);						\
	bool ___ok = ___a - ___b <= (eps) && ___b - ___a <= (eps);		\
	if (!___ok) TEST_FAIL_("%s: %s: got %g, expected %g", (name), #a, ___a, ___b); \
	___ok; })

#define ASSERT_STREQ(a, b, name) ({						\
	const char *___a = (a), *___b = (b);					\
	bool ___ok = ___a && ___b && strcmp(___a, ___b) == 0;			\
	if (!___ok) TEST_FAIL_("%s: %s: got \"%s\", expected \"%s\"", (name), #a, \
			       ___a ? ___a : "(null)", ___b ? ___b : "(null)");	\
	___ok; })

#define ASSERT_STRCONTAINS(hay, needle, name) ({				\
	const char *___h = (hay), *___n = (needle);				\
	bool ___ok = ___h && ___n && strstr(___h, ___n);			\
	if (!___ok) TEST_FAIL_("%s: \"%s\" not found in: %s", (name), ___n,	\
			       ___h ? ___h : "(null)");				\
	___ok; })

#define ASSERT_OK_PTR(p, name) ({						\
	const void *___p = (p);							\
	bool ___ok = ___p != NULL;						\
	if (!___ok) TEST_FAIL_("%s: unexpected NULL: %s", (name), #p);		\
	___ok; })

#endif /* TEST_H */
