# bench/cython/cy_classes.pyx: the class benchmarks as Cython `cdef class`es, written the way
# Cython users write them (typed attributes, `cdef public` for a read/write attribute); the
# RollingStats work is bench/common/rolling.h's, on the Python allocator like the C peers.
# cython: language_level=3

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int64_t


cdef extern from "../common/rolling.h":
    ctypedef struct rolling_t:
        int64_t window
        int64_t count
        int64_t next
        double *values
    int rolling_init(rolling_t *r, int64_t window, void *(*alloc)(size_t)) noexcept
    void rolling_push(rolling_t *r, double x) noexcept
    int rolling_merge(rolling_t *out, const rolling_t *a, const rolling_t *b, void *(*alloc)(size_t)) noexcept


cdef int64_t live = 0


cdef class Counter:
    cdef public long long value

    def __init__(self, long long start=0):
        global live
        self.value = start
        live += 1

    def __dealloc__(self):
        global live
        live -= 1

    def inc(self, long long by=1):
        self.value += by
        return self.value

    def reset(self):
        self.value = 0

    def __repr__(self):
        return f"Counter(value={self.value})"


cdef class RollingStats:
    cdef rolling_t r

    def __init__(self, long long window):
        global live
        if window <= 0:
            raise ValueError("RollingStats: window must be positive")
        if rolling_init(&self.r, window, PyMem_Malloc) != 0:
            raise MemoryError()
        live += 1

    def __dealloc__(self):
        global live
        if self.r.values != NULL:
            PyMem_Free(self.r.values)
            live -= 1

    def push(self, double x):
        rolling_push(&self.r, x)

    @property
    def count(self):
        return self.r.count

    def __len__(self):
        return self.r.count


def merge(RollingStats a not None, RollingStats b not None):
    global live
    cdef RollingStats out = RollingStats.__new__(RollingStats)
    if rolling_merge(&out.r, &a.r, &b.r, PyMem_Malloc) != 0:
        raise MemoryError()
    live += 1
    return out


def live_count():
    return live
