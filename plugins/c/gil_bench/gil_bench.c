/* plugins/c/gil_bench/gil_bench.c: exercises the GIL-state cache and the allocator.
 *
 * Inside a plugin call the thread's pyz3 GIL depth is non-zero, so pyz3_alloc/pyz3_free make
 * no PyGILState call. Native threads created here have depth 0: outside a pyz3_gil_acquire
 * scope each allocation takes and drops the GIL; inside one, the GIL is taken once.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pyz3.h"

/* nested_allocations() -> 3: 1024, 2048 and 512 bytes, each allocated inside the previous. */
static PYZ3_FN(nested_allocations) {
    int64_t count = 0;
    char *a = (char *)pyz3_alloc(1024, 0);
    if (a) {
        count++;
        memset(a, 1, 1024);
        char *b = (char *)pyz3_alloc(2048, 0);
        if (b) {
            count++;
            memset(b, 2, 2048);
            char *c = (char *)pyz3_alloc(512, 0);
            if (c) {
                count++;
                memset(c, 3, 512);
                pyz3_free(c, 0);
            }
            pyz3_free(b, 0);
        }
        pyz3_free(a, 0);
    }
    if (count != 3) return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "nested_allocations: out of memory");
    result->i64 = count;
    return PYZ3_OK;
}

/* Each level allocates 128 bytes, recurses, and adds its level number. */
static int64_t nest(int level, int max) {
    if (level > max) return 0;
    unsigned char *block = (unsigned char *)pyz3_alloc(128, 0);
    if (block == NULL) return -1;
    memset(block, (int)level, 128);
    int64_t below = nest(level + 1, max);
    int64_t mine = block[127];
    pyz3_free(block, 0);
    return below < 0 ? -1 : below + mine;
}

/* deep_nesting() -> 55: recursion depth 10, the sum of the levels 1..10. */
static PYZ3_FN(deep_nesting) {
    int64_t sum = nest(1, 10);
    if (sum < 0) return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "deep_nesting: out of memory");
    result->i64 = sum;
    return PYZ3_OK;
}

/* benchmark_allocations(n) -> n: n alloc/free pairs of 256 bytes. */
static PYZ3_FN(benchmark_allocations) {
    int64_t n = args[0].i64;
    if (n < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "benchmark_allocations: n must be >= 0");
    for (int64_t i = 0; i < n; i++) {
        void *p = pyz3_alloc(256, 0);
        if (p == NULL) return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "benchmark_allocations: out of memory");
        ((volatile char *)p)[0] = (char)i;
        pyz3_free(p, 0);
    }
    result->i64 = n;
    return PYZ3_OK;
}

/* ---- native worker threads ---------------------------------------------------------------- */

typedef struct worker {
    pthread_t thread;
    int64_t allocs;
    int scoped;
    int64_t done;
} worker;

static void *worker_main(void *arg) {
    worker *w = (worker *)arg;
    pyz3_gil scope = {0};
    if (w->scoped) scope = pyz3_gil_acquire();
    for (int64_t i = 0; i < w->allocs; i++) {
        void *p = pyz3_alloc(256, 0);
        if (p == NULL) break;
        ((volatile char *)p)[255] = 1;
        pyz3_free(p, 0);
        w->done++;
    }
    if (w->scoped) pyz3_gil_release(scope);
    return NULL;
}

#define MAX_THREADS 256

/* worker_threads(threads, allocs_per_thread, scoped) -> allocations done by native threads.
 * Flagged PYZ3_FN_RELEASE_GIL: the caller's GIL is released while the threads run and join. */
static PYZ3_FN(worker_threads) {
    int64_t nthreads = args[0].i64, allocs = args[1].i64;
    if (nthreads < 1 || nthreads > MAX_THREADS)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "worker_threads: threads must be in 1..256");
    if (allocs < 0) return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "worker_threads: allocs_per_thread must be >= 0");
    worker workers[MAX_THREADS];
    int64_t started = 0;
    for (; started < nthreads; started++) {
        workers[started].allocs = allocs;
        workers[started].scoped = args[2].b;
        workers[started].done = 0;
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0) break;
    }
    int64_t total = 0;
    for (int64_t i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].done;
    }
    if (started < nthreads) return pyz3_raise(PYZ3_EXC_OS_ERROR, "worker_threads: pthread_create failed");
    result->i64 = total;
    return PYZ3_OK;
}

