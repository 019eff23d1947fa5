"""pyz3: call native plugins written in C, Zig or Rust from Python, without per-version builds.

A plugin is a shared library that links libpyz3 and exports a descriptor of its functions.
``pyz3.load(path)`` turns it into a real module whose functions are ``METH_FASTCALL`` builtins
with proper signatures, doc strings and error behaviour::

    import pyz3
    hello = pyz3.load("build/plugins/libhello.so")
    hello.add(2, 3)   # 5
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

from . import _pyz3
from .importhook import install_import_hook

__all__ = [
    "PluginLoadError",
    "abi_version",
    "build_info",
    "get_include",
    "get_library_dir",
    "get_pkgconfig_dir",
    "install_import_hook",
    "load",
    "optimizations",
    "set_optimizations",
]

__version__: str = _pyz3.__version__
PluginLoadError = _pyz3.PluginLoadError
abi_version: tuple[int, int] = _pyz3.abi_version

_OPTIMIZATIONS = {
    "gil_cache": _pyz3.OPT_GIL_CACHE,
    "fast_paths": _pyz3.OPT_FAST_PATHS,
    "pool": _pyz3.OPT_POOL,
}

_lock = threading.Lock()
_loaded: dict[tuple[str, str | None], ModuleType] = {}


def load(path: str | os.PathLike[str], *, name: str | None = None) -> ModuleType:
    """Load the plugin library at ``path`` and return its module.

    ``name`` overrides the module name from the plugin's descriptor. Loading the same file
    again (under the same name) returns the same module object; plugins are never unloaded.
    No search path is consulted: a path with a directory part (``/opt/p/libx.so``,
    ``build/libx.so``, ``./libx.so``) is opened as given, relative ones against the current
    directory as ``open()`` does; a bare file name (``libx.so``) is refused, so the current
    directory is never searched implicitly.

    Raises :class:`PluginLoadError` (an :class:`ImportError`) naming the file and the reason
    when the file is missing, is not a shared library, is not a pyz3 plugin, was built for an
    incompatible ABI, or has an invalid descriptor.
    """
    fspath = os.fspath(path)
    if not isinstance(fspath, str):
        raise TypeError(f"load() path must be str or os.PathLike[str], not {type(fspath).__name__}")
    _check_path(fspath)
    key = (os.path.realpath(fspath), name)
    with _lock:
        module = _loaded.get(key)
        if module is None:
            module = _pyz3.load(os.path.abspath(fspath), name)
            # load(path) and load(path, name=<its declared name>) are one module, whichever came
            # first, so a function unpickled by (path, module name) is the one that was pickled.
            module = _loaded.setdefault((key[0], module.__name__), module)
            _loaded[key] = module
        return module


def _check_path(path: str) -> None:
    """Refuses paths the loader never opens, with the same message format as the runtime's."""
    reason = None
    if not path:
        reason = "empty path"
    elif "\0" in path:
        reason = "the path contains a NUL byte"
    elif os.sep not in path and (os.altsep is None or os.altsep not in path):
        reason = (
            "a bare file name is not searched for (pyz3 has no search path and never looks in the "
            f"current directory implicitly): pass a path such as './{path}'"
        )
    else:
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            reason = "the path is not valid UTF-8 (pyz3 opens UTF-8 paths only)"
    if reason is not None:
        raise PluginLoadError(f"cannot load pyz3 plugin {path!r}: {reason}", path=path)


def _function_owner(path: str, module_name: str, func_name: str) -> object:
    """Unpickling helper: the ``__self__`` of ``func_name`` in the plugin at ``path``.

    Functions pickle by reference: (plugin path, module name, function name). Where the path
    does not exist (another machine, a relocated install), the module is imported by name
    instead, which serves modules made by ``pyz3-loader build`` and the import hook.
    """
    if os.path.exists(path):
        module = load(path, name=module_name)
    else:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise PluginLoadError(
                f"cannot unpickle {module_name}.{func_name}: {path} does not exist and module "
                f"{module_name!r} cannot be imported ({exc})",
                path=path,
            ) from exc
    owner = getattr(getattr(module, func_name, None), "__self__", None)
    if f"{type(owner).__module__}.{type(owner).__name__}" != "pyz3.PluginFunction":
        raise PluginLoadError(
            f"cannot unpickle {module_name}.{func_name}: {module.__name__} has no pyz3 function "
            f"{func_name!r}",
            path=path,
        )
    return owner


def optimizations() -> dict[str, bool]:
    """Which optimisations are on: ``{"gil_cache": bool, "fast_paths": bool, "pool": bool}``."""
    bits = _pyz3.optimizations()
    return {name: bool(bits & bit) for name, bit in _OPTIMIZATIONS.items()}


def set_optimizations(**flags: bool) -> dict[str, bool]:
    """Switch optimisations on or off at run time; returns the previous state.

    ``pyz3.set_optimizations(pool=False)`` turns the object pool off for calls that start
    afterwards. Unknown names raise :class:`TypeError`. The environment variable
    ``PYZ3_DISABLE=gil_cache,fast_paths,pool`` sets the initial state.
    """
    unknown = sorted(set(flags) - set(_OPTIMIZATIONS))
    if unknown:
        known = ", ".join(_OPTIMIZATIONS)
        raise TypeError(f"unknown optimisation(s): {', '.join(unknown)} (known: {known})")
    previous = optimizations()
    bits = _pyz3.optimizations()
    for flag, on in flags.items():
        if not isinstance(on, bool):
            raise TypeError(f"set_optimizations({flag}=...) takes a bool, not {type(on).__name__}")
        bits = bits | _OPTIMIZATIONS[flag] if on else bits & ~_OPTIMIZATIONS[flag]
    _pyz3.set_optimizations(bits)
    return previous


def build_info() -> dict[str, object]:
    """Version, ABI and build facts of the libpyz3 in this process."""
    return dict(_pyz3.build_info())


def get_include() -> str:
    """Directory holding ``pyz3.h`` (and ``pyz3.zig``), for compiling plugins."""
    here = os.path.dirname(__file__)
    for candidate in (os.path.join(here, "include"), os.path.join(here, "..", "..", "..", "include")):
        if os.path.isfile(os.path.join(candidate, "pyz3.h")):
            return os.path.abspath(candidate)
    raise FileNotFoundError("pyz3.h is not installed next to the pyz3 package")


def get_library_dir() -> str:
    """Directory holding ``libpyz3.so`` to link plugins against (``-L<dir> -lpyz3``)."""
    here = os.path.dirname(__file__)
    for candidate in (os.path.join(here, "lib"), os.path.join(here, "..", "lib")):
        if os.path.exists(os.path.join(candidate, "libpyz3.so")):
            return os.path.abspath(candidate)
    raise FileNotFoundError("libpyz3.so is not installed next to the pyz3 package")


def get_pkgconfig_dir() -> str:
    """Directory holding ``pyz3.pc``: ``PKG_CONFIG_PATH=<dir> pkg-config --cflags --libs pyz3``."""
    candidate = os.path.join(get_library_dir(), "pkgconfig")
    if os.path.isfile(os.path.join(candidate, "pyz3.pc")):
        return candidate
    raise FileNotFoundError("pyz3.pc is not installed next to the pyz3 package")
