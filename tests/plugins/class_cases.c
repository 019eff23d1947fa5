/* tests/plugins/class_cases.c: classes exercising what the sample plugin does not — every special
 * method, static/class/raw methods, keyword-only and optional parameters, instance results of a
 * method's own class, weak references, final classes, a class without a constructor, constructors
 * that fail half-way, destructors that raise, object fields in cycles, GIL-released methods.
 * Built by `make test-plugins` into build/test-plugins/libclass_cases.so for
 * tests/python/test_classes.py. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pyz3.h"

enum { VEC2, COUNTDOWN, ADDER, FRAGILE, TOKEN, HOLDER };

/* Instances whose state exists, and resources the Fragile constructor acquired and not freed. */
static int64_t live = 0, resources = 0;

/* ---- Vec2: value semantics, every special method that takes or returns a value ------------- */

typedef struct {
    double x, y;
} Vec2;

static PYZ3_FN(vec_init) {
    Vec2 *v = PYZ3_SELF(Vec2);
    v->x = args[1].f64;
    v->y = args[2].f64;
    if (args[3].b && (v->x != 0 || v->y != 0))
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "Vec2: zero=True takes no coordinates");
    live++;
    return PYZ3_OK;
}

static PYZ3_DEINIT(vec_deinit) {
    (void)state;
    live--;
}

static PYZ3_FN(vec_get_x) { result->f64 = PYZ3_SELF(Vec2)->x; return PYZ3_OK; }
static PYZ3_FN(vec_set_x) { PYZ3_SELF(Vec2)->x = args[1].f64; return PYZ3_OK; }
static PYZ3_FN(vec_get_y) { result->f64 = PYZ3_SELF(Vec2)->y; return PYZ3_OK; }

/* scaled(k) -> Vec2: a new instance of its own class. */
static PYZ3_FN(vec_scaled) {
    const Vec2 *v = PYZ3_SELF(Vec2);
    Vec2 *out = (Vec2 *)result->inst;
    out->x = v->x * args[1].f64;
    out->y = v->y * args[1].f64;
    live++;
    return PYZ3_OK;
}

/* dot(other: Vec2) -> float: another instance (or a subclass's) as an argument. */
static PYZ3_FN(vec_dot) {
    const Vec2 *a = PYZ3_SELF(Vec2), *b = (const Vec2 *)args[1].inst;
    result->f64 = a->x * b->x + a->y * b->y;
    return PYZ3_OK;
}

static PYZ3_FN(vec_repr) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "Vec2(%g, %g)", PYZ3_SELF(Vec2)->x, PYZ3_SELF(Vec2)->y);
    result->obj = pyz3_from_str(buf, (size_t)n);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(vec_str) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "(%g, %g)", PYZ3_SELF(Vec2)->x, PYZ3_SELF(Vec2)->y);
    result->obj = pyz3_from_str(buf, (size_t)n);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(vec_eq) {
    const Vec2 *a = PYZ3_SELF(Vec2), *b = (const Vec2 *)args[1].inst;
    result->b = a->x == b->x && a->y == b->y;
    return PYZ3_OK;
}

static PYZ3_FN(vec_hash) {
    const Vec2 *v = PYZ3_SELF(Vec2);
    result->i64 = (int64_t)(v->x * 1000003) ^ (int64_t)(v->y * 7919);
    return PYZ3_OK;
}

static PYZ3_FN(vec_len) { result->i64 = 2; return PYZ3_OK; }

static PYZ3_FN(vec_bool) {
    result->b = PYZ3_SELF(Vec2)->x != 0 || PYZ3_SELF(Vec2)->y != 0;
    return PYZ3_OK;
}

static PYZ3_FN(vec_getitem) {
    int64_t i = args[1].i64;
    if (i == 0 || i == -2) result->f64 = PYZ3_SELF(Vec2)->x;
    else if (i == 1 || i == -1) result->f64 = PYZ3_SELF(Vec2)->y;
    else return pyz3_raise(PYZ3_EXC_INDEX_ERROR, "Vec2 index out of range");
    return PYZ3_OK;
}

