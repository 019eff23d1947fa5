"""tests/packaging/test_wheel.py: the pyz3 wheel round trip, as a user outside the repository meets it.

`make test-wheel` builds the one wheel (every CPython's runtime, loader/pep517/one_wheel.py) into
$PYZ3_WHEEL_DIR, the sdist and a wheel built from it into $PYZ3_SDIST_DIR, and runs this file. It
installs the wheel into a fresh virtualenv of every version in $PYZ3_PYTHONS with no compiler on
PATH and loads prebuilt C, Zig and Rust plugins there; then, in one virtualenv, works from a
directory outside the repository with an environment that points nowhere into it: compiles C and
Zig plugins against the installed header and library only (through pyz3.get_include and
get_library_dir, pkg-config and `pyz3-loader config`), loads them, runs the console script, the
pytest11 fixtures and a multiprocessing pool over a built module, and installs a plugin wheel whose
dependency on pyz3 is met by the built wheel.
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
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
CC = os.environ.get("CC", "cc")
PACKAGE_FILES = ["__init__.py", "__main__.py", "cli.py", "importhook.py", "pytest_plugin.py"]
PACKAGE_FILES += ["include/pyz3.h", "include/pyz3.zig", "include/pyz3_types.zig"]
PACKAGE_FILES += ["lib/libpyz3.so", "lib/pkgconfig/pyz3.pc"]
# "3.11=/path/to/python3.11 ...": every version the wheel must serve, and its interpreter.
PYTHONS = dict(item.split("=", 1) for item in os.environ.get("PYZ3_PYTHONS", "").split())
# Tools that compile or link: none may be reachable when pyz3 is installed from the wheel.
COMPILERS = ["cc", "gcc", "clang", "c++", "g++", "ld", "cargo", "rustc", "zig", "maturin"]


def _one(directory_var: str, pattern: str) -> pathlib.Path:
    directory = os.environ.get(directory_var)
    if not directory:
        pytest.fail(f"{directory_var} is not set: run these tests with `make test-wheel`")
    found = sorted(pathlib.Path(directory).glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0].resolve()


def _wheel() -> pathlib.Path:
    return _one("PYZ3_WHEEL_DIR", "pyz3-*.whl")


def _sdist_wheel() -> pathlib.Path:
    return _one("PYZ3_SDIST_DIR", "wheel/pyz3-*.whl")


def _pinned(requirement: str) -> str:
    for line in (ROOT / "tests" / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{requirement}=="):
            return line.strip()
    raise AssertionError(f"{requirement} is not pinned in tests/requirements.txt")


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYZ3_", "VIRTUAL_ENV"))}


class Env:
    """A fresh virtualenv with the wheel installed, used from a directory outside the repository."""

    def __init__(self, root: pathlib.Path, python: str = sys.executable) -> None:
        self.root = root
        self.venv = root / "venv"
        self.work = root / "work"
        self.work.mkdir()
        subprocess.run([python, "-m", "venv", str(self.venv)], check=True)
        self.python = str(self.venv / "bin" / "python")
        environ = _clean_environ()
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
    e.run(e.python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", _wheel())
    return e


def _wheel_tags(wheel: pathlib.Path) -> tuple[list[str], list[str], str]:
    """The python tags, abi tags and platform tag of a wheel file name."""
    _name, _version, python, abi, platform = wheel.name[: -len(".whl")].split("-")
    return python.split("."), abi.split("."), platform


def test_one_wheel_serves_every_version():
    assert PYTHONS, "PYZ3_PYTHONS is not set: run these tests with `make test-wheel`"
    pythons, abis, platform = _wheel_tags(_wheel())
    wanted = [f"cp{v.replace('.', '')}" for v in PYTHONS]
    assert pythons == wanted and abis == wanted, _wheel().name
    assert re.fullmatch(r"manylinux_2_\d+_x86_64", platform), platform
    with zipfile.ZipFile(_wheel()) as whl:
        names = set(whl.namelist())
        wheel_file = whl.read("pyz3-0.1.0.dist-info/WHEEL").decode()
        extensions = {n for n in names if re.fullmatch(r"pyz3/_pyz3\.cpython-3\d+-x86_64-linux-gnu\.so", n)}
        assert extensions == {f"pyz3/_pyz3.cpython-{tag[2:]}-x86_64-linux-gnu.so" for tag in wanted}
        # lib/libpyz3.so, what plugins link against, is one of the runtimes (any serves: a plugin
        # records only the soname libpyz3.so.1 and pyz3_* symbols).
        assert any(whl.read(n) == whl.read("pyz3/lib/libpyz3.so") for n in extensions)
    assert re.findall(r"^Tag: (.*)$", wheel_file, re.M) == [f"{t}-{t}-{platform}" for t in wanted]


def test_wheel_holds_package_runtime_headers_and_metadata():
    with zipfile.ZipFile(_wheel()) as whl:
        names = set(whl.namelist())
        for name in PACKAGE_FILES:
            assert f"pyz3/{name}" in names, name
        assert whl.read("pyz3/include/pyz3.h") == (ROOT / "include" / "pyz3.h").read_bytes()
        entry_points = whl.read("pyz3-0.1.0.dist-info/entry_points.txt").decode()
        record = whl.read("pyz3-0.1.0.dist-info/RECORD").decode()
        # Nothing of the development layout that a wheel cannot or should not hold.
        assert not any("__pycache__" in n or n.endswith("libpyz3.so.1") for n in names), names
    assert "pyz3-loader = pyz3.cli:main" in entry_points.replace("=", " = ").replace("  ", " ")
    assert re.search(r"\[pytest11\]\s+pyz3\s*=\s*pyz3\.pytest_plugin", entry_points)
    recorded = {line.split(",")[0] for line in record.splitlines()}
    assert names == recorded


def test_platform_tag_is_the_one_auditwheel_finds():
    # auditwheel (tests/requirements-packaging.txt) reads the glibc symbol versions and the
    # libraries the modules need, as PyPI's checks do.
    run = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "auditwheel"), "show", str(_wheel())],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    found = re.search(r'consistent with the following platform tag:\s*"([^"]+)"', run.stdout)
    assert found, run.stdout
    assert _wheel_tags(_wheel())[2] == found.group(1)


@pytest.mark.parametrize("version", sorted(PYTHONS) or ["none"])
def test_installs_with_no_compiler_and_loads_prebuilt_plugins(tmp_path, version):
    if version not in PYTHONS:
        pytest.fail("PYZ3_PYTHONS is not set: run these tests with `make test-wheel`")
    e = Env(tmp_path, PYTHONS[version])
    # Only the virtualenv on PATH: no compiler, linker or cargo is reachable during the install.
    e.environ["PATH"] = str(e.venv / "bin")
    assert not [t for t in COMPILERS if shutil.which(t, path=e.environ["PATH"])]
    e.run(e.python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", _wheel())
    plugins = [BUILD / "plugins" / f"libhello{suffix}.so" for suffix in ("", "_zig", "_rs")]
    out = e.py(
        "import json, sys, pyz3\n"
        f"mods = [pyz3.load(p) for p in {[str(p) for p in plugins]!r}]\n"
        "print(json.dumps([sys.version_info[:2], pyz3._pyz3.__file__, [m.add(2, 3) for m in mods]]))\n"
    )
    (major, minor), extension, sums = json.loads(out)
    assert f"{major}.{minor}" == version
    assert pathlib.Path(extension).name.startswith(f"_pyz3.cpython-{major}{minor}-")
    assert pathlib.Path(extension).is_relative_to(e.venv)
    assert sums == [5, 5, 5]


def test_pip_refuses_the_wheel_on_a_python_it_does_not_serve(tmp_path):
    # 3.9 is older than every runtime the wheel carries: pip must say so (and would fall back to
    # the sdist), not install a package that fails at import.
    candidates = sorted(pathlib.Path.home().glob(".pyenv/versions/3.9.*/bin/python3.9"))
    candidates.append(shutil.which("python3.9"))
    runs = [c for c in candidates if c and subprocess.run([c, "-c", ""], capture_output=True).returncode == 0]
    if not runs:
        pytest.skip("no Python 3.9 on this machine")
    python39 = runs[0]
    e = Env(tmp_path, str(python39))
    run = e.run(e.python, "-m", "pip", "install", "--no-index", "--no-deps", _wheel(), check=False)
    assert run.returncode != 0
    assert "is not a supported wheel on this platform" in run.stderr


def test_sdist_builds_a_working_wheel_from_source(tmp_path):
    # make sdist built this wheel from the sdist with maturin: the path of a platform that has no
    # binary wheel. It serves the Python that built it, and its metadata is the one wheel's.
    pythons, abis, _platform = _wheel_tags(_sdist_wheel())
    main = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert (pythons, abis) == ([main], [main])
    meta = {}
    for wheel in (_wheel(), _sdist_wheel()):
        with zipfile.ZipFile(wheel) as whl:
            names = ("METADATA", "entry_points.txt")
            meta[wheel] = [whl.read(f"pyz3-0.1.0.dist-info/{n}").decode() for n in names]
    assert meta[_wheel()] == meta[_sdist_wheel()]
    e = Env(tmp_path)
    e.run(e.python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", _sdist_wheel())
    out = e.py(f"import pyz3; print(pyz3.load({str(BUILD / 'plugins' / 'libhello.so')!r}).add(2, 3))")
    assert out.strip() == "5"


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


RUST_PLUGIN_MANIFEST = """[package]
name = "hello_rs"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
pyz3-plugin = {dependency}

