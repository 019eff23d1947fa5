/* bench/floor/floor.c: the performance floor — a handwritten CPython extension using
 * METH_FASTCALL (and METH_FASTCALL | METH_KEYWORDS for keywords), compiled with -O2.
 *
 * One function per benchmark case, doing exactly the work the other bindings do (docs/performance.md
 * lists the cases). Built per Python version by bench/peers.py into build/bench/py3.X/. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "../common/containers_work.h"
#include "../common/cpython_work.h"
#ifdef BENCH_NUMPY
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#endif

static PyObject *noop(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self; (void)args;
    if (nargs != 0) { PyErr_SetString(PyExc_TypeError, "noop() takes no arguments"); return NULL; }
    Py_RETURN_NONE;
}

static PyObject *add(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "add() takes 2 arguments"); return NULL; }
    long long a = PyLong_AsLongLong(args[0]);
    if (a == -1 && PyErr_Occurred()) return NULL;
    long long b = PyLong_AsLongLong(args[1]);
    if (b == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLongLong(a + b);
}

static PyObject *fadd_impl(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "fadd() takes 2 arguments"); return NULL; }
    double a = PyFloat_AsDouble(args[0]);
    if (a == -1.0 && PyErr_Occurred()) return NULL;
    double b = PyFloat_AsDouble(args[1]);
    if (b == -1.0 && PyErr_Occurred()) return NULL;
    return PyFloat_FromDouble(a + b);
}

static PyObject *slen(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "slen() takes 1 argument"); return NULL; }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(args[0], &n);
    if (s == NULL) return NULL;
    return PyLong_FromSsize_t(n);
}

static PyObject *greet(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "greet() takes 1 argument"); return NULL; }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(args[0], &n);
    if (s == NULL) return NULL;
    return bench_greet_capi(s, n);
}

/* kwargs(a, b, c) -> a + b + c, all int64, any of them by keyword: the keyword matching a careful
 * FASTCALL extension does by hand — interned names compared by identity, then by value. */
static PyObject *kw_names[3];

static PyObject *kwargs_impl(PyObject *self, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames) {
    (void)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *slots[3] = {NULL, NULL, NULL};
    if (nargs > 3) { PyErr_SetString(PyExc_TypeError, "kwargs() takes at most 3 arguments"); return NULL; }
    for (Py_ssize_t i = 0; i < nargs; i++) slots[i] = args[i];
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int j = 0;
        while (j < 3 && kw_names[j] != key) j++;
        if (j == 3) {
            for (j = 0; j < 3; j++) {
                int eq = PyUnicode_Compare(key, kw_names[j]);
                if (eq == 0) break;
                if (eq == -1 && PyErr_Occurred()) return NULL;
            }
        }
        if (j == 3) {
            PyErr_Format(PyExc_TypeError, "kwargs() got an unexpected keyword argument %R", key);
            return NULL;
        }
        if (slots[j] != NULL) {
            PyErr_Format(PyExc_TypeError, "kwargs() got multiple values for argument %R", key);
            return NULL;
        }
        slots[j] = args[nargs + k];
    }
    long long v[3];
    for (int j = 0; j < 3; j++) {
        if (slots[j] == NULL) {
            PyErr_Format(PyExc_TypeError, "kwargs() missing required argument %R", kw_names[j]);
            return NULL;
        }
        v[j] = PyLong_AsLongLong(slots[j]);
        if (v[j] == -1 && PyErr_Occurred()) return NULL;
    }
    return PyLong_FromLongLong(v[0] + v[1] + v[2]);
}

