"""tests/python/test_types.py: every ABI type round-trips at its limits; bad values raise clearly."""

from __future__ import annotations

import math
import struct

import pytest

INT_LIMITS = {
    "i8": (-(2**7), 2**7 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
}


def _ints_near(lo: int, hi: int) -> list[int]:
    values = {lo, lo + 1, hi - 1, hi, 0, 1, 255, 256, 1023, 1024, 1025, 2**30 - 1, 2**30, 2**31}
    values |= {-1, -5, -6, -(2**30), -(2**30) - 1, 2**60 - 1, 2**60, -(2**60)}
    return sorted(v for v in values if lo <= v <= hi)


@pytest.mark.parametrize("kind", list(INT_LIMITS))
def test_int_round_trip_at_limits(hello, kind):
    lo, hi = INT_LIMITS[kind]
    echo = getattr(hello, f"echo_{kind}")
    for v in _ints_near(lo, hi):
        assert echo(v) == v
        assert type(echo(v)) is int


@pytest.mark.parametrize("kind", list(INT_LIMITS))
def test_int_out_of_range_is_overflow_error(hello, kind):
    lo, hi = INT_LIMITS[kind]
    echo = getattr(hello, f"echo_{kind}")
    for v in (lo - 1, hi + 1, hi + 2**70, lo - 2**70):
        with pytest.raises(OverflowError) as info:
            echo(v)
        message = str(info.value)
        assert f"echo_{kind}() argument 'x' out of range" in message
        bits = kind[1:]
        assert f"int{bits}" in message


@pytest.mark.parametrize("kind", list(INT_LIMITS))
@pytest.mark.parametrize("bad", [1.0, "1", b"1", None, [1], 1j])
def test_int_rejects_non_integers_with_type_error(hello, kind, bad):
    echo = getattr(hello, f"echo_{kind}")
    with pytest.raises(TypeError, match=rf"echo_{kind}\(\) argument 'x' must be int, not "):
        echo(bad)


class Index:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class BadIndex:
    def __index__(self):
        raise ZeroDivisionError("from __index__")


class IntSub(int):
    """An int subclass: accepted where int is, results are plain int."""


def test_int_follows_index_conventions(hello):
    assert hello.echo_i64(Index(7)) == 7
    assert hello.echo_u8(Index(255)) == 255
    assert hello.echo_i64(True) == 1  # bool is an int subclass, as in CPython
    assert hello.echo_i64(IntSub(-3)) == -3
    assert type(hello.echo_i64(IntSub(-3))) is int
    with pytest.raises(OverflowError):
        hello.echo_u8(Index(256))
    with pytest.raises(OverflowError):
        hello.echo_u64(Index(-1))
    with pytest.raises(ZeroDivisionError, match="from __index__"):
        hello.echo_i64(BadIndex())


F32_MAX = struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]


def test_float64_round_trip(hello):
    for v in (0.0, -0.0, 1.5, -1e308, 1e-320, 5e-324, math.inf, -math.inf, 1.7976931348623157e308):
        r = hello.echo_f64(v)
        assert r == v and type(r) is float
        assert math.copysign(1, r) == math.copysign(1, v)
    assert math.isnan(hello.echo_f64(math.nan))


def test_float_accepts_ints_and_dunder_float(hello):
    assert hello.echo_f64(3) == 3.0 and type(hello.echo_f64(3)) is float
    assert hello.echo_f64(2**60) == float(2**60)
    assert hello.echo_f64(2**53 + 1) == float(2**53 + 1)
    assert hello.echo_f64(-(2**70)) == float(-(2**70))

    class F:
        def __float__(self):
            return 2.5

    assert hello.echo_f64(F()) == 2.5
    assert hello.echo_f64(Index(4)) == 4.0
    with pytest.raises(OverflowError, match=r"echo_f64\(\) argument 'x' out of range"):
        hello.echo_f64(10**400)


@pytest.mark.parametrize("bad", ["1.0", b"1", None, [1.0], 1j])
def test_float_rejects_non_numbers(hello, bad):
    with pytest.raises(TypeError, match=r"echo_f64\(\) argument 'x' must be a real number"):
        hello.echo_f64(bad)


