"""tests/python/test_reliability2.py: the loader's Python side and pyz3-loader under hostile conditions.

Issue 15, items 1, 5-8 and the Python part of 11: a package rebuilt under a process that runs it,
fork() and a signal handler in the middle of ``pyz3.load``, paths through symbolic links and
files replaced after loading, crafted file and module names in generated code, and symbolic
links and foreign directories in the output of ``pyz3-loader build``. docs/reliability.md lists
each case. The scenarios that could hang or crash run in a subprocess with a deadline, so a
regression fails the test instead of the suite.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

import pyz3
from support import BUILD, ROOT, plugin_path, pyz3_loader

pytestmark = pytest.mark.single_mode

# Generous: these subprocesses take well under a second when nothing is wrong.
DEADLINE = 60


def run_python(code: str, *args: object, cwd=None) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter with pyz3 importable; a hang fails the test."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(BUILD / "python"), str(cwd or "")])))
    try:
        return subprocess.run(
            [
                sys.executable,
                "-W",
                "ignore::DeprecationWarning",
                "-c",
                textwrap.dedent(code),
                *map(str, args),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=DEADLINE,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the subprocess hung (no exit within {DEADLINE} s); stderr: {exc.stderr!r}")


def copy_plugin(name: str, dest) -> str:
    """A private copy of sample plugin ``lib<name>.so`` at ``dest`` (this test may replace it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(plugin_path(name), dest)
    return str(dest)


# ---- item 1: rebuilding a package under a running process -------------------------------------------

CALL_IN_A_LOOP = """
    import sys, threading
    import hello

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    print("ready", flush=True)
    calls = 0
    while not stop.is_set():
        assert hello.add(calls, 1) == calls + 1
        calls += 1
    print("survived", calls > 0)
"""


def test_rebuild_under_a_running_process_does_not_crash_it(tmp_path):
    site = tmp_path / "site"
    assert pyz3_loader("build", plugin_path("hello"), "-o", site).returncode == 0
    # Another plugin under the same file name: a rebuild that really changes the code.
    other = copy_plugin("gil_bench", tmp_path / "other" / "libhello.so")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(BUILD / "python")]))
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CALL_IN_A_LOOP)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert child.stdout.readline() == "ready\n", child.stderr.read()
        for _ in range(3):
            for source in (other, plugin_path("hello")):
                run = pyz3_loader("build", source, "-o", site, "--name", "hello")
                assert run.returncode == 0, run.stderr
        out, err = child.communicate("stop\n", timeout=DEADLINE)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, f"the process running the package died ({child.returncode}): {err}"
    assert out == "survived True\n"


def _inodes(directory) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in directory.iterdir()}


def test_every_file_build_and_stubs_write_is_replaced_not_rewritten(tmp_path):
    site, typings = tmp_path / "site", tmp_path / "typings"
    assert pyz3_loader("build", plugin_path("hello"), "-o", site).returncode == 0
    assert pyz3_loader("stubs", plugin_path("hello"), "-o", typings).returncode == 0
    before = {**_inodes(site / "hello"), **_inodes(typings)}
    with contextlib.ExitStack() as stack:
        # Open handles to the old files: they must keep seeing the old contents.
        held = {
            name: stack.enter_context(open(path / name, "rb"))
            for path in (site / "hello", typings)
            for name in _inodes(path)
        }
        old = {name: f.read() for name, f in held.items()}
        for f in held.values():
            f.seek(0)
        assert pyz3_loader("build", plugin_path("hello"), "-o", site).returncode == 0
        assert pyz3_loader("stubs", plugin_path("hello"), "-o", typings).returncode == 0
        after = {**_inodes(site / "hello"), **_inodes(typings)}
        assert sorted(after) == sorted(before)  # no temporary file left behind
        for name in before:
            assert after[name] != before[name], f"{name} was rewritten in place"
            assert held[name].read() == old[name]
    assert os.access(site / "hello" / "libhello.so", os.X_OK)


