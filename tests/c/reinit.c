/* tests/c/reinit.c: an embedding program that finalises the interpreter and starts a new one,
 * loading and calling a plugin in each. In CPython 3.10/3.11 small ints belong to the
 * interpreter, so a pool that outlived Py_Finalize would hand out freed objects; pyz3 forgets its
 * pooled objects at finalisation and refills the pool when pyz3._pyz3 is imported again.
 *
 * Usage: reinit <build/python> <libpool_bench.so> <rounds>; prints one line per round. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>

static const char *script =
    "import sys, pyz3\n"
    "p = pyz3.load(PLUGIN)\n"
    "vals = [p.small_int(i) for i in range(-5, 1025)]\n"
    "assert vals == list(range(-5, 1025)), 'pooled ints changed value'\n"
    "assert p.small_int(1000) is p.small_int(1000)\n"
    "assert p.small_int_obj(7) is vals[12]\n"
    "assert p.get_none() is None and p.intern('k') is sys.intern('k')\n"
    "assert p.keywords(1, epsilon=1) == 11\n"
    "print('round ok', sum(vals))\n";

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PYTHONPATH PLUGIN ROUNDS\n", argv[0]);
        return 2;
    }
    int rounds = atoi(argv[3]);
    for (int r = 0; r < rounds; r++) {
        Py_Initialize();
        PyObject *path = PySys_GetObject("path");
        PyObject *dir = PyUnicode_FromString(argv[1]);
        PyList_Insert(path, 0, dir);
        Py_DECREF(dir);
        PyObject *globals = PyDict_New();
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
        PyObject *plugin = PyUnicode_FromString(argv[2]);
        PyDict_SetItemString(globals, "PLUGIN", plugin);
        Py_DECREF(plugin);
        PyObject *res = PyRun_String(script, Py_file_input, globals, globals);
        if (res == NULL) {
            PyErr_Print();
            return 1;
        }
        Py_DECREF(res);
        Py_DECREF(globals);
        fflush(stdout);
        if (Py_FinalizeEx() < 0) return 1;
    }
    return 0;
}
