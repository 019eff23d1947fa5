/* tests/plugins/bad_plugin.c: deliberately broken plugins, one per -DCASE_<NAME>.
 *
 * The Makefile builds build/test-plugins/libbad_<name>.so for every case listed in BAD_CASES;
 * tests/python/test_load_errors.py loads each and checks the ImportError it gives. Every case
 * starts from the same valid descriptor and breaks exactly one thing.
 */
#define _DEFAULT_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "pyz3.h"

static PYZ3_FN(ok) {
    result->i64 = 1;
    return PYZ3_OK;
}

static const pyz3_param one_i64[] = {PYZ3_PARAM("x", PYZ3_T_I64)};

#if defined(CASE_UNKNOWN_TYPE)
static const pyz3_param params[] = {{"x", NULL, 99, 0, 0, 0, 0, 0, 0}};
#elif defined(CASE_VOID_PARAM)
static const pyz3_param params[] = {PYZ3_PARAM("x", PYZ3_T_VOID)};
#elif defined(CASE_BAD_DEFAULT)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_I64, "'not an int'")};
#elif defined(CASE_DEFAULT_OUT_OF_RANGE)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_U8, "256")};
#elif defined(CASE_DEFAULT_NOT_LITERAL)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_I64, "__import__('os')")};
#elif defined(CASE_DUPLICATE_PARAM)
static const pyz3_param params[] = {PYZ3_PARAM("x", PYZ3_T_I64), PYZ3_PARAM("x", PYZ3_T_I64)};
#elif defined(CASE_NULL_PARAM_NAME)
static const pyz3_param params[] = {PYZ3_PARAM(NULL, PYZ3_T_I64)};
#elif defined(CASE_DEFAULT_ORDER)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_I64, "1"), PYZ3_PARAM("y", PYZ3_T_I64)};
#elif defined(CASE_PARAM_RESERVED)
static const pyz3_param params[] = {{"x", NULL, PYZ3_T_I64, 0, 0, 0, 1, 0, 0}};
#elif defined(CASE_UNKNOWN_PARAM_FLAGS)
static const pyz3_param params[] = {PYZ3_PARAM_EX("x", PYZ3_T_I64, 0x40, NULL)};
#elif defined(CASE_DEFAULT_NONE_NOT_OPTIONAL)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_I64, "None")};
#elif defined(CASE_KWONLY_POSITIONAL_ONLY)
static const pyz3_param params[] = {PYZ3_PARAM_EX("x", PYZ3_T_I64, PYZ3_PARAM_KEYWORD_ONLY, NULL)};
#elif defined(CASE_POSITIONAL_AFTER_KWONLY)
static const pyz3_param params[] = {PYZ3_PARAM_EX("x", PYZ3_T_I64, PYZ3_PARAM_KEYWORD_ONLY, NULL),
                                    PYZ3_PARAM("y", PYZ3_T_I64)};
#elif defined(CASE_UNTERMINATED_DEFAULT)
static pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_I64, "1")}; /* patched at entry */
#elif defined(CASE_DEFAULT_ELLIPSIS)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_OBJECT, "...")};
#elif defined(CASE_DEFAULT_COMPLEX)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_OBJECT, "(1+2j)")};
#elif defined(CASE_DEFAULT_LIST)
static const pyz3_param params[] = {PYZ3_PARAM_DEFAULT("x", PYZ3_T_OBJECT, "[1, 2]")};
#else
static const pyz3_param *const params = one_i64;
#endif

#if defined(CASE_NULL_NAME)
#define FN_NAME NULL
#elif defined(CASE_EMPTY_NAME)
#define FN_NAME ""
#elif defined(CASE_BAD_IDENTIFIER)
#define FN_NAME "not-an-identifier"
#elif defined(CASE_KEYWORD_NAME)
#define FN_NAME "lambda"
#elif defined(CASE_DUNDER_NAME)
#define FN_NAME "__all__"
#elif defined(CASE_DUNDER_GETATTR)
#define FN_NAME "__getattr__"
#elif defined(CASE_NON_UTF8_NAME)
#define FN_NAME "caf\xe9"
#elif defined(CASE_UNICODE_IDENTIFIER)
#define FN_NAME "caf\xc3\xa9"
#elif defined(CASE_WILD_NAME)
#define FN_NAME ((const char *)(uintptr_t)0x1000)
#elif defined(CASE_LONG_NAME)
#define FN_NAME LONG_NAME_300
#else
#define FN_NAME "ok"
#endif

