"""tests/python/test_rust.py: the Rust plugin SDK (sdk/rust) through plugins/rust/hello_rs."""

from __future__ import annotations

import inspect
import re

import pytest

import pyz3
from pyz3 import _pyz3
from support import ROOT, plugin_path


@pytest.fixture(scope="module")
def hello_rs():
    return pyz3.load(plugin_path("hello_rs"))


def test_functions_behave_like_the_c_plugin(hello_rs):
    assert hello_rs.add(2, 3) == 5
    assert hello_rs.greet() == "hello, world"
    assert hello_rs.greet("wörld") == "hello, wörld"
    assert hello_rs.scale(3.0) == 6.0
    assert hello_rs.scale(3.0, factor=0.5) == 1.5
    assert hello_rs.strlen("日本") == 6
    assert hello_rs.concat(b"ab", b"\x00c") == b"ab\x00c"
    assert hello_rs.nothing() is None
    obj = object()
    assert hello_rs.echo_object(obj) is obj


def test_signatures_and_docs_come_from_the_rust_source(hello_rs):
    assert str(inspect.signature(hello_rs.add)) == "(a, b)"
    assert str(inspect.signature(hello_rs.greet)) == "(name='world')"
    assert str(inspect.signature(hello_rs.scale)) == "(x, factor=2.0)"
    assert hello_rs.greet.__doc__ == "Greet someone by name."
    assert hello_rs.__doc__.startswith("The pyz3 sample Rust plugin")


def test_types_at_their_limits(hello_rs):
    assert hello_rs.echo_i8(-128) == -128
    assert hello_rs.echo_u16(65535) == 65535
    assert hello_rs.echo_i32(-(2**31)) == -(2**31)
    assert hello_rs.echo_u64(2**64 - 1) == 2**64 - 1
    assert hello_rs.echo_f32(1.5) == 1.5
    assert hello_rs.echo_bool(False) is False
    with pytest.raises(OverflowError, match=r"echo_i8\(\) argument 'x' out of range for int8"):
        hello_rs.echo_i8(128)
    with pytest.raises(TypeError, match=r"echo_bool\(\) argument 'x' must be bool, not int"):
        hello_rs.echo_bool(1)


@pytest.mark.single_mode
def test_a_plugin_built_with_a_mismatched_sdk_is_refused_naming_the_field():
    # tests/rust/mismatched_sdk: its SDK retypes pyz3_function_def.ret_reserved (u8 -> i8, same
    # size and offset). Only the abi_stable layout it exports can tell; the loader checks it
    # before it reads the descriptor.
    from support import TEST_PLUGINS

    path = TEST_PLUGINS / "libmismatched_sdk.so"
    with pytest.raises(pyz3.PluginLoadError) as info:
        pyz3.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "pyz3_function_def.ret_reserved: type u8 here, i8 in the plugin" in message
    assert "rebuild the plugin with the pyz3-plugin crate of this pyz3 (ABI 1.1)" in message


@pytest.mark.single_mode
def test_sample_rust_plugin_exports_its_layout():
    # What the check above relies on: the plugin! macro exports the record as a data symbol.
    import subprocess

    symbols = subprocess.run(["nm", "-D", str(plugin_path("hello_rs"))], capture_output=True, text=True)
    if symbols.returncode != 0:
        pytest.skip("nm (binutils) is not installed")
    assert re.search(r" [DR] pyz3_plugin_layout$", symbols.stdout, re.M), symbols.stdout


@pytest.mark.single_mode
def test_the_sdk_crates_build_outside_the_workspace():
    # Nothing in sdk/rust inherits from the repository's workspace (a copy or a path dependency
    # must build alone), and pyz3-plugin's version follows the workspace's.
    def field(manifest, name):  # the first `name = "..."` line (tomllib is 3.11+)
        return re.search(rf'^{name} = "([^"]*)"$', manifest, re.M).group(1)

    workspace = (ROOT / "Cargo.toml").read_text()
    for manifest in (ROOT / "sdk" / "rust" / "Cargo.toml", ROOT / "sdk" / "rust" / "abi" / "Cargo.toml"):
        assert "workspace = true" not in manifest.read_text() and ".workspace" not in manifest.read_text()
    sdk = (ROOT / "sdk" / "rust" / "Cargo.toml").read_text()
    assert field(sdk, "version") == field(workspace, "version")
    assert field(sdk, "rust-version") == field(workspace, "rust-version")


def test_keyword_only_and_positional_only_parameters(hello_rs):
    assert str(inspect.signature(hello_rs.describe)) == "(n, label='n', *, sep=': ')"
    assert hello_rs.describe(3, "x", sep="=") == "x=3"
    with pytest.raises(TypeError):
        hello_rs.describe(3, "x", "=")
    assert str(inspect.signature(hello_rs.sub)) == "(a, b, /)"
    assert hello_rs.sub(5, 3) == 2
    with pytest.raises(TypeError):
        hello_rs.sub(a=5, b=3)


