"""tests/python/support.py: where the built artefacts are, for the test modules."""

from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
PLUGINS = BUILD / "plugins"
TEST_PLUGINS = BUILD / "test-plugins"
PACKAGE = BUILD / "python" / "pyz3"


def plugin_path(name: str) -> pathlib.Path:
    """The built sample plugin ``lib<name>.so``; fails the test if it is missing."""
    path = PLUGINS / f"lib{name}.so"
    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `make plugins`")
    return path
