/* tests/plugins/debug_misuse.c: a plugin whose functions make the mistakes debug mode catches.
 *
 * Built by tests/reliability.mk into build/test-plugins/libdebug_misuse.so and loaded by
 * tests/python/test_debug_mode.py, in debug mode (pyz3.load(path, debug=True)) and in release
 * mode. Each function makes one mistake a release load cannot afford to look for: libpyz3 called
 * without the GIL, a borrowed argument used after its call, a leaked or over-released
 * reference, a result that contradicts the declaration. The rest behave, to show that debug mode
 * reports nothing where nothing is wrong.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "pyz3.h"

/* ---- the GIL contract ---------------------------------------------------------------------- */

/* greet_nogil(name) -> str, PYZ3_FN_RELEASE_GIL, builds its str result without taking the GIL:
 * the Rust SDK's old #[release_gil] bug. */
static PYZ3_FN(greet_nogil) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* to_i64_in_nogil_region(x) -> int: converts an object inside a pyz3_nogil_begin region. */
static PYZ3_FN(to_i64_in_nogil_region) {
    pyz3_nogil region = pyz3_nogil_begin();
    int64_t v = 0;
    int32_t status = pyz3_to_i64(args[0].obj, &v);
    pyz3_nogil_end(region);
    result->i64 = v;
    return status;
}

static void *make_int_on_native_thread(void *arg) {
    (void)arg;
    PyObject *obj = pyz3_from_i64(7); /* no GIL scope: a contract violation */
    return obj;
}

/* from_native_thread() -> bool: a thread of the plugin's own calls pyz3_from_i64 without a GIL
 * scope; returns whether it got an object. */
static PYZ3_FN(from_native_thread) {
    pthread_t t;
    void *obj = NULL;
    pyz3_nogil region = pyz3_nogil_begin();
    if (pthread_create(&t, NULL, make_int_on_native_thread, NULL) == 0) pthread_join(t, &obj);
    pyz3_nogil_end(region);
    pyz3_decref(obj);
    result->b = obj != NULL;
    return PYZ3_OK;
}

/* ---- borrowed arguments after the call ----------------------------------------------------- */

static const char *kept_ptr;
static size_t kept_len;
static const uint8_t *kept_data;

/* keep_str(s) / keep_bytes(b): remember the borrowed pointer (a mistake), return its length. */
static PYZ3_FN(keep_str) {
    kept_ptr = args[0].str.ptr;
    kept_len = args[0].str.len;
    result->i64 = (int64_t)kept_len;
    return PYZ3_OK;
}

static PYZ3_FN(keep_bytes) {
    kept_ptr = args[0].bytes.ptr;
    kept_len = args[0].bytes.len;
    result->i64 = (int64_t)kept_len;
    return PYZ3_OK;
}

