/* tests/plugins/containers_cases.c: the edges of compound results, callbacks, iterators, the
 * object API, constants and exception classes (ABI 1.1), for tests/python/test_containers.py.
 *
 * Every function exists to reach one path of the loader: a tuple item of each type, a result
 * that fails part-way, a list that grows past the trampoline's stack storage, an iterator that
 * raises or misbehaves, a callback from a GIL-released function or a native thread.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pyz3.h"

/* ---- tuples -------------------------------------------------------------------------------- */

static PYZ3_FN(tuple_mixed) {
    int64_t n = args[0].i64;
    result[0].obj = pyz3_from_cstr("näme");
    result[1].i64 = n;
    result[2].b = n % 2 != 0;
    result[3].obj = pyz3_from_bytes("\x00\x01", 2);
    result[4].obj = n < 0 ? pyz3_none() : pyz3_from_i64(n * 2);
    result[5].f32 = 0.5f;
    result[6].u8 = 255;
    return PYZ3_OK;
}

/* mode 0: error after making object items; 1: None; 2: a NULL str item; 3: bytes where a str
 * goes; 4: an invalid status; 5: success with an exception set. */
static PYZ3_FN(tuple_fail) {
    result[0].obj = pyz3_from_cstr("made");
    result[1].obj = pyz3_from_bytes("made", 4);
    switch (args[0].i64) {
    case 0:
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "tuple_fail: failed after making items");
    case 1:
        return PYZ3_RETURN_NONE;
    case 2:
        pyz3_decref(result[0].obj);
        result[0].obj = NULL;
        return PYZ3_OK;
    case 3:
        pyz3_decref(result[0].obj);
        result[0].obj = pyz3_from_bytes("x", 1);
        return PYZ3_OK;
    case 4:
        return 7;
    default:
        pyz3_raise(PYZ3_EXC_KEY_ERROR, "left set");
        return PYZ3_OK;
    }
}

/* ---- lists and dicts ----------------------------------------------------------------------- */

/* [0, 1, ..., n-1] reserved as n items, then resized to m; new items are -i. */
static PYZ3_FN(list_resize) {
    size_t n = (size_t)args[0].i64, m = (size_t)args[1].i64;
    pyz3_out *out = pyz3_result_list(result, n);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < n; i++) out->items.i64[i] = (int64_t)i;
    out = pyz3_result_list(result, m);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = n; i < m; i++) out->items.i64[i] = -(int64_t)i;
    return PYZ3_OK;
}

/* As list_resize with str items "s<i>": shrinking drops the references of the items cut. */
static PYZ3_FN(str_list_resize) {
    size_t n = (size_t)args[0].i64, m = (size_t)args[1].i64;
    char buf[32];
    pyz3_out *out = pyz3_result_list(result, n);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "s%zu", i);
        if ((out->items.obj[i] = pyz3_from_cstr(buf)) == NULL) return PYZ3_ERROR;
    }
    out = pyz3_result_list(result, m);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = n; i < m; i++) {
        snprintf(buf, sizeof buf, "s%zu", i);
        if ((out->items.obj[i] = pyz3_from_cstr(buf)) == NULL) return PYZ3_ERROR;
    }
    return PYZ3_OK;
}

/* mode 0: n str items then an error; 1: a NULL item; 2: a bytes item in a list[str]. */
static PYZ3_FN(list_fail) {
    size_t n = (size_t)args[0].i64;
    pyz3_out *out = pyz3_result_list(result, n);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < n; i++)
        if ((out->items.obj[i] = pyz3_from_cstr("item")) == NULL) return PYZ3_ERROR;
    switch (args[1].i64) {
    case 0:
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "list_fail: failed after making items");
    case 1:
        pyz3_decref(out->items.obj[n - 1]);
        out->items.obj[n - 1] = NULL;
        return PYZ3_OK;
    default:
        pyz3_decref(out->items.obj[n - 1]);
        out->items.obj[n - 1] = pyz3_from_bytes("b", 1);
        return PYZ3_OK;
    }
}

static PYZ3_FN(list_u8) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.u8[i] = (uint8_t)(250 + i);
    return PYZ3_OK;
}

