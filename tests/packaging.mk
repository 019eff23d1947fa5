# tests/packaging.mk: packaging — the pyz3 wheel and its round trip, pyz3.pc in the development
# layout, and the test plugins of the CLI and pytest-fixture tests.
#
#   make wheel       build/wheel/pyz3-*.whl for Python $(WHEEL_PY), through pip and pyproject.toml
#   make test-wheel  install that wheel in a fresh virtualenv and build and load a plugin against
#                    it alone (tests/packaging); part of `make test`

WHEEL_PY ?= $(MAIN_PY)
WHEEL_VENV := $(VENV)/py$(WHEEL_PY)
WHEEL_DIR := $(BUILD)/wheel
WHEEL_SOURCES := pyproject.toml loader/pep517/pyz3_build.py tests/requirements-packaging.txt include/pyz3.h \
	capi/build.rs $(RUST_SOURCES) $(PY_SOURCES)
PACKAGING_TEST_LIBS := $(BUILD)/test-plugins/libleaky.so $(BUILD)/test-plugins/libstub_cases.so
DEV_PKGCONFIG := $(BUILD)/python/pyz3/lib/pkgconfig/pyz3.pc

EXTRA_TEST_TARGETS += lint-pep517 test-wheel

.PHONY: wheel test-wheel lint-pep517

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

# --no-build-isolation: build with the pinned maturin rather than whatever PyPI serves today; the
# backend runs `maturin` from PATH. --locked as for every cargo build here (pyproject.toml cannot
# say it: the sdist maturin writes drops capi/gen from the workspace, and so from the lock).
# Its own cargo target dir keeps the per-version builds intact.
$(WHEEL_DIR)/.stamp: $(WHEEL_SOURCES) $(WHEEL_VENV)/.packaging-stamp
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	PATH=$(abspath $(WHEEL_VENV))/bin:$$PATH CARGO_TARGET_DIR=$(abspath $(BUILD))/cargo/wheel MATURIN_PEP517_ARGS=--locked \
		$(WHEEL_VENV)/bin/python -m pip wheel --quiet --no-build-isolation --no-deps --wheel-dir $(WHEEL_DIR) .
	touch $@

wheel: $(WHEEL_DIR)/.stamp

test-wheel: wheel plugins test-plugins
	PYZ3_WHEEL_DIR=$(WHEEL_DIR) PYZ3_BUILD=$(BUILD) $(WHEEL_VENV)/bin/python -m pytest -q tests/packaging
