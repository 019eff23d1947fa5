"""tests/python/test_buffers.py: buffer parameters and array results (docs/buffers.md).

Every buffer source (bytes, bytearray, memoryview with casts and steps, array.array, numpy of
every element type, read-only, Fortran-order, strided, empty, large) against every parameter
kind, the view the plugin sees compared field by field with what memoryview or numpy say;
every mismatch's exception; views released on every path (reference counts, a bytearray that
can be resized again, a later argument failing); GIL-released calls from 8 threads; hypothesis
over shapes, strides and element types; array results of every element type. Runs in every
optimisation mode (conftest's ``opt_mode``), so the fast paths and the buffer protocol agree.
numpy is optional: the tests that need it say so when it is missing.
"""

from __future__ import annotations

import array
import gc
import struct
import sys
import threading
import time
import zlib

import pytest

import pyz3
from pyz3 import _pyz3
from support import PLUGINS, TEST_PLUGINS, plugin_variants, run_in_threads

try:
    import numpy as np
except ImportError:  # numpy is optional for pyz3; tests/requirements.txt installs it where it can
    np = None

needs_numpy = pytest.mark.skipif(np is None, reason="numpy is not installed for this Python")

REGISTRY = {t["name"]: t for t in _pyz3.type_registry()}
CODE = {name: t["code"] for name, t in REGISTRY.items()}
# Element types a buffer parameter can declare: the test plugin has an info_<member> for each.
ELEMENTS = [t["arg_member"] for t in REGISTRY.values() if t["kind"] in ("int", "float", "bool", "bytes")]
MEMBER_CODE = {t["arg_member"]: t["code"] for t in REGISTRY.values() if t["param"]}
NATIVE_LONG = struct.calcsize("l")
# The registry element of a native PEP 3118 format character (what the view reports).
FORMAT_ELEM = {
    "b": "i8",
    "B": "u8",
    "?": "b",
    "h": "i16",
    "H": "u16",
    "i": "i32",
    "I": "u32",
    "l": f"i{8 * NATIVE_LONG}",
    "L": f"u{8 * NATIVE_LONG}",
    "q": "i64",
    "Q": "u64",
    "n": "i64",
    "N": "u64",
    "f": "f32",
    "d": "f64",
}


@pytest.fixture(scope="module")
def bt():
    return pyz3.load(TEST_PLUGINS / "libbuffers_test.so")


@pytest.fixture(scope="module", params=[p for p in plugin_variants("arrays")] + [PLUGINS / "libarrays_rs.so"])
def arrays(request):
    path = request.param
    if not path.exists():
        pytest.skip(f"{path.name} was not built")
    return pyz3.load(path)


def info_name(member: str) -> str:
    return "info_bool" if member == "b" else f"info_{member}"


def format_elem(fmt: str, itemsize: int) -> str | None:
    """The element member a format names in native byte order (this machine is little-endian),
    or None: the rule docs/buffers.md states, written independently of the runtime."""
    order, char = (fmt[0], fmt[1:]) if fmt[:1] in "@=<>!" else ("@", fmt)
    if len(char) != 1 or char not in FORMAT_ELEM:
        return None
    if order in ">!" and itemsize != 1:
        return None
    if order != "@" and char in "nN":
        return None
    elem = ("i" if char == "l" else "u") + "32" if order != "@" and char in "lL" else FORMAT_ELEM[char]
    size = 1 if elem == "b" else int(elem[1:]) // 8
    return elem if size == itemsize else None


def flat(mv: memoryview) -> list:
    def walk(x):
        return [y for item in x for y in walk(item)] if isinstance(x, list) else [x]

    return walk(mv.tolist()) if mv.ndim else [mv.tolist()]


def expected_view(obj, member: str) -> tuple:
    """What info_<member>(obj) must return, from memoryview's description of obj."""
    mv = memoryview(obj)
    if member == "bytes":
        raw = mv.tobytes()
        return (CODE["bytes"], 1, len(raw), 1, mv.readonly, True, (len(raw),), (1,), float(sum(raw)))
    values = flat(mv)
    return (
        MEMBER_CODE[member],
        mv.ndim,
        len(values),
        mv.itemsize,
        mv.readonly,
        mv.c_contiguous,
        mv.shape,
        mv.strides,
        float(sum(float(v) for v in values)),
    )


