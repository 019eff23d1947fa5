/* tests/plugins/buffers.c: the buffer and array test plugin — a view reporter per element type,
 * writers, every view path (many views, a later argument failing, optional buffers, keywords,
 * a GIL-released call), array results of every element type and misbehaving ones.
 *
 * Built into build/test-plugins/libbuffers_test.so; tests/python/test_buffers.py loads it.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pyz3.h"

/* One element of any registry element type, read as a double (bool as 0/1). */
static double element(const pyz3_buffer *b, const char *p) {
    switch (b->elem) {
    case PYZ3_T_I8: return *(const int8_t *)p;
    case PYZ3_T_I16: return *(const int16_t *)p;
    case PYZ3_T_I32: return *(const int32_t *)p;
    case PYZ3_T_I64: return (double)*(const int64_t *)p;
    case PYZ3_T_U8: return *(const uint8_t *)p;
    case PYZ3_T_U16: return *(const uint16_t *)p;
    case PYZ3_T_U32: return *(const uint32_t *)p;
    case PYZ3_T_U64: return (double)*(const uint64_t *)p;
    case PYZ3_T_F32: return *(const float *)p;
    case PYZ3_T_F64: return *(const double *)p;
    case PYZ3_T_BOOL: return *(const uint8_t *)p != 0;
    case PYZ3_T_BYTES: return *(const uint8_t *)p;
    default: return -1.0;
    }
}

/* The sum of every element, walking shape and strides (any number of dimensions). */
static double total(const pyz3_buffer *b) {
    if (b->len == 0) return 0.0;
    size_t index[PYZ3_BUF_MAX_NDIM] = {0};
    double s = 0.0;
    for (;;) {
        const char *p = (const char *)b->data;
        for (size_t d = 0; d < b->ndim; d++) p += (ptrdiff_t)index[d] * b->strides[d];
        s += element(b, p);
        size_t d = b->ndim;
        while (d > 0) {
            d--;
            if (++index[d] < b->shape[d]) break;
            index[d] = 0;
            if (d == 0) return s;
        }
        if (b->ndim == 0) return s;
    }
}

/* info(x) -> (elem, ndim, len, itemsize, readonly, contiguous, shape, strides, total):
 * everything the view says, for the tests to compare with numpy's and memoryview's answers. */
