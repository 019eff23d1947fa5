"""tests/python/test_fastpath_bench.py: the fast conversions, through fastpath_bench."""

from __future__ import annotations

import math

import pytest

from support import load_variant, plugin_variants, run_in_threads


@pytest.fixture(params=plugin_variants("fastpath_bench"))
def fastpath_bench(request):
    return load_variant(request.param)


def test_sample_functions_return_their_values(fastpath_bench):
    assert fastpath_bench.return_i64(21) == 42
    assert fastpath_bench.return_f64(1.25) == 2.5
    assert fastpath_bench.return_bool(True) is False
    assert fastpath_bench.return_bool(False) is True
    assert fastpath_bench.return_str("echo") == "echo"
    assert fastpath_bench.mixed_types(1, 2.5, True, "s") == {"i": 1, "f": 2.5, "b": True, "s": "s"}
    for n in (0, 1, 10, 1000, 100_000):
        assert fastpath_bench.benchmark_primitives(n) == sum(range(n))


def test_sample_functions_under_four_python_threads(fastpath_bench):
    def call(t, c):
        return (
            fastpath_bench.return_i64(c),
            fastpath_bench.return_f64(c / 2),
            fastpath_bench.return_bool(c % 2 == 0),
            fastpath_bench.return_str(f"t{t}c{c}"),
            fastpath_bench.benchmark_primitives(c % 50),
        )

    for t, per_thread in enumerate(run_in_threads(call, threads=4, calls=1000)):
        expected = [(2 * c, float(c), c % 2 != 0, f"t{t}c{c}", sum(range(c % 50))) for c in range(1000)]
        assert per_thread == expected


def test_return_i64_at_the_int64_boundaries(fastpath_bench):
    assert fastpath_bench.return_i64(2**62 - 1) == 2**63 - 2
    assert fastpath_bench.return_i64(-(2**62)) == -(2**63)
    with pytest.raises(OverflowError, match="2\\*x does not fit"):
        fastpath_bench.return_i64(2**62)
    with pytest.raises(OverflowError, match=r"return_i64\(\) argument 'x' out of range for int64"):
        fastpath_bench.return_i64(2**63)
    with pytest.raises(OverflowError, match=r"return_i64\(\) argument 'x' out of range for int64"):
        fastpath_bench.return_i64(-(2**63) - 1)
    with pytest.raises(TypeError, match=r"return_i64\(\) argument 'x' must be int, not str"):
        fastpath_bench.return_i64("x")


@pytest.mark.parametrize("v", [2**30 - 1, 2**30, 2**31, 2**59, 2**60 - 1, 2**60, 2**61 + 7])
def test_return_i64_across_digit_boundaries(fastpath_bench, v):
    for x in (v, -v):
        assert fastpath_bench.return_i64(x // 2) == 2 * (x // 2)


def test_return_f64_keeps_special_values(fastpath_bench):
    assert fastpath_bench.return_f64(math.inf) == math.inf
    assert fastpath_bench.return_f64(-math.inf) == -math.inf
    assert math.isnan(fastpath_bench.return_f64(math.nan))
    assert math.copysign(1.0, fastpath_bench.return_f64(-0.0)) == -1.0
    assert fastpath_bench.return_f64(3) == 6.0


def test_return_bool_identity(fastpath_bench):
    assert fastpath_bench.return_bool(False) is True
    assert fastpath_bench.return_bool(True) is False


@pytest.mark.parametrize("s", ["", "ascii", "naïve", "日本", "🐍🐍", "a\x00b", "\x00", "x" * 4097])
def test_return_str_round_trip(fastpath_bench, s):
    assert fastpath_bench.return_str(s) == s
    assert fastpath_bench.roundtrip_str(s) == s


def test_raw_round_trips_raise_clearly(fastpath_bench):
    assert fastpath_bench.roundtrip_f64(2.5) == 2.5
    assert fastpath_bench.roundtrip_f64(2) == 2.0
    with pytest.raises(TypeError, match="must be a real number"):
        fastpath_bench.roundtrip_f64("2.5")
    with pytest.raises(TypeError, match="must be str"):
        fastpath_bench.roundtrip_str(b"x")


def test_mixed_types_validates_each_argument(fastpath_bench):
    with pytest.raises(TypeError, match=r"argument 'b' must be bool"):
        fastpath_bench.mixed_types(1, 2.0, 1, "s")
    with pytest.raises(TypeError, match=r"argument 's' must be str"):
        fastpath_bench.mixed_types(1, 2.0, True, None)
