"""tests/python/test_containers.py: the containers sample plugin (and its Zig twin) against the
Python expressions its doc strings name, and the edges of sequences, dicts, compound results,
callbacks, iterators, the object API, constants and exception classes (ABI 1.1).

``containers`` is plugins/c/containers (C) or plugins/zig/containers (Zig); the edge cases are
tests/plugins/containers_cases.c; broken descriptors are tests/plugins/bad_containers.c. Every
test runs in every optimisation mode (conftest.py).
"""

from __future__ import annotations

import array
import collections
import gc
import inspect
import pickle
import re
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyz3
from support import BUILD, PLUGINS, ROOT, TEST_PLUGINS, load_variant, plugin_variants

I64 = (-(2**63), 2**63 - 1)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _variants():
    """The C plugin, its Zig twin and its Rust twin (those that were built)."""
    rust = PLUGINS / "libcontainers_rs.so"
    return plugin_variants("containers") + ([pytest.param(rust, id="rust")] if rust.exists() else [])


@pytest.fixture(scope="module", params=_variants())
def m(request):
    return load_variant(request.param)


@pytest.fixture(scope="module")
def cases():
    return pyz3.load(TEST_PLUGINS / "libcontainers_cases.so")


def few_blocks(fn, rounds=2000, tolerance=200):
    """``fn`` run many times leaves (almost) no blocks behind: the paths under test leak nothing."""
    for _ in range(rounds // 10):
        fn()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(rounds):
        fn()
    gc.collect()
    grown = sys.getallocatedblocks() - before
    assert grown < tolerance, f"{grown} blocks more after {rounds} calls"


# ---- sequences --------------------------------------------------------------------------------


def test_sum_list_takes_lists_tuples_and_other_sequences(m):
    assert m.sum_list([]) == 0
    assert m.sum_list([7]) == 7
    assert m.sum_list((1, 2, 3)) == 6
    assert m.sum_list(range(10)) == 45
    assert m.sum_list(array.array("q", [5, 6])) == 11
    assert m.sum_list([True, 2]) == 3  # bool is an int, as for int64 arguments
    assert m.sum_list(list(range(100_000))) == sum(range(100_000))
    assert m.sum_list([I64[1], I64[0], 1]) == 0


def test_sum_list_reports_the_element_that_does_not_convert(m):
    with pytest.raises(TypeError, match=r"^sum_list\(\) argument 'xs'\[3\] must be int, not str$"):
        m.sum_list([0, 1, 2, "3"])
    with pytest.raises(TypeError, match=r"^sum_list\(\) argument 'xs'\[0\] must be int, not float$"):
        m.sum_list((1.0,))
    with pytest.raises(OverflowError, match=r"sum_list\(\) argument 'xs'\[1\] out of range for int64"):
        m.sum_list([1, 2**63])
    with pytest.raises(OverflowError, match="the sum does not fit in int64"):
        m.sum_list([I64[1], 1])


@pytest.mark.parametrize("bad", [5, None, {1: 2}, {1, 2}, iter([1]), "123", b"12", bytearray(b"1")])
def test_sum_list_refuses_what_is_no_sequence_of_items(m, bad):
    with pytest.raises(TypeError, match=r"^sum_list\(\) argument 'xs' must be a sequence"):
        m.sum_list(bad)


def test_a_sequence_whose_items_raise_propagates_the_error(m):
    class Bad:
        def __index__(self):
            raise ZeroDivisionError("from __index__")

    class Broken(collections.abc.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            if i == 1:
                raise KeyError("from __getitem__")
            return 1

    with pytest.raises(ZeroDivisionError, match="from __index__"):
        m.sum_list([1, Bad()])
    with pytest.raises(KeyError, match="from __getitem__"):
        m.sum_list(Broken())


def test_a_list_changing_while_its_items_convert_is_refused(m):
    items = []

    class Shrinks:
        def __index__(self):
            items.clear()
            return 1

    items[:] = [Shrinks(), 2, 3]
    with pytest.raises(RuntimeError, match="changed size"):
        m.sum_list(items)


def test_minmax_returns_a_tuple(m):
    assert m.minmax([3.0, -1.5, 2]) == (-1.5, 3.0)
    assert type(m.minmax([1.0])) is tuple
    assert m.minmax((5,)) == (5.0, 5.0)
    with pytest.raises(ValueError, match="empty"):
        m.minmax([])
    with pytest.raises(TypeError, match=r"'xs'\[1\] must be a real number \(float or int\), not str"):
        m.minmax([1.0, "x"])


def test_sum_list_reads_every_int_layout(m):
    # One digit, two digits and more, both signs, and zeros made in different ways (a cached
    # small int, the result of arithmetic, of int()): the fast paths read each layout directly.
    edges = [-(2**63), 2**63 - 1, 0, 1, -1, 2**30 - 1, 2**30, -(2**30), 2**60 - 1, -(2**60) + 1]
    edges += [2**60, -(2**60), 2**62, -(2**62)]
    zeros = [5 - 5, 10**20 - 10**20, int("0"), int("-0"), -0, (2**40) * 0]
    for xs in (edges, zeros, [x for x in edges if abs(x) < 2**62] * 3):
        assert m.sum_list(xs) == sum(xs)
        assert m.minmax(xs) == (float(min(xs)), float(max(xs)))
    with pytest.raises(OverflowError):
        m.sum_list([2**63])
    assert m.apply(lambda x: x - x, [2**61, -5]) == [0, 0]
    assert m.apply(lambda x: -x, [2**40, -(2**62), 1]) == [-(2**40), 2**62, -1]


@SETTINGS
@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=50))
def test_sum_list_is_sum(m, xs):
    assert m.sum_list(xs) == sum(xs)
    assert m.sum_list(tuple(xs)) == sum(xs)


