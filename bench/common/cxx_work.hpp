// bench/common/cxx_work.hpp: the native-thread allocation loops of the C++ peers, written once
// for any RAII GIL guard (py::gil_scoped_acquire, nb::gil_scoped_acquire). Include after the
// binding library's header.
#ifndef BENCH_CXX_WORK_HPP
#define BENCH_CXX_WORK_HPP

#include "cpython_work.h"

// One guard for the whole loop.
template <class GilAcquire>
void bench_alloc_loop_scoped() {
    GilAcquire gil;
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        void *p = PyMem_Malloc(BENCH_ALLOC_SIZE);
        if (p == nullptr) break;
        static_cast<volatile char *>(p)[0] = static_cast<char>(i);
        PyMem_Free(p);
    }
}

// A guard around each allocation and each free.
template <class GilAcquire>
void bench_alloc_loop_unscoped() {
    for (int i = 0; i < BENCH_THREAD_ALLOCS; i++) {
        void *p;
        {
            GilAcquire gil;
            p = PyMem_Malloc(BENCH_ALLOC_SIZE);
        }
        if (p == nullptr) break;
        static_cast<volatile char *>(p)[0] = static_cast<char>(i);
        GilAcquire gil;
        PyMem_Free(p);
    }
}

#endif
