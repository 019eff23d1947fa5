"""tests/python/test_gil_bench.py: the GIL-state cache and the allocator, through gil_bench."""

from __future__ import annotations

import threading

import pytest

from support import load_variant, plugin_variants, run_in_threads


@pytest.fixture(params=plugin_variants("gil_bench"))
def gil_bench(request):
    return load_variant(request.param)


def test_sample_functions_return_their_values(gil_bench):
    assert gil_bench.nested_allocations() == 3
    assert gil_bench.deep_nesting() == 55
    assert gil_bench.benchmark_allocations(0) == 0
    assert gil_bench.benchmark_allocations(10_000) == 10_000


def test_sample_functions_under_four_python_threads(gil_bench):
    def call(t, c):
        return (
            gil_bench.nested_allocations(),
            gil_bench.deep_nesting(),
            gil_bench.benchmark_allocations(c % 7),
        )

    for per_thread in run_in_threads(call, threads=4, calls=1000):
        assert per_thread == [(3, 55, c % 7) for c in range(1000)]


@pytest.mark.parametrize("scoped", [True, False])
def test_native_worker_threads_allocate(gil_bench, scoped):
    assert gil_bench.worker_threads(4, 2000, scoped) == 8000
    assert gil_bench.worker_threads(1, 0, scoped) == 0
    assert gil_bench.worker_threads(threads=2, allocs_per_thread=10) == 20


def test_worker_threads_validates_its_arguments(gil_bench):
    with pytest.raises(ValueError, match="threads must be in 1..256"):
        gil_bench.worker_threads(0, 10, True)
    with pytest.raises(ValueError, match="allocs_per_thread must be >= 0"):
        gil_bench.worker_threads(1, -1, True)


def test_native_workers_while_python_threads_call(gil_bench):
    # Native threads taking the GIL per allocation compete with Python threads calling in.
    def call(t, c):
        if t == 0:
            return gil_bench.worker_threads(2, 200, c % 2 == 0)
        return gil_bench.benchmark_allocations(50)

    results = run_in_threads(call, threads=3, calls=50)
    assert results[0] == [400] * 50
    assert results[1] == results[2] == [50] * 50


def test_nested_scopes_on_a_native_thread(gil_bench):
    assert gil_bench.worker_nested_scopes(0) == 0
    assert gil_bench.worker_nested_scopes(1) == 1
    assert gil_bench.worker_nested_scopes(50) == 50


def test_allocation_inside_a_gil_released_region(gil_bench):
    assert gil_bench.allocations_in_nogil_region(1000) == 1000


def test_gil_state_as_seen_by_the_plugin(gil_bench):
    assert gil_bench.gil_held() is True
    assert gil_bench.gil_held_released() is False


def test_errors_raised_while_the_gil_is_released(gil_bench):
    with pytest.raises(ValueError, match="^from a released region$"):
        gil_bench.raise_while_released("from a released region")


@pytest.mark.parametrize("align", [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 65536])
@pytest.mark.parametrize("size", [0, 1, 24, 256, 513, 5000])
def test_alignment_is_honoured(gil_bench, size, align):
    assert gil_bench.check_alignment(size, align) is True


@pytest.mark.parametrize("align", [3, 6, 100, 131072])
def test_invalid_alignment_is_refused(gil_bench, align):
    assert gil_bench.check_alignment(16, align) is False


@pytest.mark.parametrize(
    ("size", "new_size", "align"),
    [
        (100, 1000, 0),
        (1000, 10, 0),
        (0, 64, 0),
        (64, 0, 0),
        (100, 5000, 64),
        (5000, 100, 4096),
        (33, 100000, 32),
    ],
)
def test_realloc_keeps_contents_and_alignment(gil_bench, size, new_size, align):
    assert gil_bench.realloc_keeps(size, new_size, align) is True


@pytest.mark.single_mode
def test_release_gil_flag_lets_python_threads_meet_in_native_code(gil_bench):
    # Four Python threads wait in the same native barrier. It can only fill if each call
    # released the GIL; a waiter that held it would keep the others out until it timed out.
    results = run_in_threads(lambda t, c: gil_bench.barrier_wait(4, 20_000), threads=4, calls=3)
    assert results == [[True] * 3] * 4


@pytest.mark.single_mode
def test_barrier_cannot_fill_while_a_waiter_holds_the_gil(gil_bench):
    # The control: the same barrier without PYZ3_FN_RELEASE_GIL. The first caller waits holding
    # the GIL, the second cannot enter until the first times out, so neither sees the other.
    results = run_in_threads(lambda t, c: gil_bench.barrier_wait_holding_gil(2, 300), threads=2, calls=1)
    assert results == [[False], [False]]


def test_release_gil_functions_interleave_with_other_python_threads(gil_bench):
    stop = threading.Event()
    counts = []

    def spin():
        n = 0
        while not stop.is_set():
            n += 1
        counts.append(n)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        assert gil_bench.worker_threads(2, 20_000, True) == 40_000
    finally:
        stop.set()
        spinner.join(30)
    assert counts and counts[0] > 0
