"""tests/python/test_classes.py: native classes (docs/classes.md) — the sample plugin's classes in
C, Zig and Rust (Counter, RollingStats, Node, merge, live_count), the feature plugin
tests/plugins/class_cases.c, and the refusal of broken class descriptors.

Every sample-plugin test runs on the three builds, which must behave the same. live_count()
counts the instances whose native state exists, so the destructor tests see each one run exactly
once."""

from __future__ import annotations

import copy
import gc
import inspect
import json
import os
import pickle
import pydoc
import subprocess
import sys
import textwrap
import weakref

import pytest

import pyz3
from support import BUILD, PLUGINS, TEST_PLUGINS, load_variant, run_in_threads

VARIANTS = [
    pytest.param(PLUGINS / "libclasses.so", id="c"),
    pytest.param(PLUGINS / "libclasses_zig.so", id="zig"),
    pytest.param(PLUGINS / "libclasses_rs.so", id="rust"),
]


@pytest.fixture(scope="module", params=VARIANTS)
def m(request: pytest.FixtureRequest):
    """One build of the sample classes plugin."""
    return load_variant(request.param)


@pytest.fixture(scope="module")
def cases():
    return pyz3.load(TEST_PLUGINS / "libclass_cases.so")


@pytest.fixture(autouse=True)
def no_leftover_instances(request: pytest.FixtureRequest):
    """Every test leaves the plugin's live instances as it found them (destructors ran once)."""
    mod = request.getfixturevalue("m") if "m" in request.fixturenames else None
    gc.collect()
    before = mod.live_count() if mod else None
    yield
    if mod is not None:
        gc.collect()
        assert mod.live_count() == before


# ---- Counter ---------------------------------------------------------------------------------------


def test_counter_constructor_takes_every_argument_shape(m):
    assert m.Counter().value == 0
    assert m.Counter(5).value == 5
    assert m.Counter(start=7).value == 7
    assert m.Counter(True).value == 1  # an int subclass, as for functions
    with pytest.raises(TypeError, match=r"Counter\(\) argument 'start' must be int, not str"):
        m.Counter("5")
    with pytest.raises(TypeError, match=r"takes from 0 to 1 positional arguments but 2 were given"):
        m.Counter(1, 2)
    with pytest.raises(TypeError, match=r"got an unexpected keyword argument 'stop'"):
        m.Counter(stop=1)
    with pytest.raises(OverflowError, match="out of range for int64"):
        m.Counter(2**63)


def test_counter_methods_and_property(m):
    c = m.Counter(10)
    assert c.inc() == 11
    assert c.inc(5) == 16
    assert c.inc(by=-6) == 10
    assert c.value == 10
    c.value = 3
    assert c.value == 3 and c.inc() == 4
    assert c.reset() is None and c.value == 0
    with pytest.raises(TypeError, match=r"Counter\.value must be int, not float"):
        c.value = 1.5
    with pytest.raises(AttributeError, match="cannot delete attribute"):
        del c.value
    with pytest.raises(TypeError, match=r"Counter\.inc\(\) argument 'by' must be int, not str"):
        c.inc("1")
    c.value = 2**63 - 1
    with pytest.raises(OverflowError, match="does not fit in int64"):
        c.inc()
    assert c.value == 2**63 - 1


def test_counter_repr_and_identity(m):
    c = m.Counter(42)
    assert repr(c) == "Counter(value=42)"
    assert str(c) == "Counter(value=42)"  # no __str__: repr
    assert isinstance(c, m.Counter)
    assert type(c).__name__ == "Counter"
    assert m.Counter.__module__ == m.__name__
    assert m.Counter.__qualname__ == "Counter"
    assert m.Counter.inc.__qualname__ == "Counter.inc"