# ---- sources ----------------------------------------------------------------------------------------


def plain_sources():
    """(id, object) for every buffer source that needs no numpy."""
    data = bytes(range(48))
    out = [
        ("bytes", data),
        ("bytes-empty", b""),
        ("bytearray", bytearray(data)),
        ("bytearray-empty", bytearray()),
        ("memoryview", memoryview(data)),
        ("memoryview-step", memoryview(bytearray(data))[::3]),
        ("memoryview-reversed", memoryview(data)[::-1]),
        ("memoryview-cast-d", memoryview(bytearray(data)).cast("d")),
        ("memoryview-cast-d-step", memoryview(bytearray(data)).cast("d")[::2]),
        ("memoryview-cast-2d", memoryview(bytearray(data)).cast("i", (3, 4))),
        ("memoryview-cast-c", memoryview(data).cast("c")),
        ("large-bytearray", bytearray(3_000_000)),
    ]
    for code in "bBhHiIlLqQfd":
        out.append((f"array-{code}", array.array(code, range(7))))
    out.append(("array-empty", array.array("d")))
    return out


NUMPY_DTYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "bool",
]


def numpy_sources():
    if np is None:
        return []
    out = []
    for dt in NUMPY_DTYPES:
        a = (np.arange(24) % 5).astype(dt)
        out += [(f"np-{dt}", a), (f"np-{dt}-2d", a.reshape(4, 6)), (f"np-{dt}-step", a[::3])]
    base = np.arange(60.0).reshape(3, 4, 5)
    ro = np.arange(10.0)
    ro.setflags(write=False)
    out += [
        ("np-3d", base),
        ("np-fortran", np.asfortranarray(base[0])),
        ("np-transposed", base[0].T),
        ("np-column-step", base[0][:, ::2]),
        ("np-reversed", np.arange(9.0)[::-1]),
        ("np-readonly", ro),
        ("np-empty", np.zeros(0)),
        ("np-empty-2d", np.zeros((0, 3))),
        ("np-0d", np.array(4.5)),
        ("np-5d", np.ones((2, 1, 2, 1, 2))),
        ("np-large", np.ones(200_000)),
        ("np-broadcast", np.broadcast_to(np.arange(3.0), (4, 3))),
        ("np-big-endian", np.arange(4, dtype=">f8")),
        ("np-complex", np.zeros(3, dtype=complex)),
        ("np-misaligned", np.frombuffer(bytearray(41), dtype=np.float64, offset=1, count=5)),
    ]
    return out


SOURCES = plain_sources() + numpy_sources()


def rules(obj, member: str, *, ndim=0, writable=False, contiguous=False):
    """The documented outcome of passing obj for a parameter: None (accepted), or the exception
    type and a message fragment (docs/buffers.md, "Errors")."""
    mv = memoryview(obj)
    if member == "bytes":
        if writable and mv.readonly:
            return TypeError, "must be a writable bytes-like object, not a read-only"
        if not mv.c_contiguous:
            return ValueError, "must be C-contiguous"
        return None
    elem = format_elem(mv.format, mv.itemsize)
    if elem != member:
        return TypeError, "buffer, not"
    if ndim and mv.ndim != ndim:
        return ValueError, f"must be a {ndim}-D"
    if writable and mv.readonly:
        return TypeError, "not a read-only"
    if contiguous and not mv.c_contiguous:
        return ValueError, "must be C-contiguous"
    if np is not None and isinstance(obj, np.ndarray) and mv.nbytes and mv.itemsize > 1:
        address_bits = obj.__array_interface__["data"][0]
        for n, s in zip(mv.shape, mv.strides, strict=True):
            if n > 1:
                address_bits |= s
        if address_bits % mv.itemsize:
            return ValueError, "must be aligned"
    return None


def _call_kind(bt, kind, obj):
    if kind == "writable-2d":
        return bt.info_w2(obj)
    if kind == "contiguous-1d":
        return bt.info_c1(obj)
    if kind == "writable-bytes":
        return bt.info_wbytes(obj)
    return getattr(bt, info_name(kind))(obj)


KINDS = [*ELEMENTS, "writable-2d", "contiguous-1d", "writable-bytes"]