/* kept() -> bytes: reads the pointer a previous call kept. */
static PYZ3_FN(kept) {
    result->obj = pyz3_from_bytes(kept_ptr, kept_len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* keep_buffer(b) / kept_buffer_first(): the same with a buffer's data. */
static PYZ3_FN(keep_buffer) {
    kept_data = args[0].buf->data;
    result->i64 = (int64_t)args[0].buf->len;
    return PYZ3_OK;
}

static PYZ3_FN(kept_buffer_first) {
    result->i64 = kept_data[0];
    return PYZ3_OK;
}

/* fill_buffer(b, v): writes v into every byte of a writable buffer (no mistake: the write must
 * reach the caller's object in debug mode too). */
static PYZ3_FN(fill_buffer) {
    memset(args[0].buf->data, (int)args[1].i64, args[0].buf->len * args[0].buf->itemsize);
    return PYZ3_RETURN_NONE;
}

/* ---- references ---------------------------------------------------------------------------- */

/* leak_int() -> int: makes an int and never releases it. */
static PYZ3_FN(leak_int) {
    PyObject *leaked = pyz3_from_i64(123456789);
    result->i64 = leaked != NULL;
    return PYZ3_OK;
}

/* leak_on_error() -> int: makes a list, then fails without releasing it. */
static PYZ3_FN(leak_on_error) {
    (void)pyz3_list_new();
    return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "failed after making a list");
}

/* balanced(x) -> object: every reference it takes it releases or hands over. */
static PYZ3_FN(balanced) {
    PyObject *list = pyz3_list_new();
    if (!list) return PYZ3_ERROR;
    pyz3_incref(args[0].obj);
    if (pyz3_list_append(list, args[0].obj) != PYZ3_OK ||
        pyz3_list_append(list, pyz3_from_str("x", 1)) != PYZ3_OK) {
        pyz3_decref(list);
        return PYZ3_ERROR;
    }
    PyObject *tmp = pyz3_from_i64(5);
    pyz3_decref(tmp);
    result->obj = list;
    return PYZ3_OK;
}

/* decref_argument(x) -> None: releases a borrowed argument. */
static PYZ3_FN(decref_argument) {
    pyz3_decref(args[0].obj);
    return PYZ3_RETURN_NONE;
}

/* ---- results ------------------------------------------------------------------------------- */

/* return_borrowed(x) -> object: returns its argument without pyz3_incref. */
static PYZ3_FN(return_borrowed) {
    result->obj = args[0].obj;
    return PYZ3_OK;
}

/* raw_return_borrowed(x): the same in the raw convention. */
static PYZ3_RAW_FN(raw_return_borrowed) { return args[0]; }

/* wide_i8() -> int8: writes through the int64 member. */
static PYZ3_FN(wide_i8) {
    result->i64 = 300;
    return PYZ3_OK;
}

static const pyz3_param p_str[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_bytes[] = {PYZ3_PARAM("b", PYZ3_T_BYTES)};
static const pyz3_param p_obj[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT)};
static const pyz3_param p_buf[] = {PYZ3_PARAM_BUFFER("b", PYZ3_T_U8, PYZ3_BUF_CONTIGUOUS, 1)};
static const pyz3_param p_fill[] = {PYZ3_PARAM_BUFFER("b", PYZ3_T_U8, PYZ3_BUF_CONTIGUOUS | PYZ3_BUF_WRITABLE, 1),
                                    PYZ3_PARAM("v", PYZ3_T_I64)};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_EX("greet_nogil", greet_nogil, p_str, 1, PYZ3_T_STR, 0, PYZ3_FN_RELEASE_GIL, NULL,
                     "Builds a str without the GIL."),
    PYZ3_FUNCTION("to_i64_in_nogil_region", to_i64_in_nogil_region, p_obj, PYZ3_T_I64,
                  "Converts inside a GIL-released region."),
    PYZ3_FUNCTION_NOARGS("from_native_thread", from_native_thread, PYZ3_T_BOOL,
                         "A native thread makes an int without a GIL scope."),
    PYZ3_FUNCTION("keep_str", keep_str, p_str, PYZ3_T_I64, "Keeps a borrowed str pointer."),
    PYZ3_FUNCTION("keep_bytes", keep_bytes, p_bytes, PYZ3_T_I64, "Keeps a borrowed bytes pointer."),
    PYZ3_FUNCTION_NOARGS("kept", kept, PYZ3_T_BYTES, "Reads the kept pointer."),
    PYZ3_FUNCTION("keep_buffer", keep_buffer, p_buf, PYZ3_T_I64, "Keeps a buffer's data pointer."),
    PYZ3_FUNCTION_NOARGS("kept_buffer_first", kept_buffer_first, PYZ3_T_I64,
                         "Reads the kept buffer's first byte."),
    PYZ3_FUNCTION("fill_buffer", fill_buffer, p_fill, PYZ3_T_VOID, "Fills a writable buffer."),
    PYZ3_FUNCTION_NOARGS("leak_int", leak_int, PYZ3_T_I64, "Leaks an int."),
    PYZ3_FUNCTION_NOARGS("leak_on_error", leak_on_error, PYZ3_T_I64, "Leaks a list, then fails."),
    PYZ3_FUNCTION("balanced", balanced, p_obj, PYZ3_T_OBJECT, "Releases everything it takes."),
    PYZ3_FUNCTION("decref_argument", decref_argument, p_obj, PYZ3_T_VOID,
                  "Releases a borrowed argument."),
    PYZ3_FUNCTION("return_borrowed", return_borrowed, p_obj, PYZ3_T_OBJECT,
                  "Returns a borrowed argument."),
    PYZ3_RAW_FUNCTION("raw_return_borrowed", raw_return_borrowed, p_obj, 1,
                      "Returns a borrowed argument (raw)."),
    PYZ3_FUNCTION_NOARGS("wide_i8", wide_i8, PYZ3_T_I8, "Writes an int8 result as int64."),
};

PYZ3_PLUGIN("debug_misuse", "Mistakes debug mode catches (tests/python/test_debug_mode.py).", functions)
