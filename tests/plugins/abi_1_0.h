/* tests/plugins/abi_1_0.h: the plugin ABI 1.0 structs, frozen as pyz3.h declared them before
 * ABI 1.1 appended fields, so tests/plugins/abi_1_0.c builds a plugin exactly as an ABI 1.0
 * plugin binary is laid out. Do not update this file: it is the previous minor, on purpose. */
#ifndef PYZ3_ABI_1_0_H
#define PYZ3_ABI_1_0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _object PyObject;

#define V10_MAGIC 861559120
#define V10_T_I64 4
#define V10_T_STR 12
#define V10_T_OBJECT 14
#define V10_OK 0

typedef struct v10_str { const char *ptr; size_t len; } v10_str;
typedef union v10_value {
    int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint8_t u8; uint16_t u16; uint32_t u32;
    uint64_t u64; float f32; double f64; bool b; v10_str str; v10_str bytes; PyObject *obj;
} v10_value;
typedef struct v10_call { uint64_t none_mask; void *user_data; } v10_call;
typedef int32_t (*v10_fn)(const v10_value *args, v10_value *result, const v10_call *call);
typedef PyObject *(*v10_raw_fn)(PyObject *const *args, size_t nargs, const v10_call *call);
typedef struct v10_param {
    const char *name; const char *default_value; uint8_t type; uint8_t flags; uint8_t reserved[6];
} v10_param;
typedef struct v10_function_def {
    const char *name; const char *doc; const v10_param *params; v10_fn fn; v10_raw_fn raw;
    void *user_data; uint32_t param_count; uint8_t return_type; uint8_t return_flags; uint16_t flags;
} v10_function_def;
typedef struct v10_plugin_header {
    uint32_t magic; uint16_t abi_major; uint16_t abi_minor; uint32_t struct_size; uint32_t reserved;
} v10_plugin_header;
typedef struct v10_plugin {
    v10_plugin_header header; const char *name; const char *doc; const v10_function_def *functions;
    uint32_t function_count; uint32_t function_size; uint32_t param_size; uint32_t flags;
} v10_plugin;

_Static_assert(sizeof(v10_param) == 2 * sizeof(void *) + 8, "ABI 1.0 pyz3_param");
_Static_assert(sizeof(v10_function_def) == 6 * sizeof(void *) + 8, "ABI 1.0 pyz3_function_def");
_Static_assert(sizeof(v10_plugin) == 16 + 3 * sizeof(void *) + 16, "ABI 1.0 pyz3_plugin");

#endif