@SETTINGS
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=50))
def test_minmax_is_min_max(m, xs):
    assert m.minmax(xs) == (min(xs), max(xs))


# ---- dicts in -----------------------------------------------------------------------------------


def test_lookup_finds_keys(m):
    d = {"a": 1, "bé": -2, "": 3, "x" * 100: I64[1]}
    for k, v in d.items():
        assert m.lookup(d, k) == v
    assert m.lookup(d, "missing") == -1
    assert m.lookup(d, "missing", default=7) == 7
    assert m.lookup({}, "a", 5) == 5
    big = {f"k{i}": i for i in range(10_000)}
    assert m.lookup(big, "k9999") == 9999
    assert m.lookup(big, "k10000", 0) == 0
    assert m.lookup(collections.OrderedDict(a=4), "a") == 4


def test_lookup_reports_bad_keys_and_values(m):
    with pytest.raises(TypeError, match=r"^lookup\(\) argument 'd' must be dict, not list$"):
        m.lookup([("a", 1)], "a")
    with pytest.raises(TypeError, match=r"^lookup\(\) argument 'd' keys must be str, not int$"):
        m.lookup({"a": 1, 2: 2}, "a")
    with pytest.raises(TypeError, match=r"^lookup\(\) argument 'd'\['b'\] must be int, not str$"):
        m.lookup({"a": 1, "b": "2"}, "a")
    with pytest.raises(OverflowError, match=r"lookup\(\) argument 'd'\['a'\] out of range for int64"):
        m.lookup({"a": 2**64}, "a")


@SETTINGS
@given(st.dictionaries(st.text(max_size=8), st.integers(*I64), max_size=30), st.text(max_size=8))
def test_lookup_is_dict_get(m, d, key):
    assert m.lookup(d, key) == d.get(key, -1)
    for k in d:
        assert m.lookup(d, k, 0) == d[k]


# ---- results ------------------------------------------------------------------------------------


WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "one", " one  two\tthree\n", "naïve café 日本語", WHITESPACE.join("abcdefghijklmnopqrstu")],
)
def test_split_words_is_str_split(m, text):
    assert m.split_words(text) == text.split()


