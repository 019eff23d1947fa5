"""tests/python/test_load_errors.py: every bad plugin is an ImportError naming the file and why.

The broken plugins are built from tests/plugins/bad_plugin.c (one -DCASE_* each, listed in the
Makefile's BAD_CASES and tests/reliability.mk); raw bad files are made here. After each failure
the interpreter keeps working and a good plugin still loads. docs/reliability.md lists them all.
"""

from __future__ import annotations

import os
import shutil

import pytest

import pyz3
from support import TEST_PLUGINS, plugin_path

BAD = {
    "no_entry": "does not export 'pyz3_plugin_entry'",
    "null_entry": "pyz3_plugin_entry() returned NULL",
    "wild_pointer": "cannot read the descriptor header",
    "bad_magic": "not a pyz3 descriptor (magic 0x12345678",
    "major_mismatch": "built for pyz3 ABI 2.0 (pyz3_plugin_entry), but this runtime serves ABI 1.x",
    "newer_minor": "newer than this runtime's ABI 1.1: upgrade pyz3",
    "small_struct": "struct_size is 8, smaller than the ABI 1.0 descriptor",
    "null_name": "function #0: name: NULL pointer",
    "empty_name": "function #0 name is empty",
    "bad_identifier": "is not a Python identifier",
    "keyword_name": "is a Python keyword",
    "duplicate_name": "duplicate function name 'ok'",
    "null_fn": "both 'fn' and 'raw' are NULL",
    "unknown_type": "parameter 'x': unknown type code 99",
    "void_param": "only valid as a return type",
    "unknown_return": "unknown return type code 42",
    "unknown_flags": "unknown flags bits 0x80",
    "too_many_params": "param_count is 65, more than the limit of 64",
    "bad_default": "has type str, not valid for a parameter of type int64",
    "default_out_of_range": "is out of range for uint8",
    "default_not_literal": "is not a Python literal",
    "duplicate_param": "duplicate parameter name 'x'",
    "null_param_name": "parameter #0 name: NULL pointer",
    "default_order": "parameter without a default follows one with a default",
    "bad_module_name": 'module name "bad module" is not a Python identifier',
    "absurd_count": "function_count is 1000000, more than the limit of 4096",
    "wrong_function_size": "function_size is 8",
    "unterminated_name": "no terminating NUL before unreadable memory",
    # tests/reliability.mk
    "unterminated_doc": "function 'ok': doc: no terminating NUL within 65536 bytes",
    "unterminated_default": "parameter 'x': default value: no terminating NUL before unreadable memory",
    "long_name": "function #0: name: no terminating NUL within 255 bytes",
    "non_utf8_name": "function #0: name: not valid UTF-8",
    "non_utf8_doc": "function 'ok': doc: not valid UTF-8",
    "unicode_identifier": 'function #0 name "café" is not a Python identifier',
    "both_fn_and_raw": "both 'fn' and 'raw' are set",
    "null_functions": "function_count is 1 but functions is NULL",
    "null_params": "function 'ok': param_count is 1 but params is NULL",
    "wild_functions": "function #0: cannot read its definition: unreadable memory at 0x10",
    "wild_name": "function #0: name: unreadable memory at 0x1000",
    "raw_release_gil": "PYZ3_FN_RELEASE_GIL cannot be used with a raw function",
    "header_reserved": "header field 'reserved' must be 0, got 0x1",
    "descriptor_flags": "descriptor field 'flags' has unknown bits 0x4",
    "huge_struct": "struct_size 1048576 is implausibly large",
    "unknown_param_flags": "parameter 'x': unknown flags bits 0x40",
    "unknown_return_flags": "unknown return_flags bits 0x10",
    "wrong_param_size": "param_size is 4; expected sizeof(pyz3_param)",
    "default_none_not_optional": "is None, but the parameter is not optional",
    "kwonly_positional_only": "keyword-only parameter in a PYZ3_FN_POSITIONAL_ONLY function",
    "positional_after_kwonly": "parameter 'y': positional parameter after a keyword-only one",
    "null_module_name": "module name: NULL pointer",
    "param_reserved": "parameter 'x': ndim must be 0 for a parameter of type int64, got 1",
    "result_facts": "function 'ok': ret_ndim must be 0 for a result of type int64, got 1",
    "wild_fn": "function 'ok': 'fn' is 0x1000, which is not in the plugin's code",
    "data_fn": "which is not in the plugin's code (a wild or data pointer would crash",
    "data_entry": "'pyz3_plugin_entry' is not a function of this library",
    "dunder_name": 'function #0 name "__all__" is a dunder name, reserved for Python\'s own module',
    "dunder_getattr": 'function #0 name "__getattr__" is a dunder name',
    "raise_in_entry": "plugin code raised ValueError: raised by the entry point while the library",
    "raise_in_constructor": "plugin code raised RuntimeError: raised by a library constructor while the",
    "default_ellipsis": "parameter 'x': default value is of type ellipsis, which a signature cannot show",
    "default_complex": "parameter 'x': default value is of type complex, which a signature cannot show",
    "default_list": "parameter 'x': default value is of type list, which a signature cannot show",
}


def _expect_load_error(path, reason: str) -> pyz3.PluginLoadError:
    with pytest.raises(ImportError) as info:
        pyz3.load(path)
    err = info.value
    assert isinstance(err, pyz3.PluginLoadError)
    message = str(err)
    assert os.path.basename(str(path)) in message, message
    assert reason in message, message
    return err


@pytest.mark.parametrize("case", sorted(BAD))
def test_broken_descriptor_is_refused(case):
    path = TEST_PLUGINS / f"libbad_{case}.so"
    assert path.exists(), f"{path} missing: run `make test-plugins`"
    err = _expect_load_error(path, BAD[case])
    assert err.path == str(path.resolve())


