/* tests/unit/report_fixture.h: a report built by hand for the renderers' tests.
 *
 * Two processes (node, live and leaking Buffers; leaky, exited), three stacks
 * shown: frames with and without symbols, a file and line, an inlined frame,
 * JIT frames, a frame with nothing known, a hostile function name, and a
 * stack with no frames; in the profile only (nprofile = 5), a fourth, all
 * freed again, and a fifth of the allocator category (an arena).  Everything is static: do not report__release() it.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include "report/model.h"

#define FIXTURE_WALL 1795356131	/* 2026-11-22T14:02:11Z */
/* Quotes, backslash, newline, ';' (the folded format's separator). */
/* the node process runs in a container */
#define FIXTURE_CONTAINER "4fa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f"
#define FIXTURE_NODE_CGROUP "/system.slice/docker-" FIXTURE_CONTAINER ".scope"
#define FIXTURE_HOSTILE "operator\"\"_evil<\\n>(char const*);\nrm -rf / \"x\\\"y\""

/* Fill r (and the static arrays behind it) afresh. */
void report_fixture(struct report *r);

#endif /* REPORT_FIXTURE_H */
