"""tests/python/test_pickle.py: plugin functions pickle by reference (plugin path, module name,
function name), so multiprocessing pools run them under fork, spawn and forkserver — for modules
from pyz3.load, from the import hook and from ``pyz3-loader build`` — and a pickle still loads
where the plugin file has moved but its built module is importable."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

import pyz3
from support import BUILD, plugin_path

pytestmark = pytest.mark.single_mode

METHODS = ["fork", "spawn", "forkserver"]

# The module is loaded inside main(), so spawn and forkserver workers (which re-import the main
# script as __mp_main__) get the functions only by unpickling them.
POOL_SCRIPT = """\
import json, multiprocessing, os, sys

def load():
    how = sys.argv[1]
    if how == "load":
        import pyz3
        return pyz3.load(sys.argv[2])
    if how == "hook":
        import pyz3
        pyz3.install_import_hook(sys.argv[2])
    import hello
    return hello

def main():
    hello = load()
    out = {}
    for method in sys.argv[3].split(","):
        with multiprocessing.get_context(method).Pool(2) as pool:
            out[method] = {
                "greet": pool.map(hello.greet, ["a", "b", "c"]),
                "add": pool.starmap(hello.add, [(1, 2), (3, 4), (2**40, 1)]),
                "echo": pool.map(hello.echo_i64, range(4)),
            }
            out[method]["worker_pid_differs"] = pool.apply(os.getpid) != os.getpid()
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""

EXPECTED = {
    "greet": ["hello, a", "hello, b", "hello, c"],
    "add": [3, 7, 2**40 + 1],
    "echo": [0, 1, 2, 3],
    "worker_pid_differs": True,
}


def _run(tmp_path, code: str, *args: object, pythonpath=()) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*map(str, pythonpath), str(BUILD / "python")]))
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def _build(site) -> None:
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    run = subprocess.run(
        [sys.executable, "-m", "pyz3", "build", str(plugin_path("hello")), "-o", str(site)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr


def _check_pool(run: subprocess.CompletedProcess[str]) -> None:
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert sorted(results) == sorted(METHODS)
    for method, got in results.items():
        assert got == EXPECTED, method


def test_pickle_round_trip_in_process(hello):
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        for func in (hello.add, hello.describe, hello.raw_add):
            again = pickle.loads(pickle.dumps(func, protocol))
            assert again == func
            assert again.__self__ is func.__self__
    assert pickle.loads(pickle.dumps(hello.add))(20, 22) == 42


def test_load_by_declared_name_is_the_same_module_either_way(tmp_path):
    first, second = tmp_path / "libfirst.so", tmp_path / "libsecond.so"
    shutil.copy(plugin_path("hello"), first)
    shutil.copy(plugin_path("hello"), second)
    assert pyz3.load(first) is pyz3.load(first, name="hello")
    assert pyz3.load(second, name="hello") is pyz3.load(second)
    assert pyz3.load(second, name="other") is not pyz3.load(second)


def test_pickle_refers_to_plugin_path_and_names(hello):
    # By reference: the pickle names the plugin file, the module and the function, and holds
    # no machine code or descriptor data.
    data = pickle.dumps(hello.add)
    assert str(pathlib.Path(hello.__file__).resolve()).encode() in data
    assert b"_function_owner" in data
    assert len(data) < 300


def test_pool_with_pyz3_load(tmp_path):
    _check_pool(_run(tmp_path, POOL_SCRIPT, "load", plugin_path("hello"), ",".join(METHODS)))


def test_pool_with_the_import_hook(tmp_path):
    _check_pool(_run(tmp_path, POOL_SCRIPT, "hook", plugin_path("hello").parent, ",".join(METHODS)))


def test_pool_with_a_built_module(tmp_path):
    site = tmp_path / "site"
    _build(site)
    _check_pool(_run(tmp_path, POOL_SCRIPT, "built", "-", ",".join(METHODS), pythonpath=[site]))


def test_unpickle_where_the_plugin_moved_imports_the_built_module(tmp_path):
    # Dask/Ray workers on another machine: the plugin path in the pickle does not exist there,
    # but the built module is installed (here: at another path) and is imported by name.
    old, new = tmp_path / "old", tmp_path / "new"
    _build(old)
    dumped = _run(
        tmp_path,
        "import hello, pickle, sys\nsys.stdout.write(pickle.dumps(hello.add).hex())\n",
        pythonpath=[old],
    )
    assert dumped.returncode == 0, dumped.stderr
    assert str(old).encode().hex() in dumped.stdout
    shutil.copytree(old, new)
    shutil.rmtree(old)
    code = textwrap.dedent(f"""\
        import pickle
        add = pickle.loads(bytes.fromhex({dumped.stdout!r}))
        import hello
        print(add(40, 2), add == hello.add, hello.__file__)
    """)
    loaded = _run(tmp_path, code, pythonpath=[new])
    assert loaded.returncode == 0, loaded.stderr
    result, same, file = loaded.stdout.split()
    assert (result, same, file) == ("42", "True", str(new / "hello" / "__init__.py"))


def test_unpickle_without_the_plugin_or_its_module_names_both():
    with pytest.raises(pyz3.PluginLoadError) as info:
        pyz3._function_owner("/nonexistent/libgone.so", "gone_module_xyz", "add")
    message = str(info.value)
    assert "/nonexistent/libgone.so does not exist" in message
    assert "'gone_module_xyz' cannot be imported" in message


def test_unpickle_refuses_a_module_without_that_plugin_function():
    with pytest.raises(pyz3.PluginLoadError, match="json has no pyz3 function 'dumps'"):
        pyz3._function_owner("/nonexistent/libjson.so", "json", "dumps")
