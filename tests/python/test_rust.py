"""tests/python/test_rust.py: the Rust plugin SDK (include/rust) through plugins/rust/hello_rs."""

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
    "bool": "bool",
    "double": "f64",
    "float": "f32",
    "char": "c_char",
    "void": "c_void",
    "PyObject": "PyObject",
    "struct pyz3_gil": "pyz3_gil",
    "struct pyz3_nogil": "pyz3_nogil",
    "struct pyz3_str": "pyz3_str",
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
    rust = (ROOT / "include" / "rust" / "src" / "sys.rs").read_text()
    declared = re.findall(r"pub fn (pyz3_\w+)\((.*?)\)(?: -> (.*?))?;", rust, re.S)
    assert declared
    for name, params, ret in declared:
        args = [a.split(":", 1)[1].strip() for a in params.split(",") if a.strip()]
        assert name in c_protos, f"{name} is not in pyz3.h"
        assert (args, ret.strip() or "()") == c_protos[name], name