static PYZ3_FN(vec_contains) {
    result->b = PYZ3_SELF(Vec2)->x == args[1].f64 || PYZ3_SELF(Vec2)->y == args[1].f64;
    return PYZ3_OK;
}

/* A static method: no instance. */
static PYZ3_FN(vec_norm_of) {
    result->f64 = sqrt(args[0].f64 * args[0].f64 + args[1].f64 * args[1].f64);
    return PYZ3_OK;
}

/* A class method: `call->self_` is the class it was called on; unit() calls it, so a subclass
 * gets an instance of itself. */
static PYZ3_FN(vec_unit) {
    PyObject *one = pyz3_from_f64(1.0), *zero = pyz3_from_f64(0.0);
    PyObject *argv[2] = {one, zero};
    result->obj = (one && zero) ? pyz3_call_object(call->self_, argv, 2) : NULL;
    pyz3_decref(one);
    pyz3_decref(zero);
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

/* Pickling through bytes. */
static PYZ3_FN(vec_export) {
    result->obj = pyz3_from_bytes((const char *)PYZ3_SELF(Vec2), sizeof(Vec2));
    return result->obj ? PYZ3_OK : PYZ3_ERROR;
}

static PYZ3_FN(vec_import) {
    if (args[1].bytes.len != sizeof(Vec2))
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "Vec2: bad pickled state");
    memcpy(PYZ3_SELF(Vec2), args[1].bytes.ptr, sizeof(Vec2));
    live++;
    return PYZ3_OK;
}

