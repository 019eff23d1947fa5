# bench/bench.mk: `make bench` and `make bench-opt` (included by the main Makefile).
#
#   make bench                             every case and binding on Python $(MAIN_PY): tables on
#                                          stdout; build/bench/{results.json,report.md,chart.png}
#   make bench PYTHONS="3.10 3.11 3.14 3.15"   the same, one process per version, merged report
#                                          (3.14 and 3.15 are provisioned first: docs/pythons.md)
#   make bench-opt                         each optimisation's on/off ratio on the cases it affects
#   make bench-gil                         ns per GIL-ownership check, per mechanism (GIL_CHECK_N)
#   make bench-instr                       instructions per call of every case and binding, counted
#                                          by callgrind (bench/instr.py): build/bench/instr.{json,md},
#                                          and the change against bench/instr-baseline.json
#   make bench-instr-baseline              commit-ready: this run's instr.json as the baseline
#   make bench BENCH_ARGS="--rounds 31"    options for bench/harness.py (--bindings, --cases, ...)
#
# The Python-independent pieces (the pyz3 plugin, the plain C library for ctypes/cffi) are built
# here; the CPython extensions (floor, varargs, pybind11, nanobind, Cython, cffi API mode, and
# the PyO3 crate bench/pyo3 with the machine's cargo) are built per version by bench/peers.py into
# build/bench/py3.X/, where a failure becomes a skipped peer with its reason.
# bench/requirements.txt is installed one package at a time for the same reason.

PYTHONS ?= $(MAIN_PY)
BENCH_ARGS ?=
BENCH_OUT := $(BUILD)/bench
BENCH_PLUGIN := $(BENCH_OUT)/libpyz3_bench.so
BENCH_PLAIN := $(BENCH_OUT)/libplain.so
BENCH_ZIG_PLUGIN := $(BENCH_OUT)/libpyz3_bench_zig.so

# pytest's harness smoke test loads these too.
EXTRA_PLUGIN_LIBS += $(BENCH_PLUGIN) $(BENCH_PLAIN)
# ... and its bench/instr.py test counts a few calls under callgrind with this.
BENCH_CG_MARKS := $(BENCH_OUT)/libcallgrind_marks.so
EXTRA_TEST_PLUGIN_LIBS += $(BENCH_CG_MARKS)
INSTR_ARGS ?=

.PHONY: bench bench-opt bench-deps bench-zig bench-gil bench-instr bench-instr-baseline bench-pyo3-lint

$(BENCH_PLUGIN): bench/pyz3_bench.c bench/common/bench_common.h bench/common/containers_work.h include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(BENCH_OUT)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS) -lpthread

$(BENCH_PLAIN): bench/plain/plain.c bench/plain/plain.h bench/common/bench_common.h
	@mkdir -p $(BENCH_OUT)
	$(CC) -std=c11 -O2 -fPIC -Wall -Wextra -Werror -shared $< -o $@

