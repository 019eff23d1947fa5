/* plugins/c/fastpath_bench/fastpath_bench.c: exercises the fast conversions.
 *
 * The return_* functions go through the loader's trampoline conversions (declared types);
 * mixed_types and benchmark_primitives call libpyz3's conversion functions themselves.
 */
#include <stdint.h>

/* No state of its own: safe to run on several threads at once on free-threaded CPython. */
#define PYZ3_PLUGIN_FLAGS PYZ3_PLUGIN_FREE_THREADED
#include "pyz3.h"

static PYZ3_FN(return_i64) {
    int64_t x = args[0].i64, twice;
    if (__builtin_mul_overflow(x, (int64_t)2, &twice))
        return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "return_i64: 2*x does not fit in int64");
    result->i64 = twice;
    return PYZ3_OK;
}

static PYZ3_FN(return_f64) {
    result->f64 = 2.0 * args[0].f64;
    return PYZ3_OK;
}

static PYZ3_FN(return_bool) {
    result->b = !args[0].b;
    return PYZ3_OK;
}

static PYZ3_FN(return_str) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* mixed_types(i, f, b, s) -> {"i": i, "f": f, "b": b, "s": s}, built with libpyz3. */
static PYZ3_FN(mixed_types) {
    PyObject *d = pyz3_dict_new();
    if (d == NULL) return PYZ3_ERROR;
    if (pyz3_dict_set(d, "i", pyz3_from_i64(args[0].i64)) != PYZ3_OK ||
        pyz3_dict_set(d, "f", pyz3_from_f64(args[1].f64)) != PYZ3_OK ||
        pyz3_dict_set(d, "b", pyz3_from_bool(args[2].b)) != PYZ3_OK ||
        pyz3_dict_set(d, "s", pyz3_from_str(args[3].str.ptr, args[3].str.len)) != PYZ3_OK) {
        pyz3_decref(d);
        return PYZ3_ERROR;
    }
    result->obj = d;
    return PYZ3_OK;
}

/* benchmark_primitives(n) -> sum(range(n)): each i makes a Python int with pyz3_from_i64 and
 * reads it back with pyz3_to_i64 before it is added. */
static PYZ3_FN(benchmark_primitives) {
    int64_t n = args[0].i64, sum = 0;
    if (n < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "benchmark_primitives: n must be >= 0");
    for (int64_t i = 0; i < n; i++) {
        PyObject *obj = pyz3_from_i64(i);
        if (obj == NULL) return PYZ3_ERROR;
        int64_t back;
        int32_t rc = pyz3_to_i64(obj, &back);
        pyz3_decref(obj);
        if (rc != PYZ3_OK) return PYZ3_ERROR;
        if (__builtin_add_overflow(sum, back, &sum))
            return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "benchmark_primitives: sum overflows int64");
    }
    result->i64 = sum;
    return PYZ3_OK;
}

/* roundtrip_f64(values) -> the same float via pyz3_to_f64/pyz3_from_f64 (raw convention). */
static PYZ3_RAW_FN(roundtrip_f64) {
    double v;
    if (pyz3_to_f64(args[0], &v) != PYZ3_OK) return NULL;
    return pyz3_from_f64(v);
}

/* roundtrip_str(s) -> the same text via pyz3_to_str/pyz3_from_str (raw convention). */
static PYZ3_RAW_FN(roundtrip_str) {
    pyz3_str s;
    if (pyz3_to_str(args[0], &s) != PYZ3_OK) return NULL;
    return pyz3_from_str(s.ptr, s.len);
}

static const pyz3_param p_i64[] = {PYZ3_PARAM("x", PYZ3_T_I64)};
static const pyz3_param p_f64[] = {PYZ3_PARAM("x", PYZ3_T_F64)};
static const pyz3_param p_bool[] = {PYZ3_PARAM("b", PYZ3_T_BOOL)};
static const pyz3_param p_str[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_obj[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT)};
static const pyz3_param p_mixed[] = {
    PYZ3_PARAM("i", PYZ3_T_I64),
    PYZ3_PARAM("f", PYZ3_T_F64),
    PYZ3_PARAM("b", PYZ3_T_BOOL),
    PYZ3_PARAM("s", PYZ3_T_STR),
};
static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("return_i64", return_i64, p_i64, PYZ3_T_I64, "2 * x."),
    PYZ3_FUNCTION("return_f64", return_f64, p_f64, PYZ3_T_F64, "2 * x."),
    PYZ3_FUNCTION("return_bool", return_bool, p_bool, PYZ3_T_BOOL, "not b."),
    PYZ3_FUNCTION("return_str", return_str, p_str, PYZ3_T_STR, "s, unchanged."),
    PYZ3_FUNCTION("mixed_types", mixed_types, p_mixed, PYZ3_T_OBJECT,
                  "A dict of the four arguments, built with libpyz3 conversions."),
    PYZ3_FUNCTION("benchmark_primitives", benchmark_primitives, p_n, PYZ3_T_I64,
                  "sum(range(n)) through n Python-object round trips."),
    PYZ3_RAW_FUNCTION("roundtrip_f64", roundtrip_f64, p_obj, 1, "x through pyz3_to_f64/pyz3_from_f64."),
    PYZ3_RAW_FUNCTION("roundtrip_str", roundtrip_str, p_obj, 1, "x through pyz3_to_str/pyz3_from_str."),
};

PYZ3_PLUGIN("fastpath_bench", "Fast-conversion workloads.", functions)
