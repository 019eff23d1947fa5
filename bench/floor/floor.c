/* bench/floor/floor.c: the performance floor — a handwritten CPython extension using
 * METH_FASTCALL (and METH_FASTCALL | METH_KEYWORDS for keywords), compiled with -O2.
 *
 * One function per benchmark case, doing exactly the work the other bindings do (docs/performance.md
 * lists the cases). Built per Python version by bench/peers.py into build/bench/py3.X/. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

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
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "floor", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_floor(void) {
    bench_crc32_init();
#ifdef BENCH_NUMPY
    import_array();
#endif
    static const char *const names[3] = {"a", "b", "c"};
    for (int j = 0; j < 3; j++) {
        if (kw_names[j] == NULL && (kw_names[j] = PyUnicode_InternFromString(names[j])) == NULL) return NULL;
    }
    return PyModule_Create(&moddef);
}
