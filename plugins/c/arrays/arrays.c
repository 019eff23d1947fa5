/* plugins/c/arrays/arrays.c: the sample buffer plugin — numpy arrays, bytearray, memoryview,
 * array.array and bytes in, new arrays out, without a copy and without Python.h.
 *
 * Built by `make plugins` into build/plugins/libarrays.so (twins: libarrays_zig.so from
 * plugins/zig/arrays, libarrays_rs.so from plugins/rust/arrays_rs). docs/buffers.md is the guide.
 */
#include <pthread.h>
#include <stdint.h>

#include "pyz3.h"

/* sum_f64(x): any 1-D float64 buffer, any strides (a[::2], a[::-1]), read-only ones included. */
static PYZ3_FN(sum_f64) {
    const pyz3_buffer *x = args[0].buf;
    double s = 0.0;
    if (x->contiguous) {
        const double *d = PYZ3_DATA(double, x);
        for (size_t i = 0; i < x->len; i++) s += d[i];
    } else {
        for (size_t i = 0; i < x->shape[0]; i++) s += PYZ3_AT(double, x, i);
    }
    result->f64 = s;
    return PYZ3_OK;
}

/* scale(x, factor): x *= factor in place; x must be writable (a read-only array is refused). */
static PYZ3_FN(scale) {
    pyz3_buffer *x = args[0].buf;
    double factor = args[1].f64;
    for (size_t i = 0; i < x->shape[0]; i++) PYZ3_AT(double, x, i) *= factor;
    return PYZ3_OK;
}

/* dot(a, b): the inner product of two float64 vectors of the same length. */
static PYZ3_FN(dot) {
    const pyz3_buffer *a = args[0].buf, *b = args[1].buf;
    if (a->len != b->len)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "dot: a and b have different lengths");
    double s = 0.0;
    for (size_t i = 0; i < a->len; i++) s += PYZ3_AT(double, a, i) * PYZ3_AT(double, b, i);
    result->f64 = s;
    return PYZ3_OK;
}

/* crc32(data, value=0): zlib's CRC-32 over any C-contiguous buffer's bytes, like zlib.crc32. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static PYZ3_FN(crc32) {
    const pyz3_buffer *data = args[0].buf;
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = PYZ3_DATA(const uint8_t, data);
    uint32_t c = ~args[1].u32;
    for (size_t i = 0; i < data->len; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    result->u32 = ~c;
    return PYZ3_OK;
}

/* linspace(start, stop, n): n evenly spaced values from start to stop (inclusive), computed as
 * numpy.linspace computes them, into a new array. */
static PYZ3_FN(linspace) {
    double start = args[0].f64, stop = args[1].f64;
    int64_t n = args[2].i64;
    if (n < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "linspace: n must be non-negative");
    size_t len = (size_t)n;
    pyz3_buffer *out = pyz3_array_new(PYZ3_T_F64, 1, &len, &result->obj);
    if (out == NULL) return PYZ3_ERROR;
    double *d = PYZ3_DATA(double, out);
    double step = n > 1 ? (stop - start) / (double)(n - 1) : 0.0;
    for (size_t i = 0; i < len; i++) d[i] = (double)i * step + start;
    if (n > 1) d[len - 1] = stop;
    return PYZ3_OK;
}

/* sum_2d(m): any 2-D float64 buffer, any strides (m[:, ::2], m.T, Fortran order). */
static PYZ3_FN(sum_2d) {
    const pyz3_buffer *m = args[0].buf;
    double s = 0.0;
    for (size_t i = 0; i < m->shape[0]; i++)
        for (size_t j = 0; j < m->shape[1]; j++) s += PYZ3_AT2(double, m, i, j);
    result->f64 = s;
    return PYZ3_OK;
}

/* transpose_copy(m): a new C-contiguous array holding m's transpose. */
static PYZ3_FN(transpose_copy) {
    const pyz3_buffer *m = args[0].buf;
    size_t rows = m->shape[0], cols = m->shape[1];
    size_t shape[2] = {cols, rows};
    pyz3_buffer *out = pyz3_array_new(PYZ3_T_F64, 2, shape, &result->obj);
    if (out == NULL) return PYZ3_ERROR;
    double *d = PYZ3_DATA(double, out);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) d[j * rows + i] = PYZ3_AT2(double, m, i, j);
    return PYZ3_OK;
}