def test_split_words_of_many_words(m):
    text = " ".join(str(i) for i in range(100_000))
    assert m.split_words(text) == text.split()
    assert m.MAX_WORDS == 1_000_000
    with pytest.raises(ValueError, match="MAX_WORDS"):
        m.split_words("a " * (m.MAX_WORDS + 1))


def test_word_counts_is_a_counter(m):
    text = "the cat and the hat and the bat"
    counts = m.word_counts(text)
    assert counts == dict(collections.Counter(text.split()))
    if not m.__name__.endswith("_rs"):  # a Rust HashMap has no order to keep
        assert list(counts) == list(collections.Counter(text.split()))  # first-occurrence order
    assert m.word_counts("") == {}
    many = " ".join(f"w{i % 5000}" for i in range(50_000))
    assert m.word_counts(many) == dict(collections.Counter(many.split()))


@SETTINGS
@given(st.text(alphabet=st.sampled_from("ab \t\u3000é\n"), max_size=60) | st.text(max_size=40))
def test_split_and_count_match_python(m, text):
    assert m.split_words(text) == text.split()
    assert m.word_counts(text) == dict(collections.Counter(text.split()))


def test_parse_pairs_and_its_exception(m):
    assert m.parse_pairs("a=1,b=2") == {"a": 1, "b": 2}
    assert m.parse_pairs(" a = -3 , bé=+4") == {"a": -3, "bé": 4}
    assert m.parse_pairs("") == {}
    assert m.parse_pairs("k=9223372036854775807,j=-9223372036854775808") == {"k": I64[1], "j": I64[0]}
    for bad in ["a", "a=", "=1", "a=1,", "a=x", "a=1;b=2", "a=99999999999999999999"]:
        with pytest.raises(m.ParseError) as info:
            m.parse_pairs(bad)
        assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="expected an integer value, got 'x'"):
        m.parse_pairs("a=x")


@SETTINGS
@given(
    st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), st.integers(*I64), max_size=20)
)
def test_parse_pairs_round_trips(m, d):
    assert m.parse_pairs(",".join(f"{k}={v}" for k, v in d.items())) == d


# ---- callbacks ----------------------------------------------------------------------------------


def test_apply_calls_back(m):
    assert m.apply(lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]
    assert m.apply(abs, (-1, -2)) == [1, 2]
    assert m.apply(lambda x: x, []) == []
    assert m.apply(lambda x: x + 1, range(1000)) == list(range(1, 1001))


def test_a_callback_exception_propagates_unchanged(m):
    error = LookupError("from the callback")

    def f(x):
        if x == 2:
            raise error
        return x

    with pytest.raises(LookupError) as info:
        m.apply(f, [1, 2, 3])
    assert info.value is error
    assert any(frame.name == "f" for frame in info.traceback), "the callback's frame is in the traceback"


def test_a_callback_result_of_the_wrong_type(m):
    with pytest.raises(TypeError, match=r"the result of .*<lambda>\(\) must be int, not str"):
        m.apply(lambda x: "no", [1])
    with pytest.raises(OverflowError, match=r"the result of .*<lambda>\(\) out of range for int64"):
        m.apply(lambda x: 2**64, [1])


def test_apply_refuses_what_is_not_callable(m):
    with pytest.raises(TypeError, match=r"^apply\(\) argument 'f' must be callable, not int$"):
        m.apply(1, [1])


def test_a_callback_that_calls_the_plugin_again(m):
    assert m.apply(lambda x: m.sum_list(m.apply(lambda y: y + x, [1, 2])), [10, 20]) == [23, 43]


def test_callbacks_with_str_results_and_no_result(cases):
    assert cases.call_str(lambda s, f, b: f"{s}/{f}/{b}", "wörld") == "wörld/1.5/True"
    with pytest.raises(TypeError, match=r"the result of .*<lambda>\(\) must be str, not int"):
        cases.call_str(lambda *a: 1, "x")
    seen = []
    cases.call_void(lambda: seen.append(1))
    assert seen == [1]
    assert cases.call_void() is None  # an optional callable defaulting to None


