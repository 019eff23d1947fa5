/* tests/plugins/bad_containers.c: plugins with broken ABI 1.1 container facts, constants and
 * exception classes, one per -DCASE_<NAME>.
 *
 * tests/containers.mk builds build/test-plugins/libbad_<name>.so for every case in
 * CONTAINERS_BAD_CASES; tests/python/test_containers.py loads each and checks the ImportError.
 * Every case starts from the same valid descriptor and breaks exactly one thing.
 */
#include <stddef.h>
#include <stdint.h>

#include "pyz3.h"

static PYZ3_FN(ok) {
    result->i64 = 1;
    return PYZ3_OK;
}

#if defined(CASE_SEQ_ELEM_VOID)
static const pyz3_param params[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_VOID)};
#elif defined(CASE_SEQ_ELEM_COMPOUND)
static const pyz3_param params[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_LIST)};
#elif defined(CASE_DICT_ELEM_UNKNOWN)
static const pyz3_param params[] = {PYZ3_PARAM_DICT("d", 99)};
#elif defined(CASE_SEQ_DEFAULT)
static const pyz3_param params[] = {PYZ3_PARAM_ELEM_EX("xs", PYZ3_T_SEQUENCE, PYZ3_T_I64, PYZ3_PARAM_OPTIONAL, "[1]")};
#elif defined(CASE_CALLABLE_DEFAULT)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("f", PYZ3_T_CALLABLE, "1")};
#elif defined(CASE_ELEM_ON_SCALAR)
static const pyz3_param params[] = {{"x", NULL, PYZ3_T_I64, 0, PYZ3_T_I64, 0, 0, 0, 0}};
#elif defined(CASE_LIST_PARAM)
static const pyz3_param params[] = {PYZ3_PARAM_ELEM_EX("xs", PYZ3_T_LIST, PYZ3_T_I64, 0, NULL)};
#else
static const pyz3_param params[] = {PYZ3_PARAM("x", PYZ3_T_I64)};
#endif

static const uint8_t two_items[] = {PYZ3_T_I64, PYZ3_T_F64};
static const uint8_t void_item[] = {PYZ3_T_I64, PYZ3_T_VOID};
static const uint8_t many_items[65] = {PYZ3_T_I64};

static const pyz3_function_def functions[] = {
#if defined(CASE_LIST_NO_ELEM)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_LIST, 0, 0, NULL, NULL, PYZ3_NO_RESULT_FACTS),
#elif defined(CASE_ITER_ELEM_SEQUENCE)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_ITERATOR, 0, 0, NULL, NULL, PYZ3_RESULT_ELEM(PYZ3_T_SEQUENCE)),
#elif defined(CASE_TUPLE_NO_ITEMS)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_TUPLE, 0, 0, NULL, NULL, PYZ3_NO_RESULT_FACTS),
#elif defined(CASE_TUPLE_NULL_ITEMS)
    {"ok", NULL, params, ok, NULL, NULL, 1, PYZ3_T_TUPLE, 0, 0, 0, 0, 0, 0, 0, 2, NULL},
#elif defined(CASE_TUPLE_VOID_ITEM)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_TUPLE, 0, 0, NULL, NULL, PYZ3_RESULT_ITEMS(void_item)),
#elif defined(CASE_TUPLE_TOO_MANY)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_TUPLE, 0, 0, NULL, NULL, PYZ3_RESULT_ITEMS(many_items)),
#elif defined(CASE_ITEMS_ON_LIST)
    {"ok", NULL, params, ok, NULL, NULL, 1, PYZ3_T_LIST, 0, 0, PYZ3_T_I64, 0, 0, 0, 0, 2, two_items},
#elif defined(CASE_SEQUENCE_RESULT)
    PYZ3_FUNCTION_FACTS("ok", ok, params, 1, PYZ3_T_SEQUENCE, 0, 0, NULL, NULL, PYZ3_RESULT_ELEM(PYZ3_T_I64)),
#else
    PYZ3_FUNCTION("ok", ok, params, PYZ3_T_I64, "A function."),
#endif
};