def test_signatures_and_help_look_like_an_extension_type(m):
    assert str(inspect.signature(m.Counter)) == "(start=0)"
    assert str(inspect.signature(m.Counter.inc)) == "(self, /, by=1)"
    assert str(inspect.signature(m.Counter(1).inc)) == "(by=1)"
    assert str(inspect.signature(m.RollingStats)) == "(window)"
    assert m.Counter.__doc__ == "A counter that starts at `start`."
    assert m.Counter.inc.__doc__ == "Add `by` and return the new value."
    assert m.Counter.value.__doc__ == "The current value."
    text = pydoc.render_doc(m.Counter, renderer=pydoc.plaintext)
    assert "class Counter" in text and "inc(self, /, by=1)" in text and "value" in text


# ---- RollingStats and merge --------------------------------------------------------------------------


def test_rolling_stats(m):
    s = m.RollingStats(3)
    assert len(s) == 0 and s.count == 0
    with pytest.raises(ValueError, match="at least 2 values"):
        _ = s.variance
    for x in [1.0, 2.0, 3.0, 4.0]:
        assert s.push(x) is None
    # The last three values: 2, 3, 4.
    assert len(s) == 3 and s.count == 3
    assert s.mean == 3.0
    assert s.variance == 1.0
    s.push(2)  # an int converts to float
    assert s.mean == 3.0


def test_rolling_stats_properties_are_read_only(m):
    s = m.RollingStats(2)
    for name in ("count", "mean", "variance"):
        with pytest.raises(AttributeError, match=f"'{name}'"):
            setattr(s, name, 1)


def test_rolling_stats_window_must_be_positive(m):
    before = m.live_count()
    for window in (0, -1):
        with pytest.raises(ValueError, match="window must be positive"):
            m.RollingStats(window)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'window'"):
        m.RollingStats()
    assert m.live_count() == before


def test_merge_takes_and_returns_instances(m):
    a, b = m.RollingStats(2), m.RollingStats(3)
    for x in (1.0, 2.0, 3.0):
        a.push(x)
        b.push(x * 10)
    merged = m.merge(a, b)
    assert type(merged) is m.RollingStats
    assert len(merged) == 5 and merged.mean == (2 + 3 + 10 + 20 + 30) / 5
    # window = 2 + 3: a sixth value drops the oldest.
    merged.push(0.0)
    assert len(merged) == 5 and merged.mean == (3 + 10 + 20 + 30) / 5
    assert str(inspect.signature(m.merge)) == "(a, b)"


def test_instance_parameters_check_the_class(m):
    s = m.RollingStats(1)
    with pytest.raises(TypeError, match=r"merge\(\) argument 'b' must be RollingStats, not int"):
        m.merge(s, 1)
    wrong = r"merge\(\) argument 'a' must be RollingStats, not classes\w*\.Counter"
    with pytest.raises(TypeError, match=wrong):
        m.merge(m.Counter(), s)
    with pytest.raises(TypeError, match="must be RollingStats, not NoneType"):
        m.merge(s, None)

    class Windowed(m.RollingStats):
        pass

    w = Windowed(2)
    w.push(4.0)
    assert len(m.merge(w, s)) == 1  # subclass instances are accepted


# ---- Node: Python objects in native state ---------------------------------------------------------


def test_node_holds_any_object(m):
    marker = object()
    n = m.Node(marker)
    assert n.value is marker
    before = sys.getrefcount(marker)
    n.value = [1, 2]
    assert n.value == [1, 2]
    assert sys.getrefcount(marker) == before - 1
    n.value = None
    assert n.value is None
    del n
    assert sys.getrefcount(marker) == before - 1


def test_node_cycles_are_collected(m):
    gc.collect()
    before = m.live_count()
    n = m.Node(None)
    n.value = n
    ref = weakref.ref(n.value.value) if False else None  # Node takes no weak references
    assert ref is None
    del n
    assert m.live_count() == before + 1  # kept alive by the cycle
    gc.collect()
    assert m.live_count() == before


def test_longer_cycles_through_python_objects(m):
    gc.collect()
    before = m.live_count()
    a, b = m.Node(None), m.Node(None)
    holder = {"a": a}
    a.value = b
    b.value = [holder]
    del a, b, holder
    gc.collect()
    assert m.live_count() == before


