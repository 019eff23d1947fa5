# tests/classes.mk: the test plugins of the classes suite (tests/python/test_classes.py, docs/classes.md).
# Included by the main Makefile.
#
# libclass_cases.so uses every class feature the sample plugin (plugins/c/classes) does not;
# libbad_class_<case>.so are broken class descriptors, one per -DCASE_<CASE> of bad_class.c.

BAD_CLASS_CASES := class_null_name class_bad_name class_function_clash class_duplicate \
	class_state_align class_big_align class_big_state class_flags class_reserved class_size \
	class_fields_null class_field_outside class_field_unaligned class_field_twice \
	class_init_returns class_init_raw class_methods_null class_too_many_methods \
	class_duplicate_method class_static_and_class class_unknown_special class_special_arity \
	class_special_result class_next_not_optional class_special_static class_property_no_get \
	class_property_type class_property_clash class_export_alone class_import_mismatch \
	class_param_index class_result_index class_static_function

EXTRA_TEST_PLUGIN_LIBS += $(BUILD)/test-plugins/libclass_cases.so $(BUILD)/test-plugins/libbad_class_ok.so \
	$(foreach c,$(BAD_CLASS_CASES),$(BUILD)/test-plugins/libbad_class_$(c).so)

$(BUILD)/test-plugins/libclass_cases.so: tests/plugins/class_cases.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS) -lm

# Without a CASE: the valid plugin the broken ones start from.
$(BUILD)/test-plugins/libbad_class_ok.so: tests/plugins/bad_class.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	@$(CC) -std=c11 -O1 -fPIC -Iinclude $< -o $@ $(PLUGIN_LDFLAGS)

$(BUILD)/test-plugins/libbad_class_%.so: tests/plugins/bad_class.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	@$(CC) -std=c11 -O1 -fPIC -Iinclude -DCASE_$(shell echo $* | tr a-z A-Z) $< -o $@ $(PLUGIN_LDFLAGS)
