"""tests/python/test_docs.py: the C examples in README.md and docs/quickstart.md compile, load and
behave as the text says."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import pyz3
from support import BUILD, ROOT

pytestmark = pytest.mark.single_mode


def _c_block(doc: str, after: str) -> str:
    text = (ROOT / doc).read_text()
    match = re.search(re.escape(after) + r".*?```c\n(.*?)```", text, re.S)
    assert match, f"no C block after {after!r} in {doc}"
    return match.group(1)


def _build(tmp_path, name: str, source: str):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    lib = tmp_path / f"lib{name}.so"
    cmd = ["gcc", "-std=c11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror"]
    cmd += [f"-I{ROOT / 'include'}", str(src), "-o", str(lib), f"-L{BUILD / 'lib'}", "-lpyz3"]
    subprocess.run(cmd, check=True)
    return pyz3.load(lib)


def test_readme_example(tmp_path):
    tiny = _build(tmp_path, "tiny", _c_block("README.md", "# pyz3"))
    assert tiny.add(2, 3) == 5
    with pytest.raises(TypeError, match=r"^add\(\) argument 'b' must be int, not str$"):
        tiny.add(2, "3")


def test_quickstart_example(tmp_path):
    m = _build(tmp_path, "myplugin", _c_block("docs/quickstart.md", "`myplugin.c`:"))
    assert m.add(2, 3) == 5
    assert m.add(2) == 3
    assert m.add(a=2, b=5) == 7
    assert m.shout("hi") == "hi!"
    assert str(__import__("inspect").signature(m.add)) == "(a, b=1)"
    with pytest.raises(TypeError, match=r"^add\(\) argument 'a' must be int, not str$"):
        m.add("x", 1)
    with pytest.raises(OverflowError, match=r"^add\(\) argument 'a' out of range for int64"):
        m.add(2**63, 1)
    with pytest.raises(ValueError, match="shout: text too long"):
        m.shout("x" * 300)