def _kind_rule(kind):
    return {
        "writable-2d": ("f64", {"ndim": 2, "writable": True}),
        "contiguous-1d": ("f64", {"ndim": 1, "contiguous": True}),
        "writable-bytes": ("bytes", {"writable": True}),
    }.get(kind, (kind, {}))


def test_every_element_type_is_tested(bt):
    elements = {t["arg_member"] for t in REGISTRY.values() if t["kind"] in ("int", "float", "bool")}
    assert set(ELEMENTS) == elements | {"bytes"}
    assert all(hasattr(bt, info_name(m)) for m in ELEMENTS)
    assert {t["arg_member"] for t in REGISTRY.values() if t["kind"] == "int"} <= set(FORMAT_ELEM.values())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source", [pytest.param(obj, id=name) for name, obj in SOURCES])
def test_every_source_against_every_parameter_kind(bt, source, kind):
    member, facts = _kind_rule(kind)
    outcome = rules(source, member, **facts)
    if outcome is None:
        got = _call_kind(bt, kind, source)
        want = expected_view(source, member)
        assert got[:8] == want[:8]
        assert got[8] == pytest.approx(want[8], rel=1e-6)
    else:
        exc, fragment = outcome
        with pytest.raises(exc, match=fragment):
            _call_kind(bt, kind, source)


def test_messages_name_the_function_parameter_expected_and_given(bt):
    with pytest.raises(TypeError, match=r"^info_f64\(\) argument 'x' must be a float64 buffer, not list$"):
        bt.info_f64([1.0])
    with pytest.raises(TypeError, match=r"^info_f64\(\) argument 'x' must be a float64 buffer, not int32$"):
        bt.info_f64(array.array("i", [1]))
    with pytest.raises(TypeError, match=r"must be a float64 buffer, not a buffer of format 'c'$"):
        bt.info_f64(memoryview(b"ab").cast("c"))
    with pytest.raises(
        TypeError,
        match=r"^fill\(\) argument 'x' must be a writable float64 buffer, not a read-only memoryview$",
    ):
        bt.fill(memoryview(bytes(16)).cast("d"), 1.0)
    with pytest.raises(
        TypeError,
        match=r"^fill_bytes\(\) argument 'data' must be a writable bytes-like object, not a read-only bytes$",
    ):
        bt.fill_bytes(bytes(16), 1)
    with pytest.raises(ValueError, match=r"^info_w2\(\) argument 'x' must be a 2-D float64 buffer, not 1-D$"):
        bt.info_w2(array.array("d", [1.0]))
    with pytest.raises(
        ValueError, match=r"^info_c1\(\) argument 'x' must be C-contiguous, not a strided memoryview$"
    ):
        bt.info_c1(memoryview(array.array("d", [1.0, 2.0, 3.0]))[::2])
    with pytest.raises(
        TypeError, match=r"^info_bytes\(\) argument 'x' must be a bytes-like object, not str$"
    ):
        bt.info_bytes("text")
    with pytest.raises(
        TypeError,
        match=r"^fill_bytes\(\) argument 'data' must be a writable bytes-like object, not NoneType$",
    ):
        bt.fill_bytes(None, 1)


@needs_numpy
def test_numpy_messages(bt):
    with pytest.raises(TypeError, match=r"must be a float64 buffer, not int32$"):
        bt.fill(np.zeros(3, dtype=np.int32), 1.0)
    ro = np.zeros(3)
    ro.setflags(write=False)
    with pytest.raises(TypeError, match=r"must be a writable float64 buffer, not a read-only numpy.ndarray$"):
        bt.fill(ro, 1.0)
    with pytest.raises(TypeError, match=r"not a buffer of format '>d'$"):
        bt.info_f64(np.zeros(2, dtype=">f8"))
    with pytest.raises(ValueError, match=r"must be aligned to its float64 elements \(8 bytes\)"):
        bt.info_f64(np.frombuffer(bytearray(17), dtype=np.float64, offset=1, count=2))


# ---- writing ------------------------------------------------------------------------------------------


def test_writes_reach_the_object_without_a_copy(bt):
    ba = bytearray(8)
    bt.fill_bytes(ba, 7)
    assert ba == bytearray([7] * 8)
    buf = array.array("d", [0.0] * 6)
    bt.fill(memoryview(buf)[1::2], 2.5)
    assert list(buf) == [0.0, 2.5, 0.0, 2.5, 0.0, 2.5]