static PYZ3_FN(list_i16) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.i16[i] = (int16_t)(-32768 + (int)i);
    return PYZ3_OK;
}

static PYZ3_FN(list_u64) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.u64[i] = UINT64_MAX - i;
    return PYZ3_OK;
}

static PYZ3_FN(list_f32) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.f32[i] = (float)i + 0.25f;
    return PYZ3_OK;
}

static PYZ3_FN(list_bool) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.b[i] = i % 3 == 0;
    return PYZ3_OK;
}

static PYZ3_FN(list_bytes) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) {
        char c = (char)('a' + i % 26);
        if ((out->items.obj[i] = pyz3_from_bytes(&c, 1)) == NULL) return PYZ3_ERROR;
    }
    return PYZ3_OK;
}

/* list[object]: the same object n times. */
static PYZ3_FN(list_object) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[1].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) {
        pyz3_incref(args[0].obj);
        out->items.obj[i] = args[0].obj;
    }
    return PYZ3_OK;
}

/* {"k<i>": i / 2} for i < n. */
static PYZ3_FN(dict_of) {
    char buf[32];
    pyz3_out *out = pyz3_result_dict(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) {
        snprintf(buf, sizeof buf, "k%zu", i);
        if ((out->keys[i] = pyz3_from_cstr(buf)) == NULL) return PYZ3_ERROR;
        out->items.f64[i] = (double)i / 2;
    }
    return PYZ3_OK;
}

/* mode 0: a NULL key; 1: an int key; 2: a NULL str value; 3: an error after filling. */
static PYZ3_FN(dict_fail) {
    pyz3_out *out = pyz3_result_dict(result, 2);
    if (out == NULL) return PYZ3_ERROR;
    out->keys[0] = pyz3_from_cstr("a");
    out->items.obj[0] = pyz3_from_cstr("x");
    out->keys[1] = pyz3_from_cstr("b");
    out->items.obj[1] = pyz3_from_cstr("y");
    switch (args[0].i64) {
    case 0:
        pyz3_decref(out->keys[1]);
        out->keys[1] = NULL;
        return PYZ3_OK;
    case 1:
        pyz3_decref(out->keys[1]);
        out->keys[1] = pyz3_from_i64(1);
        return PYZ3_OK;
    case 2:
        pyz3_decref(out->items.obj[1]);
        out->items.obj[1] = NULL;
        return PYZ3_OK;
    default:
        return pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, "dict_fail: failed after filling");
    }
}

static PYZ3_FN(empty_list) { return PYZ3_OK; }

/* pyz3_result_list on a function whose result is an int: SystemError. */
static PYZ3_FN(not_a_list) { return pyz3_result_list(result, 1) ? PYZ3_OK : PYZ3_ERROR; }

/* A list result filled without the GIL (PYZ3_FN_RELEASE_GIL). */
static PYZ3_FN(squares_released) {
    pyz3_out *out = pyz3_result_list(result, (size_t)args[0].i64);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < out->len; i++) out->items.i64[i] = (int64_t)(i * i);
    return PYZ3_OK;
}

/* ---- iterators ----------------------------------------------------------------------------- */

typedef struct {
    size_t pos, len;
    char text[];
} words_state;

static int32_t words_next(void *state, pyz3_value *item) {
    words_state *s = (words_state *)state;
    while (s->pos < s->len && s->text[s->pos] == ' ') s->pos++;
    if (s->pos == s->len) return PYZ3_ITER_END;
    size_t start = s->pos;
    while (s->pos < s->len && s->text[s->pos] != ' ') s->pos++;
    item->obj = pyz3_from_str(s->text + start, s->pos - start);
    return item->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* The space-separated words of text, lazily: the state keeps a copy of the text. */
static PYZ3_FN(iter_words) {
    pyz3_str text = args[0].str;
    words_state *s;
    result->obj = pyz3_iterator_new(PYZ3_T_STR, sizeof *s + text.len, words_next, NULL, (void **)&s);
    if (result->obj == NULL) return PYZ3_ERROR;
    s->len = text.len;
    memcpy(s->text, text.ptr, text.len);
    return PYZ3_OK;
}

typedef struct {
    int64_t i, n, mode;
} fail_state;

static int drops;

static int32_t fail_next(void *state, pyz3_value *item) {
    fail_state *s = (fail_state *)state;
    if (s->i < s->n) {
        item->i64 = s->i++;
        return PYZ3_OK;
    }
    switch (s->mode) {
    case 0:
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "iter_fail: failed at the end");
    case 1:
        return 9;
    case 2:
        pyz3_raise(PYZ3_EXC_KEY_ERROR, "left set");
        return PYZ3_ITER_END;
    case 3:
        return PYZ3_ERROR; /* without an exception */
    default:
        return PYZ3_ITER_END;
    }
}

