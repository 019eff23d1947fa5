"""tests/python/test_registry.py: the runtime's type registry is the one table, and every mirror of
it that is still written by hand (the header's numbers, the tests' tables, the sample plugins'
coverage, describe()'s annotations) agrees with it, code by code."""

from __future__ import annotations

import re

import pytest

import pyz3
from pyz3 import _pyz3
from support import PLUGINS, ROOT, plugin_path, plugin_variants

pytestmark = pytest.mark.single_mode

REGISTRY = _pyz3.type_registry()


def test_codes_are_unique_in_order_and_named():
    codes = [t["code"] for t in REGISTRY]
    assert codes == sorted(set(codes))
    for t in REGISTRY:
        assert t["macro"].startswith("PYZ3_T_"), t
        assert t["param"] or t["result"], t
        assert bool(t["arg_member"]) == t["param"], t


def test_the_header_defines_every_code_and_exception_kind():
    header = (ROOT / "include" / "pyz3.h").read_text()
    defines = {m[0]: int(m[1]) for m in re.findall(r"^#define (PYZ3_(?:T|EXC)_\w+) (-?\d+)$", header, re.M)}
    for t in REGISTRY:
        assert defines[t["macro"]] == t["code"], t["macro"]
    assert defines["PYZ3_T_COUNT"] == REGISTRY[-1]["code"] + 1
    kinds = _pyz3.exception_kinds()
    for kind, macro, _cls, _snake in kinds:
        assert defines[macro] == kind, macro
    assert defines["PYZ3_EXC_COUNT"] == len(kinds)


def test_the_test_tables_cover_every_code():
    # tests/python/test_types.py and test_fuzz_calls.py name the types their own way; each
    # numeric type of the registry is there with the registry's range.
    from test_fuzz_calls import KINDS
    from test_types import INT_LIMITS

    ints = {t["arg_member"]: tuple(t["range"]) for t in REGISTRY if t["kind"] == "int"}
    assert ints == INT_LIMITS
    spelled = {"int": None, "float": None, "bool": "bool", "str": "str", "bytes": "bytes"}
    expected = set()
    for t in REGISTRY:
        if (
            not t["param"]
            or t["kind"] in ("object", "buffer", "callable", "instance")
            or t["needs"] != "none"
        ):
            # Objects are passed through, not converted; buffers have their own element table
            # (test_buffers.py, test_every_element_type_is_tested); container types:
            # test_containers.py; instances are checked against their class
            # (tests/python/test_classes.py).
            continue
        expected.add(t["arg_member"] if spelled[t["kind"]] is None else spelled[t["kind"]])
    assert set(KINDS) == expected


# The sample plugin of each feature that added compound types (ABI 1.1).
FEATURE_SAMPLES = ["containers"]
COMPOUND_KINDS = {"sequence", "dict", "list", "tuple", "callable", "iterator"}


# Types whose values belong to a class of the plugin; the classes sample plugin uses them.
NEEDS_A_CLASS = {"instance"}


@pytest.mark.parametrize("path", plugin_variants("hello"))
def test_the_hello_plugin_uses_every_scalar_type(path):
    desc = _pyz3.describe(str(path))
    params = {p["type"] for f in desc["functions"] for p in f["params"]}
    results = {f["return_type"] for f in desc["functions"]}
    assert (
        params
        >= {t["name"] for t in REGISTRY if t["param"] and t["kind"] not in COMPOUND_KINDS} - NEEDS_A_CLASS
    )
    assert (
        results
        >= {t["name"] for t in REGISTRY if t["result"] and t["kind"] not in COMPOUND_KINDS} - NEEDS_A_CLASS
    )


def test_the_sample_plugins_use_every_type():
    params, results = set(), set()
    for name in ["hello", "classes", *FEATURE_SAMPLES]:
        desc = _pyz3.describe(str(plugin_path(name)))
        functions = desc["functions"] + [m for c in desc["classes"] for m in c["methods"]]
        params |= {p["type"] for f in functions for p in f["params"]}
        results |= {f["return_type"] for f in functions}
    assert params >= {t["name"] for t in REGISTRY if t["param"]}
    assert results >= {t["name"] for t in REGISTRY if t["result"]}


@pytest.mark.parametrize("path", plugin_variants("classes"))
def test_the_classes_plugin_uses_the_types_that_need_a_class(path):
    desc = _pyz3.describe(str(path))
    functions = desc["functions"] + [m for c in desc["classes"] for m in c["methods"]]
    params = {p["type"] for f in functions for p in f["params"]}
    results = {f["return_type"] for f in functions}
    assert params >= NEEDS_A_CLASS
    assert results >= NEEDS_A_CLASS


def test_describe_takes_names_and_annotations_from_the_registry():
    by_name = {t["name"]: t for t in REGISTRY}
    desc = _pyz3.describe(str(plugin_path("hello")))
    for f in desc["functions"]:
        assert f["return_annotation"] == by_name[f["return_type"]]["result_annotation"], f["name"]
        for p in f["params"]:
            assert p["annotation"] == by_name[p["type"]]["param_annotation"], (f["name"], p["name"])


def test_stubs_use_the_registry_annotations():
    from pyz3.cli import Plugin, stub_text

    out = stub_text(Plugin(str(plugin_path("hello"))))
    by_member = {t["arg_member"]: t for t in REGISTRY if t["kind"] == "int"}
    for member, t in by_member.items():
        ann = t["param_annotation"]
        assert re.search(rf"def echo_{member}\(x: {ann}.*\) -> {t['result_annotation']}", out), member


def test_conversion_messages_use_the_registry():
    hello = pyz3.load(PLUGINS / "libhello.so")
    for t in REGISTRY:
        if t["kind"] != "int":
            continue
        echo = getattr(hello, f"echo_{t['arg_member']}")
        lo, hi = t["range"]
        with pytest.raises(OverflowError, match=rf"out of range for {t['name']} \(expected {lo}\.\.{hi},"):
            echo(hi + 1)
        with pytest.raises(TypeError, match=rf"must be {t['expected']}, not str"):
            echo("1")


def test_every_name_the_header_declares_is_prefixed():
    # A C user includes pyz3.h next to their own code: every name it declares must be pyz3's
    # (`pyz3_`, `PYZ3_`), except the CPython type it forwards. cbindgen exports any public
    # constant or type the runtime's C surface reaches, so a new runtime constant leaks unless
    # capi/cbindgen.toml excludes it; this catches that.
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", (ROOT / "include" / "pyz3.h").read_text(), flags=re.S)
    declared = set(re.findall(r"^#define\s+(\w+)", text, re.M))
    declared |= set(re.findall(r"^typedef\b[^;{]*?(\w+)\s*;", text, re.M))
    declared |= set(re.findall(r"^typedef\b.*?\}\s*(\w+)\s*;", text, re.M | re.S))
    declared |= set(re.findall(r"^(?:struct|union|enum)\s+(\w+)", text, re.M))
    declared |= set(re.findall(r"^typedef\b[^;]*?\(\s*\*\s*(\w+)\s*\)", text, re.M))
    declared |= set(re.findall(r"^(?!typedef)[A-Za-z_][\w \*]*?\b(\w+)\s*\(", text, re.M))
    assert len(declared) > 50, sorted(declared)  # the patterns still find the declarations
    allowed = {"PyObject", "_object", "PYZ3_H"}
    stray = sorted(n for n in declared if n not in allowed and not n.lower().startswith("pyz3_"))
    assert not stray, f"include/pyz3.h declares names without the pyz3_/PYZ3_ prefix: {stray}"
