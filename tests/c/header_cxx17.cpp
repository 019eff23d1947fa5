// tests/c/header_cxx17.cpp: include/pyz3.h in a C++17 plugin (-Wall -Wextra -Werror -pedantic),
// compiled by `make header-compile`. The macros use positional initialisers, so they work in
// C++ before C++20's designated initialisers.
#include "pyz3.h"

#include <cstring>

static PYZ3_FN(greet) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    return result->obj != nullptr ? PYZ3_OK : PYZ3_ERROR;
}

static const pyz3_param greet_params[] = {
    PYZ3_PARAM_DEFAULT("name", PYZ3_T_STR, "'world'"),
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("greet", greet, greet_params, PYZ3_T_STR, "Greet."),
};

PYZ3_PLUGIN("header_cxx17", "Compiles as C++17.", functions)

static_assert(sizeof(pyz3_value) == 2 * sizeof(void *), "value layout");