static void count_drop(void *state) {
    (void)state;
    drops++;
}

/* Yields 0..n-1, then ends as `mode` says (fail_next); its drop counts in iter_drops(). */
static PYZ3_FN(iter_fail) {
    fail_state *s;
    result->obj = pyz3_iterator_new(PYZ3_T_I64, sizeof *s, fail_next, count_drop, (void **)&s);
    if (result->obj == NULL) return PYZ3_ERROR;
    s->n = args[0].i64;
    s->mode = args[1].i64;
    return PYZ3_OK;
}

static PYZ3_FN(iter_drops) {
    result->i64 = drops;
    return PYZ3_OK;
}

/* Declared iterator of int64, made as an iterator of str: SystemError. */
static PYZ3_FN(iter_wrong_elem) {
    result->obj = pyz3_iterator_new(PYZ3_T_STR, 0, words_next, NULL, NULL);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

typedef struct {
    PyObject *f;
    int64_t i;
} call_state;

static int32_t call_next(void *state, pyz3_value *item) {
    call_state *s = (call_state *)state;
    if (s->i >= 3) return PYZ3_ITER_END;
    static const uint8_t types[] = {PYZ3_T_I64};
    pyz3_value arg;
    arg.i64 = s->i++;
    return pyz3_call_typed(s->f, types, &arg, 1, PYZ3_T_I64, item);
}

static void call_drop(void *state) { pyz3_decref(((call_state *)state)->f); }

/* Yields f(0), f(1), f(2); the state holds a reference to f, dropped with the iterator. */
static PYZ3_FN(iter_calls) {
    call_state *s;
    result->obj = pyz3_iterator_new(PYZ3_T_I64, sizeof *s, call_next, call_drop, (void **)&s);
    if (result->obj == NULL) return PYZ3_ERROR;
    pyz3_incref(args[0].obj);
    s->f = args[0].obj;
    return PYZ3_OK;
}

/* ---- callbacks ----------------------------------------------------------------------------- */

static PYZ3_FN(call_str) {
    static const uint8_t types[] = {PYZ3_T_STR, PYZ3_T_F64, PYZ3_T_BOOL};
    pyz3_value in[3];
    in[0].str = args[1].str;
    in[1].f64 = 1.5;
    in[2].b = true;
    return pyz3_call_typed(args[0].obj, types, in, 3, PYZ3_T_STR, result);
}

/* Calls f() and ignores its result; f is optional (None: nothing to call). */
static PYZ3_FN(call_void) {
    if (call->none_mask & 1) return PYZ3_OK;
    return pyz3_call_typed(args[0].obj, NULL, NULL, 0, PYZ3_T_VOID, NULL);
}

/* Calls f(n) with the GIL released by the loader (PYZ3_FN_RELEASE_GIL). */
static PYZ3_FN(call_released) {
    static const uint8_t types[] = {PYZ3_T_I64};
    return pyz3_call_typed(args[0].obj, types, &args[1], 1, PYZ3_T_I64, result);
}

typedef struct {
    PyObject *f;
    int64_t n, out;
    int32_t status;
    char error[128];
} thread_job;

static void *thread_main(void *arg) {
    thread_job *job = (thread_job *)arg;
    static const uint8_t types[] = {PYZ3_T_I64};
    pyz3_value in, out;
    in.i64 = job->n;
    /* A scope, so an exception the callback raises can be looked at (and cleared) here. */
    pyz3_gil gil = pyz3_gil_acquire();
    job->status = pyz3_call_typed(job->f, types, &in, 1, PYZ3_T_I64, &out);
    if (job->status == PYZ3_OK) {
        job->out = out.i64;
    } else {
        snprintf(job->error, sizeof job->error, "the callback failed on a native thread");
        pyz3_error_clear();
    }
    pyz3_gil_release(gil);
    return NULL;
}

/* Calls f(n) on a new native thread while this one waits without the GIL. */
static PYZ3_FN(call_in_thread) {
    thread_job job = {args[0].obj, args[1].i64, 0, 0, ""};
    pthread_t t;
    pyz3_nogil region = pyz3_nogil_begin();
    int rc = pthread_create(&t, NULL, thread_main, &job);
    if (rc == 0) pthread_join(t, NULL);
    pyz3_nogil_end(region);
    if (rc != 0) return pyz3_raise(PYZ3_EXC_OS_ERROR, "pthread_create failed");
    if (job.status != PYZ3_OK) return pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, job.error);
    result->i64 = job.out;
    return PYZ3_OK;
}

