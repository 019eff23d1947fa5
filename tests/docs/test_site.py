"""tests/docs/test_site.py: the built docs site (`make test-docs` builds it, then runs this) has
every declaration of the sources it documents, and no link inside it leads nowhere.

The checks read the sources with their own simple scans, not with the site's extensions, so a
declaration the extensions miss is a failure here."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("PYZ3_BUILD", "build")
SITE = BUILD / "docs"


def _page(name: str) -> str:
    path = SITE / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make docs` first")
    return path.read_text()


def _text(page: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _header_code() -> str:
    """include/pyz3.h without its comments."""
    text = (ROOT / "include" / "pyz3.h").read_text()
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def header_symbols() -> set[str]:
    """Every pyz3_/PYZ3_ name the header declares or defines: functions, types, struct tags,
    macros and constants (include guards and the macros' own internal names, ending in `_`, are
    not API)."""
    names = set(re.findall(r"\b(?:pyz3|PYZ3)_\w+\b", _header_code()))
    return {n for n in names if n not in ("PYZ3_H", "PYZ3_H_MACROS") and not n.endswith("_")}


def test_every_header_symbol_is_in_the_c_reference():
    page = _page("reference/c.html")
    anchors = set(re.findall(r'id="c\.([A-Za-z_]\w*)"', page))
    missing = sorted(header_symbols() - anchors)
    assert not missing, f"not in the C reference: {missing}"
    assert "PyObject" in anchors


def _doc_comments() -> list[tuple[str, str]]:
    """(declared name, its `//` comment) for each function prototype of the header."""
    text = (ROOT / "include" / "pyz3.h").read_text()
    found = []
    for match in re.finditer(r"((?:^//[^\n]*\n)+)[^\n/#]*?\b(pyz3_\w+)\(", text, re.M):
        comment = " ".join(line[2:].strip() for line in match.group(1).splitlines())
        found.append((match.group(2), comment))
    return found


def test_the_c_reference_has_each_functions_comment_as_written():
    # Ownership and threading notes ("stolen", "Any thread, no GIL needed", ...) must survive.
    # Compared without whitespace: the page puts tags (so spaces) around each code span.
    text = re.sub(r"\s+", "", _text(_page("reference/c.html")))
    comments = _doc_comments()
    assert len(comments) >= 40
    for name, comment in comments:
        words = re.sub(r"\s+", "", comment.replace("`", ""))
        assert words in text, f"{name}: comment not in the C reference: {comment!r}"


def test_the_c_reference_is_grouped_by_concept():
    headings = re.findall(r"<h2>(.*?)<a", _page("reference/c.html"))
    for concept in ("Allocation", "GIL", "Conversions", "Objects", "Errors", "Types"):
        assert concept in headings, headings


def zig_declarations(path: Path) -> set[str]:
    """`pub` functions, constants and variables of a Zig file, by name."""
    return set(re.findall(r"^\s*pub\s+(?:inline\s+)?(?:fn|const|var)\s+(\w+)", path.read_text(), re.M))


def test_every_pub_declaration_of_the_zig_sdk_is_in_its_reference():
    page = _page("reference/zig.html")
    documented = {anchor.rsplit(".", 1)[1] for anchor in re.findall(r'id="zig-decl-([\w.]+)"', page)}
    for source in ("pyz3.zig", "pyz3_types.zig"):
        missing = sorted(zig_declarations(ROOT / "sdk" / "zig" / source) - documented)
        assert not missing, f"sdk/zig/{source}: not in the Zig reference: {missing}"


def test_the_python_reference_documents_the_package():
    import pyz3

    page = _page("reference/python.html")
    anchors = set(re.findall(r'id="(pyz3\.[\w.]+)"', page))
    for name in pyz3.__all__:
        assert f"pyz3.{name}" in anchors, name
    for fixture in ("pyz3_load", "pyz3_leak_check"):
        assert f"pyz3.pytest_plugin.{fixture}" in anchors
    # Doc strings, not just names.
    assert "a bare file name" in _text(page)


def test_the_cli_reference_lists_every_command():
    from pyz3.cli import build_parser

    text = _text(_page("reference/cli.html"))
    verbs = next(a for a in build_parser()._actions if a.dest == "verb").choices
    for verb in verbs:
        assert f"pyz3-loader {verb}" in text, verb


def test_the_rustdoc_is_part_of_the_site():
    assert (SITE / "rust" / "pyz3_plugin" / "index.html").is_file()
    assert 'href="../rust/pyz3_plugin/index.html"' in _page("reference/rust.html")


def test_every_docs_page_and_the_readme_are_on_the_site():
    index = _page("index.html")
    first_line = next(line for line in (ROOT / "README.md").read_text().splitlines()[1:] if line.strip())
    assert first_line.split(" — ")[0] in _text(index)
    for source in sorted((ROOT / "docs").glob("*.md")):
        if source.stem == "index":
            continue
        assert (SITE / f"{source.stem}.html").is_file(), f"{source.name} was not built"
        assert f'href="{source.stem}.html"' in index, f"{source.name} is not in the site's navigation"


def test_the_type_table_has_every_registry_type():
    import pyz3

    text = _text(_page("types.html"))
    for entry in pyz3._pyz3.type_registry():
        assert entry["macro"] in text, entry["name"]


def test_the_quick_start_has_a_tab_per_language():
    labels = re.findall(r'<label for="tab-[^"]+">([^<]+)</label>', _page("quickstart.html"))
    assert labels.count("C") == labels.count("Zig") == labels.count("Rust") == 2, labels


def _links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', page.read_text())


def test_no_link_inside_the_site_leads_nowhere():
    pages = [p for p in SITE.rglob("*.html") if "rust" not in p.relative_to(SITE).parts]
    assert len(pages) > 15
    broken = []
    for page in pages:
        for link in _links(page):
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("#", "//", "mailto:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)}: {link}")
                continue
            if (
                parts.fragment
                and target.suffix == ".html"
                and f'id="{parts.fragment}"' not in target.read_text()
            ):
                broken.append(f"{page.relative_to(SITE)}: {link} (no such anchor)")
    assert not broken, "\n".join(broken)