/* worker_nested_scopes(depth) -> allocations made on a fresh native thread inside `depth`
 * nested pyz3_gil_acquire scopes (one allocation per level). Flagged PYZ3_FN_RELEASE_GIL: a
 * caller that held the GIL while joining a thread that wants it would deadlock. */
typedef struct nested_job {
    int64_t depth;
    int64_t done;
    int held_inside;
    int held_outside;
} nested_job;

static void nested_level(nested_job *job, int64_t level) {
    if (level > job->depth) return;
    pyz3_gil scope = pyz3_gil_acquire();
    job->held_inside &= pyz3_gil_held();
    void *p = pyz3_alloc(64, 0);
    if (p) {
        job->done++;
        nested_level(job, level + 1);
        pyz3_free(p, 0);
    }
    pyz3_gil_release(scope);
}

static void *nested_main(void *arg) {
    nested_job *job = (nested_job *)arg;
    nested_level(job, 1);
    job->held_outside = pyz3_gil_held();
    return NULL;
}

static PYZ3_FN(worker_nested_scopes) {
    nested_job job = {args[0].i64, 0, 1, 1};
    if (job.depth < 0 || job.depth > 1000)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "worker_nested_scopes: depth must be in 0..1000");
    pthread_t t;
    if (pthread_create(&t, NULL, nested_main, &job) != 0)
        return pyz3_raise(PYZ3_EXC_OS_ERROR, "worker_nested_scopes: pthread_create failed");
    pthread_join(t, NULL);
    if (!job.held_inside) return pyz3_raise(PYZ3_EXC_ASSERTION_ERROR, "GIL not held inside a scope");
    if (job.held_outside) return pyz3_raise(PYZ3_EXC_ASSERTION_ERROR, "GIL still held after the scopes");
    result->i64 = job.done;
    return PYZ3_OK;
}

/* ---- GIL-released regions ----------------------------------------------------------------- */

/* allocations_in_nogil_region(n) -> n: inside pyz3_nogil_begin/end the thread does not hold the
 * GIL, so each allocation takes it briefly. Also reports whether the GIL was released. */
static PYZ3_FN(allocations_in_nogil_region) {
    int64_t n = args[0].i64, done = 0;
    int held_before = pyz3_gil_held();
    pyz3_nogil region = pyz3_nogil_begin();
    int held_inside = pyz3_gil_held();
    for (int64_t i = 0; i < n; i++) {
        void *p = pyz3_alloc(128, 0);
        if (p == NULL) break;
        pyz3_free(p, 0);
        done++;
    }
    pyz3_nogil_end(region);
    if (!held_before || held_inside || !pyz3_gil_held())
        return pyz3_raise(PYZ3_EXC_ASSERTION_ERROR, "unexpected GIL state around a nogil region");
    result->i64 = done;
    return PYZ3_OK;
}

/* gil_held() -> whether the GIL is held inside a plugin call (True). */
static PYZ3_FN(gil_held) {
    result->b = pyz3_gil_held();
    return PYZ3_OK;
}

/* gil_held_released() -> the same inside a PYZ3_FN_RELEASE_GIL function (False). */
static PYZ3_FN(gil_held_released) {
    result->b = pyz3_gil_held();
    return PYZ3_OK;
}

/* raise_while_released(message) -> raises ValueError(message) from a GIL-released function. */
static PYZ3_FN(raise_while_released) {
    return pyz3_raise_len(PYZ3_EXC_VALUE_ERROR, args[0].str.ptr, args[0].str.len);
}

/* ---- alignment and realloc ---------------------------------------------------------------- */

/* check_alignment(size, align) -> True when an allocation of `size` bytes aligned to `align`
 * is aligned, writable end to end, and freed; False when the allocator refuses `align`. */
