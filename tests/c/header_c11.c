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

/* Classes (ABI 1.1). */
typedef struct {
    int64_t n;
    PyObject *obj;
} Thing;

static PYZ3_FN(thing_init) { PYZ3_SELF(Thing)->n = args[1].i64; return PYZ3_OK; }
static PYZ3_FN(thing_n) { result->i64 = PYZ3_SELF(Thing)->n; return PYZ3_OK; }
static PYZ3_FN(make_thing) { ((Thing *)result->inst)->n = 0; return PYZ3_OK; }
static PYZ3_DEINIT(thing_deinit) { (void)state; }

static const pyz3_param thing_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param other_params[] = {PYZ3_PARAM_INSTANCE("other", 0)};
static const pyz3_function_def thing_ctor = PYZ3_CONSTRUCTOR(thing_init, thing_params);
static const pyz3_function_def thing_ctor0 = PYZ3_CONSTRUCTOR_NOARGS(thing_init);
static const pyz3_function_def thing_methods[] = {
    PYZ3_FUNCTION_NOARGS("n", thing_n, PYZ3_T_I64, NULL),
    PYZ3_STATIC_METHOD("make", make_thing, NULL, 0, PYZ3_T_I64, NULL),
    PYZ3_CLASS_METHOD("make2", make_thing, other_params, 1, PYZ3_T_I64, NULL),
};
static const pyz3_property_def thing_props[] = {
    PYZ3_PROPERTY("n", thing_n, NULL, PYZ3_T_I64, "n."),
};
static const uint32_t thing_fields[] = {offsetof(Thing, obj)};
static const pyz3_class_def classes[] = {
    PYZ3_CLASS("Thing", NULL, Thing, &thing_ctor, thing_deinit, thing_methods, thing_props, 1),
    PYZ3_CLASS_EX("Thing2", NULL, Thing, PYZ3_CLASS_FINAL | PYZ3_CLASS_WEAKREF, thing_fields, 1,
                  &thing_ctor0, NULL, thing_methods, 3, NULL, 0, NULL, NULL),
};
static const pyz3_function_def class_functions[] = {
    PYZ3_FUNCTION_INSTANCE("make_thing", make_thing, other_params, 0, NULL),
};
const pyz3_class_def *header_c11_classes(void);
const pyz3_class_def *header_c11_classes(void) { return classes; }
const pyz3_function_def *header_c11_class_functions(void);
const pyz3_function_def *header_c11_class_functions(void) { return class_functions; }

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