/* f(a, key=b) */
static PYZ3_FN(call_kw) {
    PyObject *in[2] = {args[1].obj, args[2].obj};
    static const char *const names[] = {"key"};
    result->obj = pyz3_call_kw(args[0].obj, in, 1, names, 1);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* obj.<name>(arg, sep=sep) */
static PYZ3_FN(call_method) {
    char name[64];
    size_t n = args[1].str.len < sizeof name - 1 ? args[1].str.len : sizeof name - 1;
    memcpy(name, args[1].str.ptr, n);
    name[n] = '\0';
    PyObject *in[2] = {args[2].obj, args[3].obj};
    static const char *const names[] = {"sep"};
    result->obj = pyz3_call_method(args[0].obj, name, in, 1, names, 1);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* ---- the object API ------------------------------------------------------------------------ */

static PYZ3_FN(obj_len) {
    result->i64 = pyz3_len(args[0].obj);
    return result->i64 < 0 ? PYZ3_ERROR : PYZ3_OK;
}

static PYZ3_FN(obj_getitem) {
    result->obj = pyz3_getitem(args[0].obj, args[1].obj);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(obj_getitem_index) {
    result->obj = pyz3_getitem_index(args[0].obj, (intptr_t)args[1].i64);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(obj_setitem) {
    pyz3_incref(args[2].obj); /* pyz3_setitem steals the value */
    return pyz3_setitem(args[0].obj, args[1].obj, args[2].obj);
}

/* sum(int(x) for x in iterable) through pyz3_get_iter / pyz3_next. */
static PYZ3_FN(obj_iter_sum) {
    PyObject *it = pyz3_get_iter(args[0].obj), *item;
    if (it == NULL) return PYZ3_ERROR;
    int64_t sum = 0, v;
    int32_t status;
    while ((status = pyz3_next(it, &item)) == PYZ3_OK) {
        int32_t rc = pyz3_to_i64(item, &v);
        pyz3_decref(item);
        if (rc != PYZ3_OK) {
            status = PYZ3_ERROR;
            break;
        }
        sum += v;
    }
    pyz3_decref(it);
    if (status == PYZ3_ERROR) return PYZ3_ERROR;
    result->i64 = sum;
    return PYZ3_OK;
}

/* (True, d[key]) or (False, None), through pyz3_dict_get_item. */
static PYZ3_FN(dict_get) {
    char key[64];
    size_t n = args[1].str.len < sizeof key - 1 ? args[1].str.len : sizeof key - 1;
    memcpy(key, args[1].str.ptr, n);
    key[n] = '\0';
    PyObject *value;
    int32_t status = pyz3_dict_get_item(args[0].obj, key, &value);
    if (status == PYZ3_ERROR) return PYZ3_ERROR;
    result[0].b = status == PYZ3_OK;
    result[1].obj = status == PYZ3_OK ? value : pyz3_none();
    return PYZ3_OK;
}

/* list(d.items()) through pyz3_dict_next. */
static PYZ3_FN(dict_items) {
    PyObject *list = pyz3_list_new(), *k, *v;
    if (list == NULL) return PYZ3_ERROR;
    size_t pos = 0;
    while (pyz3_dict_next(args[0].obj, &pos, &k, &v) == PYZ3_OK) {
        PyObject *pair[2] = {k, v};
        if (pyz3_list_append(list, pyz3_tuple_new(pair, 2)) != PYZ3_OK) {
            pyz3_decref(list);
            return PYZ3_ERROR;
        }
    }
    if (pyz3_error_occurred()) {
        pyz3_decref(list);
        return PYZ3_ERROR;
    }
    result->obj = list;
    return PYZ3_OK;
}

static PYZ3_FN(obj_getattr) {
    char name[64];
    size_t n = args[1].str.len < sizeof name - 1 ? args[1].str.len : sizeof name - 1;
    memcpy(name, args[1].str.ptr, n);
    name[n] = '\0';
    result->obj = pyz3_getattr(args[0].obj, name);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(obj_setattr) {
    char name[64];
    size_t n = args[1].str.len < sizeof name - 1 ? args[1].str.len : sizeof name - 1;
    memcpy(name, args[1].str.ptr, n);
    name[n] = '\0';
    pyz3_incref(args[2].obj);
    return pyz3_setattr(args[0].obj, name, args[2].obj);
}

/* Bit k set when pyz3_isinstance(x, k) for PYZ3_PY_* k = 0..12; -1 for an unknown kind 99. */
static PYZ3_FN(obj_kinds) {
    int64_t bits = 0;
    for (uint32_t k = 0; k <= PYZ3_PY_CALLABLE; k++)
        if (pyz3_isinstance(args[0].obj, k) == 1) bits |= (int64_t)1 << k;
    result->i64 = bits;
    return PYZ3_OK;
}

static PYZ3_FN(obj_kind_unknown) { return pyz3_isinstance(args[0].obj, 99) < 0 ? PYZ3_ERROR : PYZ3_OK; }

/* The raw convention with the object API: len(x) + 1. */
static PYZ3_RAW_FN(raw_len_plus_one) {
    intptr_t n = pyz3_len(args[0]);
    return n < 0 ? NULL : pyz3_from_i64((int64_t)n + 1);
}

/* ---- exception classes --------------------------------------------------------------------- */

static PYZ3_FN(raise_custom) {
    char msg[128];
    size_t n = args[1].str.len < sizeof msg - 1 ? args[1].str.len : sizeof msg - 1;
    memcpy(msg, args[1].str.ptr, n);
    msg[n] = '\0';
    return pyz3_raise_exception(call->module, (uint32_t)args[0].i64, msg);
}

/* Raises exception class 1 with the GIL released (PYZ3_FN_RELEASE_GIL). */
static PYZ3_FN(raise_released) {
    return pyz3_raise_exception_len(call->module, 1, args[0].str.ptr, args[0].str.len);
}

/* ---- the descriptor ------------------------------------------------------------------------ */

static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_mode[] = {PYZ3_PARAM("mode", PYZ3_T_I64)};
static const pyz3_param p_n_m[] = {PYZ3_PARAM("n", PYZ3_T_I64), PYZ3_PARAM("m", PYZ3_T_I64)};
static const pyz3_param p_n_mode[] = {PYZ3_PARAM("n", PYZ3_T_I64), PYZ3_PARAM("mode", PYZ3_T_I64)};
static const pyz3_param p_text[] = {PYZ3_PARAM("text", PYZ3_T_STR)};
static const pyz3_param p_obj_n[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_f[] = {PYZ3_PARAM("f", PYZ3_T_CALLABLE)};
static const pyz3_param p_f_s[] = {PYZ3_PARAM("f", PYZ3_T_CALLABLE), PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_f_n[] = {PYZ3_PARAM("f", PYZ3_T_CALLABLE), PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_f_opt[] = {PYZ3_PARAM_EX("f", PYZ3_T_CALLABLE, PYZ3_PARAM_OPTIONAL, "None")};
static const pyz3_param p_kw[] = {PYZ3_PARAM("f", PYZ3_T_CALLABLE), PYZ3_PARAM("a", PYZ3_T_OBJECT),
                                  PYZ3_PARAM("b", PYZ3_T_OBJECT)};
static const pyz3_param p_method[] = {PYZ3_PARAM("obj", PYZ3_T_OBJECT), PYZ3_PARAM("name", PYZ3_T_STR),
                                      PYZ3_PARAM("arg", PYZ3_T_OBJECT), PYZ3_PARAM("sep", PYZ3_T_OBJECT)};
static const pyz3_param p_x[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT)};
static const pyz3_param p_x_key[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("key", PYZ3_T_OBJECT)};
static const pyz3_param p_x_i[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("i", PYZ3_T_I64)};
static const pyz3_param p_x_key_value[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("key", PYZ3_T_OBJECT),
                                           PYZ3_PARAM("value", PYZ3_T_OBJECT)};
static const pyz3_param p_d_key[] = {PYZ3_PARAM("d", PYZ3_T_OBJECT), PYZ3_PARAM("key", PYZ3_T_STR)};
static const pyz3_param p_x_name[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("name", PYZ3_T_STR)};
static const pyz3_param p_x_name_value[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT), PYZ3_PARAM("name", PYZ3_T_STR),
                                            PYZ3_PARAM("value", PYZ3_T_OBJECT)};
static const pyz3_param p_index_msg[] = {PYZ3_PARAM("index", PYZ3_T_I64), PYZ3_PARAM("message", PYZ3_T_STR)};
static const pyz3_param p_msg[] = {PYZ3_PARAM("message", PYZ3_T_STR)};

static const uint8_t mixed_items[] = {PYZ3_T_STR, PYZ3_T_I64, PYZ3_T_BOOL, PYZ3_T_BYTES,
                                      PYZ3_T_OBJECT, PYZ3_T_F32, PYZ3_T_U8};
static const uint8_t str_bytes_items[] = {PYZ3_T_STR, PYZ3_T_BYTES};
static const uint8_t bool_object_items[] = {PYZ3_T_BOOL, PYZ3_T_OBJECT};

#define LIST(NAME, PARAMS, ELEM) PYZ3_FUNCTION_LIST(#NAME, NAME, PARAMS, ELEM, NULL)

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_TUPLE("tuple_mixed", tuple_mixed, p_n, mixed_items, NULL),
    PYZ3_FUNCTION_FACTS("tuple_fail", tuple_fail, p_mode, 1, PYZ3_T_TUPLE, PYZ3_RETURN_OPTIONAL, 0, NULL,
                       NULL, PYZ3_RESULT_ITEMS(str_bytes_items)),
    LIST(list_resize, p_n_m, PYZ3_T_I64),
    LIST(str_list_resize, p_n_m, PYZ3_T_STR),
    LIST(list_fail, p_n_mode, PYZ3_T_STR),
    LIST(list_u8, p_n, PYZ3_T_U8),
    LIST(list_i16, p_n, PYZ3_T_I16),
    LIST(list_u64, p_n, PYZ3_T_U64),
    LIST(list_f32, p_n, PYZ3_T_F32),
    LIST(list_bool, p_n, PYZ3_T_BOOL),
    LIST(list_bytes, p_n, PYZ3_T_BYTES),
    LIST(list_object, p_obj_n, PYZ3_T_OBJECT),
    PYZ3_FUNCTION_DICT("dict_of", dict_of, p_n, PYZ3_T_F64, NULL),
    PYZ3_FUNCTION_DICT("dict_fail", dict_fail, p_mode, PYZ3_T_STR, NULL),
    PYZ3_FUNCTION_FACTS("empty_list", empty_list, NULL, 0, PYZ3_T_LIST, 0, 0, NULL, NULL,
                       PYZ3_RESULT_ELEM(PYZ3_T_I64)),
    PYZ3_FUNCTION_NOARGS("not_a_list", not_a_list, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_FACTS("squares_released", squares_released, p_n, 1, PYZ3_T_LIST, 0, PYZ3_FN_RELEASE_GIL,
                       NULL, NULL, PYZ3_RESULT_ELEM(PYZ3_T_I64)),
    PYZ3_FUNCTION_ITER("iter_words", iter_words, p_text, PYZ3_T_STR, NULL),
    PYZ3_FUNCTION_ITER("iter_fail", iter_fail, p_n_mode, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_NOARGS("iter_drops", iter_drops, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_FACTS("iter_wrong_elem", iter_wrong_elem, NULL, 0, PYZ3_T_ITERATOR, 0, 0, NULL, NULL,
                       PYZ3_RESULT_ELEM(PYZ3_T_I64)),
    PYZ3_FUNCTION_ITER("iter_calls", iter_calls, p_f, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION("call_str", call_str, p_f_s, PYZ3_T_STR, NULL),
    PYZ3_FUNCTION_EX("call_void", call_void, p_f_opt, 1, PYZ3_T_VOID, 0, 0, NULL, NULL),
    PYZ3_FUNCTION_EX("call_released", call_released, p_f_n, 2, PYZ3_T_I64, 0, PYZ3_FN_RELEASE_GIL, NULL,
                     NULL),
    PYZ3_FUNCTION("call_in_thread", call_in_thread, p_f_n, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION("call_kw", call_kw, p_kw, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("call_method", call_method, p_method, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("obj_len", obj_len, p_x, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION("obj_getitem", obj_getitem, p_x_key, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("obj_getitem_index", obj_getitem_index, p_x_i, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("obj_setitem", obj_setitem, p_x_key_value, PYZ3_T_VOID, NULL),
    PYZ3_FUNCTION("obj_iter_sum", obj_iter_sum, p_x, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_TUPLE("dict_get", dict_get, p_d_key, bool_object_items, NULL),
    PYZ3_FUNCTION("dict_items", dict_items, p_x, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("obj_getattr", obj_getattr, p_x_name, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("obj_setattr", obj_setattr, p_x_name_value, PYZ3_T_VOID, NULL),
    PYZ3_FUNCTION("obj_kinds", obj_kinds, p_x, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION("obj_kind_unknown", obj_kind_unknown, p_x, PYZ3_T_VOID, NULL),
    PYZ3_RAW_FUNCTION("raw_len_plus_one", raw_len_plus_one, p_x, 1, NULL),
    PYZ3_FUNCTION("raise_custom", raise_custom, p_index_msg, PYZ3_T_VOID, NULL),
    PYZ3_FUNCTION_EX("raise_released", raise_released, p_msg, 1, PYZ3_T_VOID, 0, PYZ3_FN_RELEASE_GIL, NULL,
                     NULL),
};

static const pyz3_constant_def constants[] = {
    PYZ3_CONSTANT("I8_MIN", PYZ3_T_I8, "-128", NULL),
    PYZ3_CONSTANT("U64_MAX", PYZ3_T_U64, "18446744073709551615", "The largest uint64."),
    PYZ3_CONSTANT("HALF", PYZ3_T_F32, "0.5", NULL),
    PYZ3_CONSTANT("INF", PYZ3_T_F64, "1e999", NULL),
    PYZ3_CONSTANT("TWO", PYZ3_T_F64, "2", "An int literal for a float constant is a float."),
    PYZ3_CONSTANT("FLAG", PYZ3_T_BOOL, "True", NULL),
    PYZ3_CONSTANT("NAME", PYZ3_T_STR, "'näme \\'quoted\\''", NULL),
    PYZ3_CONSTANT("DATA", PYZ3_T_BYTES, "b'\\x00\\xff'", NULL),
    PYZ3_CONSTANT("NOTHING", PYZ3_T_VOID, "None", NULL),
    PYZ3_CONSTANT("PAIR", PYZ3_T_OBJECT, "(1, 'a')", NULL),
};

static const pyz3_exception_def exceptions[] = {
    PYZ3_EXCEPTION("CaseError", PYZ3_EXC_RUNTIME_ERROR, "The first exception class."),
    PYZ3_EXCEPTION("MissingError", PYZ3_EXC_KEY_ERROR, NULL),
};

PYZ3_PLUGIN_EX("containers_cases", "Edge cases of the ABI 1.1 container features.", functions, constants,
               exceptions)
