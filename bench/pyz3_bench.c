/* bench/pyz3_bench.c: the benchmark functions as a pyz3 C plugin, mirroring bench/floor/floor.c
 * function for function. Built by bench/bench.mk into build/bench/libpyz3_bench.so; like every
 * plugin it includes only pyz3.h and references no Py* symbol. */
#include <pthread.h>
#include <string.h>

#include "common/bench_common.h"
#include "common/containers_work.h"
#include "pyz3.h"

static PYZ3_FN(noop) { return PYZ3_OK; }

static PYZ3_FN(add) {
    result->i64 = args[0].i64 + args[1].i64;
    return PYZ3_OK;
}

static PYZ3_FN(fadd) {
    result->f64 = args[0].f64 + args[1].f64;
    return PYZ3_OK;
}

static PYZ3_FN(slen) {
    result->i64 = (int64_t)args[0].str.len;
    return PYZ3_OK;
}

static PYZ3_FN(greet) {
    pyz3_str name = args[0].str;
    char buf[BENCH_GREET_BUF];
    if (name.len > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "name too long");
    memcpy(buf, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN);
    memcpy(buf + BENCH_GREET_PREFIX_LEN, name.ptr, name.len);
    result->obj = pyz3_from_str(buf, name.len + BENCH_GREET_PREFIX_LEN);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(kwargs) {
    result->i64 = args[0].i64 + args[1].i64 + args[2].i64;
    return PYZ3_OK;
}

/* Inside a plugin call the GIL cache makes each pyz3_alloc/pyz3_free a plain PyMem call. */
static PYZ3_FN(alloc10) {
    void *p[BENCH_ALLOC_COUNT];
    for (int i = 0; i < BENCH_ALLOC_COUNT; i++) {
        p[i] = pyz3_alloc(BENCH_ALLOC_SIZE, 0);
        if (p[i] == NULL) {
            while (i--) pyz3_free(p[i], 0);
            return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "alloc10: out of memory");
        }
        ((volatile char *)p[i])[0] = (char)i;
    }
    for (int i = 0; i < BENCH_ALLOC_COUNT; i++) pyz3_free(p[i], 0);
    return PYZ3_OK;
}

/* A native thread Python never saw: inside one pyz3_gil_acquire scope every allocation finds the
 * GIL held; outside, each pyz3_alloc/pyz3_free takes and drops it itself. */
static void *worker_scoped(void *arg) {
    (void)arg;
    pyz3_gil gil = pyz3_gil_acquire();
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        void *p = pyz3_alloc(BENCH_ALLOC_SIZE, 0);
        if (p == NULL) break;
        ((volatile char *)p)[0] = (char)i;
        pyz3_free(p, 0);
    }
    pyz3_gil_release(gil);
    return NULL;
}

static void *worker_unscoped(void *arg) {
    (void)arg;
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        void *p = pyz3_alloc(BENCH_ALLOC_SIZE, 0);
        if (p == NULL) break;
        ((volatile char *)p)[0] = (char)i;
        pyz3_free(p, 0);
    }
    return NULL;
}

/* Declared PYZ3_FN_RELEASE_GIL: the loader releases the GIL while the worker runs and is joined. */
static int32_t run_worker(void *(*worker)(void *)) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, "pthread_create failed");
    pthread_join(t, NULL);
    return PYZ3_OK;
}

static PYZ3_FN(thread_alloc_scoped) { return run_worker(worker_scoped); }

static PYZ3_FN(thread_alloc_unscoped) { return run_worker(worker_unscoped); }

static PYZ3_FN(roundtrip1000) {
    int64_t acc = 0;
    for (int64_t i = 0; i < BENCH_ROUNDTRIPS; i++) {
        PyObject *o = pyz3_from_i64(i);
        if (o == NULL) return PYZ3_ERROR;
        int64_t v;
        int32_t status = pyz3_to_i64(o, &v);
        pyz3_decref(o);
        if (status != PYZ3_OK) return PYZ3_ERROR;
        acc += v;
    }
    result->i64 = acc;
    return PYZ3_OK;
}

/* sum_f64(x): a 1-D float64 buffer, read-only accepted, any strides. */
static PYZ3_FN(sum_f64) {
    const pyz3_buffer *x = args[0].buf;
    result->f64 = bench_sum_f64(x->data, x->shape[0], x->strides[0]);
    return PYZ3_OK;
}

/* crc32(data, value=0): any C-contiguous buffer's bytes, as zlib.crc32. The table is filled
 * when the library loads, as the other bindings fill theirs at module init. */
__attribute__((constructor)) static void crc_init(void) { bench_crc32_init(); }