/* fill_parallel(x, value): x[:] = value from four native threads, with the GIL released; x stays
 * held (a bytearray cannot be resized meanwhile) until the call returns. */
#define FILL_THREADS 4

struct fill_part {
    pyz3_buffer *x;
    size_t begin, end;
    double value;
};

static void *fill_range(void *arg) {
    struct fill_part *part = arg;
    for (size_t i = part->begin; i < part->end; i++) PYZ3_AT(double, part->x, i) = part->value;
    return NULL;
}

static PYZ3_FN(fill_parallel) {
    pyz3_buffer *x = args[0].buf;
    size_t n = x->shape[0];
    struct fill_part parts[FILL_THREADS];
    pthread_t threads[FILL_THREADS];
    int started[FILL_THREADS] = {0};
    for (int t = 0; t < FILL_THREADS; t++) {
        parts[t] = (struct fill_part){x, n * (size_t)t / FILL_THREADS, n * (size_t)(t + 1) / FILL_THREADS,
                                      args[1].f64};
        started[t] = pthread_create(&threads[t], NULL, fill_range, &parts[t]) == 0;
        if (!started[t]) fill_range(&parts[t]);
    }
    for (int t = 0; t < FILL_THREADS; t++)
        if (started[t]) pthread_join(threads[t], NULL);
    return PYZ3_OK;
}

static const pyz3_param p_sum[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, 0, 1)};
static const pyz3_param p_scale[] = {
    PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, PYZ3_BUF_WRITABLE, 1),
    PYZ3_PARAM("factor", PYZ3_T_F64),
};
static const pyz3_param p_dot[] = {
    PYZ3_PARAM_BUFFER("a", PYZ3_T_F64, 0, 1),
    PYZ3_PARAM_BUFFER("b", PYZ3_T_F64, 0, 1),
};
static const pyz3_param p_crc32[] = {
    PYZ3_PARAM_BUFFER("data", PYZ3_T_BYTES, 0, 0),
    PYZ3_PARAM_DEFAULT("value", PYZ3_T_U32, "0"),
};
static const pyz3_param p_linspace[] = {
    PYZ3_PARAM("start", PYZ3_T_F64),
    PYZ3_PARAM("stop", PYZ3_T_F64),
    PYZ3_PARAM("n", PYZ3_T_I64),
};
static const pyz3_param p_matrix[] = {PYZ3_PARAM_BUFFER("m", PYZ3_T_F64, 0, 2)};
static const pyz3_param p_fill[] = {
    PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, PYZ3_BUF_WRITABLE, 1),
    PYZ3_PARAM("value", PYZ3_T_F64),
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("sum_f64", sum_f64, p_sum, PYZ3_T_F64,
                  "Sum of a 1-D float64 buffer (any strides, read-only accepted)."),
    PYZ3_FUNCTION("scale", scale, p_scale, PYZ3_T_VOID,
                  "Multiply a writable 1-D float64 buffer by factor, in place."),
    PYZ3_FUNCTION("dot", dot, p_dot, PYZ3_T_F64,
                  "Inner product of two 1-D float64 buffers of the same length."),
    PYZ3_FUNCTION("crc32", crc32, p_crc32, PYZ3_T_U32,
                  "CRC-32 of a bytes-like object, continuing from value (as zlib.crc32)."),
    PYZ3_FUNCTION_ARRAY("linspace", linspace, p_linspace, PYZ3_T_F64, 1,
                        "n evenly spaced float64 values from start to stop, as a new array."),
    PYZ3_FUNCTION("sum_2d", sum_2d, p_matrix, PYZ3_T_F64,
                  "Sum of a 2-D float64 buffer (any strides)."),
    PYZ3_FUNCTION_ARRAY("transpose_copy", transpose_copy, p_matrix, PYZ3_T_F64, 2,
                        "The transpose of a 2-D float64 buffer, as a new C-contiguous array."),
    PYZ3_FUNCTION_EX("fill_parallel", fill_parallel, p_fill, 2, PYZ3_T_VOID, 0, PYZ3_FN_RELEASE_GIL,
                     NULL, "Set every element of a writable 1-D float64 buffer to value, from four "
                           "native threads with the GIL released."),
};

PYZ3_PLUGIN("arrays", "Buffers in, arrays out: numpy, bytearray, memoryview, array.array, bytes.",
            functions)
