# tests/containers.mk: the test plugins of the container features (issue 14), included by the
# Makefile: the edge-case plugin tests/python/test_containers.py calls, and broken descriptors
# (tests/plugins/bad_containers.c, one -DCASE_* each) it loads.

CONTAINERS_BAD_CASES := seq_elem_void seq_elem_compound dict_elem_unknown seq_default callable_default \
	elem_on_scalar list_param list_no_elem iter_elem_sequence tuple_no_items tuple_null_items \
	tuple_void_item tuple_too_many items_on_list sequence_result constant_not_literal \
	constant_wrong_type constant_out_of_range constant_bool_for_int constant_not_none \
	constant_null_value constant_compound_type constant_dunder constant_name_clash constant_reserved \
	constant_bad_name exception_bad_base exception_name_clash exception_reserved exception_keyword \
	constants_null exception_size

EXTRA_TEST_PLUGIN_LIBS += $(BUILD)/test-plugins/libcontainers_cases.so \
	$(foreach c,$(CONTAINERS_BAD_CASES),$(BUILD)/test-plugins/libbad_containers_$(c).so)

$(BUILD)/test-plugins/libcontainers_cases.so: tests/plugins/containers_cases.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)

$(BUILD)/test-plugins/libbad_containers_%.so: tests/plugins/bad_containers.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	@$(CC) -std=c11 -O1 -fPIC -Iinclude -DCASE_$(shell echo $* | tr a-z A-Z) $< -o $@ $(PLUGIN_LDFLAGS)
