"""docs/_ext/zig_reference.py: the Zig SDK reference, read from the `///` comments of its sources.

`{zig-reference} sdk/zig/pyz3.zig` documents every `pub` declaration of the file, in source order:
functions, constants and containers (`struct`, `union`, `enum`) with their `pub` members and their
documented fields, each with its declaration as written and its doc comment. The `//!` comment
at the top is the page's introduction. Zig's own `-femit-docs` output is a WebAssembly app that
loads the sources with `fetch()`, which browsers refuse for pages opened from disk, and it cannot
be linked into the site's search and navigation; so the site reads the comments itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from docutils.nodes import Node
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

CONTAINER = re.compile(
    r"pub\s+const\s+(\w+)\s*(?::[^=]+)?=\s*(?:extern\s+|packed\s+)?(struct|union|enum|opaque)\b[^{]*\{"
)
RETURNED_CONTAINER = re.compile(r"return\s+(?:extern\s+|packed\s+)?(struct|union|enum)\b[^{]*\{\s*$")
DECL = re.compile(r"pub\s+(?:inline\s+|export\s+|extern\s+)?(fn|const|var)\s+(@\"[^\"]+\"|\w+)")
FIELD = re.compile(r"(\w+)\s*(:\s*.+?|=\s*.+?)?\s*,\s*$")


@dataclass
class ZigDecl:
    name: str  # qualified: pyz3.Gil.acquire
    kind: str  # "fn", "const", "var", "container", "field"
    code: str  # the declaration as written (bodies left out)
    doc: str
    members: list[ZigDecl] = field(default_factory=list)


def code_of(line: str) -> str:
    """The line with comments, string and character literals blanked out (same length), for
    counting brackets."""
    if line.lstrip().startswith("\\\\"):
        return " " * len(line)
    out, i, quote = list(line), 0, None
    while i < len(line):
        ch = line[i]
        if quote:
            out[i] = " "
            if ch == "\\" and i + 1 < len(line):
                out[i + 1] = " "
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            out[i] = " "
        elif line.startswith("//", i):
            out[i:] = " " * (len(line) - i)
            break
        i += 1
    return "".join(out)


def _brackets(code: str) -> tuple[int, int]:
    """(change in brace depth, change in paren/bracket depth) over a line of code."""
    return code.count("{") - code.count("}"), code.count("(") + code.count("[") - code.count(
        ")"
    ) - code.count("]")


def _header(lines: list[str], codes: list[str], start: int, is_fn: bool) -> tuple[str, int]:
    """A declaration as written, without a function's body: up to the body's `{` for a function,
    up to the `;` for anything else; and the index of the line it ends on."""
    parts, depth = [], 0
    for i in range(start, len(lines)):
        for pos, ch in enumerate(codes[i]):
            if is_fn and depth == 0 and ch == "{":
                parts.append(lines[i][:pos])
                return " ".join(p.strip() for p in parts if p.strip()), i
            if not is_fn and depth == 0 and ch == ";":
                parts.append(lines[i][:pos])
                return " ".join(p.strip() for p in parts if p.strip()), i
            depth += ch in "([{"
            depth -= ch in ")]}"
        parts.append(lines[i])
    raise ValueError(f"line {start + 1}: unterminated declaration")


def _returned_container(lines: list[str], start: int) -> int | None:
    """The line of the function body starting at `start` that returns a container type, if the
    body's first `return` does."""
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("return "):
            return i if RETURNED_CONTAINER.match(stripped) else None
    return None


