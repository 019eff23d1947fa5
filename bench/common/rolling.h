/* bench/common/rolling.h: the RollingStats work of the class benchmarks (cls_arg: merge), shared
 * by the C and C++ bindings (floor, pybind11, nanobind, Cython) so they cannot drift apart. The
 * pyz3 sample plugin (plugins/c/classes) and the PyO3 peer do the same work in their own code.
 *
 * The last `window` values in a ring buffer on the Python allocator (PyMem_*, which is where
 * pyz3_alloc takes memory from too). */
#ifndef BENCH_ROLLING_H
#define BENCH_ROLLING_H

#include <stdint.h>

typedef struct {
    int64_t window;
    int64_t count;
    int64_t next;
    double *values;
} rolling_t;

/* 0 on success; -1 when out of memory (no Python exception is set). */
static inline int rolling_init(rolling_t *r, int64_t window, void *(*alloc)(size_t)) {
    r->window = window;
    r->count = 0;
    r->next = 0;
    r->values = (double *)alloc((size_t)window * sizeof(double));
    return r->values ? 0 : -1;
}

static inline void rolling_push(rolling_t *r, double x) {
    r->values[r->next] = x;
    r->next = (r->next + 1) % r->window;
    if (r->count < r->window)
        r->count++;
}

static inline double rolling_at(const rolling_t *r, int64_t i) {
    int64_t first = (r->next - r->count + r->window) % r->window;
    return r->values[(first + i) % r->window];
}

/* out := a's values then b's, window a.window + b.window. */
static inline int rolling_merge(rolling_t *out, const rolling_t *a, const rolling_t *b,
                                void *(*alloc)(size_t)) {
    if (rolling_init(out, a->window + b->window, alloc) != 0)
        return -1;
    for (int64_t i = 0; i < a->count; i++)
        rolling_push(out, rolling_at(a, i));
    for (int64_t i = 0; i < b->count; i++)
        rolling_push(out, rolling_at(b, i));
    return 0;
}

#endif
