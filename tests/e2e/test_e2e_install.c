// SPDX-License-Identifier: GPL-2.0
/* End to end: `make install DESTDIR=<tmp> PREFIX=/usr` puts each file where
 * it belongs; the installed binary prints the Makefile's version, the man
 * page renders without a warning, the completion works from where it was
 * installed, `systemd-analyze verify` accepts the unit; `make uninstall`
 * takes every file away again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "e2e.h"
#include "packaging.h"
#include "unit/golden.h"

#define SBIN "/usr/sbin/memleakbpf"
#define MAN "/usr/share/man/man8/memleakbpf.8"
#define COMPLETION "/usr/share/bash-completion/completions/memleakbpf"
#define UNIT "/usr/lib/systemd/system/memleakbpf.service"

/* `make TARGET DESTDIR=dir PREFIX=/usr`, outside of the make that runs the
 * tests (its jobserver is not ours).
 */
static bool make(const char *target, const char *dir)
{
	char destdir[128];
	const char *args[] = { "-u", "MAKEFLAGS", "-u", "MAKELEVEL", "-u", "MFLAGS", "make", "-s",
			       target, destdir, "PREFIX=/usr", NULL };
	struct ml_run r;
	bool ok;

	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", dir);
	if (!ASSERT_OK(run_program(&r, "/usr/bin/env", args), "run make"))
		return false;
	ok = ASSERT_EQ(r.exit_code, 0, target);
	if (!ok)
		fprintf(stderr, "  make %s: %s%s\n", target, r.out, r.err);
	ml_run_release(&r);
	return ok;
}

/* "VERSION := 0.1.0" in the Makefile: "0.1.0". */
static bool makefile_version(char *out, size_t len)
{
	size_t n;
	char *text = golden_read("Makefile", &n), *p;

	p = text ? strstr(text, "\nVERSION  := ") : NULL;
	if (!ASSERT_OK_PTR(p, "VERSION in the Makefile")) {
		free(text);
		return false;
	}
	p += strlen("\nVERSION  := ");
	snprintf(out, len, "%.*s", (int)strcspn(p, " \n"), p);
	free(text);
	return out[0] != '\0';
}

static void file_is(const char *dir, const char *path, mode_t mode)
{
	char full[256];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", dir, path);
	if (ASSERT_OK(stat(full, &st), full))
		ASSERT_EQ(st.st_mode & 07777, mode, full);
}

static void check_version(const char *dir)
{
	char bin[256], version[64], want[96];
	const char *args[] = { "--version", NULL };
	struct ml_run r;

	snprintf(bin, sizeof(bin), "%s" SBIN, dir);
	if (!makefile_version(version, sizeof(version)) ||
	    !ASSERT_OK(run_program(&r, bin, args), "run the installed binary"))
		return;
	snprintf(want, sizeof(want), "memleakbpf %s\n", version);
	ASSERT_EQ(r.exit_code, 0, "--version exit code");
	ASSERT_STREQ(r.out, want, "one line: the Makefile's version");
	ASSERT_STREQ(r.err, "", "nothing on stderr");
	ml_run_release(&r);
}

static void check_man(const char *dir)
{
	char page[256], version[64], footer[96];
	const char *args[] = { "MANWIDTH=80", "man", "--warnings", "-l", page, NULL };
	struct ml_run r;

	snprintf(page, sizeof(page), "%s" MAN, dir);
	if (!makefile_version(version, sizeof(version)) ||
	    !ASSERT_OK(run_program(&r, "/usr/bin/env", args), "run man"))
		return;
	ASSERT_EQ(r.exit_code, 0, "man exit code");
	ASSERT_STREQ(r.err, "", "man --warnings says nothing");
	snprintf(footer, sizeof(footer), "\nmemleakbpf %s", version);
	ASSERT_STRCONTAINS(r.out, footer, "the version in the footer");
	ASSERT_STRCONTAINS(r.out, "/usr/lib/systemd/system/memleakbpf.service", "the unit's path");
	ASSERT_FALSE(strchr(r.out, '@'), "no @PLACEHOLDER@ left");
	ml_run_release(&r);
}

/* systemd-analyze verify in a root holding the install and the host's
 * targets (the unit's default dependencies); man finds the page given
 * in Documentation= in the install.
 */
static void check_unit(const char *dir)
{
	char unit[256], root[128], root_arg[160], manpath[192], cmd[512];
	const char *args[] = { manpath, "systemd-analyze", "verify", root_arg, unit, NULL };
	struct ml_run r;
	size_t len;
	char *text;

	snprintf(unit, sizeof(unit), "%s" UNIT, dir);
	text = golden_read(unit, &len);
	if (!ASSERT_OK_PTR(text, "the unit"))
		return;
	ASSERT_STRCONTAINS(text, "\nExecStart=/usr/sbin/memleakbpf --listen 127.0.0.1:9464 ",
			   "the installed binary, listening on 127.0.0.1:9464");
	ASSERT_STRCONTAINS(text, "\nCapabilityBoundingSet=CAP_BPF CAP_PERFMON ", "BPF allowed");
	free(text);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp -a '%s/usr' '%s/' && "
		 "cp /usr/lib/systemd/system/*.target '%s/usr/lib/systemd/system/'", root, dir, root, root);
	if (!ASSERT_OK(system(cmd), "a root with the host's targets"))
		return;
	snprintf(unit, sizeof(unit), "%s" UNIT, root);
	snprintf(root_arg, sizeof(root_arg), "--root=%s", root);
	snprintf(manpath, sizeof(manpath), "MANPATH=%s/usr/share/man", dir);
	if (!ASSERT_OK(run_program(&r, "/usr/bin/env", args), "run systemd-analyze"))
		return;
	ASSERT_EQ(r.exit_code, 0, "systemd-analyze verify exit code");
	ASSERT_STREQ(r.err, "", "systemd-analyze verify says nothing");
	ml_run_release(&r);
}

void test_e2e_install(void)
{
	char dir[] = "/tmp/memleakbpf-install-XXXXXX", path[256], cmd[128];
	static const char *const files[] = { SBIN, MAN, COMPLETION, UNIT };
	int i;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	if (!make("install", dir))
		goto out;
	if (test__start_subtest("files")) {
		file_is(dir, SBIN, 0755);
		file_is(dir, MAN, 0644);
		file_is(dir, COMPLETION, 0644);
		file_is(dir, UNIT, 0644);
	}
	if (test__start_subtest("--version"))
		check_version(dir);
	if (test__start_subtest("man page"))
		check_man(dir);
	if (test__start_subtest("completion")) {
		snprintf(path, sizeof(path), "%s" COMPLETION, dir);
		complete_is(path, WORDS("memleakbpf", "--unw"), "--unwind\n--unwind-memory\n");
		complete_is(path, WORDS("memleakbpf", "--unwind", ""), "auto\ndwarf\nfp\n");
	}
	if (test__start_subtest("systemd unit"))
		check_unit(dir);
	if (test__start_subtest("uninstall") && make("uninstall", dir)) {
		for (i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s%s", dir, files[i]);
			if (!access(path, F_OK))
				TEST_FAIL_("%s is left after make uninstall", path);
		}
	}
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
}