#if defined(CASE_NULL_FN)
#define FN_PTR NULL
#elif defined(CASE_WILD_FN)
#define FN_PTR ((pyz3_fn)(uintptr_t)0x1000)
#elif defined(CASE_DATA_FN)
/* A pointer into the plugin's own data: mapped and readable, but not code. */
static const unsigned char not_code[64];
#define FN_PTR ((pyz3_fn)(uintptr_t)not_code)
#else
#define FN_PTR ok
#endif

#if defined(CASE_NON_UTF8_DOC)
#define FN_DOC "A function \xff\xfe."
#else
#define FN_DOC "A function."
#endif

#if defined(CASE_TOO_MANY_PARAMS)
#define NPARAMS 65u
static pyz3_param many[65];
#undef params
#define PARAMS many
#elif defined(CASE_DUPLICATE_PARAM) || defined(CASE_DEFAULT_ORDER) || defined(CASE_POSITIONAL_AFTER_KWONLY)
#define NPARAMS 2u
#define PARAMS params
#elif defined(CASE_NULL_PARAMS)
#define NPARAMS 1u
#define PARAMS NULL
#else
#define NPARAMS 1u
#define PARAMS params
#endif

#if defined(CASE_UNKNOWN_RETURN)
#define RET 42
#else
#define RET PYZ3_T_I64
#endif

#if defined(CASE_UNKNOWN_RETURN_FLAGS)
#define RET_FLAGS 0x10
#else
#define RET_FLAGS 0
#endif

#if defined(CASE_UNKNOWN_FLAGS)
#define FLAGS 0x80
#elif defined(CASE_KWONLY_POSITIONAL_ONLY)
#define FLAGS PYZ3_FN_POSITIONAL_ONLY
#else
#define FLAGS 0
#endif

PYZ3_UNUSED static PyObject *raw_ok(PyObject *const *args, size_t nargs, const pyz3_call *call) {
    (void)args, (void)nargs, (void)call;
    return pyz3_none();
}

#if defined(CASE_LONG_NAME)
#define N10 "nnnnnnnnnn"
#define N100 N10 N10 N10 N10 N10 N10 N10 N10 N10 N10
#define LONG_NAME_300 N100 N100 N100
#endif

static pyz3_function_def functions[] = {
#if defined(CASE_BOTH_FN_AND_RAW)
    {"ok", "A function.", NULL, ok, raw_ok, NULL, 0, PYZ3_T_I64, 0, 0},
#elif defined(CASE_RAW_RELEASE_GIL)
    {"ok", "A function.", NULL, NULL, raw_ok, NULL, 0, PYZ3_T_OBJECT, 0, PYZ3_FN_RELEASE_GIL},
#elif defined(CASE_RESULT_FACTS)
    /* ret_ndim = 1 on an int64 result: only array results have dimensions. */
    {"ok", "A function.", NULL, ok, NULL, NULL, 0, PYZ3_T_I64, 0, 0, 0, 0, 1, 0, 0, 0, NULL},
#else
    PYZ3_FUNCTION_EX(FN_NAME, FN_PTR, PARAMS, NPARAMS, RET, RET_FLAGS, FLAGS, NULL, FN_DOC),
#endif
#if defined(CASE_DUPLICATE_NAME)
    PYZ3_FUNCTION_EX("ok", ok, one_i64, 1, PYZ3_T_I64, 0, 0, NULL, "The same name again."),
#endif
};

#if defined(CASE_BAD_MAGIC)
#define MAGIC 0x12345678u
#else
#define MAGIC PYZ3_ABI_MAGIC
#endif
#if defined(CASE_MAJOR_MISMATCH)
#define MAJOR (PYZ3_ABI_MAJOR + 1)
#else
#define MAJOR PYZ3_ABI_MAJOR
#endif
#if defined(CASE_NEWER_MINOR)
#define MINOR (PYZ3_ABI_MINOR + 1)
#elif defined(CASE_MAJOR_MISMATCH)
#define MINOR 0
#else
#define MINOR PYZ3_ABI_MINOR
#endif
#if !defined(CASE_SMALL_STRUCT) && !defined(CASE_HUGE_STRUCT)
#define SIZE ((uint32_t)sizeof(pyz3_plugin))
#endif
#if defined(CASE_SMALL_STRUCT)
#define SIZE 8u
#elif defined(CASE_HUGE_STRUCT)
#define SIZE (1u << 20)
#endif
#if defined(CASE_HEADER_RESERVED)
#define RESERVED 1u
#else
#define RESERVED 0u
#endif
#if defined(CASE_BAD_MODULE_NAME)
#define MODULE_NAME "bad module"
#elif defined(CASE_NULL_MODULE_NAME)
#define MODULE_NAME NULL
#else
#define MODULE_NAME "bad"
#endif
#if defined(CASE_ABSURD_COUNT)
#define COUNT 1000000u
#else
#define COUNT PYZ3_COUNTOF(functions)
#endif
#if defined(CASE_WRONG_FUNCTION_SIZE)
#define FUNCTION_SIZE 8u
#else
#define FUNCTION_SIZE ((uint32_t)sizeof(pyz3_function_def))
#endif
#if defined(CASE_WRONG_PARAM_SIZE)
#define PARAM_SIZE 4u
#else
#define PARAM_SIZE ((uint32_t)sizeof(pyz3_param))
#endif
#if defined(CASE_NULL_FUNCTIONS)
#define FUNCTIONS NULL
#elif defined(CASE_WILD_FUNCTIONS)
#define FUNCTIONS ((const pyz3_function_def *)(uintptr_t)0x10)
#else
#define FUNCTIONS functions
#endif
#if defined(CASE_DESCRIPTOR_FLAGS)
#define DESCRIPTOR_FLAGS 4u
#else
#define DESCRIPTOR_FLAGS 0u
#endif

