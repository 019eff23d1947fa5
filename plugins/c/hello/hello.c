/* plugins/c/hello/hello.c: the sample C plugin — every ABI type, defaults, keywords, errors.
 *
 * Built by `make plugins` into build/plugins/libhello.so; loaded with pyz3.load(). It includes
 * only pyz3.h and links only libpyz3: it references no Py* symbol, so the same binary loads
 * under every supported CPython.
 */
#include <stdio.h>
#include <string.h>

#include "pyz3.h"

/* ---- arithmetic and text ------------------------------------------------------------------ */

static PYZ3_FN(add) {
    int64_t a = args[0].i64, b = args[1].i64, sum;
    if (__builtin_add_overflow(a, b, &sum))
        return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "add: result does not fit in int64");
    result->i64 = sum;
    return PYZ3_OK;
}

/* Positional-only: declared with PYZ3_FN_POSITIONAL_ONLY, so it is a plain METH_FASTCALL builtin. */
static PYZ3_FN(mul) {
    int64_t a = args[0].i64, b = args[1].i64, product;
    if (__builtin_mul_overflow(a, b, &product))
        return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "mul: result does not fit in int64");
    result->i64 = product;
    return PYZ3_OK;
}

static PYZ3_FN(greet) {
    pyz3_str name = args[0].str;
    static const char prefix[] = "hello, ";
    size_t n = sizeof(prefix) - 1 + name.len;
    char *buf = (char *)pyz3_alloc(n, 0);
    if (buf == NULL)
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "greet: out of memory");
    memcpy(buf, prefix, sizeof(prefix) - 1);
    memcpy(buf + sizeof(prefix) - 1, name.ptr, name.len);
    result->obj = pyz3_from_str(buf, n);
    pyz3_free(buf, 0);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(scale) {
    result->f64 = args[0].f64 * args[1].f64;
    return PYZ3_OK;
}

static PYZ3_FN(divide) {
    if (args[1].f64 == 0.0)
        return pyz3_raise(PYZ3_EXC_ZERO_DIVISION_ERROR, "divide: division by zero");
    result->f64 = args[0].f64 / args[1].f64;
    return PYZ3_OK;
}

static PYZ3_FN(strlen_utf8) {
    result->i64 = (int64_t)args[0].str.len;
    return PYZ3_OK;
}

static PYZ3_FN(concat) {
    pyz3_str a = args[0].bytes, b = args[1].bytes;
    char *buf = (char *)pyz3_alloc(a.len + b.len, 0);
    if (buf == NULL)
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "concat: out of memory");
    if (a.len) memcpy(buf, a.ptr, a.len);
    if (b.len) memcpy(buf + a.len, b.ptr, b.len);
    result->obj = pyz3_from_bytes(buf, a.len + b.len);
    pyz3_free(buf, 0);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* `label` has a default, `sep` is keyword-only. Returns "<label><sep><n>" or, verbose, with the
 * parity appended. */
static PYZ3_FN(describe) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%.*s%.*s%lld%s", (int)args[1].str.len, args[1].str.ptr,
                     (int)args[3].str.len, args[3].str.ptr, (long long)args[0].i64,
                     args[2].b ? (args[0].i64 % 2 ? " (odd)" : " (even)") : "");
    if (n < 0 || (size_t)n >= sizeof buf)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "describe: label too long");
    result->obj = pyz3_from_str(buf, (size_t)n);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* Optional in and out: half(None) is None. */
static PYZ3_FN(half) {
    if (call->none_mask & 1)
        return PYZ3_RETURN_NONE;
    result->f64 = args[0].f64 / 2;
    return PYZ3_OK;
}

static PYZ3_FN(nothing) { return PYZ3_OK; }

/* ---- errors ------------------------------------------------------------------------------- */

/* fail(kind, message): raises the PYZ3_EXC_* kind with the message. */
static PYZ3_FN(fail) {
    char msg[512];
    size_t n = args[1].str.len < sizeof msg - 1 ? args[1].str.len : sizeof msg - 1;
    memcpy(msg, args[1].str.ptr, n);
    msg[n] = '\0';
    return pyz3_raise(args[0].i32, msg);
}

static PYZ3_FN(lookup) {
    static const char *const names[] = {"one", "two", "three"};
    for (int64_t i = 0; i < 3; i++) {
        if (strlen(names[i]) == args[0].str.len && memcmp(names[i], args[0].str.ptr, args[0].str.len) == 0) {
            result->i64 = i + 1;
            return PYZ3_OK;
        }
    }
    return pyz3_raise_len(PYZ3_EXC_KEY_ERROR, args[0].str.ptr, args[0].str.len);
}

/* ---- every type at its limits: the identity function per type ---------------------------- */

