// SPDX-License-Identifier: GPL-2.0
/* End to end: names of a stripped program's static functions.
 *
 *   test_e2e_minidebuginfo  mdi_leak_mini (tests/minidebug.mk): stripped,
 *                           no frame pointers, its functions named only in
 *                           .gnu_debugdata (Fedora's MiniDebugInfo).  The
 *                           leak's stack names the static functions that
 *                           made it, and their callers, to main and _start.
 *                           mdi_leak_stripped, the same without
 *                           .gnu_debugdata: each of those frames is its
 *                           file and offset (inside the function the
 *                           whole build's symbol table says), in the JSON
 *                           and in the text report, and no frame of any
 *                           stack is an address alone.
 */
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "e2e.h"

#define LEAF_BYTES (4 * 333)

/* What the sections of an ELF file say. */
struct elf_facts {
	bool has_symtab, has_debugdata;
};

/* A function of the whole build, as file offsets: [start, end). */
struct fn_range {
	const char *name;
	uint64_t start, end;
};

static int read_elf(const char *path, struct elf_facts *facts, struct fn_range *fns, int nfns)
{
	int fd = open(path, O_RDONLY), found = 0, i;
	Elf_Scn *scn = NULL;
	size_t shstrndx, nph, k;
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) || elf_getphdrnum(elf, &nph)) {
		elf_end(elf);
		close(fd);
		return -1;
	}
	memset(facts, 0, sizeof(*facts));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		facts->has_debugdata |= !strcmp(name, ".gnu_debugdata");
		if (sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		facts->has_symtab = true;
		d = elf_getdata(scn, NULL);
		for (k = 0; d && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !(n = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			for (i = 0; i < nfns; i++) {
				GElf_Phdr ph;
				size_t p;

				if (strcmp(n, fns[i].name))
					continue;
				/* vaddr to file offset, by the PT_LOAD that holds it */
				for (p = 0; p < nph; p++) {
					if (!gelf_getphdr(elf, p, &ph) || ph.p_type != PT_LOAD ||
					    sym.st_value < ph.p_vaddr || sym.st_value >= ph.p_vaddr + ph.p_filesz)
						continue;
					fns[i].start = sym.st_value - ph.p_vaddr + ph.p_offset;
					fns[i].end = fns[i].start + sym.st_size;
					found++;
				}
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

static const char *fn_of(json_t *frame)
{
	return json_string_value(json_object_get(frame, "function"));
}

static void log_frames(json_t *stack)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(stack, "frames"), i, f)
		fprintf(stderr, "    #%-2zu %s  %s+0x%llx\n", i, fn_of(f) ?: "(no name)",
			json_string_value(json_object_get(f, "module")) ?: "(no module)",
			(unsigned long long)json_integer_value(json_object_get(f, "module_offset")));
}

/* The leak's one stack in the report (pid by its comm). */
static json_t *leak_stack(json_t *rep, const char *comm)
{
	pid_t pid = report_pid_of(rep, comm);
	json_t *s, *found = NULL;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(rep, "stacks"), i, s) {
		json_t *frames = json_object_get(s, "frames");
		const char *cat = json_string_value(json_object_get(s, "category"));

		if (json_integer_value(json_object_get(s, "pid")) != pid || !cat || strcmp(cat, "native") ||
		    json_integer_value(json_object_get(s, "outstanding_bytes")) != LEAF_BYTES ||
		    json_array_size(frames) < 2 || !fn_of(json_array_get(frames, 0)) ||
		    strcmp(fn_of(json_array_get(frames, 0)), "malloc"))
			continue;
		found = s;
		n++;
	}
	if (!ASSERT_EQ(n, 1, "one stack of 4 x 333 bytes from malloc"))
		return NULL;
	ASSERT_EQ(json_integer_value(json_object_get(found, "outstanding_count")), 4, "blocks");
	return found;
}

/* No frame of pid's stacks is an address alone: each has a function, or
 * a file for its module.
 */
static void check_no_bare_address(json_t *rep, pid_t pid)
{
	json_t *s, *f;
	size_t i, k;

	json_array_foreach(json_object_get(rep, "stacks"), i, s) {
		if (json_integer_value(json_object_get(s, "pid")) != pid)
			continue;
		json_array_foreach(json_object_get(s, "frames"), k, f) {
			const char *mod = json_string_value(json_object_get(f, "module"));

			if (!ASSERT_TRUE(fn_of(f) || (mod && mod[0] == '/'), "a name, or a file and offset")) {
				log_frames(s);
				break;
			}
		}
	}
}

static json_t *run_json(struct ml_run *r, const char *name)
{
	json_t *rep;

	memset(r, 0, sizeof(*r));
	rep = run_workload(r, name, NULL);
	return rep;
}

void test_e2e_minidebuginfo(void)
{
	struct fn_range fns[] = { { "hidden_leaf" }, { "hidden_fill" }, { "hidden_run" }, { "main" }, { "_start" } };
	const int nfns = sizeof(fns) / sizeof(fns[0]);
	char stripped[PATH_MAX], want[PATH_MAX + 64];
	struct elf_facts whole, mini, bare;
	json_t *rep, *stack, *frames;
	struct ml_run r;
	int i;

	if (!test__require_root())
		return;
	if (!ASSERT_EQ(read_elf(workload_path("mdi_leak"), &whole, fns, nfns), nfns,
		       "the whole build names its functions (make test builds it)") ||
	    !ASSERT_GE(read_elf(workload_path("mdi_leak_mini"), &mini, NULL, 0), 0, "mdi_leak_mini") ||
	    !ASSERT_GE(read_elf(workload_path("mdi_leak_stripped"), &bare, NULL, 0), 0, "mdi_leak_stripped") ||
	    !ASSERT_OK_PTR(realpath(workload_path("mdi_leak_stripped"), stripped), "realpath"))
		return;

	if (test__start_subtest(".gnu_debugdata names the static functions")) {
		ASSERT_FALSE(mini.has_symtab, "mdi_leak_mini has no .symtab");
		ASSERT_TRUE(mini.has_debugdata, "mdi_leak_mini has .gnu_debugdata");
		rep = run_json(&r, "mdi_leak_mini");
		stack = rep ? leak_stack(rep, "mdi_leak_mini") : NULL;
		if (stack) {
			const char *names[] = { "malloc", "hidden_leaf", "hidden_fill", "hidden_run", "main",
						"__libc_start_call_main" };

			bool ok = true;

			frames = json_object_get(stack, "frames");
			for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
				ok &= ASSERT_STREQ(fn_of(json_array_get(frames, i)), names[i], "frame");
			ok &= ASSERT_STREQ(fn_of(json_array_get(frames, json_array_size(frames) - 1)), "_start",
					   "outermost frame");
			if (!ok)
				log_frames(stack);
		}
		ml_run_release(&r);
	}

	if (test__start_subtest("without .gnu_debugdata: file and offset, in the function")) {
		ASSERT_FALSE(bare.has_symtab || bare.has_debugdata, "mdi_leak_stripped has neither");
		rep = run_json(&r, "mdi_leak_stripped");
		stack = rep ? leak_stack(rep, "mdi_leak_stripp") : NULL;
		if (stack) {
			/* malloc, then the four functions of the program, then
			 * glibc's frames, then _start: the program's own frames
			 * are its file and an offset inside the function that is
			 * there in the whole build
			 */
			const int at[] = { 1, 2, 3, 4, -1 };
			bool ok = true;

			frames = json_object_get(stack, "frames");
			ok &= ASSERT_STREQ(fn_of(json_array_get(frames, 0)), "malloc", "leaf");
			ok &= ASSERT_STREQ(fn_of(json_array_get(frames, 5)), "__libc_start_call_main", "frame 5");
			for (i = 0; i < nfns; i++) {
				size_t k = at[i] >= 0 ? (size_t)at[i] : json_array_size(frames) - 1;
				json_t *f = json_array_get(frames, k);
				const char *mod = json_string_value(json_object_get(f, "module"));
				/* a return address: the call is the byte before */
				uint64_t off = json_integer_value(json_object_get(f, "module_offset"));

				ok &= ASSERT_TRUE(!fn_of(f), "no name");
				ok &= ASSERT_STREQ(mod, stripped, "module");
				if (!ASSERT_TRUE(off > fns[i].start && off <= fns[i].end, fns[i].name))
					ok = false;
			}
			if (!ok)
				log_frames(stack);
			check_no_bare_address(rep, report_pid_of(rep, "mdi_leak_stripp"));
		}
		ml_run_release(&r);
	}

	if (test__start_subtest("without .gnu_debugdata: the text report says module+offset")) {
		const char *args[] = { "--top", "1000", "--", workload_path("mdi_leak_stripped"), NULL };

		memset(&r, 0, sizeof(r));
		if (ASSERT_OK(ml_run(&r, args), "run memleakbpf") && ASSERT_EQ(r.exit_code, 0, "exit code")) {
			/* each of the program's functions has a frame "[unknown]
			 * FILE+0xOFFSET" with OFFSET inside it; none is an address
			 * alone
			 */
			for (i = 0; i < nfns; i++) {
				const char *p = r.out;
				bool seen = false;

				snprintf(want, sizeof(want), "        [unknown] %s+0x", stripped);
				while ((p = strstr(p, want))) {
					unsigned long long off = strtoull(p + strlen(want), NULL, 16);

					seen |= off > fns[i].start && off <= fns[i].end;
					p += strlen(want);
				}
				ASSERT_TRUE(seen, fns[i].name);
			}
			ASSERT_TRUE(!strstr(r.out, "[unknown] 0x") && !strstr(r.out, "[unknown] [unknown]+"),
				    "no frame is an address alone");
			if (strstr(r.out, "[unknown] 0x") || strstr(r.out, "[unknown] [unknown]+"))
				fprintf(stderr, "  stdout: %.3000s\n", r.out);
		}
		ml_run_release(&r);
	}
}
