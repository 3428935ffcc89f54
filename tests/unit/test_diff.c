// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_diff.c: user/export/diff.c, two profiles merged into one
 * ranked by growth, and its differential folded output.
 */
#include <stdlib.h>
#include "test.h"
#include "export/diff.h"
#include "export/folded.h"
#include "export/profile.h"

static int add(struct profile *p, const char *root, const char *a, const char *b, int64_t v)
{
	struct pframe f[3] = { { root, FRAME_PROCESS }, { a, FRAME_NATIVE }, { b, FRAME_NATIVE } };

	return profile__add(p, f, b ? 3 : 2, ML_CAT_NATIVE, v, 0);
}

/* "stack BASE NEW" lines, as `memleakbpf diff --folded` writes them. */
static char *render_diff(const struct profile *d)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	err = folded__write_diff(d, f);
	fclose(f);
	if (!ASSERT_OK(err, "folded__write_diff")) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Growth ranks first; pids differ between runs but comms match. */
void test_diff_merge(void)
{
	struct profile base = { 0 }, new = { 0 }, d = { 0 };
	char *out;

	add(&base, "leaky (100)", "main", "grow", 1000);
	add(&base, "leaky (100)", "main", "steady", 5000);
	add(&base, "leaky (100)", "main", "shrink", 3000);
	add(&base, "leaky (100)", "main", "gone", 700);
	add(&new, "leaky (200)", "main", "steady", 5000);
	add(&new, "leaky (200)", "main", "grow", 9000);
	add(&new, "leaky (200)", "main", "grow", 1000);	/* the same stack twice: summed */
	add(&new, "leaky (200)", "main", "shrink", 1000);
	add(&new, "leaky (200)", "main", "fresh", 400);
	if (!ASSERT_OK(diff__merge(&base, &new, false, &d), "merge"))
		goto cleanup;
	if (!ASSERT_EQ(d.n, 5, "stacks"))
		goto cleanup;
	ASSERT_TRUE(d.diff, "diff profile");
	ASSERT_STREQ(d.v[0].frames[2].name, "grow", "growth first");
	ASSERT_EQ(d.v[0].base, 1000, "grow base");
	ASSERT_EQ(d.v[0].value, 10000, "grow new");
	ASSERT_STREQ(d.v[0].frames[0].name, "leaky", "pid dropped from the root");
	ASSERT_STREQ(d.v[1].frames[2].name, "fresh", "then the new stack");
	ASSERT_STREQ(d.v[2].frames[2].name, "steady", "then unchanged");
	ASSERT_STREQ(d.v[3].frames[2].name, "gone", "then the smaller loss");
	ASSERT_STREQ(d.v[4].frames[2].name, "shrink", "the largest loss last");
	out = render_diff(&d);
	if (out) {
		ASSERT_STREQ(out, "leaky;main;grow 1000 10000\nleaky;main;fresh 0 400\n"
			     "leaky;main;steady 5000 5000\nleaky;main;gone 700 0\n"
			     "leaky;main;shrink 3000 1000\n", "differential folded, by growth");
		free(out);
	}
	profile__release(&d);
	if (!ASSERT_OK(diff__merge(&base, &new, true, &d), "merge keeping pids"))
		goto cleanup;
	ASSERT_EQ(d.n, 8, "nothing matches across pids (grow twice in NEW is one stack)");
cleanup:
	profile__release(&base);
	profile__release(&new);
	profile__release(&d);
}