def test_a_callback_from_a_gil_released_function(cases):
    assert cases.call_released(lambda x: x + 1, 41) == 42
    with pytest.raises(ArithmeticError, match="released"):
        cases.call_released(lambda x: (_ for _ in ()).throw(ArithmeticError("released")), 1)
    # Other Python threads run meanwhile: call it from several at once.
    results = []

    def work(i):
        results.append(cases.call_released(lambda x: x * 2, i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [i * 2 for i in range(8)]


def test_a_callback_from_a_native_thread(cases):
    assert cases.call_in_thread(lambda x: x * 3, 14) == 42
    assert threading.current_thread() is threading.main_thread()
    with pytest.raises(RuntimeError, match="failed on a native thread"):
        cases.call_in_thread(lambda x: 1 / 0, 1)


def test_calls_with_objects_and_keywords(cases):
    assert cases.call_kw(lambda a, key: (a, key), 1, "k") == (1, "k")
    with pytest.raises(TypeError, match="unexpected keyword argument 'key'"):
        cases.call_kw(lambda a: a, 1, 2)

    class Joiner:
        def join(self, value, sep="+"):
            return sep.join(value)

    assert cases.call_method(Joiner(), "join", ["a", "b"], "-") == "a-b"
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        cases.call_method("-", "join", ["a"], "x")
    with pytest.raises(AttributeError):
        cases.call_method(1, "no_such_method", 1, None)


# ---- iterators ----------------------------------------------------------------------------------


def test_count_up_is_iter_range(m):
    assert list(m.count_up(5)) == [0, 1, 2, 3, 4]
    assert list(m.count_up(0)) == []
    assert list(m.count_up(-3)) == []
    assert [x * x for x in m.count_up(4)] == [0, 1, 4, 9]
    assert sum(x for x in m.count_up(1000)) == sum(range(1000))
    it = m.count_up(2)
    assert iter(it) is it
    assert type(it).__name__ == "Iterator" and type(it).__module__ == "pyz3"
    assert next(it) == 0 and next(it) == 1
    with pytest.raises(StopIteration):
        next(it)
    assert list(it) == []  # exhausted stays exhausted
    assert list(m.count_up(3)) == [0, 1, 2]  # a new call starts again


def test_iterators_abandoned_half_way_are_freed(m):
    def half():
        it = m.count_up(100)
        next(it)
        next(it)

    few_blocks(half)


def test_iterators_of_str_keep_their_own_state(cases):
    text = "the lazy  dög"
    it = cases.iter_words(text)
    del text  # the iterator copied it into its state
    assert next(it) == "the"
    assert list(it) == ["lazy", "dög"]
    assert list(cases.iter_words("")) == []


@pytest.mark.parametrize(
    ("mode", "error", "match"),
    [
        (0, ValueError, "failed at the end"),
        (1, SystemError, "invalid status 9"),
        (2, SystemError, "returned with an exception set"),
        (3, SystemError, "failed without setting an exception"),
    ],
)
def test_an_iterator_that_fails_at_its_end(cases, mode, error, match):
    it = cases.iter_fail(2, mode)
    assert next(it) == 0 and next(it) == 1
    with pytest.raises(error, match=match):
        next(it)


def test_an_iterator_drops_its_state_once(cases):
    before = cases.iter_drops()
    it = cases.iter_fail(3, 4)
    assert list(it) == [0, 1, 2]
    assert cases.iter_drops() == before
    del it
    gc.collect()
    assert cases.iter_drops() == before + 1
    cases.iter_fail(1, 4)  # never iterated
    assert cases.iter_drops() == before + 2


def test_an_iterator_of_the_wrong_type_is_a_system_error(cases):
    with pytest.raises(
        SystemError, match=r"declared an iterator of int64 result but returned an iterator of str"
    ):
        cases.iter_wrong_elem()


def test_an_iterator_that_calls_back_and_reenters(cases):
    assert list(cases.iter_calls(lambda x: x * 10)) == [0, 10, 20]
    holder = []

    def reenter(x):
        return next(holder[0])

    holder.append(cases.iter_calls(reenter))
    with pytest.raises(ValueError, match="already executing"):
        next(holder[0])
    holder.clear()
    few_blocks(lambda: list(cases.iter_calls(abs)))


# ---- compound results at their edges -------------------------------------------------------------


def test_tuples_of_every_item_kind(cases):
    assert cases.tuple_mixed(3) == ("näme", 3, True, b"\x00\x01", 6, 0.5, 255)
    assert cases.tuple_mixed(-2)[4] is None


@pytest.mark.parametrize(
    ("mode", "error", "match"),
    [
        (0, ValueError, "failed after making items"),
        (2, SystemError, r"tuple_fail\(\): item 0 of its tuple result is NULL"),
        (3, SystemError, r"item 0 of its tuple result should be str but is bytes"),
        (4, SystemError, "invalid status 7"),
        (5, SystemError, "returned a result with an exception set"),
    ],
)
def test_tuple_results_that_fail(cases, mode, error, match):
    with pytest.raises(error, match=match):
        cases.tuple_fail(mode)
    few_blocks(lambda: pytest.raises(error, cases.tuple_fail, mode))


def test_a_tuple_result_may_be_none(cases):
    assert cases.tuple_fail(1) is None
    few_blocks(lambda: cases.tuple_fail(1))


@pytest.mark.parametrize(("n", "m"), [(0, 0), (3, 3), (10, 100), (100, 3), (40, 0), (0, 70)])
def test_lists_grow_and_shrink(cases, n, m):
    assert cases.list_resize(n, m) == list(range(min(n, m))) + [-i for i in range(n, m)]
    strs = cases.str_list_resize(n, m)
    assert strs == [f"s{i}" for i in range(m)]
    few_blocks(lambda: cases.str_list_resize(n, m), rounds=500)


@pytest.mark.parametrize(
    ("mode", "error", "match"),
    [
        (0, ValueError, "failed after making items"),
        (1, SystemError, r"list_fail\(\): item 39 of its result is NULL"),
        (2, SystemError, r"list_fail\(\): item 39 of its result should be str but is bytes"),
    ],
)
def test_list_results_that_fail(cases, mode, error, match):
    with pytest.raises(error, match=match):
        cases.list_fail(40, mode)
    few_blocks(lambda: pytest.raises(error, cases.list_fail, 40, mode), rounds=500)


def test_lists_of_every_item_kind(cases):
    assert cases.list_u8(6) == [250, 251, 252, 253, 254, 255]
    assert cases.list_i16(2) == [-32768, -32767]
    assert cases.list_u64(2) == [2**64 - 1, 2**64 - 2]
    assert cases.list_f32(2) == [0.25, 1.25]
    assert cases.list_bool(4) == [True, False, False, True]
    assert cases.list_bytes(300) == [bytes([97 + i % 26]) for i in range(300)]
    token = object()
    before = sys.getrefcount(token)
    assert cases.list_object(token, 50) == [token] * 50
    assert sys.getrefcount(token) == before
    assert cases.empty_list() == []
    assert cases.squares_released(40) == [i * i for i in range(40)]


def test_dict_results(cases):
    assert cases.dict_of(100) == {f"k{i}": i / 2 for i in range(100)}
    assert cases.dict_of(0) == {}


@pytest.mark.parametrize(
    ("mode", "error", "match"),
    [
        (0, SystemError, "entry 1 has no key"),
        (1, SystemError, "entry 1 has a int key"),
        (2, SystemError, "item 1 of its result is NULL"),
        (3, RuntimeError, "failed after filling"),
    ],
)
def test_dict_results_that_fail(cases, mode, error, match):
    with pytest.raises(error, match=match):
        cases.dict_fail(mode)
    few_blocks(lambda: pytest.raises(error, cases.dict_fail, mode), rounds=500)


def test_result_helpers_refuse_other_results(cases):
    with pytest.raises(SystemError, match="not the result of a function declared to return PYZ3_T_LIST"):
        cases.not_a_list()


# ---- the object API -----------------------------------------------------------------------------


def test_object_api(cases):
    assert cases.obj_len([1, 2, 3]) == 3
    with pytest.raises(TypeError, match="has no len"):
        cases.obj_len(1)
    assert cases.obj_getitem({"a": 1}, "a") == 1
    with pytest.raises(KeyError):
        cases.obj_getitem({}, "a")
    assert cases.obj_getitem_index([1, 2, 3], -1) == 3
    assert cases.obj_getitem_index({5: "five"}, 5) == "five"
    with pytest.raises(IndexError):
        cases.obj_getitem_index([], 0)
    target = [0, 0]
    cases.obj_setitem(target, 1, "x")
    assert target == [0, "x"]
    with pytest.raises(TypeError):
        cases.obj_setitem((1,), 0, 2)
    assert cases.obj_iter_sum([1, 2, 3]) == 6
    assert cases.obj_iter_sum(x for x in range(5)) == 10
    with pytest.raises(TypeError, match="not iterable"):
        cases.obj_iter_sum(1)
    with pytest.raises(TypeError):
        cases.obj_iter_sum(["a"])
    assert cases.dict_get({"k": [1]}, "k") == (True, [1])
    assert cases.dict_get({"k": 1}, "other") == (False, None)
    with pytest.raises(TypeError, match="expected a dict, not list"):
        cases.dict_get([], "k")
    assert cases.dict_items({"a": 1, "b": 2}) == [("a", 1), ("b", 2)]

    class Thing:
        pass

    t = Thing()
    cases.obj_setattr(t, "colour", "red")
    assert t.colour == "red" and cases.obj_getattr(t, "colour") == "red"
    with pytest.raises(AttributeError):
        cases.obj_getattr(t, "size")
    assert cases.raw_len_plus_one("abc") == 4


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        (None, {"none"}),
        (True, {"bool", "int"}),
        (3, {"int"}),
        (1.5, {"float"}),
        ("s", {"str"}),
        (b"b", {"bytes"}),
        (bytearray(), {"bytearray"}),
        ([], {"list"}),
        ((), {"tuple"}),
        ({}, {"dict"}),
        (set(), {"set"}),
        (frozenset(), {"frozenset"}),
        (len, {"callable"}),
        (int, {"callable"}),
    ],
)
def test_isinstance_against_builtins(cases, value, kinds):
    names = ["none", "bool", "int", "float", "str", "bytes", "bytearray", "list", "tuple", "dict", "set",
             "frozenset", "callable"]  # fmt: skip
    bits = cases.obj_kinds(value)
    assert {name for i, name in enumerate(names) if bits >> i & 1} == kinds
    with pytest.raises(SystemError, match="99 is not a PYZ3_PY_"):
        cases.obj_kind_unknown(value)