#define ECHO(NAME, MEMBER) \
    static PYZ3_FN(NAME) { result->MEMBER = args[0].MEMBER; return PYZ3_OK; }
ECHO(echo_i8, i8)
ECHO(echo_i16, i16)
ECHO(echo_i32, i32)
ECHO(echo_i64, i64)
ECHO(echo_u8, u8)
ECHO(echo_u16, u16)
ECHO(echo_u32, u32)
ECHO(echo_u64, u64)
ECHO(echo_f32, f32)
ECHO(echo_f64, f64)
ECHO(echo_bool, b)

static PYZ3_FN(echo_str) {
    result->obj = pyz3_from_str(args[0].str.ptr, args[0].str.len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(echo_bytes) {
    result->obj = pyz3_from_bytes(args[0].bytes.ptr, args[0].bytes.len);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(echo_object) {
    pyz3_incref(args[0].obj);
    result->obj = args[0].obj;
    return PYZ3_OK;
}

/* ---- the raw convention: Python objects in, Python object out ------------------------------ */

static PYZ3_RAW_FN(raw_add) {
    int64_t a, b;
    if (pyz3_to_i64(args[0], &a) != PYZ3_OK || pyz3_to_i64(args[1], &b) != PYZ3_OK)
        return NULL;
    return pyz3_from_i64(a + b);
}

/* ---- buffers in, arrays out (plugins/c/arrays has the full tour, docs/buffers.md the guide) -- */

static PYZ3_FN(byte_sum) {
    const pyz3_buffer *data = args[0].buf;
    const uint8_t *p = PYZ3_DATA(const uint8_t, data);
    uint64_t sum = 0;
    for (size_t i = 0; i < data->len; i++) sum += p[i];
    result->u64 = sum;
    return PYZ3_OK;
}

static PYZ3_FN(iota) {
    if (args[0].i64 < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "iota: n must be non-negative");
    size_t n = (size_t)args[0].i64;
    pyz3_buffer *out = pyz3_array_new(PYZ3_T_I64, 1, &n, &result->obj);
    if (out == NULL) return PYZ3_ERROR;
    for (size_t i = 0; i < n; i++) PYZ3_DATA(int64_t, out)[i] = (int64_t)i;
    return PYZ3_OK;
}

/* ---- runtime identity: proves the plugin and the loader share one libpyz3 ----------------- */

static PYZ3_FN(runtime_id) {
    result->u64 = (uint64_t)pyz3_runtime_id();
    return PYZ3_OK;
}

/* ---- the descriptor ----------------------------------------------------------------------- */

static const pyz3_param p_add[] = {PYZ3_PARAM("a", PYZ3_T_I64), PYZ3_PARAM("b", PYZ3_T_I64)};
static const pyz3_param p_greet[] = {PYZ3_PARAM_DEFAULT("name", PYZ3_T_STR, "'world'")};
static const pyz3_param p_scale[] = {PYZ3_PARAM("x", PYZ3_T_F64), PYZ3_PARAM_DEFAULT("factor", PYZ3_T_F64, "2.0")};
static const pyz3_param p_divide[] = {PYZ3_PARAM("a", PYZ3_T_F64), PYZ3_PARAM("b", PYZ3_T_F64)};
static const pyz3_param p_str[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_concat[] = {PYZ3_PARAM("a", PYZ3_T_BYTES), PYZ3_PARAM("b", PYZ3_T_BYTES)};
static const pyz3_param p_describe[] = {
    PYZ3_PARAM("n", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("label", PYZ3_T_STR, "'n'"),
    PYZ3_PARAM_DEFAULT("verbose", PYZ3_T_BOOL, "False"),
    PYZ3_PARAM_EX("sep", PYZ3_T_STR, PYZ3_PARAM_KEYWORD_ONLY, "': '"),
};
static const pyz3_param p_half[] = {PYZ3_PARAM_EX("x", PYZ3_T_F64, PYZ3_PARAM_OPTIONAL, NULL)};
static const pyz3_param p_fail[] = {PYZ3_PARAM("kind", PYZ3_T_I32), PYZ3_PARAM_DEFAULT("message", PYZ3_T_STR, "''")};
static const pyz3_param p_lookup[] = {PYZ3_PARAM("key", PYZ3_T_STR)};
static const pyz3_param p_byte_sum[] = {PYZ3_PARAM_BUFFER("data", PYZ3_T_BYTES, 0, 0)};
static const pyz3_param p_iota[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_raw_add[] = {PYZ3_PARAM("a", PYZ3_T_OBJECT), PYZ3_PARAM("b", PYZ3_T_OBJECT)};

#define ECHO_PARAMS(NAME, TYPE) static const pyz3_param p_##NAME[] = {PYZ3_PARAM("x", TYPE)};
ECHO_PARAMS(echo_i8, PYZ3_T_I8)
ECHO_PARAMS(echo_i16, PYZ3_T_I16)
ECHO_PARAMS(echo_i32, PYZ3_T_I32)
ECHO_PARAMS(echo_i64, PYZ3_T_I64)
ECHO_PARAMS(echo_u8, PYZ3_T_U8)
ECHO_PARAMS(echo_u16, PYZ3_T_U16)
ECHO_PARAMS(echo_u32, PYZ3_T_U32)
ECHO_PARAMS(echo_u64, PYZ3_T_U64)
ECHO_PARAMS(echo_f32, PYZ3_T_F32)
ECHO_PARAMS(echo_f64, PYZ3_T_F64)
ECHO_PARAMS(echo_bool, PYZ3_T_BOOL)
ECHO_PARAMS(echo_str, PYZ3_T_STR)
ECHO_PARAMS(echo_bytes, PYZ3_T_BYTES)
ECHO_PARAMS(echo_object, PYZ3_T_OBJECT)

#define ECHO_DEF(NAME, TYPE) PYZ3_FUNCTION(#NAME, NAME, p_##NAME, TYPE, "Returns its argument unchanged.")

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("add", add, p_add, PYZ3_T_I64, "Add two integers."),
    PYZ3_FUNCTION_EX("mul", mul, p_add, 2, PYZ3_T_I64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "Multiply two integers (positional-only)."),
    PYZ3_FUNCTION("greet", greet, p_greet, PYZ3_T_STR, "Greet someone by name."),
    PYZ3_FUNCTION("scale", scale, p_scale, PYZ3_T_F64, "Multiply x by factor."),
    PYZ3_FUNCTION("divide", divide, p_divide, PYZ3_T_F64, "Divide a by b; b == 0 raises ZeroDivisionError."),
    PYZ3_FUNCTION("strlen", strlen_utf8, p_str, PYZ3_T_I64, "Length of s in UTF-8 bytes."),
    PYZ3_FUNCTION("concat", concat, p_concat, PYZ3_T_BYTES, "Concatenate two bytes objects."),
    PYZ3_FUNCTION("describe", describe, p_describe, PYZ3_T_STR, "Format n with a label; sep is keyword-only."),
    PYZ3_FUNCTION_EX("half", half, p_half, 1, PYZ3_T_F64, PYZ3_RETURN_OPTIONAL, 0, NULL,
                     "Half of x, or None when x is None."),
    PYZ3_FUNCTION_NOARGS("nothing", nothing, PYZ3_T_VOID, "Does nothing and returns None."),
    PYZ3_FUNCTION("fail", fail, p_fail, PYZ3_T_VOID, "Raise the PYZ3_EXC_* kind with the message."),
    PYZ3_FUNCTION("lookup", lookup, p_lookup, PYZ3_T_I64, "1, 2 or 3 for 'one', 'two', 'three'; KeyError otherwise."),
    ECHO_DEF(echo_i8, PYZ3_T_I8),
    ECHO_DEF(echo_i16, PYZ3_T_I16),
    ECHO_DEF(echo_i32, PYZ3_T_I32),
    ECHO_DEF(echo_i64, PYZ3_T_I64),
    ECHO_DEF(echo_u8, PYZ3_T_U8),
    ECHO_DEF(echo_u16, PYZ3_T_U16),
    ECHO_DEF(echo_u32, PYZ3_T_U32),
    ECHO_DEF(echo_u64, PYZ3_T_U64),
    ECHO_DEF(echo_f32, PYZ3_T_F32),
    ECHO_DEF(echo_f64, PYZ3_T_F64),
    ECHO_DEF(echo_bool, PYZ3_T_BOOL),
    ECHO_DEF(echo_str, PYZ3_T_STR),
    ECHO_DEF(echo_bytes, PYZ3_T_BYTES),
    ECHO_DEF(echo_object, PYZ3_T_OBJECT),
    PYZ3_FUNCTION("byte_sum", byte_sum, p_byte_sum, PYZ3_T_U64, "Sum of the bytes of a bytes-like object."),
    PYZ3_FUNCTION_ARRAY("iota", iota, p_iota, PYZ3_T_I64, 1, "0, 1, ..., n - 1 as a new int64 array."),
    PYZ3_RAW_FUNCTION("raw_add", raw_add, p_raw_add, 2, "Add two integers (raw convention)."),
    PYZ3_FUNCTION_NOARGS("runtime_id", runtime_id, PYZ3_T_U64, "pyz3_runtime_id() as this plugin sees it."),
};

PYZ3_PLUGIN("hello", "The pyz3 sample C plugin: every type, defaults, keywords and errors.", functions)