def _pep517_backend():
    spec = importlib.util.spec_from_file_location("pyz3_build", ROOT / "loader" / "pep517" / "pyz3_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pep517_backend_replaces_the_files_it_adds_to_a_source_tree(tmp_path):
    backend = _pep517_backend()
    backend.write_extras(str(tmp_path), "1.2.3", b"\x7fELF extension")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [
        "include/pyz3.h",
        "include/pyz3.zig",
        "include/pyz3_types.zig",
        "lib/libpyz3.so",
        "lib/pkgconfig/pyz3.pc",
    ]
    pc = tmp_path / "lib" / "pkgconfig" / "pyz3.pc"
    inode = pc.stat().st_ino
    with open(pc, "rb") as held:
        backend.write_extras(str(tmp_path), "9.9.9", b"\x7fELF extension")
        assert b"Version: 1.2.3" in held.read()
    assert pc.stat().st_ino != inode
    assert "Version: 9.9.9" in pc.read_text()
    assert (tmp_path / "lib" / "libpyz3.so").stat().st_mode & 0o777 == 0o755


# ---- item 5: fork() while another thread is inside pyz3.load ---------------------------------------

FORK_DURING_LOAD = """
    import os, sys, threading, time
    import pyz3

    first, second = sys.argv[1:3]
    real_load = pyz3._pyz3.load
    inside = threading.Event()

    def slow_load(path, name, *debug):
        inside.set()
        time.sleep(0.5)  # the other thread forks now, while this one holds pyz3's lock mid-load
        return real_load(path, name, *debug)

    pyz3._pyz3.load = slow_load
    loader = threading.Thread(target=pyz3.load, args=(first,))
    loader.start()
    inside.wait()
    forked = []

    def fork():
        pid = os.fork()
        if pid == 0:
            pyz3._pyz3.load = real_load
            try:
                ok = pyz3.load(second, name="loaded_in_child").add(2, 3) == 5
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        forked.append(pid)

    forker = threading.Thread(target=fork)
    forker.start()
    forker.join()
    loader.join()
    pyz3._pyz3.load = real_load
    for _ in range(400):
        pid, status = os.waitpid(forked[0], os.WNOHANG)
        if pid:
            break
        time.sleep(0.05)
    else:
        os.kill(forked[0], 9)
        os.waitpid(forked[0], 0)
        sys.exit("the child hung in pyz3.load (the loader's lock was inherited locked)")
    print("child", os.waitstatus_to_exitcode(status))
    print("parent", pyz3.load(first).add(2, 3), pyz3.load(second, name="loaded_in_parent").add(2, 3))
"""


def test_fork_while_another_thread_loads(tmp_path):
    first = copy_plugin("hello", tmp_path / "libfirst.so")
    second = copy_plugin("hello", tmp_path / "libsecond.so")
    run = run_python(FORK_DURING_LOAD, first, second)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["child 0", "parent 5 5"]


# ---- item 6: pyz3.load from a signal handler during a load -----------------------------------------

SIGNAL_DURING_LOAD = """
    import signal, sys
    import pyz3

    first, second = sys.argv[1:3]
    real_load = pyz3._pyz3.load
    from_handler = []

    def handler(signum, frame):
        from_handler.append(pyz3.load(first))
        from_handler.append(pyz3.load(second, name="other"))

    def load_interrupted(path, name, *debug):
        pyz3._pyz3.load = real_load
        signal.raise_signal(signal.SIGUSR1)  # the handler runs now, inside pyz3.load
        return real_load(path, name, *debug)

    signal.signal(signal.SIGUSR1, handler)
    pyz3._pyz3.load = load_interrupted
    outer = pyz3.load(first)
    assert len(from_handler) == 2
    print(outer is from_handler[0], outer is pyz3.load(first), outer.add(1, 2), from_handler[1].add(2, 2))
"""


def test_load_from_a_signal_handler_during_a_load(tmp_path):
    first = copy_plugin("hello", tmp_path / "libfirst.so")
    second = copy_plugin("hello", tmp_path / "libsecond.so")
    run = run_python(SIGNAL_DURING_LOAD, first, second)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "3", "4"]


# ---- item 7: paths -------------------------------------------------------------------------------------


def test_dot_dot_after_a_symlink_loads_what_open_opens(tmp_path):
    # a -> deep/sub, so a/../x/libp.so is deep/x/libp.so for the OS (and open()), while a lexical
    # normalisation makes it x/libp.so.
    copy_plugin("hello", tmp_path / "x" / "libp.so")
    copy_plugin("gil_bench", tmp_path / "deep" / "x" / "libp.so")
    (tmp_path / "deep" / "sub").mkdir()
    (tmp_path / "a").symlink_to(tmp_path / "deep" / "sub")
    tricky = f"{tmp_path}/a/../x/libp.so"
    with open(tricky, "rb") as f:
        assert f.read() == (tmp_path / "deep" / "x" / "libp.so").read_bytes()
    module = pyz3.load(tricky)
    assert module.__name__ == "gil_bench"
    assert module.__file__ == str(tmp_path / "deep" / "x" / "libp.so")
    # The cache holds it under the file it is, not under the string.
    assert pyz3.load(tmp_path / "deep" / "x" / "libp.so") is module
    assert pyz3.load(tmp_path / "x" / "libp.so").__name__ == "hello"