@needs_numpy
def test_writes_through_strided_and_fortran_numpy_views(bt):
    base = np.zeros((4, 6))
    bt.fill(base[:, ::3], 1.0)
    assert base.sum() == 8 and (base[:, ::3] == 1).all()
    f = np.asfortranarray(np.zeros((3, 2)))
    bt.fill(f, 3.0)
    assert (f == 3).all()
    bt.fill(base[::-1, 1], 9.0)
    assert (base[:, 1] == 9).all()


# ---- release on every path ----------------------------------------------------------------------------


def test_bytearray_is_resizable_after_every_kind_of_call(bt):
    ba = bytearray(64)
    bt.info_bytes(ba)
    assert _resizable(ba)
    with pytest.raises(TypeError):
        bt.then_fail(ba, "not an int")  # a later argument fails after ba was converted
    assert _resizable(ba)
    with pytest.raises(ValueError):
        bt.then_fail(ba, -1)  # the plugin raises
    assert _resizable(ba)
    with pytest.raises(ValueError, match="must be a 2-D"):
        bt.info_w2(array.array("d", [1.0]))
    # Five views (the fifth on the heap) converted, then the sixth argument fails: all released.
    held = [array.array("d", [1.0] * 4) for _ in range(5)]
    with pytest.raises(TypeError, match="argument 'f'"):
        bt.sum6(*held, 1.0)
    assert all(_resizable(a) for a in held)
    assert bt.sum6(*held, ba) == 20.0
    assert all(_resizable(a) for a in held) and _resizable(ba)


def _resizable(obj) -> bool:
    try:
        if isinstance(obj, array.array):
            obj.append(0.0)
        else:
            obj.append(0)
        obj.pop()
    except BufferError:
        return False
    return True


def test_references_are_returned_on_every_path(bt):
    objs = [bytearray(16), array.array("d", [1.0, 2.0]), memoryview(bytes(8)).cast("d"), bytes(8)]
    if np is not None:
        objs += [np.arange(4.0), np.arange(4)]
    before = [sys.getrefcount(o) for o in objs]
    for _ in range(50):
        for o in objs:
            bt.info_bytes(o)
            with pytest.raises((TypeError, ValueError)):
                bt.then_fail(o, "x")
            with pytest.raises((TypeError, ValueError)):
                bt.info_w2(o)
    del o
    gc.collect()
    assert [sys.getrefcount(o) for o in objs] == before


def test_resizing_an_exported_bytearray_during_a_gil_released_call_raises(bt):
    ba = bytearray(1000)
    started = threading.Event()
    out = []

    def worker():
        started.set()
        out.append(bt.slow_sum(ba, 300))

    t = threading.Thread(target=worker)
    t.start()
    started.wait()
    time.sleep(0.1)  # the call is now sleeping with the GIL released, ba held
    with pytest.raises(BufferError):
        ba.append(1)
    t.join()
    assert out == [0.0]
    assert _resizable(ba)


def test_more_views_than_the_stack_holds(bt):
    parts = [array.array("d", [float(i)] * 3) for i in range(5)]
    assert bt.sum6(*parts, bytes([1, 2, 3])) == 3 * (0 + 1 + 2 + 3 + 4) + 6


def test_optional_buffer_and_keywords(bt):
    assert bt.maybe_len() == -1
    assert bt.maybe_len(None) == -1
    assert bt.maybe_len(b"abc") == 3
    assert bt.maybe_len(x=bytearray(5)) == 5
    x = array.array("d", [1.0, 2.0])
    assert bt.scaled_sum(x, offset=1.0) == 4.0
    assert bt.scaled_sum(x=x, factor=2.0, offset=0.5) == 6.5
    assert bt.scaled_sum(x, offset=0.0, factor=3.0) == 9.0
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'offset'"):
        bt.scaled_sum(x)


def test_the_view_borrows_the_argument(bt):
    ba = bytearray(3)
    assert bt.obj_is(ba, ba)
    mv = memoryview(b"xyz")
    assert bt.obj_is(mv, mv)


# ---- threads ------------------------------------------------------------------------------------------


