"""tests/docs/snippets.py: the code blocks of a Markdown page, and what running one means.

The rules (docs/design.md, "Docs that run"):

* Every fenced block has an info string. `sh` (or `bash`) blocks run in bash; `console` blocks are
  `$ command` lines with the output they print; `python` blocks run as a script whose trailing
  comments state results (pyblock.py), or as a doctest when they start with `>>>`; `text` is never
  run (output, tables, diagrams); a MyST directive (` ```{toctree} `, ` ```{c-reference} `) is the
  docs site's, never run.
* A block whose file name the prose gives just before it (a paragraph ending in `` `name`: ``, the
  colon right after the name) or
  a `<!-- file: path -->` comment is written to that file instead; later blocks use it. A C, Zig,
  Rust or TOML block must be one of those, or marked.
* HTML comments between a block and the one before it are directives: `<!-- not-run: reason -->`
  (never run, the reason is required), `<!-- setup: command -->` (a shell command run first,
  hidden from the reader), `<!-- same-as: path -->` (the block must appear verbatim in that file
  of the repository, which other tests build and run).

The blocks of one page run in order, in one scratch directory, so a page reads as one session.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import sys

RUNNABLE = {"sh", "bash", "console", "python"}
SOURCE = {"c", "zig", "rust", "toml", "python", "sh", "bash", "json", "ini", "cfg", "make"}
NEVER_RUN = {"text"}
# The info string's first word is the language; the rest (a MyST directive's argument) is kept.
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$")
DIRECTIVE = re.compile(r"<!--\s*(not-run|file|setup|same-as)\s*:\s*(.*?)\s*-->", re.S)
PROSE_FILE = re.compile(r"`([\w.][\w./-]*\.[A-Za-z0-9]+)`:\s*$")


@dataclasses.dataclass
class Block:
    """One fenced block of a page, with what the prose before it says about it."""

    page: pathlib.Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    not_run: str | None = None
    file: str | None = None
    setup: list[str] = dataclasses.field(default_factory=list)
    same_as: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def blocks(page: pathlib.Path) -> list[Block]:
    """The fenced blocks of ``page``, in order, with their directives."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    lead: list[str] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            lead.append(lines[i])
            i += 1
            continue
        indent, fence, lang = m.groups()
        start = i
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip() == fence and lines[i].startswith(indent)):
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line)
            i += 1
        if i == len(lines):
            raise ValueError(f"{page.name}:{start + 1}: the block is not closed")
        i += 1
        block = Block(page, start + 1, lang, "\n".join(body) + "\n")
        lead_text = "\n".join(lead)
        for kind, value in DIRECTIVE.findall(lead_text):
            if kind == "not-run":
                block.not_run = value
            elif kind == "file":
                block.file = value
            elif kind == "setup":
                block.setup.append(value)
            else:
                block.same_as = value
        prose = [line for line in DIRECTIVE.sub("", lead_text).splitlines() if line.strip()]
        if block.file is None and prose:
            named = PROSE_FILE.search(prose[-1])
            if named:
                block.file = named.group(1)
        found.append(block)
        lead = []
    return found


def is_directive(block: Block) -> bool:
    """A MyST directive (` ```{name} `): the docs site writes what it stands for."""
    return block.lang.startswith("{") and block.lang.endswith("}")


def problem(block: Block) -> str | None:
    """Why the block cannot be handled under the rules, or None."""
    if block.not_run is not None:
        return None if block.not_run else f"{block.where}: `not-run:` needs a reason"
    if block.same_as or block.file:
        return None
    if not block.lang:
        return (
            f"{block.where}: the block has no info string; say what it is (`text` for output, "
            "tables and diagrams, `console` for `$ command` transcripts, `sh`, `python`, ...)"
        )
    if block.lang in RUNNABLE or block.lang in NEVER_RUN or is_directive(block):
        return None
    if block.lang in SOURCE:
        return (
            f"{block.where}: a {block.lang} block must name its file (prose ending in `name`:, or "
            "<!-- file: path -->), or be marked <!-- not-run: reason -->"
        )
    return f"{block.where}: unknown info string {block.lang!r}"


def main(argv: list[str]) -> int:
    """`python snippets.py PAGE FILE`: print the block of PAGE written to FILE (a page's setup uses
    it to reuse another page's file, such as the quick start's `Cargo.toml`)."""
    if len(argv) != 2:
        print("usage: snippets.py PAGE FILE", file=sys.stderr)
        return 2
    page, name = pathlib.Path(argv[0]), argv[1]
    for block in blocks(page):
        if block.file == name:
            sys.stdout.write(block.text)
            return 0
    print(f"{page}: no block is written to {name}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
