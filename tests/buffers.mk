# tests/buffers.mk: the buffer and array test plugins (tests/python/test_buffers.py), included
# by the main Makefile.

# Descriptors with invalid buffer or array facts, one -DCASE_* each from one source.
BUFFER_BAD_CASES := elem_str elem_void type_flags ndim_65 bytes_2d default_literal array_bytes \
	array_ndim_0 array_flags array_elem_on_int
BUFFER_TEST_LIBS := $(BUILD)/test-plugins/libbuffers_test.so \
	$(foreach c,$(BUFFER_BAD_CASES),$(BUILD)/test-plugins/libbad_buffer_$(c).so)

EXTRA_TEST_PLUGIN_LIBS += $(BUFFER_TEST_LIBS)

$(BUILD)/test-plugins/libbuffers_test.so: tests/plugins/buffers.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ $(PLUGIN_LDFLAGS)

$(BUILD)/test-plugins/libbad_buffer_%.so: tests/plugins/bad_buffers.c include/pyz3.h $(BUILD)/.runtime-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -DCASE_$(shell echo $* | tr a-z A-Z) $< -o $@ $(PLUGIN_LDFLAGS)
