/* bench/floor/floor_classes.c: the performance floor of the class benchmarks — handwritten
 * CPython extension types, compiled with -O2 (docs/performance.md, "Classes").
 *
 * What a careful C programmer writes for speed: static types (immutable, so CPython specialises
 * calls of them), construction by the type's vectorcall (3.9+), METH_FASTCALL methods with
 * arguments parsed by hand, getset properties. Counter(start=0) with inc(by=1), reset() and a
 * read/write `value`; RollingStats(window) with push(x) and `count`; merge(a, b). The same
 * behaviour as the pyz3 sample plugin (plugins/c/classes) on these calls, including its count of
 * live instances (kept in the constructors and deallocators; live_count()). Built per Python
 * version by bench/peers.py. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "../common/rolling.h"

/* ---- Counter ------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    long long value;
} CounterObject;

static PyTypeObject CounterType;
static PyObject *str_start, *str_by;
/* Instances alive, as the pyz3 sample plugin counts them. */
static long long live = 0;

/* Keyword `name` of a vectorcall with at most one parameter: its value, or NULL (and an error
 * when another name was given). */
static int one_arg(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject *name,
                   const char *fname, PyObject **out) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    *out = NULL;
    if (nargs + nkw > 1) {
        PyErr_Format(PyExc_TypeError, "%s takes at most 1 argument", fname);
        return -1;
    }
    if (nargs == 1) {
        *out = args[0];
    } else if (nkw == 1) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, 0);
        if (key != name && PyUnicode_Compare(key, name) != 0) {
            PyErr_Format(PyExc_TypeError, "%s got an unexpected keyword argument %R", fname, key);
            return -1;
        }
        *out = args[0];
    }
    return 0;
}

static int counter_start(CounterObject *self, PyObject *start) {
    long long v = 0;
    if (start != NULL) {
        v = PyLong_AsLongLong(start);
        if (v == -1 && PyErr_Occurred())
            return -1;
    }
    self->value = v;
    return 0;
}

static PyObject *counter_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                                    PyObject *kwnames) {
    PyObject *start;
    if (one_arg(args, PyVectorcall_NARGS(nargsf), kwnames, str_start, "Counter()", &start) < 0)
        return NULL;
    CounterObject *self = (CounterObject *)((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, 0);
    if (self == NULL)
        return NULL;
    if (counter_start(self, start) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    live++;
    return (PyObject *)self;
}

static void counter_dealloc(PyObject *op) {
    live--;
    Py_TYPE(op)->tp_free(op);
}

static int counter_init(PyObject *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"start", NULL};
    PyObject *start = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O", names, &start))
        return -1;
    if (counter_start((CounterObject *)self, start) < 0)
        return -1;
    live++;
    return 0;
}

static PyObject *counter_inc(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    CounterObject *self = (CounterObject *)op;
    PyObject *by;
    if (one_arg(args, nargs, kwnames, str_by, "inc()", &by) < 0)
        return NULL;
    long long step = 1;
    if (by != NULL) {
        step = PyLong_AsLongLong(by);
        if (step == -1 && PyErr_Occurred())
            return NULL;
    }
    if (__builtin_add_overflow(self->value, step, &self->value)) {
        PyErr_SetString(PyExc_OverflowError, "Counter.inc: the value does not fit in int64");
        return NULL;
    }
    return PyLong_FromLongLong(self->value);
}

static PyObject *counter_reset(PyObject *op, PyObject *unused) {
    (void)unused;
    ((CounterObject *)op)->value = 0;
    Py_RETURN_NONE;
}

static PyObject *counter_repr(PyObject *op) {
    return PyUnicode_FromFormat("Counter(value=%lld)", ((CounterObject *)op)->value);
}

static PyObject *counter_get_value(PyObject *op, void *closure) {
    (void)closure;
    return PyLong_FromLongLong(((CounterObject *)op)->value);
}

static int counter_set_value(PyObject *op, PyObject *value, void *closure) {
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute 'value'");
        return -1;
    }
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred())
        return -1;
    ((CounterObject *)op)->value = v;
    return 0;
}

