# tests/packaging.mk: packaging — the one pyz3 wheel for every CPython, the sdist that builds from
# source elsewhere, their round trips, pyz3.pc in the development layout, and the test plugins of
# the CLI and pytest-fixture tests.
#
#   make wheel       build/wheel/pyz3-*.whl: ONE wheel with the runtime of every version in
#                    FOUND_VERSIONS (tag cp310.cp311...-manylinux_2_N), assembled from the
#                    per-version runtimes `make runtime` built (loader/pep517/one_wheel.py)
#   make sdist       build/sdist/pyz3-*.tar.gz, through the PEP 517 backend (maturin)
#   make test-wheel  installs the wheel in a fresh virtualenv per version with no compiler on PATH,
#                    builds C, Zig and Rust plugins against it, builds a wheel from the sdist
#                    (from source, as on a platform without a binary wheel) and installs that too
#                    (tests/packaging); part of `make test`

WHEEL_PY ?= $(MAIN_PY)
WHEEL_VENV := $(VENV)/py$(WHEEL_PY)
WHEEL_DIR := $(BUILD)/wheel
SDIST_DIR := $(BUILD)/sdist
SDIST_SOURCES := pyproject.toml loader/pep517/pyz3_build.py tests/requirements-packaging.txt include/pyz3.h \
	capi/build.rs $(RUST_SOURCES) $(PY_SOURCES) $(wildcard sdk/zig/*.zig)
PACKAGING_TEST_LIBS := $(BUILD)/test-plugins/libleaky.so $(BUILD)/test-plugins/libstub_cases.so
DEV_PKGCONFIG := $(BUILD)/python/pyz3/lib/pkgconfig/pyz3.pc

EXTRA_TEST_TARGETS += lint-pep517 test-wheel

.PHONY: wheel sdist test-wheel lint-pep517

lint-pep517: venv
	$(VENV)/py$(MAIN_PY)/bin/ruff check loader/pep517
	$(VENV)/py$(MAIN_PY)/bin/ruff format --check loader/pep517

# The development layout gets the same relocatable pyz3.pc as the wheel.
$(DEV_PKGCONFIG): loader/pep517/pyz3_build.py Cargo.toml $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(MAIN_PYTHON) loader/pep517/pyz3_build.py pkgconfig > $@.tmp && mv -f $@.tmp $@

runtime: $(DEV_PKGCONFIG)

$(PACKAGING_TEST_LIBS): $(BUILD)/test-plugins/lib%.so: tests/plugins/%.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)

test-plugins: $(PACKAGING_TEST_LIBS)

$(WHEEL_VENV)/.packaging-stamp: tests/requirements-packaging.txt $(WHEEL_VENV)/.stamp
	$(WHEEL_VENV)/bin/python -m pip install --quiet -r $<
	touch $@

# Every file of build/python/pyz3 (the layout pytest runs against), zipped with its metadata: the
# wheel carries exactly the runtimes the test suites tested.
$(WHEEL_DIR)/.stamp: $(BUILD)/.runtime-stamp $(DEV_PKGCONFIG) loader/pep517/one_wheel.py loader/pep517/pyz3_build.py \
		pyproject.toml Cargo.toml
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	$(MAIN_PYTHON) loader/pep517/one_wheel.py --package $(BUILD)/python/pyz3 --out $(WHEEL_DIR) \
		--versions "$(FOUND_VERSIONS)"
	touch $@

wheel: $(WHEEL_DIR)/.stamp

# The sdist, and a wheel built from it by pip with the pinned maturin (--no-build-isolation; the
# backend runs `maturin` from PATH), in its own cargo target dir: what a user on a platform without
# a binary wheel gets. Not --locked: the sdist maturin writes drops capi/gen from the workspace, and
# so from the lock. The target dir starts empty: the unpacked sdist's files carry the archive's
# fixed timestamps, which cargo's freshness check would take for unchanged sources.
$(SDIST_DIR)/.stamp: $(SDIST_SOURCES) $(WHEEL_VENV)/.packaging-stamp
	rm -rf $(SDIST_DIR) $(BUILD)/cargo/sdist && mkdir -p $(SDIST_DIR)/wheel
	PATH=$(abspath $(WHEEL_VENV))/bin:$$PATH $(WHEEL_VENV)/bin/python -c 'import sys; sys.path.insert(0, "loader/pep517"); \
		import pyz3_build; print(pyz3_build.build_sdist(sys.argv[1]))' $(SDIST_DIR)
	PATH=$(abspath $(WHEEL_VENV))/bin:$$PATH CARGO_TARGET_DIR=$(abspath $(BUILD))/cargo/sdist \
		$(WHEEL_VENV)/bin/python -m pip wheel --quiet --no-cache-dir --no-build-isolation --no-deps --wheel-dir $(SDIST_DIR)/wheel \
		$(SDIST_DIR)/pyz3-*.tar.gz
	touch $@

sdist: $(SDIST_DIR)/.stamp

# PYZ3_PYTHONS: the interpreter of every version the wheel serves, for the per-version installs.
test-wheel: wheel sdist plugins test-plugins $(WHEEL_VENV)/.packaging-stamp
	PYZ3_WHEEL_DIR=$(WHEEL_DIR) PYZ3_SDIST_DIR=$(SDIST_DIR) PYZ3_BUILD=$(BUILD) \
		PYZ3_PYTHONS="$(foreach v,$(FOUND_VERSIONS),$(v)=$(call py_for,$(v)))" \
		$(WHEEL_VENV)/bin/python -m pytest -q tests/packaging
