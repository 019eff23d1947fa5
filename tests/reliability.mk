# tests/reliability.mk: the reliability suites (docs/reliability.md) — more broken plugins, a
# misbehaving plugin, fuzzing, leak and memory-checker runs. Included by the main Makefile.
#
#   make test            builds the test plugins below; pytest runs the bounded passes
#   make fuzz            longer fuzzing: proptest over descriptors, hypothesis over calls
#   make test-leaks      1,000,000 calls of every sample function: refcounts, blocks and RSS flat
#   make test-sanitize   a larger part of the pytest suite under valgrind memcheck
#   make stress          exits while native threads use pyz3, STRESS_RUNS times per Python
#   make pytest-debug    the whole pytest suite in debug mode (PYZ3_DEBUG=1), on DEBUG_VERSIONS

# Broken-descriptor cases added to the main Makefile's BAD_CASES (same source, one -DCASE_* each).
RELIABILITY_BAD_CASES := unterminated_doc unterminated_default long_name non_utf8_name non_utf8_doc \
	unicode_identifier both_fn_and_raw null_functions null_params wild_functions wild_name \
	raw_release_gil header_reserved descriptor_flags huge_struct unknown_param_flags \
	unknown_return_flags wrong_param_size default_none_not_optional kwonly_positional_only \
	positional_after_kwonly null_module_name param_reserved result_facts wild_fn data_fn data_entry \
	dunder_name dunder_getattr raise_in_entry raise_in_constructor alternating_entry \
	default_ellipsis default_complex default_list

EXTRA_TEST_PLUGIN_LIBS += $(foreach c,$(RELIABILITY_BAD_CASES),$(BUILD)/test-plugins/libbad_$(c).so) \
	$(BUILD)/test-plugins/libmisbehave.so $(BUILD)/test-plugins/libabi_1_0.so \
	$(BUILD)/test-plugins/libexit_threads.so $(BUILD)/test-plugins/libdebug_misuse.so

# A plugin laid out as the previous ABI minor (its structs frozen in tests/plugins/abi_1_0.h).
$(BUILD)/test-plugins/libabi_1_0.so: tests/plugins/abi_1_0.c tests/plugins/abi_1_0.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)

$(BUILD)/test-plugins/libmisbehave.so $(BUILD)/test-plugins/libexit_threads.so \
$(BUILD)/test-plugins/libdebug_misuse.so: $(BUILD)/test-plugins/lib%.so: tests/plugins/%.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)

.PHONY: fuzz test-leaks test-sanitize memcheck-quick valgrind-tool stress pytest-debug

RELIABILITY_ENV = PYTHONPATH=$(BUILD)/python PYZ3_BUILD=$(BUILD)
RELIABILITY_PY = $(call venv_py,$(MAIN_PY))

# `make test` runs the quick memcheck pass (about a minute); .ci/run runs `make test`.
EXTRA_TEST_TARGETS += memcheck-quick

# valgrind is a Debian package; CI machines are fresh, so install it when it is missing.
valgrind-tool:
	@command -v valgrind >/dev/null || { \
		test "$$(id -u)" = 0 || { echo "valgrind is missing: apt-get install valgrind (as root)"; exit 1; }; \
		echo "installing valgrind (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

# The misbehaving plugin, the broken-plugin corpus and the call tests under valgrind memcheck,
# with all optimisations on: no error may have a frame in libpyz3 or a plugin.
memcheck-quick: valgrind-tool venv runtime plugins test-plugins
	$(RELIABILITY_ENV) $(RELIABILITY_PY) tests/memcheck.py $(BUILD) -q -k all-on \
		tests/python/test_misbehave.py tests/python/test_load_errors.py tests/python/test_calls.py

# The rest of the suite under memcheck (all-on mode; fuzzing and leak loops shortened).
test-sanitize: valgrind-tool venv runtime plugins test-plugins
	$(RELIABILITY_ENV) PYZ3_FUZZ_EXAMPLES=10 PYZ3_LEAK_CALLS=200 PYZ3_THREAD_CALLS=2000 \
		$(RELIABILITY_PY) tests/memcheck.py $(BUILD) -q -k all-on tests/python

# Fuzzing, longer: proptest over descriptors (FUZZ_CASES inputs), hypothesis over calls
# (FUZZ_EXAMPLES examples per property, every optimisation mode).
FUZZ_CASES ?= 100000
FUZZ_EXAMPLES ?= 1000
fuzz: venv runtime plugins test-plugins
	PYZ3_FUZZ_CASES=$(FUZZ_CASES) PYO3_PYTHON=$(MAIN_PYTHON) LD_LIBRARY_PATH=$(dir $(MAIN_PYTHON))../lib \
		$(CARGO) test --locked -p pyz3-loader --test fuzz_descriptor
	$(RELIABILITY_ENV) PYZ3_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(RELIABILITY_PY) -m pytest -q tests/python/test_fuzz_calls.py

# 1,000,000 calls of every sample function (refcounts, allocated blocks, RSS), and the thread
# stress with 8 x 100,000 calls per optimisation mode, on every Python version (about 4 minutes
# each on 2 cores; LEAK_VERSIONS=3.11 for one).
LEAK_VERSIONS ?= $(FOUND_VERSIONS)
test-leaks: venv runtime plugins test-plugins
	@set -e; for v in $(LEAK_VERSIONS); do \
		echo "== leak runs on Python $$v =="; \
		$(RELIABILITY_ENV) PYZ3_LEAK_CALLS=1000000 PYZ3_THREAD_CALLS=100000 $(VENV)/py$$v/bin/python -m pytest -q \
			tests/python/test_leaks.py tests/python/test_threads.py tests/python/test_misbehave.py -k "leak or threads"; \
	done

# The exit stress: a program exits while native threads use pyz3, STRESS_RUNS times plain and
# STRESS_RUNS times under -X dev, on every Python version (`make test` runs 12 of each).
STRESS_RUNS ?= 200
stress: venv runtime plugins test-plugins
	@set -e; for v in $(FOUND_VERSIONS); do \
		echo "== exit stress on Python $$v =="; \
		$(RELIABILITY_ENV) PYZ3_EXIT_RUNS=$(STRESS_RUNS) $(VENV)/py$$v/bin/python -m pytest -q \
			tests/python/test_reliability3.py -k "exits or exit_began"; \
	done

# The whole pytest suite with every plugin loaded in debug mode (docs/reliability.md, "Debug
# mode"), leaks as errors. `make test` runs it on the main version only: the suite is the same on
# every version, and debug mode's checks do not depend on it (DEBUG_VERSIONS="3.10 3.13" for more).
DEBUG_VERSIONS ?= $(MAIN_PY)
EXTRA_TEST_TARGETS += pytest-debug
pytest-debug: venv runtime plugins test-plugins
	@set -e; for v in $(DEBUG_VERSIONS); do \
		echo "== pytest in debug mode on Python $$v =="; \
		PYZ3_DEBUG=1 $(RELIABILITY_ENV) $(EXTRA_PYTEST_ENV) $(VENV)/py$$v/bin/python -m pytest -q \
			-W error::pyz3.DebugWarning tests/python; \
	done
