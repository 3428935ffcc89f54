# tests/tables.mk: the workloads of tests/e2e/test_e2e_tables.c, built like
# those of tests/unwind.mk (-O2, no frame pointers).  In $(OUTPUT)/workloads/:
#   libbig_eh1.so .. libbig_eh4.so  each about 375 KiB of unwind rows
#                       (tests/workloads/unwind/big_eh_pad.S: 2000 FDEs of
#                       16 rows), a build id of its own, and big_leak()
#   eh_reuse            runs each in a child process, or dlopen()s and
#                       dlclose()s it itself (DT_RUNPATH $ORIGIN finds them)
TABLES_WL_DIR := $(OUTPUT)/workloads
TABLES_WL_CFLAGS := -O2 -g -fomit-frame-pointer -fasynchronous-unwind-tables
TABLES_LIBS := $(foreach n,1 2 3 4,$(TABLES_WL_DIR)/libbig_eh$(n).so)
TABLES_WORKLOADS := $(TABLES_LIBS) $(TABLES_WL_DIR)/eh_reuse

$(RUNNER): | $(TABLES_WORKLOADS)
test: $(TABLES_WORKLOADS)

$(TABLES_WL_DIR)/libbig_eh%.so: tests/workloads/unwind/big_eh_lib.c tests/workloads/unwind/big_eh_pad.S \
		| $(TABLES_WL_DIR)
	$(CC) $(TABLES_WL_CFLAGS) -fPIC -shared -DBIG_EH_ID=$* -DBIG_EH_FUNCS=2000 $(filter %.c %.S,$^) -o $@

$(TABLES_WL_DIR)/eh_reuse: tests/workloads/unwind/eh_reuse.c tests/workloads/wl.h | $(TABLES_LIBS)
	$(CC) $(TABLES_WL_CFLAGS) $< -ldl -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN' -o $@
