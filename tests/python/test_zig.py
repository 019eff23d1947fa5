"""tests/python/test_zig.py: the Zig SDK (sdk/zig/pyz3.zig) and the Zig sample plugins.

The sample plugins' own suites run against both builds (``plugin_variants``); this file checks
what is specific to Zig: each Zig plugin declares exactly what its C twin declares, pyz3.h as Zig
sees it, the SDK's conversions and error mapping (tests/zig/sdk_features.zig), and its compile
errors for types it cannot convert (tests/zig/compile_fail/*.zig).
"""

from __future__ import annotations

import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading

import pytest

import pyz3
from pyz3 import _pyz3
from support import BUILD, PLUGINS, ROOT, TEST_PLUGINS

SAMPLES = ["hello", "gil_bench", "fastpath_bench", "pool_bench", "containers"]
COMPILE_FAIL = sorted((ROOT / "tests" / "zig" / "compile_fail").glob("*.zig"))
ZIG_HEADER = BUILD / "zig" / "pyz3_h.zig"


def _built(path: pathlib.Path) -> pathlib.Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `make plugins`")
    return path


@pytest.fixture(scope="module")
def features():
    return pyz3.load(_built(TEST_PLUGINS / "libzig_features.so"))


# ---- the sample plugins: same declarations as the C ones ------------------------------------------


@pytest.mark.single_mode
@pytest.mark.parametrize("name", SAMPLES)
def test_zig_plugin_declares_what_the_c_plugin_declares(name):
    c_side = _pyz3.describe(str(_built(PLUGINS / f"lib{name}.so")))
    zig_side = _pyz3.describe(str(_built(PLUGINS / f"lib{name}_zig.so")))
    assert zig_side["name"] == f"{name}_zig"
    assert zig_side["abi"] == c_side["abi"]
    by_name = {f["name"]: f for f in zig_side["functions"]}
    assert sorted(by_name) == sorted(f["name"] for f in c_side["functions"])
    for f in c_side["functions"]:
        assert by_name[f["name"]] == f, f["name"]
    assert zig_side["constants"] == c_side["constants"]
    assert zig_side["exceptions"] == c_side["exceptions"]


@pytest.mark.single_mode
@pytest.mark.parametrize("name", SAMPLES)
def test_zig_plugin_exports_only_its_entry_and_uses_no_python_symbol(name):
    if shutil.which("nm") is None:
        pytest.skip("nm is not installed")
    lib = str(_built(PLUGINS / f"lib{name}_zig.so"))

    def nm(*flags: str) -> list[str]:
        out = subprocess.run(["nm", "-D", *flags, lib], check=True, capture_output=True, text=True)
        return [line.split()[-1].split("@")[0] for line in out.stdout.splitlines() if line.strip()]

    assert nm("--defined-only") == ["pyz3_plugin_entry"]
    undefined = nm("--undefined-only")
    assert [s for s in undefined if s.startswith(("Py", "_Py"))] == []
    assert "pyz3_raise_len" in undefined or "pyz3_raise" in undefined


def test_hello_zig_answers_like_hello():
    c = pyz3.load(_built(PLUGINS / "libhello.so"))
    z = pyz3.load(_built(PLUGINS / "libhello_zig.so"))

    def outcome(module, fn, *args, **kwargs):
        try:
            return ("ok", getattr(module, fn)(*args, **kwargs))
        except Exception as exc:  # the exception is the answer being compared
            return (type(exc), str(exc))

    calls = [
        ("add", (2**63 - 1, 1), {}),
        ("mul", (-(2**32), 2**31), {}),
        ("greet", (), {}),
        ("greet", ("wörld",), {}),
        ("concat", (b"a\0", b"b"), {}),
        ("describe", (-3,), {"verbose": True, "sep": " = "}),
        ("describe", (1, "x" * 252), {}),
        ("describe", (1, "x" * 253), {}),
        ("half", (None,), {}),
        ("fail", (99, "no such kind"), {}),
        ("fail", (1, "cut\0here"), {}),
        ("fail", (4, "é" * 300), {}),
        ("lookup", ("four",), {}),
        ("divide", (1.0, 0.0), {}),
        ("raw_add", (2**63 - 1, 1), {}),
        ("raw_add", ("1", 1), {}),
        ("echo_u64", (2**64,), {}),
        ("echo_f32", (3.4e38,), {}),
    ]
    for fn, args, kwargs in calls:
        assert outcome(z, fn, *args, **kwargs) == outcome(c, fn, *args, **kwargs), (fn, args)


