# tests/reliability.mk: the reliability suites (docs/reliability.md) — more broken plugins, a
# misbehaving plugin, fuzzing, leak and memory-checker runs. Included by the main Makefile.
#
#   make test            builds the test plugins below; pytest runs the bounded passes
#   make fuzz            longer fuzzing: proptest over descriptors, hypothesis over calls
#   make test-leaks      1,000,000 calls of every sample function: refcounts, blocks and RSS flat
#   make test-sanitize   a larger part of the pytest suite under valgrind memcheck

# Broken-descriptor cases added to the main Makefile's BAD_CASES (same source, one -DCASE_* each).
RELIABILITY_BAD_CASES := unterminated_doc unterminated_default long_name non_utf8_name non_utf8_doc \
	unicode_identifier both_fn_and_raw null_functions null_params wild_functions wild_name \
	raw_release_gil header_reserved descriptor_flags huge_struct unknown_param_flags \
	unknown_return_flags wrong_param_size default_none_not_optional kwonly_positional_only \
	positional_after_kwonly null_module_name

EXTRA_TEST_PLUGIN_LIBS += $(foreach c,$(RELIABILITY_BAD_CASES),$(BUILD)/test-plugins/libbad_$(c).so) \
	$(BUILD)/test-plugins/libmisbehave.so

$(BUILD)/test-plugins/libmisbehave.so: tests/plugins/misbehave.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)
