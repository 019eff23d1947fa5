/* tests/plugins/abi_1_0.c: a plugin laid out as ABI 1.0 (tests/plugins/abi_1_0.h), with
 * `abi_minor` 0 and the 1.0 struct sizes. test_runtime.py loads it with today's runtime: older
 * minors are served, their missing fields read as zero. Uses libpyz3's C API only through
 * declarations that have not changed since 1.0. */
#include <string.h>

#include "abi_1_0.h"

#define EXPORT __attribute__((visibility("default")))

PyObject *pyz3_from_str(const char *utf8, size_t len);

static int32_t add(const v10_value *args, v10_value *result, const v10_call *call) {
    (void)call;
    result->i64 = args[0].i64 + args[1].i64;
    return V10_OK;
}

static int32_t tag(const v10_value *args, v10_value *result, const v10_call *call) {
    (void)args;
    const char *text = call->user_data;
    result->obj = pyz3_from_str(text, strlen(text));
    return result->obj ? V10_OK : -1;
}

static const v10_param add_params[] = {
    {"a", NULL, V10_T_I64, 0, {0, 0, 0, 0, 0, 0}},
    {"b", "10", V10_T_I64, 0, {0, 0, 0, 0, 0, 0}},
};
static const v10_function_def functions[] = {
    {"add", "a + b (ABI 1.0).", add_params, add, NULL, NULL, 2, V10_T_I64, 0, 0},
    {"tag", "The user_data string.", NULL, tag, NULL, "built for 1.0", 0, V10_T_STR, 0, 0},
};
static const v10_plugin descriptor = {
    {V10_MAGIC, 1, 0, (uint32_t)sizeof(v10_plugin), 0},
    "abi_1_0", "A plugin built against ABI 1.0.", functions, 2,
    (uint32_t)sizeof(v10_function_def), (uint32_t)sizeof(v10_param), 0,
};

EXPORT const v10_plugin *pyz3_plugin_entry(void);
EXPORT const v10_plugin *pyz3_plugin_entry(void) { return &descriptor; }
