/* user/target/cgroups.h: cgroup v2 paths, as --cgroup names them and as a
 * process's /proc/PID/cgroup shows them, and what a path says of its
 * owner (a container, a systemd unit).
 *
 * Paths are kept relative to the cgroup2 mount, with a leading '/', as the
 * kernel prints them in /proc/PID/cgroup ("/system.slice/redis.service").
 */
#ifndef CGROUPS_H
#define CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Where cgroup2 is mounted ("/sys/fs/cgroup", or ".../unified" on hybrid
 * systems), from /proc/self/mountinfo; NULL when it is not mounted.
 */
const char *cgroup2_mount(void);

/* --cgroup's argument: a directory of the cgroup2 file system, given in
 * full ("/sys/fs/cgroup/system.slice") or as /proc/PID/cgroup shows it
 * ("/system.slice", "system.slice").  On success, *path is its kernel path
 * (malloc'ed) and *fd an open O_DIRECTORY descriptor of it; else -errno
 * and *why says what is wrong, for a one-line error.
 */
int cgroup_resolve(const char *arg, char **path, int *fd, const char **why);

/* The cgroup v2 path of pid (malloc'ed), or NULL (gone, no cgroup2). */
char *cgroup_of_pid(pid_t pid);

/* Whether path is root or inside it (whole components: "/a" holds "/a/b",
 * not "/ab").
 */
bool cgroup_within(const char *path, const char *root);

/* What a path says of its owner: the container id (docker, podman,
 * containerd, CRI-O: 64 hex digits in a component) and the systemd unit
 * (the innermost ".service" or ".scope" component that is not a
 * container's).  Empty strings when the path shows none.
 */
void cgroup_owner(const char *path, char *container, size_t container_len, char *unit,
		  size_t unit_len);

#endif /* CGROUPS_H */
