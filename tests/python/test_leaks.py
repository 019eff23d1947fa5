"""tests/python/test_leaks.py: every sample function, called many times, leaks nothing.

For each function and class of the C sample plugins (hello, arrays, gil_bench, fastpath_bench,
pool_bench, classes: constructions, method calls, properties, instances as arguments and
results, pickling, cycles through native state; containers, and the containers plugin's Zig and
Rust twins: their constants and exception class too) a
workload of one or more calls (success and error paths) runs ``PYZ3_LEAK_CALLS`` times after a
warm-up of a tenth of that. Across the run:

* the reference counts of the arguments (buffer arguments included: a view holds one while it
  lives), of the results the test keeps, and of pooled objects
  (None, True, False, pooled ints, empty str/bytes/tuple, interned names) stay within
  ``REFCOUNT_TOLERANCE`` (the interpreter itself moves None's or a small int's count by a few;
  a leak of one reference per call moves it by the number of calls);
* ``sys.getallocatedblocks()`` (every live object and PyMem block, which is where pyz3_alloc
  takes memory from) grows by fewer than ``BLOCK_TOLERANCE`` blocks;
* the process RSS grows by at most ``RSS_TOLERANCE`` bytes.

``make test`` runs 20,000 calls per function (all-on mode only); ``make test-leaks`` runs
1,000,000. The tolerances are absolute, so the longer run is also the stricter one per call.
"""

from __future__ import annotations

import array
import contextlib
import gc
import os
import pickle
import sys

import pytest

import pyz3
from support import plugin_path

CALLS = int(os.environ.get("PYZ3_LEAK_CALLS", "20000"))
REFCOUNT_TOLERANCE = 16
BLOCK_TOLERANCE = 1000
RSS_TOLERANCE = 4 * 1024 * 1024

