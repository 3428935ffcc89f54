/* user/target/cgroups.c: cgroup v2 paths (see cgroups.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "target/cgroups.h"

/* mountinfo escapes blanks and backslashes in paths as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

const char *cgroup2_mount(void)
{
	static char mount[PATH_MAX];
	static int looked;
	char *line = NULL, *sep, *fields[5], *save;
	size_t cap = 0;
	FILE *f;
	int i;

	if (looked)
		return mount[0] ? mount : NULL;
	looked = 1;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		/* id parent dev root mountpoint ... - fstype source options */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		fields[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || !fields[4] || strlen(fields[4]) >= sizeof(mount))
			continue;
		strcpy(mount, fields[4]);
		unescape_octal(mount);
		break;
	}
	free(line);
	fclose(f);
	return mount[0] ? mount : NULL;
}

int cgroup_resolve(const char *arg, char **path, int *fd, const char **why)
{
	const char *mnt = cgroup2_mount();
	char full[PATH_MAX], real[PATH_MAX];
	struct statfs sf;
	size_t n;
	int d, len;

	*path = NULL;
	*fd = -1;
	if (!mnt) {
		*why = "cgroup v2 is not mounted";
		return -ENOENT;
	}
	n = strlen(mnt);
	if (!strncmp(arg, mnt, n) && (arg[n] == '/' || !arg[n]))
		len = snprintf(full, sizeof(full), "%s", arg);
	else
		len = snprintf(full, sizeof(full), "%s/%s", mnt, arg + (arg[0] == '/'));
	if (len < 0 || (size_t)len >= sizeof(full)) {
		*why = "path too long";
		return -ENAMETOOLONG;
	}
	if (!realpath(full, real)) {
		d = -errno;
		*why = d == -ENOENT ? "no such cgroup" : strerror(-d);
		return d;
	}
	if (strncmp(real, mnt, n) || (real[n] && real[n] != '/')) {
		*why = "not inside the cgroup v2 hierarchy";
		return -EINVAL;
	}
	d = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0) {
		d = -errno;
		*why = d == -ENOTDIR ? "not a cgroup directory" : strerror(-d);
		return d;
	}
	if (fstatfs(d, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(d);
		*why = "not a cgroup v2 directory";
		return -EINVAL;
	}
	*path = strdup(real[n] ? real + n : "/");
	if (!*path) {
		close(d);
		*why = strerror(ENOMEM);
		return -ENOMEM;
	}
	*fd = d;
	return 0;
}

char *cgroup_of_pid(pid_t pid)
{
	char name[64], *line = NULL, *out = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/cgroup", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return NULL;
	/* "0::/path": the v2 hierarchy, alone or beside v1 ones */
	while ((len = getline(&line, &cap, f)) > 0) {
		if (strncmp(line, "0::", 3))
			continue;
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		out = strdup(line + 3);
		break;
	}
	free(line);
	fclose(f);
	return out;
}

bool cgroup_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

/* Container runtimes name a container's cgroup "<runtime>-<id>.scope"
 * (systemd driver) or "<id>" (cgroupfs driver): 64 hex digits either way.
 */
static bool container_component(const char *c, size_t len, const char **id)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"containerd-" };
	size_t i, k;

	if (len > 6 && !strncmp(c + len - 6, ".scope", 6))
		len -= 6;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		k = strlen(prefixes[i]);
		if (len > k && !strncmp(c, prefixes[i], k)) {
			c += k;
			len -= k;
			break;
		}
	}
	if (len != 64)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)c[i]))
			return false;
	*id = c;
	return true;
}

static bool unit_component(const char *c, size_t len)
{
	return (len > 8 && !strncmp(c + len - 8, ".service", 8)) ||
	       (len > 6 && !strncmp(c + len - 6, ".scope", 6));
}

void cgroup_owner(const char *path, char *container, size_t container_len, char *unit,
		  size_t unit_len)
{
	const char *end = path + strlen(path), *start, *id;
	size_t len;

	if (container_len)
		container[0] = '\0';
	if (unit_len)
		unit[0] = '\0';
	/* innermost first */
	while (end > path) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		len = (size_t)(end - start);
		if (len && container_component(start, len, &id)) {
			if (container_len && !container[0])
				snprintf(container, container_len, "%.64s", id);
		} else if (len && unit_component(start, len)) {
			if (unit_len && !unit[0])
				snprintf(unit, unit_len, "%.*s", (int)len, start);
		}
		end = start > path ? start - 1 : path;
	}
}
