"""tests/python/test_calls.py: signatures, docs, keyword calls and plugin-raised errors."""

from __future__ import annotations

import inspect
import pydoc

import pytest

import pyz3


def test_hello_example_from_the_readme(hello):
    assert hello.add(2, 3) == 5
    assert hello.greet("wörld") == "hello, wörld"


def test_module_metadata(hello):
    # libhello.so is module hello, libhello_zig.so module hello_zig.
    assert hello.__file__.endswith(f"lib{hello.__name__}.so")
    assert hello.__name__ in ("hello", "hello_zig")
    assert hello.__doc__.startswith("The pyz3 sample ")
    assert hello.__pyz3_abi__ == pyz3.abi_version
    assert "add" in hello.__all__ and "greet" in hello.__all__


def test_functions_are_fastcall_builtins(hello):
    assert type(hello.add).__name__ == "builtin_function_or_method"
    assert hello.add.__name__ == "add"
    assert hello.add.__module__ == hello.__name__
    assert inspect.isbuiltin(hello.add)


def test_signatures_include_defaults_and_keyword_only(hello):
    assert str(inspect.signature(hello.add)) == "(a, b)"
    assert str(inspect.signature(hello.greet)) == "(name='world')"
    assert str(inspect.signature(hello.scale)) == "(x, factor=2.0)"
    assert str(inspect.signature(hello.describe)) == "(n, label='n', verbose=False, *, sep=': ')"
    assert str(inspect.signature(hello.nothing)) == "()"
    sig = inspect.signature(hello.describe)
    assert sig.parameters["sep"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["label"].default == "n"


def test_doc_strings_and_help(hello):
    assert hello.add.__doc__ == "Add two integers."
    assert hello.add.__text_signature__ == "($module, a, b)"
    text = pydoc.render_doc(hello.add, renderer=pydoc.plaintext)
    assert "add(a, b)" in text and "Add two integers." in text


def test_keyword_calls(hello):
    assert hello.add(a=2, b=3) == 5
    assert hello.add(2, b=3) == 5
    assert hello.greet(name="you") == "hello, you"
    assert hello.greet() == "hello, world"
    assert hello.scale(2.0) == 4.0
    assert hello.scale(2.0, factor=0.5) == 1.0
    assert hello.describe(4) == "n: 4"
    assert hello.describe(4, "x", True) == "x: 4 (even)"
    assert hello.describe(n=3, verbose=True, sep=" = ") == "n = 3 (odd)"
    kwargs = {"b": 1, "a": 2}
    assert hello.add(**kwargs) == 3
    # Every parameter by keyword, in and out of declaration order (the keyword fast path).
    assert hello.scale(x=2.0, factor=3.0) == 6.0
    assert hello.scale(factor=3.0, x=2.0) == 6.0
    assert hello.scale(2.0, factor=3.0) == 6.0
    assert hello.echo_str(x="k") == "k"


def test_keyword_names_need_not_be_interned(hello):
    name = "".join(["n", "a", "m", "e"])  # a fresh, non-interned str
    assert hello.greet(**{name: "x"}) == "hello, x"


def test_keyword_errors_match_cpython_wording(hello):
    with pytest.raises(TypeError, match=r"^add\(\) got an unexpected keyword argument 'c'$"):
        hello.add(1, 2, c=3)
    with pytest.raises(TypeError, match=r"^add\(\) got multiple values for argument 'a'$"):
        hello.add(1, a=2)
    with pytest.raises(
        TypeError, match=r"^describe\(\) takes from 1 to 3 positional arguments but 4 were given$"
    ):
        hello.describe(1, "x", True, ": ")
    with pytest.raises(TypeError, match=r"^add\(\) missing 1 required positional argument: 'a'$"):
        hello.add(b=1)
    with pytest.raises(TypeError, match=r"^scale\(\) got an unexpected keyword argument 'y'$"):
        hello.scale(x=1.0, y=2.0)
    with pytest.raises(TypeError, match=r"^scale\(\) got multiple values for argument 'x'$"):
        hello.scale(1.0, x=2.0)


def test_positional_only_functions(hello):
    assert str(inspect.signature(hello.mul)) == "(a, b, /)"
    assert hello.mul(6, 7) == 42
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        hello.mul(6, b=7)
    with pytest.raises(TypeError, match=r"^mul\(\) missing 1 required positional argument: 'b'$"):
        hello.mul(6)
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        hello.nothing(x=1)


def test_wrong_type_by_keyword_names_the_parameter(hello):
    with pytest.raises(TypeError, match=r"^add\(\) argument 'b' must be int, not str$"):
        hello.add(1, b="2")


@pytest.mark.parametrize(
    ("kind", "exc"),
    [
        (0, RuntimeError),
        (1, ValueError),
        (2, TypeError),
        (3, OverflowError),
        (4, KeyError),
        (5, IndexError),
        (6, MemoryError),
        (7, ZeroDivisionError),
        (8, NotImplementedError),
        (9, OSError),
        (10, AttributeError),
        (11, AssertionError),
        (12, TimeoutError),
        (13, SystemError),
        (999, RuntimeError),
    ],
)
def test_plugin_errors_arrive_as_the_declared_type(hello, kind, exc):
    with pytest.raises(exc) as info:
        hello.fail(kind, f"message {kind}")
    assert type(info.value) is exc
    assert info.value.args == (f"message {kind}",)


def test_plugin_errors_from_real_functions(hello):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        hello.divide(1.0, 0.0)
    with pytest.raises(KeyError) as info:
        hello.lookup("four")
    assert info.value.args == ("four",)
    assert hello.lookup("two") == 2
    with pytest.raises(OverflowError, match="does not fit in int64"):
        hello.add(2**63 - 1, 1)


def test_non_utf8_error_message_is_replaced_not_fatal(hello):
    with pytest.raises(KeyError) as info:
        hello.lookup("caf\u00e9")
    assert info.value.args == ("caf\u00e9",)


def test_interpreter_survives_many_errors(hello):
    for _ in range(1000):
        with pytest.raises(ValueError):
            hello.fail(1, "again")
    assert hello.add(1, 1) == 2
