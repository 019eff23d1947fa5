"""tests/python/test_pytest_plugin.py: the pytest fixtures pyz3_load and pyz3_leak_check, in the
sample project tests/sample_project run by its own pytest (the installed wheel's entry point is
tested by tests/packaging; here the plugin is enabled with -p)."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from support import BUILD, ROOT, TEST_PLUGINS, plugin_path

pytestmark = pytest.mark.single_mode


def _sample_runner():
    path = ROOT / "tests" / "sample_project" / "sample_runner.py"
    spec = importlib.util.spec_from_file_location("sample_runner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_project_fails_exactly_its_leaking_tests(tmp_path):
    runner = _sample_runner()
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    plugins = [plugin_path("hello"), TEST_PLUGINS / "libleaky.so"]
    outcomes = runner.run(sys.executable, tmp_path / "project", plugins, "-p", "pyz3.pytest_plugin", env=env)
    runner.check(outcomes)


def test_without_the_plugin_the_fixtures_are_missing(tmp_path):
    # The fixtures come from pyz3's plugin, not from anything in the sample project.
    runner = _sample_runner()
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    outcomes = runner.run(sys.executable, tmp_path / "project", [plugin_path("hello")], env=env)
    assert outcomes["test_load_by_path"] is not None
    assert "fixture 'pyz3_load' not found" in outcomes["test_load_by_path"]
