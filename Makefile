# Makefile: the project's build. `make demo` and `make test` set everything up on a fresh machine.
#
# Layout of what the build produces (all under build/, never committed):
#   build/cargo/py3.X/       cargo target dir of libpyz3 built for CPython 3.X
#   build/lib/               libpyz3.so.1 (+ libpyz3.so link, libpyz3.a) to link plugins against
#   build/python/pyz3/       the pyz3 package: Python sources + _pyz3.cpython-3X-*.so per version
#   build/plugins/           sample plugins (lib<name>.so, lib<name>_zig.so, ...)
# Virtualenvs: .venv/py3.X, one per Python version found, with the test tools.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON_VERSIONS ?= 3.10 3.11 3.12 3.13 3.14 3.15
# The version used for cargo tests, lints and the demo.
MAIN_PY ?= 3.11
# Where tests/pythons.mk provisions the versions a machine lacks (`make test` does it).
PYTHONS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pyz3/pythons

# Interpreter for a version: pyenv's install, else pythonX.Y on PATH if it really runs, else one
# provisioned into $(PYTHONS_CACHE).
py_installed = $(or $(firstword $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1))),$(shell python$(1) -c 'import sys; print(sys.executable)' 2>/dev/null))
py_provisioned = $(if $(wildcard $(PYTHONS_CACHE)/$(1)/provisioned.json),$(PYTHONS_CACHE)/$(1)/usr/bin/python$(1))
py_for = $(or $(call py_installed,$(1)),$(call py_provisioned,$(1)))
FOUND_VERSIONS := $(foreach v,$(PYTHON_VERSIONS),$(if $(call py_for,$(v)),$(v)))
MAIN_PYTHON := $(call py_for,$(MAIN_PY))

