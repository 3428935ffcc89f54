# memleakbpf: `make`, `make test`, `make bench`, `make demo`, `make install`.
# Artefacts go to .output/.
# The version, said here only (--version, the pprof comment, the man page):
# a release tarball has no git history to describe.
VERSION  := 0.1.0
# `make test SANITIZE=1`: memleakbpf and the test runner built with ASan and
# UBSan into .output-san/ (see "Sanitizers" below).
OUTPUT   := .output
# The kernel's name for the machine (x86, arm64, ...): BPF's target macros
# and vmlinux/<arch>/ follow it.
ARCH     ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
		-e 's/riscv64/riscv/' -e 's/s390x/s390/' -e 's/loongarch64/loongarch/')
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
CFLAGS   ?= -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ALL_CFLAGS := $(CFLAGS) -std=gnu11 -D_GNU_SOURCE -I$(OUTPUT) -Ibpf -Iuser
LDLIBS   := -lbpf -ldw -lelf -lz -lcap-ng -lcapstone -ljansson -lprotobuf-c -lmicrohttpd -lstdc++ -lpthread -lm

# Sanitizers: SANITIZE=1 compiles memleakbpf, the library and the test runner
# with ASan (LSan included) and UBSan, any UB an abort, into $(BUILD) =
# .output-san/, never mixed with .output/'s objects.  What they trace and
# read (workloads, fixtures, fuzz targets), the skeletons and generated
# sources stay in .output/, shared by both builds.  The runner runs the
# sanitized memleakbpf through $$MEMLEAKBPF; SAN_SKIP (below) names the
# tests that cannot run under ASan, and why.
# memleakbpf allocates with jemalloc, linked in: glibc's malloc and free
# are probed for every process, memleakbpf's own included, and each of its
# calls would pay a uprobe trap (~1.5 us, filtered out in BPF only after
# it), which was half of its CPU under process churn.  Not under ASan,
# which brings its own allocator.
SELF_ALLOC := -Wl,--push-state,-Bstatic -l:libjemalloc_pic.a -Wl,--pop-state -ldl
ifeq ($(SANITIZE),1)
SELF_ALLOC :=
BUILD      := .output-san
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS += $(SAN_FLAGS)
LDFLAGS    += $(SAN_FLAGS)
MEMLEAKBPF_BIN := $(BUILD)/memleakbpf
else
BUILD      := $(OUTPUT)
MEMLEAKBPF_BIN := memleakbpf
endif
RUNNER     := $(BUILD)/test_runner
ifeq ($(SANITIZE),1)
# Tests that cannot run under ASan, with why:
#   e2e_placement_preloaded: memleakbpf itself starts with LD_PRELOAD (the
#       jemalloc or tcmalloc meant for the traced command); ASan refuses to
#       start unless its runtime is the first library.
SAN_SKIP   := e2e_placement_preloaded
# allocator_may_return_null: the tests of failed allocations ask for more
# than ASan serves; halt_on_error: UBSan's report ends the process like
# ASan's does; tests/lsan.supp: a leak inside elfutils.
RUN_TESTS  := MEMLEAKBPF=$(MEMLEAKBPF_BIN) \
	      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
	      LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(RUNNER) $(addprefix -x ,$(SAN_SKIP))
else
RUN_TESTS  := $(RUNNER)
endif

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# user/<layer>/*.c: one folder per layer (see README's layout section).
LIB_SRCS   := $(wildcard user/*/*.c)
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS)) \
	      $(patsubst user/%.S,$(BUILD)/user/%.o,$(wildcard user/*/*.S)) \
	      $(BUILD)/proto/profile.pb-c.o
# profile.proto (pprof's format) compiled by protoc-c into C.
PROTO_GEN  := $(OUTPUT)/proto/profile.pb-c.h
LIB        := $(BUILD)/libmemleak.a
TEST_SRCS  := $(wildcard tests/*.c tests/unit/*.c tests/e2e/*.c)
TEST_OBJS  := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SRCS))
WORKLOADS  := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(wildcard tests/workloads/*.c)) \
	      $(patsubst tests/workloads/%.cc,$(OUTPUT)/workloads/%,$(wildcard tests/workloads/*.cc))
# Workloads are what a user would profile: debug info and frame pointers,
# no inlining so that each test's named frames exist.
WL_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls -pthread

.PHONY: all test unit bench soak demo clean deps vmlinux check-layers workloads install uninstall FORCE
.SECONDARY:
all: $(MEMLEAKBPF_BIN)

deps:
	tools/install-deps.sh

vmlinux:
	tools/gen-vmlinux.sh $(ARCH)

$(OUTPUT) $(OUTPUT)/proto $(OUTPUT)/workloads:
	mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h: proto/%.proto | $(OUTPUT)/proto
	protoc-c --proto_path=proto --c_out=$(OUTPUT)/proto $<

$(BUILD)/proto/%.pb-c.o: $(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/proto -c $< -o $@

# Header dependencies come from the compiler (-MMD), read back below.  The
# skeleton and the generated protobuf header must exist before any object
# is compiled for the first time.
DEPFLAGS := -MMD -MP

$(BUILD)/user/%.o: user/%.c | $(SKELS) $(PROTO_GEN)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -I$(OUTPUT)/proto -DMEMLEAKBPF_VERSION='"$(VERSION)"' -c $< -o $@

# Assembler files embed data (the flame graph's script) with .incbin.
$(BUILD)/user/%.o: user/%.S $(wildcard user/*/*.js)
	@mkdir -p $(@D)
	$(CC) -Iuser -c $< -o $@

