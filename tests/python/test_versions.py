"""tests/python/test_versions.py: what the runtime reads from CPython's per-version object layouts,
checked under the interpreter running the suite (make runs it under every version)."""

from __future__ import annotations

import sys

import pytest

import pyz3
from pyz3 import _pyz3

pytestmark = pytest.mark.single_mode


class Text(str):
    """A str subclass: never read directly (its data may live outside the object)."""


def test_runtime_is_built_for_the_running_python():
    assert pyz3.build_info()["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_str_fast_path_reads_compact_ascii_strings_only():
    # The runtime reads the compact and ascii bits of PyASCIIObject.state itself (pyo3-ffi has no
    # PyUnicode_IS_COMPACT_ASCII from 3.14 on): a wrong bit would make ASCII text slow, or send
    # other text down a path that assumes one byte per character.
    direct = ["", "a", "hello", "x" * 10_000, sys.intern("a_name"), "".join(["ab", "cd"]), str(12345)]
    direct += ["hello"[1:3], b"bytes".decode(), "wörld".encode().decode("ascii", "ignore")]
    for s in direct:
        assert _pyz3._str_fast_path(s), repr(s)
    other = ["é", "wörld", "€", "\U0001f600", "a" * 100 + "é", "\x80", Text("abc"), Text(""), b"abc", 5, None]
    for s in other:
        assert not _pyz3._str_fast_path(s), repr(s)