static const pyz3_param vec_init_params[] = {
    PYZ3_PARAM("x", PYZ3_T_F64),
    PYZ3_PARAM_DEFAULT("y", PYZ3_T_F64, "0.0"),
    PYZ3_PARAM_EX("zero", PYZ3_T_BOOL, PYZ3_PARAM_KEYWORD_ONLY, "False"),
};
static const pyz3_function_def vec_ctor = PYZ3_CONSTRUCTOR(vec_init, vec_init_params);
static const pyz3_param k_params[] = {PYZ3_PARAM("k", PYZ3_T_F64)};
static const pyz3_param other_params[] = {PYZ3_PARAM_INSTANCE("other", VEC2)};
static const pyz3_param index_params[] = {PYZ3_PARAM("index", PYZ3_T_I64)};
static const pyz3_param value_params[] = {PYZ3_PARAM("value", PYZ3_T_F64)};
static const pyz3_param xy_params[] = {PYZ3_PARAM("x", PYZ3_T_F64), PYZ3_PARAM("y", PYZ3_T_F64)};
static const pyz3_function_def vec_methods[] = {
    {"scaled", "A new Vec2, k times this one.", k_params, vec_scaled, NULL, NULL, 1,
     PYZ3_T_INSTANCE, 0, 0, PYZ3_INSTANCE_RESULT(VEC2)},
    PYZ3_FUNCTION("dot", vec_dot, other_params, PYZ3_T_F64, "The dot product."),
    PYZ3_FUNCTION_NOARGS("__repr__", vec_repr, PYZ3_T_STR, NULL),
    PYZ3_FUNCTION_NOARGS("__str__", vec_str, PYZ3_T_STR, NULL),
    PYZ3_FUNCTION("__eq__", vec_eq, other_params, PYZ3_T_BOOL, NULL),
    PYZ3_FUNCTION_NOARGS("__hash__", vec_hash, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_NOARGS("__len__", vec_len, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_NOARGS("__bool__", vec_bool, PYZ3_T_BOOL, NULL),
    PYZ3_FUNCTION("__getitem__", vec_getitem, index_params, PYZ3_T_F64, NULL),
    PYZ3_FUNCTION("__contains__", vec_contains, value_params, PYZ3_T_BOOL, NULL),
    PYZ3_STATIC_METHOD("norm_of", vec_norm_of, xy_params, 2, PYZ3_T_F64, "The length of (x, y)."),
    PYZ3_CLASS_METHOD("unit", vec_unit, NULL, 0, PYZ3_T_OBJECT, "cls(1.0, 0.0)."),
};
static const pyz3_property_def vec_properties[] = {
    PYZ3_PROPERTY("x", vec_get_x, vec_set_x, PYZ3_T_F64, "The x coordinate."),
    PYZ3_PROPERTY("y", vec_get_y, NULL, PYZ3_T_F64, "The y coordinate (read-only)."),
};
static const pyz3_function_def vec_export_def =
    PYZ3_FUNCTION_NOARGS("export_state", vec_export, PYZ3_T_BYTES, NULL);
static const pyz3_param vec_import_params[] = {PYZ3_PARAM("state", PYZ3_T_BYTES)};
static const pyz3_function_def vec_import_def =
    PYZ3_FUNCTION("import_state", vec_import, vec_import_params, PYZ3_T_VOID, NULL);

/* ---- Countdown: an iterator (final) ------------------------------------------------------------ */

typedef struct {
    int64_t next;
} Countdown;

static PYZ3_FN(countdown_init) {
    PYZ3_SELF(Countdown)->next = args[1].i64;
    live++;
    return PYZ3_OK;
}

static PYZ3_FN(countdown_iter) {
    pyz3_incref(call->self_);
    result->obj = call->self_;
    return PYZ3_OK;
}

/* n, n-1, ..., 1; PYZ3_RETURN_NONE ends the iteration. */
static PYZ3_FN(countdown_next) {
    Countdown *c = PYZ3_SELF(Countdown);
    if (c->next <= 0)
        return PYZ3_RETURN_NONE;
    result->i64 = c->next--;
    return PYZ3_OK;
}

static const pyz3_param countdown_init_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_function_def countdown_ctor = PYZ3_CONSTRUCTOR(countdown_init, countdown_init_params);
static const pyz3_function_def countdown_methods[] = {
    PYZ3_FUNCTION_NOARGS("__iter__", countdown_iter, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION_EX("__next__", countdown_next, NULL, 0, PYZ3_T_I64, PYZ3_RETURN_OPTIONAL, 0, NULL, NULL),
};

/* ---- Adder: __call__, a context manager, a raw method, a GIL-released method ------------------- */

typedef struct {
    int64_t base;
    int64_t depth; /* with-blocks entered and not left */
} Adder;

static PYZ3_FN(adder_init) {
    PYZ3_SELF(Adder)->base = args[1].i64;
    live++;
    return PYZ3_OK;
}

static PYZ3_FN(adder_call) {
    result->i64 = PYZ3_SELF(Adder)->base + args[1].i64;
    return PYZ3_OK;
}

static PYZ3_FN(adder_enter) {
    PYZ3_SELF(Adder)->depth++;
    pyz3_incref(call->self_);
    result->obj = call->self_;
    return PYZ3_OK;
}

static PYZ3_FN(adder_exit) {
    PYZ3_SELF(Adder)->depth--;
    result->b = false; /* exceptions propagate */
    return PYZ3_OK;
}

static PYZ3_FN(adder_depth) { result->i64 = PYZ3_SELF(Adder)->depth; return PYZ3_OK; }

/* A raw method: Python objects in, its state through pyz3_instance_state(call->self_). */
static PYZ3_RAW_FN(adder_total) {
    Adder *self = (Adder *)pyz3_instance_state(call->self_);
    if (self == NULL)
        return NULL;
    int64_t sum = self->base;
    for (size_t i = 0; i < nargs; i++) {
        int64_t v;
        if (pyz3_to_i64(args[i], &v) != PYZ3_OK)
            return NULL;
        sum += v;
    }
    return pyz3_from_i64(sum);
}

/* Runs without the GIL: sums 1..n into the state (the caller keeps the instance alive). */
static PYZ3_FN(adder_spin) {
    Adder *self = PYZ3_SELF(Adder);
    int64_t total = 0;
    for (int64_t i = 1; i <= args[1].i64; i++)
        total += i;
    self->base += total - total; /* touch the state, unchanged */
    result->i64 = total;
    return PYZ3_OK;
}

static const pyz3_param adder_init_params[] = {PYZ3_PARAM("base", PYZ3_T_I64)};
static const pyz3_function_def adder_ctor = PYZ3_CONSTRUCTOR(adder_init, adder_init_params);
static const pyz3_param call_params[] = {PYZ3_PARAM("x", PYZ3_T_I64)};
static const pyz3_param exit_params[] = {
    PYZ3_PARAM("exc_type", PYZ3_T_OBJECT),
    PYZ3_PARAM("exc", PYZ3_T_OBJECT),
    PYZ3_PARAM("tb", PYZ3_T_OBJECT),
};
static const pyz3_param total_params[] = {PYZ3_PARAM("a", PYZ3_T_OBJECT), PYZ3_PARAM_DEFAULT("b", PYZ3_T_OBJECT, "0")};
static const pyz3_param spin_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_function_def adder_methods[] = {
    PYZ3_FUNCTION("__call__", adder_call, call_params, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_NOARGS("__enter__", adder_enter, PYZ3_T_OBJECT, NULL),
    PYZ3_FUNCTION("__exit__", adder_exit, exit_params, PYZ3_T_BOOL, NULL),
    PYZ3_RAW_FUNCTION("total", adder_total, total_params, 2, "base + a + b (a raw method)."),
    PYZ3_FUNCTION_EX("spin", adder_spin, spin_params, 1, PYZ3_T_I64, 0, PYZ3_FN_RELEASE_GIL, NULL,
                     "1 + 2 + ... + n, computed without the GIL."),
};
static const pyz3_property_def adder_properties[] = {
    PYZ3_PROPERTY("depth", adder_depth, NULL, PYZ3_T_I64, "With-blocks entered and not left."),
};

/* ---- Fragile: a constructor that fails half-way, a destructor that raises -------------------- */

typedef struct {
    PyObject *payload;
    void *resource;
    int64_t mode;
} Fragile;

/* mode 0: fine; 1: fails after storing `payload` and acquiring a resource (it releases the
 * resource; pyz3 releases the object field); 2: its destructor raises. */
static PYZ3_FN(fragile_init) {
    Fragile *f = PYZ3_SELF(Fragile);
    f->mode = args[1].i64;
    pyz3_incref(args[2].obj);
    f->payload = args[2].obj;
    f->resource = pyz3_alloc(64, 0);
    if (f->resource == NULL)
        return pyz3_raise(PYZ3_EXC_MEMORY_ERROR, "Fragile: out of memory");
    resources++;
    if (f->mode == 1) {
        pyz3_free(f->resource, 0);
        f->resource = NULL;
        resources--;
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "Fragile: failed half-way");
    }
    live++;
    return PYZ3_OK;
}

static PYZ3_DEINIT(fragile_deinit) {
    Fragile *f = (Fragile *)state;
    pyz3_free(f->resource, 0);
    resources--;
    live--;
    if (f->mode == 2)
        pyz3_raise(PYZ3_EXC_RUNTIME_ERROR, "Fragile: raised in its destructor");
}

static PYZ3_FN(fragile_payload) {
    PyObject *p = PYZ3_SELF(Fragile)->payload;
    result->obj = p ? p : pyz3_none();
    pyz3_incref(p);
    return PYZ3_OK;
}

static const pyz3_param fragile_init_params[] = {
    PYZ3_PARAM("mode", PYZ3_T_I64),
    PYZ3_PARAM_DEFAULT("payload", PYZ3_T_OBJECT, "None"),
};
static const pyz3_function_def fragile_ctor = PYZ3_CONSTRUCTOR(fragile_init, fragile_init_params);
static const pyz3_property_def fragile_properties[] = {
    PYZ3_PROPERTY("payload", fragile_payload, NULL, PYZ3_T_OBJECT, NULL),
};
static const uint32_t fragile_fields[] = {offsetof(Fragile, payload)};

/* ---- Token: no constructor; made by make_token() --------------------------------------------- */

typedef struct {
    int64_t n;
} Token;

static PYZ3_DEINIT(token_deinit) {
    (void)state;
    live--;
}

static PYZ3_FN(token_n) { result->i64 = PYZ3_SELF(Token)->n; return PYZ3_OK; }

static const pyz3_property_def token_properties[] = {
    PYZ3_PROPERTY("n", token_n, NULL, PYZ3_T_I64, NULL),
};

static PYZ3_FN(make_token) {
    if (args[0].i64 < 0)
        return pyz3_raise(PYZ3_EXC_VALUE_ERROR, "make_token: n must not be negative");
    ((Token *)result->inst)->n = args[0].i64;
    live++;
    return PYZ3_OK;
}

/* ---- Holder: two object fields (cycles), an optional property --------------------------------- */

typedef struct {
    PyObject *a;
    PyObject *b;
    PyObject *label; /* a str or NULL */
} Holder;

static PYZ3_FN(holder_init) {
    Holder *h = PYZ3_SELF(Holder);
    pyz3_incref(args[1].obj);
    h->a = args[1].obj;
    pyz3_incref(args[2].obj);
    h->b = args[2].obj;
    live++;
    return PYZ3_OK;
}

static PYZ3_DEINIT(holder_deinit) {
    (void)state;
    live--;
}

static void store(PyObject **field, PyObject *value) {
    PyObject *old = *field;
    pyz3_incref(value);
    *field = value;
    pyz3_decref(old);
}

#define OBJECT_ACCESSORS(FIELD)                                                                 \
    static PYZ3_FN(holder_get_##FIELD) {                                                        \
        PyObject *v = PYZ3_SELF(Holder)->FIELD;                                                 \
        result->obj = v ? v : pyz3_none();                                                      \
        pyz3_incref(v);                                                                         \
        return PYZ3_OK;                                                                         \
    }                                                                                           \
    static PYZ3_FN(holder_set_##FIELD) {                                                        \
        store(&PYZ3_SELF(Holder)->FIELD, args[1].obj);                                          \
        return PYZ3_OK;                                                                         \
    }
OBJECT_ACCESSORS(a)
OBJECT_ACCESSORS(b)

/* label: str | None */
static PYZ3_FN(holder_get_label) {
    PyObject *v = PYZ3_SELF(Holder)->label;
    if (v == NULL)
        return PYZ3_RETURN_NONE;
    pyz3_incref(v);
    result->obj = v;
    return PYZ3_OK;
}

static PYZ3_FN(holder_set_label) {
    Holder *h = PYZ3_SELF(Holder);
    if (call->none_mask & 1) {
        store(&h->label, NULL);
        return PYZ3_OK;
    }
    PyObject *s = pyz3_from_str(args[1].str.ptr, args[1].str.len);
    if (s == NULL)
        return PYZ3_ERROR;
    store(&h->label, s);
    pyz3_decref(s);
    return PYZ3_OK;
}

static const pyz3_param holder_init_params[] = {
    PYZ3_PARAM_DEFAULT("a", PYZ3_T_OBJECT, "None"),
    PYZ3_PARAM_DEFAULT("b", PYZ3_T_OBJECT, "None"),
};
static const pyz3_function_def holder_ctor = PYZ3_CONSTRUCTOR(holder_init, holder_init_params);
static const pyz3_property_def holder_properties[] = {
    PYZ3_PROPERTY("a", holder_get_a, holder_set_a, PYZ3_T_OBJECT, NULL),
    PYZ3_PROPERTY("b", holder_get_b, holder_set_b, PYZ3_T_OBJECT, NULL),
    {"label", "A str or None.", holder_get_label, holder_set_label, NULL, PYZ3_T_STR,
     PYZ3_PARAM_OPTIONAL, 0, 0},
};
static const uint32_t holder_fields[] = {offsetof(Holder, a), offsetof(Holder, b), offsetof(Holder, label)};

/* ---- the module ---------------------------------------------------------------------------------- */

static PYZ3_FN(live_count) { result->i64 = live; return PYZ3_OK; }
static PYZ3_FN(resource_count) { result->i64 = resources; return PYZ3_OK; }

/* norm(v: Vec2 | None = None) -> float: an optional instance parameter. */
static PYZ3_FN(norm) {
    if (call->none_mask & 1) {
        result->f64 = 0;
        return PYZ3_OK;
    }
    const Vec2 *v = (const Vec2 *)args[0].inst;
    result->f64 = sqrt(v->x * v->x + v->y * v->y);
    return PYZ3_OK;
}

static const pyz3_class_def classes[] = {
    [VEC2] = PYZ3_CLASS_EX("Vec2", "A 2-d vector.", Vec2, PYZ3_CLASS_WEAKREF, NULL, 0, &vec_ctor,
                           vec_deinit, vec_methods, PYZ3_COUNTOF(vec_methods), vec_properties,
                           PYZ3_COUNTOF(vec_properties), &vec_export_def, &vec_import_def),
    [COUNTDOWN] = PYZ3_CLASS_EX("Countdown", "n, n-1, ..., 1.", Countdown, PYZ3_CLASS_FINAL, NULL, 0,
                                &countdown_ctor, vec_deinit, countdown_methods,
                                PYZ3_COUNTOF(countdown_methods), NULL, 0, NULL, NULL),
    [ADDER] = PYZ3_CLASS("Adder", "Adds its base.", Adder, &adder_ctor, vec_deinit, adder_methods,
                         adder_properties, PYZ3_COUNTOF(adder_properties)),
    [FRAGILE] = PYZ3_CLASS_EX("Fragile", NULL, Fragile, 0, fragile_fields, PYZ3_COUNTOF(fragile_fields),
                              &fragile_ctor, fragile_deinit, NULL, 0, fragile_properties,
                              PYZ3_COUNTOF(fragile_properties), NULL, NULL),
    [TOKEN] = PYZ3_CLASS_EX("Token", "Made by make_token().", Token, 0, NULL, 0, NULL, token_deinit,
                            NULL, 0, token_properties, PYZ3_COUNTOF(token_properties), NULL, NULL),
    [HOLDER] = PYZ3_CLASS_EX("Holder", "Holds objects.", Holder, 0, holder_fields,
                             PYZ3_COUNTOF(holder_fields), &holder_ctor, holder_deinit, NULL, 0,
                             holder_properties, PYZ3_COUNTOF(holder_properties), NULL, NULL),
};

static const pyz3_param make_token_params[] = {PYZ3_PARAM("n", PYZ3_T_I64)};
static const pyz3_param norm_params[] = {
    {"v", "None", PYZ3_T_INSTANCE, PYZ3_PARAM_OPTIONAL, 0, 0, 0, 0, VEC2},
};
static const pyz3_function_def functions[] = {
    PYZ3_FUNCTION_INSTANCE("make_token", make_token, make_token_params, TOKEN, "A new Token."),
    PYZ3_FUNCTION("norm", norm, norm_params, PYZ3_T_F64, "The length of v (0 for None)."),
    PYZ3_FUNCTION_NOARGS("live_count", live_count, PYZ3_T_I64, NULL),
    PYZ3_FUNCTION_NOARGS("resource_count", resource_count, PYZ3_T_I64, NULL),
};

PYZ3_PLUGIN_WITH_CLASSES("class_cases", "Class features the sample plugin does not show.", functions,
                         PYZ3_COUNTOF(functions), classes, PYZ3_COUNTOF(classes))
