"""tests/python/conftest.py: fixtures shared by the pytest suites.

Every test runs once per optimisation mode (all on, and each one off) through the autouse
``opt_mode`` fixture, so the whole suite proves that each "off" path behaves like the "on" path.
Built artefacts are found through ``PYZ3_BUILD`` (default: ``build`` at the repository root).
``PYZ3_TEST_MODES=all-on`` (what `make check` sets) keeps only the named modes, for a quick run.
"""

from __future__ import annotations

import os

import pytest

import pyz3
from support import load_variant, plugin_variants

MODES = {
    "all-on": {},
    "gil_cache-off": {"gil_cache": False},
    "fast_paths-off": {"fast_paths": False},
    "pool-off": {"pool": False},
}


def _modes() -> list[str]:
    wanted = os.environ.get("PYZ3_TEST_MODES", "").split(",")
    unknown = set(wanted) - set(MODES) - {""}
    if unknown:
        known = ", ".join(MODES)
        raise pytest.UsageError(f"PYZ3_TEST_MODES names unknown modes {sorted(unknown)}; known: {known}")
    return [m for m in MODES if m in wanted] or list(MODES)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "opt_mode" in metafunc.fixturenames:
        single = metafunc.definition.get_closest_marker("single_mode") is not None
        metafunc.parametrize("opt_mode", ["all-on"] if single else _modes(), indirect=True)


@pytest.fixture(autouse=True)
def opt_mode(request: pytest.FixtureRequest):
    """Run the test with one optimisation switched off (or none), then restore."""
    mode = getattr(request, "param", "all-on")
    previous = pyz3.set_optimizations(**{name: True for name in pyz3.optimizations()})
    pyz3.set_optimizations(**MODES[mode])
    yield mode
    pyz3.set_optimizations(**previous)


@pytest.fixture(scope="session", params=plugin_variants("hello"))
def hello(request: pytest.FixtureRequest):
    """The hello sample plugin: the C build, and the Zig build (hello_zig) when it was built."""
    return load_variant(request.param)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "single_mode: run only with all optimisations on")
