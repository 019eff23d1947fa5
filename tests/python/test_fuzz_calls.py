"""tests/python/test_fuzz_calls.py: property-based calls from Python — never a crash, always the
exception a Python function would give.

Every parameter type is checked against a model of its conversion rules (docs/abi.md) with
random values at and beyond the boundaries, subclasses, ``__index__``/``__float__`` objects and
wrong types. Call shapes (counts, keywords, unknown and duplicate keywords) are checked against
``inspect.Signature.bind`` on a Python reference with the same signature. The examples marked
``@example`` are the seed corpus. ``PYZ3_FUZZ_EXAMPLES`` sets the examples per test (make test:
the default below; make fuzz: many more).
"""

from __future__ import annotations

import decimal
import fractions
import inspect
import math
import os
import re
import struct

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_types import F32_MAX, INT_LIMITS, BadIndex, Index, IntSub

import pyz3
from support import load_variant, plugin_path, plugin_variants

EXAMPLES = int(os.environ.get("PYZ3_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)

# ---- values of every shape ----------------------------------------------------------------------


class FloatSub(float):
    """A float subclass: accepted where float is."""


class StrSub(str):
    """A str subclass: accepted where str is."""


class BytesSub(bytes):
    """A bytes subclass: accepted where bytes is."""


class Floaty:
    def __init__(self, v):
        self.v = v

    def __float__(self):
        return self.v

    def __repr__(self):
        return f"Floaty({self.v!r})"


def _boundary_ints() -> st.SearchStrategy[int]:
    edges = set()
    for lo, hi in INT_LIMITS.values():
        edges |= {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1}
    edges |= {0, 1, -1, 2**30, 2**30 - 1, -(2**30), 2**60, 2**60 - 1, 2**53, 2**53 + 1, 2**1024}
    return st.one_of(
        st.sampled_from(sorted(edges)),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=-(2**2000), max_value=2**2000),
    )


INTS = _boundary_ints()
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([F32_MAX, -F32_MAX, F32_MAX * (1 + 2**-25), F32_MAX * (1 + 2**-23), 1e39, 5e-324, -0.0]),
)
TEXT = st.text(max_size=40)
VALUES = st.one_of(
    INTS,
    INTS.map(IntSub),
    INTS.map(Index),
    st.booleans(),
    FLOATS,
    FLOATS.map(FloatSub),
    FLOATS.map(Floaty),
    TEXT,
    TEXT.map(StrSub),
    st.binary(max_size=40),
    st.binary(max_size=40).map(BytesSub),
    st.binary(max_size=8).map(bytearray),
    st.none(),
    st.just(BadIndex()),
    st.just(Index(1.5)),
    st.just(Floaty("not a float")),
    st.just(Floaty(2**70)),
    st.builds(complex, FLOATS, FLOATS),
    st.sampled_from([decimal.Decimal("1.5"), decimal.Decimal("sNaN"), fractions.Fraction(1, 3)]),
    st.lists(st.integers(), max_size=3),
    st.just(object()),
)


# ---- the conversion model (docs/abi.md, "Types") ------------------------------------------------


def _index(v):
    """What CPython's __index__ protocol gives for an object that is not an int."""
    r = type(v).__index__(v)
    if not isinstance(r, int):
        raise TypeError(f"__index__ returned non-int (type {type(r).__name__})")
    return int(r)


def expected(kind: str, v):
    """("ok", value) or ("err", exception type) for converting v to the declared type kind."""
    try:
        if kind in INT_LIMITS:
            if isinstance(v, int):
                n = int(v)
            elif hasattr(type(v), "__index__"):
                n = _index(v)
            else:
                return ("err", TypeError)
            lo, hi = INT_LIMITS[kind]
            return ("ok", n) if lo <= n <= hi else ("err", OverflowError)
        if kind in ("f32", "f64"):
            if isinstance(v, float):
                f = float.__float__(v)
            elif isinstance(v, int):
                f = float(int(v))
            elif hasattr(type(v), "__float__"):
                f = type(v).__float__(v)
                if not isinstance(f, float):
                    raise TypeError("__float__ returned non-float")
            elif hasattr(type(v), "__index__"):
                f = float(_index(v))
            else:
                return ("err", TypeError)
            if kind == "f32":
                f = struct.unpack("<f", struct.pack("<f", f))[0]  # OverflowError beyond the range
            return ("ok", f)
        if kind == "bool":
            return ("ok", v) if v is True or v is False else ("err", TypeError)
        if kind == "str":
            if not isinstance(v, str):
                return ("err", TypeError)
            v.encode("utf-8")  # lone surrogates: UnicodeEncodeError
            return ("ok", str.__str__(v))
        if kind == "bytes":
            return ("ok", b"" + v) if isinstance(v, bytes) else ("err", TypeError)
        if kind == "object":
            return ("ok", v)
    except Exception as exc:  # what the protocol raised is what the call must raise
        return ("err", type(exc))
    raise AssertionError(kind)


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return type(a) is type(b) and a == b


KINDS = [*INT_LIMITS, "f32", "f64", "bool", "str", "bytes"]


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(value=VALUES)
@example(value=2**63)
@example(value=-(2**63) - 1)
@example(value=IntSub(255))
@example(value=Index(-1))
@example(value=F32_MAX * (1 + 2**-23))
@example(value=float("nan"))
@example(value="\udc80")
@example(value=True)
def test_every_type_converts_like_the_model(hello, kind, value):
    echo = getattr(hello, f"echo_{kind}")
    outcome, want = expected(kind, value)
    if outcome == "err":
        with pytest.raises(want):
            echo(value)
    else:
        got = echo(value)
        assert same_value(got, want), (value, got, want)