def test_gil_released_buffer_calls_from_8_threads(bt):
    shared = bytes(range(256)) * 4
    own = [bytearray([t]) * 1000 for t in range(8)]

    def call(t, c):
        return bt.slow_sum(shared, 0), bt.slow_sum(own[t], 1)

    results = run_in_threads(call, threads=8, calls=20)
    for t, per_thread in enumerate(results):
        assert per_thread == [(float(sum(shared)), float(t * 1000))] * 20
    assert all(_resizable(b) for b in own)


@needs_numpy
def test_fill_parallel_from_8_threads(arrays):
    targets = [np.zeros(10_000) for _ in range(8)]
    run_in_threads(lambda t, c: arrays.fill_parallel(targets[t], float(t + c)), threads=8, calls=10)
    for t, a in enumerate(targets):
        assert (a == t + 9).all()


# ---- hypothesis -----------------------------------------------------------------------------------------


if np is not None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @st.composite
    def strided_arrays(draw):
        dtype = draw(st.sampled_from(NUMPY_DTYPES))
        shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
        base = (np.arange(int(np.prod(shape)) or 0) % 7).astype(dtype).reshape(shape)
        index = tuple(slice(None, None, draw(st.sampled_from([1, 2, -1, -2]))) for _ in range(len(shape)))
        view = base[index]
        if view.ndim > 1 and draw(st.booleans()):
            view = view.T
        if draw(st.booleans()):
            view = np.asfortranarray(view)
        return view

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(strided_arrays())
    def test_hypothesis_views_agree_with_numpy(bt, a):
        member = FORMAT_ELEM[a.dtype.char]
        got = getattr(bt, info_name(member))(a)
        assert got[0] == MEMBER_CODE[member]
        assert got[1:4] == (a.ndim, a.size, a.itemsize)
        assert got[5] == a.flags.c_contiguous
        assert got[6] == a.shape
        assert got[7] == memoryview(a).strides  # numpy's export canonicalises contiguous strides
        assert got[8] == pytest.approx(float(a.astype(np.float64).sum()))
        if a.flags.c_contiguous:
            raw = a.tobytes()
            assert bt.info_bytes(a)[2:4] == (len(raw), 1)
            assert bt.info_bytes(a)[8] == float(sum(raw))
        else:
            with pytest.raises(ValueError, match="C-contiguous"):
                bt.info_bytes(a)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(strided_arrays(), st.floats(-1e6, 1e6))
    def test_hypothesis_writes_land_exactly_where_numpy_says(bt, a, value):
        base = np.zeros(a.shape, dtype=np.float64)
        every_other = tuple(slice(None, None, 2) for _ in range(base.ndim)) or Ellipsis
        bt.fill(base[every_other], value)
        expected = np.zeros(a.shape)
        expected[every_other] = value
        assert np.array_equal(base, expected)


# ---- array results -----------------------------------------------------------------------------------

RAMPS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "bool"]


@pytest.mark.parametrize("member", RAMPS)
def test_array_results_of_every_element_type(bt, member):
    r = getattr(bt, f"ramp_{member}")(3, 4)
    assert type(r) is pyz3.Array
    mv = memoryview(r)
    assert mv.shape == (3, 4) and mv.ndim == 2 and not mv.readonly and mv.c_contiguous
    arg_member = "b" if member == "bool" else member
    assert format_elem(mv.format, mv.itemsize) == arg_member
    want = [[(i * 4 + j) % 2 == 1 if member == "bool" else i * 4 + j for j in range(4)] for i in range(3)]
    assert r.tolist() == want == mv.tolist()
    name = next(t["name"] for t in REGISTRY.values() if t["arg_member"] == arg_member)
    assert (r.shape, r.ndim, r.elem, r.itemsize, r.nbytes, len(r)) == (
        (3, 4),
        2,
        name,
        mv.itemsize,
        12 * mv.itemsize,
        3,
    )
    assert repr(r) == f"pyz3.Array({name}, shape=(3, 4))"
    assert r.format == mv.format


def test_array_results_empty_and_not_instantiable(bt):
    r = bt.ramp_f64(0, 5)
    assert r.shape == (0, 5) and r.tolist() == [] and r.nbytes == 0
    with pytest.raises(TypeError):
        pyz3.Array()


