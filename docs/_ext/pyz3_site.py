"""docs/_ext/pyz3_site.py: what the docs site adds to the Markdown pages of docs/.

* Page titles: `# docs/abi.md — the pyz3 C ABI` (the project's path-first style, kept in the
  sources) is shown as "The pyz3 C ABI".
* Tabs: `<!-- tab: C -->` ... `<!-- tab: Zig -->` ... `<!-- end tabs -->` in a page (plain
  sections on a code host, where the comments are invisible) become one set of tabs on the site.
* `{pyz3-types}`: the type table, from the runtime's type registry
  (`pyz3._pyz3.type_registry()`), and what each type's conversion accepts and raises, found by
  calling the sample plugin `plugins/c/hello` with probe values while the site is built.
* `{pyz3-exception-kinds}`: the exception kinds from the runtime's registry, in each language.
* `{python-text}` shows a string constant of the pyz3 package (the CLI's examples).
* `{rustdoc}` links into the Rust SDK's rustdoc, which `make docs` builds with `cargo doc` and
  this extension copies to `rust/` in the site; a link to a page rustdoc did not write is a
  build warning.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.nodes import Node
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

logger = logging.getLogger(__name__)

TITLE = re.compile(r"\A# docs/[\w./-]+\.md\s+[—-]+\s+(.+)$", re.M)
TAB = re.compile(r"^<!-- tab: (.+?) -->$")
END_TABS = "<!-- end tabs -->"


def retitle(text: str) -> str:
    """`# docs/x.md — the thing` -> `# The thing`."""
    return TITLE.sub(lambda m: "# " + m.group(1)[:1].upper() + m.group(1)[1:], text, count=1)


def tabs_to_directives(text: str, docname: str) -> str:
    """Rewrites tab comments into containers with radio inputs (tabs without JavaScript)."""
    out: list[str] = []
    tabs: list[tuple[str, list[str]]] | None = None
    count = 0
    for line in text.split("\n"):
        tab = TAB.match(line)
        if tab:
            if tabs is None:
                tabs = []
            tabs.append((tab.group(1), []))
        elif line == END_TABS and tabs is not None:
            count += 1
            group = re.sub(r"\W", "-", f"{docname}-{count}")
            out.append("::::::{container} pyz3-tabs")
            for index, (label, body) in enumerate(tabs):
                checked = " checked" if index == 0 else ""
                ident = f"tab-{group}-{index}"
                out += [
                    "```{raw} html",
                    f'<input type="radio" name="tab-{group}" id="{ident}"{checked}>'
                    f'<label for="{ident}">{html.escape(label)}</label>',
                    "```",
                    ":::::{container} pyz3-tab",
                    *body,
                    ":::::",
                ]
            out.append("::::::")
            tabs = None
        elif tabs is not None:
            tabs[-1][1].append(line)
        else:
            out.append(line)
    if tabs is not None:
        logger.warning("%s: '<!-- tab: ... -->' without '%s'", docname, END_TABS)
        out += [line for _, body in tabs for line in body]
    return "\n".join(out)


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    source[0] = tabs_to_directives(retitle(source[0]), docname)


# Zig and Rust spellings by the registry's `kind` (numbers are spelled from `bits`/`signed`).
ZIG = {
    "void": ("", "`void`"),
    "bool": ("`bool`", "`bool`"),
    "str": ("`[]const u8`", "`[]const u8`, `[]u8`, `[:0]const u8`"),
    "bytes": ("`pyz3.Bytes`", "`pyz3.Bytes`"),
    "object": ("`pyz3.Object`", "`pyz3.Object` (new reference)"),
    "buffer": ("`[]const T`, `[]T`, `pyz3.View(T, .{ .ndim = N })`, `pyz3.ByteView`", ""),
    "array": ("", "`pyz3.Array(T, N)`"),
    "instance": ("`*const C`, `*C` (a class `C` of the plugin)", "`C`"),
    "sequence": ("`pyz3.List(T)`", ""),
    "dict": ("`pyz3.Dict(T)`", "`pyz3.Dict(T)`"),
    "list": ("", "`pyz3.List(T)`"),
    "tuple": ("", "a Zig tuple, `struct { f64, f64 }`"),
    "callable": ("`pyz3.Callable`", ""),
    "iterator": ("", "a struct with `pub fn next(self: *S) ?T`"),
}
RUST = {
    "void": ("", "`()`"),
    "bool": ("`bool`", "`bool`"),
    "str": ("`&str`", "`String`, `&str`"),
    "bytes": ("`&[u8]`", "`Vec<u8>`, `&[u8]`"),
    "object": ("`Object`", "`NewObject`"),
    "buffer": ("`&[T]`, `&mut [T]`, `View<T, N>`, `ViewMut<T, N>`, `ByteView`", ""),
    "array": ("", "`Array<T, N>`"),
    "instance": ("`&C` (a class `C` of the plugin)", "`C`"),
    "sequence": ("`Vec<T>`, `Seq<T>`", ""),
    "dict": ("`HashMap<String, T>`, `Dict<T>`", "`HashMap<String, T>`"),
    "list": ("", "`Vec<T>`"),
    "tuple": ("", "`(A, B, ...)`"),
    "callable": ("`Callable`", ""),
    "iterator": ("", "`impl Iterator<Item = T>`"),
}


class Index:
    """An object with `__index__` (what `operator.index` accepts)."""

    def __index__(self) -> int:
        return 3

    def __repr__(self) -> str:
        return "Index(3)"


PROBES: list[tuple[str, Any]] = [
    ("True", True),
    ("7", 7),
    ("-1", -1),
    ("2**64", 2**64),
    ("1.5", 1.5),
    ("1e300", 1e300),
    ("Index(3)", Index()),
    ("'text'", "text"),
    ("'\\ud800'", "\ud800"),
    ("b'x'", b"x"),
    ("bytearray(b'x')", bytearray(b"x")),
    ("None", None),
]


def _spelling(entry: dict[str, Any], table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    kind = entry["kind"]
    if kind in ("int", "float"):
        letter = "f" if kind == "float" else ("i" if entry["signed"] else "u")
        spelled = f"`{letter}{entry['bits']}`"
        return spelled, spelled
    return table.get(kind, ("(see the SDK page)", "(see the SDK page)"))


def _both(entry: dict[str, Any], table: dict[str, tuple[str, str]]) -> str:
    """The parameter spelling, and the result's where it differs."""
    param, result = _spelling(entry, table)
    if not entry["param"]:
        return f"result: {result}"
    return param if param == result else f"{param}; result: {result}"