# The Zig twin of the pyz3 plugin, built by the Zig SDK's own recipe (`zig_plugin` and the
# translated header, from plugins/zig/plugins.mk, which make reads after this file: hence their
# use inside recipes only). Without that fragment, or if the build fails, the reason goes to
# pyz3-zig.skip and the harness reports the binding as skipped. It is built for the baseline x86-64
# like every C binding here (-O2 without -march), not for this machine's CPU (Zig's default): the
# comparison is then of the same instruction set, and valgrind, which has no AVX-512, can run it
# for bench-instr (word_counts' inlined copies used zmm registers).
$(BENCH_ZIG_PLUGIN): bench/pyz3_bench.zig $(wildcard sdk/zig/*.zig) include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(BENCH_OUT)
	$(MAKE) --no-print-directory $(ZIG_HEADER)
	$(call zig_plugin,pyz3_bench_zig,$<,$@,,-mcpu=baseline)

bench-zig:
	@mkdir -p $(BENCH_OUT)
	@rm -f $(BENCH_OUT)/pyz3-zig.skip
	@if [ -z '$(value zig_plugin)' ]; then \
		echo "the Zig SDK's build (plugins/zig/plugins.mk) is not in this tree" > $(BENCH_OUT)/pyz3-zig.skip; \
	elif ! $(MAKE) --no-print-directory $(BENCH_ZIG_PLUGIN); then \
		echo "building $(BENCH_ZIG_PLUGIN) from bench/pyz3_bench.zig failed (see the make output)" \
			> $(BENCH_OUT)/pyz3-zig.skip; \
	fi

# Installed only when none failed, so a failed package is retried by the next `make bench`.
$(VENV)/py%/.bench-stamp: bench/requirements.txt $(VENV)/py%/.stamp
	@mkdir -p $(BENCH_OUT)/py$*
	@: > $(BENCH_OUT)/py$*/pip-failures.txt
	@grep -Ev '^[[:space:]]*(#|$$)' bench/requirements.txt | while read -r req; do \
		echo "pip install $$req (Python $*)"; \
		$(VENV)/py$*/bin/python -m pip install --quiet "$$req" >> $(BENCH_OUT)/py$*/pip.log 2>&1 \
			|| { echo "  failed: see $(BENCH_OUT)/py$*/pip.log"; echo "$$req" >> $(BENCH_OUT)/py$*/pip-failures.txt; }; \
	done
	@if [ ! -s $(BENCH_OUT)/py$*/pip-failures.txt ]; then touch $@; fi

bench-deps: runtime $(BENCH_PLUGIN) $(BENCH_PLAIN) bench-zig $(foreach v,$(PYTHONS),$(VENV)/py$(v)/.bench-stamp)

bench: bench-deps
	@set -e; for v in $(PYTHONS); do \
		echo "== bench on Python $$v =="; \
		PYTHONPATH=$(BUILD)/python $(call venv_py,$$v) bench/harness.py run --build $(BUILD) \
			--out $(BENCH_OUT)/py$$v --command 'make bench PYTHONS="$(PYTHONS)"' $(BENCH_ARGS); \
	done
	$(call venv_py,$(firstword $(PYTHONS))) bench/harness.py report --out $(BENCH_OUT) \
		--command 'make bench PYTHONS="$(PYTHONS)"' $(foreach v,$(PYTHONS),$(BENCH_OUT)/py$(v)/results.json)

bench-opt: bench-deps
	@set -e; for v in $(PYTHONS); do \
		echo "== bench-opt on Python $$v =="; \
		PYTHONPATH=$(BUILD)/python $(call venv_py,$$v) bench/harness.py opt --build $(BUILD) \
			--out $(BENCH_OUT)/py$$v --command 'make bench-opt PYTHONS="$(PYTHONS)"' $(BENCH_ARGS); \
	done

# The GIL-ownership checks, measured in a shared library like libpyz3 (its own build, so
# libpyz3 itself carries no micro-benchmark).
GIL_CHECK_N ?= 20000000
BENCH_GIL_LIB := $(BENCH_OUT)/libgil_check.so
$(BENCH_GIL_LIB): capi/core/examples/gil_check.rs $(RUST_SOURCES)
	@mkdir -p $(BENCH_OUT)
	PYO3_PYTHON=$(MAIN_PYTHON) PYO3_BUILD_EXTENSION_MODULE=1 CARGO_TARGET_DIR=$(BUILD)/cargo/py$(MAIN_PY) \
		$(CARGO) build --release --locked -p pyz3-core --example gil_check
	cp $(BUILD)/cargo/py$(MAIN_PY)/release/examples/libgil_check.so $@

bench-gil: $(BENCH_GIL_LIB) venv
	taskset -c 0 $(call venv_py,$(MAIN_PY)) bench/gil_check.py $(BENCH_GIL_LIB) $(GIL_CHECK_N) \
		|| $(call venv_py,$(MAIN_PY)) bench/gil_check.py $(BENCH_GIL_LIB) $(GIL_CHECK_N)

# callgrind's client requests (valgrind's own header, from its Debian package) for bench/instr.py.
$(BENCH_CG_MARKS): bench/callgrind/marks.c | valgrind-tool
	@mkdir -p $(BENCH_OUT)
	$(CC) -std=c11 -O2 -fPIC -Wall -Wextra -Werror -shared $< -o $@

# One callgrind process per binding and Python version (3 to 9 minutes on 3.11 once built, with load).
bench-instr: valgrind-tool bench-deps $(BENCH_CG_MARKS)
	@set -e; for v in $(PYTHONS); do \
		echo "== bench-instr on Python $$v =="; \
		PYTHONPATH=$(BUILD)/python $(call venv_py,$$v) bench/instr.py run --build $(BUILD) \
			--out $(BENCH_OUT)/py$$v --marks $(BENCH_CG_MARKS) --command 'make bench-instr PYTHONS="$(PYTHONS)"' \
			$(INSTR_ARGS); \
	done
	$(call venv_py,$(firstword $(PYTHONS))) bench/instr.py report --out $(BENCH_OUT) \
		--baseline bench/instr-baseline.json --command 'make bench-instr PYTHONS="$(PYTHONS)"' \
		$(foreach v,$(PYTHONS),$(BENCH_OUT)/py$(v)/instr.json)

bench-instr-baseline:
	@test -f $(BENCH_OUT)/instr.json || { echo "run 'make bench-instr' first"; exit 1; }
	cp $(BENCH_OUT)/instr.json bench/instr-baseline.json.tmp
	mv bench/instr-baseline.json.tmp bench/instr-baseline.json

# The PyO3 crate is outside the root workspace, so `make lint` does not see it; `make test` checks
# it here (rustfmt, and clippy with the root's -D warnings: about 20 s, PyO3's macros included).
EXTRA_TEST_TARGETS += bench-pyo3-lint
bench-pyo3-lint:
	rustfmt --edition 2021 --check bench/pyo3/build.rs bench/pyo3/src/lib.rs
	PYO3_PYTHON=$(MAIN_PYTHON) CARGO_TARGET_DIR=$(BENCH_OUT)/pyo3-clippy \
		$(CARGO) clippy --locked --manifest-path bench/pyo3/Cargo.toml --all-targets -- -D warnings
