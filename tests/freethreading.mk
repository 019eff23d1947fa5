# tests/freethreading.mk: free-threaded CPython (3.14t, 3.15t), which cannot be installed on these
# machines (docs/free-threading.md), compile-checked so its code cannot rot. Included by the
# main Makefile; `make test` runs it.
#
#   make check-free-threaded   cargo clippy (all targets) of the crates built against CPython —
#                              runtime core, loader, libpyz3 — for each of FT_VERSIONS as
#                              Py_GIL_DISABLED, then the runtime core's unit tests compiled that
#                              way (they need no interpreter); the other crates do not depend on
#                              the CPython build and are linted once by `make lint`
#
# pyo3 is configured by a file (PYO3_CONFIG_FILE) instead of by asking an interpreter: version,
# Py_GIL_DISABLED, a shared libpython, and the executable such an install would have (never run).
# Each version has its own cargo target directory, so a second run only rechecks what changed.

FT_VERSIONS ?= 3.14 3.15
FT_OUT := $(BUILD)/freethreading

.PHONY: check-free-threaded

EXTRA_TEST_TARGETS += check-free-threaded
# The test plugins of tests/python/test_free_threading.py: one not declared free-threaded, one
# declared so.
EXTRA_TEST_PLUGIN_LIBS += $(BUILD)/test-plugins/libserial.so $(BUILD)/test-plugins/libserial_ft.so

$(BUILD)/test-plugins/libserial.so: tests/plugins/serial.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@.tmp $(PLUGIN_LDFLAGS) && mv -f $@.tmp $@

$(BUILD)/test-plugins/libserial_ft.so: tests/plugins/serial.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -DSERIAL_FREE_THREADED $< -o $@.tmp $(PLUGIN_LDFLAGS) && mv -f $@.tmp $@

$(FT_OUT)/py%t.cfg: tests/freethreading.mk
	@mkdir -p $(@D)
	printf '%s\n' implementation=CPython version=$* shared=true build_flags=Py_GIL_DISABLED \
		executable=/usr/bin/python$*t pointer_width=64 suppress_build_script_link_lines=true > $@.tmp
	mv -f $@.tmp $@

check-free-threaded: $(foreach v,$(FT_VERSIONS),$(FT_OUT)/py$(v)t.cfg)
	@set -e; for v in $(FT_VERSIONS); do \
		echo "== free-threaded $${v}t: cargo clippy, runtime core unit tests (no interpreter)"; \
		PYO3_CONFIG_FILE=$(CURDIR)/$(FT_OUT)/py$${v}t.cfg CARGO_TARGET_DIR=$(BUILD)/cargo/py$${v}t \
			$(CARGO) clippy --locked -p pyz3-core -p pyz3-loader -p pyz3-capi --all-targets -- -D warnings; \
		PYO3_CONFIG_FILE=$(CURDIR)/$(FT_OUT)/py$${v}t.cfg CARGO_TARGET_DIR=$(BUILD)/cargo/py$${v}t \
			$(CARGO) test --locked -q -p pyz3-core --lib; \
	done
