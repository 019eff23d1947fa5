/* bench/floor/floor.c: the performance floor — a handwritten CPython extension using
 * METH_FASTCALL (and METH_FASTCALL | METH_KEYWORDS for keywords), compiled with -O2. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

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
    char buf[256];
    if (n > 240) { PyErr_SetString(PyExc_ValueError, "name too long"); return NULL; }
    memcpy(buf, "hello, ", 7);
    memcpy(buf + 7, s, (size_t)n);
    return PyUnicode_FromStringAndSize(buf, n + 7);
}

static PyMethodDef methods[] = {
    {"noop", (PyCFunction)(void (*)(void))noop, METH_FASTCALL, NULL},
    {"add", (PyCFunction)(void (*)(void))add, METH_FASTCALL, NULL},
    {"fadd", (PyCFunction)(void (*)(void))fadd_impl, METH_FASTCALL, NULL},
    {"slen", (PyCFunction)(void (*)(void))slen, METH_FASTCALL, NULL},
    {"greet", (PyCFunction)(void (*)(void))greet, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "floor", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_floor(void) { return PyModule_Create(&moddef); }