static PyObject *alloc10(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self; (void)args;
    if (nargs != 0) { PyErr_SetString(PyExc_TypeError, "alloc10() takes no arguments"); return NULL; }
    if (bench_alloc10_pymem() < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *thread_alloc_scoped(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self; (void)args;
    if (nargs != 0) { PyErr_SetString(PyExc_TypeError, "thread_alloc_scoped() takes no arguments"); return NULL; }
    if (bench_run_worker(bench_worker_scoped) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *thread_alloc_unscoped(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self; (void)args;
    if (nargs != 0) { PyErr_SetString(PyExc_TypeError, "thread_alloc_unscoped() takes no arguments"); return NULL; }
    if (bench_run_worker(bench_worker_unscoped) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *roundtrip1000(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self; (void)args;
    if (nargs != 0) { PyErr_SetString(PyExc_TypeError, "roundtrip1000() takes no arguments"); return NULL; }
    long long acc = bench_roundtrip_capi();
    if (acc == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLongLong(acc);
}

/* sum_f64(x): a 1-D float64 buffer, read-only accepted, any strides — the buffer protocol with
 * the checks a careful extension makes (format, dimensions). */
static PyObject *sum_f64(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "sum_f64() takes 1 argument"); return NULL; }
    Py_buffer b;
    if (PyObject_GetBuffer(args[0], &b, PyBUF_RECORDS_RO) < 0) return NULL;
    const char *f = b.format;
    if (f[0] == '@' || f[0] == '=' || f[0] == '<') f++;
    if (b.ndim != 1 || b.itemsize != sizeof(double) || f[0] != 'd' || f[1] != '\0') {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, "sum_f64() argument must be a 1-D float64 buffer");
        return NULL;
    }
    double s = bench_sum_f64(b.buf, (size_t)b.shape[0], b.strides[0]);
    PyBuffer_Release(&b);
    return PyFloat_FromDouble(s);
}

/* crc32(data, value=0): any C-contiguous buffer's bytes (PyBUF_SIMPLE), as zlib.crc32. */
static PyObject *crc32_impl(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs < 1 || nargs > 2) { PyErr_SetString(PyExc_TypeError, "crc32() takes 1 or 2 arguments"); return NULL; }
    unsigned long value = 0;
    if (nargs == 2) {
        value = PyLong_AsUnsignedLong(args[1]);
        if (value == (unsigned long)-1 && PyErr_Occurred()) return NULL;
        if (value > 0xFFFFFFFFul) { PyErr_SetString(PyExc_OverflowError, "value out of range"); return NULL; }
    }
    Py_buffer b;
    if (PyObject_GetBuffer(args[0], &b, PyBUF_SIMPLE) < 0) return NULL;
    uint32_t c = bench_crc32(b.buf, (size_t)b.len, (uint32_t)value);
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(c);
}

#ifdef BENCH_NUMPY
/* linspace(start, stop, n): a new numpy float64 array (numpy's C API: what a handwritten
 * extension returning an array uses). Built only when numpy's headers are there. */
static PyObject *linspace(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "linspace() takes 3 arguments"); return NULL; }
    double start = PyFloat_AsDouble(args[0]);
    if (start == -1.0 && PyErr_Occurred()) return NULL;
    double stop = PyFloat_AsDouble(args[1]);
    if (stop == -1.0 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyLong_AsSsize_t(args[2]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0) { PyErr_SetString(PyExc_ValueError, "n must be non-negative"); return NULL; }
    npy_intp dims[1] = {n};
    PyObject *r = PyArray_SimpleNew(1, dims, NPY_DOUBLE);
    if (r == NULL) return NULL;
    bench_linspace((double *)PyArray_DATA((PyArrayObject *)r), (size_t)n, start, stop);
    return r;
}
#endif
/* ---- containers: what a careful FASTCALL extension writes for each (docs/containers.md) ---- */

/* sum_list(xs): a list, tuple or other sequence of int64, summed with overflow checks. */
static PyObject *sum_list(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "sum_list() takes 1 argument"); return NULL; }
    PyObject *seq = PySequence_Fast(args[0], "sum_list() argument must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    long long sum = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v = PyLong_AsLongLong(items[i]);
        if ((v == -1 && PyErr_Occurred()) || __builtin_add_overflow(sum, v, &sum)) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_OverflowError, "sum does not fit in int64");
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    return PyLong_FromLongLong(sum);
}

/* minmax(xs): (min, max) of a non-empty sequence of floats, as a new 2-tuple. */
static PyObject *minmax(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "minmax() takes 1 argument"); return NULL; }
    PyObject *seq = PySequence_Fast(args[0], "minmax() argument must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    if (n == 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "minmax: empty sequence");
        return NULL;
    }
    double lo = 0, hi = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = PyFloat_AsDouble(items[i]);
        if (x == -1.0 && PyErr_Occurred()) { Py_DECREF(seq); return NULL; }
        if (i == 0 || x < lo) lo = x;
        if (i == 0 || x > hi) hi = x;
    }
    Py_DECREF(seq);
    PyObject *t = PyTuple_New(2);
    if (t == NULL) return NULL;
    PyObject *a = PyFloat_FromDouble(lo), *b = PyFloat_FromDouble(hi);
    if (a == NULL || b == NULL) { Py_XDECREF(a); Py_XDECREF(b); Py_DECREF(t); return NULL; }
    PyTuple_SET_ITEM(t, 0, a);
    PyTuple_SET_ITEM(t, 1, b);
    return t;
}

