/* tests/plugins/exit_threads.c: native threads that keep using libpyz3 while the interpreter
 * exits. `start(n)` spawns n detached threads that loop forever: a GIL scope that makes and drops
 * an int and allocates inside it, and an allocation outside any scope (which takes the GIL by
 * itself). tests/python/test_reliability3.py runs a program that starts them and exits at once,
 * many times: after finalisation begins, scopes must report that they hold nothing and
 * allocation must fail cleanly, never touching CPython (issue 15, item 2). */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "pyz3.h"

static atomic_long iterations;
static atomic_long refused;

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        pyz3_gil gil = pyz3_gil_acquire();
        if (pyz3_gil_acquired(gil)) {
            PyObject *o = pyz3_from_i64(123456789);
            pyz3_decref(o);
            void *p = pyz3_alloc(64, 0);
            pyz3_free(p, 0);
        } else {
            atomic_fetch_add(&refused, 1);
        }
        pyz3_gil_release(gil);
        void *q = pyz3_alloc(32, 64);
        pyz3_free(q, 64);
        atomic_fetch_add(&iterations, 1);
    }
    return NULL;
}

static PYZ3_FN(start) {
    for (int64_t i = 0; i < args[0].i64; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0)
            return pyz3_raise(PYZ3_EXC_OS_ERROR, "pthread_create failed");
        pthread_detach(t);
    }
    return PYZ3_OK;
}

static PYZ3_FN(count) {
    result->i64 = atomic_load(&iterations);
    return PYZ3_OK;
}

static const pyz3_param p_n[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_EX("start", start, p_n, 1, PYZ3_T_VOID, 0, PYZ3_FN_POSITIONAL_ONLY, NULL,
                     "Start n detached native threads that use libpyz3 forever."),
    PYZ3_FUNCTION_NOARGS("count", count, PYZ3_T_I64, "Iterations the threads finished so far."),
};
PYZ3_PLUGIN("exit_threads", "Native threads busy while the interpreter exits.", functions)