#define LITERAL_OK "1"
static const pyz3_constant_def constants[] = {
#if defined(CASE_CONSTANT_NOT_LITERAL)
    PYZ3_CONSTANT("C", PYZ3_T_I64, "__import__('os')", NULL),
#elif defined(CASE_CONSTANT_WRONG_TYPE)
    PYZ3_CONSTANT("C", PYZ3_T_I64, "'one'", NULL),
#elif defined(CASE_CONSTANT_OUT_OF_RANGE)
    PYZ3_CONSTANT("C", PYZ3_T_U8, "256", NULL),
#elif defined(CASE_CONSTANT_BOOL_FOR_INT)
    PYZ3_CONSTANT("C", PYZ3_T_I64, "True", NULL),
#elif defined(CASE_CONSTANT_NOT_NONE)
    PYZ3_CONSTANT("C", PYZ3_T_VOID, "0", NULL),
#elif defined(CASE_CONSTANT_NULL_VALUE)
    PYZ3_CONSTANT("C", PYZ3_T_I64, NULL, NULL),
#elif defined(CASE_CONSTANT_COMPOUND_TYPE)
    PYZ3_CONSTANT("C", PYZ3_T_LIST, "[1]", NULL),
#elif defined(CASE_CONSTANT_DUNDER)
    PYZ3_CONSTANT("__doc__", PYZ3_T_STR, "'x'", NULL),
#elif defined(CASE_CONSTANT_NAME_CLASH)
    PYZ3_CONSTANT("ok", PYZ3_T_I64, LITERAL_OK, NULL),
#elif defined(CASE_CONSTANT_RESERVED)
    {"C", NULL, LITERAL_OK, PYZ3_T_I64, {0, 0, 1, 0, 0, 0, 0}},
#elif defined(CASE_CONSTANT_BAD_NAME)
    PYZ3_CONSTANT("not a name", PYZ3_T_I64, LITERAL_OK, NULL),
#else
    PYZ3_CONSTANT("C", PYZ3_T_I64, LITERAL_OK, NULL),
#endif
};

static const pyz3_exception_def exceptions[] = {
#if defined(CASE_EXCEPTION_BAD_BASE)
    PYZ3_EXCEPTION("E", 99, NULL),
#elif defined(CASE_EXCEPTION_NAME_CLASH)
    PYZ3_EXCEPTION("C", PYZ3_EXC_VALUE_ERROR, NULL),
#elif defined(CASE_EXCEPTION_RESERVED)
    {"E", NULL, PYZ3_EXC_VALUE_ERROR, 1},
#elif defined(CASE_EXCEPTION_KEYWORD)
    PYZ3_EXCEPTION("class", PYZ3_EXC_VALUE_ERROR, NULL),
#else
    PYZ3_EXCEPTION("E", PYZ3_EXC_VALUE_ERROR, NULL),
#endif
};

#if defined(CASE_CONSTANTS_NULL)
PYZ3_PLUGIN_SECTIONS("bad", NULL, functions, 1, NULL, 0, NULL, 2, exceptions, 1)
#elif defined(CASE_EXCEPTION_SIZE)
static const pyz3_plugin pyz3_plugin_descriptor_ = {
    PYZ3_PLUGIN_HEADER_INIT, "bad", NULL, functions, 1, (uint32_t)sizeof(pyz3_function_def),
    (uint32_t)sizeof(pyz3_param), 0, NULL, 0, (uint32_t)sizeof(pyz3_class_def), constants, 1,
    (uint32_t)sizeof(pyz3_constant_def), exceptions, 1, 4};
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void);
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void) { return &pyz3_plugin_descriptor_; }
#else
PYZ3_PLUGIN_EX("bad", NULL, functions, constants, exceptions)
#endif
