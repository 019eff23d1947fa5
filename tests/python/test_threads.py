"""tests/python/test_threads.py: many Python threads and native threads at once.

tests/python/stress_threads.py runs in a subprocess (so a deadlock ends as a timeout, not a hung
suite): 8 Python threads x ``PYZ3_THREAD_CALLS`` (default 100,000) mixed calls — GIL-holding,
GIL-releasing, allocating, raising, keyword calls — while native worker threads allocate through
pyz3; every result is checked and a second round must not grow memory. Once per optimisation
mode, switched with PYZ3_DISABLE in the child, and once with the optimisations switched at
random while the threads run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import PACKAGE, PLUGINS, ROOT

CALLS = int(os.environ.get("PYZ3_THREAD_CALLS", "100000"))
TIMEOUT = 300


@pytest.mark.single_mode
@pytest.mark.parametrize("disable", ["", "gil_cache", "fast_paths", "pool", "all", "toggle"])
def test_eight_python_threads_and_native_workers(disable):
    # "toggle": a ninth thread switches the optimisations at random during the run.
    toggle = ["toggle"] if disable == "toggle" else []
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent), PYZ3_DISABLE="" if toggle else disable)
    script = ROOT / "tests" / "python" / "stress_threads.py"
    try:
        out = subprocess.run(
            [sys.executable, str(script), str(PLUGINS), "8", str(CALLS), *toggle],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"no result within {TIMEOUT} s (deadlock?): {exc.stdout!r} {exc.stderr!r}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "ok", out.stdout
