"""tests/zig/test_build_zig.py: the build.zig of docs/zig.md builds the quick-start plugin.

Run once per `make test` by the zig-check target (with the main Python), not per Python version:
the first `zig build` on a machine compiles Zig's build runner, which takes minutes.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pyz3

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _doc_block(after: str) -> str:
    text = (ROOT / "docs" / "zig.md").read_text()
    match = re.search(re.escape(after) + r".*?```zig\n(.*?)```", text, re.S)
    assert match, f"no zig block after {after!r} in docs/zig.md"
    return match.group(1)


def test_build_zig_from_the_docs(tmp_path):
    (tmp_path / "myplugin.zig").write_text(_doc_block("`myplugin.zig`:"))
    (tmp_path / "build.zig").write_text(_doc_block("`build.zig` next to"))
    cmd = [sys.executable, "-m", "ziglang", "build"]
    cmd += [f"-Dpyz3-include={pyz3.get_include()}", f"-Dpyz3-lib={pyz3.get_library_dir()}"]
    out = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1800, env=dict(os.environ)
    )
    assert out.returncode == 0, out.stderr
    m = pyz3.load(tmp_path / "zig-out" / "lib" / "libmyplugin.so")
    assert m.add(2, 3) == 5
    assert m.greet("zig") == "hello, zig!"
