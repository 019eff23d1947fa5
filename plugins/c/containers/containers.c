/* plugins/c/containers/containers.c: the sample C plugin for containers, callbacks, iterators,
 * module constants and the plugin's own exception class.
 *
 * Built by `make plugins` into build/plugins/libcontainers.so. Each function's Python
 * reference (what tests/python/test_containers.py compares it with) is in its doc string. It
 * includes only pyz3.h and links only libpyz3: no Py* symbol.
 */
#include <stdint.h>
#include <string.h>

#include "pyz3.h"

#define MAX_WORDS 1000000
#define STR(X) #X
#define XSTR(X) STR(X)

/* The index of ParseError in `exceptions` (at the end of this file). */
enum { PARSE_ERROR = 0 };

/* ---- sequences in, numbers out ------------------------------------------------------------ */

static PYZ3_FN(sum_list) {
    const pyz3_seq *xs = args[0].seq;
    int64_t sum = 0;
    for (size_t i = 0; i < xs->len; i++) {
        if (__builtin_add_overflow(sum, xs->items.i64[i], &sum))
            return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "sum_list: the sum does not fit in int64");
    }
    result->i64 = sum;
    return PYZ3_OK;
}

/* A tuple result: `result` points to one pyz3_value per item. */
static PYZ3_FN(minmax) {
    const pyz3_seq *xs = args[0].seq;
    if (xs->len == 0)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "minmax: empty sequence");
    double lo = xs->items.f64[0], hi = lo;
    for (size_t i = 1; i < xs->len; i++) {
        double x = xs->items.f64[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    result[0].f64 = lo;
    result[1].f64 = hi;
    return PYZ3_OK;
}

/* ---- splitting text ------------------------------------------------------------------------ */

/* The length of the code point at s[0..n) if it is whitespace by str.split()'s rule, else 0. */
static size_t space_at(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80)
        return (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) ? 1 : 0;
    if (c == 0xC2 && n >= 2)
        return (s[1] == 0x85 || s[1] == 0xA0) ? 2 : 0;
    if (c == 0xE1 && n >= 3)
        return (s[1] == 0x9A && s[2] == 0x80) ? 3 : 0; /* U+1680 */
    if (c == 0xE2 && n >= 3) {
        if (s[1] == 0x80)                               /* U+2000..200A, 2028, 2029, 202F */
            return (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) ? 3 : 0;
        return (s[1] == 0x81 && s[2] == 0x9F) ? 3 : 0; /* U+205F */
    }
    if (c == 0xE3 && n >= 3)
        return (s[1] == 0x80 && s[2] == 0x80) ? 3 : 0; /* U+3000 */
    return 0;
}

/* The next word of text[*pos..len) as (start, length), advancing *pos; 0 when there is none. */
static int next_word(pyz3_str text, size_t *pos, size_t *start, size_t *length) {
    const unsigned char *s = (const unsigned char *)text.ptr;
    size_t i = *pos, k;
    while (i < text.len && (k = space_at(s + i, text.len - i)) != 0)
        i += k;
    if (i == text.len) {
        *pos = i;
        return 0;
    }
    *start = i;
    while (i < text.len && space_at(s + i, text.len - i) == 0)
        i++;
    *length = i - *start;
    *pos = i;
    return 1;
}

static size_t count_words(pyz3_str text) {
    size_t pos = 0, start, length, n = 0;
    while (next_word(text, &pos, &start, &length))
        n++;
    return n;
}

static int32_t too_many_words(void) {
    return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "more than MAX_WORDS (" XSTR(MAX_WORDS) ") words");
}

/* A list result: pyz3_result_list gives room for the items; str items are new references. */
static PYZ3_FN(split_words) {
    pyz3_str text = args[0].str;
    size_t n = count_words(text);
    if (n > MAX_WORDS)
        return too_many_words();
    pyz3_out *out = pyz3_result_list(result, n);
    if (out == NULL)
        return PYZ3_ERROR;
    size_t pos = 0, start, length;
    for (size_t i = 0; next_word(text, &pos, &start, &length); i++) {
        out->items.obj[i] = pyz3_from_str(text.ptr + start, length);
        if (out->items.obj[i] == NULL)
            return PYZ3_ERROR; /* the loader drops the items made so far */
    }
    return PYZ3_OK;
}

/* ---- counting words: a small open-addressing table keyed by the word's bytes --------------- */