# ---- pyz3.h from Zig --------------------------------------------------------------------------------


@pytest.mark.single_mode
def test_zig_sees_the_header_layouts_the_runtime_has():
    # tests/zig/layout.zig imports the translated pyz3.h and prints sizeof/offsetof as Zig sees
    # them; the runtime reports the Rust side.
    text = _built(BUILD / "zig" / "layout.txt").read_text()
    zig_side = {k: int(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines())}
    assert zig_side == dict(_pyz3.build_info()["layout"])


# ---- the SDK ----------------------------------------------------------------------------------------


def test_without_meta_parameters_are_positional_names_and_no_doc(features):
    assert str(inspect.signature(features.unnamed)) == "(arg0, arg1)"
    assert features.unnamed.__doc__ is None
    assert features.unnamed(3, 4) == 12
    assert features.unnamed(arg1=4, arg0=-3) == -12
    with pytest.raises(OverflowError):
        features.unnamed(0, 2**16)


def test_meta_sets_name_doc_defaults_keyword_only_and_positional_only(features):
    assert features.repeat.__doc__ == "text * times."
    assert not hasattr(features, "zig_name")
    assert str(inspect.signature(features.py_name)) == "(a, b, /)"
    assert features.py_name(5, 3) == 2
    with pytest.raises(TypeError):
        features.py_name(a=5, b=3)
    assert str(inspect.signature(features.kw)) == "(a, *, b='x, y', c=1.5)"
    with pytest.raises(ValueError, match=r"^1\|x, y\|1\.5$"):
        features.kw(1)
    with pytest.raises(TypeError):
        features.kw(1, "q")


@pytest.mark.parametrize(
    ("which", "exc", "message"),
    [
        ("not_found", KeyError, "'NotFound'"),
        ("bad_input", ValueError, "BadInput"),
        ("oom", MemoryError, "OutOfMemory"),
        ("other", RuntimeError, "SomethingElse"),
        ("fmt", IndexError, "index 7 of list"),
    ],
)
def test_zig_errors_become_python_exceptions(features, which, exc, message):
    with pytest.raises(exc) as info:
        features.fail_with(which)
    assert type(info.value) is exc
    assert str(info.value) == message


def test_no_error_returns_none(features):
    assert features.fail_with("nothing") is None


@pytest.mark.parametrize(
    ("fn", "value"),
    [("maybe_int", -7), ("maybe_str", "é\0x"), ("maybe_bytes", b"\0\xff"), ("maybe_bool", False)],
)
def test_optionals_map_to_none(features, fn, value):
    f = getattr(features, fn)
    assert f(value) == value
    assert f(None) is None


def test_optional_default_none(features):
    assert features.maybe_int() is None


def test_platform_integers_and_f32(features):
    assert features.platform_ints(2**64 - 1, 0) == -1
    assert features.platform_ints(10, -(2**31)) == 10 + 2**31
    with pytest.raises(OverflowError):
        features.platform_ints(10, 2**31)
    with pytest.raises(OverflowError):
        features.platform_ints(-1, 0)
    assert features.f32_sum(0.5, 0.25) == 0.75


def test_arena_and_allocator(features):
    assert features.repeat("ab", 3) == "ababab"
    assert features.repeat("", 0) == ""
    assert features.repeat("é", 1000) == "é" * 1000
    with pytest.raises(MemoryError, match="OutOfMemory"):
        features.huge()
    assert features.grow_aligned(4) is True
    assert features.grow_aligned(100_000) is True


def test_release_gil_function_returns_a_str(features):
    # The function runs without the GIL; the trampoline makes its str under a GIL scope.
    assert features.released_text(5) == "5 held=false"
    results = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(features.released_text(i))) for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(f"{i} held=false" for i in range(8))


