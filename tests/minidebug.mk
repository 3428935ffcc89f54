# tests/minidebug.mk: the workloads of tests/e2e/test_e2e_minidebuginfo.c,
# in $(OUTPUT)/workloads/: mdi_leak (tests/workloads/unwind/mdi_leak.c,
# -O2 -g, no frame pointers) made into
#   mdi_leak_mini       stripped, its function names in .gnu_debugdata
#                       (tests/minidebuginfo.sh)
#   mdi_leak_stripped   stripped, no names but .dynsym's
# and kept whole as mdi_leak, whose symbol table the test reads.
MDI_WL_DIR := $(OUTPUT)/workloads
MDI_WORKLOADS := $(addprefix $(MDI_WL_DIR)/,mdi_leak mdi_leak_mini mdi_leak_stripped)

$(RUNNER): | $(MDI_WORKLOADS)
test: $(MDI_WORKLOADS)

$(MDI_WL_DIR)/mdi_leak: tests/workloads/unwind/mdi_leak.c tests/workloads/wl.h | $(MDI_WL_DIR)
	$(CC) -O2 -g -fomit-frame-pointer -fasynchronous-unwind-tables $< -o $@

$(MDI_WL_DIR)/mdi_leak_mini: $(MDI_WL_DIR)/mdi_leak tests/minidebuginfo.sh
	tests/minidebuginfo.sh $< $@

$(MDI_WL_DIR)/mdi_leak_stripped: $(MDI_WL_DIR)/mdi_leak
	strip --strip-all $< -o $@