static PYZ3_FN(crc32) {
    result->u32 = bench_crc32(args[0].buf->data, args[0].buf->len, args[1].u32);
    return PYZ3_OK;
}

/* linspace(start, stop, n): a new float64 array (pyz3.Array; linspace_np: numpy.ndarray). */
static PYZ3_FN(linspace) {
    if (args[2].i64 < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "n must be non-negative");
    size_t n = (size_t)args[2].i64;
    pyz3_buffer *out = pyz3_array_new(PYZ3_T_F64, 1, &n, &result->obj);
    if (out == NULL) return PYZ3_ERROR;
    bench_linspace((double *)out->data, n, args[0].f64, args[1].f64);
    return PYZ3_OK;
}

/* ---- containers ---------------------------------------------------------------------------- */

static PYZ3_FN(sum_list) {
    const pyz3_seq *xs = args[0].seq;
    int64_t sum = 0;
    for (size_t i = 0; i < xs->len; i++) {
        if (__builtin_add_overflow(sum, xs->items.i64[i], &sum))
            return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "sum does not fit in int64");
    }
    result->i64 = sum;
    return PYZ3_OK;
}

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

static PYZ3_FN(apply) {
    const pyz3_seq *xs = args[1].seq;
    pyz3_out *out = pyz3_result_list(result, xs->len);
    if (out == NULL) return PYZ3_ERROR;
    static const uint8_t types[] = {PYZ3_T_I64};
    for (size_t i = 0; i < xs->len; i++) {
        pyz3_value arg, ret;
        arg.i64 = xs->items.i64[i];
        if (pyz3_call_typed(args[0].obj, types, &arg, 1, PYZ3_T_I64, &ret) != PYZ3_OK) return PYZ3_ERROR;
        out->items.i64[i] = ret.i64;
    }
    return PYZ3_OK;
}

typedef struct {
    int64_t next, stop;
} count_state;

static int32_t count_next(void *state, pyz3_value *item) {
    count_state *s = (count_state *)state;
    if (s->next >= s->stop) return PYZ3_ITER_END;
    item->i64 = s->next++;
    return PYZ3_OK;
}

static PYZ3_FN(count_up) {
    count_state *s;
    result->obj = pyz3_iterator_new(PYZ3_T_I64, sizeof *s, count_next, NULL, (void **)&s);
    if (result->obj == NULL) return PYZ3_ERROR;
    s->next = 0;
    s->stop = args[0].i64;
    return PYZ3_OK;
}

static PYZ3_FN(word_counts) {
    bench_word words[BENCH_MAX_DISTINCT];
    int n = bench_count_words(args[0].str.ptr, args[0].str.len, words);
    if (n < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "too many distinct words");
    pyz3_out *out = pyz3_result_dict(result, (size_t)n);
    if (out == NULL) return PYZ3_ERROR;
    for (int i = 0; i < n; i++) {
        if ((out->keys[i] = pyz3_from_str(words[i].ptr, words[i].len)) == NULL) return PYZ3_ERROR;
        out->items.i64[i] = words[i].count;
    }
    return PYZ3_OK;
}

static const pyz3_param p_seq_i64[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_I64)};
static const pyz3_param p_seq_f64[] = {PYZ3_PARAM_SEQ("xs", PYZ3_T_F64)};
static const pyz3_param p_apply[] = {PYZ3_PARAM("f", PYZ3_T_CALLABLE), PYZ3_PARAM_SEQ("xs", PYZ3_T_I64)};
static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_text[] = {PYZ3_PARAM("text", PYZ3_T_STR)};
static const uint8_t minmax_items[] = {PYZ3_T_F64, PYZ3_T_F64};

static const pyz3_param p_i64x2[] = {PYZ3_PARAM("a", PYZ3_T_I64), PYZ3_PARAM("b", PYZ3_T_I64)};
static const pyz3_param p_f64x2[] = {PYZ3_PARAM("a", PYZ3_T_F64), PYZ3_PARAM("b", PYZ3_T_F64)};
static const pyz3_param p_str[] = {PYZ3_PARAM("s", PYZ3_T_STR)};
static const pyz3_param p_i64x3[] = {
    PYZ3_PARAM("a", PYZ3_T_I64),
    PYZ3_PARAM("b", PYZ3_T_I64),
    PYZ3_PARAM("c", PYZ3_T_I64),
};