typedef struct {
    const char *ptr;
    size_t len;
    int64_t count;
    size_t order; /* first occurrence, so the dict keeps text.split()'s order */
} entry;

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static PYZ3_FN(word_counts) {
    pyz3_str text = args[0].str;
    size_t n = count_words(text);
    if (n > MAX_WORDS)
        return too_many_words();
    size_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    entry stack[16];
    entry *table = cap <= 16 ? stack : (entry *)pyz3_calloc(cap, sizeof(entry), 0);
    if (table == NULL)
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "word_counts: out of memory");
    if (table == stack)
        memset(stack, 0, sizeof stack);
    size_t unique = 0, pos = 0, start, length;
    while (next_word(text, &pos, &start, &length)) {
        const char *w = text.ptr + start;
        size_t slot = hash_bytes(w, length) & (cap - 1);
        while (table[slot].ptr != NULL && !(table[slot].len == length && memcmp(table[slot].ptr, w, length) == 0))
            slot = (slot + 1) & (cap - 1);
        if (table[slot].ptr == NULL) {
            table[slot] = (entry){w, length, 0, unique++};
        }
        table[slot].count++;
    }
    int32_t status = PYZ3_OK;
    pyz3_out *out = pyz3_result_dict(result, unique);
    if (out == NULL) {
        status = PYZ3_ERROR;
    } else {
        for (size_t s = 0; s < cap; s++) {
            if (table[s].ptr == NULL)
                continue;
            size_t i = table[s].order;
            out->keys[i] = pyz3_from_str(table[s].ptr, table[s].len);
            out->items.i64[i] = table[s].count;
            if (out->keys[i] == NULL) {
                status = PYZ3_ERROR;
                break;
            }
        }
    }
    if (table != stack)
        pyz3_free(table, 0);
    return status;
}

/* ---- dicts in ------------------------------------------------------------------------------ */

static PYZ3_FN(lookup) {
    size_t i;
    if (pyz3_dict_find(args[0].dict, args[1].str.ptr, args[1].str.len, &i) == PYZ3_OK)
        result->i64 = args[0].dict->values.i64[i];
    else
        result->i64 = args[2].i64;
    return PYZ3_OK;
}

/* ---- callbacks ----------------------------------------------------------------------------- */

/* f is called with one int64 and must return an int64; its exceptions propagate unchanged. */
static PYZ3_FN(apply) {
    PyObject *f = args[0].obj;
    const pyz3_seq *xs = args[1].seq;
    pyz3_out *out = pyz3_result_list(result, xs->len);
    if (out == NULL)
        return PYZ3_ERROR;
    static const uint8_t arg_types[] = {PYZ3_T_I64};
    for (size_t i = 0; i < xs->len; i++) {
        pyz3_value arg, ret;
        arg.i64 = xs->items.i64[i];
        if (pyz3_call_typed(f, arg_types, &arg, 1, PYZ3_T_I64, &ret) != PYZ3_OK)
            return PYZ3_ERROR;
        out->items.i64[i] = ret.i64;
    }
    return PYZ3_OK;
}

/* ---- iterators ----------------------------------------------------------------------------- */

typedef struct {
    int64_t next, stop;
} count_state;

static int32_t count_next(void *state, pyz3_value *item) {
    count_state *s = (count_state *)state;
    if (s->next >= s->stop)
        return PYZ3_ITER_END;
    item->i64 = s->next++;
    return PYZ3_OK;
}

static PYZ3_FN(count_up) {
    count_state *s;
    result->obj = pyz3_iterator_new(PYZ3_T_I64, sizeof *s, count_next, NULL, (void **)&s);
    if (result->obj == NULL)
        return PYZ3_ERROR;
    s->next = 0;
    s->stop = args[0].i64;
    return PYZ3_OK;
}

/* ---- the plugin's own exception ------------------------------------------------------------ */

