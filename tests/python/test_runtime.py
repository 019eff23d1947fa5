"""tests/python/test_runtime.py: one runtime per process, exported symbols, layouts, switches,
reference counts, and the same plugin binaries under every installed CPython."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

import pyz3
from pyz3 import _pyz3
from support import BUILD, PACKAGE, PLUGINS, ROOT, elf_interpreter, installed_pythons, plugin_path

_EXT_VERSION = re.compile(r"_pyz3\.cpython-(\d{3,})-.*\.so$")


def _mapped_files() -> set[str]:
    files = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/"):
                files.add(os.path.realpath(parts[5]))
    return files


@pytest.mark.single_mode
def test_exactly_one_runtime_in_the_process(hello):
    # The plugin calls pyz3_runtime_id() through its own DT_NEEDED libpyz3.so.1; the loader
    # reports its own. Equal addresses mean one copy of the runtime.
    assert hello.runtime_id() == _pyz3.runtime_id()
    runtimes = {f for f in _mapped_files() if os.path.basename(f).startswith(("libpyz3.so", "_pyz3."))}
    assert runtimes == {os.path.realpath(_pyz3.__file__)}


def _nm(path: pathlib.Path, *flags: str) -> list[str]:
    if shutil.which("nm") is None:
        pytest.skip("nm is not installed")
    out = subprocess.run(["nm", "-D", *flags, str(path)], check=True, capture_output=True, text=True)
    return [line.split()[-1] for line in out.stdout.splitlines() if line.strip()]


@pytest.mark.single_mode
def test_libpyz3_exports_only_pyz3_symbols():
    defined = _nm(pathlib.Path(_pyz3.__file__), "--defined-only")
    assert defined, "no dynamic symbols found"
    stray = [s for s in defined if not s.startswith("pyz3_") and s != "PyInit__pyz3"]
    assert stray == []
    assert "pyz3_plugin_entry" not in defined


@pytest.mark.single_mode
def test_libpyz3_has_a_versioned_soname():
    out = subprocess.run(["readelf", "-d", _pyz3.__file__], check=True, capture_output=True, text=True)
    assert f"[libpyz3.so.{pyz3.abi_version[0]}]" in out.stdout


@pytest.mark.single_mode
def test_sample_plugins_reference_no_python_symbols():
    libs = sorted(PLUGINS.glob("lib*.so"))
    assert libs, "no sample plugins built"
    for lib in libs:
        undefined = _nm(lib, "--undefined-only")
        python_symbols = [s for s in undefined if s.startswith(("Py", "_Py"))]
        assert python_symbols == [], f"{lib.name} references {python_symbols}"
        assert any(s.startswith("pyz3_") for s in undefined), f"{lib.name} does not use libpyz3"


@pytest.mark.single_mode
def test_header_layout_matches_the_runtime():
    # tests/c/layout.c prints sizeof/offsetof as the C compiler sees pyz3.h; the runtime reports
    # the Rust side. `make header-compile` builds and runs it.
    layout_txt = BUILD / "header-test" / "layout.txt"
    if not layout_txt.exists():
        pytest.skip("run `make header-compile` first")
    c_side = dict(line.rsplit(" ", 1) for line in layout_txt.read_text().splitlines())
    rust_side = dict(_pyz3.build_info()["layout"])
    assert {k: int(v) for k, v in c_side.items()} == rust_side


def test_optimisation_switches_round_trip():
    before = pyz3.optimizations()
    assert set(before) == {"gil_cache", "fast_paths", "pool"}
    previous = pyz3.set_optimizations(pool=False)
    try:
        assert previous == before
        assert pyz3.optimizations()["pool"] is False
    finally:
        pyz3.set_optimizations(**before)
    with pytest.raises(TypeError, match="unknown optimisation"):
        pyz3.set_optimizations(turbo=True)
    with pytest.raises(TypeError, match="takes a bool"):
        pyz3.set_optimizations(pool=1)


@pytest.mark.single_mode
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("pool", {"gil_cache": True, "fast_paths": True, "pool": False}),
        ("gil_cache,fast_paths", {"gil_cache": False, "fast_paths": False, "pool": True}),
        ("all", {"gil_cache": False, "fast_paths": False, "pool": False}),
    ],
)
def test_pyz3_disable_environment_variable(spec, expected):
    env = dict(os.environ, PYZ3_DISABLE=spec)
    code = "import json, pyz3; print(json.dumps(pyz3.optimizations()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == expected


@pytest.mark.single_mode
def test_unknown_pyz3_disable_names_warn():
    env = dict(os.environ, PYZ3_DISABLE="pool,turbo")
    code = "import pyz3; print(pyz3.optimizations()['pool'])"
    out = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], env=env, check=True, capture_output=True, text=True
    )
    assert out.stdout.strip() == "False"
    assert "unknown optimisations (turbo)" in out.stderr


def test_reference_counts_are_flat_over_100k_calls(hello):
    big = 2**40 + 12345
    text = "a string argument"
    data = b"some bytes"
    obj = object()
    before = [sys.getrefcount(x) for x in (big, text, data, obj, None, True, False)]
    results = []
    for _ in range(100_000):
        hello.echo_i64(big)
        hello.strlen(text)
        hello.echo_bytes(data)
        hello.echo_object(obj)
        hello.nothing()
        hello.echo_bool(True)
        hello.echo_bool(False)
        hello.add(1, 2)
        hello.greet(text)
    results.append(hello.echo_object(obj))
    del results
    after = [sys.getrefcount(x) for x in (big, text, data, obj, None, True, False)]
    if sys.version_info < (3, 12):
        assert after == before
    else:  # None/True/False are immortal on 3.12+: their counts are not meaningful.
        assert after[:4] == before[:4]


def test_error_paths_do_not_leak_references(hello):
    arg = "not an int"
    before = sys.getrefcount(arg)
    for _ in range(10_000):
        with contextlib.suppress(TypeError):
            hello.add(arg, 1)
        with contextlib.suppress(KeyError):
            hello.lookup(arg)
    assert sys.getrefcount(arg) == before


@pytest.mark.single_mode
def test_same_plugin_binary_under_every_installed_python():
    # One libhello.so, built once, loaded by each interpreter that has a _pyz3 build here.
    script = (
        "import sys, pyz3; h = pyz3.load(sys.argv[1]); "
        "print(h.add(2, 3), h.greet('wörld'), h.echo_u64(2**64 - 1), h.half(None))"
    )
    plugin = str(plugin_path("hello"))
    ran = []
    for minor, exe in installed_pythons().items():
        suffix = subprocess.run(
            [exe, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not (PACKAGE / f"_pyz3{suffix}").exists():
            continue
        env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
        out = subprocess.run([exe, "-c", script, plugin], env=env, capture_output=True, text=True)
        assert out.returncode == 0, f"Python {minor}: {out.stderr}"
        assert out.stdout.strip() == f"5 hello, wörld {2**64 - 1} None", f"Python {minor}"
        ran.append(minor)
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert this in ran or sysconfig.get_config_var("EXT_SUFFIX") is None
    # Every version the runtime was built for had an interpreter to load the same plugin.
    built = {m.group(1)[0] + "." + m.group(1)[1:] for m in map(_EXT_VERSION.match, os.listdir(PACKAGE)) if m}
    assert built <= set(ran), f"runtime builds without an interpreter found here: {sorted(built - set(ran))}"


@pytest.mark.single_mode
def test_demo_script_runs():
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
    out = subprocess.run(
        [sys.executable, str(ROOT / "plugins" / "demo.py"), str(PLUGINS)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "hello.add(2, 3) -> 5" in out.stdout


@pytest.mark.single_mode
def test_pool_is_reset_when_an_interpreter_finalises(tmp_path):
    # tests/c/reinit.c embeds Python, finalises it and starts a new interpreter three times,
    # loading and calling pool_bench in each (stale pooled objects fail it on CPython 3.10).
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    cfg = sysconfig.get_config_var
    if not cfg("Py_ENABLE_SHARED"):
        pytest.skip("this CPython has no shared libpython to embed")
    exe = tmp_path / "reinit"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    cmd = ["gcc", "-O1", f"-I{sysconfig.get_paths()['include']}", str(ROOT / "tests" / "c" / "reinit.c")]
    cmd += ["-o", str(exe), f"-L{cfg('LIBDIR')}", f"-lpython{version}", f"-Wl,-rpath,{cfg('LIBDIR')}"]
    cmd += (cfg("LIBS") or "").split()
    loader = elf_interpreter(os.path.realpath(sys.executable))
    if loader and loader != elf_interpreter(os.path.realpath("/bin/sh")):
        # An interpreter provisioned with its own libc (tests/pythons/provision.py): the program
        # runs on that libc too, its loader and an RPATH (which, unlike RUNPATH, also serves
        # libpython's own libraries) naming it; libpython's newer libc symbols are checked then.
        cmd += [f"-Wl,--dynamic-linker={loader}", "-Wl,--disable-new-dtags", "-Wl,--allow-shlib-undefined"]
    subprocess.run(cmd, check=True)
    env = dict(os.environ, PYTHONHOME=sys.base_prefix)
    out = subprocess.run(
        [str(exe), str(PACKAGE.parent), str(plugin_path("pool_bench")), "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == ["round ok 524785"] * 3


def test_a_plugin_built_for_the_previous_abi_minor_loads():
    # tests/plugins/abi_1_0.c is laid out with the ABI 1.0 structs (abi_minor 0, the 1.0 sizes of
    # pyz3_plugin, pyz3_function_def and pyz3_param): the runtime serves it, reading the fields
    # 1.1 appended as zero.
    from support import TEST_PLUGINS

    path = TEST_PLUGINS / "libabi_1_0.so"
    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `make test-plugins`")
    m = pyz3.load(path)
    assert m.__pyz3_abi__ == (1, 0)
    assert pyz3.abi_version[1] > 0
    assert m.add(2, 3) == 5
    assert m.add(2) == 12
    assert m.tag() == "built for 1.0"
    assert str(__import__("inspect").signature(m.add)) == "(a, b=10)"
    with pytest.raises(TypeError, match=r"^add\(\) argument 'a' must be int, not str$"):
        m.add("x")