static const pyz3_param p_sum[] = {PYZ3_PARAM_BUFFER("x", PYZ3_T_F64, 0, 1)};
static const pyz3_param p_crc32[] = {
    PYZ3_PARAM_BUFFER("data", PYZ3_T_BYTES, 0, 0),
    PYZ3_PARAM_DEFAULT("value", PYZ3_T_U32, "0"),
};
static const pyz3_param p_linspace[] = {
    PYZ3_PARAM("start", PYZ3_T_F64),
    PYZ3_PARAM("stop", PYZ3_T_F64),
    PYZ3_PARAM("n", PYZ3_T_I64),
};

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_NOARGS("noop", noop, PYZ3_T_VOID, "Does nothing."),
    /* Positional-only, like the floor's METH_FASTCALL functions they are compared with: plain
     * METH_FASTCALL builtins. `kwargs` takes keywords, like the floor's METH_KEYWORDS one. */
    PYZ3_FUNCTION_EX("add", add, p_i64x2, 2, PYZ3_T_I64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL, "a + b."),
    PYZ3_FUNCTION_EX("fadd", fadd, p_f64x2, 2, PYZ3_T_F64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL, "a + b."),
    PYZ3_FUNCTION_EX("slen", slen, p_str, 1, PYZ3_T_I64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "Length of s in UTF-8 bytes."),
    PYZ3_FUNCTION_EX("greet", greet, p_str, 1, PYZ3_T_STR, 0, PYZ3_FN_POSITIONAL_ONLY, NULL, "'hello, ' + s."),
    PYZ3_FUNCTION("kwargs", kwargs, p_i64x3, PYZ3_T_I64, "a + b + c (call it with keywords)."),
    PYZ3_FUNCTION_NOARGS("alloc10", alloc10, PYZ3_T_VOID, "10 live allocations of 256 bytes, then freed."),
    PYZ3_FUNCTION_EX("thread_alloc_scoped", thread_alloc_scoped, NULL, 0, PYZ3_T_VOID, 0, PYZ3_FN_RELEASE_GIL,
                     NULL, "A native thread allocates inside one GIL scope."),
    PYZ3_FUNCTION_EX("thread_alloc_unscoped", thread_alloc_unscoped, NULL, 0, PYZ3_T_VOID, 0,
                     PYZ3_FN_RELEASE_GIL, NULL, "A native thread allocates outside any GIL scope."),
    PYZ3_FUNCTION_NOARGS("roundtrip1000", roundtrip1000, PYZ3_T_I64,
                         "1000 int64 -> int -> int64 round trips through libpyz3's conversions."),
    PYZ3_FUNCTION_EX("sum_f64", sum_f64, p_sum, 1, PYZ3_T_F64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "Sum of a 1-D float64 buffer."),
    PYZ3_FUNCTION_EX("crc32", crc32, p_crc32, 2, PYZ3_T_U32, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "CRC-32 of a bytes-like object (zlib.crc32)."),
    PYZ3_FUNCTION_FACTS("linspace", linspace, p_linspace, 3, PYZ3_T_ARRAY, 0, PYZ3_FN_POSITIONAL_ONLY,
                        NULL, "n values from start to stop, a new pyz3.Array.",
                        PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, 0)),
    PYZ3_FUNCTION_FACTS("linspace_np", linspace, p_linspace, 3, PYZ3_T_ARRAY, 0, PYZ3_FN_POSITIONAL_ONLY,
                        NULL, "n values from start to stop, a new numpy.ndarray.",
                        PYZ3_ARRAY_FACTS(PYZ3_T_F64, 1, PYZ3_ARRAY_NUMPY)),
    /* Containers, positional-only like the floor's. */
    PYZ3_FUNCTION_EX("sum_list", sum_list, p_seq_i64, 1, PYZ3_T_I64, 0, PYZ3_FN_POSITIONAL_ONLY, NULL, "sum(xs)."),
    PYZ3_FUNCTION_FACTS("minmax", minmax, p_seq_f64, 1, PYZ3_T_TUPLE, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                       "(min(xs), max(xs)).", PYZ3_RESULT_ITEMS(minmax_items)),
    PYZ3_FUNCTION_FACTS("apply", apply, p_apply, 2, PYZ3_T_LIST, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                       "[f(x) for x in xs].", PYZ3_RESULT_ELEM(PYZ3_T_I64)),
    PYZ3_FUNCTION_FACTS("count_up", count_up, p_n, 1, PYZ3_T_ITERATOR, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                       "iter(range(n)).", PYZ3_RESULT_ELEM(PYZ3_T_I64)),
    PYZ3_FUNCTION_FACTS("word_counts", word_counts, p_text, 1, PYZ3_T_DICT, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                       "dict(Counter(text.split())).", PYZ3_RESULT_ELEM(PYZ3_T_I64)),
};

PYZ3_PLUGIN("pyz3_bench", "The benchmark functions (docs/performance.md), mirroring bench/floor.", functions)