static int32_t parse_error(const pyz3_call *call, const char *what, const char *at, size_t n) {
    char msg[160];
    size_t k = strlen(what);
    if (n > sizeof msg - k - 3)
        n = sizeof msg - k - 3;
    memcpy(msg, what, k);
    msg[k++] = '\'';
    memcpy(msg + k, at, n);
    k += n;
    msg[k++] = '\'';
    return pyz3_raise_exception_len(call->module, PARSE_ERROR, msg, k);
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Parses "key=value" pairs separated by commas (blanks around keys and values ignored) into a
 * dict[str, int]; malformed text raises containers.ParseError. */
static PYZ3_FN(parse_pairs) {
    pyz3_str text = args[0].str;
    size_t n = 0;
    for (size_t i = 0; i < text.len; i++)
        n += text.ptr[i] == ',';
    int blank = 1;
    for (size_t i = 0; i < text.len && blank; i++)
        blank = is_blank(text.ptr[i]);
    if (blank)
        return pyz3_result_dict(result, 0) ? PYZ3_OK : PYZ3_ERROR;
    pyz3_out *out = pyz3_result_dict(result, n + 1);
    if (out == NULL)
        return PYZ3_ERROR;
    const char *p = text.ptr, *end = text.ptr + text.len;
    for (size_t i = 0; i <= n; i++) {
        const char *stop = memchr(p, ',', (size_t)(end - p));
        if (stop == NULL)
            stop = end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq == NULL)
            return parse_error(call, "expected key=value, got ", p, (size_t)(stop - p));
        const char *k0 = p, *k1 = eq;
        while (k0 < k1 && is_blank(*k0)) k0++;
        while (k1 > k0 && is_blank(k1[-1])) k1--;
        if (k0 == k1)
            return parse_error(call, "empty key in ", p, (size_t)(stop - p));
        const char *v = eq + 1, *v1 = stop;
        while (v < v1 && is_blank(*v)) v++;
        while (v1 > v && is_blank(v1[-1])) v1--;
        int negative = v < v1 && (*v == '-' || *v == '+') ? (*v++ == '-') : 0;
        if (v == v1)
            return parse_error(call, "expected an integer value, got ", eq + 1, (size_t)(stop - eq - 1));
        uint64_t magnitude = 0;
        for (const char *d = v; d < v1; d++) {
            if (*d < '0' || *d > '9')
                return parse_error(call, "expected an integer value, got ", eq + 1, (size_t)(stop - eq - 1));
            if (magnitude > (UINT64_MAX - 9) / 10)
                return parse_error(call, "value out of range for int64: ", eq + 1, (size_t)(stop - eq - 1));
            magnitude = magnitude * 10 + (uint64_t)(*d - '0');
        }
        if (magnitude > (uint64_t)INT64_MAX + (uint64_t)negative)
            return parse_error(call, "value out of range for int64: ", eq + 1, (size_t)(stop - eq - 1));
        out->keys[i] = pyz3_from_str(k0, (size_t)(k1 - k0));
        if (out->keys[i] == NULL)
            return PYZ3_ERROR;
        out->items.i64[i] = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
        p = stop + 1;
    }
    return PYZ3_OK;
}

/* ---- the descriptor ------------------------------------------------------------------------ */

static const pyz3_param sum_list_params[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_I64)};
static const pyz3_param minmax_params[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_F64)};
static const pyz3_param text_params[] = {PYZ3_PARAM("text", PYZ3_T_STR)};
static const pyz3_param lookup_params[] = {
    PYZ3_PARAM_DICT("d", PYZ3_T_I64),
    PYZ3_PARAM("key", PYZ3_T_STR),
    PYZ3_PARAM_DEFAULT("default", PYZ3_T_I64, "-1"),
};
static const pyz3_param apply_params[] = {
    PYZ3_PARAM("f", PYZ3_T_CALLABLE),
    PYZ3_PARAM_SEQ("xs", PYZ3_T_I64),
};
static const pyz3_param count_up_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const uint8_t minmax_items[] = {PYZ3_T_F64, PYZ3_T_F64};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("sum_list", sum_list, sum_list_params, PYZ3_T_I64,
                  "The sum of xs, a sequence of int64: sum(xs). OverflowError when it does not fit."),
    PYZ3_FUNCTION_TUPLE("minmax", minmax, minmax_params, minmax_items,
                        "(min(xs), max(xs)) of a sequence of floats; ValueError when xs is empty."),
    PYZ3_FUNCTION_LIST("split_words", split_words, text_params, PYZ3_T_STR,
                       "The words of text: text.split()."),
    PYZ3_FUNCTION_DICT("word_counts", word_counts, text_params, PYZ3_T_I64,
                       "How often each word occurs: dict(collections.Counter(text.split()))."),
    PYZ3_FUNCTION("lookup", lookup, lookup_params, PYZ3_T_I64, "d.get(key, default)."),
    PYZ3_FUNCTION_LIST("apply", apply, apply_params, PYZ3_T_I64,
                       "[f(x) for x in xs]; f returns an int, and what it raises propagates."),
    PYZ3_FUNCTION_ITER("count_up", count_up, count_up_params, PYZ3_T_I64,
                       "An iterator over 0, 1, ..., n-1: iter(range(n))."),
    PYZ3_FUNCTION_DICT("parse_pairs", parse_pairs, text_params, PYZ3_T_I64,
                       "Parse 'a=1,b=2' into {'a': 1, 'b': 2}; malformed text raises ParseError."),
};

static const pyz3_constant_def constants[] = {
    PYZ3_CONSTANT("VERSION", PYZ3_T_STR, "'1.0'", "The version of this plugin."),
    PYZ3_CONSTANT("MAX_WORDS", PYZ3_T_I64, XSTR(MAX_WORDS),
                  "The most words split_words and word_counts take (more raise ValueError)."),
};

static const pyz3_exception_def exceptions[] = {
    PYZ3_EXCEPTION("ParseError", PYZ3_EXC_VALUE_ERROR, "parse_pairs was given malformed text."),
};

PYZ3_PLUGIN_EX("containers", "Containers, callbacks, iterators, constants and a custom exception.",
               functions, constants, exceptions)
