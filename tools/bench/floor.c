// SPDX-License-Identifier: GPL-2.0
/* tools/bench/floor.c: the benchmark's floor: what memleakbpf's probes cost
 * with nothing behind them.
 *
 * Usage: floor [-e | -s] [-v] -- CMD [ARG...]
 *
 * Finds CMD's allocators the way `memleakbpf -- CMD` does
 * (allocators__for_command), attaches the empty programs of floor.bpf.c
 * where memleakbpf attaches its own, with the same kinds, order and pid
 * (-1): malloc's return probe then its entry probe, then free's entry
 * probe, each at the offset memleakbpf uses (file_offset + probe_delta,
 * chosen by allocators.c for both).  Files without malloc and free
 * (libstdc++) are left out.  -e: no return probe (the entry-only floor,
 * what a call costs whose return is not probed).  -s: malloc's probe is a
 * uprobe session whose entry asks for no return, as --sample-bytes makes
 * it for an unsampled call (needs uprobe_multi sessions, kernel 6.12 and
 * later): the floor of sampling, kernel's session work included.  Then it
 * runs CMD, waits for it, detaches (every probe is fd-based: it goes when
 * this process exits, however it exits) and exits with CMD's status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "target/allocators.h"
#include "trace/uprobe_multi.h"
#include "floor.skel.h"

#define MAX_LIBS 16
#define MAX_LINKS (3 * MAX_LIBS)

struct floor {
	struct floor_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	int link_fds[MAX_LINKS];	/* uprobe_multi links, as memleakbpf makes them */
	int nlink_fds;
	bool multi;
	bool entry_only;
	bool sessions;
	bool verbose;
};

static int attach_at(struct floor *f, struct bpf_program *prog, const struct allocator_lib *lib,
		     const char *what, uint64_t offset, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = retprobe);
	struct bpf_link *link;
	int err;

	if (f->nlinks == MAX_LINKS || f->nlink_fds == MAX_LINKS)
		return -E2BIG;
	if (f->multi) {
		uint64_t cookie = 0;
		int fd = prog == f->skel->progs.floor_session ?
				 uprobe_session__attach(bpf_program__fd(prog), lib->path, &offset,
							&cookie, 1, -1) :
				 uprobe_multi__attach(bpf_program__fd(prog), lib->path, &offset,
						      &cookie, 1, -1, retprobe);

		if (fd >= 0)
			f->link_fds[f->nlink_fds++] = fd;
		link = NULL;
		err = fd < 0 ? fd : 0;
	} else {
		link = bpf_program__attach_uprobe_opts(prog, -1, lib->path, offset, &uo);
		err = link ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "floor: cannot attach to %s%s in %s+0x%llx: %s\n", what,
			retprobe ? " (return)" : "", lib->display_path, (unsigned long long)offset,
			strerror(-err));
		return err;
	}
	if (link)
		f->links[f->nlinks++] = link;
	if (f->verbose)
		fprintf(stderr, "floor: %s%s at %s+0x%llx\n", what, retprobe ? " return" : " entry",
			lib->display_path, (unsigned long long)offset);
	return 0;
}

/* Same order as memleakbpf's attach_lib: return probes before entry probes. */
static int attach_lib(struct floor *f, const struct allocator_lib *lib)
{
	const struct alloc_func *m = &lib->fn[ML_FN_MALLOC], *fr = &lib->fn[ML_FN_FREE];
	int err = 0;

	if (!lib->is_allocator)
		return 0;
	if (!f->entry_only && !f->sessions)
		err = attach_at(f, f->skel->progs.floor_return, lib, "malloc",
				m->file_offset + m->probe_delta, true);
	if (!err)
		err = attach_at(f, f->sessions ? f->skel->progs.floor_session : f->skel->progs.floor_enter,
				lib, "malloc", m->file_offset + m->probe_delta, false);
	if (!err)
		err = attach_at(f, f->skel->progs.floor_free, lib, "free",
				fr->file_offset + fr->probe_delta, false);
	return err;
}

static int attach_command(struct floor *f, const char *cmd)
{
	const struct allocator_lib *libs[MAX_LIBS];
	struct allocators *a = allocators__new();
	int i, n, err = 0;

	if (!a)
		return -ENOMEM;
	n = allocators__for_command(a, cmd, libs, MAX_LIBS);
	if (n <= 0) {
		fprintf(stderr, "floor: no allocator found for '%s'\n", cmd);
		err = n < 0 ? n : -ENOENT;
	}
	for (i = 0; i < n && !err; i++)
		err = attach_lib(f, libs[i]);
	if (!err && f->nlinks + f->nlink_fds == 0) {
		fprintf(stderr, "floor: no malloc and free found for '%s'\n", cmd);
		err = -ENOENT;
	}
	allocators__free(a);
	return err;
}

static int run_command(char **argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "floor: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	struct floor f = { 0 };
	int c, i, err, ret = 1;

	while ((c = getopt(argc, argv, "+esv")) != -1) {
		if (c == 'e') {
			f.entry_only = true;
		} else if (c == 's') {
			f.sessions = true;
		} else if (c == 'v') {
			f.verbose = true;
		} else {
			fprintf(stderr, "usage: floor [-e | -s] [-v] -- CMD [ARG...]\n");
			return 2;
		}
	}
	if (optind >= argc || (f.entry_only && f.sessions)) {
		fprintf(stderr, "usage: floor [-e | -s] [-v] -- CMD [ARG...]\n");
		return 2;
	}
	/* The same kind of link memleakbpf uses: uprobe_multi where the
	 * kernel has it (user/trace/uprobe_multi.h), one perf-event link
	 * otherwise; sessions only as uprobe_multi.
	 */
	for (i = 1; i >= (f.sessions ? 1 : 0) && !f.skel; i--) {
		f.multi = i;
		f.skel = floor_bpf__open();
		if (!f.skel)
			break;
		if (f.multi) {
			uprobe_multi__prepare(f.skel->progs.floor_enter);
			uprobe_multi__prepare(f.skel->progs.floor_return);
			uprobe_multi__prepare(f.skel->progs.floor_free);
		}
		if (f.sessions)
			uprobe_session__prepare(f.skel->progs.floor_session);
		else
			bpf_program__set_autoload(f.skel->progs.floor_session, false);
		if (floor_bpf__load(f.skel)) {
			floor_bpf__destroy(f.skel);
			f.skel = NULL;
		}
	}
	if (!f.skel) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	err = attach_command(&f, argv[optind]);
	if (err)
		goto cleanup;
	err = run_command(&argv[optind]);
	if (err < 0)
		fprintf(stderr, "floor: cannot run '%s': %s\n", argv[optind], strerror(-err));
	else
		ret = err;
cleanup:
	for (i = f.nlinks - 1; i >= 0; i--)
		bpf_link__destroy(f.links[i]);
	for (i = f.nlink_fds - 1; i >= 0; i--)
		close(f.link_fds[i]);
	floor_bpf__destroy(f.skel);
	return ret;
}
