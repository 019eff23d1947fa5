/* plugins/c/pool_bench/pool_bench.c: exercises the object pool.
 *
 * small_int goes through the trampoline's pooled int conversion; small_int_obj through
 * pyz3_from_i64; the others return pooled singletons and empty containers, or interned strings.
 * keywords() has five parameters for keyword-matching workloads.
 */
#include <stdint.h>

#include "pyz3.h"

static PYZ3_FN(small_int) {
    result->i64 = args[0].i64;
    return PYZ3_OK;
}

static PYZ3_FN(small_int_obj) {
    result->obj = pyz3_from_i64(args[0].i64);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(get_none) {
    result->obj = pyz3_none();
    return PYZ3_OK;
}

static PYZ3_FN(get_true) {
    result->obj = pyz3_from_bool(true);
    return PYZ3_OK;
}

static PYZ3_FN(get_false) {
    result->obj = pyz3_from_bool(false);
    return PYZ3_OK;
}

static PYZ3_FN(empty_str) {
    result->obj = pyz3_from_str(NULL, 0);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(empty_bytes) {
    result->obj = pyz3_from_bytes(NULL, 0);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(empty_tuple) {
    result->obj = pyz3_empty_tuple();
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(keywords) {
    result->i64 = args[0].i64 + args[1].i64 + args[2].i64 + args[3].i64 + args[4].i64;
    return PYZ3_OK;
}

/* intern(s) -> the interned str with the text of s. */
static PYZ3_FN(intern) {
    char buf[256];
    if (args[0].str.len >= sizeof buf) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "intern: at most 255 bytes");
    for (size_t i = 0; i < args[0].str.len; i++) {
        if (args[0].str.ptr[i] == '\0') return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "intern: NUL in text");
        buf[i] = args[0].str.ptr[i];
    }
    buf[args[0].str.len] = '\0';
    result->obj = pyz3_intern(buf);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* intern_literal() -> the interned "pyz3_pool_key", always from the same C literal. */
static PYZ3_FN(intern_literal) {
    result->obj = pyz3_intern("pyz3_pool_key");
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static const pyz3_param p_i[] = {PYZ3_PARAM("i", PYZ3_T_I64)};
static const pyz3_param p_s[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_kw[] = {
    PYZ3_PARAM("alpha", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("beta", PYZ3_T_I64, "2"),
    PYZ3_PARAM_DEFAULT("gamma", PYZ3_T_I64, "3"),
    PYZ3_PARAM_DEFAULT("delta", PYZ3_T_I64, "4"),
    PYZ3_PARAM_DEFAULT("epsilon", PYZ3_T_I64, "5"),
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("small_int", small_int, p_i, PYZ3_T_I64, "i, through the trampoline's int conversion."),
    PYZ3_FUNCTION("small_int_obj", small_int_obj, p_i, PYZ3_T_OBJECT, "i, through pyz3_from_i64."),
    PYZ3_FUNCTION_NOARGS("get_none", get_none, PYZ3_T_OBJECT, "None, from pyz3_none()."),
    PYZ3_FUNCTION_NOARGS("get_true", get_true, PYZ3_T_OBJECT, "True, from pyz3_from_bool()."),
    PYZ3_FUNCTION_NOARGS("get_false", get_false, PYZ3_T_OBJECT, "False, from pyz3_from_bool()."),
    PYZ3_FUNCTION_NOARGS("empty_str", empty_str, PYZ3_T_STR, "'', from pyz3_from_str()."),
    PYZ3_FUNCTION_NOARGS("empty_bytes", empty_bytes, PYZ3_T_BYTES, "b'', from pyz3_from_bytes()."),
    PYZ3_FUNCTION_NOARGS("empty_tuple", empty_tuple, PYZ3_T_OBJECT, "(), from pyz3_empty_tuple()."),
    PYZ3_FUNCTION("keywords", keywords, p_kw, PYZ3_T_I64, "alpha + beta + gamma + delta + epsilon."),
    PYZ3_FUNCTION("intern", intern, p_s, PYZ3_T_OBJECT, "The interned str with the text of s."),
    PYZ3_FUNCTION_NOARGS("intern_literal", intern_literal, PYZ3_T_OBJECT, "The interned 'pyz3_pool_key'."),
};

PYZ3_PLUGIN("pool_bench", "Object-pool workloads.", functions)
