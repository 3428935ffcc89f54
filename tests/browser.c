// SPDX-License-Identifier: GPL-2.0
/* tests/browser.c: see browser.h. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "browser.h"

#define SVGCHECK "tests/browser/svgcheck.js"
#define CHROMIUM "/usr/bin/chromium"
/* The driver stops itself after 60 s; this is for a driver that hangs. */
#define DRIVER_TIMEOUT_MS 90000

extern char **environ;

/* node's path on PATH, or NULL. */
static const char *node_path(void)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");
	const char *p, *end;

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(found, sizeof(found), "%.*s/node", (int)(end - p), p);
		if (end > p && access(found, X_OK) == 0)
			return found;
	}
	return NULL;
}

bool browser_available(void)
{
	return node_path() && access(CHROMIUM, X_OK) == 0 && access(SVGCHECK, R_OK) == 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read fd to its end into a string (malloc'd), killing the process group
 * pgid when it takes too long.  NULL when it did.
 */
static char *read_all(int fd, pid_t pgid)
{
	long long deadline = now_ms() + DRIVER_TIMEOUT_MS;
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		char chunk[16384];
		ssize_t n;

		if (now_ms() > deadline) {
			fprintf(stderr, "  svgcheck.js did not finish in %d s: killing it\n",
				DRIVER_TIMEOUT_MS / 1000);
			kill(-pgid, SIGKILL);
			free(buf);
			return NULL;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (len + (size_t)n + 1 > cap) {
			char *bigger = realloc(buf, cap = (len + (size_t)n + 1) * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
		}
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

/* Run the driver with args (after the script's path), in a process group
 * of its own so that a hung Chromium goes with it, and parse its JSON.
 */
static int run_driver(const char *const *args, json_t **result)
{
	const char *argv[16] = { "node", SVGCHECK };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int out[2] = { -1, -1 }, status = 0, err = -1, i;
	const char *node = node_path();
	json_error_t jerr;
	char *text = NULL;
	pid_t pid = -1;

	*result = NULL;
	for (i = 0; args[i] && i < 13; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;
	if (!node || access(CHROMIUM, X_OK)) {
		fprintf(stderr, "  node or %s missing: run tools/install-deps.sh\n", CHROMIUM);
		return -1;
	}
	if (pipe2(out, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	i = posix_spawn(&pid, node, &fa, &attr, (char *const *)argv, environ);
	if (i) {
		fprintf(stderr, "  cannot run %s: %s\n", node, strerror(i));
		pid = -1;
		goto cleanup;
	}
	close(out[1]);
	out[1] = -1;
	text = read_all(out[0], pid);
	waitpid(pid, &status, 0);
	if (!text)
		goto cleanup;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "  svgcheck.js failed (status %d)\n", status);
		goto cleanup;
	}
	*result = json_loads(text, 0, &jerr);
	if (!*result) {
		fprintf(stderr, "  svgcheck.js printed no JSON (%s): %s\n", jerr.text, text);
		goto cleanup;
	}
	err = 0;
cleanup:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	free(text);
	return err;
}

int browser_check_svg(const char *svg, const char *click, const char *search, const char *png,
		      json_t **result)
{
	const char *args[10];
	int n = 0;

	args[n++] = svg;
	if (click) {
		args[n++] = "--click";
		args[n++] = click;
	}
	if (search) {
		args[n++] = "--search";
		args[n++] = search;
	}
	if (png) {
		args[n++] = "--png";
		args[n++] = png;
	}
	args[n] = NULL;
	return run_driver(args, result);
}

int browser_render_static(const char *svg, const char *png, json_t **result)
{
	const char *args[5] = { svg, "--no-script", NULL, NULL, NULL };

	if (png) {
		args[2] = "--png";
		args[3] = png;
	}
	return run_driver(args, result);
}
