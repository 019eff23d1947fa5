"""tests/python/test_guides.py: the examples of the guides (docs/memory.md, errors.md,
threads.md, types.md, the class in rust.md) and the C, Zig and Rust tabs of docs/quickstart.md
and docs/classes.md build, load and behave as the text says."""

from __future__ import annotations

import builtins
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import threading

import pytest

import pyz3
from support import BUILD, ROOT

pytestmark = pytest.mark.single_mode


def _block(doc: str, lang: str, *after: str) -> str:
    """The first `lang` code block after the texts `after` (found in that order) in docs/`doc`."""
    text = (ROOT / "docs" / doc).read_text()
    marks = ".*?".join(re.escape(a) for a in after)
    match = re.search(marks + r".*?\n( *)```" + lang + r"\n(.*?)\n *```", text, re.S)
    assert match, f"no {lang} block after {after!r} in docs/{doc}"
    indent = len(match.group(1))
    return "\n".join(line[indent:] for line in match.group(2).split("\n")) + "\n"


def _run_sh(script: str, cwd: pathlib.Path) -> None:
    """Runs a shell block of the docs as written, in `cwd` (laid out like the repository root)."""
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyz3.__file__).parents[1]), CARGO_NET_OFFLINE="true")
    out = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _repo_like(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory laid out like the repository's root (each entry a link to this checkout's),
    where the docs' relative paths (include/, build/lib, sdk/, .venv) lead to its files, and files
    the examples write stay out of the checkout."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    for entry in ROOT.iterdir():
        if entry.name not in ("build", "target", ".git"):
            (tmp_path / entry.name).symlink_to(entry)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "lib").symlink_to(BUILD / "lib")
    return tmp_path


def _c_example(tmp_path: pathlib.Path, doc: str, name: str):
    """Writes `name`.c from the block after "`name.c`:" in the guide, runs the guide's gcc line,
    loads the result."""
    root = _repo_like(tmp_path)
    (root / f"{name}.c").write_text(_block(doc, "c", f"`{name}.c`:"))
    _run_sh(_block(doc, "sh", f"`{name}.c`:"), root)
    return pyz3.load(root / f"lib{name}.so")


def test_memory_example(tmp_path):
    w = _c_example(tmp_path, "memory.md", "words")
    assert w.words("to be or not") == ["to", "be", "or", "not"]
    assert w.words("  spaced   out ") == ["spaced", "out"]
    assert w.words("") == []
    assert w.upper("pyz3 é") == "PYZ3 é"
    with pytest.raises(TypeError, match=r"^words\(\) argument 'text' must be str, not int$"):
        w.words(42)


def test_memory_leak_check_snippet(tmp_path):
    # The guide's test, run with what its fixtures give: pyz3_load (paths from the test's root
    # directory, here tmp_path) and pyz3_leak_check.
    from pyz3.pytest_plugin import LeakCheck

    w = _c_example(tmp_path, "memory.md", "words")
    namespace: dict = {}
    exec(_block("memory.md", "python", "a pytest fixture that installed pyz3 registers"), namespace)
    leak_check = LeakCheck()
    namespace["test_words_does_not_leak"](lambda path: pyz3.load(tmp_path / path), leak_check)
    assert leak_check(w.upper, "abc") == "ABC"


def test_errors_example(tmp_path):
    ports = _c_example(tmp_path, "errors.md", "ports")
    assert ports.parse_port("8080") == 8080
    with pytest.raises(ValueError, match="^parse_port: not a number$"):
        ports.parse_port("80a")
    with pytest.raises(ValueError, match=r"^parse_port: out of range 1\.\.65535$"):
        ports.parse_port("70000")
    with pytest.raises(ValueError, match="^parse_port: expected 1 to 5 digits$"):
        ports.parse_port("")
    assert ports.port_or(443) == 443
    assert ports.port_or("https", 443) == 443
    assert ports.port_or(-1) is None
    assert ports.port_or(2**70, "x") == "x"
    assert str(inspect.signature(ports.port_or)) == "(value, default=None)"