def test_gc_sees_the_objects_in_native_state(m):
    inner = []
    n = m.Node(inner)
    assert any(o is inner for o in gc.get_referents(n))
    assert n in gc.get_referrers(inner)


# ---- destructors exactly once -------------------------------------------------------------------


def test_every_instance_is_destroyed_once(m):
    gc.collect()
    before = m.live_count()
    objs = [m.Counter(i) for i in range(50)] + [m.RollingStats(i + 1) for i in range(50)]
    assert m.live_count() == before + 100
    merged = m.merge(objs[60], objs[70])
    assert m.live_count() == before + 101
    del objs, merged
    assert m.live_count() == before


def test_a_failed_constructor_leaves_nothing(m):
    gc.collect()
    before = m.live_count()
    for _ in range(100):
        with pytest.raises(ValueError):
            m.RollingStats(0)
        with pytest.raises(TypeError):
            m.Counter("x")
    assert m.live_count() == before


def test_constructor_failing_half_way_releases_once(cases):
    before_live, before_resources = cases.live_count(), cases.resource_count()
    payload = object()
    refs = sys.getrefcount(payload)
    for _ in range(20):
        with pytest.raises(ValueError, match="failed half-way"):
            cases.Fragile(1, payload)
    # The constructor released its resource; pyz3 released the object field it had set; the
    # destructor did not run for state that was never made.
    assert cases.live_count() == before_live
    assert cases.resource_count() == before_resources
    assert sys.getrefcount(payload) == refs


def test_a_destructor_that_raises_is_reported_as_unraisable(cases):
    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda args: seen.append((args.exc_type, str(args.exc_value), args.object))
    try:
        f = cases.Fragile(2)
        del f
    finally:
        sys.unraisablehook = old
    assert seen == [(RuntimeError, "Fragile: raised in its destructor", cases.Fragile)]


def test_destructor_keeps_the_exception_in_flight(cases):
    # An instance freed while an exception propagates: its destructor runs, the exception is
    # the one the caller sees.
    def fail():
        f = cases.Fragile(0)  # noqa: F841 (freed as the frame unwinds)
        raise KeyError("original")

    with pytest.raises(KeyError, match="original"):
        fail()


# ---- subclassing from Python ---------------------------------------------------------------------


def test_python_subclass_overrides_and_calls_super(m):
    class Doubling(m.Counter):
        def __init__(self, start, label):
            super().__init__(start)
            self.label = label

        def inc(self, by=1):
            return super().inc(2 * by)

    d = Doubling(1, "x")
    assert d.inc() == 3 and d.inc(by=2) == 7
    assert d.value == 7 and d.label == "x"
    assert isinstance(d, m.Counter) and repr(d) == "Counter(value=7)"
    assert issubclass(Doubling, m.Counter)


def test_subclass_without_super_init_is_refused_cleanly(m):
    class Lazy(m.Counter):
        def __init__(self):
            pass

    obj = Lazy()
    with pytest.raises(RuntimeError, match=r"not initialised: Counter.__init__\(\) was not called"):
        obj.inc()
    with pytest.raises(RuntimeError, match="not initialised"):
        _ = obj.value
    with pytest.raises(RuntimeError, match="not initialised"):
        obj.value = 1
    assert "Lazy object at" in repr(obj)
    m.Counter.__init__(obj, 4)
    assert obj.inc() == 5


def test_init_twice_is_refused(m):
    c = m.Counter(1)
    with pytest.raises(RuntimeError, match="already initialised"):
        c.__init__(5)
    assert c.value == 1


def test_classes_are_immutable_like_extension_types(m):
    with pytest.raises(TypeError):
        m.Counter.inc = None
    with pytest.raises(AttributeError):
        m.Counter(1).extra = 1  # no __dict__ on instances of the native class


def test_final_classes_refuse_subclassing(cases):
    with pytest.raises(TypeError, match="is not an acceptable base type"):
        type("Sub", (cases.Countdown,), {})


# ---- pickling ---------------------------------------------------------------------------------------