# The objects that print the version are rebuilt when it changes.
$(OUTPUT)/version: FORCE | $(OUTPUT)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/user/cli/options.o $(BUILD)/user/export/pprof.o: $(OUTPUT)/version

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(MEMLEAKBPF_BIN): $(BUILD)/user/main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(SELF_ALLOC) $(LDLIBS) -o $@

# Tests: every `void test_<name>(void)` under tests/ is found and run.
$(OUTPUT)/tests/list.inc: $(TEST_SRCS) | $(OUTPUT)
	mkdir -p $(OUTPUT)/tests
	grep -ho '^void test_[a-z0-9][a-z0-9_]*(void)' $(TEST_SRCS) | sed 's/^void \(test_[a-z0-9_]*\)(void)/DEFINE_TEST(\1)/' > $@.tmp
	mv $@.tmp $@

$(BUILD)/tests/%.o: tests/%.c $(OUTPUT)/tests/list.inc | $(SKELS) $(PROTO_GEN)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -I$(OUTPUT)/proto -Itests -I$(OUTPUT)/tests -c $< -o $@

$(RUNNER): $(TEST_OBJS) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/workloads/%: tests/workloads/%.c tests/workloads/wl.h $(wildcard tests/workloads/*.h) | $(OUTPUT)/workloads
	$(CC) $(WL_CFLAGS) $< -o $@ $(if $(findstring static,$*),-static,)

$(OUTPUT)/workloads/%: tests/workloads/%.cc tests/workloads/wl.h $(wildcard tests/workloads/*.h) | $(OUTPUT)/workloads
	$(CXX) $(WL_CFLAGS) $< -o $@

# No file of user/ includes a header of a higher layer (README: Layout).
check-layers:
	tools/check-layers.sh

workloads: $(WORKLOADS)

test: check-layers $(MEMLEAKBPF_BIN) $(RUNNER) $(WORKLOADS)
	$(RUN_TESTS) $(TESTFLAGS)

unit: check-layers $(RUNNER)
	$(RUN_TESTS) -u $(TESTFLAGS)

bench: memleakbpf
	tools/bench.sh
	tools/bench-unwind.sh

# SOAK_MINUTES (30) system-wide under churn; not in `make test`
soak: memleakbpf
	tools/soak.sh

demo: memleakbpf $(OUTPUT)/workloads/demo_leaky_service
	mkdir -p $(OUTPUT)/demo
	./memleakbpf --interval 2 --duration 7 --flamegraph $(OUTPUT)/demo/leak.svg \
		--pprof $(OUTPUT)/demo/leak.pb.gz --folded $(OUTPUT)/demo/leak.folded \
		-- $(OUTPUT)/workloads/demo_leaky_service

# Installation: PREFIX for the paths, DESTDIR for a staging root (packages).
# The unit runs the installed binary: its path is written into it.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
INSTALL     ?= install

install: memleakbpf
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 755 memleakbpf $(DESTDIR)$(SBINDIR)/memleakbpf
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' doc/memleakbpf.8 > $(DESTDIR)$(MANDIR)/man8/memleakbpf.8
	chmod 644 $(DESTDIR)$(MANDIR)/man8/memleakbpf.8
	$(INSTALL) -m 644 packaging/memleakbpf.bash-completion $(DESTDIR)$(COMPLETIONDIR)/memleakbpf
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/memleakbpf.service > $(DESTDIR)$(UNITDIR)/memleakbpf.service
	chmod 644 $(DESTDIR)$(UNITDIR)/memleakbpf.service

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/memleakbpf $(DESTDIR)$(MANDIR)/man8/memleakbpf.8 \
		$(DESTDIR)$(COMPLETIONDIR)/memleakbpf $(DESTDIR)$(UNITDIR)/memleakbpf.service

-include $(patsubst %.o,%.d,$(LIB_OBJS) $(TEST_OBJS) $(BUILD)/user/main.o)

# Extra build rules (test fixtures, bench programs) live beside what they build.
-include tests/*.mk tools/*.mk

clean:
	rm -rf $(OUTPUT) .output-san memleakbpf
