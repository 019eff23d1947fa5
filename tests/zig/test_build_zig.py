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


def _doc() -> str:
    return (ROOT / "docs" / "zig.md").read_text()


def _doc_block(after: str) -> str:
    text = _doc()
    match = re.search(re.escape(after) + r".*?```zig\n(.*?)```", text, re.S)
    assert match, f"no zig block after {after!r} in docs/zig.md"
    return match.group(1)


def test_build_zig_from_the_docs(tmp_path):
    (tmp_path / "myplugin.zig").write_text(_doc_block("`myplugin.zig`:"))
    (tmp_path / "build.zig").write_text(_doc_block("in `build.zig`:"))
    command = re.search(r"```sh\n(python -m ziglang build --release [^\n]*)\n```", _doc()).group(1)
    env = dict(os.environ, INC=pyz3.get_include(), LIB=pyz3.get_library_dir())
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    out = subprocess.run(
        ["bash", "-e", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=1800, env=env
    )
    assert out.returncode == 0, out.stderr
    lib = tmp_path / "zig-out" / "lib" / "libmyplugin.so"
    # The release build, with no RUNPATH into site-packages (what docs/zig.md says it is).
    dynamic = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True).stdout
    assert "RPATH" not in dynamic and "RUNPATH" not in dynamic, dynamic
    assert b"integer overflow" not in lib.read_bytes()  # Zig's safety checks' panic message
    m = pyz3.load(lib)
    assert m.add(2, 3) == 5
    assert m.greet("zig") == "hello, zig!"