VENV := .venv
venv_py = $(VENV)/py$(1)/bin/python
BUILD := build
CARGO ?= cargo
CC ?= gcc
PLUGIN_CFLAGS := -std=c11 -O2 -fPIC -pthread -Wall -Wextra -Werror -Iinclude
PLUGIN_LDFLAGS := -shared -pthread -L$(BUILD)/lib -lpyz3 -Wl,--no-undefined -Wl,--as-needed
PY_SOURCES := $(wildcard loader/python/pyz3/*.py)
RUST_SOURCES := $(shell find capi loader sdk/rust/abi -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock

C_PLUGINS := hello arrays gil_bench fastpath_bench pool_bench classes containers
C_PLUGIN_LIBS := $(foreach p,$(C_PLUGINS),$(BUILD)/plugins/lib$(p).so)

# Build fragments (plugins/zig/plugins.mk, bench/bench.mk, ...) add to these:
#   EXTRA_PLUGIN_LIBS  more sample plugins `make plugins` builds (and pytest needs)
#   EXTRA_TEST_TARGETS more targets `make test` runs after the core suites
#   EXTRA_PYTEST_ENV   VAR=value pairs for the pytest runs
#   EXTRA_TEST_PLUGIN_LIBS  more test-only plugins `make test-plugins` builds (and pytest needs)
EXTRA_TEST_PLUGIN_LIBS :=
EXTRA_PLUGIN_LIBS :=
EXTRA_TEST_TARGETS :=
EXTRA_PYTEST_ENV :=
FRAGMENTS := $(sort $(wildcard plugins/*/*.mk bench/*.mk tests/*.mk))
include $(FRAGMENTS)

.PHONY: help venv runtime plugins test-plugins demo test check lint fmt generate header check-generated cargo-test header-compile pytest clean

help:
	@echo "make demo    build libpyz3 and the sample plugins, load them, show them working"
	@echo "make test    every test suite: lints, cargo tests, header checks, pytest on $(FOUND_VERSIONS)"
	@echo "make check   the inner loop: build for Python $(MAIN_PY) only, lint, pytest with all optimisations on"
	@echo "make generate  regenerate include/pyz3.h and the SDKs' generated tables"

# ---- virtualenvs ------------------------------------------------------------------------------
VENV_STAMPS := $(foreach v,$(FOUND_VERSIONS),$(VENV)/py$(v)/.stamp)
venv: $(VENV_STAMPS)

$(VENV)/py%/.stamp: tests/requirements.txt
	@test -n "$(call py_for,$*)" || { echo "Python $* not found"; exit 1; }
	$(call py_for,$*) -m venv --clear $(VENV)/py$*
	$(VENV)/py$*/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/py$*/bin/python -m pip install --quiet -r tests/requirements.txt
	touch $@

# ---- the runtime, once per Python version --------------------------------------------------------
RUNTIME_LIBS := $(foreach v,$(FOUND_VERSIONS),$(BUILD)/cargo/py$(v)/release/libpyz3.so)

$(BUILD)/cargo/py%/release/libpyz3.so: $(RUST_SOURCES)
	PYO3_PYTHON=$(call py_for,$*) PYO3_BUILD_EXTENSION_MODULE=1 CARGO_TARGET_DIR=$(BUILD)/cargo/py$* \
		$(CARGO) build --release --locked -p pyz3-capi
	@touch $@

$(BUILD)/.runtime-stamp: $(RUNTIME_LIBS) $(PY_SOURCES) include/pyz3.h $(wildcard sdk/zig/*.zig)
	rm -rf $(BUILD)/python/pyz3 && mkdir -p $(BUILD)/python/pyz3/include $(BUILD)/python/pyz3/lib $(BUILD)/lib
	cp $(PY_SOURCES) $(BUILD)/python/pyz3/
	cp include/pyz3.h sdk/zig/*.zig $(BUILD)/python/pyz3/include/
	$(foreach v,$(FOUND_VERSIONS),cp $(BUILD)/cargo/py$(v)/release/libpyz3.so \
		$(BUILD)/python/pyz3/_pyz3$(shell $(call py_for,$(v)) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))') &&) true
	cp $(BUILD)/cargo/py$(MAIN_PY)/release/libpyz3.so $(BUILD)/lib/libpyz3.so.1.tmp && mv -f $(BUILD)/lib/libpyz3.so.1.tmp $(BUILD)/lib/libpyz3.so.1
	cp $(BUILD)/cargo/py$(MAIN_PY)/release/libpyz3.a $(BUILD)/lib/libpyz3.a
	ln -sf libpyz3.so.1 $(BUILD)/lib/libpyz3.so
	cp -P $(BUILD)/lib/libpyz3.so $(BUILD)/lib/libpyz3.so.1 $(BUILD)/python/pyz3/lib/
	touch $@

runtime: $(BUILD)/.runtime-stamp

# ---- sample plugins ------------------------------------------------------------------------------
# Linked under a temporary name, then renamed: GNU ld rewrites an existing output in place, which
# crashes a process that has the old library loaded (docs/reliability.md).
$(BUILD)/plugins/lib%.so: plugins/c/%/*.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/plugins
	$(CC) $(PLUGIN_CFLAGS) plugins/c/$*/*.c -o $@.tmp $(PLUGIN_LDFLAGS) && mv -f $@.tmp $@

plugins: runtime $(C_PLUGIN_LIBS) $(EXTRA_PLUGIN_LIBS)

# ---- deliberately broken plugins for the load-error tests ---------------------------------------
BAD_CASES := no_entry null_entry wild_pointer bad_magic major_mismatch newer_minor small_struct \
	null_name empty_name bad_identifier keyword_name duplicate_name null_fn unknown_type void_param \
	unknown_return unknown_flags too_many_params bad_default default_out_of_range \
	default_not_literal duplicate_param null_param_name default_order bad_module_name \
	absurd_count wrong_function_size unterminated_name
BAD_LIBS := $(foreach c,$(BAD_CASES),$(BUILD)/test-plugins/libbad_$(c).so)

$(BUILD)/test-plugins/libbad_%.so: tests/plugins/bad_plugin.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/test-plugins
	@$(CC) -std=c11 -O1 -fPIC -Iinclude -DCASE_$(shell echo $* | tr a-z A-Z) $< -o $@ $(PLUGIN_LDFLAGS)

test-plugins: $(BAD_LIBS) $(EXTRA_TEST_PLUGIN_LIBS)

# ---- demo ----------------------------------------------------------------------------------------
demo: venv runtime plugins
	PYTHONPATH=$(BUILD)/python $(call venv_py,$(MAIN_PY)) plugins/demo.py $(BUILD)/plugins

# ---- tests ---------------------------------------------------------------------------------------
test: lint check-generated header-compile cargo-test pytest $(EXTRA_TEST_TARGETS)

# The contributors' inner loop: one Python version, in its own build tree (build/check: the
# runtime layout holds exactly the versions it was built for, so a one-version build cannot share
# build/python with `make test`'s), lints, and the pytest suite in the all-on mode only, stopping
# at the first failure. The first run builds that tree; after it, well under a minute.
check:
	$(MAKE) --no-print-directory PYTHON_VERSIONS=$(MAIN_PY) BUILD=$(BUILD)/check lint runtime plugins test-plugins
	PYTHONPATH=$(BUILD)/check/python PYZ3_BUILD=$(BUILD)/check PYZ3_TEST_MODES=all-on $(EXTRA_PYTEST_ENV) \
		$(call venv_py,$(MAIN_PY)) -m pytest -q -x tests/python

fmt:
	$(CARGO) fmt --all

lint: venv
	$(CARGO) fmt --all -- --check
	PYO3_PYTHON=$(MAIN_PYTHON) $(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(VENV)/py$(MAIN_PY)/bin/ruff check loader/python tests plugins bench docs
	$(VENV)/py$(MAIN_PY)/bin/ruff format --check loader/python tests plugins bench docs

# Generated files (include/pyz3.h, the Rust SDK's abi.rs/sys.rs/registry.rs, the Zig SDK's
# pyz3_types.zig) come from libpyz3's sources and its registries: capi/gen writes them, each
# replaced atomically; `make test` fails when one is stale.
generate:
	PYO3_PYTHON=$(MAIN_PYTHON) $(CARGO) run --locked -q -p pyz3-gen

header: generate

check-generated:
	PYO3_PYTHON=$(MAIN_PYTHON) $(CARGO) run --locked -q -p pyz3-gen -- --check

header-compile:
	@mkdir -p $(BUILD)/header-test
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude -c tests/c/header_c11.c -o $(BUILD)/header-test/c11.o
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -c tests/c/header_cxx17.cpp -o $(BUILD)/header-test/cxx17.o
	$(CC) -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/layout.c -o $(BUILD)/header-test/layout
	$(BUILD)/header-test/layout > $(BUILD)/header-test/layout.txt

cargo-test: runtime
	PYO3_PYTHON=$(MAIN_PYTHON) LD_LIBRARY_PATH=$(dir $(MAIN_PYTHON))../lib $(CARGO) test --locked --workspace

pytest: venv runtime plugins test-plugins
	@set -e; for v in $(FOUND_VERSIONS); do \
		echo "== pytest on Python $$v =="; \
		PYTHONPATH=$(BUILD)/python PYZ3_BUILD=$(BUILD) $(EXTRA_PYTEST_ENV) $(VENV)/py$$v/bin/python -m pytest -q tests/python; \
	done

clean:
	rm -rf $(BUILD) target