def test_import_hook_directories_resolve_like_the_os(tmp_path):
    copy_plugin("hello", tmp_path / "x" / "libhook_dotdot.so")
    copy_plugin("gil_bench", tmp_path / "deep" / "x" / "libhook_dotdot.so")
    (tmp_path / "deep" / "sub").mkdir()
    (tmp_path / "a").symlink_to(tmp_path / "deep" / "sub")
    finder = pyz3.install_import_hook(f"{tmp_path}/a/../x")
    try:
        import hook_dotdot  # type: ignore[import-not-found]

        assert hook_dotdot.__file__ == str(tmp_path / "deep" / "x" / "libhook_dotdot.so")
        assert "gil_held" in hook_dotdot.__all__
    finally:
        finder.uninstall()
        sys.modules.pop("hook_dotdot", None)


def test_get_include_resolves_dot_dot_like_the_os(tmp_path, monkeypatch):
    # A source-tree layout (pyz3.h three levels up) reached through a symlinked package directory.
    package = tmp_path / "real" / "loader" / "python" / "pyz3"
    package.mkdir(parents=True)
    (tmp_path / "real" / "include").mkdir()
    (tmp_path / "real" / "include" / "pyz3.h").write_text("/* stand-in */\n")
    (tmp_path / "link").symlink_to(package)
    monkeypatch.setattr(pyz3, "__file__", str(tmp_path / "link" / "__init__.py"))
    assert pyz3.get_include() == str(tmp_path / "real" / "include")


def test_the_same_file_under_two_paths_is_one_module(tmp_path):
    path = copy_plugin("hello", tmp_path / "libsame.so")
    os.link(path, tmp_path / "libsame_link.so")
    (tmp_path / "libsame_symlink.so").symlink_to(path)
    module = pyz3.load(path)
    assert pyz3.load(tmp_path / "libsame_link.so") is module
    assert pyz3.load(tmp_path / "libsame_symlink.so") is module


def test_a_replaced_file_is_a_clear_error_not_the_old_code(tmp_path):
    path = copy_plugin("hello", tmp_path / "libreplaced.so")
    module = pyz3.load(path)
    # A rebuild: another library renamed over the path (what build tools and pyz3-loader do).
    copy_plugin("gil_bench", tmp_path / "new.so")
    os.replace(tmp_path / "new.so", path)
    for name in (None, "replaced_as_another_name"):
        with pytest.raises(pyz3.PluginLoadError, match="was replaced after this process loaded it") as info:
            pyz3.load(path, name=name)
        assert info.value.path == path
    assert module.add(1, 2) == 3  # the loaded module keeps working
    # The new file loads from another path, as a new module.
    fresh = tmp_path / "fresh" / "libreplaced.so"
    fresh.parent.mkdir()
    shutil.copy(path, fresh)
    assert pyz3.load(fresh).__name__ == "gil_bench"


def test_a_function_pickled_before_its_file_was_replaced_unpickles_in_this_process(tmp_path):
    # The pickle names the path; this process (or a child forked from it) still has that module.
    path = copy_plugin("hello", tmp_path / "libpickled.so")
    add = pyz3.load(path).add
    data = pickle.dumps(add)
    copy_plugin("gil_bench", tmp_path / "new.so")
    os.replace(tmp_path / "new.so", path)
    again = pickle.loads(data)
    assert again.__self__ is add.__self__
    assert again(20, 22) == 42


def test_a_file_modified_in_place_is_a_clear_error(tmp_path):
    path = copy_plugin("hello", tmp_path / "libtouched.so")
    os.link(path, tmp_path / "libtouched_link.so")
    pyz3.load(path)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    for other in (path, tmp_path / "libtouched_link.so"):
        with pytest.raises(pyz3.PluginLoadError, match="was modified in place after this process loaded it"):
            pyz3.load(other)


# ---- item 8: code generation in pyz3-loader build and stubs ----------------------------------------

