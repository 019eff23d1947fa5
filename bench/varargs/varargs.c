/* bench/varargs/varargs.c: the same functions as bench/floor/floor.c written the way most C
 * extensions are: METH_VARARGS (| METH_KEYWORDS) with PyArg_ParseTuple(AndKeywords). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "../common/cpython_work.h"

static PyObject *noop(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyArg_ParseTuple(args, ":noop")) return NULL;
    Py_RETURN_NONE;
}

static PyObject *add(PyObject *self, PyObject *args) {
    (void)self;
    long long a, b;
    if (!PyArg_ParseTuple(args, "LL:add", &a, &b)) return NULL;
    return PyLong_FromLongLong(a + b);
}

static PyObject *fadd_impl(PyObject *self, PyObject *args) {
    (void)self;
    double a, b;
    if (!PyArg_ParseTuple(args, "dd:fadd", &a, &b)) return NULL;
    return PyFloat_FromDouble(a + b);
}

static PyObject *slen(PyObject *self, PyObject *args) {
    (void)self;
    const char *s;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "s#:slen", &s, &n)) return NULL;
    return PyLong_FromSsize_t(n);
}

static PyObject *greet(PyObject *self, PyObject *args) {
    (void)self;
    const char *s;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "s#:greet", &s, &n)) return NULL;
    return bench_greet_capi(s, n);
}

static PyObject *kwargs_impl(PyObject *self, PyObject *args, PyObject *kwds) {
    (void)self;
    static char *kwlist[] = {"a", "b", "c", NULL};
    long long a, b, c;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LLL:kwargs", kwlist, &a, &b, &c)) return NULL;
    return PyLong_FromLongLong(a + b + c);
}

static PyObject *alloc10(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyArg_ParseTuple(args, ":alloc10")) return NULL;
    if (bench_alloc10_pymem() < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *thread_alloc_scoped(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyArg_ParseTuple(args, ":thread_alloc_scoped")) return NULL;
    if (bench_run_worker(bench_worker_scoped) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *thread_alloc_unscoped(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyArg_ParseTuple(args, ":thread_alloc_unscoped")) return NULL;
    if (bench_run_worker(bench_worker_unscoped) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *roundtrip1000(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyArg_ParseTuple(args, ":roundtrip1000")) return NULL;
    long long acc = bench_roundtrip_capi();
    if (acc == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLongLong(acc);
}

static PyMethodDef methods[] = {
    {"noop", noop, METH_VARARGS, NULL},
    {"add", add, METH_VARARGS, NULL},
    {"fadd", fadd_impl, METH_VARARGS, NULL},
    {"slen", slen, METH_VARARGS, NULL},
    {"greet", greet, METH_VARARGS, NULL},
    {"kwargs", (PyCFunction)(void (*)(void))kwargs_impl, METH_VARARGS | METH_KEYWORDS, NULL},
    {"alloc10", alloc10, METH_VARARGS, NULL},
    {"thread_alloc_scoped", thread_alloc_scoped, METH_VARARGS, NULL},
    {"thread_alloc_unscoped", thread_alloc_unscoped, METH_VARARGS, NULL},
    {"roundtrip1000", roundtrip1000, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "varargs", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_varargs(void) { return PyModule_Create(&moddef); }
