"""tests/sample_project/test_sample.py: a plugin's own tests, written with pyz3's pytest fixtures.

Paths are relative to this project's root: the runner copies libhello.so and libleaky.so into
plugins/. The tests named ``test_leak_*`` fail on purpose (libleaky leaks); the tests that run
this project check that exactly those fail, and why.
"""

import pytest

HELLO = "plugins/libhello.so"
LEAKY = "plugins/libleaky.so"


def test_load_by_path(pyz3_load):
    hello = pyz3_load(HELLO)
    assert hello.add(2, 3) == 5
    assert pyz3_load(HELLO) is hello


def test_hello_calls_do_not_leak(pyz3_load, pyz3_leak_check):
    hello = pyz3_load(HELLO)
    assert pyz3_leak_check(hello.add, 2**40, 1) == 2**40 + 1
    assert pyz3_leak_check(hello.greet, "a name long enough to be allocated").startswith("hello, ")
    assert pyz3_leak_check(hello.describe, 7, verbose=True, sep=" = ") == "n = 7 (odd)"
    assert pyz3_leak_check(hello.echo_object, [1, 2]) == [1, 2]
    pyz3_leak_check.raises(TypeError, hello.add, "two", 3)
    pyz3_leak_check.raises(OverflowError, hello.echo_i8, 300)


def test_correct_twins_pass(pyz3_load, pyz3_leak_check):
    leaky = pyz3_load(LEAKY)
    marker = object()
    assert pyz3_leak_check(leaky.identity, marker) is marker
    assert pyz3_leak_check(leaky.fresh, "a string long enough to be allocated") == (
        "a string long enough to be allocated"
    )
    pyz3_leak_check.raises(ValueError, leaky.fail_clean, [])


def test_leak_argument(pyz3_load, pyz3_leak_check):
    pyz3_leak_check(pyz3_load(LEAKY).keep, [])


def test_leak_result(pyz3_load, pyz3_leak_check):
    pyz3_leak_check(pyz3_load(LEAKY).fresh_leak, "a string long enough to be allocated")


def test_leak_on_error_path(pyz3_load, pyz3_leak_check):
    pyz3_leak_check.raises(ValueError, pyz3_load(LEAKY).fail_leak, [])


def test_missing_plugin_fails_clearly(pyz3_load):
    with pytest.raises(pytest.fail.Exception, match="does not exist"):
        pyz3_load("plugins/libmissing.so")


def test_raises_requires_the_exception(pyz3_load, pyz3_leak_check):
    hello = pyz3_load(HELLO)
    with pytest.raises(pytest.fail.Exception, match=r"hello\.add\(\) did not raise TypeError"):
        pyz3_leak_check.raises(TypeError, hello.add, 1, 2)