def _probe_function(module: Any, description: dict[str, Any], type_name: str) -> tuple[Any, bool] | None:
    """A function of the sample plugin taking one `type_name` parameter; True when it returns
    its argument (an echo)."""
    best = None
    for func in description["functions"]:
        params = func["params"]
        if func["raw"] or len(params) != 1 or params[0]["type"] != type_name or params[0]["optional"]:
            continue
        echo = func["return_type"] == type_name
        if best is None or (echo and not best[1]):
            best = (getattr(module, func["name"]), echo)
    return best


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def types_markdown(build: Path) -> str:
    import pyz3  # the package `make runtime` built (docs/conf.py puts it on sys.path)

    registry = pyz3._pyz3.type_registry()
    plugin = build / "plugins" / "libhello.so"
    module = pyz3.load(plugin)
    description = pyz3._pyz3.describe(str(plugin))

    spellings = [
        "| Python | C | Zig | Rust | raises |",
        "|---|---|---|---|---|",
    ]
    probes = [
        "| type | " + " | ".join(f"`{_cell(label)}`" for label, _ in PROBES) + " |",
        "|---|" + "---|" * len(PROBES),
    ]
    for entry in registry:
        annotation = entry["param_annotation"] if entry["param"] else entry["result_annotation"]
        c_spelling = f"{{c:macro}}`{entry['macro']}`"
        if entry["kind"] != "void":
            c_spelling += f": `{entry['c_type']}`"
        if entry["arg_member"]:
            c_spelling += f" in `.{entry['arg_member']}`"
        if entry["result_member"] and entry["result_member"] != entry["arg_member"]:
            c_spelling += f"; result in `.{entry['result_member']}`"
        raises = f"`TypeError` if not {entry['expected']}" if entry["param"] else "(result only)"
        if entry["range"] is not None:
            raises += f"; `OverflowError` outside the range of `{entry['c_type']}`"
        row = [f"`{annotation}`", c_spelling, _both(entry, ZIG), _both(entry, RUST), raises]
        spellings.append("| " + " | ".join(_cell(c) for c in row) + " |")

        found = _probe_function(module, description, entry["name"]) if entry["param"] else None
        if found is None:
            continue
        func, echo = found
        cells = []
        for _, value in PROBES:
            try:
                result = func(value)
            except Exception as exc:  # the probe records whatever the conversion raises
                cells.append(f"*{type(exc).__name__.removesuffix('Error')}*")
            else:
                cells.append(f"`{_cell(repr(result))}`" if echo else "accepted")
        probes.append(f"| `{entry['name']}` | " + " | ".join(cells) + " |")
    return "\n".join(
        [
            *spellings,
            "",
            "What each parameter type accepts, found by calling a function of the sample plugin "
            "`plugins/c/hello` with each value while this page was built: the value the function "
            "returned, or the exception the call raised, in *italics* without its `Error` suffix "
            "(*Type* is `TypeError`); the function is the plugin's `echo_<type>` where it has one.",
            "",
            *probes,
        ]
    )


