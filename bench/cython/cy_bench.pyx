# bench/cython/cy_bench.pyx: the benchmark functions in Cython (from PyPI), written the way Cython
# users write them; the work per case is bench/common's.
# cython: language_level=3

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint32_t
from libc.string cimport memcpy


cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL
    object PyUnicode_FromStringAndSize(const char *s, Py_ssize_t size)

cdef extern from "../common/bench_common.h":
    enum:
        BENCH_GREET_BUF
        BENCH_GREET_PREFIX_LEN
        BENCH_ALLOC_COUNT
        BENCH_ALLOC_SIZE
        BENCH_THREAD_ALLOCS
        BENCH_ROUNDTRIPS
    const char *BENCH_GREET_PREFIX
    double bench_sum_f64(const void *data, size_t n, Py_ssize_t stride) nogil
    void bench_crc32_init()
    uint32_t bench_crc32(const void *data, size_t n, uint32_t value) nogil
    void bench_linspace(double *d, size_t n, double start, double stop) nogil

cdef extern from "../common/containers_work.h":
    enum:
        BENCH_MAX_DISTINCT
    ctypedef struct bench_word:
        const char *ptr
        size_t len
        int64_t count
    int bench_count_words(const char *text, size_t len, bench_word *out)

cdef extern from "<pthread.h>" nogil:
    ctypedef unsigned long pthread_t
    int pthread_create(pthread_t *thread, const void *attr, void *(*start)(void *) noexcept nogil, void *arg)
    int pthread_join(pthread_t thread, void **retval)


def noop():
    pass


def add(int64_t a, int64_t b):
    return a + b


def fadd(double a, double b):
    return a + b


def slen(str s):
    cdef Py_ssize_t n
    PyUnicode_AsUTF8AndSize(s, &n)
    return n


def greet(str s):
    cdef Py_ssize_t n
    cdef const char *p = PyUnicode_AsUTF8AndSize(s, &n)
    cdef char buf[BENCH_GREET_BUF]
    if n > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN:
        raise ValueError("name too long")
    memcpy(buf, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN)
    memcpy(buf + BENCH_GREET_PREFIX_LEN, p, n)
    return PyUnicode_FromStringAndSize(buf, n + BENCH_GREET_PREFIX_LEN)


def kwargs(int64_t a, int64_t b, int64_t c):
    return a + b + c


def alloc10():
    cdef void *p[BENCH_ALLOC_COUNT]
    cdef int i, j
    for i in range(BENCH_ALLOC_COUNT):
        p[i] = PyMem_Malloc(BENCH_ALLOC_SIZE)
        if p[i] == NULL:
            for j in range(i):
                PyMem_Free(p[j])
            raise MemoryError()
        (<char *>p[i])[0] = <char>i
    for i in range(BENCH_ALLOC_COUNT):
        PyMem_Free(p[i])


cdef void *worker_scoped(void *arg) noexcept nogil:
    cdef int i
    cdef void *p
    with gil:
        for i in range(BENCH_THREAD_ALLOCS):
            p = PyMem_Malloc(BENCH_ALLOC_SIZE)
            if p == NULL:
                break
            (<char *>p)[0] = <char>i
            PyMem_Free(p)
    return NULL


cdef void *worker_unscoped(void *arg) noexcept nogil:
    cdef int i
    cdef void *p
    for i in range(BENCH_THREAD_ALLOCS):
        with gil:
            p = PyMem_Malloc(BENCH_ALLOC_SIZE)
        if p == NULL:
            break
        (<char *>p)[0] = <char>i
        with gil:
            PyMem_Free(p)
    return NULL


cdef run_worker(void *(*worker)(void *) noexcept nogil):
    cdef pthread_t t
    cdef int rc
    with nogil:
        rc = pthread_create(&t, NULL, worker, NULL)
        if rc == 0:
            pthread_join(t, NULL)
    if rc != 0:
        raise RuntimeError("pthread_create failed")


def thread_alloc_scoped():
    run_worker(worker_scoped)


def thread_alloc_unscoped():
    run_worker(worker_unscoped)


def roundtrip1000():
    cdef int64_t i
    cdef int64_t acc = 0
    cdef object o
    for i in range(BENCH_ROUNDTRIPS):
        o = i
        acc += <int64_t>o
    return acc


# ---- containers -----------------------------------------------------------------------------------


def sum_list(xs):
    cdef int64_t total = 0
    cdef int64_t x
    for item in xs:
        x = item
        if (x > 0 and total > INT64_MAX - x) or (x < 0 and total < INT64_MIN - x):
            raise OverflowError("sum does not fit in int64")
        total += x
    return total


def minmax(xs):
    cdef double lo = 0, hi = 0, x
    cdef bint first = True
    for item in xs:
        x = item
        if first or x < lo:
            lo = x
        if first or x > hi:
            hi = x
        first = False
    if first:
        raise ValueError("minmax: empty sequence")
    return (lo, hi)


def apply(f, xs):
    cdef int64_t x
    out = []
    for item in xs:
        x = item
        out.append(<int64_t>f(x))
    return out


cdef class CountUp:
    cdef int64_t next_, stop

    def __iter__(self):
        return self

    def __next__(self):
        if self.next_ >= self.stop:
            raise StopIteration
        self.next_ += 1
        return self.next_ - 1


def count_up(int64_t n):
    cdef CountUp c = CountUp.__new__(CountUp)
    c.next_ = 0
    c.stop = n
    return c


def word_counts(str text):
    cdef Py_ssize_t length
    cdef const char *p = PyUnicode_AsUTF8AndSize(text, &length)
    cdef bench_word words[BENCH_MAX_DISTINCT]
    cdef int n = bench_count_words(p, length, words)
    if n < 0:
        raise ValueError("too many distinct words")
    out = {}
    for i in range(n):
        out[PyUnicode_FromStringAndSize(words[i].ptr, words[i].len)] = words[i].count
    return out


# ---- buffers: typed memoryviews (a const one accepts read-only buffers) ---------------------------

bench_crc32_init()


def sum_f64(const double[:] x):
    if x.shape[0] == 0:
        return 0.0
    return bench_sum_f64(&x[0], x.shape[0], x.strides[0])


def crc32(const unsigned char[::1] data, uint32_t value=0):
    if data.shape[0] == 0:
        return value
    return bench_crc32(&data[0], data.shape[0], value)


def linspace(double start, double stop, Py_ssize_t n):
    # A numpy array filled through a typed memoryview: Cython's usual way to return one.
    import numpy
    out = numpy.empty(n)
    cdef double[::1] v = out
    if n > 0:
        bench_linspace(&v[0], n, start, stop)
    return out
