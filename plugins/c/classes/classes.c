/* plugins/c/classes/classes.c: the sample classes plugin — native state, constructors, methods,
 * properties, special methods, pickling, garbage-collected object fields (docs/classes.md).
 *
 * Built by `make plugins` into build/plugins/libclasses.so. Like every sample plugin it includes
 * only pyz3.h and links only libpyz3. The Zig twin (plugins/zig/classes) and the Rust twin
 * (plugins/rust/classes_rs) behave the same, and tests/python/test_classes.py runs on all three.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pyz3.h"

/* Instances of every class whose state exists: made by a constructor, by merge(), or by
 * unpickling, and not yet destroyed. With the GIL held around every call, a plain counter. */
static int64_t live = 0;

enum { COUNTER, ROLLING_STATS, NODE };

/* ---- Counter ---------------------------------------------------------------------------------- */

typedef struct {
    int64_t value;
} Counter;

static PYZ3_FN(counter_init) {
    PYZ3_SELF(Counter)->value = args[1].i64;
    live++;
    return PYZ3_OK;
}

static PYZ3_DEINIT(counter_deinit) {
    (void)state;
    live--;
}

static PYZ3_FN(counter_inc) {
    Counter *self = PYZ3_SELF(Counter);
    int64_t value;
    if (__builtin_add_overflow(self->value, args[1].i64, &value))
        return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "Counter.inc: the value does not fit in int64");
    result->i64 = self->value = value;
    return PYZ3_OK;
}

static PYZ3_FN(counter_reset) {
    PYZ3_SELF(Counter)->value = 0;
    return PYZ3_OK;
}

static PYZ3_FN(counter_repr) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "Counter(value=%lld)", (long long)PYZ3_SELF(Counter)->value);
    result->obj = pyz3_from_str(buf, (size_t)n);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(counter_get_value) {
    result->i64 = PYZ3_SELF(Counter)->value;
    return PYZ3_OK;
}

static PYZ3_FN(counter_set_value) {
    PYZ3_SELF(Counter)->value = args[1].i64;
    return PYZ3_OK;
}

/* Pickling: the state is the value; unpickling makes the state from it, like the constructor. */
static PYZ3_FN(counter_export) {
    result->i64 = PYZ3_SELF(Counter)->value;
    return PYZ3_OK;
}

static const pyz3_param counter_init_params[] = {PYZ3_PARAM_DEFAULT("start", PYZ3_T_I64, "0")};
static const pyz3_function_def counter_ctor = PYZ3_CONSTRUCTOR(counter_init, counter_init_params);
static const pyz3_param inc_params[] = {PYZ3_PARAM_DEFAULT("by", PYZ3_T_I64, "1")};
static const pyz3_function_def counter_methods[] = {
    PYZ3_FUNCTION("inc", counter_inc, inc_params, PYZ3_T_I64, "Add `by` and return the new value."),
    PYZ3_FUNCTION_NOARGS("reset", counter_reset, PYZ3_T_VOID, "Set the value to 0."),
    PYZ3_FUNCTION_NOARGS("__repr__", counter_repr, PYZ3_T_STR, NULL),
};
static const pyz3_property_def counter_properties[] = {
    PYZ3_PROPERTY("value", counter_get_value, counter_set_value, PYZ3_T_I64, "The current value."),
};
static const pyz3_function_def counter_export_def =
    PYZ3_FUNCTION_NOARGS("export_state", counter_export, PYZ3_T_I64, NULL);
static const pyz3_param counter_import_params[] = {PYZ3_PARAM("value", PYZ3_T_I64)};
static const pyz3_function_def counter_import_def =
    PYZ3_FUNCTION("import_state", counter_init, counter_import_params, PYZ3_T_VOID, NULL);

/* ---- RollingStats ------------------------------------------------------------------------------ */

/* The last `window` values pushed, in a ring buffer on libpyz3's allocator. */
typedef struct {
    int64_t window;
    int64_t count;  /* values held: at most `window` */
    int64_t next;   /* where the next value goes */
    double *values;
} RollingStats;

