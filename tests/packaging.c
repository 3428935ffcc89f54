// SPDX-License-Identifier: GPL-2.0
/* tests/packaging.c: see packaging.h. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "packaging.h"
#include "test.h"
#include "unit/golden.h"

#define COMPLETE_SH "tests/packaging/complete.sh"
#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"
#define MAX_ENV 32

char *complete(const char *completion, const char *const *words)
{
	const char *args[32] = { COMPLETE_SH, completion };
	struct ml_run r;
	char *out;
	int n = 2;

	if (access(BASH_COMPLETION, R_OK)) {
		TEST_FAIL_("%s: missing (tools/install-deps.sh installs bash-completion)",
			   BASH_COMPLETION);
		return NULL;
	}
	while (*words && n < 31)
		args[n++] = *words++;
	args[n] = NULL;
	if (!ASSERT_OK(run_program(&r, "/bin/bash", args), "run bash"))
		return NULL;
	if (!ASSERT_EQ(r.exit_code, 0, "complete.sh") || !ASSERT_STREQ(r.err, "", "complete.sh stderr")) {
		ml_run_release(&r);
		return NULL;
	}
	/* an empty reply is one empty line */
	out = strdup(strcmp(r.out, "\n") ? r.out : "");
	ml_run_release(&r);
	return out;
}

void complete_is(const char *completion, const char *const *words, const char *want)
{
	char *got = complete(completion, words), what[256];
	int i, o = 0;

	for (i = 0; words[i] && o < (int)sizeof(what) - 1; i++)
		o += snprintf(what + o, sizeof(what) - o, "%s'%s'", i ? " " : "", words[i]);
	if (got)
		ASSERT_STREQ(got, want, what);
	free(got);
}

bool has_line(const char *text, const char *s)
{
	size_t len = strlen(s);
	const char *p;

	for (p = text; (p = strstr(p, s)); p++)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || !p[len]))
			return true;
	return false;
}

static char env_names[MAX_ENV][64];
static int env_n = -1;

static void scan_file(const char *path)
{
	size_t len;
	char *text = golden_read(path, &len);
	const char *p;
	int i;

	for (p = text; p && (p = strstr(p, "getenv(\"MEMLEAKBPF_")); p++) {
		const char *name = p + 8;
		size_t n = strcspn(name, "\"");

		for (i = 0; i < env_n && strncmp(env_names[i], name, n); i++)
			;
		if (i == env_n && env_n < MAX_ENV && n < sizeof(env_names[0]))
			snprintf(env_names[env_n++], sizeof(env_names[0]), "%.*s", (int)n, name);
	}
	free(text);
}

static void scan_sources(void)
{
	glob_t g;
	size_t i;

	if (env_n >= 0)
		return;
	env_n = 0;
	if (glob("user/*.c", 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			scan_file(g.gl_pathv[i]);
		globfree(&g);
	}
	if (glob("user/*/*.c", 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			scan_file(g.gl_pathv[i]);
		globfree(&g);
	}
}

int source_env_count(void)
{
	scan_sources();
	return env_n;
}

const char *source_env(int i)
{
	scan_sources();
	return i >= 0 && i < env_n ? env_names[i] : "";
}
