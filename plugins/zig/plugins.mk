# plugins/zig/plugins.mk: Zig sample plugins and Zig checks, included by the Makefile.
#
# Zig is the `ziglang` package from PyPI (pinned in tests/requirements.txt), run from the main
# venv. sdk/zig/pyz3.zig (with its generated table sdk/zig/pyz3_types.zig) imports the module
# `pyz3_h`, which is `zig translate-c include/pyz3.h`
# (Zig 0.17 removed @cImport). Each plugins/zig/<name>/<name>.zig becomes
# build/plugins/lib<name>_zig.so, linked against build/lib/libpyz3.so and libc only.

ZIG := $(VENV)/py$(MAIN_PY)/bin/python -m ziglang
ZIG_STAMP := $(VENV)/py$(MAIN_PY)/.stamp
# ReleaseFast like the C plugins' -O2; `make ZIG_OPT=ReleaseSafe test` runs the suites with
# Zig's safety checks compiled in.
ZIG_OPT ?= ReleaseFast
ZIG_HEADER := $(BUILD)/zig/pyz3_h.zig
ZIG_CACHE := --cache-dir $(BUILD)/zig/cache
ZIG_PLUGINS := hello arrays gil_bench fastpath_bench pool_bench classes containers
ZIG_PLUGIN_LIBS := $(foreach p,$(ZIG_PLUGINS),$(BUILD)/plugins/lib$(p)_zig.so)

# $(call zig_plugin,MODULE,ROOT_SOURCE,OUTPUT[,OPT[,FLAGS]]): a plugin shared library from one Zig
# file (the imported modules inherit the root module's -O and FLAGS, e.g. -mcpu).
zig_plugin = $(ZIG) build-lib -dynamic -O $(or $(4),$(ZIG_OPT)) $(5) -lc -fno-each-lib-rpath -fno-soname $(ZIG_CACHE) \
	--dep pyz3 -M$(1)=$(2) --dep pyz3_h -Mpyz3=sdk/zig/pyz3.zig -Mpyz3_h=$(ZIG_HEADER) \
	-L$(BUILD)/lib -lpyz3 -femit-bin=$(3)

# Also built before pytest: the SDK feature plugin and the layouts as Zig sees pyz3.h
# (tests/python/test_zig.py uses both). The Zig SDK is copied next to pyz3.h in the pyz3
# package (where pyz3.get_include() points plugin builds outside this repository) by the
# Makefile's runtime rule.
ZIG_TEST_ARTEFACTS := $(BUILD)/test-plugins/libzig_features.so $(BUILD)/zig/layout.txt
ZIG_SDK := $(wildcard sdk/zig/*.zig)

EXTRA_PLUGIN_LIBS += $(ZIG_PLUGIN_LIBS) $(ZIG_TEST_ARTEFACTS)
EXTRA_TEST_TARGETS += zig-check

.PHONY: zig-header zig-check

$(ZIG_HEADER): include/pyz3.h $(ZIG_STAMP)
	@mkdir -p $(dir $@)
	$(ZIG) translate-c $(ZIG_CACHE) include/pyz3.h > $@.tmp
	mv $@.tmp $@

zig-header: $(ZIG_HEADER)

# The stem `hello` (of lib%_zig.so) is shorter than `hello_zig` (of the C rule's lib%.so), so
# make picks this rule for the Zig plugins.
$(BUILD)/plugins/lib%_zig.so: plugins/zig/%/*.zig $(ZIG_SDK) $(ZIG_HEADER) $(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/plugins
	$(call zig_plugin,$*_zig,plugins/zig/$*/$*.zig,$@)

# With Zig's safety checks, so SDK bugs trap instead of misbehaving quietly.
$(BUILD)/test-plugins/libzig_features.so: tests/zig/sdk_features.zig $(ZIG_SDK) $(ZIG_HEADER) $(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/test-plugins
	$(call zig_plugin,zig_features,$<,$@,ReleaseSafe)

$(BUILD)/zig/layout.txt: tests/zig/layout.zig $(ZIG_HEADER)
	$(ZIG) build-exe $(ZIG_CACHE) --dep pyz3_h -Mlayout=$< -Mpyz3_h=$(ZIG_HEADER) -femit-bin=$(BUILD)/zig/layout
	$(BUILD)/zig/layout 2> $@

# Zig sources are `zig fmt`-clean (the Zig counterpart of `cargo fmt --check` and `ruff format`),
# and the build.zig of docs/zig.md works (once, with the main Python: the first `zig build` on a
# machine compiles Zig's build runner, which takes minutes).
zig-check: $(ZIG_STAMP) runtime
	$(ZIG) fmt --check sdk/zig plugins/zig tests/zig
	PYTHONPATH=$(BUILD)/python $(EXTRA_PYTEST_ENV) $(VENV)/py$(MAIN_PY)/bin/python -m pytest -q tests/zig