def test_float32_round_trip_and_range(hello):
    assert hello.echo_f32(1.5) == 1.5
    assert hello.echo_f32(F32_MAX) == F32_MAX
    assert hello.echo_f32(-F32_MAX) == -F32_MAX
    assert hello.echo_f32(math.inf) == math.inf
    assert math.isnan(hello.echo_f32(math.nan))
    assert hello.echo_f32(0.1) == struct.unpack("<f", struct.pack("<f", 0.1))[0]
    with pytest.raises(OverflowError, match="float32"):
        hello.echo_f32(1e300)
    with pytest.raises(OverflowError, match="float32"):
        hello.echo_f32(-1e39)


def test_bool_round_trip_and_identity(hello):
    assert hello.echo_bool(True) is True
    assert hello.echo_bool(False) is False


@pytest.mark.parametrize("bad", [0, 1, None, "True", 1.0])
def test_bool_accepts_only_bools(hello, bad):
    with pytest.raises(TypeError, match=r"echo_bool\(\) argument 'x' must be bool, not "):
        hello.echo_bool(bad)


@pytest.mark.parametrize(
    "s",
    ["", "a", "hello world", "wörld", "日本語", "emoji 🐍", "nul\x00inside", "x" * 10000, "\U0010ffff"],
)
def test_str_round_trip(hello, s):
    r = hello.echo_str(s)
    assert r == s and type(r) is str
    assert hello.strlen(s) == len(s.encode("utf-8"))


def test_str_subclass_is_accepted_and_result_is_plain_str(hello):
    class S(str):
        """A str subclass."""

    r = hello.echo_str(S("sub"))
    assert r == "sub" and type(r) is str


def test_str_with_lone_surrogate_raises_unicode_error(hello):
    with pytest.raises(UnicodeEncodeError):
        hello.echo_str("\udc80")


@pytest.mark.parametrize("bad", [b"bytes", 1, None, bytearray(b"x")])
def test_str_rejects_other_types(hello, bad):
    with pytest.raises(TypeError, match=r"echo_str\(\) argument 'x' must be str, not "):
        hello.echo_str(bad)


@pytest.mark.parametrize("b", [b"", b"\x00", b"abc", bytes(range(256)), b"x" * 100000])
def test_bytes_round_trip(hello, b):
    r = hello.echo_bytes(b)
    assert r == b and type(r) is bytes
    assert hello.concat(b, b"!") == b + b"!"


@pytest.mark.parametrize("bad", ["str", bytearray(b"x"), memoryview(b"x"), 1])
def test_bytes_rejects_other_types(hello, bad):
    with pytest.raises(TypeError, match=r"echo_bytes\(\) argument 'x' must be bytes, not "):
        hello.echo_bytes(bad)


def test_object_passes_through_by_identity(hello):
    for obj in (object(), [1, 2], None, hello, 2**100):
        assert hello.echo_object(obj) is obj


def test_none_result(hello):
    assert hello.nothing() is None


def test_optional_parameter_and_result(hello):
    assert hello.half(3.0) == 1.5
    assert hello.half(None) is None
    assert hello.half(x=None) is None
    with pytest.raises(TypeError):
        hello.half("x")


def test_raw_convention(hello):
    assert hello.raw_add(40, 2) == 42
    assert hello.raw_add(a=1, b=2) == 3
    with pytest.raises(TypeError, match="must be int"):
        hello.raw_add("x", 1)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'b'"):
        hello.raw_add(1)


def test_argument_count_errors(hello):
    with pytest.raises(TypeError, match=r"^add\(\) missing 1 required positional argument: 'b'$"):
        hello.add(1)
    with pytest.raises(TypeError, match=r"^add\(\) missing 2 required positional arguments: 'a' and 'b'$"):
        hello.add()
    with pytest.raises(TypeError, match=r"^add\(\) takes 2 positional arguments but 3 were given$"):
        hello.add(1, 2, 3)
    with pytest.raises(TypeError, match=r"^nothing\(\) takes 0 positional arguments but 1 was given$"):
        hello.nothing(1)
    with pytest.raises(
        TypeError, match=r"^scale\(\) takes from 1 to 2 positional arguments but 3 were given$"
    ):
        hello.scale(1, 2, 3)