def test_pickle_round_trip(m):
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        c = pickle.loads(pickle.dumps(m.Counter(41), protocol))
        assert type(c) is m.Counter and c.inc() == 42
    assert copy.copy(m.Counter(3)).value == 3
    assert copy.deepcopy([m.Counter(4)])[0].value == 4
    data = pickle.dumps(m.Counter(1))
    assert b"_class_instance" in data and os.path.realpath(m.__file__).encode() in data


def _module_level_subclass(base: type) -> type:
    """A Python subclass of ``base`` that pickle can find by name (a global of this module)."""
    name = f"Tagged_{base.__module__}"
    sub = globals().get(name)
    if sub is None:
        sub = type(name, (base,), {"__module__": __name__, "__qualname__": name})
        globals()[name] = sub
    return sub


def test_pickle_subclass_with_its_attributes(m):
    sub = _module_level_subclass(m.Counter)
    c = sub(9)
    c.tag = "tag"
    again = pickle.loads(pickle.dumps(c))
    assert type(again) is sub and again.value == 9 and again.tag == "tag"


def test_classes_without_hooks_do_not_pickle(m):
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(m.RollingStats(2))


SPAWN_SCRIPT = """\
import json, multiprocessing, sys
import pyz3

def bump(c):
    c.inc(10)
    return c

def main():
    m = pyz3.load(sys.argv[1])
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        out = pool.map(bump, [m.Counter(i) for i in range(4)])
    print(json.dumps([c.value for c in out] + [type(out[0]).__module__]))

if __name__ == "__main__":
    main()
"""