BIG = 2**40 + 12345  # an int no cache holds
TEXT = "a string argument, wörld"
DATA = b"some bytes"
OBJ = object()
BUFFER = bytearray(b"a bytearray argument")
VECTOR = array.array("d", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _raises(exc, fn, *args, **kwargs):
    def call():
        with contextlib.suppress(exc):
            fn(*args, **kwargs)

    return call


def _hello(m):
    return {
        "add": [
            lambda: m.add(BIG, 2),
            _raises(OverflowError, m.add, 2**63 - 1, 1),
            _raises(TypeError, m.add, TEXT, 1),
        ],
        "mul": [
            lambda: m.mul(BIG, 2),
            _raises(OverflowError, m.mul, 2**62, 4),
            _raises(TypeError, m.mul, 1, b=2),
        ],
        "greet": [lambda: m.greet(TEXT), lambda: m.greet(), lambda: m.greet(name=TEXT)],
        "scale": [lambda: m.scale(2.5), lambda: m.scale(2.5, factor=BIG)],
        "divide": [lambda: m.divide(1.0, 3.0), _raises(ZeroDivisionError, m.divide, 1.0, 0.0)],
        "strlen": [lambda: m.strlen(TEXT), _raises(TypeError, m.strlen, DATA)],
        "concat": [lambda: m.concat(DATA, DATA)],
        "describe": [
            lambda: m.describe(BIG, TEXT, True, sep=TEXT),
            _raises(ValueError, m.describe, 1, TEXT * 20),
        ],
        "half": [lambda: m.half(None), lambda: m.half(3.0)],
        "nothing": [lambda: m.nothing(), _raises(TypeError, m.nothing, OBJ)],
        "fail": [_raises(ValueError, m.fail, 1, TEXT), _raises(KeyError, m.fail, 4)],
        "lookup": [lambda: m.lookup("two"), _raises(KeyError, m.lookup, TEXT)],
        **{f"echo_{k}": [lambda k=k, v=v: getattr(m, f"echo_{k}")(v)] for k, v in _ECHO_VALUES.items()},
        "echo_object": [lambda: m.echo_object(OBJ), lambda: m.echo_object(TEXT)],
        "raw_add": [
            lambda: m.raw_add(BIG, 1),
            _raises(TypeError, m.raw_add, OBJ, 1),
            lambda: m.raw_add(b=1, a=BIG),
        ],
        "runtime_id": [lambda: m.runtime_id()],
        "byte_sum": [
            lambda: m.byte_sum(BUFFER),
            lambda: m.byte_sum(DATA),
            _raises(TypeError, m.byte_sum, TEXT),
        ],
        "iota": [lambda: m.iota(100), _raises(ValueError, m.iota, -1)],
    }


_ECHO_VALUES = {
    "i8": -100,
    "i16": 1000,
    "i32": -(2**31),
    "i64": BIG,
    "u8": 255,
    "u16": 1000,
    "u32": 2**32 - 1,
    "u64": 2**64 - 1,
    "f32": 1.5,
    "f64": 2.25,
    "bool": True,
    "str": TEXT,
    "bytes": DATA,
}


def _arrays(m):
    matrix = memoryview(VECTOR).cast("B").cast("d", (2, 3))
    return {
        "sum_f64": [lambda: m.sum_f64(VECTOR), _raises(TypeError, m.sum_f64, BUFFER)],
        "scale": [lambda: m.scale(VECTOR, 1.0), _raises(TypeError, m.scale, DATA, 1.0)],
        "dot": [lambda: m.dot(VECTOR, VECTOR), _raises(ValueError, m.dot, VECTOR, VECTOR[:2])],
        "crc32": [
            lambda: m.crc32(BUFFER),
            lambda: m.crc32(DATA, 7),
            _raises(TypeError, m.crc32, BUFFER, TEXT),
        ],
        "linspace": [lambda: m.linspace(0.0, 1.0, 50), _raises(ValueError, m.linspace, 0.0, 1.0, -1)],
        "sum_2d": [lambda: m.sum_2d(matrix), _raises(ValueError, m.sum_2d, VECTOR)],
        "transpose_copy": [lambda: m.transpose_copy(matrix)],
        "fill_parallel": [lambda: m.fill_parallel(VECTOR, 1.0)],
    }


def _gil_bench(m):
    return {
        "nested_allocations": [lambda: m.nested_allocations()],
        "deep_nesting": [lambda: m.deep_nesting()],
        "benchmark_allocations": [lambda: m.benchmark_allocations(16)],
        "worker_threads": [lambda: m.worker_threads(1, 8, True), lambda: m.worker_threads(1, 8, False)],
        "worker_nested_scopes": [lambda: m.worker_nested_scopes(3)],
        "allocations_in_nogil_region": [lambda: m.allocations_in_nogil_region(4)],
        "gil_held": [lambda: m.gil_held()],
        "gil_held_released": [lambda: m.gil_held_released()],
        "raise_while_released": [_raises(ValueError, m.raise_while_released, TEXT)],
        "check_alignment": [lambda: m.check_alignment(100, 256), lambda: m.check_alignment(16, 3)],
        "realloc_keeps": [lambda: m.realloc_keeps(100, 300, 64), lambda: m.realloc_keeps(300, 10)],
        "barrier_wait": [lambda: m.barrier_wait(1, 0)],
        "barrier_wait_holding_gil": [lambda: m.barrier_wait_holding_gil(1, 0)],
    }


def _fastpath_bench(m):
    return {
        "return_i64": [lambda: m.return_i64(BIG), _raises(OverflowError, m.return_i64, 2**62)],
        "return_f64": [lambda: m.return_f64(1.25)],
        "return_bool": [lambda: m.return_bool(True)],
        "return_str": [lambda: m.return_str(TEXT)],
        "mixed_types": [
            lambda: m.mixed_types(BIG, 2.5, False, TEXT),
            _raises(TypeError, m.mixed_types, 1, 2.0, 1, TEXT),
        ],
        "benchmark_primitives": [lambda: m.benchmark_primitives(16)],
        "roundtrip_f64": [lambda: m.roundtrip_f64(2.5), _raises(TypeError, m.roundtrip_f64, TEXT)],
        "roundtrip_str": [lambda: m.roundtrip_str(TEXT), _raises(TypeError, m.roundtrip_str, DATA)],
    }


def _pool_bench(m):
    return {
        "small_int": [lambda: m.small_int(1000), lambda: m.small_int(BIG)],
        "small_int_obj": [lambda: m.small_int_obj(1000), lambda: m.small_int_obj(7)],
        "get_none": [lambda: m.get_none()],
        "get_true": [lambda: m.get_true()],
        "get_false": [lambda: m.get_false()],
        "empty_str": [lambda: m.empty_str()],
        "empty_bytes": [lambda: m.empty_bytes()],
        "empty_tuple": [lambda: m.empty_tuple()],
        "keywords": [lambda: m.keywords(1, gamma=BIG), lambda: m.keywords(alpha=1, epsilon=2)],
        "intern": [lambda: m.intern("some_key"), lambda: m.intern(TEXT)],
        "intern_literal": [lambda: m.intern_literal()],
    }


INTS = list(range(BIG, BIG + 30))  # more than the view's inline slots hold
WORDS = "the cat and the hat " * 10 + TEXT


def _twice(x):
    return x * 2


def _containers(m):
    return {
        "sum_list": [
            lambda: m.sum_list(INTS),
            lambda: m.sum_list(tuple(INTS[:5])),
            lambda: m.sum_list(range(20)),
            _raises(TypeError, m.sum_list, [1, TEXT]),
            _raises(OverflowError, m.sum_list, [2**63 - 1, 1]),
        ],
        "minmax": [lambda: m.minmax([1.5, -2.0, 3.25]), _raises(ValueError, m.minmax, [])],
        "split_words": [lambda: m.split_words(WORDS)],
        "word_counts": [lambda: m.word_counts(WORDS)],
        "lookup": [
            lambda: m.lookup({"a": BIG, TEXT: 2}, TEXT),
            lambda: m.lookup({"a": 1}, "b"),
            _raises(TypeError, m.lookup, {"a": TEXT}, "a"),
            _raises(TypeError, m.lookup, {1: 1}, "a"),
        ],
        "apply": [
            lambda: m.apply(_twice, INTS),
            _raises(TypeError, m.apply, str, [1]),
            _raises(ZeroDivisionError, m.apply, lambda x: 1 // 0, [1]),
        ],
        "count_up": [lambda: list(m.count_up(30)), lambda: next(m.count_up(5))],
        "parse_pairs": [lambda: m.parse_pairs("a=1, b=-2"), _raises(ValueError, m.parse_pairs, "a=1,b")],
        "ParseError": [lambda: m.ParseError(TEXT)],
        "VERSION": [lambda: m.VERSION],
        "MAX_WORDS": [lambda: m.MAX_WORDS],
    }


def _classes(m):
    counter, stats = m.Counter(5), m.RollingStats(4)
    for x in (1.0, 2.0, 3.0):
        stats.push(x)

    def properties():
        counter.value = BIG
        counter.value = counter.value - 1
        return counter.value

    def stats_work():
        s = m.RollingStats(3)
        s.push(2.5)
        s.push(BIG)
        return len(s), s.count, s.mean, s.variance

    def node_cycle():
        n = m.Node(OBJ)
        n.value = n  # collected by the garbage collector's automatic passes

    def node_replace():
        n = m.Node(TEXT)
        n.value = DATA
        return n.value

    def pickled():
        return pickle.loads(pickle.dumps(counter)).value

    return {
        "Counter": [
            lambda: m.Counter(),
            lambda: m.Counter(start=BIG),
            _raises(TypeError, m.Counter, TEXT),
            lambda: counter.inc(),
            lambda: counter.inc(by=2),
            _raises(TypeError, counter.inc, TEXT),
            properties,
            lambda: repr(counter),
            lambda: counter.reset(),
            pickled,
        ],
        "RollingStats": [stats_work, _raises(ValueError, m.RollingStats, 0), lambda: stats.mean],
        "Node": [node_cycle, node_replace],
        "merge": [lambda: m.merge(stats, stats), _raises(TypeError, m.merge, stats, OBJ)],
        "live_count": [lambda: m.live_count()],
    }


WORKLOADS = {
    "classes": _classes,
    "hello": _hello,
    "arrays": _arrays,
    "gil_bench": _gil_bench,
    "fastpath_bench": _fastpath_bench,
    "pool_bench": _pool_bench,
    "containers": _containers,
    "containers_zig": _containers,
    "containers_rs": _containers,
}


class _AnyModule:
    """Stands in for a plugin module (and what its functions and classes return) when only the
    workloads' names are needed."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: _AnyModule()


def _load(name):
    return pyz3.load(plugin_path(name))


@pytest.mark.single_mode
@pytest.mark.parametrize("plugin", list(WORKLOADS))
def test_every_sample_function_has_a_workload(plugin):
    module = _load(plugin)
    missing = set(module.__all__) - set(WORKLOADS[plugin](module))
    assert not missing, f"add a workload for {sorted(missing)} to WORKLOADS in {__file__}"
    assert set(WORKLOADS[plugin](module)) == set(module.__all__)


def _watched_objects():
    pool = _load("pool_bench")
    # Pooled objects as the runtime hands them out (with the pool on, these are the pool's own).
    pooled = [
        pool.small_int_obj(1000),
        pool.small_int_obj(300),
        pool.intern_literal(),
        pool.intern("some_key"),
    ]
    return [BIG, TEXT, DATA, OBJ, BUFFER, VECTOR, None, True, False, "", b"", (), *pooled]


def _run(calls, n):
    for _ in range(n):
        for call in calls:
            call()


@pytest.mark.single_mode
@pytest.mark.parametrize(
    "case",
    [pytest.param((p, f), id=f"{p}.{f}") for p, make in WORKLOADS.items() for f in make(_AnyModule())],
)
def test_no_leak_over_many_calls(case):
    plugin, function = case
    calls = WORKLOADS[plugin](_load(plugin))[function]
    watched = _watched_objects()
    results = [call() for call in calls]  # kept: their counts are watched too
    watched += [r for r in results if r is not None]

    _run(calls, max(CALLS // 10, 100))
    # Steady states: garbage cycles (the workloads' own, and earlier tests' that a workload's
    # allocations would make the collector free meanwhile) are collected at both ends.
    gc.collect()
    counts = [sys.getrefcount(o) for o in watched]
    blocks = sys.getallocatedblocks()
    rss = _rss()
    _run(calls, CALLS)
    gc.collect()
    rss_growth = _rss() - rss
    block_growth = sys.getallocatedblocks() - blocks

    after = [sys.getrefcount(o) for o in watched]
    changed = [
        (o, b, a) for o, b, a in zip(watched, counts, after, strict=True) if abs(a - b) > REFCOUNT_TOLERANCE
    ]
    assert changed == [], f"reference counts moved over {CALLS} rounds: (object, before, after) {changed}"
    assert block_growth < BLOCK_TOLERANCE, f"{block_growth} more blocks allocated after {CALLS} rounds"
    assert rss_growth <= RSS_TOLERANCE, f"RSS grew by {rss_growth} bytes over {CALLS} rounds"