/* apply(f, xs): [f(x) for x in xs], each x and result checked to be an int64. */
static PyObject *apply(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "apply() takes 2 arguments"); return NULL; }
    if (!PyCallable_Check(args[0])) { PyErr_SetString(PyExc_TypeError, "apply() argument 'f' must be callable"); return NULL; }
    PyObject *seq = PySequence_Fast(args[1], "apply() argument 'xs' must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) { Py_DECREF(seq); return NULL; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = NULL;
        long long v = PyLong_AsLongLong(items[i]);
        if (!(v == -1 && PyErr_Occurred())) r = PyObject_CallOneArg(args[0], items[i]);
        if (r != NULL) {
            long long w = PyLong_AsLongLong(r);
            if (w == -1 && PyErr_Occurred()) Py_CLEAR(r);
        }
        if (r == NULL) { Py_DECREF(out); Py_DECREF(seq); return NULL; }
        PyList_SET_ITEM(out, i, r);
    }
    Py_DECREF(seq);
    return out;
}

/* count_up(n): a native iterator over 0..n-1 (a small type with tp_iternext). */
typedef struct {
    PyObject_HEAD
    long long next, stop;
} CountUp;

static PyObject *count_up_next(PyObject *self) {
    CountUp *c = (CountUp *)self;
    if (c->next >= c->stop) return NULL;
    return PyLong_FromLongLong(c->next++);
}

static void count_up_dealloc(PyObject *self) { PyObject_Free(self); }

static PyTypeObject CountUpType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "floor.CountUp",
    .tp_basicsize = sizeof(CountUp),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = count_up_next,
    .tp_dealloc = count_up_dealloc,
};

static PyObject *count_up(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "count_up() takes 1 argument"); return NULL; }
    long long n = PyLong_AsLongLong(args[0]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    CountUp *c = PyObject_New(CountUp, &CountUpType);
    if (c == NULL) return NULL;
    c->next = 0;
    c->stop = n;
    return (PyObject *)c;
}

/* word_counts(text): {word: count} built with PyDict_SetItem from bench_count_words. */
static PyObject *word_counts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "word_counts() takes 1 argument"); return NULL; }
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(args[0], &len);
    if (text == NULL) return NULL;
    bench_word words[BENCH_MAX_DISTINCT];
    int n = bench_count_words(text, (size_t)len, words);
    if (n < 0) { PyErr_SetString(PyExc_ValueError, "too many distinct words"); return NULL; }
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *k = PyUnicode_FromStringAndSize(words[i].ptr, (Py_ssize_t)words[i].len);
        PyObject *v = k == NULL ? NULL : PyLong_FromLongLong(words[i].count);
        int rc = v == NULL ? -1 : PyDict_SetItem(d, k, v);
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (rc < 0) { Py_DECREF(d); return NULL; }
    }
    return d;
}

#define FASTCALL(fn) (PyCFunction)(void (*)(void))(fn)

static PyMethodDef methods[] = {
    {"noop", FASTCALL(noop), METH_FASTCALL, NULL},
    {"add", FASTCALL(add), METH_FASTCALL, NULL},
    {"fadd", FASTCALL(fadd_impl), METH_FASTCALL, NULL},
    {"slen", FASTCALL(slen), METH_FASTCALL, NULL},
    {"greet", FASTCALL(greet), METH_FASTCALL, NULL},
    {"kwargs", FASTCALL(kwargs_impl), METH_FASTCALL | METH_KEYWORDS, NULL},
    {"alloc10", FASTCALL(alloc10), METH_FASTCALL, NULL},
    {"thread_alloc_scoped", FASTCALL(thread_alloc_scoped), METH_FASTCALL, NULL},
    {"thread_alloc_unscoped", FASTCALL(thread_alloc_unscoped), METH_FASTCALL, NULL},
    {"roundtrip1000", FASTCALL(roundtrip1000), METH_FASTCALL, NULL},
    {"sum_f64", FASTCALL(sum_f64), METH_FASTCALL, NULL},
    {"crc32", FASTCALL(crc32_impl), METH_FASTCALL, NULL},
#ifdef BENCH_NUMPY
    {"linspace", FASTCALL(linspace), METH_FASTCALL, NULL},
#endif
    {"sum_list", FASTCALL(sum_list), METH_FASTCALL, NULL},
    {"minmax", FASTCALL(minmax), METH_FASTCALL, NULL},
    {"apply", FASTCALL(apply), METH_FASTCALL, NULL},
    {"count_up", FASTCALL(count_up), METH_FASTCALL, NULL},
    {"word_counts", FASTCALL(word_counts), METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "floor", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_floor(void) {
    bench_crc32_init();
#ifdef BENCH_NUMPY
    import_array();
#endif
    static const char *const names[3] = {"a", "b", "c"};
    if (PyType_Ready(&CountUpType) < 0) return NULL;
    for (int j = 0; j < 3; j++) {
        if (kw_names[j] == NULL && (kw_names[j] = PyUnicode_InternFromString(names[j])) == NULL) return NULL;
    }
    return PyModule_Create(&moddef);
}
