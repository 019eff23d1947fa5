"""tests/python/test_free_threading.py: what a plugin may rely on about threads (docs/free-threading.md).

A plugin that does not declare ``PYZ3_PLUGIN_FREE_THREADED`` never runs two of its calls at once,
and a callback from inside one of its calls may call back into it — on the same thread, or on
another thread the callback waits for. Under a GIL the GIL gives the first; on free-threaded
CPython pyz3's per-plugin lock must give all three (a plain mutex would deadlock on the last).
The plugins come from tests/plugins/serial.c. The suite runs on every interpreter here; none is
free-threaded (docs/free-threading.md says why), where the last test would also run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import threading

import pytest

import pyz3
from support import BUILD, ROOT, TEST_PLUGINS, load_variant, plugin_path, plugin_variants

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _load(name: str):
    path = TEST_PLUGINS / f"lib{name}.so"
    assert path.exists(), f"{path} missing: run `make test-plugins`"
    return pyz3.load(path)


@pytest.fixture(scope="module")
def serial():
    return _load("serial")


@pytest.fixture(scope="module")
def serial_ft():
    return _load("serial_ft")


def _hammer(probe, threads: int = 8, calls: int = 200, spins: int = 2000) -> int:
    """The most calls of ``probe`` any call saw running at once, over ``threads`` threads."""
    seen = []
    start = threading.Barrier(threads)

    def work():
        start.wait()
        seen.append(max(probe(spins) for _ in range(calls)))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(seen) == threads
    return max(seen)


def test_the_runtime_is_built_for_this_interpreters_kind():
    # libpyz3 is built per CPython; a free-threaded one needs the Py_GIL_DISABLED build.
    assert pyz3.build_info()["free_threaded"] is FREE_THREADED


def test_the_descriptor_says_whether_a_plugin_is_free_threaded(serial, serial_ft):
    assert pyz3._pyz3.describe(serial.__file__)["free_threaded"] is False
    assert pyz3._pyz3.describe(serial_ft.__file__)["free_threaded"] is True


@pytest.mark.parametrize("path", plugin_variants("fastpath_bench"))
def test_each_sdk_declares_free_threading(path):
    # C: #define PYZ3_PLUGIN_FLAGS before pyz3.h; Zig: .free_threaded in Options; Rust: the
    # plugin! macro's `free_threaded = true;`. The sample hello plugins declare nothing.
    assert pyz3._pyz3.describe(load_variant(path).__file__)["free_threaded"] is True
    assert pyz3._pyz3.describe(str(plugin_path("hello_rs")))["free_threaded"] is True
    assert pyz3._pyz3.describe(str(plugin_path("hello")))["free_threaded"] is False


@pytest.mark.single_mode
def test_the_docs_c_example_declares_it(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    text = (ROOT / "docs" / "free-threading.md").read_text()
    source = re.search(r"```c\n(.*?)```", text, re.S).group(1)
    (tmp_path / "tiny_ft.c").write_text(source)
    lib = tmp_path / "libtiny_ft.so"
    cmd = [
        "gcc",
        "-std=c11",
        "-O2",
        "-fPIC",
        "-shared",
        "-Wall",
        "-Wextra",
        "-Werror",
        f"-I{ROOT / 'include'}",
    ]
    subprocess.run(
        [*cmd, str(tmp_path / "tiny_ft.c"), "-o", str(lib), f"-L{BUILD / 'lib'}", "-lpyz3"], check=True
    )
    tiny = pyz3.load(lib)
    assert tiny.add(2, 3) == 5
    assert pyz3._pyz3.describe(str(lib))["free_threaded"] is True


def test_calls_of_a_plugin_not_declared_free_threaded_never_overlap(serial):
    assert _hammer(serial.probe) == 1


def test_a_plugin_declared_free_threaded_loads_and_runs_on_many_threads(serial_ft):
    # Overlap is allowed here (and happens only without a GIL): nothing to assert about it.
    assert _hammer(serial_ft.probe) >= 1


def test_a_callback_may_call_back_into_the_plugin(serial):
    assert serial.call_back(lambda: serial.probe(10)) == 1
    assert serial.call_back(lambda: serial.call_back(lambda: serial.probe(10) + 1)) == 2


def test_a_callback_may_wait_for_another_thread_that_calls_the_plugin(serial):
    # The outer call is still inside the plugin while the callback waits: a lock held across the
    # wait would deadlock here; the GIL, and pyz3's per-plugin lock, are released while waiting.
    def in_another_thread():
        out = []
        t = threading.Thread(target=lambda: out.append(serial.probe(10)), daemon=True)
        t.start()
        t.join(timeout=60)
        assert not t.is_alive(), "the other thread never got into the plugin"
        return out[0]

    assert serial.call_back(in_another_thread) == 1


@pytest.mark.skipif(not FREE_THREADED, reason="needs a free-threaded CPython (none can be installed here)")
def test_loading_plugins_keeps_the_gil_off(serial, serial_ft):
    assert not sys._is_gil_enabled()
