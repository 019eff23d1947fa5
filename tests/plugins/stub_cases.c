/* tests/plugins/stub_cases.c: signatures that are awkward to write as stubs, for the CLI tests
 * (tests/python/test_cli.py): functions named like the types in annotations, a positional-only
 * function whose default has no literal (inf), keyword-only bytes, an optional return, a
 * GIL-releasing function and doc strings holding quotes and backslashes.
 */
#include <string.h>

#include "pyz3.h"

static PYZ3_FN(int_of) {
    result->i64 = (int64_t)args[0].str.len;
    return PYZ3_OK;
}

static PYZ3_FN(any_of) {
    pyz3_incref(args[0].obj);
    result->obj = args[0].obj;
    return PYZ3_OK;
}

static PYZ3_FN(clamp) {
    result->f64 = args[0].f64 > args[1].f64 ? args[1].f64 : args[0].f64;
    return PYZ3_OK;
}

static PYZ3_FN(maybe) {
    if (!args[0].b)
        return PYZ3_RETURN_NONE;
    result->i64 = 1;
    return PYZ3_OK;
}

static PYZ3_FN(tagged) {
    result->i64 = args[0].i64 + (int64_t)args[1].bytes.len;
    return PYZ3_OK;
}

static PYZ3_FN(twice) {
    result->f64 = 2 * args[0].f64;
    return PYZ3_OK;
}

static const pyz3_param p_int[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_any[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT)};
static const pyz3_param p_clamp[] = {PYZ3_PARAM("x", PYZ3_T_F64), PYZ3_PARAM_DEFAULT("limit", PYZ3_T_F64, "1e999")};
static const pyz3_param p_maybe[] = {PYZ3_PARAM("flag", PYZ3_T_BOOL)};
static const pyz3_param p_tagged[] = {
    PYZ3_PARAM("n", PYZ3_T_I64),
    PYZ3_PARAM_EX("tag", PYZ3_T_BYTES, PYZ3_PARAM_KEYWORD_ONLY, "b'x'"),
};
static const pyz3_param p_twice[] = {PYZ3_PARAM("x", PYZ3_T_F64)};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("int", int_of, p_int, PYZ3_T_I64, "Length of s: a function named like a type."),
    PYZ3_FUNCTION("Any", any_of, p_any, PYZ3_T_OBJECT, "Returns x."),
    PYZ3_FUNCTION_EX("clamp", clamp, p_clamp, 2, PYZ3_T_F64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "min(x, limit); positional-only, default infinity."),
    PYZ3_FUNCTION_EX("maybe", maybe, p_maybe, 1, PYZ3_T_I64, PYZ3_RETURN_OPTIONAL, 0, NULL,
                     "1 when flag, else None."),
    PYZ3_FUNCTION("tagged", tagged, p_tagged, PYZ3_T_I64, "Doc with \"\"\"triple\"\"\" quotes, a \\ backslash, ending \"quoted\""),
    PYZ3_FUNCTION_EX("twice", twice, p_twice, 1, PYZ3_T_F64, 0, PYZ3_FN_RELEASE_GIL, NULL, NULL),
};

PYZ3_PLUGIN("stub_cases", "Signatures that are awkward to write as stubs.", functions)