def test_abi_stable_types_convert_as_their_std_counterparts(hello_rs):
    assert hello_rs.shout_stable("héllo") == "HÉLLO"
    assert hello_rs.reverse_stable(b"abc") == b"cba"
    assert hello_rs.reverse_stable(None) is None
    assert str(inspect.signature(hello_rs.reverse_stable)) == "(data)"
    with pytest.raises(TypeError, match=r"shout_stable\(\) argument 'text' must be str, not bytes"):
        hello_rs.shout_stable(b"x")


def test_rust_tuples_are_python_tuples(hello_rs):
    assert hello_rs.divmod_rs(17, 5) == (3, 2)
    assert hello_rs.divmod_rs(-7, 2) == (-4, 1)
    assert type(hello_rs.divmod_rs(1, 1)) is tuple
    assert hello_rs.as_items(3) == (3, 1.5, True, "3", b"\x03")
    assert hello_rs.as_items(-2) == (-2, -1.0, False, "-2", b"\xfe")
    with pytest.raises(ZeroDivisionError, match=r"^divmod_rs: division by zero$"):
        hello_rs.divmod_rs(1, 0)


def test_option_maps_to_none(hello_rs):
    assert hello_rs.half(3.0) == 1.5
    assert hello_rs.half(None) is None


def test_errors_and_panics_become_exceptions(hello_rs):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        hello_rs.divide(1.0, 0.0)
    with pytest.raises(KeyError) as info:
        hello_rs.lookup("four")
    assert info.value.args == ("four",)
    with pytest.raises(OverflowError, match="does not fit in int64"):
        hello_rs.add(2**62, 2**62)
    with pytest.raises(RuntimeError, match=r"^explode\(\) panicked: kaboom$"):
        hello_rs.explode("kaboom")
    assert hello_rs.add(1, 1) == 2  # the interpreter survives a panic