# ---- constants and exception classes --------------------------------------------------------------


def test_constants_are_module_attributes(m, cases):
    assert m.VERSION == "1.0" and isinstance(m.VERSION, str)
    assert m.MAX_WORDS == 1_000_000
    for name in ("VERSION", "MAX_WORDS", "ParseError"):
        assert name in dir(m) and name in m.__all__
    assert cases.I8_MIN == -128 and cases.U64_MAX == 2**64 - 1
    assert cases.HALF == 0.5 and float("inf") == cases.INF
    assert cases.TWO == 2.0 and type(cases.TWO) is float
    assert cases.FLAG is True and cases.NOTHING is None
    assert cases.NAME == "näme 'quoted'" and cases.DATA == b"\x00\xff"
    assert cases.PAIR == (1, "a")


def test_exception_classes(m, cases):
    err = m.ParseError
    assert issubclass(err, ValueError) and err.__name__ == "ParseError"
    assert err.__module__ == m.__name__
    assert "malformed" in err.__doc__
    assert issubclass(cases.CaseError, RuntimeError) and issubclass(cases.MissingError, KeyError)
    with pytest.raises(cases.CaseError, match="zero"):
        cases.raise_custom(0, "zero")
    with pytest.raises(KeyError):
        cases.raise_custom(1, "one")
    with pytest.raises(SystemError, match="has 2 exception classes"):
        cases.raise_custom(2, "two")
    with pytest.raises(cases.MissingError, match="released"):
        cases.raise_released("released")


