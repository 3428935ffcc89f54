# tests/allocators.mk: fixtures of tests/unit/test_allocators.c.
#   static_alloc             a static executable (glibc's malloc in .symtab)
#   libmyalloc.so            a shared library with its own malloc and free
#   myalloc_user             linked with it, DT_RUNPATH=$ORIGIN
#   myalloc_user_rpath       linked with it, DT_RPATH=<absolute dir>
#   myalloc_user_norpath     linked with it, found through LD_LIBRARY_PATH
#   jemalloc/libjemalloc.so.2, libstdcxx/libstdc++.so.6  private copies of
#                            Debian's, for a probe of another tool
#                            (test_e2e_placement.c)
ALLOC_FIX_DIR := $(OUTPUT)/fixtures
ALLOC_FIXTURES := $(ALLOC_FIX_DIR)/static_alloc $(ALLOC_FIX_DIR)/libmyalloc.so \
		  $(ALLOC_FIX_DIR)/myalloc_user $(ALLOC_FIX_DIR)/myalloc_user_rpath \
		  $(ALLOC_FIX_DIR)/myalloc_user_norpath $(ALLOC_FIX_DIR)/jemalloc/libjemalloc.so.2 \
		  $(ALLOC_FIX_DIR)/libstdcxx/libstdc++.so.6

# Order-only: built with the runner, never linked into it ($^).
$(RUNNER): | $(ALLOC_FIXTURES)

$(ALLOC_FIX_DIR):
	mkdir -p $@

$(ALLOC_FIX_DIR)/static_alloc: tests/fixtures/static_alloc.c | $(ALLOC_FIX_DIR)
	$(CC) -O1 -g $< -static -o $@

$(ALLOC_FIX_DIR)/libmyalloc.so: tests/fixtures/myalloc.c | $(ALLOC_FIX_DIR)
	$(CC) -O1 -g -fPIC -shared -Wl,-soname,libmyalloc.so $< -o $@

$(ALLOC_FIX_DIR)/myalloc_user: tests/fixtures/myalloc_user.c $(ALLOC_FIX_DIR)/libmyalloc.so
	$(CC) -O1 -g $< -L$(ALLOC_FIX_DIR) -lmyalloc -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN' -o $@

$(ALLOC_FIX_DIR)/myalloc_user_rpath: tests/fixtures/myalloc_user.c $(ALLOC_FIX_DIR)/libmyalloc.so
	$(CC) -O1 -g $< -L$(ALLOC_FIX_DIR) -lmyalloc -Wl,--disable-new-dtags -Wl,-rpath,$(abspath $(ALLOC_FIX_DIR)) -o $@

$(ALLOC_FIX_DIR)/myalloc_user_norpath: tests/fixtures/myalloc_user.c $(ALLOC_FIX_DIR)/libmyalloc.so
	$(CC) -O1 -g $< -L$(ALLOC_FIX_DIR) -lmyalloc -o $@

$(ALLOC_FIX_DIR)/jemalloc/libjemalloc.so.2: /usr/lib/x86_64-linux-gnu/libjemalloc.so.2
	mkdir -p $(@D)
	cp -L $< $@.tmp && mv $@.tmp $@

$(ALLOC_FIX_DIR)/libstdcxx/libstdc++.so.6: /usr/lib/x86_64-linux-gnu/libstdc++.so.6
	mkdir -p $(@D)
	cp -L $< $@.tmp && mv $@.tmp $@
