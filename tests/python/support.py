"""tests/python/support.py: where the built artefacts are, for the test modules."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
PLUGINS = BUILD / "plugins"
TEST_PLUGINS = BUILD / "test-plugins"
PACKAGE = BUILD / "python" / "pyz3"


def plugin_path(name: str) -> pathlib.Path:
    """The built sample plugin ``lib<name>.so``; fails the test if it is missing."""
    path = PLUGINS / f"lib{name}.so"
    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `make plugins`")
    return path


def plugin_variants(name: str) -> list[pytest.param]:
    """The builds of sample plugin ``name`` to test: the C one (required) and, when built, the
    Zig one (``lib<name>_zig.so``). For ``pytest.mark.parametrize`` at collection time."""
    variants = [pytest.param(PLUGINS / f"lib{name}.so", id="c")]
    zig = PLUGINS / f"lib{name}_zig.so"
    if zig.exists():
        variants.append(pytest.param(zig, id="zig"))
    return variants


def load_variant(path: pathlib.Path):
    """Load one build of a sample plugin (fails the test if it was not built)."""
    import pyz3

    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `make plugins`")
    return pyz3.load(path)


def pyz3_loader(*args: object, cwd=None) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m pyz3 ARGS`` (the ``pyz3-loader`` command) as a user would, in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    return subprocess.run(
        [sys.executable, "-m", "pyz3", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd
    )


def run_in_threads(fn, threads: int, calls: int, timeout: float = 120.0) -> list:
    """Call ``fn(thread_index, call_index)`` ``calls`` times on each of ``threads`` Python threads;
    return the results in order per thread, re-raising the first exception."""
    import threading

    results: list[list] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def body(t: int) -> None:
        try:
            for c in range(calls):
                results[t].append(fn(t, c))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=body, args=(t,), daemon=True) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout)
        if w.is_alive():
            pytest.fail(f"a worker thread did not finish within {timeout} s (deadlock?)")
    if errors:
        raise errors[0]
    return results