static int32_t stats_make(RollingStats *s, int64_t window) {
    if (window <= 0)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "RollingStats: window must be positive");
    if (window > (int64_t)1 << 28)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "RollingStats: window is too large");
    s->values = (double *)pyz3_alloc((size_t)window * sizeof(double), 0);
    if (s->values == NULL)
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "RollingStats: out of memory");
    s->window = window;
    live++;
    return PYZ3_OK;
}

static PYZ3_FN(stats_init) { return stats_make(PYZ3_SELF(RollingStats), args[1].i64); }

static PYZ3_DEINIT(stats_deinit) {
    pyz3_free(((RollingStats *)state)->values, 0);
    live--;
}

static void stats_push(RollingStats *s, double x) {
    s->values[s->next] = x;
    s->next = (s->next + 1) % s->window;
    if (s->count < s->window)
        s->count++;
}

/* Value i of the held ones, oldest first. */
static double stats_at(const RollingStats *s, int64_t i) {
    int64_t first = (s->next - s->count + s->window) % s->window;
    return s->values[(first + i) % s->window];
}

static PYZ3_FN(stats_push_fn) {
    stats_push(PYZ3_SELF(RollingStats), args[1].f64);
    return PYZ3_OK;
}

static PYZ3_FN(stats_count) {
    result->i64 = PYZ3_SELF(RollingStats)->count;
    return PYZ3_OK;
}

static double stats_mean(const RollingStats *s) {
    double sum = 0;
    for (int64_t i = 0; i < s->count; i++)
        sum += stats_at(s, i);
    return sum / (double)s->count;
}

static PYZ3_FN(stats_mean_fn) {
    const RollingStats *s = PYZ3_SELF(RollingStats);
    if (s->count == 0)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "RollingStats.mean: no values");
    result->f64 = stats_mean(s);
    return PYZ3_OK;
}

static PYZ3_FN(stats_variance) {
    const RollingStats *s = PYZ3_SELF(RollingStats);
    if (s->count < 2)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "RollingStats.variance: needs at least 2 values");
    double mean = stats_mean(s), sq = 0;
    for (int64_t i = 0; i < s->count; i++) {
        double d = stats_at(s, i) - mean;
        sq += d * d;
    }
    result->f64 = sq / (double)(s->count - 1);
    return PYZ3_OK;
}

static const pyz3_param stats_init_params[] = {PYZ3_PARAM("window", PYZ3_T_I64)};
static const pyz3_function_def stats_ctor = PYZ3_CONSTRUCTOR(stats_init, stats_init_params);
static const pyz3_param push_params[] = {PYZ3_PARAM("x", PYZ3_T_F64)};
static const pyz3_function_def stats_methods[] = {
    PYZ3_FUNCTION("push", stats_push_fn, push_params, PYZ3_T_VOID,
                  "Add a value; the oldest goes once `window` are held."),
    PYZ3_FUNCTION_NOARGS("__len__", stats_count, PYZ3_T_I64, NULL),
};
static const pyz3_property_def stats_properties[] = {
    PYZ3_PROPERTY("count", stats_count, NULL, PYZ3_T_I64, "How many values are held."),
    PYZ3_PROPERTY("mean", stats_mean_fn, NULL, PYZ3_T_F64, "Mean of the values held."),
    PYZ3_PROPERTY("variance", stats_variance, NULL, PYZ3_T_F64,
                  "Sample variance of the values held (ValueError with fewer than 2)."),
};

