/* bench/common/cpython_work.h: the bodies of the allocation and round-trip cases written against
 * the CPython C API, shared by the handwritten extensions (floor, varargs) and the C++ peers, so
 * every binding does the same work and only the call path differs. Include after Python.h. */
#ifndef BENCH_CPYTHON_WORK_H
#define BENCH_CPYTHON_WORK_H

#include <pthread.h>
#include <string.h>

#include "bench_common.h"

/* greet: "hello, " + the n bytes of UTF-8 at s, built in a stack buffer, as a new str. */
static inline PyObject *bench_greet_capi(const char *s, Py_ssize_t n) {
    char buf[BENCH_GREET_BUF];
    if (n > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN) {
        PyErr_SetString(PyExc_ValueError, "name too long");
        return NULL;
    }
    memcpy(buf, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN);
    memcpy(buf + BENCH_GREET_PREFIX_LEN, s, (size_t)n);
    return PyUnicode_FromStringAndSize(buf, n + BENCH_GREET_PREFIX_LEN);
}

/* alloc10: BENCH_ALLOC_COUNT live blocks from PyMem_Malloc (GIL held), then freed. 0 or -1. */
static inline int bench_alloc10_pymem(void) {
    void *p[BENCH_ALLOC_COUNT];
    for (int i = 0; i < BENCH_ALLOC_COUNT; i++) {
        p[i] = PyMem_Malloc(BENCH_ALLOC_SIZE);
        if (p[i] == NULL) {
            while (i--) PyMem_Free(p[i]);
            PyErr_NoMemory();
            return -1;
        }
        ((volatile char *)p[i])[0] = (char)i;
    }
    for (int i = 0; i < BENCH_ALLOC_COUNT; i++) PyMem_Free(p[i]);
    return 0;
}

/* A native thread Python never saw allocates BENCH_THREAD_ALLOCS blocks. PyMem_Malloc needs the
 * GIL: taken once for the whole loop (scoped) or around each allocation and free (unscoped). */
static inline void *bench_worker_scoped(void *arg) {
    (void)arg;
    PyGILState_STATE st = PyGILState_Ensure();
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        void *p = PyMem_Malloc(BENCH_ALLOC_SIZE);
        if (p == NULL) break;
        ((volatile char *)p)[0] = (char)i;
        PyMem_Free(p);
    }
    PyGILState_Release(st);
    return NULL;
}

static inline void *bench_worker_unscoped(void *arg) {
    (void)arg;
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        PyGILState_STATE st = PyGILState_Ensure();
        void *p = PyMem_Malloc(BENCH_ALLOC_SIZE);
        PyGILState_Release(st);
        if (p == NULL) break;
        ((volatile char *)p)[0] = (char)i;
        st = PyGILState_Ensure();
        PyMem_Free(p);
        PyGILState_Release(st);
    }
    return NULL;
}

/* Runs `worker` on a new thread and joins it, with the GIL released meanwhile. 0 or -1. */
static inline int bench_run_worker(void *(*worker)(void *)) {
    pthread_t t;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pthread_create(&t, NULL, worker, NULL);
    if (rc == 0) pthread_join(t, NULL);
    Py_END_ALLOW_THREADS
    if (rc != 0) {
        PyErr_SetString(PyExc_RuntimeError, "pthread_create failed");
        return -1;
    }
    return 0;
}

/* roundtrip1000: int64 -> int -> int64 for 0 .. BENCH_ROUNDTRIPS-1; the sum, or -1 with an
 * exception set. */
static inline long long bench_roundtrip_capi(void) {
    long long acc = 0;
    for (long long i = 0; i < BENCH_ROUNDTRIPS; i++) {
        PyObject *o = PyLong_FromLongLong(i);
        if (o == NULL) return -1;
        long long v = PyLong_AsLongLong(o);
        Py_DECREF(o);
        if (v == -1 && PyErr_Occurred()) return -1;
        acc += v;
    }
    return acc;
}

#endif
