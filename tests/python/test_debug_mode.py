"""tests/python/test_debug_mode.py: debug mode catches plugin mistakes a release load cannot see.

Loads tests/plugins/debug_misuse.c in debug mode (``pyz3.load(path, debug=True)``) and checks
each report of docs/reliability.md's debug-mode table: the GIL contract of libpyz3 calls,
borrowed arguments used after their call, leaked and over-released references, results that
contradict the declaration. Each report names the function. The same binary loaded in release
mode runs as before. Use-after-return kills the process by design, so those cases run in a
subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import pyz3
from support import BUILD, TEST_PLUGINS

PLUGIN = TEST_PLUGINS / "libdebug_misuse.so"


@pytest.fixture(scope="module")
def dbg():
    if not PLUGIN.exists():
        pytest.fail(f"{PLUGIN} is missing: build it with `make test-plugins`")
    return pyz3.load(PLUGIN, debug=True)


@pytest.fixture(scope="module")
def release():
    return pyz3.load(PLUGIN, debug=False)


def test_debug_and_release_loads_are_separate_modules(dbg, release):
    assert dbg is not release
    assert dbg.__pyz3_debug__ is True
    assert not hasattr(release, "__pyz3_debug__")
    assert pyz3.load(PLUGIN, debug=True) is dbg
    assert pyz3.load(PLUGIN, debug=False) is release


def test_pyz3_debug_environment_variable_selects_debug_mode():
    code = textwrap.dedent(
        f"""
        import pyz3
        m = pyz3.load({str(PLUGIN)!r})
        print(getattr(m, "__pyz3_debug__", False), pyz3.load({str(PLUGIN)!r}, debug=False) is m)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    for value, expected in (("1", "True False"), ("0", "False True"), ("", "False True")):
        env["PYZ3_DEBUG"] = value
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == expected.split(), value


def test_debug_argument_must_be_bool():
    with pytest.raises(TypeError, match="'debug' must be bool or None"):
        pyz3.load(PLUGIN, debug=1)


# ---- the GIL contract --------------------------------------------------------------------------


def test_str_result_made_without_the_gil_is_reported(dbg):
    # The Rust SDK's old #[release_gil] bug: pyz3_from_str inside a GIL-released function.
    expected = r"debug_misuse\.greet_nogil\(\) called pyz3_from_str\(\) without holding the GIL"
    with pytest.raises(SystemError, match=expected):
        dbg.greet_nogil("ada")


def test_conversion_inside_a_nogil_region_is_reported(dbg):
    expected = r"to_i64_in_nogil_region\(\) called pyz3_to_i64\(\) without holding the GIL"
    with pytest.raises(SystemError, match=expected):
        dbg.to_i64_in_nogil_region(5)


def test_call_from_a_plugin_thread_without_a_gil_scope_is_reported_on_stderr():
    # No call to fail on the plugin's own thread: the report goes to stderr, the libpyz3 call
    # returns its failure value instead of touching Python.
    code = textwrap.dedent(
        f"""
        import pyz3
        m = pyz3.load({str(PLUGIN)!r}, debug=True)
        print(m.from_native_thread())
        """
    )
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
    assert "called pyz3_from_i64() without holding the GIL" in run.stderr
    assert "outside any plugin call" in run.stderr


def test_gil_checks_pass_where_the_gil_is_held(dbg):
    assert dbg.balanced(1) == [1, "x"]


# ---- borrowed arguments after the call ---------------------------------------------------------

USE_AFTER_RETURN = """
import sys
import pyz3
m = pyz3.load(sys.argv[1], debug=sys.argv[2] == "debug")
kind = sys.argv[3]
text = "kept " + "text" * 3
if kind == "buffer":
    print(m.keep_buffer(bytearray(text.encode())), flush=True)
    print(m.kept_buffer_first(), flush=True)
else:
    print(getattr(m, "keep_" + kind)(text if kind == "str" else text.encode()), flush=True)
    print(m.kept(), flush=True)
"""


