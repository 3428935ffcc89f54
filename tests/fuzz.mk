# tests/fuzz.mk: libFuzzer targets, tests/fuzz/fuzz_<name>.c, built with
# clang -fsanitize=fuzzer,address,undefined from the user/ sources they
# need (not from the gcc-built library), into $(OUTPUT)/fuzz/fuzz_<name>.
#   make fuzz [FUZZ_SECONDS=60]   build, then run each target that long
#   make fuzz-build               build the targets and their seeds
# A run reads the seeds of $(OUTPUT)/fuzz/seeds/<name>/ (made by the build)
# and tests/fuzz/corpus/<name>/ (committed: inputs made by hand, or that
# once found a bug), writes what it finds to $(OUTPUT)/fuzz/corpus/<name>/,
# and a crashing input to $(OUTPUT)/fuzz/artifacts/<name>/.  libFuzzer is
# Debian's package libclang-rt-14-dev (a Recommends of clang-14, not a
# Depends); when clang has it, the test runner is built with the targets,
# for test_fuzz_*_smoke.
#
# Seeds of fuzz_cfi (each a few KB):
#   seed_hdr, seed_nohdr  tests/fuzz/seed_cfi.S, static, with and without
#                         .eh_frame_hdr (CIEs zR, zPLR, zRS; expressions)
#   seed_debug_frame      the same as .debug_frame
#   seed_phdrs            seed_hdr without its section table: .eh_frame
#                         found through PT_GNU_EH_FRAME
#   cfi_nofp, libcfi_plt.so  fixtures of tests/cfi.mk, stripped
# Seeds of fuzz_symbolize: sym_fixture (-O0 -g: symbols, lines, an inlined
#   function), sym_fixture_cxx (C++, ET_EXEC) and sym_fixture_debuglink.debug
#   (a separate debug file) of tests/symbolize.mk, 8 to 26 KB.
# Seeds of fuzz_allocators: libmyalloc.so (malloc and free of its own) and
#   myalloc_user_rpath (DT_NEEDED, DT_RPATH, PT_INTERP) of
#   tests/allocators.mk, about 20 KB.
# The text targets have committed seeds only (an empty seeds directory):
#   procmaps  /proc/PID/maps text
#   perfmap   /tmp/perf-PID.map text, as V8 and the JVM agents write it
#   folded    folded stacks as memleakbpf --folded writes them
#   pprof     inuse.pb.gz, written by `memleakbpf --pprof` on
#             tests/workloads/sample_leaks, and the same gunzipped (the
#             protobuf directly: mutating deflate data rarely inflates)
#   options   values of -p, --interval, --min-size ...
FUZZ_DIR     := $(OUTPUT)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := cfi procmaps perfmap symbolize folded pprof options allocators
# Targets without seeds made by the build: an empty directory.
FUZZ_TEXT_TARGETS := procmaps perfmap folded pprof options
FUZZ_CFLAGS  := -g -O1 -I$(OUTPUT) -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Ibpf -Iuser
FUZZ_RUN_FLAGS = -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1

# What each target compiles in and links with.
FUZZ_SRCS_cfi := user/target/cfi.c
FUZZ_LIBS_cfi := -ldw -lelf
FUZZ_SEEDS_cfi := $(addprefix $(FUZZ_DIR)/seeds/cfi/,seed_hdr seed_nohdr seed_debug_frame \
		  seed_phdrs cfi_nofp libcfi_plt.so)
FUZZ_SRCS_procmaps := user/target/procmaps.c user/util/array.c
# fuzz_perfmap and fuzz_symbolize #include symbolize.c (static functions).
FUZZ_SRCS_perfmap := user/target/procmaps.c user/util/array.c
FUZZ_LIBS_perfmap := -ldw -lelf -lstdc++
FUZZ_INCLUDED_perfmap := user/sym/symbolize.c
FUZZ_SRCS_symbolize := $(FUZZ_SRCS_perfmap)
FUZZ_INCLUDED_symbolize := user/sym/symbolize.c
FUZZ_LIBS_symbolize := $(FUZZ_LIBS_perfmap)
FUZZ_SEEDS_symbolize := $(addprefix $(FUZZ_DIR)/seeds/symbolize/,sym_fixture sym_fixture_cxx \
		  sym_fixture_debuglink.debug)
FUZZ_SRCS_folded := user/export/folded.c user/export/profile.c user/util/array.c user/util/format.c
FUZZ_SRCS_pprof := user/export/pprof_read.c user/export/profile.c user/util/array.c \
		   user/util/format.c user/report/model.c $(OUTPUT)/proto/profile.pb-c.c
