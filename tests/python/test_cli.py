"""tests/python/test_cli.py: every pyz3-loader verb on good and bad plugins, its help and exit codes.

The command runs as ``python -m pyz3`` in a subprocess, as a user runs it (the console script
itself is tested by tests/packaging against the installed wheel).
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import subprocess
import sys

import pytest

import pyz3
from support import BUILD, TEST_PLUGINS, plugin_path, pyz3_loader

pytestmark = pytest.mark.single_mode

HELLO_SIGNATURES = {
    "add": "(a: int, b: int) -> int",
    "greet": "(name: str = 'world') -> str",
    "describe": "(n: int, label: str = 'n', verbose: bool = False, *, sep: str = ': ') -> str",
    "half": "(x: float | None) -> float | None",
    "nothing": "() -> None",
    "concat": "(a: bytes, b: bytes) -> bytes",
    "echo_bool": "(x: bool) -> bool",
    "echo_u64": "(x: int) -> int",
    "echo_object": "(x: object) -> Any",
}


def not_a_library(tmp_path):
    path = tmp_path / "libtext.so"
    path.write_text("not an ELF file\n")
    return path


def missing(tmp_path):
    return tmp_path / "libmissing.so"


def directory(tmp_path):
    path = tmp_path / "libdir.so"
    path.mkdir()
    return path


def bad_descriptor(tmp_path):
    return TEST_PLUGINS / "libbad_major_mismatch.so"


def bad_default(tmp_path):
    # Refused only when the module is built (the descriptor itself validates).
    return TEST_PLUGINS / "libbad_bad_default.so"


BAD_PLUGINS = {
    "missing": (missing, "no such file"),
    "directory": (directory, "is a directory"),
    "not_a_library": (not_a_library, "not a shared library"),
    "bad_descriptor": (bad_descriptor, "built for pyz3 ABI 2.0"),
    "bad_default": (bad_default, "not valid for a parameter of type int64"),
}


# ---- help and usage ---------------------------------------------------------------------------------


def test_help_names_every_verb_and_the_exit_codes():
    run = pyz3_loader("--help")
    assert run.returncode == 0, run.stderr
    for verb in ("inspect", "stubs", "build", "config"):
        assert verb in run.stdout
    assert "exit status" in run.stdout
    assert "pyz3.load" in run.stdout


@pytest.mark.parametrize("verb", ["inspect", "stubs", "build", "config"])
def test_each_verb_has_help(verb):
    run = pyz3_loader(verb, "--help")
    assert run.returncode == 0, run.stderr
    assert f"usage: pyz3-loader {verb}" in run.stdout


@pytest.mark.parametrize(
    "args",
    [(), ("frobnicate",), ("stubs", "libx.so"), ("build", "libx.so"), ("inspect",)],
    ids=["no-verb", "unknown-verb", "stubs-without-output", "build-without-output", "inspect-without-plugin"],
)
def test_wrong_usage_exits_2_with_usage(args):
    run = pyz3_loader(*args)
    assert run.returncode == 2
    assert "usage: pyz3-loader" in run.stderr
    assert run.stdout == ""


def test_version():
    run = pyz3_loader("--version")
    assert run.returncode == 0
    assert f"pyz3 {pyz3.__version__}" in run.stdout


def test_runs_as_python_m_pyz3_cli():
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    run = subprocess.run(
        [sys.executable, "-m", "pyz3.cli", "inspect", plugin_path("hello")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "add(a: int, b: int) -> int" in run.stdout


def test_a_bare_file_name_on_the_command_line_is_in_the_current_directory(tmp_path):
    # The examples above say `pyz3-loader inspect libhello.so`: an argument is a path, relative
    # to where the command runs (pyz3.load refuses bare names; the command line is explicit).
    shutil.copy(plugin_path("hello"), tmp_path / "libhello.so")
    run = pyz3_loader("inspect", "libhello.so", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"file      {tmp_path / 'libhello.so'}" in run.stdout
    run = pyz3_loader("inspect", "libnothing.so", cwd=tmp_path)
    assert run.returncode == 1
    assert "no such file" in run.stderr


# ---- bad plugins: every verb ------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BAD_PLUGINS))
@pytest.mark.parametrize("verb", ["inspect", "inspect --json", "stubs", "build"])
def test_bad_plugin_is_a_clear_error_with_exit_1(tmp_path, verb, case):
    make, reason = BAD_PLUGINS[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    args = [*verb.split(), path] + (["-o", out] if verb in ("stubs", "build") else [])
    run = pyz3_loader(*args)
    assert run.returncode == 1, run
    assert run.stdout == ""
    assert run.stderr.startswith("pyz3-loader: error: "), run.stderr
    assert path.name in run.stderr
    assert reason in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()


# ---- inspect ------------------------------------------------------------------------------------------


def test_inspect_shows_name_abi_doc_and_signatures():
    run = pyz3_loader("inspect", plugin_path("hello"))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["module", "hello"]
    assert f"ABI       {pyz3.abi_version[0]}.{pyz3.abi_version[1]}" in run.stdout
    assert "threads   not declared free-threaded" in run.stdout
    assert "The pyz3 sample C plugin" in run.stdout
    for name, signature in HELLO_SIGNATURES.items():
        assert f"  {name}{signature}" in lines
    assert "  raw_add(a: object, b: object) -> Any  [raw convention]" in lines
    assert "      Add two integers." in lines


def test_inspect_flags_and_non_literal_defaults():
    run = pyz3_loader("inspect", TEST_PLUGINS / "libstub_cases.so")
    assert run.returncode == 0, run.stderr
    assert "  twice(x: float) -> float  [releases the GIL]" in run.stdout
    assert "  clamp(x: float, limit: float = inf, /) -> float" in run.stdout
    assert "  tagged(n: int, *, tag: bytes = b'x') -> int" in run.stdout


def test_inspect_json_matches_the_loaded_module():
    run = pyz3_loader("inspect", "--json", plugin_path("hello"))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    hello = pyz3.load(plugin_path("hello"))
    assert data["name"] == "hello"
    assert data["doc"] == hello.__doc__
    assert tuple(data["abi"]) == hello.__pyz3_abi__
    assert tuple(data["runtime_abi"]) == pyz3.abi_version
    assert data["free_threaded"] is False
    assert data["path"] == str(plugin_path("hello").resolve())
    assert [f["name"] for f in data["functions"]] == hello.__all__
    by_name = {f["name"]: f for f in data["functions"]}
    for name, signature in HELLO_SIGNATURES.items():
        assert by_name[name]["signature"] == signature
    describe = by_name["describe"]
    assert [p["name"] for p in describe["params"]] == ["n", "label", "verbose", "sep"]
    assert describe["params"][3]["keyword_only"] is True
    assert describe["params"][1]["default"] == "'n'"
    assert by_name["half"]["return_optional"] is True
    assert by_name["raw_add"]["raw"] is True


# ---- stubs --------------------------------------------------------------------------------------------


def _stub_functions(stub: str) -> dict[str, inspect.Signature]:
    """The signatures the stub declares, annotations dropped (made by executing its defs)."""
    tree = ast.parse(stub)
    namespace: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                arg.annotation = None
            node.returns = None
            exec(compile(ast.Module([node], []), "<stub>", "exec"), namespace)
    return {name: inspect.signature(f) for name, f in namespace.items() if callable(f)}


@pytest.mark.parametrize("plugin", ["hello", "stub_cases"])
def test_stub_declares_exactly_the_runtime_signatures(tmp_path, plugin):
    path = plugin_path("hello") if plugin == "hello" else TEST_PLUGINS / "libstub_cases.so"
    run = pyz3_loader("stubs", path, "-o", tmp_path)
    assert run.returncode == 0, run.stderr
    stub_file = tmp_path / f"{plugin}.pyi"
    assert run.stdout.strip() == str(stub_file)
    declared = _stub_functions(stub_file.read_text())
    module = pyz3.load(path)
    assert sorted(declared) == sorted(module.__all__)
    for name in module.__all__:
        runtime = inspect.signature(getattr(module, name))
        stub = declared[name]
        assert [(p.name, p.kind) for p in stub.parameters.values()] == [
            (p.name, p.kind) for p in runtime.parameters.values()
        ], name
        for p in runtime.parameters.values():
            default = stub.parameters[p.name].default
            # `...` stands for a default no literal can spell (inf).
            assert default == p.default or (default is Ellipsis and p.default == float("inf")), name


def test_stub_qualifies_types_that_functions_shadow(tmp_path):
    run = pyz3_loader("stubs", TEST_PLUGINS / "libstub_cases.so", "-o", tmp_path)
    assert run.returncode == 0, run.stderr
    stub = (tmp_path / "stub_cases.pyi").read_text()
    assert "def int(s: str) -> _builtins.int:" in stub
    assert "def Any(x: object) -> _typing.Any:" in stub
    assert "def clamp(x: float, limit: float = ..., /) -> float:" in stub
    docs = [ast.get_docstring(n) for n in ast.parse(stub).body if isinstance(n, ast.FunctionDef)]
    assert 'Doc with """triple""" quotes, a \\ backslash, ending "quoted" ' in docs


def test_stubs_name_option_and_invalid_name(tmp_path):
    run = pyz3_loader("stubs", plugin_path("hello"), "-o", tmp_path, "--name", "greetings")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "greetings.pyi").exists()
    run = pyz3_loader("stubs", plugin_path("hello"), "-o", tmp_path, "--name", "not-valid")
    assert run.returncode == 1
    assert "'not-valid' is not a valid Python identifier" in run.stderr


def test_stubs_unwritable_output_is_exit_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    run = pyz3_loader("stubs", plugin_path("hello"), "-o", blocker / "sub")
    assert run.returncode == 1
    assert run.stderr.startswith("pyz3-loader: error: cannot write")


# ---- build --------------------------------------------------------------------------------------------


def _python_in(site, code: str) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` with only ``site`` and the pyz3 package importable, from an empty directory."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(BUILD / "python")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=site)


def test_build_makes_an_importable_typed_package(tmp_path):
    site = tmp_path / "site"
    run = pyz3_loader("build", plugin_path("hello"), "-o", site)
    assert run.returncode == 0, run.stderr
    package = site / "hello"
    assert run.stdout.strip() == str(package)
    assert sorted(p.name for p in package.iterdir()) == [
        "__init__.py",
        "__init__.pyi",
        "libhello.so",
        "py.typed",
    ]
    code = (
        "import hello, inspect\n"
        "print(hello.add(2, 3), hello.greet(), hello.__doc__)\n"
        "print(hello.add.__module__, inspect.signature(hello.describe), hello.__pyz3_abi__)\n"
        "print(hello.__file__)\n"
    )
    out = _python_in(site, code)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "5 hello, world The pyz3 sample C plugin: every type, defaults, keywords and errors."
    assert lines[1] == f"hello (n, label='n', verbose=False, *, sep=': ') {pyz3.abi_version}"
    assert lines[2] == str(package / "__init__.py")


def test_build_with_another_name(tmp_path):
    run = pyz3_loader("build", plugin_path("hello"), "-o", tmp_path, "--name", "hi")
    assert run.returncode == 0, run.stderr
    out = _python_in(tmp_path, "import hi; print(hi.add(1, 1), hi.add.__module__)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "hi"]


def test_build_again_updates_but_never_overwrites_foreign_code(tmp_path):
    assert pyz3_loader("build", plugin_path("hello"), "-o", tmp_path).returncode == 0
    run = pyz3_loader("build", plugin_path("hello"), "-o", tmp_path)
    assert run.returncode == 0, run.stderr
    mine = tmp_path / "mine"
    (mine / "hello").mkdir(parents=True)
    (mine / "hello" / "__init__.py").write_text("VALUE = 1\n")
    run = pyz3_loader("build", plugin_path("hello"), "-o", mine)
    assert run.returncode == 1
    assert "was not made by pyz3-loader build; not overwriting it" in run.stderr
    assert (mine / "hello" / "__init__.py").read_text() == "VALUE = 1\n"
    assert sorted(p.name for p in (mine / "hello").iterdir()) == ["__init__.py"]


def test_built_module_without_pyz3_says_what_is_missing(tmp_path):
    assert pyz3_loader("build", plugin_path("hello"), "-o", tmp_path).returncode == 0
    # -I: no PYTHONPATH, so pyz3 (which the tests import from build/python) is not importable.
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import hello"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "hello is a pyz3 plugin module and needs the pyz3 package" in run.stderr


# ---- config -------------------------------------------------------------------------------------------


def test_config_prints_flags_and_directories():
    run = pyz3_loader("config", "--cflags", "--libs")
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"-I{pyz3.get_include()} -L{pyz3.get_library_dir()} -lpyz3\n"
    run = pyz3_loader("config", "--pkgconfigdir")
    assert os.path.isfile(os.path.join(run.stdout.strip(), "pyz3.pc"))
    run = pyz3_loader("config")
    keys = [line.split()[0] for line in run.stdout.splitlines()]
    assert keys == ["cflags", "libs", "includedir", "libdir", "pkgconfigdir"]


def test_pkg_config_finds_the_development_layout():
    if shutil.which("pkg-config") is None:
        pytest.skip("pkg-config is not installed")
    env = dict(os.environ, PKG_CONFIG_PATH=pyz3.get_pkgconfig_dir())

    def pkg_config(*args: str) -> list[str]:
        run = subprocess.run(["pkg-config", *args, "pyz3"], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        return run.stdout.split()

    assert pkg_config("--modversion") == [pyz3.__version__]
    include = os.path.realpath(pyz3.get_include())
    libdir = os.path.realpath(pyz3.get_library_dir())
    assert [os.path.realpath(w[2:]) for w in pkg_config("--cflags")] == [include]
    libs = pkg_config("--libs")
    assert [os.path.realpath(w[2:]) for w in libs if w.startswith("-L")] == [libdir]
    assert "-lpyz3" in libs
