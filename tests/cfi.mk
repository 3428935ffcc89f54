# tests/cfi.mk: fixtures of tests/unit/test_cfi.c, in $(OUTPUT)/fixtures/cfi/:
#   cfi_nofp            -O2 -fomit-frame-pointer (pushes, sub of rsp, a
#                       function with no CFI between the others)
#   cfi_fp              the same source, -O2 -fno-omit-frame-pointer
#   cfi_static          cfi_nofp linked -static: .eh_frame without
#                       .eh_frame_hdr, static glibc's FDEs (CIEs zR, zPLR, zRS)
#   libcfi_plt.so       a shared library calling itself through its .plt
#   cfi_plt             a program calling libcfi_plt.so through its .plt
#   cfi_plt_ibt         the same linked -z ibt: .plt entries begin with endbr64
#   cfi_debug_frame.so  -g without unwind tables: .debug_frame only
#   cfi_none.so         the same without -g: no CFI at all
# Lazy binding and (but for cfi_plt_ibt) no CET, so that .plt holds the
# classic 16-byte entries.
CFI_FIX_DIR := $(OUTPUT)/fixtures/cfi
CFI_FIXTURES := $(addprefix $(CFI_FIX_DIR)/,cfi_nofp cfi_fp cfi_static libcfi_plt.so cfi_plt \
		cfi_plt_ibt cfi_debug_frame.so cfi_none.so)
CFI_FIX_CFLAGS := -O2 -fasynchronous-unwind-tables -fcf-protection=none -Wl,-z,lazy

# Order-only: built with the runner, never linked into it ($^).
$(RUNNER): | $(CFI_FIXTURES)

$(CFI_FIX_DIR):
	mkdir -p $@

$(CFI_FIX_DIR)/cfi_nofp: tests/fixtures/cfi/cfi_fixture.c | $(CFI_FIX_DIR)
	$(CC) $(CFI_FIX_CFLAGS) -fomit-frame-pointer $< -o $@

$(CFI_FIX_DIR)/cfi_fp: tests/fixtures/cfi/cfi_fixture.c | $(CFI_FIX_DIR)
	$(CC) $(CFI_FIX_CFLAGS) -fno-omit-frame-pointer $< -o $@

$(CFI_FIX_DIR)/cfi_static: tests/fixtures/cfi/cfi_fixture.c | $(CFI_FIX_DIR)
	$(CC) $(CFI_FIX_CFLAGS) -fomit-frame-pointer -static $< -o $@

$(CFI_FIX_DIR)/libcfi_plt.so: tests/fixtures/cfi/cfi_plt_lib.c | $(CFI_FIX_DIR)
	$(CC) $(CFI_FIX_CFLAGS) -fPIC -shared $< -o $@

$(CFI_FIX_DIR)/cfi_plt: tests/fixtures/cfi/cfi_plt_main.c $(CFI_FIX_DIR)/libcfi_plt.so
	$(CC) $(CFI_FIX_CFLAGS) $< -L$(CFI_FIX_DIR) -lcfi_plt -Wl,-rpath,'$$ORIGIN' -o $@

$(CFI_FIX_DIR)/cfi_plt_ibt: tests/fixtures/cfi/cfi_plt_main.c $(CFI_FIX_DIR)/libcfi_plt.so
	$(CC) $(CFI_FIX_CFLAGS) -fcf-protection=full -Wl,-z,ibt $< -L$(CFI_FIX_DIR) -lcfi_plt \
		-Wl,-rpath,'$$ORIGIN' -o $@

$(CFI_FIX_DIR)/cfi_debug_frame.so: tests/fixtures/cfi/cfi_debug_frame.c | $(CFI_FIX_DIR)
	$(CC) -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables -fPIC -shared -nostdlib $< -o $@

$(CFI_FIX_DIR)/cfi_none.so: tests/fixtures/cfi/cfi_debug_frame.c | $(CFI_FIX_DIR)
	$(CC) -O2 -fno-asynchronous-unwind-tables -fno-unwind-tables -fPIC -shared -nostdlib $< -o $@
