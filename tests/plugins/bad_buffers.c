/* tests/plugins/bad_buffers.c: descriptors whose buffer or array facts the loader refuses, one
 * per -DCASE_* (tests/buffers.mk). Each declares one function; the refusal names its field. */
#include "pyz3.h"

static PYZ3_FN(f) { return PYZ3_OK; }

#if defined(CASE_ELEM_STR)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_STR, 0, 1)};
#elif defined(CASE_ELEM_VOID)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_VOID, 0, 1)};
#elif defined(CASE_TYPE_FLAGS)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, 0x40, 1)};
#elif defined(CASE_NDIM_65)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, 0, 65)};
#elif defined(CASE_BYTES_2D)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_BYTES, 0, 2)};
#elif defined(CASE_DEFAULT_LITERAL)
static const pyz3_param params[] = {PYZ3_PARAM_BUFFER_EX("x", PYZ3_T_BYTES, 0, 0, PYZ3_PARAM_OPTIONAL, "b'abc'")};
#else
static const pyz3_param params[] = {PYZ3_PARAM("x", PYZ3_T_I64)};
#endif

static const pyz3_function_def functions[] = {
#if defined(CASE_ARRAY_BYTES)
    PYZ3_FUNCTION_ARRAY("f", f, params, PYZ3_T_BYTES, 1, NULL),
#elif defined(CASE_ARRAY_NDIM_0)
    PYZ3_FUNCTION_ARRAY("f", f, params, PYZ3_T_F64, 0, NULL),
#elif defined(CASE_ARRAY_FLAGS)
    PYZ3_FUNCTION_FACTS("f", f, params, 1, PYZ3_T_ARRAY, 0, 0, NULL, NULL, PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0x80)),
#elif defined(CASE_ARRAY_ELEM_ON_INT)
    PYZ3_FUNCTION_FACTS("f", f, params, 1, PYZ3_T_I64, 0, 0, NULL, NULL, PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
#else
    PYZ3_FUNCTION("f", f, params, PYZ3_T_VOID, NULL),
#endif
};

PYZ3_PLUGIN("bad_buffers", NULL, functions)