@needs_numpy
def test_numpy_sees_array_results_without_a_copy(bt):
    r = bt.ramp_f64(2, 3)
    a = np.asarray(r)
    assert a.shape == (2, 3) and a.dtype == np.float64
    a[1, 2] = -1.0
    assert r.tolist()[1][2] == -1.0
    n = bt.ramp_np(4)
    assert type(n) is np.ndarray and n.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_misbehaving_array_results_are_system_errors(bt):
    with pytest.raises(
        SystemError, match=r"declared a 1-D float64 array result but returned a 1-D int32 array"
    ):
        bt.array_wrong_elem()
    with pytest.raises(SystemError, match="returned PYZ3_OK but no array object"):
        bt.array_null()
    with pytest.raises(SystemError, match="declared an array result but returned int"):
        bt.array_not_array()
    with pytest.raises(RuntimeError, match="failed after making the array"):
        bt.array_then_error()
    with pytest.raises(SystemError, match="cannot be an array element"):
        bt.array_bad_request(0)
    with pytest.raises(SystemError, match="ndim is 0"):
        bt.array_bad_request(1)
    with pytest.raises(OverflowError, match="too large"):
        bt.array_bad_request(2)


def test_an_array_made_before_an_error_is_freed(bt):
    for _ in range(200):
        with pytest.raises(RuntimeError):
            bt.array_then_error()
    blocks = sys.getallocatedblocks()
    for _ in range(2000):
        with pytest.raises(RuntimeError):
            bt.array_then_error()
    assert sys.getallocatedblocks() - blocks < 100


# ---- the sample plugin and its twins ------------------------------------------------------------------


def test_arrays_sample_plugin(arrays):
    x = array.array("d", [1.0, 2.0, 3.0, 4.0])
    assert arrays.sum_f64(x) == 10.0
    assert arrays.sum_f64(memoryview(x)[::2]) == 4.0
    assert arrays.sum_f64(memoryview(bytes(16)).cast("d")) == 0.0
    arrays.scale(x, 2.0)
    assert list(x) == [2.0, 4.0, 6.0, 8.0]
    assert arrays.dot(x, x) == 120.0
    with pytest.raises(ValueError, match="different lengths"):
        arrays.dot(x, array.array("d", [1.0]))
    data = bytes(range(256)) * 3
    for obj in (data, bytearray(data), memoryview(data), array.array("B", data)):
        assert arrays.crc32(obj) == zlib.crc32(obj)
        assert arrays.crc32(obj, 12345) == zlib.crc32(obj, 12345)
    assert arrays.crc32(array.array("d", [1.5, 2.5])) == zlib.crc32(array.array("d", [1.5, 2.5]))
    assert arrays.crc32(b"") == 0
    r = arrays.linspace(0.0, 1.0, 5)
    assert memoryview(r).format == "d" and r.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert arrays.linspace(2.0, 3.0, 1).tolist() == [2.0]
    assert arrays.linspace(2.0, 3.0, 0).tolist() == []
    with pytest.raises(ValueError):
        arrays.linspace(0.0, 1.0, -1)
    m = memoryview(array.array("d", range(6))).cast("B").cast("d", (2, 3))
    assert arrays.sum_2d(m) == 15.0
    assert arrays.transpose_copy(m).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    y = bytearray(8 * 1000)
    arrays.fill_parallel(memoryview(y).cast("d"), 1.5)
    assert set(memoryview(y).cast("d").tolist()) == {1.5}
    with pytest.raises(
        TypeError,
        match=r"scale\(\) argument 'x' must be a writable float64 buffer, not a read-only memoryview",
    ):
        arrays.scale(memoryview(bytes(8)).cast("d"), 2.0)