CRAFTED_FILE_NAMES = [
    'libevil""";open("PWNED","w").close();""".so',
    'libnl.so\nopen("PWNED", "w").close()\n#',
    "libquote'\\.so",
]


@pytest.mark.parametrize("file_name", CRAFTED_FILE_NAMES, ids=["triple-quote", "newline", "quote-backslash"])
def test_a_crafted_file_name_is_never_code(tmp_path, file_name):
    plugin = copy_plugin("hello", tmp_path / "src" / file_name)
    site = tmp_path / "site"
    run = pyz3_loader("build", plugin, "-o", site)
    assert run.returncode == 0, run.stderr
    run = pyz3_loader("stubs", plugin, "-o", tmp_path / "typings")
    assert run.returncode == 0, run.stderr
    for generated in (
        site / "hello" / "__init__.py",
        site / "hello" / "__init__.pyi",
        tmp_path / "typings" / "hello.pyi",
    ):
        tree = ast.parse(generated.read_text())
        # The name appears only as itself, in a string literal (or a comment, which ast drops).
        calls = [
            ast.unparse(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and "open" in ast.unparse(n.func)
        ]
        assert calls == [], (generated.name, calls)
        strings = [
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        assert all(s == file_name for s in strings if "PWNED" in s), (generated.name, strings)
    out = run_python("import hello; print(hello.add(2, 3), hello.__file__)", cwd=site)
    assert out.returncode == 0, out.stderr
    assert not (site / "PWNED").exists()
    assert out.stdout.split()[0] == "5"
    assert pyz3.load(site / "hello" / file_name).add(1, 1) == 2


def test_build_never_writes_through_a_symlink(tmp_path):
    site = tmp_path / "site"
    assert pyz3_loader("build", plugin_path("hello"), "-o", site).returncode == 0
    victims = {}
    for name in ("libhello.so", "__init__.pyi", "py.typed"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious\n")
        (site / "hello" / name).unlink()
        (site / "hello" / name).symlink_to(victim)
        victims[name] = victim
    run = pyz3_loader("build", plugin_path("hello"), "-o", site)
    assert run.returncode == 0, run.stderr
    for name, victim in victims.items():
        assert victim.read_text() == "precious\n", f"build wrote through the symlink {name}"
        assert not (site / "hello" / name).is_symlink()


def test_stubs_never_write_through_a_symlink(tmp_path):
    victim = tmp_path / "victim.pyi"
    victim.write_text("# Generated by pyz3-loader stubs from 'x'; do not edit.\nprecious\n")
    typings = tmp_path / "typings"
    typings.mkdir()
    (typings / "hello.pyi").symlink_to(victim)
    run = pyz3_loader("stubs", plugin_path("hello"), "-o", typings)
    assert run.returncode == 1
    assert "is a symbolic link" in run.stderr
    assert victim.read_text().endswith("precious\n")


def test_stubs_never_overwrite_a_stub_they_did_not_write(tmp_path):
    (tmp_path / "hello.pyi").write_text("def add(a: int, b: int) -> int: ...\n")
    run = pyz3_loader("stubs", plugin_path("hello"), "-o", tmp_path)
    assert run.returncode == 1
    assert "was not made by pyz3-loader stubs; not overwriting it" in run.stderr
    assert (tmp_path / "hello.pyi").read_text() == "def add(a: int, b: int) -> int: ...\n"


def _build_marker_package(directory) -> None:
    """A directory holding what a real build writes (so only the symlink is wrong)."""
    assert pyz3_loader("build", plugin_path("hello"), "-o", directory).returncode == 0


def test_build_refuses_a_package_directory_that_is_a_symlink(tmp_path):
    _build_marker_package(tmp_path / "elsewhere")
    site = tmp_path / "site"
    site.mkdir()
    (site / "hello").symlink_to(tmp_path / "elsewhere" / "hello")
    inodes = _inodes(tmp_path / "elsewhere" / "hello")
    run = pyz3_loader("build", plugin_path("hello"), "-o", site)
    assert run.returncode == 1
    assert "is a symbolic link" in run.stderr
    assert _inodes(tmp_path / "elsewhere" / "hello") == inodes


def test_build_refuses_an_init_that_is_a_symlink(tmp_path):
    _build_marker_package(tmp_path / "elsewhere")
    package = tmp_path / "site" / "hello"
    package.mkdir(parents=True)
    (package / "__init__.py").symlink_to(tmp_path / "elsewhere" / "hello" / "__init__.py")
    run = pyz3_loader("build", plugin_path("hello"), "-o", package.parent)
    assert run.returncode == 1
    assert "was not made by pyz3-loader build" in run.stderr
    assert sorted(p.name for p in package.iterdir()) == ["__init__.py"]


@pytest.mark.parametrize("content", [[], ["notes.txt"]], ids=["empty", "with-a-file"])
def test_build_never_writes_into_a_directory_it_did_not_make(tmp_path, content):
    package = tmp_path / "hello"
    package.mkdir()
    for name in content:
        (package / name).write_text("mine\n")
    run = pyz3_loader("build", plugin_path("hello"), "-o", tmp_path)
    assert run.returncode == 1
    assert "was not made by pyz3-loader build; not overwriting it" in run.stderr
    assert sorted(p.name for p in package.iterdir()) == content


@pytest.mark.parametrize("verb", ["build", "stubs"])
def test_a_standard_library_name_is_refused_unless_forced(tmp_path, verb):
    run = pyz3_loader(verb, plugin_path("hello"), "-o", tmp_path, "--name", "json")
    assert run.returncode == 1
    assert "would shadow the standard-library module 'json'" in run.stderr
    assert "--force-name" in run.stderr
    assert list(tmp_path.iterdir()) == []
    run = pyz3_loader(verb, plugin_path("hello"), "-o", tmp_path, "--name", "json", "--force-name")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / ("json" if verb == "build" else "json.pyi")).exists()


@pytest.mark.parametrize("name", ["pyz3", "__main__"])
def test_names_that_cannot_work_are_refused_even_when_forced(tmp_path, name):
    run = pyz3_loader("build", plugin_path("hello"), "-o", tmp_path, "--name", name, "--force-name")
    assert run.returncode == 1
    assert repr(name) in run.stderr
    assert list(tmp_path.iterdir()) == []


FAKE_PYZ3 = """
import types

def load(path, *, name):
    module = types.ModuleType(name)
    module.__pyz3_abi__ = (1, 0)
    module.__all__ = {names!r}
    for export in module.__all__:
        setattr(module, export, "plugin function " + export)
    return module
"""


def test_functions_named_like_the_generated_modules_helpers_are_exported(tmp_path):
    # The generated __init__.py names a few things of its own; a plugin function of the same
    # name must still be what the package exports. A stand-in pyz3 exports exactly those names.
    site = tmp_path / "site"
    assert pyz3_loader("build", plugin_path("hello"), "-o", site).returncode == 0
    tree = ast.parse((site / "hello" / "__init__.py").read_text())
    helpers = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        | {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        | {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        | {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}
    )
    helpers = [h for h in helpers if not h.startswith("__") and h.isidentifier() and "." not in h]
    assert helpers, "the test found no helper names in the template"
    fake = tmp_path / "fake" / "pyz3"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_PYZ3.format(names=helpers))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), str(site)]))
    code = (
        "import hello; print(all(getattr(hello, n, None) == 'plugin function ' + n for n in hello.__all__))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=DEADLINE
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True", helpers


# ---- item 11 (Python side): module names given to pyz3.load ------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "a b", "class", "1abc", "a-b", "a..b", ".a", "a.", "a.class", "x\0y", "\udcff"]
)
def test_load_refuses_names_that_are_no_module_name(name):
    with pytest.raises(ValueError, match="load\\(\\) argument 'name' must be a module name"):
        pyz3.load(plugin_path("hello"), name=name)


def test_load_accepts_dotted_and_unicode_module_names():
    assert pyz3.load(plugin_path("hello"), name="pkg.sub.hello").__name__ == "pkg.sub.hello"
    assert pyz3.load(plugin_path("hello"), name="héllo").add(1, 2) == 3
    with pytest.raises(TypeError, match="load\\(\\) argument 'name' must be str or None, not int"):
        pyz3.load(plugin_path("hello"), name=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("verb", ["build", "stubs"])
@pytest.mark.parametrize("name", ["ﬁle", "a.b", "class", "é-x"])
def test_cli_refuses_names_import_cannot_find(tmp_path, verb, name):
    # "ﬁle" is an identifier, but `import ﬁle` looks for "file" (NFKC): the package would be unimportable.
    run = pyz3_loader(verb, plugin_path("hello"), "-o", tmp_path, "--name", name)
    assert run.returncode == 1
    assert repr(name) in run.stderr
    assert list(tmp_path.iterdir()) == []
