"""tests/sample_project/sample_runner.py: runs this sample project with a given Python and reports
each test's outcome; used by tests/python/test_pytest_plugin.py and tests/packaging."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import xml.etree.ElementTree as ET

HERE = pathlib.Path(__file__).resolve().parent

# Test name -> None when it must pass, else a text its failure message must contain.
EXPECTED = {
    "test_load_by_path": None,
    "test_hello_calls_do_not_leak": None,
    "test_correct_twins_pass": None,
    "test_leak_argument": "leaky.keep() leaks on every call: argument 0 (list) +1.00 per call",
    "test_leak_result": "leaky.fresh_leak() leaks on every call: memory blocks +",
    "test_leak_on_error_path": "leaky.fail_leak() leaks on every call: argument 0 (list) +1.00 per call",
    "test_missing_plugin_fails_clearly": None,
    "test_raises_requires_the_exception": None,
}


def run(
    python: str, dest: pathlib.Path, plugins: list[pathlib.Path], *args: str, env=None
) -> dict[str, str | None]:
    """Copies the project to ``dest`` (plugins into dest/plugins), runs pytest there, and returns
    test name -> None (passed) or its failure message."""
    shutil.copytree(HERE, dest, ignore=shutil.ignore_patterns("__pycache__", "sample_runner.py"))
    (dest / "plugins").mkdir()
    for plugin in plugins:
        shutil.copy(plugin, dest / "plugins")
    report = dest / "report.xml"
    run = subprocess.run(
        [python, "-m", "pytest", "-q", f"--junitxml={report}", *args],
        capture_output=True,
        text=True,
        cwd=dest,
        env=env if env is not None else dict(os.environ),
    )
    if not report.exists():
        raise AssertionError(f"pytest did not run the sample project:\n{run.stdout}\n{run.stderr}")
    outcomes: dict[str, str | None] = {}
    for case in ET.parse(report).iter("testcase"):
        problems = [child for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = (
            None if not problems else f"{problems[0].tag}: {problems[0].get('message')}\n{problems[0].text}"
        )
    return outcomes


def check(outcomes: dict[str, str | None]) -> None:
    """Asserts that exactly the expected tests failed, each for the expected reason."""
    assert sorted(outcomes) == sorted(EXPECTED), outcomes
    for name, expected in EXPECTED.items():
        got = outcomes[name]
        if expected is None:
            assert got is None, f"{name} should pass: {got}"
        else:
            assert got is not None and got.startswith("failure:"), f"{name} should fail: {got}"
            assert expected in got, f"{name}: {got}"
