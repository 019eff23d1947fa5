"""tests/python/stress_threads.py: Python threads making mixed pyz3 calls while native threads
allocate through pyz3 — run by test_threads.py in a subprocess, so a deadlock is a timeout.

Usage: stress_threads.py PLUGIN_DIR THREADS CALLS [toggle]. Each Python thread makes CALLS calls,
cycling through GIL-holding, GIL-releasing, allocating, raising and keyword calls, and every
500th call starts two native worker threads that allocate through pyz3 while other Python
threads keep calling. With "toggle", one more thread switches the optimisations on and off at
random all the while (switching must be safe at any moment). Every result is checked. The
whole run is done twice; the second must not grow the allocated blocks or the RSS (see
docs/reliability.md for the tolerances). Exit status 0 and a final "ok" line mean success.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

import pyz3

BLOCK_TOLERANCE = 2000
RSS_TOLERANCE = 8 * 1024 * 1024
JOIN_TIMEOUT = 240.0


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> int:
    plugin_dir, threads, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    toggle = sys.argv[4:] == ["toggle"]
    hello = pyz3.load(os.path.join(plugin_dir, "libhello.so"))
    gil = pyz3.load(os.path.join(plugin_dir, "libgil_bench.so"))
    fast = pyz3.load(os.path.join(plugin_dir, "libfastpath_bench.so"))
    pool = pyz3.load(os.path.join(plugin_dir, "libpool_bench.so"))
    marker = object()

    def body(t: int, errors: list, done: list) -> None:
        try:
            for c in range(calls):
                k = c % 10
                if k == 0:
                    assert hello.add(t, c) == t + c
                elif k == 1:
                    assert hello.greet("t") == "hello, t"
                elif k == 2:
                    assert gil.benchmark_allocations(8) == 8
                elif k == 3:
                    assert gil.gil_held_released() is False
                elif k == 4:
                    raised = None
                    try:
                        gil.raise_while_released("released")
                    except ValueError as exc:
                        raised = exc.args
                    assert raised == ("released",)
                elif k == 5:
                    assert fast.mixed_types(c, 0.5, True, "s") == {"i": c, "f": 0.5, "b": True, "s": "s"}
                elif k == 6:
                    assert pool.keywords(c, epsilon=t) == c + 9 + t
                elif k == 7:
                    assert gil.nested_allocations() == 3
                elif k == 8:
                    assert hello.concat(b"a", b"bc") == b"abc"
                elif c % 500 == 9:
                    assert gil.worker_threads(2, 50, c % 1000 == 9) == 100
                else:
                    assert hello.echo_object(marker) is marker
            done.append(t)
        except BaseException as exc:  # reported by the main thread
            errors.append((t, repr(exc)))

    def switch(stop: threading.Event) -> None:
        rng = random.Random(1234)
        while not stop.is_set():
            pyz3.set_optimizations(**{name: rng.random() < 0.5 for name in pyz3.optimizations()})
            time.sleep(0.0005)

    def round_() -> None:
        errors: list = []
        done: list = []
        workers = [threading.Thread(target=body, args=(t, errors, done), daemon=True) for t in range(threads)]
        stop = threading.Event()
        switcher = threading.Thread(target=switch, args=(stop,), daemon=True)
        for w in workers:
            w.start()
        if toggle:
            switcher.start()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
        stop.set()
        if toggle:
            switcher.join(10)
        if any(w.is_alive() for w in workers):
            print(f"FAIL: threads still running after {JOIN_TIMEOUT} s (deadlock?)", flush=True)
            os._exit(3)
        if errors:
            raise AssertionError(f"wrong results: {errors[:5]}")
        assert sorted(done) == list(range(threads))

    round_()
    blocks, before = sys.getallocatedblocks(), rss()
    round_()
    block_growth, rss_growth = sys.getallocatedblocks() - blocks, rss() - before
    print(f"blocks +{block_growth}, rss +{rss_growth} bytes over {threads} x {calls} calls")
    assert block_growth < BLOCK_TOLERANCE, f"{block_growth} more blocks after the second round"
    assert rss_growth <= RSS_TOLERANCE, f"RSS grew by {rss_growth} bytes in the second round"
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
