/* tests/plugins/leaky.c: a plugin with deliberate reference leaks, for the pyz3_leak_check
 * pytest fixture's own tests (tests/python/test_pytest_plugin.py). Each leaking function has a
 * correct twin, so a test can tell "fails on a leak" from "fails on everything".
 */
#include "pyz3.h"

/* Keeps one extra reference to its argument per call. */
static PYZ3_FN(keep) {
    pyz3_incref(args[0].obj);
    return PYZ3_OK;
}

/* Returns its argument correctly (one new reference for the caller). */
static PYZ3_FN(identity) {
    pyz3_incref(args[0].obj);
    result->obj = args[0].obj;
    return PYZ3_OK;
}

/* Returns a new string and keeps an extra reference to it: one string object leaks per call. */
static PYZ3_FN(fresh_leak) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    if (result->obj == NULL)
        return PYZ3_ERROR;
    pyz3_incref(result->obj);
    return PYZ3_OK;
}

/* Returns a new string correctly. */
static PYZ3_FN(fresh) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* Raises ValueError, leaking a reference to its argument on the error path. */
static PYZ3_FN(fail_leak) {
    pyz3_incref(args[0].obj);
    return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "fail_leak: always fails");
}

/* Raises ValueError cleanly. */
static PYZ3_FN(fail_clean) {
    (void)args;
    return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "fail_clean: always fails");
}

static const pyz3_param p_obj[] = {PYZ3_PARAM("x", PYZ3_T_OBJECT)};
static const pyz3_param p_str[] = {PYZ3_PARAM("s", PYZ3_T_STR)};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("keep", keep, p_obj, PYZ3_T_VOID, "Leaks a reference to x."),
    PYZ3_FUNCTION("identity", identity, p_obj, PYZ3_T_OBJECT, "Returns x."),
    PYZ3_FUNCTION("fresh_leak", fresh_leak, p_str, PYZ3_T_STR, "Returns a copy of s and leaks it."),
    PYZ3_FUNCTION("fresh", fresh, p_str, PYZ3_T_STR, "Returns a copy of s."),
    PYZ3_FUNCTION("fail_leak", fail_leak, p_obj, PYZ3_T_VOID, "Raises ValueError, leaking a reference to x."),
    PYZ3_FUNCTION("fail_clean", fail_clean, p_obj, PYZ3_T_VOID, "Raises ValueError."),
};

PYZ3_PLUGIN("leaky", "Deliberate reference leaks, for testing pyz3_leak_check.", functions)