static PYZ3_FN(check_alignment) {
    uint64_t size = args[0].u64, align = args[1].u64;
    unsigned char *p = (unsigned char *)pyz3_alloc((size_t)size, (size_t)align);
    if (p == NULL) {
        result->b = false;
        return PYZ3_OK;
    }
    int ok = align == 0 || ((uintptr_t)p % align) == 0;
    memset(p, 0xAB, (size_t)size);
    unsigned char *z = (unsigned char *)pyz3_calloc(1, (size_t)size, (size_t)align);
    if (z == NULL) {
        pyz3_free(p, (size_t)align);
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "calloc failed");
    }
    ok &= align == 0 || ((uintptr_t)z % align) == 0;
    for (uint64_t i = 0; i < size; i++) ok &= z[i] == 0;
    pyz3_free(z, (size_t)align);
    pyz3_free(p, (size_t)align);
    result->b = ok;
    return PYZ3_OK;
}

/* realloc_keeps(size, new_size, align) -> True when pyz3_realloc keeps min(size, new_size)
 * bytes of contents and the alignment. */
static PYZ3_FN(realloc_keeps) {
    size_t size = (size_t)args[0].u64, new_size = (size_t)args[1].u64, align = (size_t)args[2].u64;
    unsigned char *p = (unsigned char *)pyz3_alloc(size, align);
    if (p == NULL) return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "alloc failed");
    for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(i * 7 + 3);
    unsigned char *q = (unsigned char *)pyz3_realloc(p, new_size, align);
    if (q == NULL) {
        pyz3_free(p, align);
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "realloc failed");
    }
    int ok = align == 0 || ((uintptr_t)q % align) == 0;
    size_t keep = size < new_size ? size : new_size;
    for (size_t i = 0; i < keep; i++) ok &= q[i] == (unsigned char)(i * 7 + 3);
    if (new_size) q[new_size - 1] = 1;
    pyz3_free(q, align);
    result->b = ok;
    return PYZ3_OK;
}

/* ---- a barrier that only fills if the GIL is released ------------------------------------ */

static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t barrier_cond = PTHREAD_COND_INITIALIZER;
static int64_t barrier_count = 0;
static uint64_t barrier_generation = 0;

static bool barrier_arrive(int64_t parties, int64_t timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&barrier_lock);
    uint64_t generation = barrier_generation;
    if (++barrier_count >= parties) {
        barrier_count = 0;
        barrier_generation++;
        pthread_cond_broadcast(&barrier_cond);
        pthread_mutex_unlock(&barrier_lock);
        return true;
    }
    int rc = 0;
    while (generation == barrier_generation && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&barrier_cond, &barrier_lock, &deadline);
    bool passed = generation != barrier_generation;
    if (!passed) barrier_count--; /* withdraw, so a later round starts clean */
    pthread_mutex_unlock(&barrier_lock);
    return passed;
}

static int32_t barrier_args(const pyz3_value *args) {
    if (args[0].i64 < 1 || args[0].i64 > 1024)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "barrier: parties must be in 1..1024");
    if (args[1].i64 < 0 || args[1].i64 > 600000)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "barrier: timeout_ms must be in 0..600000");
    return PYZ3_OK;
}

/* barrier_wait(parties, timeout_ms) -> True when `parties` callers arrived before the timeout.
 * Flagged PYZ3_FN_RELEASE_GIL, so several Python threads can wait in it at once. */
static PYZ3_FN(barrier_wait) {
    if (barrier_args(args) != PYZ3_OK) return PYZ3_ERROR;
    result->b = barrier_arrive(args[0].i64, args[1].i64);
    return PYZ3_OK;
}

/* barrier_wait_holding_gil(parties, timeout_ms): the same barrier without the flag — the control
 * that shows the barrier cannot fill while a waiter holds the GIL. */
static PYZ3_FN(barrier_wait_holding_gil) {
    if (barrier_args(args) != PYZ3_OK) return PYZ3_ERROR;
    result->b = barrier_arrive(args[0].i64, args[1].i64);
    return PYZ3_OK;
}