def test_missing_file():
    _expect_load_error("/nonexistent/libnothing.so", "no such file")


def test_directory(tmp_path):
    d = tmp_path / "libdir.so"
    d.mkdir()
    _expect_load_error(d, "is a directory")


def test_empty_file(tmp_path):
    f = tmp_path / "libempty.so"
    f.write_bytes(b"")
    _expect_load_error(f, "not a shared library (no ELF header)")


def test_text_file(tmp_path):
    f = tmp_path / "libtext.so"
    f.write_text("this is not an ELF file\n")
    _expect_load_error(f, "not a shared library (no ELF header)")


def test_truncated_library(tmp_path):
    data = plugin_path("hello").read_bytes()
    f = tmp_path / "libtruncated.so"
    f.write_bytes(data[: len(data) // 3])
    _expect_load_error(f, "truncated")


def test_library_for_another_architecture(tmp_path):
    data = bytearray(plugin_path("hello").read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
    f = tmp_path / "libarm.so"
    f.write_bytes(bytes(data))
    _expect_load_error(f, "built for AArch64, but this process runs on x86-64")


@pytest.mark.parametrize(
    ("offset", "value", "reason"),
    [
        (4, b"\x01", "not a 64-bit ELF file"),  # EI_CLASS = ELFCLASS32
        (5, b"\x02", "not a little-endian ELF file"),  # EI_DATA = ELFDATA2MSB
        (56, b"\x00\x00", "bad program header table"),  # e_phnum = 0
        (54, b"\x08\x00", "bad program header table"),  # e_phentsize = 8
        (32, (2**40).to_bytes(8, "little"), "truncated: the program header table ends"),  # e_phoff
    ],
)
def test_corrupt_elf_header(tmp_path, offset, value, reason):
    data = bytearray(plugin_path("hello").read_bytes())
    data[offset : offset + len(value)] = value
    f = tmp_path / "libcorrupt.so"
    f.write_bytes(bytes(data))
    _expect_load_error(f, reason)


def test_header_only_file(tmp_path):
    f = tmp_path / "libheader.so"
    f.write_bytes(plugin_path("hello").read_bytes()[:40])
    _expect_load_error(f, "truncated ELF header")


def test_not_a_regular_file(tmp_path):
    _expect_load_error("/dev/null", "is not a regular file")
    fifo = tmp_path / "libfifo.so"
    os.mkfifo(fifo)
    _expect_load_error(fifo, "is not a regular file")


def test_paths_the_loader_never_opens():
    with pytest.raises(pyz3.PluginLoadError, match="empty path"):
        pyz3.load("")
    with pytest.raises(pyz3.PluginLoadError, match="contains a NUL byte"):
        pyz3.load("/tmp/lib\0x.so")
    with pytest.raises(pyz3.PluginLoadError, match="not valid UTF-8"):
        pyz3.load("/tmp/lib\udcff.so")


def test_object_file_that_is_not_a_shared_library(tmp_path):
    data = bytearray(plugin_path("hello").read_bytes())
    data[16:18] = (1).to_bytes(2, "little")  # e_type = ET_REL
    f = tmp_path / "librel.so"
    f.write_bytes(bytes(data))
    _expect_load_error(f, "ELF type is not ET_DYN")


def test_library_with_unresolvable_dependency(tmp_path):
    # A real ELF shared library that dlopen refuses: its soname dependency cannot be found.
    data = plugin_path("hello").read_bytes().replace(b"libpyz3.so.1", b"libpyz9.so.1")
    f = tmp_path / "libdep.so"
    f.write_bytes(data)
    _expect_load_error(f, "libpyz9.so.1")


def test_path_types():
    with pytest.raises(TypeError):
        pyz3.load(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pyz3.load(b"/bytes/path")  # type: ignore[arg-type]


def test_bare_name_is_never_searched_for(tmp_path, monkeypatch):
    # A bare file name is neither looked up in the library search path nor in the current
    # directory, even when a plugin of that name is there: the caller must say where it is.
    shutil.copy(plugin_path("hello"), tmp_path / "libhello_here.so")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(plugin_path("hello").parent))
    with pytest.raises(
        pyz3.PluginLoadError, match=r"a bare file name is not searched for.*'\./libhello_here\.so'"
    ):
        pyz3.load("libhello_here.so")
    with pytest.raises(pyz3.PluginLoadError, match="a bare file name is not searched for"):
        pyz3.load("libhello.so")
    with pytest.raises(pyz3.PluginLoadError, match="a bare file name is not searched for"):
        pyz3._pyz3.load("libhello_here.so", None)
    # A relative path with a directory part is opened, relative to the current directory.
    m = pyz3.load("./libhello_here.so", name="hello_here")
    assert m.add(1, 2) == 3
    assert m.__file__ == str(tmp_path / "libhello_here.so")


def test_interpreter_survives_and_next_load_works(tmp_path):
    for case in sorted(BAD):
        with pytest.raises(ImportError):
            pyz3.load(TEST_PLUGINS / f"libbad_{case}.so")
    copy = tmp_path / "libhello_copy.so"
    shutil.copy(plugin_path("hello"), copy)
    m = pyz3.load(copy, name="hello_copy")
    assert m.add(1, 2) == 3


def test_load_is_cached_and_name_can_be_overridden(hello):
    assert pyz3.load(hello.__file__) is hello
    other = pyz3.load(hello.__file__, name="hello_renamed")
    assert other is not hello
    assert other.__name__ == "hello_renamed"
    assert other.add.__module__ == "hello_renamed"
    assert other.add(1, 2) == 3
