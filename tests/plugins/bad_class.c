/* tests/plugins/bad_class.c: broken class descriptors, one per -DCASE_<NAME> (tests/classes.mk
 * builds build/test-plugins/libbad_class_<name>.so for each). test_classes.py checks that each
 * is refused with PluginLoadError naming the class and the field. Without a CASE it is a valid
 * plugin with one class. */
#include <stddef.h>

#include "pyz3.h"

typedef struct {
    PyObject *obj;
    int64_t n;
} State;

static PYZ3_FN(init) { PYZ3_SELF(State)->n = args[1].i64; return PYZ3_OK; }
static PYZ3_FN(get_n) { result->i64 = PYZ3_SELF(State)->n; return PYZ3_OK; }
static PYZ3_FN(noop) { return PYZ3_OK; }
static PYZ3_FN(count) { result->i64 = 0; return PYZ3_OK; }
static PYZ3_RAW_FN(raw_init) { return pyz3_none(); }

#define NAME "Thing"
#define STATE_ALIGN PYZ3_ALIGNOF(State)
#define STATE_SIZE sizeof(State)
#define FLAGS 0
#define RESERVED 0
#define CLASS_SIZE sizeof(pyz3_class_def)
#define CTOR (&ctor)
#define METHODS methods
#define NMETHODS PYZ3_COUNTOF(methods)
#define PROPS props
#define NPROPS PYZ3_COUNTOF(props)
#define EXPORT NULL
#define IMPORT NULL
#define FIELDS fields
#define NFIELDS 1
#define FN_NAME "count"
#define FN_FLAGS 0

#if defined(CASE_CLASS_NULL_NAME)
#undef NAME
#define NAME NULL
#elif defined(CASE_CLASS_BAD_NAME)
#undef NAME
#define NAME "two words"
#elif defined(CASE_CLASS_FUNCTION_CLASH)
#undef NAME
#define NAME "count"
#elif defined(CASE_CLASS_STATE_ALIGN)
#undef STATE_ALIGN
#define STATE_ALIGN 3
#elif defined(CASE_CLASS_BIG_ALIGN)
#undef STATE_ALIGN
#define STATE_ALIGN 64
#elif defined(CASE_CLASS_BIG_STATE)
#undef STATE_SIZE
#define STATE_SIZE ((uint32_t)PYZ3_MAX_STATE_SIZE + 1)
#elif defined(CASE_CLASS_FLAGS)
#undef FLAGS
#define FLAGS 0x100
#elif defined(CASE_CLASS_RESERVED)
#undef RESERVED
#define RESERVED 1
#elif defined(CASE_CLASS_SIZE)
#undef CLASS_SIZE
#define CLASS_SIZE 16
#elif defined(CASE_CLASS_FIELDS_NULL)
#undef FIELDS
#define FIELDS NULL
#elif defined(CASE_CLASS_FIELD_OUTSIDE)
#undef FIELDS
#define FIELDS outside_fields
#elif defined(CASE_CLASS_FIELD_UNALIGNED)
#undef FIELDS
#define FIELDS unaligned_fields
#elif defined(CASE_CLASS_FIELD_TWICE)
#undef FIELDS
#undef NFIELDS
#define FIELDS twice_fields
#define NFIELDS 2
#elif defined(CASE_CLASS_INIT_RETURNS)
#undef CTOR
#define CTOR (&ctor_returns)
#elif defined(CASE_CLASS_INIT_RAW)
#undef CTOR
#define CTOR (&ctor_raw)
#elif defined(CASE_CLASS_METHODS_NULL)
#undef METHODS
#define METHODS NULL
#elif defined(CASE_CLASS_TOO_MANY_METHODS)
#undef NMETHODS
#define NMETHODS (PYZ3_MAX_METHODS + 1)
#elif defined(CASE_CLASS_DUPLICATE_METHOD)
#undef METHODS
#undef NMETHODS
#define METHODS duplicate_methods
#define NMETHODS 2
#elif defined(CASE_CLASS_STATIC_AND_CLASS)
#undef METHODS
#define METHODS both_kinds
#elif defined(CASE_CLASS_UNKNOWN_SPECIAL)
#undef METHODS
#define METHODS unknown_special
#elif defined(CASE_CLASS_SPECIAL_ARITY)
#undef METHODS
#define METHODS special_arity
#elif defined(CASE_CLASS_SPECIAL_RESULT)
#undef METHODS
#define METHODS special_result
#elif defined(CASE_CLASS_NEXT_NOT_OPTIONAL)
#undef METHODS
#define METHODS next_not_optional
#elif defined(CASE_CLASS_SPECIAL_STATIC)
#undef METHODS
#define METHODS special_static
#elif defined(CASE_CLASS_PROPERTY_NO_GET)
#undef PROPS
#define PROPS props_no_get
#elif defined(CASE_CLASS_PROPERTY_TYPE)
#undef PROPS
#define PROPS props_void
#elif defined(CASE_CLASS_PROPERTY_CLASH)
#undef PROPS
#define PROPS props_clash
#elif defined(CASE_CLASS_EXPORT_ALONE)
#undef EXPORT
#define EXPORT (&export_def)
#elif defined(CASE_CLASS_IMPORT_MISMATCH)
#undef EXPORT
#undef IMPORT
#define EXPORT (&export_def)
#define IMPORT (&import_str)
#elif defined(CASE_CLASS_PARAM_INDEX)
#undef METHODS
#define METHODS bad_index
#elif defined(CASE_CLASS_RESULT_INDEX)
#undef METHODS
#define METHODS bad_result_index
#elif defined(CASE_CLASS_STATIC_FUNCTION)
#undef FN_FLAGS
#define FN_FLAGS PYZ3_FN_STATIC
#endif