def read_zig(text: str, namespace: str) -> tuple[str, list[ZigDecl]]:
    """The `//!` text and the `pub` declarations (with their doc comments) of a Zig source file."""
    lines = text.split("\n")
    codes = [code_of(line) for line in lines]
    module_doc = "\n".join(line.strip()[4:] for line in lines if line.strip().startswith("//!"))
    top: list[ZigDecl] = []
    # (qualified name, brace depth of the container's body, its member list, the depth below
    # which it has ended: a generic type's struct lies inside a function body, one level out)
    stack: list[tuple[str, int, list[ZigDecl], int]] = [(namespace, 0, top, 0)]
    depth = parens = 0
    doc: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        prefix, body_depth, members, _ = stack[-1]
        at_level = depth == body_depth and parens == 0
        end = i
        if at_level and stripped.startswith("///"):
            doc.append(stripped[4:])
        elif at_level and (container := CONTAINER.match(stripped)):
            decl = ZigDecl(f"{prefix}.{container.group(1)}", "container", "", "\n".join(doc))
            members.append(decl)
            one_line, line_end = _header(lines, codes, i, is_fn=False)
            if line_end == i:
                decl.code = one_line
            else:
                decl.code = stripped.rstrip("{").rstrip()
                stack.append((decl.name, depth + 1, decl.members, depth + 1))
        elif at_level and (match := DECL.match(stripped)):
            code, end = _header(lines, codes, i, is_fn=match.group(1) == "fn")
            if match.group(1) != "fn" and end > i:
                code = stripped + "...}"
            decl = ZigDecl(f"{prefix}.{match.group(2)}", match.group(1), code, "\n".join(doc))
            members.append(decl)
            returned = _returned_container(lines, end) if code.endswith(") type") else None
            if returned is not None:
                # A generic type (`pub fn View(T) type { return struct { ... }; }`): the members of
                # the struct it returns are its members, one level deeper than the function body.
                header_braces = sum(_brackets(codes[j])[0] for j in range(i, end + 1))
                stack.append((decl.name, depth + header_braces + 1, decl.members, depth + header_braces))
        elif (
            at_level
            and len(stack) > 1
            and (field_match := FIELD.match(stripped))
            and not re.match(r"(fn|const|var|comptime|test)\b", stripped)
        ):
            members.append(
                ZigDecl(f"{prefix}.{field_match.group(1)}", "field", stripped.rstrip(","), "\n".join(doc))
            )
        if not stripped.startswith("///"):
            doc = []
        for j in range(i, end + 1):
            braces, brackets = _brackets(codes[j])
            depth += braces
            parens += brackets
        while len(stack) > 1 and depth < stack[-1][3]:
            stack.pop()
        i = end + 1
    return module_doc, top


def render(decl: ZigDecl, names: dict[str, str]) -> str:
    """A `{zig-decl}` directive: the declaration as written, its doc, then its members. Each
    fence is longer than the fences it contains."""
    ticks = "`" * (3 + _nesting(decl))
    members = "\n".join(render(m, names) for m in decl.members)
    doc = link_names(decl.doc, names)
    return f"{ticks}{{zig-decl}} {decl.name}\n```zig\n{decl.code}\n```\n\n{doc}\n\n{members}\n{ticks}\n"


def _nesting(decl: ZigDecl) -> int:
    return 1 + max((_nesting(m) for m in decl.members), default=0)


def _all(decls: list[ZigDecl]) -> list[ZigDecl]:
    return [d for decl in decls for d in (decl, *_all(decl.members))]


def short_names(decls: list[ZigDecl], namespace: str) -> dict[str, str]:
    """Spellings a doc comment uses for a declaration (`Gil`, `Gil.acquire`, `pyz3.Gil`) -> its
    qualified name; a spelling two declarations share links to neither."""
    names: dict[str, str | None] = {}
    for decl in _all(decls):
        parts = decl.name.split(".")
        for start in range(len(parts) - 1, -1, -1):
            spelling = ".".join(parts[start:])
            if spelling in names and names[spelling] != decl.name:
                names[spelling] = None
            else:
                names[spelling] = decl.name
    return {k: v for k, v in names.items() if v is not None}


def link_names(text: str, names: dict[str, str]) -> str:
    """Backticked names of declarations become links to them."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).removesuffix("()")
        target = names.get(name)
        return f"{{zig}}`{name} <{target}>`" if target else match.group(0)

    return re.sub(r"(?<!`)`([A-Za-z_][\w.]*(?:\(\))?)`(?!`)", replace, text)


def markdown(path: Path, namespace: str) -> str:
    module_doc, decls = read_zig(path.read_text(), namespace)
    names = short_names(decls, namespace)
    # The indented example in the `//!` text is Zig code.
    return _indented_to_fences(module_doc) + "\n\n" + "\n".join(render(d, names) for d in decls)


def _indented_to_fences(text: str) -> str:
    out, code = [], []
    for line in [*text.split("\n"), ""]:
        if line.startswith("    "):
            code.append(line[4:])
            continue
        if code:
            out += ["```zig", *code, "```"]
            code = []
        out.append(line)
    return "\n".join(out).strip()


class ZigReference(SphinxDirective):
    """`{zig-reference} <path>` with `:namespace:` (default `pyz3`): one Zig file's API."""

    required_arguments = 1
    option_spec: ClassVar = {"namespace": str}

    def run(self) -> list[Node]:
        path = Path(self.config.pyz3_root) / self.arguments[0]
        self.env.note_dependency(str(path))
        text = markdown(path, self.options.get("namespace", "pyz3"))
        return self.parse_text_to_nodes(text, allow_section_headings=True)


def parse_zig_decl(env: BuildEnvironment, sig: str, signode: addnodes.desc_signature) -> str:
    signode += addnodes.desc_name(sig, sig)
    return sig


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("zig-reference", ZigReference)
    app.add_object_type(
        "zig-decl", "zig", indextemplate="pair: %s; Zig declaration", parse_node=parse_zig_decl
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