@pytest.mark.single_mode
@pytest.mark.parametrize("path", VARIANTS)
def test_instances_cross_multiprocessing_spawn(tmp_path, path):
    script = tmp_path / "spawn.py"
    script.write_text(SPAWN_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    run = subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    *values, module = json.loads(run.stdout)
    assert values == [10, 11, 12, 13]
    assert module == pyz3.load(path).__name__


# ---- threads ------------------------------------------------------------------------------------------


@pytest.mark.single_mode
def test_eight_threads_share_one_counter(m):
    # Every call into an instance runs with the GIL held and does not release it, so each inc()
    # is atomic: the final count is exact (docs/classes.md, "Threads").
    c = m.Counter()
    calls = 20_000
    results = run_in_threads(lambda t, i: c.inc(), threads=8, calls=calls)
    assert c.value == 8 * calls
    seen = sorted(v for r in results for v in r)
    assert seen == list(range(1, 8 * calls + 1))


# ---- the feature plugin: special methods ---------------------------------------------------------


def test_special_methods(cases):
    v = cases.Vec2(3, 4)
    assert repr(v) == "Vec2(3, 4)" and str(v) == "(3, 4)"
    assert len(v) == 2 and bool(v) and not bool(cases.Vec2(0))
    assert v[0] == 3.0 and v[-1] == 4.0
    with pytest.raises(IndexError, match="out of range"):
        v[2]
    with pytest.raises(TypeError, match=r"Vec2.__getitem__\(\) argument 'index' must be int, not str"):
        v["x"]
    assert 4.0 in v and 5.0 not in v
    assert list(v) == [3.0, 4.0]  # the sequence protocol through __getitem__


def test_equality_and_hash(cases):
    a, b, c = cases.Vec2(1, 2), cases.Vec2(1, 2), cases.Vec2(2, 1)
    assert a == b and (a != b) is False and a != c
    assert hash(a) == hash(b)
    assert len({a, b, c}) == 2
    assert (a == 5) is False and (a != "x") is True  # other types compare unequal
    with pytest.raises(TypeError):
        a < b  # noqa: B015 (only == and != are defined)


def test_iterator_protocol(cases):
    c = cases.Countdown(3)
    assert iter(c) is c
    assert list(c) == [3, 2, 1]
    assert list(c) == []
    assert list(cases.Countdown(0)) == []
    assert next(iter(cases.Countdown(1))) == 1


def test_call_and_context_manager(cases):
    a = cases.Adder(10)
    assert a(5) == 15 and a(x=1) == 11
    with pytest.raises(TypeError, match="must be int"):
        a("5")
    with a as inner:
        assert inner is a and a.depth == 1
        with a:
            assert a.depth == 2
    assert a.depth == 0
    with pytest.raises(KeyError), a:
        raise KeyError("propagates")
    assert a.depth == 0


def test_static_and_class_methods(cases):
    assert cases.Vec2.norm_of(3, 4) == 5.0
    assert cases.Vec2(1, 1).norm_of(6, 8) == 10.0
    assert str(inspect.signature(cases.Vec2.norm_of)) == "(x, y)"
    u = cases.Vec2.unit()
    assert type(u) is cases.Vec2 and u == cases.Vec2(1, 0)

    class Sub(cases.Vec2):
        pass

    assert type(Sub.unit()) is Sub
    assert str(inspect.signature(cases.Vec2.unit)) == "()"
    assert pickle.loads(pickle.dumps(cases.Vec2.norm_of))(3, 4) == 5.0


def test_raw_and_gil_released_methods(cases):
    a = cases.Adder(100)
    assert a.total(1) == 101 and a.total(1, b=2) == 103
    assert str(inspect.signature(cases.Adder.total)) == "(self, /, a, b=0)"
    with pytest.raises(TypeError):
        a.total("x")
    assert a.spin(1000) == 500500


def test_methods_returning_and_taking_instances(cases):
    v = cases.Vec2(1, 2)
    w = v.scaled(3)
    assert type(w) is cases.Vec2 and w == cases.Vec2(3, 6)
    assert v.dot(w) == 15.0
    with pytest.raises(TypeError, match=r"Vec2.dot\(\) argument 'other' must be Vec2, not class_cases.Adder"):
        v.dot(cases.Adder(1))


def test_keyword_only_and_optional_parameters(cases):
    assert cases.Vec2(2).y == 0.0
    assert cases.Vec2(0, zero=True) == cases.Vec2(0)
    with pytest.raises(TypeError, match="takes from 1 to 2 positional arguments but 3 were given"):
        cases.Vec2(1, 2, True)
    with pytest.raises(ValueError, match="zero=True takes no coordinates"):
        cases.Vec2(1, zero=True)
    assert str(inspect.signature(cases.Vec2)) == "(x, y=0.0, *, zero=False)"
    assert cases.norm() == 0.0 and cases.norm(None) == 0.0 and cases.norm(cases.Vec2(3, 4)) == 5.0


def test_read_only_and_optional_properties(cases):
    v = cases.Vec2(1, 2)
    v.x = 5
    assert v.x == 5.0
    with pytest.raises(AttributeError, match="'y'"):
        v.y = 1.0
    h = cases.Holder()
    assert h.label is None
    h.label = "name"
    assert h.label == "name"
    h.label = None
    assert h.label is None
    with pytest.raises(TypeError, match=r"Holder.label must be str, not int"):
        h.label = 3


def test_a_class_without_constructor(cases):
    t = cases.make_token(5)
    assert type(t) is cases.Token and t.n == 5
    with pytest.raises(TypeError, match="cannot create 'class_cases.Token' instances"):
        cases.Token()
    with pytest.raises(TypeError, match="cannot create"):
        cases.Token.__new__(cases.Token)
    before = cases.live_count()
    with pytest.raises(ValueError, match="must not be negative"):
        cases.make_token(-1)
    assert cases.live_count() == before


def test_weak_references(cases):
    v = cases.Vec2(1, 1)
    ref = weakref.ref(v)
    assert ref() is v
    del v
    assert ref() is None
    with pytest.raises(TypeError, match="cannot create weak reference"):
        weakref.ref(cases.Adder(1))


def test_pickle_through_bytes_state(cases):
    v = pickle.loads(pickle.dumps(cases.Vec2(1.5, -2)))
    assert v == cases.Vec2(1.5, -2)
    with pytest.raises(ValueError, match="bad pickled state"):
        pyz3._pyz3.import_instance(cases.Vec2, b"short")
    with pytest.raises(TypeError, match="must be bytes, not int"):
        pyz3._pyz3.import_instance(cases.Vec2, 1)
    with pytest.raises(TypeError, match="a pyz3 class"):
        pyz3._pyz3.import_instance(int, b"")


def test_object_fields_in_cycles(cases):
    gc.collect()
    before = cases.live_count()
    a, b = cases.Holder(), cases.Holder()
    a.a, a.b = b, a
    b.a = [a, b]
    del a, b
    gc.collect()
    assert cases.live_count() == before


def test_instance_state_of_foreign_objects(cases):
    # The raw method's pyz3_instance_state(call->self_) refuses what is not an instance.
    with pytest.raises(TypeError, match="descriptor 'total'"):
        cases.Adder.total(cases.Vec2(1), 1)


# ---- refused descriptors ----------------------------------------------------------------------------

BAD = {
    "class_null_name": "class #0: name: NULL pointer",
    "class_bad_name": 'class #0 name "two words" is not a Python identifier',
    "class_function_clash": "class 'count' has the name of a function of the plugin",
    "class_duplicate": "duplicate class name 'Thing'",
    "class_state_align": "class 'Thing': state_align is 3",
    "class_big_align": "state_align is 64; it must be 0 or a power of two up to 16",
    "class_big_state": "state_size is 1048577, more than the limit",
    "class_flags": "class 'Thing': unknown flags bits 0x100",
    "class_reserved": "class 'Thing': reserved must be 0",
    "class_size": "class_size is 16; expected sizeof(pyz3_class_def)",
    "class_fields_null": "object_field_count is 1 but object_fields is NULL",
    "class_field_outside": "object_fields[0] is 16: a PyObject * field must be pointer-aligned",
    "class_field_unaligned": "object_fields[0] is 3",
    "class_field_twice": "offset 0 is listed twice",
    "class_init_returns": "constructor: must return PYZ3_T_VOID",
    "class_init_raw": "constructor: must be a typed function",
    "class_methods_null": "method_count is 1 but methods is NULL",
    "class_too_many_methods": "method_count is 257, more than the limit of 256",
    "class_duplicate_method": "duplicate method name 'noop'",
    "class_static_and_class": "PYZ3_FN_STATIC and PYZ3_FN_CLASS exclude each other",
    "class_unknown_special": "method '__add__': pyz3 does not serve this special method",
    "class_special_arity": "method '__len__': takes 0 declared parameters, not 1",
    "class_special_result": "method '__repr__': must return str, not PYZ3_T_I64",
    "class_next_not_optional": "method '__next__': needs PYZ3_RETURN_OPTIONAL",
    "class_special_static": "method '__len__': a special method must be an instance method",
    "class_property_no_get": "property 'n': get is NULL",
    "class_property_type": "property 'n': type code 0 is not valid for a property",
    "class_property_clash": "property 'noop' has the name of a method",
    "class_export_alone": "export_state and import_state come together",
    "class_import_mismatch": "import_state: its parameter has type str, but export_state returns int64",
    "class_param_index": "parameter 'other': class_index is 7, but the plugin declares 1 class",
    "class_result_index": "method 'copy': ret_class_index is 3, but the plugin declares 1 class",
    "class_static_function": "function 'count': unknown flags bits 0x4",
}


@pytest.mark.single_mode
@pytest.mark.parametrize("case", sorted(BAD))
def test_broken_class_descriptors_are_refused(case):
    path = TEST_PLUGINS / f"libbad_class_{case}.so"
    with pytest.raises(pyz3.PluginLoadError) as info:
        pyz3.load(path)
    assert BAD[case] in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.single_mode
def test_the_valid_base_of_the_broken_descriptors_loads():
    mod = pyz3.load(TEST_PLUGINS / "libbad_class_ok.so")
    assert mod.Thing(3).n == 3


@pytest.mark.single_mode
def test_a_previous_minor_plugin_has_no_classes():
    mod = pyz3.load(TEST_PLUGINS / "libabi_1_0.so")
    assert pyz3._pyz3.describe(mod.__file__)["classes"] == []


# ---- describe and stubs -----------------------------------------------------------------------------


@pytest.mark.single_mode
def test_describe_lists_classes(m):
    desc = pyz3._pyz3.describe(m.__file__)
    classes = {c["name"]: c for c in desc["classes"]}
    assert list(classes) == ["Counter", "RollingStats", "Node"]
    counter = classes["Counter"]
    assert counter["picklable"] and not counter["final"]
    assert [p["name"] for p in counter["init"]["params"]] == ["start"]
    assert {mm["name"]: mm["kind"] for mm in counter["methods"]}["inc"] == "instance"
    props = {p["name"]: p for p in classes["RollingStats"]["properties"]}
    assert props["mean"]["readonly"] and props["mean"]["annotation"] == "float"
    assert classes["Node"]["object_fields"] == 1
    merge = next(f for f in desc["functions"] if f["name"] == "merge")
    assert merge["return_annotation"] == "RollingStats"
    assert [p["annotation"] for p in merge["params"]] == ["RollingStats", "RollingStats"]


@pytest.mark.single_mode
def test_stubs_describe_classes(tmp_path, m):
    from pyz3.cli import Plugin, stub_text

    text = stub_text(Plugin(m.__file__))
    assert "class Counter:" in text
    assert "    def __init__(self, start: int = 0) -> None: ..." in text
    assert "    def inc(self, by: int = 1) -> int:" in text
    assert "    @value.setter\n    def value(self, value: int) -> None: ..." in text
    assert "    @property\n    def mean(self) -> float:" in text
    assert "def merge(a: RollingStats, b: RollingStats) -> RollingStats:" in text
    compile(text, "classes.pyi", "exec")


@pytest.mark.single_mode
def test_mypy_checks_code_using_the_classes(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in tests/requirements.txt")
    from pyz3.cli import Plugin, stub_text

    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for path in (PLUGINS / "libclasses.so", TEST_PLUGINS / "libclass_cases.so"):
        plugin = Plugin(str(path))
        (stubs / f"{plugin.name}.pyi").write_text(stub_text(plugin))
    (tmp_path / "good.py").write_text(
        textwrap.dedent(
            """\
            import classes
            import class_cases

            c = classes.Counter(start=3)
            n: int = c.inc(by=2) + c.value
            c.value = 4
            s = classes.merge(classes.RollingStats(2), classes.RollingStats(3))
            mean: float = s.mean
            size: int = len(s)
            v = class_cases.Vec2(1.0, zero=False).scaled(2.0)
            same: bool = v == class_cases.Vec2(2.0)
            first: float = v[0]
            total: int = sum(class_cases.Countdown(3))
            with class_cases.Adder(1) as adder:
                pass
            norm: float = class_cases.Vec2.norm_of(3.0, 4.0)
            label: str | None = class_cases.Holder().label


            class Sub(classes.Counter):
                def inc(self, by: int = 1) -> int:
                    return super().inc(by)
            """
        )
    )
    bad = {
        'classes.Counter(start="3")': "arg-type",
        "classes.Counter().inc(by=1.5)": "arg-type",
        "classes.RollingStats(2).mean = 1.0": "misc",
        "classes.merge(classes.Counter(), classes.RollingStats(1))": "arg-type",
        "text: str = classes.Counter().value": "assignment",
        "classes.Counter().nope()": "attr-defined",
    }
    (tmp_path / "bad.py").write_text("import classes\n\n" + "\n".join(bad) + "\n")
    env = dict(os.environ, MYPYPATH=str(stubs))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--show-error-codes", "--no-error-summary", "good.py", "bad.py"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    errors = [line for line in run.stdout.splitlines() if ": error: " in line]
    assert [e for e in errors if not e.startswith("bad.py:")] == [], run.stdout
    found = {}
    for line in errors:
        number, code = line.split(":")[1], line.rsplit("[", 1)[1].rstrip("]")
        found.setdefault(int(number), code)
    assert found == {i + 3: code for i, code in enumerate(bad.values())}, run.stdout
