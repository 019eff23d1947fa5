"""tests/packaging/test_wheel.py: the pyz3 wheel round trip, as a user outside the repository meets it.

`make test-wheel` builds the wheel with pip (pyproject.toml, maturin) into $PYZ3_WHEEL_DIR and runs
this file. It installs the wheel into a fresh virtualenv, then works from a directory outside
the repository with an environment that points nowhere into it: compiles a C plugin against the
installed header and library only (through pyz3.get_include/get_library_dir, pkg-config and
`pyz3-loader config`), loads it, runs the console script, the pytest11 fixtures and a
multiprocessing pool over a built module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
CC = os.environ.get("CC", "cc")
PACKAGE_FILES = ["__init__.py", "__main__.py", "cli.py", "importhook.py", "pytest_plugin.py"]
PACKAGE_FILES += ["include/pyz3.h", "lib/libpyz3.so", "lib/pkgconfig/pyz3.pc"]


def _wheel() -> pathlib.Path:
    directory = os.environ.get("PYZ3_WHEEL_DIR")
    if not directory:
        pytest.fail("PYZ3_WHEEL_DIR is not set: run these tests with `make test-wheel`")
    wheels = sorted(pathlib.Path(directory).glob("pyz3-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {directory}, found {wheels}"
    return wheels[0].resolve()


def _pinned(requirement: str) -> str:
    for line in (ROOT / "tests" / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{requirement}=="):
            return line.strip()
    raise AssertionError(f"{requirement} is not pinned in tests/requirements.txt")


class Env:
    """A fresh virtualenv with the wheel installed, used from a directory outside the repository."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.work = root / "work"
        self.work.mkdir()
        self.python = str(self.venv / "bin" / "python")
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYZ3_", "VIRTUAL_ENV"))
        }
        environ["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
        environ.pop("PKG_CONFIG_PATH", None)
        self.environ = environ

    def run(
        self, *args: object, check: bool = True, cwd=None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            cwd=cwd or self.work,
            env={**self.environ, **env},
        )
        if check:
            assert run.returncode == 0, f"{args} failed:\n{run.stdout}\n{run.stderr}"
        return run

    def py(self, code: str, **kwargs) -> str:
        return self.run(self.python, "-c", code, **kwargs).stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    e = Env(tmp_path_factory.mktemp("roundtrip"))
    subprocess.run([sys.executable, "-m", "venv", str(e.venv)], check=True)
    e.run(e.python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", _wheel())
    return e


def test_wheel_holds_package_runtime_headers_and_metadata():
    with zipfile.ZipFile(_wheel()) as whl:
        names = set(whl.namelist())
        ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
        for name in (*PACKAGE_FILES, f"_pyz3{ext_suffix}"):
            assert f"pyz3/{name}" in names, name
        assert whl.read(f"pyz3/_pyz3{ext_suffix}") == whl.read("pyz3/lib/libpyz3.so")
        assert whl.read("pyz3/include/pyz3.h") == (ROOT / "include" / "pyz3.h").read_bytes()
        entry_points = whl.read("pyz3-0.1.0.dist-info/entry_points.txt").decode()
        record = whl.read("pyz3-0.1.0.dist-info/RECORD").decode()
    assert "pyz3-loader = pyz3.cli:main" in entry_points.replace("=", " = ").replace("  ", " ")
    assert re.search(r"\[pytest11\]\s+pyz3\s*=\s*pyz3\.pytest_plugin", entry_points)
    recorded = {line.split(",")[0] for line in record.splitlines()}
    assert names == recorded


def test_installed_package_lives_in_the_virtualenv(env):
    out = env.py(
        "import json, pyz3; print(json.dumps([pyz3.__file__, pyz3.get_include(), pyz3.get_library_dir(),"
        " pyz3.get_pkgconfig_dir(), pyz3.__version__]))"
    )
    package, include, libdir, pkgconfig, version = json.loads(out)
    site = pathlib.Path(package).parent.parent
    assert site.is_relative_to(env.venv), package
    for directory in (include, libdir, pkgconfig):
        assert pathlib.Path(directory).is_relative_to(site / "pyz3"), directory
    assert (pathlib.Path(include) / "pyz3.h").is_file()
    assert (pathlib.Path(libdir) / "libpyz3.so").is_file()
    assert version == "0.1.0"


def _flags(env: Env, how: str) -> list[str]:
    """Compiler and linker flags for a plugin, found the way a user would."""
    if how == "python-api":
        out = env.py("import pyz3; print(f'-I{pyz3.get_include()} -L{pyz3.get_library_dir()} -lpyz3')")
    elif how == "pkg-config":
        if shutil.which("pkg-config") is None:
            pytest.skip("pkg-config is not installed")
        pcdir = env.run("pyz3-loader", "config", "--pkgconfigdir").stdout.strip()
        out = env.run("pkg-config", "--cflags", "--libs", "pyz3", PKG_CONFIG_PATH=pcdir).stdout
    else:
        out = env.run("pyz3-loader", "config", "--cflags", "--libs").stdout
    flags = out.split()
    assert not any(str(ROOT) in f for f in flags), flags
    return flags


@pytest.mark.parametrize("how", ["python-api", "pkg-config", "pyz3-loader-config"])
def test_c_plugin_built_against_the_installed_wheel_loads(env, how):
    src = env.root / how
    src.mkdir()
    shutil.copy(ROOT / "plugins" / "c" / "hello" / "hello.c", src / "hello.c")
    flags = _flags(env, how)
    env.run(CC, "-std=c11", "-O2", "-fPIC", "-Wall", "-Wextra", "-Werror", "-shared", "hello.c", *flags,
            "-Wl,--no-undefined", "-o", "libhello.so", cwd=src)  # fmt: skip
    dynamic = env.run("readelf", "-d", src / "libhello.so").stdout if shutil.which("readelf") else ""
    if dynamic:
        assert "[libpyz3.so.1]" in dynamic
        assert "RPATH" not in dynamic and "RUNPATH" not in dynamic
    out = env.py(
        "import pyz3\n"
        f"m = pyz3.load({str(src / 'libhello.so')!r})\n"
        "print(m.add(2, 3), m.greet('wheel'), m.runtime_id() == pyz3._pyz3.runtime_id())\n"
    )
    assert out.strip().split(maxsplit=1) == ["5", "hello, wheel True"]


def test_zig_builds_a_plugin_against_the_installed_wheel(env):
    pytest.importorskip("ziglang", reason="ziglang is in tests/requirements-packaging.txt")
    src = env.root / "zig"
    src.mkdir()
    shutil.copy(ROOT / "plugins" / "c" / "hello" / "hello.c", src / "hello.c")
    cflags = env.run("pyz3-loader", "config", "--cflags").stdout.split()
    libs = env.run("pyz3-loader", "config", "--libs").stdout.split()
    env.run(sys.executable, "-m", "ziglang", "build-lib", "-dynamic", "-O", "ReleaseFast", "-lc",
            "-fno-each-lib-rpath", "-fno-soname", "--cache-dir", env.root / "zig-cache",
            "--global-cache-dir", env.root / "zig-global-cache", *cflags, "hello.c", "-cflags", "-std=c11",
            "--", *libs, "-femit-bin=libhello.so", cwd=src)  # fmt: skip
    out = env.py(
        f"import pyz3; m = pyz3.load({str(src / 'libhello.so')!r}); print(m.add(2, 3), m.greet('zig'))"
    )
    assert out.strip() == "5 hello, zig"


def test_cargo_and_cc_build_a_plugin_against_the_installed_wheel(env):
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    crate = env.root / "cargo_plugin"
    shutil.copytree(ROOT / "tests" / "packaging" / "cargo_plugin", crate)
    shutil.copy(ROOT / "plugins" / "c" / "hello" / "hello.c", crate / "src" / "hello.c")
    target = BUILD / "cargo" / "packaging-plugin"
    env.run("cargo", "build", "--release", "--locked", "--quiet", cwd=crate, CARGO_TARGET_DIR=str(target))
    lib = target / "release" / "libhello.so"
    out = env.py(
        f"import pyz3\nm = pyz3.load({str(lib)!r})\n"
        "print(m.add(2, 3), m.runtime_id() == pyz3._pyz3.runtime_id())"
    )
    assert out.split() == ["5", "True"]


def test_console_script_inspect_stubs_build_and_errors(env):
    plugin = env.root / "plugin"
    plugin.mkdir()
    shutil.copy(BUILD / "plugins" / "libhello.so", plugin)
    lib = plugin / "libhello.so"
    run = env.run("pyz3-loader", "--help")
    assert "inspect" in run.stdout and "exit status" in run.stdout
    assert "add(a: int, b: int) -> int" in env.run("pyz3-loader", "inspect", lib).stdout
    assert json.loads(env.run("pyz3-loader", "inspect", "--json", lib).stdout)["name"] == "hello"
    env.run("pyz3-loader", "stubs", lib, "-o", "typings")
    assert "def add(a: int, b: int) -> int:" in (env.work / "typings" / "hello.pyi").read_text()
    bad = env.run("pyz3-loader", "inspect", env.work / "libnothing.so", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("pyz3-loader: error: ")
    usage = env.run("pyz3-loader", "build", lib, check=False)
    assert usage.returncode == 2
    assert env.run(env.python, "-m", "pyz3", "inspect", lib).stdout.startswith("module    hello")


def test_built_module_imports_and_pickles_under_fork_and_spawn(env):
    shutil.copy(BUILD / "plugins" / "libhello.so", env.root / "libhello.so")
    env.run("pyz3-loader", "build", env.root / "libhello.so", "-o", "site")
    script = env.work / "pool.py"
    script.write_text(
        "import multiprocessing, sys\n"
        "sys.path.insert(0, 'site')\n"
        "def main():\n"
        "    import hello\n"
        "    for method in ('fork', 'spawn'):\n"
        "        with multiprocessing.get_context(method).Pool(2) as pool:\n"
        "            print(method, pool.map(hello.greet, ['a', 'b']), pool.starmap(hello.add, [(1, 2)]))\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    out = env.run(env.python, script).stdout.splitlines()
    assert out == ["fork ['hello, a', 'hello, b'] [3]", "spawn ['hello, a', 'hello, b'] [3]"]


def test_plugin_distributed_as_a_wheel(env):
    project = env.root / "plugin_wheel"
    shutil.copytree(ROOT / "tests" / "packaging" / "plugin_wheel", project)
    env.run("pyz3-loader", "build", BUILD / "plugins" / "libhello.so", "-o", "src", cwd=project)
    env.run(env.python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", "dist", ".", cwd=project)
    wheels = [p.name for p in (project / "dist").iterdir()]
    assert wheels == ["hello_pyz3-1.0.0-py3-none-linux_x86_64.whl"]
    # Its dependency on pyz3 is met by the pyz3 wheel (no index).
    env.run(env.python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", _wheel().parent,
            project / "dist" / wheels[0])  # fmt: skip
    try:
        shutil.rmtree(project)
        out = env.py(
            "import hello, os, pyz3, sysconfig\n"
            "print(hello.add(2, 3), os.path.dirname(hello.__file__) == os.path.join("
            "sysconfig.get_path('purelib'), 'hello'))"
        )
        assert out.split() == ["5", "True"]
    finally:
        env.run(env.python, "-m", "pip", "uninstall", "--quiet", "--yes", "hello-pyz3")


def test_import_hook_in_the_installed_package(env):
    plugins = env.root / "hook"
    plugins.mkdir()
    shutil.copy(BUILD / "plugins" / "libhello.so", plugins)
    out = env.py(
        f"import pyz3; pyz3.install_import_hook({str(plugins)!r}); import hello; print(hello.add(1, 2))"
    )
    assert out.strip() == "3"


def test_pytest_fixtures_come_from_the_entry_point(env):
    env.run(env.python, "-m", "pip", "install", "--quiet", _pinned("pytest"))
    spec = importlib.util.spec_from_file_location(
        "sample_runner", ROOT / "tests" / "sample_project" / "sample_runner.py"
    )
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    plugins = [BUILD / "plugins" / "libhello.so", BUILD / "test-plugins" / "libleaky.so"]
    # No -p option: the fixtures must come from the installed distribution's pytest11 entry point.
    runner.check(runner.run(env.python, env.root / "sample", plugins, env=env.environ))
