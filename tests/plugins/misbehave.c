/* tests/plugins/misbehave.c: a valid plugin whose functions break the calling convention.
 *
 * Built by tests/reliability.mk into build/test-plugins/libmisbehave.so and loaded by
 * tests/python/test_misbehave.py. Each function makes one mistake a plugin author can make:
 * an error status without an exception, an exception with a success status, a result of the
 * wrong type, an invalid status, NULL pointers handed to libpyz3, and so on. The loader must
 * turn every one into a clear Python exception, never undefined behaviour or a leak.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "pyz3.h"

/* ---- statuses and exceptions -------------------------------------------------------------- */

/* PYZ3_ERROR, but no exception was raised. */
static PYZ3_FN(error_without_exception) { return PYZ3_ERROR; }

/* A result with PYZ3_OK, after raising: the exception must not leak into a later call. */
static PYZ3_FN(ok_with_exception) {
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised, then reported success");
    result->i64 = 1;
    return PYZ3_OK;
}

/* The same with an object result, which the loader owns and must release. */
static PYZ3_FN(ok_with_exception_obj) {
    result->obj = pyz3_from_str("a result", 8);
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised, then returned an object");
    return PYZ3_OK;
}

/* PYZ3_RETURN_NONE with an exception set. */
static PYZ3_FN(none_with_exception) {
    pyz3_raise(PYZ3_EXC_KEY_ERROR, "raised, then returned None");
    return PYZ3_RETURN_NONE;
}

/* PYZ3_RETURN_NONE from a function whose int64 result is not optional. */
static PYZ3_FN(none_not_optional) { return PYZ3_RETURN_NONE; }

/* status(s): returns status s without touching the result (42 is no valid status). */
static PYZ3_FN(status) { return args[0].i32; }

/* status_with_exception(s): the same after raising. */
static PYZ3_FN(status_with_exception) {
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised before an invalid status");
    return args[0].i32;
}

/* raise_null_message(kind): an exception of `kind` without a message (valid: args == ()). */
static PYZ3_FN(raise_null_message) { return pyz3_raise(args[0].i32, NULL); }

/* raise_len_huge(): pyz3_raise_len with a length no string can have. */
static PYZ3_FN(raise_len_huge) { return pyz3_raise_len(PYZ3_EXC_VALUE_ERROR, "x", SIZE_MAX); }

/* ---- results of the wrong kind ------------------------------------------------------------ */

/* Declared str, result->obj left NULL. */
static PYZ3_FN(null_str_result) { return PYZ3_OK; }

/* Declared object, result->obj left NULL. */
static PYZ3_FN(null_object_result) { return PYZ3_OK; }