def test_exception_instances_pickle(m):
    with pytest.raises(m.ParseError) as info:
        m.parse_pairs("nonsense")
    original = info.value
    original.note = "kept"
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is m.ParseError and copy.args == original.args and copy.note == "kept"

    # A Python subclass pickles as exceptions usually do: by its importable name.
    sub = type("SubParseError", (m.ParseError,), {"__module__": __name__})
    globals()["SubParseError"] = sub
    assert type(pickle.loads(pickle.dumps(sub("x")))) is sub


def test_exception_instances_unpickle_in_a_new_process(m):
    data = pickle.dumps(m.ParseError("sent"))
    code = (
        "import pickle, sys; e = pickle.loads(sys.stdin.buffer.read()); "
        "print(type(e).__name__, isinstance(e, ValueError), e.args[0])"
    )
    env = {"PYTHONPATH": str(BUILD / "python")}
    run = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, env=env, check=False)
    assert run.stdout.decode().split() == ["ParseError", "True", "sent"], run.stderr.decode()


# ---- signatures, describe() and stubs ---------------------------------------------------------------


def test_signatures_and_description(m):
    assert str(inspect.signature(m.lookup)) == "(d, key, default=-1)"
    desc = pyz3._pyz3.describe(m.__file__)
    functions = {f["name"]: f for f in desc["functions"]}
    assert functions["sum_list"]["params"][0]["annotation"] == "Sequence[int]"
    assert functions["minmax"]["return_annotation"] == "tuple[float, float]"
    assert functions["word_counts"]["return_annotation"] == "dict[str, int]"
    assert functions["apply"]["params"][0]["annotation"] == "Callable[..., Any]"
    assert functions["count_up"]["return_annotation"] == "Iterator[int]"
    assert [c["name"] for c in desc["constants"]] == ["VERSION", "MAX_WORDS"]
    assert desc["exceptions"] == [
        {"name": "ParseError", "doc": "parse_pairs was given malformed text.", "base": "ValueError"}
    ]