static PYZ3_FN(info) {
    const pyz3_buffer *b = args[0].buf;
    PyObject *shape[PYZ3_BUF_MAX_NDIM], *strides[PYZ3_BUF_MAX_NDIM];
    for (size_t d = 0; d < b->ndim; d++) {
        shape[d] = pyz3_from_u64(b->shape[d]);
        strides[d] = pyz3_from_i64(b->strides[d]);
    }
    PyObject *items[9] = {
        pyz3_from_i64(b->elem),
        pyz3_from_i64(b->ndim),
        pyz3_from_u64(b->len),
        pyz3_from_u64(b->itemsize),
        pyz3_from_bool(b->readonly),
        pyz3_from_bool(b->contiguous),
        pyz3_tuple_new(shape, b->ndim),
        pyz3_tuple_new(strides, b->ndim),
        pyz3_from_f64(total(b)),
    };
    result->obj = pyz3_tuple_new(items, 9);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* obj_is(x, o): is the view's `obj` the object `o`? (buffer views borrow the argument.) */
static PYZ3_FN(obj_is) {
    result->b = args[0].buf->obj == args[1].obj;
    return PYZ3_OK;
}

/* fill(x, value): every element of a writable float64 buffer of any shape and strides. */
static void fill_all(pyz3_buffer *b, double v) {
    if (b->len == 0) return;
    size_t index[PYZ3_BUF_MAX_NDIM] = {0};
    for (;;) {
        char *p = (char *)b->data;
        for (size_t d = 0; d < b->ndim; d++) p += (ptrdiff_t)index[d] * b->strides[d];
        *(double *)p = v;
        size_t d = b->ndim;
        while (d > 0) {
            d--;
            if (++index[d] < b->shape[d]) break;
            index[d] = 0;
            if (d == 0) return;
        }
        if (b->ndim == 0) return;
    }
}

static PYZ3_FN(fill) {
    fill_all(args[0].buf, args[1].f64);
    return PYZ3_OK;
}

/* fill_bytes(data, value): every byte of a writable bytes-like object. */
static PYZ3_FN(fill_bytes) {
    memset(args[0].buf->data, args[1].u8, args[0].buf->len);
    return PYZ3_OK;
}

/* then_fail(x, n): n is converted after x; a bad n must release x. Raises if n < 0. */
static PYZ3_FN(then_fail) {
    if (args[1].i64 < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "then_fail: n is negative");
    result->f64 = total(args[0].buf);
    return PYZ3_OK;
}

/* sum6(a, b, c, d, e, f): more views than the trampoline keeps on its stack. */
static PYZ3_FN(sum6) {
    double s = 0.0;
    for (int i = 0; i < 6; i++) s += total(args[i].buf);
    result->f64 = s;
    return PYZ3_OK;
}

/* maybe_len(x=None): -1 for None, else the element count. */
static PYZ3_FN(maybe_len) {
    result->i64 = (call->none_mask & 1) ? -1 : (int64_t)args[0].buf->len;
    return PYZ3_OK;
}

/* scaled_sum(x, *, factor=1.0, offset): keywords around a buffer. */
static PYZ3_FN(scaled_sum) {
    result->f64 = total(args[0].buf) * args[1].f64 + args[2].f64;
    return PYZ3_OK;
}

/* slow_sum(data, ms): sums the bytes with the GIL released, sleeping `ms` milliseconds first. */
static PYZ3_FN(slow_sum) {
    struct timespec t = {args[1].i64 / 1000, (long)(args[1].i64 % 1000) * 1000000L};
    nanosleep(&t, NULL);
    result->f64 = total(args[0].buf);
    return PYZ3_OK;
}

/* ---- array results ---------------------------------------------------------------------- */

/* ramp_<elem>(rows, cols): a new 2-D array whose element (i, j) is i * cols + j (bool: odd). */
#define RAMP(NAME, CODE, CTYPE)                                                             \
    static PYZ3_FN(NAME) {                                                                  \
        if (args[0].i64 < 0 || args[1].i64 < 0)                                             \
            return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "negative extent");                     \
        size_t shape[2] = {(size_t)args[0].i64, (size_t)args[1].i64};                       \
        pyz3_buffer *out = pyz3_array_new(CODE, 2, shape, &result->obj);                    \
        if (out == NULL) return PYZ3_ERROR;                                                 \
        CTYPE *d = PYZ3_DATA(CTYPE, out);                                                   \
        for (size_t i = 0; i < out->len; i++) d[i] = (CTYPE)(CODE == PYZ3_T_BOOL ? i % 2 : i); \
        return PYZ3_OK;                                                                     \
    }

RAMP(ramp_i8, PYZ3_T_I8, int8_t)
RAMP(ramp_i16, PYZ3_T_I16, int16_t)
RAMP(ramp_i32, PYZ3_T_I32, int32_t)
RAMP(ramp_i64, PYZ3_T_I64, int64_t)
RAMP(ramp_u8, PYZ3_T_U8, uint8_t)
RAMP(ramp_u16, PYZ3_T_U16, uint16_t)
RAMP(ramp_u32, PYZ3_T_U32, uint32_t)
RAMP(ramp_u64, PYZ3_T_U64, uint64_t)
RAMP(ramp_f32, PYZ3_T_F32, float)
RAMP(ramp_f64, PYZ3_T_F64, double)
RAMP(ramp_bool, PYZ3_T_BOOL, uint8_t)

/* ramp_np(n): 0..n-1 as float64, returned as a numpy.ndarray (PYZ3_ARRAY_NUMPY). */
static PYZ3_FN(ramp_np) {
    size_t n = (size_t)args[0].i64;
    pyz3_buffer *out = pyz3_array_new(PYZ3_T_F64, 1, &n, &result->obj);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < n; i++) PYZ3_DATA(double, out)[i] = (double)i;
    return PYZ3_OK;
}

/* Misbehaving array results: each is a plugin bug the loader reports as SystemError. */
static PYZ3_FN(array_wrong_elem) {
    size_t n = 3;
    return pyz3_array_new(PYZ3_T_I32, 1, &n, &result->obj) ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(array_null) {
    (void)args;
    return PYZ3_OK;
}

static PYZ3_FN(array_not_array) {
    result->obj = pyz3_from_i64(7);
    return PYZ3_OK;
}

/* array_then_error(): makes its array, then fails: the array must not leak. */
static PYZ3_FN(array_then_error) {
    size_t n = 1000;
    if (pyz3_array_new(PYZ3_T_F64, 1, &n, &result->obj) == NULL) return PYZ3_ERROR;
    return pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, "array_then_error: failed after making the array");
}

