"""tests/python/test_pool_bench.py: pooled objects, through pool_bench."""

from __future__ import annotations

import sys

import pytest

import pyz3
from support import load_variant, plugin_variants, run_in_threads


@pytest.fixture(params=plugin_variants("pool_bench"))
def pool_bench(request):
    return load_variant(request.param)


def test_small_ints_are_identical_objects(pool_bench):
    for i in range(-5, 257):
        assert pool_bench.small_int(i) is i
        assert pool_bench.small_int_obj(i) is i


def test_singletons_and_empty_containers(pool_bench):
    assert pool_bench.get_none() is None
    assert pool_bench.get_true() is True
    assert pool_bench.get_false() is False
    assert pool_bench.empty_str() == ""
    assert pool_bench.empty_bytes() == b""
    assert pool_bench.empty_tuple() == ()
    assert pool_bench.empty_tuple() is ()  # noqa: F632 - CPython's empty tuple is a singleton


def cpython_small_int_max() -> int:
    """The largest int this CPython caches itself (256 up to 3.14, 1024 from 3.15), found by
    asking it: parsing the same digits twice gives the same object only from its cache."""
    n = 0
    while n < 100_000 and int(str(n + 1)) is int(str(n + 1)):
        n += 1
    return n


def test_pool_covers_ints_beyond_cpythons_cache(pool_bench, opt_mode):
    pool_max = pyz3.build_info()["pool_int_max"]
    cpython_max = cpython_small_int_max()
    assert cpython_max == (1024 if sys.version_info >= (3, 15) else 256)
    # Only the pool keeps these: the same object with it on, a new one per call with it off.
    # CPython 3.15 caches the pool's whole range itself, so there are none there.
    # Free-threaded builds pool only immortal objects, i.e. CPython's own small ints
    # (docs/free-threading.md): there are none beyond CPython's cache either.
    immortal_only = pyz3.build_info()["free_threaded"]
    beyond = sorted(
        v
        for v in {cpython_max + 1, (cpython_max + pool_max) // 2, pool_max}
        if cpython_max < v <= pool_max and not immortal_only
    )
    assert bool(beyond) == (sys.version_info < (3, 15) and not immortal_only)
    for v in beyond:
        a, b = pool_bench.small_int(v), pool_bench.small_int(v)
        assert a == b == v
        assert (a is b) == (opt_mode != "pool-off"), v
    # CPython's own cache: the same object in every mode; beyond both caches: never.
    for v in (-5, 0, 100, cpython_max):
        assert pool_bench.small_int(v) is pool_bench.small_int(v) is int(str(v))
    big = max(pool_max, cpython_max) + 1
    a, b = pool_bench.small_int(big), pool_bench.small_int(big)
    assert a == b == big
    assert a is not b


def test_interned_strings_are_identical(pool_bench):
    a = pool_bench.intern("some_key")
    b = pool_bench.intern("some_key")
    assert a == "some_key"
    assert a is b
    assert a is sys.intern("some_key")
    assert pool_bench.intern_literal() is pool_bench.intern_literal()
    assert pool_bench.intern("other") == "other"


def test_keyword_heavy_calls(pool_bench):
    assert pool_bench.keywords(1) == 15
    assert pool_bench.keywords(1, 1, 1, 1, 1) == 5
    assert pool_bench.keywords(alpha=1, epsilon=0, beta=0) == 8
    assert pool_bench.keywords(10, gamma=0, delta=0) == 17
    with pytest.raises(TypeError, match="unexpected keyword argument 'zeta'"):
        pool_bench.keywords(1, zeta=2)


def test_sample_functions_under_four_python_threads(pool_bench):
    def call(t, c):
        return (
            pool_bench.small_int(c % 300),
            pool_bench.keywords(c, epsilon=t),
            pool_bench.intern(f"k{c % 10}"),
            pool_bench.get_none(),
        )

    for t, per_thread in enumerate(run_in_threads(call, threads=4, calls=1000)):
        assert per_thread == [(c % 300, c + 9 + t, f"k{c % 10}", None) for c in range(1000)]


def test_reference_counts_of_pooled_objects_are_flat(pool_bench):
    # The pool and the intern cache hold a bounded number of references of their own; after a
    # warm-up round, counts must not move however many calls follow.
    probes = [100, pool_bench.small_int(1000), "pooled_key"]  # 1000: the pool's own object
    sys.intern(probes[2])

    def calls(n):
        for _ in range(n):
            pool_bench.small_int(100)
            pool_bench.small_int(1000)
            pool_bench.small_int_obj(1000)
            pool_bench.intern("pooled_key")
            pool_bench.keywords(1, beta=2)
            pool_bench.empty_str()
            pool_bench.empty_tuple()
            pool_bench.get_none()

    calls(100)
    before = [sys.getrefcount(p) for p in probes]
    calls(100_000)
    after = [sys.getrefcount(p) for p in probes]
    if sys.version_info >= (3, 12):
        after, before = after[1:], before[1:]  # small ints are immortal on 3.12+
    assert after == before
