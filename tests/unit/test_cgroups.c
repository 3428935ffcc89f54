// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_cgroups.c: cgroup paths: containment, and the container
 * or systemd unit a path names.
 */
#include "test.h"
#include "target/cgroups.h"

static char container[80], unit[256];

static void owner(const char *path)
{
	cgroup_owner(path, container, sizeof(container), unit, sizeof(unit));
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

void test_cgroup_paths(void)
{
	if (test__start_subtest("within: whole components")) {
		ASSERT_TRUE(cgroup_within("/a/b", "/a"), "/a/b in /a");
		ASSERT_TRUE(cgroup_within("/a", "/a"), "/a in /a");
		ASSERT_FALSE(cgroup_within("/ab", "/a"), "/ab not in /a");
		ASSERT_FALSE(cgroup_within("/", "/a"), "/ not in /a");
		ASSERT_TRUE(cgroup_within("/x/y", "/"), "everything in /");
	}
	if (test__start_subtest("systemd service")) {
		owner("/system.slice/redis-server.service");
		ASSERT_STREQ(unit, "redis-server.service", "unit");
		ASSERT_STREQ(container, "", "no container");
	}
	if (test__start_subtest("innermost unit")) {
		owner("/user.slice/user-1000.slice/user@1000.service/app.slice/run-u7.scope");
		ASSERT_STREQ(unit, "run-u7.scope", "unit");
	}
	if (test__start_subtest("docker, systemd driver")) {
		owner("/system.slice/docker-" ID ".scope");
		ASSERT_STREQ(container, ID, "container");
		ASSERT_STREQ(unit, "", "a container's scope is not a unit");
	}
	if (test__start_subtest("kubernetes, containerd")) {
		owner("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e.slice/"
		      "cri-containerd-" ID ".scope");
		ASSERT_STREQ(container, ID, "container");
	}
	if (test__start_subtest("docker, cgroupfs driver")) {
		owner("/docker/" ID);
		ASSERT_STREQ(container, ID, "container");
	}
	if (test__start_subtest("podman inside a unit")) {
		owner("/user.slice/user@1000.service/user.slice/libpod-" ID ".scope/container");
		ASSERT_STREQ(container, ID, "container");
		ASSERT_STREQ(unit, "user@1000.service", "unit");
	}
	if (test__start_subtest("nothing to say")) {
		owner("/");
		ASSERT_STREQ(container, "", "root: no container");
		ASSERT_STREQ(unit, "", "root: no unit");
		owner("/memleakbpf-test/" "0123456789abcdef");	/* 16 hex: not an id */
		ASSERT_STREQ(container, "", "short hex is no container");
	}
}
