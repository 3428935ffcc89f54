# tests/mntns.mk: fixtures of test_e2e_hostile_mount_ns, in
# $(OUTPUT)/fixtures/mntns/: mntns_user, linked with libmntns.so
# (DT_RUNPATH $ORIGIN), which dlopen()s libmntns_dl.so beside it.  The test
# copies the three into a directory that only exists in another mount
# namespace.  Frame pointers, no inlining: each named frame exists.
MNTNS_DIR := $(OUTPUT)/fixtures/mntns
MNTNS_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls
MNTNS_FIXTURES := $(MNTNS_DIR)/mntns_user $(MNTNS_DIR)/libmntns.so $(MNTNS_DIR)/libmntns_dl.so

# Order-only: built with the runner, never linked into it ($^).
$(RUNNER): | $(MNTNS_FIXTURES)

$(MNTNS_DIR):
	mkdir -p $@

$(MNTNS_DIR)/libmntns.so: tests/fixtures/mntns/mntns_lib.c | $(MNTNS_DIR)
	$(CC) $(MNTNS_CFLAGS) -fPIC -shared -Wl,-soname,libmntns.so $< -o $@

$(MNTNS_DIR)/libmntns_dl.so: tests/fixtures/mntns/mntns_dl.c | $(MNTNS_DIR)
	$(CC) $(MNTNS_CFLAGS) -fPIC -shared $< -o $@

$(MNTNS_DIR)/mntns_user: tests/fixtures/mntns/mntns_user.c $(MNTNS_DIR)/libmntns.so
	$(CC) $(MNTNS_CFLAGS) $< -L$(MNTNS_DIR) -lmntns -ldl -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN' -o $@