FUZZ_LIBS_pprof := -lprotobuf-c -lz
# options.c with what it links against (--sort, --metric, --unwind names).
FUZZ_SRCS_options := user/cli/options.c user/cli/cmdline.c user/util/log.c user/report/rank.c \
		     user/export/profile.c user/report/model.c user/util/format.c \
		     user/util/array.c user/trace/unwind.c user/trace/bpfmaps.c user/trace/cfi_child.c \
		     user/target/cfi.c user/target/procmaps.c user/util/pidmap.c \
		     user/util/ranges.c user/serve/listen.c
FUZZ_LIBS_options := -lbpf -ldw -lelf
# fuzz_allocators #includes allocators.c (the dynamic section reader).
FUZZ_SRCS_allocators := user/target/probeplace.c user/target/searchpath.c \
			user/target/procmaps.c user/util/array.c
FUZZ_INCLUDED_allocators := user/target/allocators.c
FUZZ_LIBS_allocators := -lelf -lcapstone
FUZZ_SEEDS_allocators := $(addprefix $(FUZZ_DIR)/seeds/allocators/,libmyalloc.so \
		  myalloc_user_rpath)
$(foreach t,$(FUZZ_TEXT_TARGETS),$(eval FUZZ_SEEDS_$(t) := $(FUZZ_DIR)/seeds/$(t)))

FUZZ_BINS  := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
FUZZ_SEEDS := $(foreach t,$(FUZZ_TARGETS),$(FUZZ_SEEDS_$(t)))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) $(FUZZ_DIR)/fuzz_$$t $(FUZZ_RUN_FLAGS) -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
			$(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t tests/fuzz/corpus/$$t; \
	done

$(FUZZ_DIR) $(addprefix $(FUZZ_DIR)/seeds/,cfi symbolize allocators $(FUZZ_TEXT_TARGETS)):
	mkdir -p $@

define FUZZ_TARGET_RULE
$(FUZZ_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_INCLUDED_$(1)) \
		tests/fuzz/memfile.h $(wildcard user/*/*.h) bpf/memleak.h | $(FUZZ_DIR) $(PROTO_GEN)
	$(CLANG) $(FUZZ_CFLAGS) -I$(OUTPUT)/proto tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) \
		$(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULE,$(t))))

# Static, no libc, no page alignment: a KB or two.
FUZZ_SEED_LD := -static -nostdlib -Wl,-n -Wl,-z,noseparate-code -Wl,--build-id

$(FUZZ_DIR)/seeds/cfi/seed_hdr: tests/fuzz/seed_cfi.S | $(FUZZ_DIR)/seeds/cfi
	$(CC) $(FUZZ_SEED_LD) -Wl,--eh-frame-hdr $< -o $@.tmp
	strip -s $@.tmp -o $@ && rm -f $@.tmp

$(FUZZ_DIR)/seeds/cfi/seed_nohdr: tests/fuzz/seed_cfi.S | $(FUZZ_DIR)/seeds/cfi
	$(CC) $(FUZZ_SEED_LD) -Wl,--no-eh-frame-hdr $< -o $@.tmp
	strip -s $@.tmp -o $@ && rm -f $@.tmp

$(FUZZ_DIR)/seeds/cfi/seed_debug_frame: tests/fuzz/seed_cfi.S | $(FUZZ_DIR)/seeds/cfi
	$(CC) $(FUZZ_SEED_LD) -DDEBUG_FRAME $< -o $@

# e_shoff (8 bytes at 40), e_shnum and e_shstrndx (2 each at 60) zeroed.
$(FUZZ_DIR)/seeds/cfi/seed_phdrs: $(FUZZ_DIR)/seeds/cfi/seed_hdr
	cp $< $@.tmp
	head -c 8 /dev/zero | dd of=$@.tmp bs=1 seek=40 conv=notrunc status=none
	head -c 4 /dev/zero | dd of=$@.tmp bs=1 seek=60 conv=notrunc status=none
	mv $@.tmp $@

$(FUZZ_DIR)/seeds/cfi/cfi_nofp: $(OUTPUT)/fixtures/cfi/cfi_nofp | $(FUZZ_DIR)/seeds/cfi
	strip -s $< -o $@

$(FUZZ_DIR)/seeds/cfi/libcfi_plt.so: $(OUTPUT)/fixtures/cfi/libcfi_plt.so | $(FUZZ_DIR)/seeds/cfi
	strip -s $< -o $@

$(FUZZ_DIR)/seeds/symbolize/%: $(OUTPUT)/fixtures/symbolize/% | $(FUZZ_DIR)/seeds/symbolize
	cp $< $@

$(FUZZ_DIR)/seeds/allocators/%: $(OUTPUT)/fixtures/% | $(FUZZ_DIR)/seeds/allocators
	cp $< $@

# With libFuzzer at hand, the unit tests' smoke runs have their targets.
ifneq ($(wildcard $(shell $(CLANG) --print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-x86_64.a),)
$(RUNNER): | $(FUZZ_BINS) $(FUZZ_SEEDS)
endif