@pytest.mark.single_mode
def test_a_handled_panic_prints_nothing_even_with_rust_backtrace():
    # RuntimeError is the whole report: no "panicked at" line, no backtrace on the user's terminal.
    # A panic outside any plugin function (a thread the plugin starts) is still reported, with its
    # backtrace, by the hook that was there before.
    import os
    import subprocess
    import sys

    code = (
        "import pyz3\n"
        f"m = pyz3.load({str(plugin_path('hello_rs'))!r})\n"
        "try:\n"
        "    m.explode('kaboom')\n"
        "except RuntimeError as e:\n"
        "    print(e, flush=True)\n"
        "import sys; sys.stderr.write('--\\n'); sys.stderr.flush()\n"
        "print(m.panic_in_thread('thread boom'))\n"
    )
    env = dict(os.environ, RUST_BACKTRACE="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["explode() panicked: kaboom", "True"]
    handled, unhandled = out.stderr.split("--\n")
    assert handled == ""
    assert "panicked at" in unhandled and "thread boom" in unhandled, unhandled
    assert "stack backtrace" in unhandled, unhandled


def test_allocation_and_gil_helpers(hello_rs):
    assert hello_rs.allocate_released(1000) == 256_000
    # held in the call; released inside without_gil; held again inside a Gil scope there
    assert hello_rs.gil_states() == "true false true"


@pytest.mark.single_mode
def test_one_runtime(hello_rs):
    assert hello_rs.runtime_id() == _pyz3.runtime_id()


_C_BASE = {
    **{f"int{n}_t": f"i{n}" for n in (8, 16, 32, 64)},
    **{f"uint{n}_t": f"u{n}" for n in (8, 16, 32, 64)},
    "size_t": "usize",
    "ptrdiff_t": "isize",
    "bool": "bool",
    "double": "f64",
    "float": "f32",
    "char": "c_char",
    "void": "c_void",
    "PyObject": "PyObject",
    "struct pyz3_gil": "pyz3_gil",
    "struct pyz3_nogil": "pyz3_nogil",
    "struct pyz3_str": "pyz3_str",
    "union pyz3_value": "pyz3_value",
    "struct pyz3_out": "pyz3_out",
    "struct pyz3_dict": "pyz3_dict",
    "struct pyz3_module": "pyz3_module",
    "pyz3_iter_next_fn": "pyz3_iter_next_fn",
    "pyz3_iter_drop_fn": "pyz3_iter_drop_fn",
    "struct pyz3_buffer": "pyz3_buffer",
}


def _rust_type(c: str) -> str:
    """`const char *` -> `*const c_char`, `PyObject *const *` -> `*const *mut PyObject`, ..."""
    c = c.strip()
    if c == "void":
        return "()"
    if c.endswith("*"):
        inner = c[:-1].strip()
        if inner.endswith("const"):  # `T *const *`: a pointer to const pointers
            return "*const " + _rust_type(inner[: -len("const")].strip())
        if inner.startswith("const "):
            return "*const " + _C_BASE[inner[len("const ") :].strip()]
        return "*mut " + (_C_BASE[inner] if not inner.endswith("*") else _rust_type(inner))
    return _C_BASE[c]


@pytest.mark.single_mode
def test_rust_declarations_match_the_header():
    header = (ROOT / "include" / "pyz3.h").read_text().split("#ifndef PYZ3_H_MACROS")[0]
    c_protos = {}
    for ret, name, params in re.findall(r"^([\w ]+?\s?\*?)\s*(pyz3_\w+)\((.*?)\);", header, re.M | re.S):
        args = []
        for p in (p.strip() for p in params.split(",")):
            if p in ("void", ""):
                continue
            args.append(_rust_type(re.sub(r"\s*\w+$", "", p)))
        c_protos[name] = (args, _rust_type(ret))
    rust = (ROOT / "sdk" / "rust" / "src" / "sys.rs").read_text()
    declared = re.findall(r"pub fn (pyz3_\w+)\((.*?)\)(?: -> (.*?))?;", rust, re.S)
    assert declared
    for name, params, ret in declared:
        args = [a.split(":", 1)[1].strip() for a in params.split(",") if a.strip()]
        assert name in c_protos, f"{name} is not in pyz3.h"
        assert (args, ret.strip() or "()") == c_protos[name], name
    # sys.rs is generated from the same exports as the header: nothing is left out.
    assert sorted(name for name, _, _ in declared) == sorted(c_protos)


def test_every_exception_kind_has_a_constructor(hello_rs):
    # The constructors are generated from the runtime's registry: all of its kinds, each raising
    # its own class (the SDK once offered 8 of the 14).
    import builtins

    kinds = _pyz3.exception_kinds()
    assert len(kinds) == 14
    for _kind, _macro, cls, snake in kinds:
        with pytest.raises(getattr(builtins, cls)) as info:
            hello_rs.raise_named(snake, "boom")
        assert type(info.value) is getattr(builtins, cls), snake


@pytest.mark.single_mode
def test_release_gil_results_are_made_with_the_gil():
    # Under -X dev CPython checks that its allocator is called with the GIL held; a str result of
    # a #[release_gil] function used to be made without it (a fatal error here).
    import subprocess
    import sys

    code = (
        "import pyz3, sys\n"
        f"m = pyz3.load({str(plugin_path('hello_rs'))!r})\n"
        "for _ in range(100):\n"
        "    assert m.greet_released('x' * 40) == 'hello, ' + 'x' * 40\n"
        "print('ok')\n"
    )
    cmd = [sys.executable, "-X", "dev", "-c", code]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


COMPILE_FAIL = sorted((ROOT / "tests" / "rust" / "compile_fail").glob("*.rs"))


def _compile_plugin(tmp_path, source: str):
    """`cargo check` of a cdylib crate whose lib.rs is `source`, against sdk/rust by path."""
    import os
    import shutil
    import subprocess

    from support import BUILD

    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "sdk_check"\nversion = "0.0.0"\nedition = "2021"\n\n'
        '[lib]\ncrate-type = ["cdylib"]\n\n'
        f"[dependencies]\npyz3-plugin = {{ path = {str(ROOT / 'sdk' / 'rust')!r} }}\n\n[workspace]\n"
    )
    (crate / "src" / "lib.rs").write_text(source)
    env = dict(os.environ, CARGO_TARGET_DIR=str(BUILD / "cargo" / "sdk-check"))
    cmd = ["cargo", "check", "--offline", "--quiet", "--manifest-path", str(crate / "Cargo.toml")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.single_mode
def test_the_compile_check_accepts_valid_defaults_and_names(tmp_path):
    # The control for the cases below: the same crate setup compiles.
    out = _compile_plugin(tmp_path, (ROOT / "tests" / "rust" / "compile_pass.rs").read_text())
    assert out.returncode == 0, out.stderr


@pytest.mark.single_mode
@pytest.mark.parametrize("source", COMPILE_FAIL, ids=[p.stem for p in COMPILE_FAIL])
def test_the_sdk_refuses_at_compile_time_what_the_loader_would_refuse(tmp_path, source):
    expected = re.search(r"^// expect: (.+)$", source.read_text(), re.M)
    assert expected, f"{source.name} has no '// expect: ' line"
    out = _compile_plugin(tmp_path, source.read_text())
    assert out.returncode != 0
    assert expected.group(1) in out.stderr, out.stderr