@needs_numpy
def test_arrays_sample_plugin_with_numpy(arrays):
    a = np.arange(5.0)
    arrays.scale(a, 2.0)
    assert a.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    with pytest.raises(TypeError, match=r"^scale\(\) argument 'x' must be a float64 buffer, not int32$"):
        arrays.scale(a.astype(np.int32), 2.0)
    assert np.array_equal(np.asarray(arrays.linspace(-1.0, 3.0, 17)), np.linspace(-1.0, 3.0, 17))
    m = np.arange(24.0).reshape(4, 6)
    for view in (m, m[:, ::2], m.T, np.asfortranarray(m), m[::-1, ::-3]):
        assert arrays.sum_2d(view) == pytest.approx(view.sum())
        assert np.array_equal(np.asarray(arrays.transpose_copy(view)), view.T)
    with pytest.raises(ValueError, match="must be a 2-D float64 buffer, not 1-D"):
        arrays.sum_2d(np.arange(3.0))
    big = np.arange(1_000_000, dtype=np.float64)
    assert arrays.sum_f64(big) == big.sum()
    z = np.zeros(100_001)
    arrays.fill_parallel(z[::3], 4.0)
    assert z[::3].min() == 4.0 and z.sum() == 4.0 * len(z[::3])


# ---- load-time refusals --------------------------------------------------------------------------------

BAD = {
    "elem_str": "elem 12 is not a buffer element type",
    "elem_void": "elem 0 is not a buffer element type",
    "type_flags": "unknown buffer type_flags bits 0x40",
    "ndim_65": "ndim is 65, more than PYZ3_BUF_MAX_NDIM",
    "bytes_2d": "a bytes-like buffer (elem PYZ3_T_BYTES) is always 1-D",
    "default_literal": "not valid for a parameter of type buffer",
    "array_bytes": "ret_elem 13 is not an array element type",
    "array_ndim_0": "ret_ndim is 0; an array result has 1 to 64 dimensions",
    "array_flags": "unknown array ret_type_flags bits 0x80",
    "array_elem_on_int": "ret_elem must be 0 for a result of type int64",
}


@pytest.mark.single_mode
@pytest.mark.parametrize("case", list(BAD))
def test_invalid_buffer_facts_are_refused_at_load_time(case):
    path = TEST_PLUGINS / f"libbad_buffer_{case}.so"
    with pytest.raises(pyz3.PluginLoadError, match="function 'f'") as info:
        pyz3.load(path)
    assert BAD[case] in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.single_mode
def test_describe_and_stubs_show_buffers(bt):
    desc = _pyz3.describe(str(TEST_PLUGINS / "libbuffers_test.so"))
    fns = {f["name"]: f for f in desc["functions"]}
    (x,) = fns["info_w2"]["params"]
    assert (x["type"], x["annotation"], x["elem"], x["writable"], x["contiguous"], x["ndim"]) == (
        "buffer",
        "Buffer",
        "float64",
        True,
        False,
        2,
    )
    assert fns["ramp_i8"]["return_type"] == "array"
    assert (fns["ramp_i8"]["return_elem"], fns["ramp_i8"]["return_ndim"]) == ("int8", 2)
    assert fns["ramp_np"]["return_annotation"] == "numpy.ndarray"
    from pyz3.cli import Plugin, stub_text

    stub = stub_text(Plugin(str(TEST_PLUGINS / "libbuffers_test.so")))
    assert "from collections.abc import Buffer" in stub and "from typing_extensions import Buffer" in stub
    assert "def info_w2(x: Buffer) -> object:" in stub or "def info_w2(x: Buffer) -> Any:" in stub
    assert "def ramp_np(n: int) -> numpy.ndarray:" in stub and "import numpy" in stub
    assert "def maybe_len(x: Buffer | None = None) -> int:" in stub


# ---- the guide ------------------------------------------------------------------------------------


@pytest.mark.single_mode
def test_the_guide_example_runs_as_written(tmp_path, monkeypatch):
    import re
    import shutil
    import subprocess

    from support import BUILD, ROOT

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    text = (ROOT / "docs" / "buffers.md").read_text()
    c_source = re.search(r"`scale\.c`:\n\n```c\n(.*?)```", text, re.S).group(1)
    python = re.search(r"```sh\ngcc .*?```\n\n```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "scale.c").write_text(c_source)
    cmd = ["gcc", "-std=c11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror"]
    cmd += [f"-I{ROOT / 'include'}", "scale.c", "-o", "libscaler.so", f"-L{BUILD / 'lib'}", "-lpyz3"]
    subprocess.run(cmd, check=True, cwd=tmp_path)
    monkeypatch.chdir(tmp_path)
    exec(compile(python, "docs/buffers.md", "exec"), {})