def test_stubs_describe_containers(m):
    from pyz3.cli import Plugin, stub_text

    text = stub_text(Plugin(m.__file__))
    assert "from collections.abc import Callable, Iterator, Sequence" in text
    for line in [
        "def sum_list(xs: Sequence[int]) -> int:",
        "def minmax(xs: Sequence[float]) -> tuple[float, float]:",
        "def split_words(text: str) -> list[str]:",
        "def lookup(d: dict[str, int], key: str, default: int = -1) -> int:",
        "def apply(f: Callable[..., Any], xs: Sequence[int]) -> list[int]:",
        "def count_up(n: int) -> Iterator[int]:",
        "VERSION: str",
        "MAX_WORDS: int",
        "class ParseError(ValueError):",
    ]:
        assert line in text, line
    compile(text, "containers.pyi", "exec")


# ---- broken descriptors ------------------------------------------------------------------------------

BAD = {
    "seq_elem_void": "parameter 'xs': elem is 0, not an element type (a sequence needs its element type",
    "seq_elem_compound": "parameter 'xs': elem 20 (PYZ3_T_LIST) cannot be the element type of a sequence",
    "dict_elem_unknown": "parameter 'd': elem is 99, not an element type",
    "seq_default": (
        'default value "[1]" is not None, not valid for a parameter of type sequence: '
        "it can only default to None"
    ),
    "callable_default": "not valid for a parameter of type callable: it can only default to None",
    "elem_on_scalar": "parameter 'x': elem must be 0 for a parameter of type int64, got 4",
    "list_param": "type code 20 (PYZ3_T_LIST) is only valid as a return type",
    "list_no_elem": "ret_elem is 0, not an element type (a list needs its element type there)",
    "iter_elem_sequence": "ret_elem 18 (PYZ3_T_SEQUENCE) cannot be the element type of an iterator",
    "tuple_no_items": "ret_item_count is 0; a tuple result has 1 to 64 items",
    "tuple_null_items": "ret_item_count is 2 but ret_items is NULL",
    "tuple_void_item": "ret_items[1] 0 (PYZ3_T_VOID) cannot be the element type of a tuple",
    "tuple_too_many": "ret_item_count is 65; a tuple result has 1 to 64 items",
    "items_on_list": "ret_item_count must be 0 for a result of type list, got 2",
    "sequence_result": "type code 18 (PYZ3_T_SEQUENCE) is only valid as a parameter type",
    "constant_not_literal": "constant 'C': value \"__import__('os')\" is not a Python literal",
    "constant_wrong_type": "value \"'one'\" has type str, not valid for a constant of type int64",
    "constant_out_of_range": "constant 'C': value \"256\" is out of range for uint8",
    "constant_bool_for_int": "constant 'C': value \"True\" is a bool, not int64",
    "constant_not_none": "the constant's type is void (None); got int",
    "constant_null_value": "constant 'C': value is NULL",
    "constant_compound_type": "constant 'C': type code 20 cannot be a constant's",
    "constant_dunder": "constant '__doc__': dunder names are the module's own",
    "constant_name_clash": "constant 'ok' has the name of a function",
    "constant_reserved": "constant 'C': reserved bytes must be 0",
    "constant_bad_name": 'constant #0 name "not a name" is not a Python identifier',
    "exception_bad_base": "exception 'E': base 99 is not a PYZ3_EXC_* kind",
    "exception_name_clash": "exception 'C' has the name of a constant",
    "exception_reserved": "exception 'E': reserved must be 0, got 0x1",
    "exception_keyword": 'exception #0 name "class" is a Python keyword',
    "constants_null": "constant_count is 2 but constants is NULL",
    "exception_size": "exception_size is 4; expected at least 20",
}