/* array_bad_request(kind): pyz3_array_new refuses: 0 = bytes elements, 1 = no dimensions,
 * 2 = too large. */
static PYZ3_FN(array_bad_request) {
    size_t huge[2] = {SIZE_MAX / 2, 4};
    size_t one = 1;
    pyz3_buffer *out = NULL;
    if (args[0].i64 == 0) out = pyz3_array_new(PYZ3_T_BYTES, 1, &one, &result->obj);
    else if (args[0].i64 == 1) out = pyz3_array_new(PYZ3_T_F64, 0, NULL, &result->obj);
    else out = pyz3_array_new(PYZ3_T_F64, 2, huge, &result->obj);
    return out ? PYZ3_OK : PYZ3_ERROR;
}

/* ---- the descriptor ------------------------------------------------------------------------ */

#define ANY(NAME, ELEM) PYZ3_PARAM_BUFFER(NAME, ELEM, 0, 0)

#define INFO_PARAMS(E, CODE) static const pyz3_param p_info_##E[] = {ANY("x", CODE)};
INFO_PARAMS(i8, PYZ3_T_I8)
INFO_PARAMS(i16, PYZ3_T_I16)
INFO_PARAMS(i32, PYZ3_T_I32)
INFO_PARAMS(i64, PYZ3_T_I64)
INFO_PARAMS(u8, PYZ3_T_U8)
INFO_PARAMS(u16, PYZ3_T_U16)
INFO_PARAMS(u32, PYZ3_T_U32)
INFO_PARAMS(u64, PYZ3_T_U64)
INFO_PARAMS(f32, PYZ3_T_F32)
INFO_PARAMS(f64, PYZ3_T_F64)
INFO_PARAMS(bool, PYZ3_T_BOOL)
INFO_PARAMS(bytes, PYZ3_T_BYTES)

static const pyz3_param p_info_c1[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, PYZ3_BUF_CONTIGUOUS, 1)};
static const pyz3_param p_info_w2[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, PYZ3_BUF_WRITABLE, 2)};
static const pyz3_param p_info_wbytes[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_BYTES, PYZ3_BUF_WRITABLE, 0)};
static const pyz3_param p_obj_is[] = {ANY("x", PYZ3_T_U8), PYZ3_PARAM("o", PYZ3_T_OBJECT)};
static const pyz3_param p_fill[] = {
    PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, PYZ3_BUF_WRITABLE, 0),
    PYZ3_PARAM("value", PYZ3_T_F64),
};
static const pyz3_param p_fill_bytes[] = {
    PYZ3_PARAM_BUFFER("data", PYZ3_T_BYTES, PYZ3_BUF_WRITABLE, 0),
    PYZ3_PARAM("value", PYZ3_T_U8),
};
static const pyz3_param p_then_fail[] = {ANY("x", PYZ3_T_U8), PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_sum6[] = {
    ANY("a", PYZ3_T_F64), ANY("b", PYZ3_T_F64), ANY("c", PYZ3_T_F64),
    ANY("d", PYZ3_T_F64), ANY("e", PYZ3_T_F64), ANY("f", PYZ3_T_U8),
};
static const pyz3_param p_maybe_len[] = {
    PYZ3_PARAM_BUFFER_EX("x", PYZ3_T_BYTES, 0, 0, PYZ3_PARAM_OPTIONAL, "None"),
};
static const pyz3_param p_scaled_sum[] = {
    ANY("x", PYZ3_T_F64),
    PYZ3_PARAM_EX("factor", PYZ3_T_F64, PYZ3_PARAM_KEYWORD_ONLY, "1.0"),
    PYZ3_PARAM_EX("offset", PYZ3_T_F64, PYZ3_PARAM_KEYWORD_ONLY, NULL),
};
static const pyz3_param p_slow_sum[] = {ANY("data", PYZ3_T_BYTES), PYZ3_PARAM("ms", PYZ3_T_I64)};
static const pyz3_param p_ramp[] = {PYZ3_PARAM("rows", PYZ3_T_I64), PYZ3_PARAM("cols", PYZ3_T_I64)};
static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};

