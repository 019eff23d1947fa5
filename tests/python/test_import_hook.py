"""tests/python/test_import_hook.py: pyz3.install_import_hook — found, not found, only the given
directories (never the current one implicitly), regular modules first, bad plugins reported."""

from __future__ import annotations

import importlib
import os
import shutil
import sys

import pytest

import pyz3
from support import TEST_PLUGINS, plugin_path

pytestmark = pytest.mark.single_mode


@pytest.fixture(autouse=True)
def restore_import_state(monkeypatch):
    """Every test leaves sys.meta_path, sys.modules and the current directory as it found them."""
    meta_path = list(sys.meta_path)
    modules = set(sys.modules)
    monkeypatch.chdir(os.getcwd())
    yield
    sys.meta_path[:] = meta_path
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    importlib.invalidate_caches()


def plugin_copy(directory, name: str):
    """libhello.so copied to ``directory/lib<name>.so``."""
    directory.mkdir(parents=True, exist_ok=True)
    return shutil.copy(plugin_path("hello"), directory / f"lib{name}.so")


def test_import_finds_the_plugin_in_a_given_directory(tmp_path):
    path = plugin_copy(tmp_path / "plugins", "hook_found")
    finder = pyz3.install_import_hook([tmp_path / "elsewhere", tmp_path / "plugins"])
    assert sys.meta_path[-1] is finder
    import hook_found

    assert hook_found.add(2, 3) == 5
    assert hook_found.__name__ == "hook_found"
    assert hook_found.add.__module__ == "hook_found"
    assert hook_found.__spec__.origin == str(path)
    assert sys.modules["hook_found"] is hook_found
    assert importlib.import_module("hook_found") is hook_found


def test_a_single_path_is_one_directory(tmp_path):
    plugin_copy(tmp_path, "hook_single")
    pyz3.install_import_hook(str(tmp_path))
    import hook_single

    assert hook_single.greet("x") == "hello, x"


def test_first_directory_wins(tmp_path):
    first = plugin_copy(tmp_path / "a", "hook_order")
    plugin_copy(tmp_path / "b", "hook_order")
    pyz3.install_import_hook([tmp_path / "a", tmp_path / "b"])
    import hook_order

    assert hook_order.__file__ == str(first)


def test_not_found_is_module_not_found(tmp_path):
    plugin_copy(tmp_path, "hook_other")
    pyz3.install_import_hook([tmp_path])
    with pytest.raises(ModuleNotFoundError):
        import hook_absent  # noqa: F401


def test_current_directory_is_not_searched_implicitly(tmp_path):
    plugin_copy(tmp_path / "cwd", "hook_cwd")
    os.chdir(tmp_path / "cwd")
    sys.path.insert(0, "")  # even with the current directory on sys.path
    try:
        pyz3.install_import_hook([tmp_path / "empty"])
        with pytest.raises(ModuleNotFoundError):
            import hook_cwd  # noqa: F401
    finally:
        sys.path.remove("")


def test_current_directory_when_passed_explicitly(tmp_path):
    plugin_copy(tmp_path / "cwd", "hook_dot")
    os.chdir(tmp_path / "cwd")
    pyz3.install_import_hook(".")
    os.chdir(tmp_path)  # resolved when installed: a later chdir changes nothing
    import hook_dot

    assert hook_dot.add(1, 1) == 2


def test_python_modules_on_sys_path_come_first(tmp_path, monkeypatch):
    plugin_copy(tmp_path / "plugins", "hook_shadow")
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "hook_shadow.py").write_text("KIND = 'python'\n")
    monkeypatch.syspath_prepend(str(tmp_path / "py"))
    pyz3.install_import_hook([tmp_path / "plugins"])
    import hook_shadow

    assert hook_shadow.KIND == "python"


def test_submodules_are_not_served(tmp_path):
    plugin_copy(tmp_path, "hook_sub")
    finder = pyz3.install_import_hook([tmp_path])
    assert finder.find_spec("pkg.hook_sub", None) is None
    assert finder.find_spec("hook_sub", ["/some/package/path"]) is None
    assert finder.find_spec("hook_sub", None) is not None


def test_uninstall(tmp_path):
    plugin_copy(tmp_path, "hook_gone")
    finder = pyz3.install_import_hook([tmp_path])
    finder.uninstall()
    assert finder not in sys.meta_path
    with pytest.raises(ModuleNotFoundError):
        import hook_gone  # noqa: F401


def test_a_broken_plugin_raises_plugin_load_error(tmp_path):
    pyz3.install_import_hook([TEST_PLUGINS])
    with pytest.raises(pyz3.PluginLoadError, match="built for pyz3 ABI 2.0"):
        import bad_major_mismatch  # noqa: F401
    assert "bad_major_mismatch" not in sys.modules


def test_bad_path_types_are_refused():
    with pytest.raises(TypeError):
        pyz3.install_import_hook([b"/bytes/path"])
    with pytest.raises(TypeError):
        pyz3.install_import_hook(42)