@pytest.mark.single_mode
@pytest.mark.parametrize("case", sorted(BAD))
def test_broken_container_descriptors_are_refused(case):
    path = TEST_PLUGINS / f"libbad_containers_{case}.so"
    assert path.exists(), f"{path} missing: run `make test-plugins`"
    with pytest.raises(pyz3.PluginLoadError) as info:
        pyz3.load(path)
    assert path.name in str(info.value) and BAD[case] in str(info.value), str(info.value)


def test_the_sample_plugin_is_where_the_tests_expect_it():
    assert (PLUGINS / "libcontainers.so").exists()


# ---- docs/containers.md --------------------------------------------------------------------------

DOC = ROOT / "docs" / "containers.md"
SAMPLE_SOURCES = {
    "c": ROOT / "plugins" / "c" / "containers" / "containers.c",
    "zig": ROOT / "plugins" / "zig" / "containers" / "containers.zig",
    "rust": ROOT / "plugins" / "rust" / "containers_rs" / "src" / "lib.rs",
}


def _stripped(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@pytest.mark.single_mode
def test_the_doc_snippets_are_the_sample_plugins_code():
    blocks = re.findall(r"```(c|zig|rust)\n(.*?)```", DOC.read_text(), re.S)
    assert {lang for lang, _ in blocks} == set(SAMPLE_SOURCES)
    sources = {lang: _stripped(path.read_text()) for lang, path in SAMPLE_SOURCES.items()}
    for lang, block in blocks:
        assert _stripped(block) in sources[lang], f"a {lang} block of {DOC} is not in {SAMPLE_SOURCES[lang]}"


@pytest.mark.single_mode
def test_the_doc_session_answers_as_shown():
    (session,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    # The session's `c = pyz3.load("build/plugins/...")`, wherever the build is.
    namespace = {"pyz3": pyz3, "c": pyz3.load(PLUGINS / "libcontainers.so")}
    lines = session.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith(">>> ") or line.startswith((">>> import ", ">>> c = ")):
            continue
        code, shown = line[4:], lines[i + 1]
        try:
            got = repr(eval(code, namespace))
        except Exception as exc:
            got = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        assert got == shown, code
