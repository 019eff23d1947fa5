"""tests/python/test_misbehave.py: plugin functions that break the calling convention.

tests/plugins/misbehave.c makes each mistake once: an error status without an exception, an
exception with a success status, a result of the wrong type, an invalid status, NULL pointers
handed to libpyz3. Each must become a clear Python exception (SystemError for a broken plugin),
leave no exception behind for the next call, and leak no reference.
"""

from __future__ import annotations

import contextlib
import sys

import pytest

import pyz3
from support import TEST_PLUGINS


@pytest.fixture(scope="module")
def misbehave():
    path = TEST_PLUGINS / "libmisbehave.so"
    assert path.exists(), f"{path} missing: run `make test-plugins`"
    return pyz3.load(path)


RESULT_WITH_EXCEPTION = r"returned a result with an exception set$"

# (function, args, exception type, message pattern, type of __cause__ or None)
BROKEN = [
    (
        "error_without_exception",
        (),
        SystemError,
        r"^error_without_exception\(\) failed without setting an exception$",
        None,
    ),
    (
        "ok_with_exception",
        (),
        SystemError,
        r"^ok_with_exception\(\) returned a result with an exception set$",
        ValueError,
    ),
    ("ok_with_exception_obj", (), SystemError, r"returned a result with an exception set$", ValueError),
    (
        "none_with_exception",
        (),
        SystemError,
        r"^none_with_exception\(\) returned None with an exception set$",
        KeyError,
    ),
    (
        "none_not_optional",
        (),
        SystemError,
        r"returned None, but its return type int64 is not optional$",
        None,
    ),
    ("status", (42,), SystemError, r"returned the invalid status 42 \(expected PYZ3_OK", None),
    ("status", (-2,), SystemError, r"returned the invalid status -2", None),
    ("status", (1,), SystemError, r"returned None, but its return type int64 is not optional$", None),
    ("status", (-1,), SystemError, r"^status\(\) failed without setting an exception$", None),
    ("status_with_exception", (42,), SystemError, r"returned the invalid status 42", ValueError),
    ("null_str_result", (), SystemError, r"returned PYZ3_OK but no str object \(result.obj is NULL\)$", None),
    ("null_object_result", (), SystemError, r"returned PYZ3_OK but no object object", None),
    ("int_for_str", (), SystemError, r"^int_for_str\(\) declared a str result but returned int$", None),
    ("str_for_bytes", (), SystemError, r"^str_for_bytes\(\) declared a bytes result but returned str$", None),
    ("raise_len_huge", (), SystemError, r"^pyz3_raise_len: message length \d+ is impossible$", None),
    ("from_str_null", (), SystemError, r"^NULL argument to a pyz3 conversion$", None),
    ("from_bytes_null", (), SystemError, r"^NULL argument to a pyz3 conversion$", None),
    ("tuple_null_items", (), SystemError, r"^NULL object passed to a pyz3 container function$", None),
    ("call_null_args", (print,), SystemError, r"^NULL object passed to a pyz3 container function$", None),
    ("intern_null", (), SystemError, r"^NULL name passed to pyz3_intern$", None),
    # Failures the plugin ignores are caught whichever optimisation is on (issue 15, item 10).
    ("ignored_intern_failure", (), SystemError, RESULT_WITH_EXCEPTION, UnicodeDecodeError),
    ("ignored_from_str_failure", (), SystemError, RESULT_WITH_EXCEPTION, UnicodeDecodeError),
    ("to_i64_null", (), SystemError, r"^NULL argument to a pyz3 conversion$", None),
    ("dict_set_null", (), SystemError, r"^NULL object passed to a pyz3 container function$", None),
    ("released_error_without_exception", (), SystemError, r"failed without setting an exception$", None),
    ("released_ok_with_exception", (), SystemError, r"returned a result with an exception set$", ValueError),
    ("raw_null_without_exception", (), SystemError, r"returned NULL without setting an exception$", None),
    ("raw_result_with_exception", (), SystemError, r"returned a result with an exception set$", ValueError),
]


@pytest.mark.parametrize(
    ("name", "args", "exc", "pattern", "cause"), BROKEN, ids=[f"{b[0]}{b[1]}" for b in BROKEN]
)
def test_broken_function_raises_clearly(misbehave, name, args, exc, pattern, cause):
    with pytest.raises(exc, match=pattern) as info:
        getattr(misbehave, name)(*args)
    assert type(info.value) is exc
    if cause is None:
        assert info.value.__cause__ is None
    else:
        assert type(info.value.__cause__) is cause
    # Nothing is left set for the next call (CPython would turn it into a SystemError).
    assert misbehave.status(0) == 0


def test_exception_without_a_message_is_allowed(misbehave):
    with pytest.raises(ValueError) as info:
        misbehave.raise_null_message(1)
    assert info.value.args == ()
    with pytest.raises(RuntimeError) as info:
        misbehave.raise_null_message(12345)  # an unknown kind gives RuntimeError
    assert info.value.args == ()


@pytest.mark.parametrize(("byte", "expected"), [(0, False), (1, True), (2, True), (127, True), (255, True)])
def test_bool_result_is_any_nonzero_byte(misbehave, byte, expected):
    assert misbehave.bool_from_byte(byte) is expected


def test_object_parameter_with_none_default_receives_none(misbehave):
    # Regression: the None default of a (non-optional) object parameter used to reach the
    # plugin as a NULL object, while an explicit None arrived as the None object.
    assert misbehave.echo_object_default() is None
    assert misbehave.echo_object_default(None) is None
    marker = object()
    assert misbehave.echo_object_default(marker) is marker
    assert misbehave.echo_object_default(x=marker) is marker


def test_optional_object_parameter_reports_none_in_the_mask(misbehave):
    assert misbehave.is_none_optional() is True
    assert misbehave.is_none_optional(None) is True
    assert misbehave.is_none_optional(0) is False


def test_exception_raised_on_a_thread_python_never_saw_is_discarded(misbehave):
    assert misbehave.raise_on_native_thread() == 1
    assert misbehave.status(0) == 0


@pytest.mark.single_mode
def test_broken_calls_leak_no_references(misbehave):
    # Errors with a result, results of the wrong type: the loader releases what it was handed.
    # sys.getallocatedblocks counts every live object and PyMem block, so a leaked str, int,
    # exception or traceback shows up as growth.
    def run(n):
        for _ in range(n):
            for name, args, exc, _pattern, _cause in BROKEN:
                with contextlib.suppress(exc):
                    getattr(misbehave, name)(*args)
            misbehave.echo_object_default()
            misbehave.bool_from_byte(3)

    run(200)  # warm caches (interned strings, exception types' internals)
    before = sys.getallocatedblocks()
    run(2000)
    growth = sys.getallocatedblocks() - before
    assert growth < 200, f"{growth} blocks still allocated after 2000 rounds of broken calls"


def test_function_owner_type_cannot_be_instantiated(hello):
    # Regression: type(f.__self__)() made an owner without a function; its repr crashed.
    owner_type = type(hello.add.__self__)
    with pytest.raises(TypeError):
        owner_type()
    with pytest.raises(TypeError):
        object.__new__(owner_type)
    assert f"{hello.__name__}.add" in repr(hello.add.__self__)
