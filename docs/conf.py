"""docs/conf.py: Sphinx settings of the docs site; `make docs` builds it into build/docs/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
# The pyz3 package the Python reference documents and the type table asks: the one `make runtime`
# assembled (the runtime is built per CPython; the docs virtualenv uses the main version).
# Relative paths in the environment are relative to the repository (Sphinx reads this file from
# inside docs/).
BUILD = ROOT / os.environ.get("PYZ3_BUILD", "build")
sys.path.insert(0, str(BUILD / "python"))

project = "pyz3"
author = "the pyz3 authors"
copyright = "the pyz3 authors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
    "c_reference",
    "zig_reference",
    "pyz3_site",
]
pyz3_root = str(ROOT)
pyz3_build = str(BUILD)
# The Rust SDK's rustdoc (`make docs` runs cargo doc), copied into the site as rust/.
pyz3_rustdoc = str(ROOT / os.environ.get("PYZ3_RUSTDOC", BUILD / "cargo" / "rustdoc" / "doc"))

source_suffix = {".md": "markdown"}
# Names stay as written (the header says `pyz3_free`, not `pyz3_free()`), and so do quotes: the
# pages quote code and messages.
smartquotes = False
add_function_parentheses = False
root_doc = "index"
exclude_patterns = ["_ext", "img"]
# Anchors for `page.md#a-heading` links between the pages, down to ####.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

# Every reference must resolve ("missing references" fail the build with -W); names the site
# cannot document (C's standard types, Python's builtins, typing) are listed here.
nitpicky = True
# MyST asks every domain to resolve a link; sphinx-argparse's cannot answer the generic question
# (it says so on each link), which is no broken link.
suppress_warnings = ["myst.domains"]
nitpick_ignore_regex = [
    ("c:identifier", r"u?int(8|16|32|64)_t|size_t|bool|uintptr_t|ptrdiff_t|_object"),
    ("py:class", r"(os\.)?PathLike.*|ModuleType|types\.ModuleType|Iterable.*|collections\.abc\..*"),
    ("py:class", r"pytest\..*|_pytest\..*|importlib\..*|argparse\..*|Callable.*|Any|typing\..*"),
    ("py:class", r"str|int|bytes|bool|float|tuple|dict|list|None|type|BaseException|ImportError"),
    ("py:class", r"Exception|ValueError|TypeError|OSError"),
    ("py:exc", r"ImportError|ValueError|TypeError|OSError"),
]

# The right-hand contents list the page's sections, not every struct member.
toc_object_entries = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "furo"
html_title = "pyz3"
html_static_path = ["_ext/static"]
html_css_files = ["pyz3.css"]
html_show_sourcelink = False
html_copy_source = False
