# tools/bench.mk: what `make bench` (tools/bench.sh) runs.
#   .output/bench/lib/libc.so.6  a private copy of libc: probes on it touch
#                                no other process, and no other tracer's
#                                probes on the system libc touch the benchmark
#   .output/bench/lib/libjemalloc.so.2  a private copy of Debian's jemalloc,
#                                preloaded (LD_PRELOAD) into churn, found by
#                                redis-server through LD_LIBRARY_PATH
#   .output/bench/churn          the workload, loading that copy (DT_RPATH)
#   .output/bench/floor          empty BPF programs where memleakbpf probes
BENCH_DIR  := $(OUTPUT)/bench
BENCH_LIBC := $(BENCH_DIR)/lib/libc.so.6
BENCH_JEMALLOC := $(BENCH_DIR)/lib/libjemalloc.so.2
BENCH_BINS := $(BENCH_DIR)/churn $(BENCH_DIR)/floor $(BENCH_JEMALLOC)

bench: $(BENCH_BINS)

$(BENCH_DIR) $(BENCH_DIR)/lib:
	mkdir -p $@

# The system's libc, resolved the way ld.so resolves DT_NEEDED libc.so.6.
$(BENCH_LIBC): /lib/x86_64-linux-gnu/libc.so.6 | $(BENCH_DIR)/lib
	cp -L /lib/x86_64-linux-gnu/libc.so.6 $@.tmp && mv $@.tmp $@

$(BENCH_JEMALLOC): /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 | $(BENCH_DIR)/lib
	cp -L $< $@.tmp && mv $@.tmp $@

# Like tests/workloads: frame pointers, real frames.  DT_RPATH (not RUNPATH)
# with an absolute directory: ld.so loads the copy whatever LD_LIBRARY_PATH says.
$(BENCH_DIR)/churn: tools/bench/churn.c $(BENCH_LIBC)
	$(CC) -O2 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls -pthread \
		$< -Wl,--disable-new-dtags -Wl,-rpath,$(abspath $(BENCH_DIR)/lib) -o $@

$(BENCH_DIR)/floor.bpf.o: tools/bench/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BENCH_DIR)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -c $< -o $@

$(BENCH_DIR)/floor.skel.h: $(BENCH_DIR)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BENCH_DIR)/floor.o: tools/bench/floor.c $(BENCH_DIR)/floor.skel.h user/target/allocators.h bpf/memleak.h
	$(CC) $(ALL_CFLAGS) -I$(BENCH_DIR) -c $< -o $@

$(BENCH_DIR)/floor: $(BENCH_DIR)/floor.o $(LIB)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# tools/bench-unwind.sh: the cost of unwinding by CFI tables.
$(BENCH_DIR)/cfi_tables: tools/bench/cfi_tables.c $(LIB) | $(BENCH_DIR)
	$(CC) $(ALL_CFLAGS) $< $(LIB) $(LDLIBS) -o $@

bench: $(BENCH_DIR)/cfi_tables
