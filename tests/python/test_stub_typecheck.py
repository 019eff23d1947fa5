"""tests/python/test_stub_typecheck.py: mypy accepts correct calls of a plugin and rejects wrong ones,
through the stub of ``pyz3-loader stubs`` and through the package of ``pyz3-loader build``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from support import BUILD, TEST_PLUGINS, plugin_path

pytestmark = pytest.mark.single_mode

GOOD = """\
    import containers
    import hello
    import hi
    import stub_cases

    total: int = hello.add(1, 2) + hi.add(3, 4)
    text: str = hello.describe(3, "n", True, sep="=")
    maybe: float | None = hello.half(None)
    raw = hello.echo_object([1])
    joined: bytes = hello.concat(b"a", b"b")
    length: int = stub_cases.int("abc")
    low: float = stub_cases.clamp(2.0)
    tagged: int = stub_cases.tagged(1, tag=b"t")
    abi: tuple[int, int] = hello.__pyz3_abi__
    summed: int = containers.sum_list([1, 2]) + containers.lookup({"a": 1}, "a", default=0)
    low2, high2 = containers.minmax((1.0, 2.5))
    words: list[str] = containers.split_words("a b")
    counts: dict[str, int] = containers.word_counts("a b")
    doubled: list[int] = containers.apply(lambda x: x * 2, [1])
    counted: int = sum(containers.count_up(3))
    version: str = containers.VERSION
    failure: ValueError = containers.ParseError("bad")
    byte_total: int = hello.byte_sum(bytearray(b"ab")) + hi.byte_sum(memoryview(b"c"))
    view: memoryview = memoryview(hello.iota(3))
"""

# Each line is one wrong use; the expected mypy error code follows it.
BAD = {
    'hello.add("1", 2)': "arg-type",
    'hi.add(1, "2")': "arg-type",
    'hello.describe(3, "n", True, ":")': "call-arg",
    "hello.describe(3, sep=1)": "arg-type",
    "text: str = hello.add(1, 2)": "assignment",
    "hello.greet(name=None)": "arg-type",
    "stub_cases.clamp(x=1.0)": "call-arg",
    "hello.no_such_function()": "attr-defined",
    "number: int = hello.half(2.0)": "assignment",
    'containers.sum_list(["a"])': "list-item",
    'containers.lookup({1: 2}, "a")': "dict-item",
    'ints: list[int] = containers.split_words("a")': "assignment",
    "containers.count_up(1.5)": "arg-type",
    'hello.byte_sum("text")': "arg-type",
}


def _pyz3_loader(*args: object) -> None:
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    run = subprocess.run(
        [sys.executable, "-m", "pyz3", *map(str, args)], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr


def test_mypy_accepts_correct_use_and_rejects_wrong_types(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in tests/requirements.txt")
    stubs, site = tmp_path / "stubs", tmp_path / "site"
    _pyz3_loader("stubs", plugin_path("hello"), "-o", stubs)
    _pyz3_loader("stubs", plugin_path("containers"), "-o", stubs)
    _pyz3_loader("stubs", TEST_PLUGINS / "libstub_cases.so", "-o", stubs)
    _pyz3_loader("build", plugin_path("hello"), "-o", site, "--name", "hi")
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    header = "import containers\nimport hello\nimport hi\nimport stub_cases\n\n"
    (tmp_path / "bad.py").write_text(header + "\n".join(BAD) + "\n")

    env = dict(os.environ, MYPYPATH=os.pathsep.join([str(stubs), str(site)]))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--show-error-codes", "--no-error-summary", "good.py", "bad.py", str(stubs / "stub_cases.pyi")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    errors = [line for line in run.stdout.splitlines() if ": error: " in line]
    assert run.returncode == 1, run.stdout + run.stderr
    assert [e for e in errors if not e.startswith("bad.py:")] == []
    found = {}
    for line in errors:
        m = re.match(r"bad\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        assert m, line
        found.setdefault(int(m.group(1)), m.group(2))
    expected = {i + 6: code for i, code in enumerate(BAD.values())}
    assert found == expected, "\n".join(errors)
    assert 'Argument 1 to "add" has incompatible type "str"; expected "int"' in run.stdout