/* ---- the descriptor ----------------------------------------------------------------------- */

static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param p_workers[] = {
    PYZ3_PARAM("threads", PYZ3_T_I64),
    PYZ3_PARAM("allocs_per_thread", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("scoped", PYZ3_T_BOOL, "True"),
};
static const pyz3_param p_depth[] = {PYZ3_PARAM("depth", PYZ3_T_I64)};
static const pyz3_param p_message[] = {PYZ3_PARAM("message", PYZ3_T_STR)};
static const pyz3_param p_align[] = {PYZ3_PARAM("size", PYZ3_T_U64), PYZ3_PARAM("align", PYZ3_T_U64)};
static const pyz3_param p_realloc[] = {
    PYZ3_PARAM("size", PYZ3_T_U64),
    PYZ3_PARAM("new_size", PYZ3_T_U64),
    PYZ3_PARAM_DEFAULT("align", PYZ3_T_U64, "0"),
};
static const pyz3_param p_barrier[] = {
    PYZ3_PARAM("parties", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("timeout_ms", PYZ3_T_I64, "10000"),
};

#define RELEASED PYZ3_FN_RELEASE_GIL

static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_NOARGS("nested_allocations", nested_allocations, PYZ3_T_I64,
                         "Allocate and free 1024, 2048 and 512 bytes, nested; returns 3."),
    PYZ3_FUNCTION_NOARGS("deep_nesting", deep_nesting, PYZ3_T_I64,
                         "Recurse 10 levels, 128 bytes each; returns the sum of the levels (55)."),
    PYZ3_FUNCTION("benchmark_allocations", benchmark_allocations, p_n, PYZ3_T_I64,
                  "n alloc/free pairs of 256 bytes; returns n."),
    PYZ3_FUNCTION_EX("worker_threads", worker_threads, p_workers, 3, PYZ3_T_I64, 0, RELEASED, NULL,
                     "Allocate from native threads, each inside a GIL scope if scoped; returns the total."),
    PYZ3_FUNCTION_EX("worker_nested_scopes", worker_nested_scopes, p_depth, 1, PYZ3_T_I64, 0, RELEASED, NULL,
                     "Allocate inside `depth` nested GIL scopes on a fresh native thread; returns depth."),
    PYZ3_FUNCTION("allocations_in_nogil_region", allocations_in_nogil_region, p_n, PYZ3_T_I64,
                  "Allocate n times inside a GIL-released region; returns n."),
    PYZ3_FUNCTION_NOARGS("gil_held", gil_held, PYZ3_T_BOOL, "Whether the GIL is held in a plugin call."),
    PYZ3_FUNCTION_EX("gil_held_released", gil_held_released, NULL, 0, PYZ3_T_BOOL, 0, RELEASED, NULL,
                     "Whether the GIL is held in a PYZ3_FN_RELEASE_GIL call."),
    PYZ3_FUNCTION_EX("raise_while_released", raise_while_released, p_message, 1, PYZ3_T_VOID, 0, RELEASED,
                     NULL, "Raise ValueError(message) from a GIL-released function."),
    PYZ3_FUNCTION("check_alignment", check_alignment, p_align, PYZ3_T_BOOL,
                  "Allocate size bytes aligned to align; True when aligned and usable."),
    PYZ3_FUNCTION("realloc_keeps", realloc_keeps, p_realloc, PYZ3_T_BOOL,
                  "True when pyz3_realloc keeps contents and alignment."),
    PYZ3_FUNCTION_EX("barrier_wait", barrier_wait, p_barrier, 2, PYZ3_T_BOOL, 0, RELEASED, NULL,
                     "Wait (GIL released) until `parties` callers arrive; False on timeout."),
    PYZ3_FUNCTION("barrier_wait_holding_gil", barrier_wait_holding_gil, p_barrier, PYZ3_T_BOOL,
                  "The same barrier, holding the GIL while waiting (the control case)."),
};

PYZ3_PLUGIN("gil_bench", "GIL-state cache and allocator workloads.", functions)
