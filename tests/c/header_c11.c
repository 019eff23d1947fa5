/* tests/c/header_c11.c: include/pyz3.h used as a plugin author would, compiled as strict C11
 * (-Wall -Wextra -Werror -pedantic) by `make header-compile`. Every macro is expanded once. */
#include "pyz3.h"

static PYZ3_FN(add) {
    result->i64 = args[0].i64 + args[1].i64;
    return PYZ3_OK;
}

static PYZ3_FN(nothing) { return PYZ3_OK; }

static PYZ3_RAW_FN(raw) { return pyz3_none(); }

static const pyz3_param add_params[] = {
    PYZ3_PARAM("a", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("b", PYZ3_T_I64, "1"),
    PYZ3_PARAM_EX("c", PYZ3_T_F64, PYZ3_PARAM_OPTIONAL | PYZ3_PARAM_KEYWORD_ONLY, "None"),
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("add", add, add_params, PYZ3_T_I64, "Add."),
    PYZ3_FUNCTION_NOARGS("nothing", nothing, PYZ3_T_VOID, NULL),
    PYZ3_FUNCTION_EX("nothing2", nothing, NULL, 0, PYZ3_T_F64, PYZ3_RETURN_OPTIONAL, PYZ3_FN_RELEASE_GIL, NULL, NULL),
    PYZ3_RAW_FUNCTION("raw", raw, add_params, 2, "Raw."),
};

PYZ3_PLUGIN("header_c11", "Compiles as C11.", functions)

/* Every exported runtime function is declared with a prototype a C compiler accepts. */
void *use_runtime(void);
void *use_runtime(void) {
    pyz3_gil g = pyz3_gil_acquire();
    pyz3_nogil r = pyz3_nogil_begin();
    pyz3_nogil_end(r);
    void *p = pyz3_alloc(16, 0);
    pyz3_free(p, 0);
    pyz3_gil_release(g);
    return (void *)(size_t)pyz3_abi_version();
}
