//! tests/zig/layout.zig: pyz3.h imported into Zig (the `pyz3_h` module, made by `zig translate-c`).
//! Compiling it proves the header translates; running it prints the ABI layouts as Zig sees them,
//! one "<name> <value>" per line on stderr, in the names of tests/c/layout.c, which
//! tests/python/test_zig.py compares with the runtime's own numbers.

const std = @import("std");
const h = @import("pyz3_h");

comptime {
    // The constants and declarations a Zig plugin relies on translate to usable values.
    std.debug.assert(h.PYZ3_ABI_MAGIC == std.mem.readInt(u32, "PYZ3", .little));
    std.debug.assert(h.PYZ3_T_COUNT == 24 and h.PYZ3_EXC_COUNT == 14 and h.PYZ3_MAX_PARAMS == 64);
    std.debug.assert(@sizeOf(h.pyz3_gil) == 4);
    const entry: h.pyz3_entry_fn = null;
    const typed: h.pyz3_fn = null;
    const raw: h.pyz3_raw_fn = null;
    _ = .{ entry, typed, raw };
}

fn show(name: []const u8, value: usize) void {
    std.debug.print("{s} {d}\n", .{ name, value });
}

pub fn main() void {
    show("sizeof(pyz3_str)", @sizeOf(h.pyz3_str));
    show("sizeof(pyz3_value)", @sizeOf(h.pyz3_value));
    show("sizeof(pyz3_call)", @sizeOf(h.pyz3_call));
    show("offsetof(pyz3_call, module)", @offsetOf(h.pyz3_call, "module"));
    show("sizeof(pyz3_param)", @sizeOf(h.pyz3_param));
    show("offsetof(pyz3_param, type)", @offsetOf(h.pyz3_param, "type"));
    show("offsetof(pyz3_param, elem)", @offsetOf(h.pyz3_param, "elem"));
    show("offsetof(pyz3_param, class_index)", @offsetOf(h.pyz3_param, "class_index"));
    show("sizeof(pyz3_function_def)", @sizeOf(h.pyz3_function_def));
    show("offsetof(pyz3_function_def, fn)", @offsetOf(h.pyz3_function_def, "fn"));
    show("offsetof(pyz3_function_def, param_count)", @offsetOf(h.pyz3_function_def, "param_count"));
    show("offsetof(pyz3_function_def, flags)", @offsetOf(h.pyz3_function_def, "flags"));
    show("offsetof(pyz3_function_def, ret_elem)", @offsetOf(h.pyz3_function_def, "ret_elem"));
    show("offsetof(pyz3_function_def, ret_class_index)", @offsetOf(h.pyz3_function_def, "ret_class_index"));
    show("offsetof(pyz3_function_def, ret_items)", @offsetOf(h.pyz3_function_def, "ret_items"));
    show("sizeof(pyz3_plugin_header)", @sizeOf(h.pyz3_plugin_header));
    show("offsetof(pyz3_plugin, name)", @offsetOf(h.pyz3_plugin, "name"));
    show("offsetof(pyz3_plugin, function_count)", @offsetOf(h.pyz3_plugin, "function_count"));
    show("offsetof(pyz3_plugin, classes)", @offsetOf(h.pyz3_plugin, "classes"));
    show("offsetof(pyz3_plugin, constants)", @offsetOf(h.pyz3_plugin, "constants"));
    show("offsetof(pyz3_plugin, exceptions)", @offsetOf(h.pyz3_plugin, "exceptions"));
    show("sizeof(pyz3_plugin)", @sizeOf(h.pyz3_plugin));
    show("sizeof(pyz3_seq)", @sizeOf(h.pyz3_seq));
    show("offsetof(pyz3_seq, obj)", @offsetOf(h.pyz3_seq, "obj"));
    show("sizeof(pyz3_dict)", @sizeOf(h.pyz3_dict));
    show("sizeof(pyz3_out)", @sizeOf(h.pyz3_out));
    show("sizeof(pyz3_constant_def)", @sizeOf(h.pyz3_constant_def));
    show("offsetof(pyz3_constant_def, type)", @offsetOf(h.pyz3_constant_def, "type"));
    show("sizeof(pyz3_exception_def)", @sizeOf(h.pyz3_exception_def));
    show("sizeof(pyz3_class_def)", @sizeOf(h.pyz3_class_def));
    show("offsetof(pyz3_class_def, state_size)", @offsetOf(h.pyz3_class_def, "state_size"));
    show("offsetof(pyz3_class_def, init)", @offsetOf(h.pyz3_class_def, "init"));
    show("offsetof(pyz3_class_def, method_count)", @offsetOf(h.pyz3_class_def, "method_count"));
    show("offsetof(pyz3_class_def, export_state)", @offsetOf(h.pyz3_class_def, "export_state"));
    show("sizeof(pyz3_property_def)", @sizeOf(h.pyz3_property_def));
    show("offsetof(pyz3_property_def, type)", @offsetOf(h.pyz3_property_def, "type"));
    show("offsetof(pyz3_property_def, class_index)", @offsetOf(h.pyz3_property_def, "class_index"));
    show("sizeof(pyz3_buffer)", @sizeOf(h.pyz3_buffer));
    show("offsetof(pyz3_buffer, itemsize)", @offsetOf(h.pyz3_buffer, "itemsize"));
    show("offsetof(pyz3_buffer, ndim)", @offsetOf(h.pyz3_buffer, "ndim"));
}