/* Declared str, returns an int. */
static PYZ3_FN(int_for_str) {
    result->obj = pyz3_from_i64(123456789);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* Declared bytes, returns a str. */
static PYZ3_FN(str_for_bytes) {
    result->obj = pyz3_from_str("text", 4);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* Declared bool, writes the byte `v` (not 0 or 1) through the uint8 member. */
static PYZ3_FN(bool_from_byte) {
    result->u8 = args[0].u8;
    return PYZ3_OK;
}

/* ---- NULL pointers handed to libpyz3 ------------------------------------------------------ */

/* pyz3_from_str(NULL, 5): a NULL buffer with a non-zero length. */
static PYZ3_FN(from_str_null) {
    result->obj = pyz3_from_str(NULL, 5);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* pyz3_from_bytes(NULL, 5). */
static PYZ3_FN(from_bytes_null) {
    result->obj = pyz3_from_bytes(NULL, 5);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* pyz3_tuple_new(NULL, 3). */
static PYZ3_FN(tuple_null_items) {
    result->obj = pyz3_tuple_new(NULL, 3);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* pyz3_call_object(callable, NULL, 2). */
static PYZ3_FN(call_null_args) {
    result->obj = pyz3_call_object(args[0].obj, NULL, 2);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* pyz3_intern(NULL). */
static PYZ3_FN(intern_null) {
    result->obj = pyz3_intern(NULL);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* pyz3_to_i64(NULL, &out). */
/* A failing pyz3_intern whose NULL (and exception) the plugin ignores, then success: the
 * loader must notice the exception in every optimisation mode (the pooled and the unpooled
 * intern fail through different CPython calls). */
static PYZ3_FN(ignored_intern_failure) {
    PyObject *name = pyz3_intern("\xff\xfe not UTF-8");
    (void)name;
    result->i64 = 1;
    return PYZ3_OK;
}

/* The same with pyz3_from_str and invalid UTF-8. */
static PYZ3_FN(ignored_from_str_failure) {
    PyObject *text = pyz3_from_str("\xff", 1);
    (void)text;
    result->i64 = 1;
    return PYZ3_OK;
}

static PYZ3_FN(to_i64_null) {
    int64_t out;
    if (pyz3_to_i64(NULL, &out) != PYZ3_OK) return PYZ3_ERROR;
    result->i64 = out;
    return PYZ3_OK;
}

/* pyz3_dict_set(NULL, "k", value): the value is released even though the call fails. */
static PYZ3_FN(dict_set_null) {
    if (pyz3_dict_set(NULL, "k", pyz3_from_str("v", 1)) != PYZ3_OK) return PYZ3_ERROR;
    return PYZ3_OK;
}

/* ---- object defaults ---------------------------------------------------------------------- */

/* echo_object_default(x=None): an object parameter (not PYZ3_PARAM_OPTIONAL) whose default is
 * None: the plugin must receive the None object, like when the caller passes None. */
static PYZ3_FN(echo_object_default) {
    if (args[0].obj == NULL) return pyz3_raise(PYZ3_EXC_ASSERTION_ERROR, "received a NULL object");
    pyz3_incref(args[0].obj);
    result->obj = args[0].obj;
    return PYZ3_OK;
}

/* is_none_optional(x=None): a PYZ3_PARAM_OPTIONAL object parameter: None arrives as a set bit in
 * none_mask and a NULL slot, whether passed or defaulted. */
static PYZ3_FN(is_none_optional) {
    result->b = (call->none_mask & 1) != 0 && args[0].obj == NULL;
    return PYZ3_OK;
}

/* ---- GIL-released functions that misbehave ------------------------------------------------ */

static PYZ3_FN(released_error_without_exception) { return PYZ3_ERROR; }

static PYZ3_FN(released_ok_with_exception) {
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised without the GIL, then reported success");
    result->i64 = 7;
    return PYZ3_OK;
}

/* raise_on_native_thread(): pyz3_raise on a thread Python never saw: nobody receives that
 * exception, so it is discarded; the call itself succeeds. Flagged PYZ3_FN_RELEASE_GIL: the
 * native thread takes the GIL to raise, so joining it while holding the GIL would deadlock. */
static void *raise_main(void *arg) {
    (void)arg;
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised on a native thread");
    return NULL;
}

static PYZ3_FN(raise_on_native_thread) {
    pthread_t t;
    if (pthread_create(&t, NULL, raise_main, NULL) != 0)
        return pyz3_raise(PYZ3_EXC_OS_ERROR, "pthread_create failed");
    pthread_join(t, NULL);
    result->i64 = 1;
    return PYZ3_OK;
}

/* ---- raw functions ------------------------------------------------------------------------ */

static PYZ3_RAW_FN(raw_null_without_exception) { return NULL; }

static PYZ3_RAW_FN(raw_result_with_exception) {
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raw: raised, then returned a result");
    return pyz3_from_i64(5);
}

/* ---- the descriptor ----------------------------------------------------------------------- */

static const pyz3_param p_i32[] = {PYZ3_PARAM("s", PYZ3_T_I32)};
static const pyz3_param p_kind[] = {PYZ3_PARAM("kind", PYZ3_T_I32)};
static const pyz3_param p_u8[] = {PYZ3_PARAM("v", PYZ3_T_U8)};
static const pyz3_param p_obj[] = {PYZ3_PARAM("callable", PYZ3_T_OBJECT)};
static const pyz3_param p_obj_default[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_OBJECT, "None")};
static const pyz3_param p_obj_optional[] = {PYZ3_PARAM_EX("x", PYZ3_T_OBJECT, PYZ3_PARAM_OPTIONAL, "None")};

#define RELEASED PYZ3_FN_RELEASE_GIL

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_NOARGS("error_without_exception", error_without_exception, PYZ3_T_I64,
                         "Returns PYZ3_ERROR without raising."),
    PYZ3_FUNCTION_NOARGS("ok_with_exception", ok_with_exception, PYZ3_T_I64,
                         "Raises, then returns PYZ3_OK with an int result."),
    PYZ3_FUNCTION_NOARGS("ok_with_exception_obj", ok_with_exception_obj, PYZ3_T_STR,
                         "Raises, then returns PYZ3_OK with a str result."),
    PYZ3_FUNCTION_NOARGS("none_with_exception", none_with_exception, PYZ3_T_VOID,
                         "Raises, then returns PYZ3_RETURN_NONE."),
    PYZ3_FUNCTION_NOARGS("none_not_optional", none_not_optional, PYZ3_T_I64,
                         "Returns PYZ3_RETURN_NONE for a non-optional int64."),
    PYZ3_FUNCTION("status", status, p_i32, PYZ3_T_I64, "Returns status s."),
    PYZ3_FUNCTION("status_with_exception", status_with_exception, p_i32, PYZ3_T_I64,
                  "Raises, then returns status s."),
    PYZ3_FUNCTION("raise_null_message", raise_null_message, p_kind, PYZ3_T_VOID,
                  "Raises the kind without a message."),
    PYZ3_FUNCTION_NOARGS("raise_len_huge", raise_len_huge, PYZ3_T_VOID,
                         "pyz3_raise_len with an impossible length."),
    PYZ3_FUNCTION_NOARGS("null_str_result", null_str_result, PYZ3_T_STR,
                         "Returns PYZ3_OK with result->obj NULL (str)."),
    PYZ3_FUNCTION_NOARGS("null_object_result", null_object_result, PYZ3_T_OBJECT,
                         "Returns PYZ3_OK with result->obj NULL (object)."),
    PYZ3_FUNCTION_NOARGS("int_for_str", int_for_str, PYZ3_T_STR, "Returns an int for a str."),
    PYZ3_FUNCTION_NOARGS("str_for_bytes", str_for_bytes, PYZ3_T_BYTES, "Returns a str for bytes."),
    PYZ3_FUNCTION("bool_from_byte", bool_from_byte, p_u8, PYZ3_T_BOOL,
                  "A bool result whose byte is v."),
    PYZ3_FUNCTION_NOARGS("from_str_null", from_str_null, PYZ3_T_STR, "pyz3_from_str(NULL, 5)."),
    PYZ3_FUNCTION_NOARGS("from_bytes_null", from_bytes_null, PYZ3_T_BYTES, "pyz3_from_bytes(NULL, 5)."),
    PYZ3_FUNCTION_NOARGS("tuple_null_items", tuple_null_items, PYZ3_T_OBJECT, "pyz3_tuple_new(NULL, 3)."),
    PYZ3_FUNCTION("call_null_args", call_null_args, p_obj, PYZ3_T_OBJECT,
                  "pyz3_call_object(callable, NULL, 2)."),
    PYZ3_FUNCTION_NOARGS("intern_null", intern_null, PYZ3_T_OBJECT, "pyz3_intern(NULL)."),
    PYZ3_FUNCTION_NOARGS("ignored_intern_failure", ignored_intern_failure, PYZ3_T_I64,
                         "A failed pyz3_intern, ignored, then PYZ3_OK."),
    PYZ3_FUNCTION_NOARGS("ignored_from_str_failure", ignored_from_str_failure, PYZ3_T_I64,
                         "A failed pyz3_from_str, ignored, then PYZ3_OK."),
    PYZ3_FUNCTION_NOARGS("to_i64_null", to_i64_null, PYZ3_T_I64, "pyz3_to_i64(NULL, &out)."),
    PYZ3_FUNCTION_NOARGS("dict_set_null", dict_set_null, PYZ3_T_VOID, "pyz3_dict_set(NULL, ...)."),
    PYZ3_FUNCTION("echo_object_default", echo_object_default, p_obj_default, PYZ3_T_OBJECT,
                  "x, an object parameter defaulting to None."),
    PYZ3_FUNCTION("is_none_optional", is_none_optional, p_obj_optional, PYZ3_T_BOOL,
                  "Whether the optional object x arrived as None."),
    PYZ3_FUNCTION_EX("released_error_without_exception", released_error_without_exception, NULL, 0,
                     PYZ3_T_I64, 0, RELEASED, NULL, "PYZ3_ERROR without raising, GIL released."),
    PYZ3_FUNCTION_EX("released_ok_with_exception", released_ok_with_exception, NULL, 0, PYZ3_T_I64, 0,
                     RELEASED, NULL, "Raises, then returns PYZ3_OK, GIL released."),
    PYZ3_FUNCTION_EX("raise_on_native_thread", raise_on_native_thread, NULL, 0, PYZ3_T_I64, 0, RELEASED,
                     NULL, "pyz3_raise on a thread Python never saw; returns 1."),
    PYZ3_RAW_FUNCTION("raw_null_without_exception", raw_null_without_exception, NULL, 0,
                      "Returns NULL without raising."),
    PYZ3_RAW_FUNCTION("raw_result_with_exception", raw_result_with_exception, NULL, 0,
                      "Raises, then returns an object."),
};

PYZ3_PLUGIN("misbehave", "A plugin whose functions break the calling convention.", functions)