@FUZZ
@given(value=VALUES)
def test_object_parameter_passes_anything_through(hello, value):
    assert hello.echo_object(value) is value


@pytest.fixture(scope="module", params=plugin_variants("fastpath_bench"))
def fastpath_bench(request):
    return load_variant(request.param)


@FUZZ
@given(i=VALUES, f=VALUES, b=VALUES, s=VALUES, by_keyword=st.booleans())
def test_mixed_arguments_fail_on_the_first_bad_one(fastpath_bench, i, f, b, s, by_keyword):
    # Arguments convert in declaration order, by position or keyword alike: the first one that
    # cannot be converted decides the exception.
    outcomes = [expected(k, v) for k, v in (("i64", i), ("f64", f), ("bool", b), ("str", s))]
    call = (
        (lambda: fastpath_bench.mixed_types(s=s, b=b, f=f, i=i))
        if by_keyword
        else (lambda: fastpath_bench.mixed_types(i, f, b, s))
    )
    errors = [want for outcome, want in outcomes if outcome == "err"]
    if errors:
        with pytest.raises(errors[0]):
            call()
    else:
        got = call()
        assert list(got) == ["i", "f", "b", "s"]
        for key, (_, want) in zip("ifbs", outcomes, strict=True):
            assert same_value(got[key], want)


# ---- call shapes --------------------------------------------------------------------------------


def add(a, b):
    return a + b


def greet(name="world"):
    return "hello, " + name


def scale(x, factor=2.0):
    return x * factor


def describe(n, label="n", verbose=False, *, sep=": "):
    parity = (" (odd)" if n % 2 else " (even)") if verbose else ""
    return f"{label}{sep}{n}{parity}"


def half(x):
    return None if x is None else x / 2


def nothing():
    return None


def raw_add(a, b):
    return a + b


def keywords(alpha, beta=2, gamma=3, delta=4, epsilon=5):
    return alpha + beta + gamma + delta + epsilon


SMALL_INTS = st.integers(min_value=-(2**40), max_value=2**40)
# No lone surrogates (not UTF-8) and no NUL (hello.describe formats with printf's %.*s).
SHORT_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=32)
PARAM_VALUES = {
    "a": SMALL_INTS,
    "b": SMALL_INTS,
    "n": SMALL_INTS,
    "name": SHORT_TEXT,
    "label": SHORT_TEXT,
    "sep": SHORT_TEXT,
    "x": FINITE,
    "factor": FINITE,
    "verbose": st.booleans(),
    **{k: SMALL_INTS for k in ("alpha", "beta", "gamma", "delta", "epsilon")},
}
STRANGE_KEYWORDS = ["c", "zz", "", "a b", "\udcff", "label2", "self", "args", "kwargs"]
REFERENCES = [add, greet, scale, describe, half, nothing, raw_add, keywords]


@st.composite
def calls(draw):
    ref = draw(st.sampled_from(REFERENCES))
    params = list(inspect.signature(ref).parameters)
    npos = draw(st.integers(min_value=0, max_value=len(params) + 2))
    args = []
    for i in range(npos):
        name = params[i] if i < len(params) else "n"
        args.append(draw(PARAM_VALUES.get(name, SMALL_INTS)))
    if ref is half and args:
        args[0] = draw(st.one_of(st.none(), FINITE))
    keys = draw(st.lists(st.sampled_from(params + STRANGE_KEYWORDS), unique=True, max_size=len(params) + 2))
    kwargs = {k: draw(PARAM_VALUES.get(k, SMALL_INTS)) for k in keys}
    return ref, args, kwargs


@pytest.fixture(scope="module")
def pool_bench():
    return pyz3.load(plugin_path("pool_bench"))


@FUZZ
@given(call=calls())
@example(call=(add, [1], {"a": 2}))
@example(call=(add, [1, 2, 3], {"c": 1}))
@example(call=(describe, [1, "x", True, ": "], {}))
@example(call=(describe, [1], {"sep": "-", "verbose": True}))
@example(call=(keywords, [], {"epsilon": 1}))
@example(call=(greet, [], {"\udcff": "x"}))
def test_call_shapes_match_a_python_function(hello, pool_bench, call):
    ref, args, kwargs = call
    plugin_fn = getattr(pool_bench if ref is keywords else hello, ref.__name__)
    assert str(inspect.signature(plugin_fn)) == str(inspect.signature(ref))
    try:
        inspect.signature(ref).bind(*args, **kwargs)
    except TypeError:
        # Functions that cannot take keywords (no parameters, or positional-only) are plain
        # METH_FASTCALL builtins: CPython itself rejects keywords for them, naming the function
        # by its qualified name (`hello.PluginFunction.nothing()`).
        name = re.escape(ref.__name__)
        with pytest.raises(TypeError, match=rf"^({name}\(\) |\S+\.{name}\(\) takes no keyword arguments)"):
            plugin_fn(*args, **kwargs)
        return
    got = plugin_fn(*args, **kwargs)
    want = ref(*args, **kwargs)
    assert same_value(got, want) or got == want, (args, kwargs, got, want)
