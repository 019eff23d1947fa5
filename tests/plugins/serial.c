/* tests/plugins/serial.c: a plugin that watches its own calls overlap, for
 * tests/python/test_free_threading.py. Built twice: libserial.so declares nothing (pyz3 must
 * serialise its calls on free-threaded CPython, as the GIL does elsewhere), and
 * libserial_ft.so (-DSERIAL_FREE_THREADED) declares PYZ3_PLUGIN_FREE_THREADED. */
#include <stdatomic.h>

#ifdef SERIAL_FREE_THREADED
#define PYZ3_PLUGIN_FLAGS PYZ3_PLUGIN_FREE_THREADED
#endif
#include "pyz3.h"

/* How many calls of `probe` are running right now, on any thread. */
static atomic_int inside;

/* Enters, watches `inside` for `spins` rounds and leaves: the most calls seen running at once. */
static PYZ3_FN(probe) {
    int most = atomic_fetch_add(&inside, 1) + 1;
    for (int64_t i = 0; i < args[0].i64; i++) {
        int now = atomic_load(&inside);
        if (now > most)
            most = now;
    }
    atomic_fetch_sub(&inside, 1);
    result->i64 = most;
    return PYZ3_OK;
}

/* Calls `f()` from inside this plugin's call and returns what it returned: a callback that
 * calls back into the plugin re-enters it on the same thread. */
static PYZ3_FN(call_back) {
    result->obj = pyz3_call_object(args[0].obj, NULL, 0);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static const pyz3_param probe_params[] = {PYZ3_PARAM("spins", PYZ3_T_I64)};
static const pyz3_param call_back_params[] = {PYZ3_PARAM("f", PYZ3_T_OBJECT)};
static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION("probe", probe, probe_params, PYZ3_T_I64,
                  "Spin `spins` rounds; return the most calls seen running at once."),
    PYZ3_FUNCTION("call_back", call_back, call_back_params, PYZ3_T_OBJECT,
                  "Return f(), called from inside the plugin."),
};

#ifdef SERIAL_FREE_THREADED
PYZ3_PLUGIN("serial_ft", "Declared safe without the GIL.", functions)
#else
PYZ3_PLUGIN("serial", "Not declared safe without the GIL: pyz3 serialises its calls.", functions)
#endif
