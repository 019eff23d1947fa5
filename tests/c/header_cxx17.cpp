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

struct Thing {
    int64_t n;
};

static PYZ3_FN(thing_init) {
    PYZ3_SELF(Thing)->n = args[1].i64;
    return PYZ3_OK;
}
static PYZ3_DEINIT(thing_deinit) { (void)state; }

static const pyz3_param thing_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param other_params[] = {PYZ3_PARAM_INSTANCE("other", 0)};
static const pyz3_function_def thing_ctor = PYZ3_CONSTRUCTOR(thing_init, thing_params);
static const pyz3_function_def thing_methods[] = {
    PYZ3_FUNCTION("same", thing_init, other_params, PYZ3_T_VOID, nullptr),
};
static const pyz3_class_def classes[] = {
    PYZ3_CLASS("Thing", "A thing.", Thing, &thing_ctor, thing_deinit, thing_methods, nullptr, 0),
};

PYZ3_PLUGIN_WITH_CLASSES("header_cxx17", "Compiles as C++17.", functions, PYZ3_COUNTOF(functions),
                         classes, PYZ3_COUNTOF(classes))

static_assert(sizeof(pyz3_value) == 2 * sizeof(void *), "value layout");
