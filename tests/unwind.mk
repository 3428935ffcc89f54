# tests/unwind.mk: the workloads of tests/e2e/test_e2e_unwind.c, built as
# distributions build programs: -O2 and no frame pointers, so that only
# the CFI (.eh_frame) walks their stacks.  In $(OUTPUT)/workloads/:
#   nofp_leaks          C: leak sites on the main thread and two threads,
#                       glibc's own allocations, and a library it dlopen()s
#                       when told (DT_RUNPATH $ORIGIN finds it)
#   libnofp_plugin.so   that library, built the same way
#   nofp_cxx            C++: operator new from the program and from libstdc++
UNWIND_WL_DIR := $(OUTPUT)/workloads
UNWIND_WORKLOADS := $(addprefix $(UNWIND_WL_DIR)/,nofp_leaks libnofp_plugin.so nofp_cxx)
# -g for file:line only; -fasynchronous-unwind-tables is GCC's default on
# x86-64 and is what puts .eh_frame in every object.
UNWIND_WL_CFLAGS := -O2 -g -fomit-frame-pointer -fasynchronous-unwind-tables -pthread

# Order-only: built with the runner, never linked into it ($^); and with
# the workloads `make test` builds.  stepper is the frame-pointer workload
# the tests run --unwind fp on.
$(RUNNER): | $(UNWIND_WORKLOADS) $(UNWIND_WL_DIR)/stepper
test: $(UNWIND_WORKLOADS)

$(UNWIND_WL_DIR)/libnofp_plugin.so: tests/workloads/unwind/nofp_plugin.c | $(UNWIND_WL_DIR)
	$(CC) $(UNWIND_WL_CFLAGS) -fPIC -shared $< -o $@

$(UNWIND_WL_DIR)/nofp_leaks: tests/workloads/unwind/nofp_leaks.c tests/workloads/wl.h \
		$(UNWIND_WL_DIR)/libnofp_plugin.so
	$(CC) $(UNWIND_WL_CFLAGS) $< -ldl -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN' -o $@

$(UNWIND_WL_DIR)/nofp_cxx: tests/workloads/unwind/nofp_cxx.cc tests/workloads/wl.h | $(UNWIND_WL_DIR)
	$(CXX) $(UNWIND_WL_CFLAGS) $< -o $@