[workspace]
"""


@pytest.mark.parametrize("how", ["path", "git"])
def test_rust_plugin_outside_the_repository_uses_the_sdk_crate(env, how):
    # The sample Rust plugin, copied out of the repository with a manifest of its own, depends on
    # the pyz3-plugin crate by path, or by git (a file:// URL to this repository: cargo finds the
    # crate, and pyz3-abi beside it, by name), and links the installed wheel's libpyz3.
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    if how == "git" and not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    crate = env.root / f"rust_{how}"
    shutil.copytree(ROOT / "plugins" / "rust" / "hello_rs" / "src", crate / "src")
    shutil.copy(ROOT / "plugins" / "rust" / "hello_rs" / "build.rs", crate / "build.rs")
    dependency = (
        f"{{ path = {str(ROOT / 'sdk' / 'rust')!r} }}" if how == "path" else f"{{ git = 'file://{ROOT}' }}"
    )
    (crate / "Cargo.toml").write_text(RUST_PLUGIN_MANIFEST.format(dependency=dependency))
    # The repository's lock pins the registry dependencies to the versions already fetched.
    shutil.copy(ROOT / "Cargo.lock", crate / "Cargo.lock")
    libdir = env.run("pyz3-loader", "config", "--libdir").stdout.strip()
    target = BUILD / "cargo" / "packaging-plugin"
    # --offline where it can be: cargo refuses even a file:// git checkout offline.
    offline = ["--offline"] if how == "path" else []
    env.run("cargo", "build", "--release", *offline, "--quiet", cwd=crate,
            CARGO_TARGET_DIR=str(target), PYZ3_LIB_DIR=libdir)  # fmt: skip
    lib = env.root / f"libhello_rs_{how}.so"
    shutil.copy(target / "release" / "libhello_rs.so", lib)
    out = env.py(
        f"import pyz3\nm = pyz3.load({str(lib)!r})\n"
        "print(m.add(2, 3), m.shout_stable('ok'), m.runtime_id() == pyz3._pyz3.runtime_id())"
    )
    assert out.split() == ["5", "OK", "True"]


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


def test_plugin_distributed_as_a_wheel(env, tmp_path):
    project = env.root / "plugin_wheel"
    shutil.copytree(ROOT / "tests" / "packaging" / "plugin_wheel", project)
    env.run("pyz3-loader", "build", BUILD / "plugins" / "libhello.so", "-o", "src", cwd=project)
    env.run(env.python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", "dist", ".", cwd=project)
    wheels = [p.name for p in (project / "dist").iterdir()]
    assert wheels == ["hello_pyz3-1.0.0-py3-none-linux_x86_64.whl"]
    # A clean virtualenv: its dependency on pyz3 is met by the pyz3 wheel (--find-links, as
    # docs/packaging.md says; --no-index so that nothing else could meet it).
    clean = Env(tmp_path)
    clean.run(clean.python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", _wheel().parent,
              project / "dist" / wheels[0])  # fmt: skip
    shutil.rmtree(project)
    out = clean.py(
        "import hello, os, pyz3, sysconfig\n"
        "site = sysconfig.get_path('purelib')\n"
        "print(hello.add(2, 3), os.path.dirname(hello.__file__) == os.path.join(site, 'hello'),"
        " os.path.dirname(pyz3.__file__) == os.path.join(site, 'pyz3'))"
    )
    assert out.split() == ["5", "True", "True"]
    listed = clean.run(clean.python, "-m", "pip", "list", "--format", "json").stdout
    assert {"name": "pyz3", "version": "0.1.0"} in json.loads(listed)


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
