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
static const pyz3_param params[] = {{"x", NULL, 99, 0, {0, 0, 0, 0, 0, 0}}};
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
#else
#define FN_NAME "ok"
#endif

#if defined(CASE_NULL_FN)
#define FN_PTR NULL
#else
#define FN_PTR ok
#endif

#if defined(CASE_TOO_MANY_PARAMS)
#define NPARAMS 65u
static pyz3_param many[65];
#undef params
#define PARAMS many
#elif defined(CASE_DUPLICATE_PARAM) || defined(CASE_DEFAULT_ORDER)
#define NPARAMS 2u
#define PARAMS params
#else
#define NPARAMS 1u
#define PARAMS params
#endif

#if defined(CASE_UNKNOWN_RETURN)
#define RET 42
#else
#define RET PYZ3_T_I64
#endif

#if defined(CASE_UNKNOWN_FLAGS)
#define FLAGS 0x80
#else
#define FLAGS 0
#endif

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_EX(FN_NAME, FN_PTR, PARAMS, NPARAMS, RET, 0, FLAGS, NULL, "A function."),
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
#else
#define MINOR PYZ3_ABI_MINOR
#endif
#if defined(CASE_SMALL_STRUCT)
#define SIZE 8u
#else
#define SIZE ((uint32_t)sizeof(pyz3_plugin))
#endif
#if defined(CASE_BAD_MODULE_NAME)
#define MODULE_NAME "bad module"
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

static pyz3_plugin descriptor = {
    {MAGIC, MAJOR, MINOR, SIZE, 0},
    MODULE_NAME,
    "A deliberately broken plugin.",
    functions,
    COUNT,
    FUNCTION_SIZE,
    (uint32_t)sizeof(pyz3_param),
    0,
};

#if defined(CASE_NO_ENTRY)
/* Exports something, but not pyz3_plugin_entry. */
PYZ3_EXPORT int not_a_plugin(void);
PYZ3_EXPORT int not_a_plugin(void) { return descriptor.function_count == 0; }
#else
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void);
PYZ3_EXPORT const pyz3_plugin *pyz3_plugin_entry(void) {
#if defined(CASE_NULL_ENTRY)
    return NULL;
#elif defined(CASE_WILD_POINTER)
    return (const pyz3_plugin *)(uintptr_t)0x10;
#elif defined(CASE_UNTERMINATED_NAME)
    /* The function name runs to the end of a readable page; the next page is inaccessible. */
    static char *page = NULL;
    if (page == NULL) {
        page = (char *)mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) return NULL;
        memset(page, 'a', 4096);
        mprotect(page + 4096, 4096, PROT_NONE);
        static pyz3_function_def fn;
        fn = functions[0];
        fn.name = page + 4096 - 100;
        descriptor.functions = &fn;
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
#else
    return &descriptor;
#endif
}
#endif
