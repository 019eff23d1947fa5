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

/* ---- the container object API ------------------------------------------------------------- */

/* leak_attribute(x) -> int: reads x.__class__ and never releases it. */
static PYZ3_FN(leak_attribute) {
    PyObject *cls = pyz3_getattr(args[0].obj, "__class__");
    result->i64 = cls != NULL;
    return cls ? PYZ3_OK : PYZ3_ERROR;
}

/* leak_first_item(x) -> int: takes the first item of iter(x) and never releases it. */
static PYZ3_FN(leak_first_item) {
    PyObject *it = pyz3_get_iter(args[0].obj);
    if (!it) return PYZ3_ERROR;
    PyObject *item = NULL;
    int32_t status = pyz3_next(it, &item);
    pyz3_decref(it);
    result->i64 = status == PYZ3_OK;
    return status == PYZ3_ERROR ? PYZ3_ERROR : PYZ3_OK;
}

/* walk(d) -> int: container API calls whose references are each released or stolen. Counts the
 * entries of dict d (n), sets d["ns"].seen = n when d has "ns", sets d["k"] = d.get("k"), reads
 * it back; returns n * 100 + len(d). */
static PYZ3_FN(walk) {
    PyObject *d = args[0].obj;
    size_t pos = 0;
    PyObject *key = NULL, *value = NULL;
    int64_t n = 0;
    int32_t s;
    while ((s = pyz3_dict_next(d, &pos, &key, &value)) == PYZ3_OK) {
        pyz3_decref(key);
        pyz3_decref(value);
        n++;
    }
    if (s == PYZ3_ERROR) return PYZ3_ERROR;
    PyObject *ns = NULL;
    if (pyz3_dict_get_item(d, "ns", &ns) == PYZ3_OK) {
        int32_t set = pyz3_setattr(ns, "seen", pyz3_from_i64(n));
        pyz3_decref(ns);
        if (set != PYZ3_OK) return PYZ3_ERROR;
    }
    PyObject *k = pyz3_from_str("k", 1);
    PyObject *called = pyz3_call_method(d, "get", &k, 1, NULL, 0);
    if (!called) {
        pyz3_decref(k);
        return PYZ3_ERROR;
    }
    int32_t set = pyz3_setitem(d, k, called);
    PyObject *got = set == PYZ3_OK ? pyz3_getitem(d, k) : NULL;
    pyz3_decref(k);
    if (!got) return PYZ3_ERROR;
    pyz3_decref(got);
    ptrdiff_t len = pyz3_len(d);
    if (len < 0 || pyz3_isinstance(d, PYZ3_PY_DICT) != 1) return PYZ3_ERROR;
    result->i64 = n * 100 + len;
    return PYZ3_OK;
}

/* len_in_nogil_region(x) -> int: len(x) inside a pyz3_nogil_begin region. */
static PYZ3_FN(len_in_nogil_region) {
    pyz3_nogil region = pyz3_nogil_begin();
    ptrdiff_t n = pyz3_len(args[0].obj);
    pyz3_nogil_end(region);
    result->i64 = n;
    return n < 0 ? PYZ3_ERROR : PYZ3_OK;
}

/* words_then_fail() -> list[str]: fills two str items, then fails; the loader drops them. */
static PYZ3_FN(words_then_fail) {
    pyz3_out *out = pyz3_result_list(result, 2);
    if (!out) return PYZ3_ERROR;
    out->items.obj[0] = pyz3_from_str("a", 1);
    out->items.obj[1] = pyz3_from_str("b", 1);
    return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "failed after filling the list");
}

/* words_with_a_bad_item() -> list[str]: a str, an int, a str: the loader refuses the int. */
static PYZ3_FN(words_with_a_bad_item) {
    pyz3_out *out = pyz3_result_list(result, 3);
    if (!out) return PYZ3_ERROR;
    out->items.obj[0] = pyz3_from_str("a", 1);
    out->items.obj[1] = pyz3_from_i64(1);
    out->items.obj[2] = pyz3_from_str("c", 1);
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
    PYZ3_FUNCTION("leak_attribute", leak_attribute, p_obj, PYZ3_T_I64, "Leaks x.__class__."),
    PYZ3_FUNCTION("leak_first_item", leak_first_item, p_obj, PYZ3_T_I64,
                  "Leaks the first item of iter(x)."),
    PYZ3_FUNCTION("walk", walk, p_obj, PYZ3_T_I64, "Every container call, nothing leaked."),
    PYZ3_FUNCTION("len_in_nogil_region", len_in_nogil_region, p_obj, PYZ3_T_I64,
                  "len(x) inside a GIL-released region."),
    PYZ3_FUNCTION_FACTS("words_then_fail", words_then_fail, NULL, 0, PYZ3_T_LIST, 0, 0, NULL,
                        "Fills a list result, then fails.", PYZ3_RESULT_ELEM(PYZ3_T_STR)),
    PYZ3_FUNCTION_FACTS("words_with_a_bad_item", words_with_a_bad_item, NULL, 0, PYZ3_T_LIST, 0, 0,
                        NULL, "A list[str] result with an int item.", PYZ3_RESULT_ELEM(PYZ3_T_STR)),
};

PYZ3_PLUGIN("debug_misuse", "Mistakes debug mode catches (tests/python/test_debug_mode.py).", functions)