#define INFO_DEF(E) PYZ3_FUNCTION("info_" #E, info, p_info_##E, PYZ3_T_OBJECT, "The view of x, as a tuple.")
#define RAMP_DEF(E) PYZ3_FUNCTION_ARRAY("ramp_" #E, ramp_##E, p_ramp, PYZ3_T_##E, 2, "A rows x cols ramp.")
#define PYZ3_T_i8 PYZ3_T_I8
#define PYZ3_T_i16 PYZ3_T_I16
#define PYZ3_T_i32 PYZ3_T_I32
#define PYZ3_T_i64 PYZ3_T_I64
#define PYZ3_T_u8 PYZ3_T_U8
#define PYZ3_T_u16 PYZ3_T_U16
#define PYZ3_T_u32 PYZ3_T_U32
#define PYZ3_T_u64 PYZ3_T_U64
#define PYZ3_T_f32 PYZ3_T_F32
#define PYZ3_T_f64 PYZ3_T_F64
#define PYZ3_T_bool PYZ3_T_BOOL

static const pyz3_function_def functions[] = {
    INFO_DEF(i8), INFO_DEF(i16), INFO_DEF(i32), INFO_DEF(i64), INFO_DEF(u8), INFO_DEF(u16),
    INFO_DEF(u32), INFO_DEF(u64), INFO_DEF(f32), INFO_DEF(f64), INFO_DEF(bool), INFO_DEF(bytes),
    PYZ3_FUNCTION("info_c1", info, p_info_c1, PYZ3_T_OBJECT, "A C-contiguous 1-D float64 view."),
    PYZ3_FUNCTION("info_w2", info, p_info_w2, PYZ3_T_OBJECT, "A writable 2-D float64 view."),
    PYZ3_FUNCTION("info_wbytes", info, p_info_wbytes, PYZ3_T_OBJECT, "A writable bytes-like view."),
    PYZ3_FUNCTION("obj_is", obj_is, p_obj_is, PYZ3_T_BOOL, "Is the view's obj o?"),
    PYZ3_FUNCTION("fill", fill, p_fill, PYZ3_T_VOID, "Set every element of x to value."),
    PYZ3_FUNCTION("fill_bytes", fill_bytes, p_fill_bytes, PYZ3_T_VOID, "Set every byte of data to value."),
    PYZ3_FUNCTION("then_fail", then_fail, p_then_fail, PYZ3_T_F64, "total(x), converting n after x."),
    PYZ3_FUNCTION("sum6", sum6, p_sum6, PYZ3_T_F64, "The total of six buffers."),
    PYZ3_FUNCTION("maybe_len", maybe_len, p_maybe_len, PYZ3_T_I64, "-1 for None, else len."),
    PYZ3_FUNCTION("scaled_sum", scaled_sum, p_scaled_sum, PYZ3_T_F64, "total(x) * factor + offset."),
    PYZ3_FUNCTION_EX("slow_sum", slow_sum, p_slow_sum, 2, PYZ3_T_F64, 0, PYZ3_FN_RELEASE_GIL, NULL,
                     "total(x) after sleeping ms milliseconds, with the GIL released."),
    RAMP_DEF(i8), RAMP_DEF(i16), RAMP_DEF(i32), RAMP_DEF(i64), RAMP_DEF(u8), RAMP_DEF(u16),
    RAMP_DEF(u32), RAMP_DEF(u64), RAMP_DEF(f32), RAMP_DEF(f64), RAMP_DEF(bool),
    PYZ3_FUNCTION_FACTS("ramp_np", ramp_np, p_n, 1, PYZ3_T_ARRAY, 0, 0, NULL, "0..n-1 as numpy.",
                        PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, PYZ3_ARRAY_NUMPY)),
    PYZ3_FUNCTION_FACTS("array_wrong_elem", array_wrong_elem, NULL, 0, PYZ3_T_ARRAY, 0, 0, NULL,
                        "Declares float64, returns int32.", PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
    PYZ3_FUNCTION_FACTS("array_null", array_null, NULL, 0, PYZ3_T_ARRAY, 0, 0, NULL,
                        "Returns PYZ3_OK without an array.", PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
    PYZ3_FUNCTION_FACTS("array_not_array", array_not_array, NULL, 0, PYZ3_T_ARRAY, 0, 0, NULL,
                        "Returns an int as its array.", PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
    PYZ3_FUNCTION_FACTS("array_then_error", array_then_error, NULL, 0, PYZ3_T_ARRAY, 0, 0, NULL,
                        "Makes an array, then raises.", PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
    PYZ3_FUNCTION_ARRAY("array_bad_request", array_bad_request, p_n, PYZ3_T_F64, 1,
                        "pyz3_array_new refuses the request."),
};

PYZ3_PLUGIN("buffers_test", "Buffer views and array results, every path.", functions)