def test_errors_messages_of_the_loader():
    # The first block of docs/errors.md, line by line against its comments.
    hello = pyz3.load(BUILD / "plugins" / "libhello.so")
    source = _block("errors.md", "python", "## What the plugin never sees")
    calls = [line for line in source.splitlines() if line.startswith("hello.")]
    assert len(calls) == 4
    for line in calls:
        call, expected = (part.strip() for part in line.split("#", 1))
        kind, message = expected.split(": ", 1)
        with pytest.raises(getattr(builtins, kind)) as info:
            eval(call, {"hello": hello})
        assert str(info.value).startswith(message.replace("(...)", "").rstrip()), (call, info.value)


def test_threads_example(tmp_path):
    t = _c_example(tmp_path, "threads.md", "threads")
    assert t.double_on_thread(21) == 42
    results: list[int] = []
    workers = [threading.Thread(target=lambda: results.append(t.sum_to(10_000_000))) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [50000005000000] * 4
    assert t.sum_to(0) == 0


def test_types_example(tmp_path):
    c = _c_example(tmp_path, "types.md", "clamp")
    assert c.clamp(5, high=3) == 3.0
    assert c.clamp(-2, 0) == 0.0
    assert c.clamp(7) == 7.0
    assert c.clamp(1, None, 0.5) == 0.5
    assert str(inspect.signature(c.clamp)) == "(x, low=None, high=None)"
    with pytest.raises(
        TypeError, match=r"^clamp\(\) argument 'x' must be a real number \(float or int\), not str$"
    ):
        c.clamp("7")


def _check_quickstart_plugin(m, *, checks_overflow: bool) -> None:
    # docs/quickstart.md, "4. Load it", for a plugin written in any of the three languages.
    assert m.__doc__ == "My first pyz3 plugin."
    assert (m.add(2, 3), m.add(2), m.add(a=2, b=5), m.shout("hi")) == (5, 3, 7, "hi!")
    assert str(inspect.signature(m.add)) == "(a, b=1)"
    assert m.add.__doc__.splitlines()[-1] == "Add two integers."
    with pytest.raises(TypeError, match=r"^add\(\) argument 'a' must be int, not str$"):
        m.add("x", 1)
    with pytest.raises(OverflowError, match=r"^add\(\) argument 'a' out of range for int64"):
        m.add(2**63, 1)
    with pytest.raises(ValueError, match="^shout: text too long$"):
        m.shout("x" * 300)
    if checks_overflow:
        with pytest.raises(OverflowError):
            m.add(2**63 - 1, 1)


def test_quickstart_c_tab(tmp_path):
    root = _repo_like(tmp_path)
    (root / "myplugin.c").write_text(_block("quickstart.md", "c", "`myplugin.c`:"))
    _run_sh(_block("quickstart.md", "sh", "## 3. Build it", "<!-- tab: C -->"), root)
    _check_quickstart_plugin(pyz3.load(root / "libmyplugin.so"), checks_overflow=False)


def test_quickstart_zig_tab(tmp_path):
    root = _repo_like(tmp_path)
    (root / "myplugin.zig").write_text(_block("quickstart.md", "zig", "`myplugin.zig`:"))
    _run_sh(_block("quickstart.md", "sh", "## 3. Build it", "<!-- tab: Zig -->"), root)
    _check_quickstart_plugin(pyz3.load(root / "libmyplugin.so"), checks_overflow=True)


def test_quickstart_rust_tab(tmp_path):
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    root = _repo_like(tmp_path)
    crate = root / "myplugin"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text(_block("quickstart.md", "rust", "`myplugin/src/lib.rs`:"))
    (crate / "Cargo.toml").write_text(_block("quickstart.md", "toml", "`myplugin/Cargo.toml`"))
    (crate / "build.rs").write_text(_block("quickstart.md", "rust", "`myplugin/build.rs`"))
    _run_sh(_block("quickstart.md", "sh", "## 3. Build it", "<!-- tab: Rust -->"), root)
    _check_quickstart_plugin(pyz3.load(root / "libmyplugin.so"), checks_overflow=True)


def _check_tally(m) -> None:
    # docs/classes.md, "A first class", for the class written in any of the three languages.
    assert m.__doc__ == "A class example."
    t = m.Tally()
    assert (t.add(), t.add(5), t.total, repr(t)) == (1, 6, 6, "Tally(6)")
    assert m.Tally(start=3).total == 3
    assert m.Tally.__doc__.splitlines()[-1] == "A running total."
    assert str(inspect.signature(m.Tally)) == "(start=0)"
    assert str(inspect.signature(m.Tally.add)) == "(self, /, n=1)"
    with pytest.raises(AttributeError, match="'total'"):
        t.total = 0
    with pytest.raises(TypeError, match=r"^Tally\(\) argument 'start' must be int, not str$"):
        m.Tally("x")
    with pytest.raises(OverflowError, match="Tally.add: overflow"):
        m.Tally(2**63 - 1).add()


def test_classes_c_tab(tmp_path):
    root = _repo_like(tmp_path)
    (root / "tally.c").write_text(_block("classes.md", "c", "`tally.c`:"))
    _run_sh(_block("classes.md", "sh", "Build it as in the", "<!-- tab: C -->"), root)
    _check_tally(pyz3.load(root / "libtally.so"))


def test_classes_zig_tab(tmp_path):
    root = _repo_like(tmp_path)
    (root / "tally.zig").write_text(_block("classes.md", "zig", "`tally.zig`:"))
    _run_sh(_block("classes.md", "sh", "Build it as in the", "<!-- tab: Zig -->"), root)
    _check_tally(pyz3.load(root / "libtally.so"))


def test_classes_rust_tab(tmp_path):
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    root = _repo_like(tmp_path)
    crate = root / "tally"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text(_block("classes.md", "rust", "`tally/src/lib.rs`:"))
    # The quick start's Cargo.toml and build.rs, with the crate renamed (as the guide says).
    toml = _block("quickstart.md", "toml", "`myplugin/Cargo.toml`")
    (crate / "Cargo.toml").write_text(toml.replace('"myplugin"', '"tally"'))
    (crate / "build.rs").write_text(_block("quickstart.md", "rust", "`myplugin/build.rs`"))
    _run_sh(_block("classes.md", "sh", "Build it as in the", "<!-- tab: Rust -->"), root)
    _check_tally(pyz3.load(root / "libtally.so"))


def test_classes_cycle_example(tmp_path, monkeypatch):
    # docs/classes.md, "Python references in native state", run where build/plugins is the
    # build's (the block's path is relative to the repository's root).
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "plugins").symlink_to(BUILD / "plugins")
    monkeypatch.chdir(tmp_path)
    before = pyz3.load(BUILD / "plugins" / "libclasses.so").live_count()
    namespace: dict = {}
    exec(_block("classes.md", "python", "## Python references in native state"), namespace)
    m = namespace["m"]
    assert "n" not in namespace and m.live_count() == before


def test_rust_guide_class(tmp_path):
    # docs/rust.md, "Classes": the example builds and behaves as its docs say.
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    root = _repo_like(tmp_path)
    crate = root / "counter_rs"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text(_block("rust.md", "rust", "## Classes"))
    toml = _block("quickstart.md", "toml", "`myplugin/Cargo.toml`")
    (crate / "Cargo.toml").write_text(toml.replace('"myplugin"', '"counter_rs"'))
    (crate / "build.rs").write_text(_block("quickstart.md", "rust", "`myplugin/build.rs`"))
    _run_sh('(cd counter_rs && PYZ3_LIB_DIR="$PWD/../build/lib" cargo build --release --quiet)', root)
    m = pyz3.load(crate / "target" / "release" / "libcounter_rs.so")
    c = m.Counter(5)
    assert (c.inc(), c.inc(by=3), c.value) == (6, 9, 9)
    c.value = 1
    assert c.value == 1 and m.Counter.inc.__doc__ == "Add `by`; the new value."
    with pytest.raises(OverflowError, match="inc"):
        m.Counter(2**63 - 1).inc()