static PyMethodDef counter_methods[] = {
    {"inc", (PyCFunction)(void (*)(void))counter_inc, METH_FASTCALL | METH_KEYWORDS,
     "inc($self, by=1)\n--\n\nAdd `by` and return the new value."},
    {"reset", counter_reset, METH_NOARGS, "reset($self)\n--\n\nSet the value to 0."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef counter_getset[] = {
    {"value", counter_get_value, counter_set_value, "The current value.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- RollingStats -------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    rolling_t r;
} StatsObject;

static PyTypeObject StatsType;

static void *py_alloc(size_t n) { return PyMem_Malloc(n); }

static PyObject *stats_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                                  PyObject *kwnames) {
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "RollingStats() takes 1 positional argument");
        return NULL;
    }
    long long window = PyLong_AsLongLong(args[0]);
    if (window == -1 && PyErr_Occurred())
        return NULL;
    if (window <= 0) {
        PyErr_SetString(PyExc_ValueError, "RollingStats: window must be positive");
        return NULL;
    }
    StatsObject *self = (StatsObject *)((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, 0);
    if (self == NULL)
        return NULL;
    if (rolling_init(&self->r, window, py_alloc) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    live++;
    return (PyObject *)self;
}

static void stats_dealloc(PyObject *op) {
    StatsObject *self = (StatsObject *)op;
    if (self->r.values != NULL) {
        PyMem_Free(self->r.values);
        live--;
    }
    Py_TYPE(op)->tp_free(op);
}

static PyObject *stats_push(PyObject *op, PyObject *x) {
    double v = PyFloat_AsDouble(x);
    if (v == -1.0 && PyErr_Occurred())
        return NULL;
    rolling_push(&((StatsObject *)op)->r, v);
    Py_RETURN_NONE;
}

static PyObject *stats_count(PyObject *op, void *closure) {
    (void)closure;
    return PyLong_FromLongLong(((StatsObject *)op)->r.count);
}

static Py_ssize_t stats_len(PyObject *op) { return (Py_ssize_t)((StatsObject *)op)->r.count; }

static PyMethodDef stats_methods[] = {
    {"push", stats_push, METH_O, "push($self, x, /)\n--\n\nAdd a value."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef stats_getset[] = {
    {"count", stats_count, NULL, "How many values are held.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods stats_as_sequence = {.sq_length = stats_len};

/* merge(a, b) -> RollingStats */
static PyObject *merge(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "merge() takes 2 arguments");
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (!PyObject_TypeCheck(args[i], &StatsType)) {
            PyErr_Format(PyExc_TypeError, "merge() argument %d must be RollingStats, not %s", i + 1,
                         Py_TYPE(args[i])->tp_name);
            return NULL;
        }
    }
    StatsObject *out = (StatsObject *)StatsType.tp_alloc(&StatsType, 0);
    if (out == NULL)
        return NULL;
    if (rolling_merge(&out->r, &((StatsObject *)args[0])->r, &((StatsObject *)args[1])->r, py_alloc) < 0) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    live++;
    return (PyObject *)out;
}

static PyObject *live_count(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyLong_FromLongLong(live);
}

static PyMethodDef module_methods[] = {
    {"merge", (PyCFunction)(void (*)(void))merge, METH_FASTCALL, "merge(a, b, /)\n--\n\n"},
    {"live_count", live_count, METH_NOARGS, "live_count()\n--\n\n"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "floor_classes", "The class benchmarks' floor.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_floor_classes(void) {
    CounterType = (PyTypeObject){
        PyVarObject_HEAD_INIT(NULL, 0)
        .tp_name = "floor_classes.Counter",
        .tp_basicsize = sizeof(CounterObject),
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .tp_new = PyType_GenericNew,
        .tp_init = counter_init,
        .tp_vectorcall = counter_vectorcall,
        .tp_dealloc = counter_dealloc,
        .tp_repr = counter_repr,
        .tp_methods = counter_methods,
        .tp_getset = counter_getset,
    };
    StatsType = (PyTypeObject){
        PyVarObject_HEAD_INIT(NULL, 0)
        .tp_name = "floor_classes.RollingStats",
        .tp_basicsize = sizeof(StatsObject),
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_new = PyType_GenericNew,
        .tp_vectorcall = stats_vectorcall,
        .tp_dealloc = stats_dealloc,
        .tp_methods = stats_methods,
        .tp_getset = stats_getset,
        .tp_as_sequence = &stats_as_sequence,
    };
    str_start = PyUnicode_InternFromString("start");
    str_by = PyUnicode_InternFromString("by");
    if (str_start == NULL || str_by == NULL || PyType_Ready(&CounterType) < 0 ||
        PyType_Ready(&StatsType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Counter", (PyObject *)&CounterType) < 0 ||
        PyModule_AddObjectRef(m, "RollingStats", (PyObject *)&StatsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