def test_gil_scope_on_a_native_thread_builds_python_objects(features):
    assert features.list_from_thread(5) == [0, 1, 2, 3, 4]
    assert features.list_from_thread(0) == []


# ---- what the SDK refuses at compile time ---------------------------------------------------------


def _zig_compile(source: pathlib.Path) -> subprocess.CompletedProcess:
    if not ZIG_HEADER.exists():
        pytest.fail(f"{ZIG_HEADER} is missing: build it with `make plugins`")
    module = source.stem
    cmd = [
        sys.executable, "-m", "ziglang", "build-obj", "-fno-emit-bin",
        "--cache-dir", str(BUILD / "zig" / "cache"),
        "--dep", "pyz3", f"-M{module}={source}",
        "--dep", "pyz3_h", f"-Mpyz3={ROOT / 'sdk' / 'zig' / 'pyz3.zig'}",
        f"-Mpyz3_h={ZIG_HEADER}",
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.mark.single_mode
def test_the_compile_check_accepts_a_valid_plugin():
    # The control for the cases below: the same command compiles a plugin using every feature.
    out = _zig_compile(ROOT / "tests" / "zig" / "sdk_features.zig")
    assert out.returncode == 0, out.stderr


@pytest.mark.single_mode
@pytest.mark.parametrize("source", COMPILE_FAIL, ids=[p.stem for p in COMPILE_FAIL])
def test_unsupported_declarations_are_compile_errors(source):
    expected = re.search(r"^// expect: (.+)$", source.read_text(), re.M)
    assert expected, f"{source.name} has no '// expect: ' line"
    out = _zig_compile(source)
    assert out.returncode != 0
    assert f"error: {expected.group(1)}" in out.stderr, out.stderr


# ---- docs/zig.md ------------------------------------------------------------------------------------


def _doc_block(lang: str, after: str) -> str:
    text = (ROOT / "docs" / "zig.md").read_text()
    match = re.search(re.escape(after) + r".*?```" + lang + r"\n(.*?)```", text, re.S)
    assert match, f"no {lang} block after {after!r} in docs/zig.md"
    return match.group(1)


@pytest.mark.single_mode
def _assert_release_without_runpath(lib: pathlib.Path) -> None:
    """What docs/zig.md promises of its builds: no RUNPATH into the build machine's site-packages,
    and a release build (Zig's safety checks, in Debug and ReleaseSafe builds, carry their panic
    messages: "integer overflow" is one)."""
    import shutil

    if shutil.which("readelf"):
        dynamic = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True).stdout
        assert "NEEDED" in dynamic and "RPATH" not in dynamic and "RUNPATH" not in dynamic, dynamic
    assert b"integer overflow" not in lib.read_bytes()


def test_quick_start_builds_and_behaves_as_documented(tmp_path):
    (tmp_path / "myplugin.zig").write_text(_doc_block("zig", "`myplugin.zig`:"))
    script = _doc_block("sh", "Build it with the Zig from PyPI")
    # `python` in the script is this interpreter, whose venv has ziglang, importing this pyz3.
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyz3.__file__).parents[1]))
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    out = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    _assert_release_without_runpath(tmp_path / "libmyplugin.so")
    m = pyz3.load(tmp_path / "libmyplugin.so")
    assert m.__doc__ == "My first Zig plugin."
    assert (m.add(2), m.greet(), m.half(None)) == (3, "hello, world!", None)
    assert m.half(3.0) == 1.5
    assert str(inspect.signature(m.add)) == "(a, b=1)"
    assert m.add.__doc__ == "Add two integers."
    with pytest.raises(OverflowError, match="^Overflow$"):
        m.add(2**63 - 1, 1)


def test_every_exception_kind_is_in_the_sdk(features):
    # pyz3.Exc is generated from the runtime's registry: each kind raises its own class.
    import builtins

    for _kind, _macro, cls, snake in pyz3._pyz3.exception_kinds():
        with pytest.raises(getattr(builtins, cls)) as info:
            features.raise_named(snake, "boom")
        assert type(info.value) is getattr(builtins, cls), snake
