/* tests/c/layout.c: prints the ABI layouts as a C compiler sees include/pyz3.h, one
 * "<name> <value>" per line, in the names capi/core/src/abi.rs uses (LAYOUT). test_runtime.py compares
 * them with the runtime's own numbers. */
#include <stdio.h>

#include "pyz3.h"

#define SHOW(NAME, EXPR) printf("%s %zu\n", NAME, (size_t)(EXPR))

int main(void) {
    SHOW("sizeof(pyz3_str)", sizeof(pyz3_str));
    SHOW("sizeof(pyz3_value)", sizeof(pyz3_value));
    SHOW("sizeof(pyz3_call)", sizeof(pyz3_call));
    SHOW("offsetof(pyz3_call, module)", offsetof(pyz3_call, module));
    SHOW("sizeof(pyz3_param)", sizeof(pyz3_param));
    SHOW("offsetof(pyz3_param, type)", offsetof(pyz3_param, type));
    SHOW("offsetof(pyz3_param, elem)", offsetof(pyz3_param, elem));
    SHOW("offsetof(pyz3_param, class_index)", offsetof(pyz3_param, class_index));
    SHOW("sizeof(pyz3_function_def)", sizeof(pyz3_function_def));
    SHOW("offsetof(pyz3_function_def, fn)", offsetof(pyz3_function_def, fn));
    SHOW("offsetof(pyz3_function_def, param_count)", offsetof(pyz3_function_def, param_count));
    SHOW("offsetof(pyz3_function_def, flags)", offsetof(pyz3_function_def, flags));
    SHOW("offsetof(pyz3_function_def, ret_elem)", offsetof(pyz3_function_def, ret_elem));
    SHOW("offsetof(pyz3_function_def, ret_class_index)", offsetof(pyz3_function_def, ret_class_index));
    SHOW("offsetof(pyz3_function_def, ret_items)", offsetof(pyz3_function_def, ret_items));
    SHOW("sizeof(pyz3_plugin_header)", sizeof(pyz3_plugin_header));
    SHOW("offsetof(pyz3_plugin, name)", offsetof(pyz3_plugin, name));
    SHOW("offsetof(pyz3_plugin, function_count)", offsetof(pyz3_plugin, function_count));
    SHOW("offsetof(pyz3_plugin, classes)", offsetof(pyz3_plugin, classes));
    SHOW("offsetof(pyz3_plugin, constants)", offsetof(pyz3_plugin, constants));
    SHOW("offsetof(pyz3_plugin, exceptions)", offsetof(pyz3_plugin, exceptions));
    SHOW("sizeof(pyz3_plugin)", sizeof(pyz3_plugin));
    SHOW("sizeof(pyz3_seq)", sizeof(pyz3_seq));
    SHOW("offsetof(pyz3_seq, obj)", offsetof(pyz3_seq, obj));
    SHOW("sizeof(pyz3_dict)", sizeof(pyz3_dict));
    SHOW("sizeof(pyz3_out)", sizeof(pyz3_out));
    SHOW("sizeof(pyz3_constant_def)", sizeof(pyz3_constant_def));
    SHOW("offsetof(pyz3_constant_def, type)", offsetof(pyz3_constant_def, type));
    SHOW("sizeof(pyz3_exception_def)", sizeof(pyz3_exception_def));
    SHOW("sizeof(pyz3_class_def)", sizeof(pyz3_class_def));
    SHOW("offsetof(pyz3_class_def, state_size)", offsetof(pyz3_class_def, state_size));
    SHOW("offsetof(pyz3_class_def, init)", offsetof(pyz3_class_def, init));
    SHOW("offsetof(pyz3_class_def, method_count)", offsetof(pyz3_class_def, method_count));
    SHOW("offsetof(pyz3_class_def, export_state)", offsetof(pyz3_class_def, export_state));
    SHOW("sizeof(pyz3_property_def)", sizeof(pyz3_property_def));
    SHOW("offsetof(pyz3_property_def, type)", offsetof(pyz3_property_def, type));
    SHOW("offsetof(pyz3_property_def, class_index)", offsetof(pyz3_property_def, class_index));
    SHOW("sizeof(pyz3_buffer)", sizeof(pyz3_buffer));
    SHOW("offsetof(pyz3_buffer, itemsize)", offsetof(pyz3_buffer, itemsize));
    SHOW("offsetof(pyz3_buffer, ndim)", offsetof(pyz3_buffer, ndim));
    return 0;
}