static const pyz3_param init_params[] = {PYZ3_PARAM_DEFAULT("n", PYZ3_T_I64, "0")};
static const pyz3_function_def ctor = PYZ3_CONSTRUCTOR(init, init_params);
static const pyz3_function_def ctor_returns = PYZ3_FUNCTION("__init__", init, init_params, PYZ3_T_I64, NULL);
static const pyz3_function_def ctor_raw = PYZ3_RAW_FUNCTION("__init__", raw_init, init_params, 1, NULL);
static const pyz3_function_def methods[] = {
    PYZ3_FUNCTION_NOARGS("noop", noop, PYZ3_T_VOID, NULL),
};
static const pyz3_function_def duplicate_methods[] = {
    PYZ3_FUNCTION_NOARGS("noop", noop, PYZ3_T_VOID, NULL),
    PYZ3_FUNCTION_NOARGS("noop", noop, PYZ3_T_VOID, NULL),
};
static const pyz3_function_def both_kinds[] = {
    PYZ3_FUNCTION_EX("noop", noop, NULL, 0, PYZ3_T_VOID, 0, PYZ3_FN_STATIC | PYZ3_FN_CLASS, NULL, NULL),
};
static const pyz3_function_def unknown_special[] = {
    PYZ3_FUNCTION_NOARGS("__add__", noop, PYZ3_T_VOID, NULL),
};
static const pyz3_function_def special_arity[] = {
    PYZ3_FUNCTION("__len__", count, init_params, PYZ3_T_I64, NULL),
};
static const pyz3_function_def special_result[] = {
    PYZ3_FUNCTION_NOARGS("__repr__", count, PYZ3_T_I64, NULL),
};
static const pyz3_function_def next_not_optional[] = {
    PYZ3_FUNCTION_NOARGS("__next__", count, PYZ3_T_I64, NULL),
};
static const pyz3_function_def special_static[] = {
    PYZ3_FUNCTION_EX("__len__", count, NULL, 0, PYZ3_T_I64, 0, PYZ3_FN_STATIC, NULL, NULL),
};
static const pyz3_param bad_index_params[] = {PYZ3_PARAM_INSTANCE("other", 7)};
static const pyz3_function_def bad_index[] = {
    PYZ3_FUNCTION("noop", noop, bad_index_params, PYZ3_T_VOID, NULL),
};
static const pyz3_function_def bad_result_index[] = {
    {"copy", NULL, NULL, count, NULL, NULL, 0, PYZ3_T_INSTANCE, 0, 0, PYZ3_INSTANCE_RESULT(3)},
};
static const pyz3_property_def props[] = {
    PYZ3_PROPERTY("n", get_n, NULL, PYZ3_T_I64, NULL),
};
static const pyz3_property_def props_no_get[] = {
    PYZ3_PROPERTY("n", NULL, NULL, PYZ3_T_I64, NULL),
};
static const pyz3_property_def props_void[] = {
    PYZ3_PROPERTY("n", get_n, NULL, PYZ3_T_VOID, NULL),
};
static const pyz3_property_def props_clash[] = {
    PYZ3_PROPERTY("noop", get_n, NULL, PYZ3_T_I64, NULL),
};
static const uint32_t fields[] = {offsetof(State, obj)};
static const uint32_t outside_fields[] = {sizeof(State)};
static const uint32_t unaligned_fields[] = {3};
static const uint32_t twice_fields[] = {0, 0};
static const pyz3_function_def export_def = PYZ3_FUNCTION_NOARGS("export_state", get_n, PYZ3_T_I64, NULL);
static const pyz3_param import_str_params[] = {PYZ3_PARAM("state", PYZ3_T_STR)};
static const pyz3_function_def import_str =
    PYZ3_FUNCTION("import_state", noop, import_str_params, PYZ3_T_VOID, NULL);

static const pyz3_class_def classes[] = {
    {NAME, NULL, (uint32_t)(STATE_SIZE), (uint32_t)(STATE_ALIGN), (FLAGS), (NFIELDS), (FIELDS), CTOR,
     NULL, METHODS, (uint32_t)(NMETHODS), (uint32_t)(NPROPS), PROPS, (uint32_t)sizeof(pyz3_property_def),
     RESERVED, EXPORT, IMPORT},
#if defined(CASE_CLASS_DUPLICATE)
    {NAME, NULL, 8, 8, 0, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, (uint32_t)sizeof(pyz3_property_def), 0,
     NULL, NULL},
#endif
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_EX(FN_NAME, count, NULL, 0, PYZ3_T_I64, 0, FN_FLAGS, NULL, NULL),
};

static const pyz3_plugin descriptor = {
    PYZ3_PLUGIN_HEADER_INIT, "bad_class", NULL, functions, PYZ3_COUNTOF(functions),
    (uint32_t)sizeof(pyz3_function_def), (uint32_t)sizeof(pyz3_param), 0,
    classes, PYZ3_COUNTOF(classes), (uint32_t)(CLASS_SIZE), NULL, 0,
    (uint32_t)sizeof(pyz3_constant_def), NULL, 0, (uint32_t)sizeof(pyz3_exception_def),
};

PYZ3_EXTERN_C PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void);
PYZ3_EXTERN_C PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void) { return &descriptor; }