class TypesTable(SphinxDirective):
    """`{pyz3-types}`: the registry's types with their spellings, and the probe table."""

    has_content = False

    def run(self) -> list[Node]:
        build = Path(self.config.pyz3_build)
        self.env.note_dependency(str(build / "plugins" / "libhello.so"))
        return self.parse_text_to_nodes(types_markdown(build))


class RustdocRole(SphinxRole):
    """``{rustdoc}`text <pyz3_plugin/fn.x.html>` ``: a link into the Rust SDK's rustdoc."""

    def run(self) -> tuple[list[Node], list[nodes.system_message]]:
        match = re.fullmatch(r"(.*?)\s*<([^>]+)>", self.text, re.S)
        title, target = (match.group(1), match.group(2)) if match else (self.text, self.text)
        rustdoc = Path(self.config.pyz3_rustdoc)
        if not (rustdoc / target.split("#")[0]).is_file():
            logger.warning("rustdoc has no page %s (under %s)", target, rustdoc, location=self.get_location())
        depth = self.env.docname.count("/")
        uri = "../" * depth + "rust/" + target
        return [nodes.reference(self.rawtext, title, refuri=uri, internal=False)], []


class ExceptionKinds(SphinxDirective):
    """`{pyz3-exception-kinds}`: the runtime's exception kinds (`pyz3._pyz3.exception_kinds()`)
    with their spelling in C, Zig and Rust."""

    has_content = False

    def run(self) -> list[Node]:
        import pyz3

        rows = [
            "| Python exception | C: `pyz3_raise(KIND, msg)` | Zig: `pyz3.raise(.kind, msg)`, Rust: "
            "`PyErr::kind(msg)` |",
            "|---|---|---|",
        ]
        for _code, macro, python_name, snake in pyz3._pyz3.exception_kinds():
            rows.append(f"| `{python_name}` | {{c:macro}}`{macro}` | `{snake}` |")
        return self.parse_text_to_nodes("\n".join(rows))


class PythonText(SphinxDirective):
    """`{python-text} module.NAME`: the text of a module's string constant, as a literal block
    (the CLI's examples, kept in pyz3/cli.py for `--help`)."""

    required_arguments = 1

    def run(self) -> list[Node]:
        import importlib

        module_name, _, attribute = self.arguments[0].rpartition(".")
        text = getattr(importlib.import_module(module_name), attribute)
        return [nodes.literal_block(text, text.rstrip("\n"))]


def copy_rustdoc(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = Path(app.config.pyz3_rustdoc)
    if source.is_dir():
        target = Path(app.outdir) / "rust"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("pyz3_build", "", "env")
    app.add_config_value("pyz3_rustdoc", "", "env")
    app.connect("source-read", on_source_read)
    app.connect("build-finished", copy_rustdoc)
    app.add_directive("pyz3-types", TypesTable)
    app.add_directive("python-text", PythonText)
    app.add_directive("pyz3-exception-kinds", ExceptionKinds)
    app.add_role("rustdoc", RustdocRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
