"""tests/python/support.py: where the built artefacts are, for the test modules."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import struct
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
PLUGINS = BUILD / "plugins"
TEST_PLUGINS = BUILD / "test-plugins"
PACKAGE = BUILD / "python" / "pyz3"
# Where tests/pythons.mk provisions the CPython versions a machine lacks (make passes its value).
PYTHONS_CACHE = pathlib.Path(
    os.environ.get("PYZ3_PYTHONS_CACHE")
    or pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "pyz3" / "pythons"
)


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


def installed_pythons() -> dict[str, str]:
    """Every CPython 3.10+ the Makefile would find ("3.14" -> interpreter path), looked up the
    same way: a pyenv install, else ``python3.X`` on PATH, else one provisioned into
    ``PYTHONS_CACHE`` by tests/pythons/provision.py."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = {}
    for minor in range(10, 30):
        version = f"3.{minor}"
        candidates = sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))
        candidates.append(shutil.which(f"python{version}") or "")
        if (PYTHONS_CACHE / version / "provisioned.json").exists():
            candidates.append(str(PYTHONS_CACHE / version / "usr" / "bin" / f"python{version}"))
        exe = next((c for c in candidates if c and os.access(c, os.X_OK) and "/shims/" not in c), None)
        if exe:
            found[version] = exe
    return found


def elf_interpreter(path: str) -> str | None:
    """The dynamic loader an ELF64 little-endian executable names (PT_INTERP), or None."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return None
        (phoff,) = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 3:  # PT_INTERP
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode()
    return None
