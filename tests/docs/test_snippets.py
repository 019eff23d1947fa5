"""tests/docs/test_snippets.py: every code block of README.md and docs/*.md runs as written.

One test per page (a new page is picked up without a change here): its blocks run in order in a
scratch directory laid out like a project next to a pyz3 checkout — `../pyz3` is this checkout,
and the checkout's directories (`include`, `build`, `plugins`, ...) are also linked into the
directory itself, for the pages written from inside a checkout — with a fresh virtualenv active
(nothing installed: a page installs the wheel, or sets PYTHONPATH=build/python, as its text
says). The rules for blocks are in snippets.py; `make test-docs` runs this after `make wheel`.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import snippets

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Blocks that build with Zig or cargo the first time can take minutes on these machines.
TIMEOUT = 1800
# Set by bash itself, not by a block.
SHELL_VARIABLES = {"PWD", "OLDPWD", "SHLVL", "_", "SHELLOPTS", "BASHOPTS", "PS1", "PS2", "PS4"}


class Session:
    """The scratch directory, environment and virtualenv one page's blocks share."""

    def __init__(self, root: pathlib.Path, page: pathlib.Path) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir()
        (root / "pyz3").symlink_to(ROOT)
        for entry in ROOT.iterdir():
            # .venv: the pages written from inside a checkout use its Zig (.venv/py3.X).
            linked = entry.name == ".venv" or not entry.name.startswith(".")
            if entry.is_dir() and linked and entry.name != "target":
                (self.work / entry.name).symlink_to(entry)
        # cargo's target directory outlives the scratch directory, so a page's crate builds
        # incrementally from one `make test` to the next.
        target = BUILD / "cargo" / "docs" / page.stem
        target.mkdir(parents=True, exist_ok=True)
        (self.work / "target").symlink_to(target)
        self.venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYZ3_", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["CARGO_NET_OFFLINE"] = "true"  # the registry crates are cached by the build
        env.pop("CARGO_TARGET_DIR", None)
        self.env = env
        self.count = 0

    def path_in_work(self, name: str) -> pathlib.Path:
        """Where a block's file goes; never through a link into the repository."""
        path = (self.work / name).resolve()
        if not path.is_relative_to(self.work.resolve()) or any(
            p.is_symlink() for p in [self.work / name, *(self.work / name).parents] if p != self.work
        ):
            pytest.fail(f"{name}: a block may only write files inside its scratch directory")
        return path

    def sh(self, script: str, where: str) -> str:
        """Runs ``script`` in bash as one step of the session: variables it assigns are kept for
        the next blocks (`set -a` exports them)."""
        self.count += 1
        env_dump = self.root / f"env{self.count}"
        script_path = self.root / f"block{self.count}.sh"
        script_path.write_text(script)
        wrapper = (
            f"set -euo pipefail; set -a; cd {str(self.work)!r}; . {str(script_path)!r}; "
            f"env -0 > {str(env_dump)!r}"
        )
        run = subprocess.run(
            ["bash", "-c", wrapper],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if run.returncode != 0:
            output = f"--- stdout\n{run.stdout}--- stderr\n{run.stderr}"
            pytest.fail(f"{where}: exit status {run.returncode}\n{script}\n{output}")
        for item in env_dump.read_text().split("\0"):
            name, sep, value = item.partition("=")
            if sep and name not in SHELL_VARIABLES:
                self.env[name] = value
        return run.stdout

    def python(self, block: snippets.Block) -> None:
        self.count += 1
        doctest = block.text.lstrip().startswith(">>>")
        # doctest reads a .txt file as a session; a .py file it would import as a module.
        source = self.root / f"block{self.count}.{'txt' if doctest else 'py'}"
        source.write_text(block.text)
        if doctest:
            cmd = ["python", "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", str(source)]
        else:
            cmd = ["python", str(pathlib.Path(__file__).with_name("pyblock.py")), str(source)]
        python = shutil.which("python", path=self.env["PATH"])
        run = subprocess.run(
            [python, *cmd[1:]], cwd=self.work, env=self.env, capture_output=True, text=True, timeout=TIMEOUT
        )
        if run.returncode != 0:
            pytest.fail(f"{block.where}:\n{block.text}--- stdout\n{run.stdout}--- stderr\n{run.stderr}")

    def console(self, block: snippets.Block) -> None:
        import doctest

        checker = doctest.OutputChecker()
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        for command, expected in _transcript(block.text):
            self.count += 1
            script_path = self.root / f"block{self.count}.sh"
            script_path.write_text(command + "\n")
            run = subprocess.run(
                ["bash", str(script_path)],
                cwd=self.work,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            got = run.stdout + run.stderr
            if not checker.check_output(expected, got, flags):
                pytest.fail(f"{block.where}: $ {command}\n--- the docs show\n{expected}--- it printed\n{got}")


def _transcript(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(f"console block: expected a `$ command` line, got {lines[i]!r}")
        command = lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        output = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        pairs.append((command, "".join(line + "\n" for line in output)))
    return pairs


def test_every_block_follows_the_rules():
    problems = [p for page in PAGES for b in snippets.blocks(page) if (p := snippets.problem(b))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs_as_written(tmp_path, page):
    page_blocks = snippets.blocks(page)
    todo = [
        b
        for b in page_blocks
        if b.not_run is None and not snippets.is_directive(b) and snippets.problem(b) is None
    ]
    if not any(b.file or b.same_as or b.lang in snippets.RUNNABLE for b in todo):
        pytest.skip(f"{page.name} has no block to run")
    session = Session(tmp_path, page)
    for block in todo:
        for command in block.setup:
            session.sh(command, f"{block.where} (setup)")
        if block.same_as:
            reference = (ROOT / block.same_as).read_text()
            assert block.text in reference, f"{block.where}: the block is not in {block.same_as} as written"
        elif block.file:
            session.path_in_work(block.file).parent.mkdir(parents=True, exist_ok=True)
            session.path_in_work(block.file).write_text(block.text)
        elif block.lang in ("sh", "bash"):
            session.sh(block.text, block.where)
        elif block.lang == "python":
            session.python(block)
        elif block.lang == "console":
            session.console(block)


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("x = 2\nx + 1  # 3\n", True),
        ("x = 2\nx + 1  # 4\n", False),
        ("[1, 2]  # [1, 2] (a list)\n", True),
        ("int('a')  # ValueError: invalid literal ...\n", True),
        ("int('a')  # ValueError: something else\n", False),
        ("1 / 1  # ZeroDivisionError\n", False),
        ("len('ab')  # the length, prose\n", True),
        ("1 / 0\n", False),
    ],
)
def test_python_blocks_are_held_to_their_comments(tmp_path, source, ok):
    # The controls of pyblock.py: a stated value or exception that does not happen fails.
    (tmp_path / "block.py").write_text(source)
    run = subprocess.run([sys.executable, str(pathlib.Path(__file__).with_name("pyblock.py")), "block.py"],
                         cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert (run.returncode == 0) == ok, run.stderr


def test_directives_and_file_names_are_read_from_the_prose(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Some prose, then `lib.c`:\n\n```c\nint x;\n```\n\n"
        "<!-- setup: true -->\n<!-- not-run: because -->\n```sh\nfalse\n```\n\n"
        "It mentions `a.c` but names no file:\n\n```c\nint y;\n```\n\n"
        "```{toctree} an argument\n:glob:\n```\n\n```{unclosed\n```\n"
    )
    first, second, third, directive, bad = snippets.blocks(page)
    assert (first.file, first.lang, first.text) == ("lib.c", "c", "int x;\n")
    assert (second.setup, second.not_run, second.file) == (["true"], "because", None)
    assert third.file is None and snippets.problem(third) is not None
    # A MyST directive's argument is not part of its name, and the site runs it, not the test.
    assert (directive.lang, directive.text) == ("{toctree}", ":glob:\n")
    assert snippets.is_directive(directive) and snippets.problem(directive) is None
    assert not snippets.is_directive(bad) and snippets.problem(bad) is not None
