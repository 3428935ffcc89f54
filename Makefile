# memleakbpf: `make`, `make test`, `make bench`, `make demo`, `make install`.
# Artefacts go to .output/.
# The version, said here only (--version, the pprof comment, the man page):
# a release tarball has no git history to describe.
VERSION  := 0.1.0
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

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# user/<layer>/*.c: one folder per layer (see README's layout section).
LIB_SRCS   := $(wildcard user/*/*.c)
LIB_OBJS   := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS)) \
	      $(patsubst user/%.S,$(OUTPUT)/user/%.o,$(wildcard user/*/*.S)) \
	      $(OUTPUT)/proto/profile.pb-c.o
# profile.proto (pprof's format) compiled by protoc-c into C.
PROTO_GEN  := $(OUTPUT)/proto/profile.pb-c.h
LIB        := $(OUTPUT)/libmemleak.a
TEST_SRCS  := $(wildcard tests/*.c tests/unit/*.c tests/e2e/*.c)
TEST_OBJS  := $(patsubst tests/%.c,$(OUTPUT)/tests/%.o,$(TEST_SRCS))
WORKLOADS  := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(wildcard tests/workloads/*.c)) \
	      $(patsubst tests/workloads/%.cc,$(OUTPUT)/workloads/%,$(wildcard tests/workloads/*.cc))
# Workloads are what a user would profile: debug info and frame pointers,
# no inlining so that each test's named frames exist.
WL_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls -pthread

.PHONY: all test unit bench soak demo clean deps vmlinux check-layers workloads install uninstall FORCE
.SECONDARY:
all: memleakbpf

deps:
	tools/install-deps.sh

vmlinux:
	tools/gen-vmlinux.sh $(ARCH)

$(OUTPUT) $(OUTPUT)/proto $(OUTPUT)/workloads:
	mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h: proto/%.proto | $(OUTPUT)/proto
	protoc-c --proto_path=proto --c_out=$(OUTPUT)/proto $<

$(OUTPUT)/proto/%.pb-c.o: $(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h
	$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/proto -c $< -o $@

# Header dependencies come from the compiler (-MMD), read back below.  The
# skeleton and the generated protobuf header must exist before any object
# is compiled for the first time.
DEPFLAGS := -MMD -MP

$(OUTPUT)/user/%.o: user/%.c | $(SKELS) $(PROTO_GEN)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -I$(OUTPUT)/proto -DMEMLEAKBPF_VERSION='"$(VERSION)"' -c $< -o $@

# Assembler files embed data (the flame graph's script) with .incbin.
$(OUTPUT)/user/%.o: user/%.S $(wildcard user/*/*.js)
	@mkdir -p $(@D)
	$(CC) -Iuser -c $< -o $@

# The objects that print the version are rebuilt when it changes.
$(OUTPUT)/version: FORCE | $(OUTPUT)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(OUTPUT)/user/cli/options.o $(OUTPUT)/user/export/pprof.o: $(OUTPUT)/version

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

memleakbpf: $(OUTPUT)/user/main.o $(LIB)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Tests: every `void test_<name>(void)` under tests/ is found and run.
$(OUTPUT)/tests/list.inc: $(TEST_SRCS) | $(OUTPUT)
	mkdir -p $(OUTPUT)/tests
	grep -ho '^void test_[a-z0-9][a-z0-9_]*(void)' $(TEST_SRCS) | sed 's/^void \(test_[a-z0-9_]*\)(void)/DEFINE_TEST(\1)/' > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/tests/%.o: tests/%.c $(OUTPUT)/tests/list.inc | $(SKELS) $(PROTO_GEN)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -I$(OUTPUT)/proto -Itests -I$(OUTPUT)/tests -c $< -o $@

$(OUTPUT)/test_runner: $(TEST_OBJS) $(LIB)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/workloads/%: tests/workloads/%.c tests/workloads/wl.h $(wildcard tests/workloads/*.h) | $(OUTPUT)/workloads
	$(CC) $(WL_CFLAGS) $< -o $@ $(if $(findstring static,$*),-static,)

$(OUTPUT)/workloads/%: tests/workloads/%.cc tests/workloads/wl.h $(wildcard tests/workloads/*.h) | $(OUTPUT)/workloads
	$(CXX) $(WL_CFLAGS) $< -o $@

# No file of user/ includes a header of a higher layer (README: Layout).
check-layers:
	tools/check-layers.sh

workloads: $(WORKLOADS)

test: check-layers memleakbpf $(OUTPUT)/test_runner $(WORKLOADS)
	$(OUTPUT)/test_runner $(TESTFLAGS)

unit: check-layers $(OUTPUT)/test_runner
	$(OUTPUT)/test_runner -u $(TESTFLAGS)

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

-include $(patsubst %.o,%.d,$(LIB_OBJS) $(TEST_OBJS) $(OUTPUT)/user/main.o)

# Extra build rules (test fixtures, bench programs) live beside what they build.
-include tests/*.mk tools/*.mk

clean:
	rm -rf $(OUTPUT) memleakbpf
