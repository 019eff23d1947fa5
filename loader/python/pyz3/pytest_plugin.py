"""pyz3/pytest_plugin.py: pytest fixtures for testing pyz3 plugins.

Installed pyz3 registers this module as the ``pytest11`` entry point ``pyz3``, so the fixtures
are there in every test session; without the installed distribution, enable it with
``-p pyz3.pytest_plugin``.

``pyz3_load(path, name=None)``
    Loads a plugin (``pyz3.load``); relative paths are resolved against pytest's rootdir.
``pyz3_leak_check(func, *args, **kwargs)``
    Calls ``func`` many times and fails the test when the calls leak references: a reference
    kept to an argument, to the function or to the result, or an object that is never freed.
    Returns the first call's result. ``pyz3_leak_check.raises(exc_type, func, *args)`` does the
    same for a call that must raise ``exc_type`` (error paths leak too).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

import pyz3


@pytest.fixture
def pyz3_load(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Loads a pyz3 plugin by path: ``hello = pyz3_load("build/plugins/libhello.so")``."""
    rootdir = request.config.rootpath

    def load(path: str | os.PathLike[str], *, name: str | None = None):
        full = rootdir / os.fspath(path)
        if not full.exists():
            pytest.fail(
                f"pyz3 plugin {full} does not exist (relative paths start at {rootdir})", pytrace=False
            )
        return pyz3.load(full, name=name)

    return load


class LeakCheck:
    """Repeats a call and compares reference counts and live memory blocks before and after.

    After ``warmup`` calls (caches and free lists settle), ``rounds`` rounds of ``calls`` calls
    each are measured. A quantity that grows by at least half a unit per call in *every* round
    is a leak: bounded one-off growth (a plugin's own cache) does not repeat, a leak does.
    Counted: the reference count of the function, of each argument and of the first result,
    the interpreter's allocated memory blocks, and on debug builds its total reference count.
    """

    def __init__(self, *, warmup: int = 50, rounds: int = 3, calls: int = 300) -> None:
        self.warmup = warmup
        self.rounds = rounds
        self.calls = calls

    def __call__(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        self._check(func, args, kwargs, result, lambda: func(*args, **kwargs))
        return result

    def raises(
        self, exc_type: type[BaseException], func: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> None:
        def call() -> None:
            try:
                func(*args, **kwargs)
            except exc_type:
                return
            pytest.fail(f"{_describe(func)} did not raise {exc_type.__name__}", pytrace=False)

        call()
        self._check(func, args, kwargs, None, call)

    def _check(self, func, args, kwargs, result, call: Callable[[], object]) -> None:
        watched = {"the function": func}
        if result is not None:
            watched["the result"] = result
        watched.update({f"argument {i} ({type(a).__name__})": a for i, a in enumerate(args)})
        watched.update({f"argument {k!r} ({type(v).__name__})": v for k, v in kwargs.items()})

        def snapshot() -> dict[str, int]:
            gc.collect()
            counts = {name: sys.getrefcount(obj) for name, obj in watched.items()}
            counts["memory blocks"] = sys.getallocatedblocks()
            if hasattr(sys, "gettotalrefcount"):
                counts["total references"] = sys.gettotalrefcount()
            return counts

        for _ in range(self.warmup):
            call()
        growth: list[dict[str, int]] = []
        for _ in range(self.rounds):
            before = snapshot()
            for _ in range(self.calls):
                call()
            after = snapshot()
            growth.append({name: after[name] - before[name] for name in before})
        threshold = self.calls // 2
        leaks = [name for name in growth[0] if all(g[name] >= threshold for g in growth)]
        if leaks:
            per_call = ", ".join(f"{name} +{min(g[name] for g in growth) / self.calls:.2f}" for name in leaks)
            pytest.fail(f"{_describe(func)} leaks on every call: {per_call} per call", pytrace=False)


def _describe(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    if getattr(func, "__self__", None) is not None and "." in name:
        name = name.rsplit(".", 1)[1]
    return f"{module}.{name}()" if module else f"{name}()"


@pytest.fixture
def pyz3_leak_check() -> LeakCheck:
    """Fails the test when calls through it leak: ``pyz3_leak_check(hello.add, 2, 3)``."""
    return LeakCheck()