static pyz3_plugin descriptor = {
    {MAGIC, MAJOR, MINOR, SIZE, RESERVED},
    MODULE_NAME,
    "A deliberately broken plugin.",
    FUNCTIONS,
    COUNT,
    FUNCTION_SIZE,
    PARAM_SIZE,
    DESCRIPTOR_FLAGS,
};

/* `len` bytes of 'a' (no NUL) that end where an inaccessible page begins, or NULL. */
PYZ3_UNUSED static char *unterminated(size_t len) {
    size_t page = 4096, span = (len + page - 1) / page * page;
    char *base = (char *)mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    memset(base, 'a', span);
    if (mprotect(base + span, page, PROT_NONE) != 0) return NULL;
    return base + span - len;
}

#if defined(CASE_NO_ENTRY)
/* Exports something, but not pyz3_plugin_entry. */
PYZ3_EXPORT int not_a_plugin(void);
PYZ3_EXPORT int not_a_plugin(void) { return descriptor.function_count == 0; }
#elif defined(CASE_DATA_ENTRY)
/* Exports pyz3_plugin_entry, as data: calling it would jump into the data segment. */
PYZ3_EXPORT const pyz3_plugin *const pyz3_plugin_entry = &descriptor;
#else
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void);
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void) {
#if defined(CASE_NULL_ENTRY)
    return NULL;
#elif defined(CASE_WILD_POINTER)
    return (const pyz3_plugin *)(uintptr_t)0x10;
#elif defined(CASE_UNTERMINATED_NAME)
    /* The function name runs to the end of a readable page; the next page is inaccessible. */
    if (functions[0].name == NULL || functions[0].name[0] == 'o') {
        functions[0].name = unterminated(100);
        if (functions[0].name == NULL) return NULL;
    }
    return &descriptor;
#elif defined(CASE_UNTERMINATED_DOC)
    /* A doc string of 128 KiB without a NUL, longer than PYZ3_MAX_DOC_LEN. */
    if (functions[0].doc == NULL || functions[0].doc[0] == 'A') {
        functions[0].doc = unterminated(128 * 1024);
        if (functions[0].doc == NULL) return NULL;
    }
    return &descriptor;
#elif defined(CASE_UNTERMINATED_DEFAULT)
    if (params[0].default_value[0] == '1') {
        params[0].default_value = unterminated(10);
        if (params[0].default_value == NULL) return NULL;
    }
    return &descriptor;
#elif defined(CASE_TOO_MANY_PARAMS)
    for (int i = 0; i < 65; i++) {
        static char names[65][8];
        names[i][0] = 'p';
        names[i][1] = (char)('0' + i / 10);
        names[i][2] = (char)('0' + i % 10);
        many[i].name = names[i];
        many[i].type = PYZ3_T_I64;
    }
    return &descriptor;
#elif defined(CASE_RAISE_IN_ENTRY)
    pyz3_raise(PYZ3_EXC_VALUE_ERROR, "raised by the entry point");
    return &descriptor;
#elif defined(CASE_ALTERNATING_ENTRY)
    /* A different descriptor on every call: the first names its function "ok", later ones
     * "other". The loader must use one answer for every purpose. */
    static int calls;
    static const pyz3_function_def other[] = {
        PYZ3_FUNCTION_EX("other", ok, NULL, 0, PYZ3_T_I64, 0, 0, NULL, "Another function."),
    };
    if (calls++ > 0) descriptor.functions = other;
    return &descriptor;
#else
    return &descriptor;
#endif
}
#endif

#if defined(CASE_RAISE_IN_CONSTRUCTOR)
/* A library constructor (run by dlopen) that raises a Python exception. */
__attribute__((constructor)) static void raise_at_load(void) {
    pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, "raised by a library constructor");
}
#endif