/* merge(a, b): a new RollingStats holding a's values, then b's; its window is both windows. */
static PYZ3_FN(merge) {
    const RollingStats *a = (const RollingStats *)args[0].inst, *b = (const RollingStats *)args[1].inst;
    RollingStats *out = (RollingStats *)result->inst;
    int64_t window;
    if (__builtin_add_overflow(a->window, b->window, &window))
        return pyz3_raise(PYZ3_EXC_OVERFLOW_ERROR, "merge: window too large");
    if (stats_make(out, window) != PYZ3_OK)
        return PYZ3_ERROR;
    for (int64_t i = 0; i < a->count; i++)
        stats_push(out, stats_at(a, i));
    for (int64_t i = 0; i < b->count; i++)
        stats_push(out, stats_at(b, i));
    return PYZ3_OK;
}

/* ---- Node ---------------------------------------------------------------------------------------- */

/* One Python object, held in a declared object field: the garbage collector sees it, so a cycle
 * through nodes (n.value = n) is collected, and pyz3 releases it when the node goes. */
typedef struct {
    PyObject *value;
} Node;

static PYZ3_FN(node_init) {
    pyz3_incref(args[1].obj);
    PYZ3_SELF(Node)->value = args[1].obj;
    live++;
    return PYZ3_OK;
}

static PYZ3_DEINIT(node_deinit) {
    (void)state;
    live--;
}

static PYZ3_FN(node_get_value) {
    /* NULL once the collector cleared the field to break a cycle. */
    PyObject *v = PYZ3_SELF(Node)->value;
    result->obj = v ? v : pyz3_none();
    pyz3_incref(v);
    return PYZ3_OK;
}

static PYZ3_FN(node_set_value) {
    Node *self = PYZ3_SELF(Node);
    PyObject *old = self->value;
    pyz3_incref(args[1].obj);
    self->value = args[1].obj;
    pyz3_decref(old);
    return PYZ3_OK;
}

static const pyz3_param node_init_params[] = {PYZ3_PARAM("value", PYZ3_T_OBJECT)};
static const pyz3_function_def node_ctor = PYZ3_CONSTRUCTOR(node_init, node_init_params);
static const pyz3_property_def node_properties[] = {
    PYZ3_PROPERTY("value", node_get_value, node_set_value, PYZ3_T_OBJECT, "Any Python object."),
};
static const uint32_t node_fields[] = {offsetof(Node, value)};

/* ---- the module ---------------------------------------------------------------------------------- */

static PYZ3_FN(live_count) {
    result->i64 = live;
    return PYZ3_OK;
}

static const pyz3_class_def classes[] = {
    [COUNTER] = PYZ3_CLASS_EX("Counter", "A counter that starts at `start`.", Counter, 0, NULL, 0,
                              &counter_ctor, counter_deinit, counter_methods,
                              PYZ3_COUNTOF(counter_methods), counter_properties,
                              PYZ3_COUNTOF(counter_properties), &counter_export_def,
                              &counter_import_def),
    [ROLLING_STATS] = PYZ3_CLASS("RollingStats", "Mean and variance of the last `window` values.",
                                 RollingStats, &stats_ctor, stats_deinit, stats_methods,
                                 stats_properties, PYZ3_COUNTOF(stats_properties)),
    [NODE] = PYZ3_CLASS_EX("Node", "Holds one Python object.", Node, 0, node_fields,
                           PYZ3_COUNTOF(node_fields), &node_ctor, node_deinit, NULL, 0,
                           node_properties, PYZ3_COUNTOF(node_properties), NULL, NULL),
};

static const pyz3_param merge_params[] = {
    PYZ3_PARAM_INSTANCE("a", ROLLING_STATS),
    PYZ3_PARAM_INSTANCE("b", ROLLING_STATS),
};
static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_INSTANCE("merge", merge, merge_params, ROLLING_STATS,
                           "A new RollingStats holding the values of a, then b."),
    PYZ3_FUNCTION_NOARGS("live_count", live_count, PYZ3_T_I64,
                         "How many instances of this plugin's classes exist."),
};

PYZ3_PLUGIN_WITH_CLASSES("classes", "Native classes: Counter, RollingStats, Node.", functions,
                         PYZ3_COUNTOF(functions), classes, PYZ3_COUNTOF(classes))
