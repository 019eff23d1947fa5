"""pyz3/importhook.py: ``import hello`` finds ``libhello.so`` in directories the caller names.

``pyz3.install_import_hook(["build/plugins"])`` appends a finder to ``sys.meta_path``. It serves
top-level imports only, looks only in the directories it was given (made absolute when the hook
is installed, so a later ``chdir`` changes nothing) and never in the current directory unless
that was passed explicitly. Being last on ``sys.meta_path``, it never shadows a Python module or
package of the same name found on ``sys.path``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterable
from types import ModuleType

PathLike = str | os.PathLike[str]


class PluginFinder(importlib.abc.MetaPathFinder):
    """Finds ``lib<name>.so`` for ``import <name>`` in a fixed list of directories."""

    def __init__(self, directories: Iterable[PathLike]) -> None:
        # Made absolute by joining, not os.path.abspath: its lexical ".." handling would pick
        # another directory than the OS does after a symbolic link (a/../x with a -> deep/sub).
        self.directories: tuple[str, ...] = tuple(
            os.path.join(os.getcwd(), os.fspath(d)) for d in directories
        )

    def __repr__(self) -> str:
        return f"PluginFinder({list(self.directories)!r})"

    def find_spec(self, fullname: str, path=None, target: ModuleType | None = None):
        if path is not None or "." in fullname:
            return None
        for directory in self.directories:
            candidate = os.path.join(directory, f"lib{fullname}.so")
            if os.path.isfile(candidate):
                return importlib.machinery.ModuleSpec(fullname, PluginLoader(candidate), origin=candidate)
        return None

    def uninstall(self) -> None:
        """Removes this finder from ``sys.meta_path`` (modules already imported stay)."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)


class PluginLoader(importlib.abc.Loader):
    """Loads one plugin file as the module being imported, through ``pyz3.load``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        from . import load

        return load(self.path, name=spec.name)

    def exec_module(self, module: ModuleType) -> None:
        # The module is complete when pyz3.load returns it.
        pass


def install_import_hook(paths: PathLike | Iterable[PathLike]) -> PluginFinder:
    """Let ``import <name>`` load ``lib<name>.so`` from ``paths`` (a directory or several).

    Only the given directories are searched, in order; relative ones are resolved against the
    current directory now, and the current directory itself is searched only when it is
    passed explicitly (``"."``). The finder is appended to ``sys.meta_path`` and returned;
    ``finder.uninstall()`` removes it. Imports that a regular module or package satisfies
    are left to it.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    directories = list(paths)
    for d in directories:
        if not isinstance(os.fspath(d), str):
            raise TypeError(f"install_import_hook() paths must be str or os.PathLike[str], not {d!r}")
    finder = PluginFinder(directories)
    sys.meta_path.append(finder)
    return finder
