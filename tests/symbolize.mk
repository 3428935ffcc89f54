# tests/symbolize.mk: fixtures of tests/unit/test_symbolize.c, in
# $(OUTPUT)/fixtures/symbolize/:
#   sym_fixture              -O0 -g: symbols, lines, an inlined function
#   sym_fixture_nodebug      .debug_* stripped, .symtab kept
#   sym_fixture_stripped     stripped to .dynsym
#   sym_fixture_debuglink    stripped, .gnu_debuglink to the .debug beside it
#   sym_fixture_buildid      stripped; debug/.build-id/xx/yyyy.debug holds
#                            its debug info (a debuginfo path for tests)
#   sym_fixture_cxx          C++, -O0 -g, not PIE (ET_EXEC)
SYM_FIX_DIR := $(OUTPUT)/fixtures/symbolize
SYM_FIXTURES := $(addprefix $(SYM_FIX_DIR)/,sym_fixture sym_fixture_nodebug \
		sym_fixture_stripped sym_fixture_debuglink sym_fixture_debuglink.debug \
		sym_fixture_buildid debug/.stamp sym_fixture_cxx)
SYM_FIX_CFLAGS := -O0 -g -fno-omit-frame-pointer

# Order-only: built with the runner, never linked into it ($^).
$(RUNNER): | $(SYM_FIXTURES)

$(SYM_FIX_DIR):
	mkdir -p $@

$(SYM_FIX_DIR)/sym_fixture: tests/fixtures/symbolize/sym_fixture.c | $(SYM_FIX_DIR)
	$(CC) $(SYM_FIX_CFLAGS) $< -o $@

$(SYM_FIX_DIR)/sym_fixture_cxx: tests/fixtures/symbolize/sym_fixture_cxx.cc | $(SYM_FIX_DIR)
	$(CXX) $(SYM_FIX_CFLAGS) -no-pie $< -o $@

$(SYM_FIX_DIR)/sym_fixture_nodebug: $(SYM_FIX_DIR)/sym_fixture
	objcopy --strip-debug $< $@

$(SYM_FIX_DIR)/sym_fixture_stripped: $(SYM_FIX_DIR)/sym_fixture
	objcopy --strip-all $< $@

$(SYM_FIX_DIR)/sym_fixture_debuglink.debug: $(SYM_FIX_DIR)/sym_fixture
	objcopy --only-keep-debug $< $@

# objcopy records the debug file's base name and CRC.
$(SYM_FIX_DIR)/sym_fixture_debuglink: $(SYM_FIX_DIR)/sym_fixture $(SYM_FIX_DIR)/sym_fixture_debuglink.debug
	objcopy --strip-all --add-gnu-debuglink=$(SYM_FIX_DIR)/sym_fixture_debuglink.debug $< $@

$(SYM_FIX_DIR)/sym_fixture_buildid: $(SYM_FIX_DIR)/sym_fixture
	objcopy --strip-all $< $@

$(SYM_FIX_DIR)/debug/.stamp: $(SYM_FIX_DIR)/sym_fixture
	rm -rf $(SYM_FIX_DIR)/debug
	id=$$(readelf -n $< | sed -n 's/^ *Build ID: *//p'); \
	dir=$(SYM_FIX_DIR)/debug/.build-id/$$(echo $$id | cut -c1-2); \
	mkdir -p $$dir && \
	objcopy --only-keep-debug $< $$dir/$$(echo $$id | cut -c3-).debug
	touch $@