def use_after_return(mode: str, kind: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    return subprocess.run(
        [sys.executable, "-c", USE_AFTER_RETURN, str(PLUGIN), mode, kind],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.single_mode
@pytest.mark.parametrize(("kind", "param"), [("str", "s"), ("bytes", "b"), ("buffer", "b")])
def test_borrowed_argument_used_after_return_is_reported(kind, param):
    run = use_after_return("debug", kind)
    assert run.returncode != 0, run.stdout
    assert (
        f"pyz3 debug mode: the {kind} argument '{param}' of debug_misuse.keep_{kind}() was used after "
        "its call returned"
    ) in run.stderr
    # The first call went through; only the late read failed.
    assert run.stdout.splitlines()[0] == "17"


@pytest.mark.single_mode
def test_release_mode_reads_a_kept_pointer_silently():
    # What debug mode is for: release mode cannot tell.
    run = use_after_return("release", "bytes")
    assert run.returncode == 0, run.stderr
    assert "debug mode" not in run.stderr


def test_writes_to_a_writable_buffer_reach_the_caller(dbg):
    data = bytearray(6)
    dbg.fill_buffer(data, 7)
    assert data == bytearray([7] * 6)
    view = memoryview(bytearray(8)).cast("B")
    dbg.fill_buffer(view, 1)
    assert view.tobytes() == b"\x01" * 8


def test_borrowed_arguments_arrive_intact(dbg):
    assert dbg.keep_str("héllo") == len("héllo".encode())
    assert dbg.keep_bytes(b"") == 0
    assert dbg.keep_buffer(bytes(range(10))) == 10


# ---- references --------------------------------------------------------------------------------


def test_leaked_reference_warns_naming_the_function_and_the_call(dbg):
    expected = r"debug_misuse\.leak_int\(\) leaked 1 reference .*pyz3_from_i64"
    with pytest.warns(pyz3.DebugWarning, match=expected):
        assert dbg.leak_int() == 1


def test_leak_on_a_failed_call_warns_and_keeps_the_exception(dbg):
    with (
        pytest.warns(pyz3.DebugWarning, match=r"leak_on_error\(\) leaked 1 reference .*pyz3_list_new"),
        pytest.raises(ValueError, match="failed after making a list"),
    ):
        dbg.leak_on_error()


def test_leak_warning_as_error_fails_the_call(dbg):
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        with pytest.raises(pyz3.DebugWarning, match=r"leak_int\(\) leaked"):
            dbg.leak_int()


def test_balanced_references_do_not_warn(dbg):
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        item = object()
        before = sys.getrefcount(item)
        result = dbg.balanced(item)
        assert result[0] is item
        del result
        assert sys.getrefcount(item) == before


def test_release_mode_does_not_look_for_leaks(release):
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        assert release.leak_int() == 1


def test_releasing_a_borrowed_argument_is_refused(dbg):
    item = object()
    before = sys.getrefcount(item)
    expected = r"decref_argument\(\) called pyz3_decref\(\) on one of its arguments"
    with pytest.raises(SystemError, match=expected):
        dbg.decref_argument(item)
    assert sys.getrefcount(item) == before


# ---- the container object API ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arg", "api"),
    [("leak_attribute", 1, "pyz3_getattr"), ("leak_first_item", [object()], "pyz3_next")],
)
def test_container_api_leaks_warn_naming_the_call(dbg, name, arg, api):
    with pytest.warns(pyz3.DebugWarning, match=rf"debug_misuse\.{name}\(\) leaked 1 reference .*{api}"):
        assert getattr(dbg, name)(arg) == 1


def test_container_api_references_given_back_do_not_warn(dbg, release):
    class Namespace:
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        for mod in (dbg, release):
            ns = Namespace()
            d = {"a": 1, "ns": ns, "k": "v"}
            before = sys.getrefcount(ns)
            assert mod.walk(d) == 300 + 3
            assert ns.seen == 3
            assert d["k"] == "v"
            del d
            assert sys.getrefcount(ns) == before - 1


def test_container_api_without_the_gil_is_reported(dbg):
    with pytest.raises(
        SystemError, match=r"len_in_nogil_region\(\) called pyz3_len\(\) without holding the GIL"
    ):
        dbg.len_in_nogil_region([1, 2])


def test_items_of_a_failed_list_result_are_the_loaders(dbg):
    """The loader drops the items a failed list result holds: not a leak of the plugin's."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        with pytest.raises(ValueError, match="failed after filling the list"):
            dbg.words_then_fail()
        with pytest.raises(
            SystemError, match=r"words_with_a_bad_item\(\): item 1 of its result should be str but is int"
        ):
            dbg.words_with_a_bad_item()


# ---- results -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["return_borrowed", "raw_return_borrowed"])
def test_returning_a_borrowed_argument_is_reported(dbg, name):
    item = object()
    before = sys.getrefcount(item)
    expected = rf"debug_misuse\.{name}\(\) returned its argument 'x', which is borrowed"
    with pytest.raises(SystemError, match=expected):
        getattr(dbg, name)(item)
    assert sys.getrefcount(item) == before


def test_result_written_through_a_wider_member_is_reported(dbg, release):
    with pytest.raises(SystemError, match=r"wide_i8\(\) declared the result type int8 but wrote 0x0*12c"):
        dbg.wide_i8()
    # Release mode reads the int8 member: 300 truncated, silently.
    assert release.wide_i8() == 44


def test_release_checks_still_apply_in_debug_mode():
    misbehave = pyz3.load(TEST_PLUGINS / "libmisbehave.so", debug=True)
    with pytest.raises(SystemError, match=r"error_without_exception\(\) failed without setting an exception"):
        misbehave.error_without_exception()
    with pytest.raises(SystemError, match=r"int_for_str\(\) declared a str result but returned int"):
        misbehave.int_for_str()
    with pytest.raises(SystemError, match=r"ok_with_exception\(\) returned a result with an exception set"):
        misbehave.ok_with_exception()


def test_sample_plugins_run_clean_in_debug_mode():
    hello = pyz3.load(BUILD / "plugins" / "libhello.so", debug=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyz3.DebugWarning)
        assert hello.add(2, 3) == 5
        assert hello.greet("ada") == "hello, ada"
        assert hello.concat(b"ab", b"cd") == b"abcd"
        assert hello.describe(3, sep="=") == "n=3"
        assert hello.byte_sum(b"\x01\x02") == 3
        assert memoryview(hello.iota(3)).tolist() == [0, 1, 2]
        assert hello.raw_add(1, 2) == 3
