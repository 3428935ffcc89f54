// SPDX-License-Identifier: GPL-2.0
/* tests/unit/fuzz_smoke.c: see fuzz_smoke.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "fuzz_smoke.h"
#include "tmpdir.h"

#if defined(__SANITIZE_ADDRESS__)
#define ML_ASAN 1
#endif

/* What libFuzzer said: its report is at the end of its log. */
static void print_tail(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");
	long n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		n++;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (n-- <= 40)
			fprintf(stderr, "    %s", line);
	fclose(f);
}

void fuzz_smoke(const char *name)
{
	char bin[128], seeds[128], committed[128], dir[64], corpus[128], artifacts[160], log[128];
	char why[256];
	int status = -1;
	pid_t pid;

#ifdef ML_ASAN
	/* The targets are the same for both builds: the plain one runs them. */
	test__skip("run by the build without SANITIZE=1");
	return;
#endif
	snprintf(bin, sizeof(bin), ".output/fuzz/fuzz_%s", name);
	snprintf(seeds, sizeof(seeds), ".output/fuzz/seeds/%s", name);
	snprintf(committed, sizeof(committed), "tests/fuzz/corpus/%s", name);
	if (access(bin, X_OK) || access(committed, R_OK)) {
		snprintf(why, sizeof(why), "no %s (make fuzz-build; libFuzzer is Debian's "
			 "libclang-rt-14-dev)", bin);
		test__skip(why);
		return;
	}
	if (!tmpdir_make(dir, sizeof(dir), "fuzz"))
		return;
	snprintf(corpus, sizeof(corpus), "%s/corpus", dir);
	snprintf(artifacts, sizeof(artifacts), "-artifact_prefix=%s/", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	if (!ASSERT_OK(mkdir(corpus, 0700), "mkdir corpus"))
		goto out;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		/* a leak inside elfutils, not ours (the file says which) */
		setenv("LSAN_OPTIONS", "suppressions=tests/lsan.supp", 1);
		/* the build's seeds, when it made some, then the committed ones */
		execl(bin, bin, "-max_total_time=10", "-runs=10000000", "-rss_limit_mb=2048",
		      "-timeout=10", "-print_final_stats=1", artifacts, corpus,
		      access(seeds, R_OK) ? committed : seeds, committed, (char *)NULL);
		_exit(127);
	}
	if (!ASSERT_GT(pid, 0, "fork") || !ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
		goto out;
	if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fuzzer exits 0"))
		print_tail(log);
out:
	tmpdir_remove(dir);
}
