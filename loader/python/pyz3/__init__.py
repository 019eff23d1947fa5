"""pyz3: call native plugins written in C, Zig or Rust from Python, without per-version builds.

A plugin is a shared library that links libpyz3 and exports a descriptor of its functions.
``pyz3.load(path)`` turns it into a real module whose functions are ``METH_FASTCALL`` builtins
with proper signatures, doc strings and error behaviour::

    import pyz3
    hello = pyz3.load("build/plugins/libhello.so")
    hello.add(2, 3)   # 5
"""

from __future__ import annotations

import keyword
import os
import threading
from types import ModuleType

from . import _pyz3
from .importhook import install_import_hook

__all__ = [
    "Array",
    "DebugWarning",
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
# The type of array results (docs/buffers.md): C-contiguous, exported through the buffer protocol.
Array = _pyz3.Array
abi_version: tuple[int, int] = _pyz3.abi_version


class DebugWarning(RuntimeWarning):
    """A plugin function loaded in debug mode leaked references it received during a call.

    Debug mode (``pyz3.load(path, debug=True)`` or ``PYZ3_DEBUG=1``) reports a broken contract
    that makes a call's result or the process state wrong as ``SystemError`` from that call; a
    leak, after which the result is still right, as this warning naming the function
    (docs/reliability.md, "Debug mode"). ``-W error::pyz3.DebugWarning`` makes leaks fail the call.
    """


_OPTIMIZATIONS = {
    "gil_cache": _pyz3.OPT_GIL_CACHE,
    "fast_paths": _pyz3.OPT_FAST_PATHS,
    "pool": _pyz3.OPT_POOL,
}

# Serialises loads and the cache below. Re-entrant: a signal handler (or code a load runs) may
# call load() on the thread that is already inside one. Held across fork() (see _before_fork).
_lock = threading.RLock()
# (st_dev, st_ino, name, debug) of a loaded file -> its module: the cache is keyed by what was
# loaded, and how.
_modules: dict[tuple[int, int, str | None, bool], ModuleType] = {}
# Canonical path handed to the dynamic loader -> (st_dev, st_ino) of the file it mapped from there,
# or None when that file changed during the load (which one was mapped is then unknown).
_mapped: dict[str, tuple[int, int] | None] = {}
# (st_dev, st_ino) of a loaded file -> its (st_size, st_mtime_ns) when it was loaded.
_stamps: dict[tuple[int, int], tuple[int, int]] = {}


def load(path: str | os.PathLike[str], *, name: str | None = None, debug: bool | None = None) -> ModuleType:
    """Load the plugin library at ``path`` and return its module.

    ``debug=True`` loads it in debug mode: the same binary, run with checks a release load cannot
    afford (the GIL contract of every libpyz3 call, borrowed arguments poisoned after the call,
    references leaked per function, results checked against the declaration; docs/reliability.md,
    "Debug mode"). ``None`` (the default) means debug mode when the environment variable
    ``PYZ3_DEBUG`` is set to anything but ``""`` or ``"0"``. The same file may be loaded both
    ways; each way gives its own module.

    ``name`` overrides the module name from the plugin's descriptor; it must be a module name
    (identifiers joined by dots, no keywords), else :class:`ValueError`. No search path is
    consulted: a path with a directory part (``/opt/p/libx.so``, ``build/libx.so``,
    ``./libx.so``) is opened as given, relative ones against the current directory, and symbolic
    links and ``..`` resolve as ``open()`` resolves them; a bare file name (``libx.so``) is
    refused, so the current directory is never searched implicitly.

    Loading the same file again (under the same name) returns the same module object, whatever
    path names it (symbolic links, hard links); plugins are never unloaded. A file that was
    replaced or modified after this process loaded it is refused with :class:`PluginLoadError`
    instead of silently giving the old code: the dynamic loader keeps serving the library it
    mapped first from that path (docs/reliability.md).

    Raises :class:`PluginLoadError` (an :class:`ImportError`) naming the file and the reason
    when the file is missing, is not a shared library, is not a pyz3 plugin, was built for an
    incompatible ABI, or has an invalid descriptor.
    """
    fspath = os.fspath(path)
    if not isinstance(fspath, str):
        raise TypeError(f"load() path must be str or os.PathLike[str], not {type(fspath).__name__}")
    _check_path(fspath)
    _check_module_name(name)
    if debug is None:
        debug = os.environ.get("PYZ3_DEBUG", "") not in ("", "0")
    elif not isinstance(debug, bool):
        raise TypeError(f"load() argument 'debug' must be bool or None, not {type(debug).__name__}")
    with _lock:
        # Resolved once, component by component as the kernel does (a/../x with a symlink a is not
        # x); the runtime and the dynamic loader are handed this canonical path.
        real = os.path.realpath(fspath)
        before = _stat(real)
        if before is None:
            # Missing or unreachable: the runtime names the problem ("no such file", ...) for the
            # path as given, made absolute. It returns only if the file appeared meanwhile.
            module = _pyz3.load(os.path.join(os.getcwd(), fspath), name, *_debug_flag(debug))
        else:
            module = _cached(real, before, name, debug)
            if module is not None:
                return module
            module = _pyz3.load(real, name, *_debug_flag(debug))
        after = _stat(module.__file__)
        stamp = None if before is None else (before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns)
        if after is None or (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns) != stamp:
            _mapped[real] = _mapped[module.__file__] = None
            raise PluginLoadError(
                f"cannot load pyz3 plugin {real!r}: the file changed while it was being loaded, so which "
                "version the dynamic loader mapped is unknown; restart the process to load it",
                path=real,
            )
        identity = (after.st_dev, after.st_ino)
        _mapped[real] = _mapped[module.__file__] = identity
        _stamps[identity] = (before.st_size, before.st_mtime_ns)
        # A load that ran meanwhile on this thread (a signal handler) may have made this module.
        module = _modules.setdefault((*identity, name, debug), module)
        # load(path) and load(path, name=<its declared name>) are one module, whichever came
        # first, so a function unpickled by (path, module name) is the one that was pickled.
        module = _modules.setdefault((*identity, module.__name__, debug), module)
        _modules[(*identity, name, debug)] = module
        return module


def _debug_flag(debug: bool) -> tuple[bool, ...]:
    # The runtime's load takes the flag only when it is set: release loads call it as before.
    return (True,) if debug else ()


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _cached(real: str, st: os.stat_result, name: str | None, debug: bool) -> ModuleType | None:
    """The module already loaded from the file ``st`` describes, or None; refuses a file that
    changed since this process loaded it, where loading would silently give the old code."""
    identity = (st.st_dev, st.st_ino)
    if real in _mapped and _mapped[real] != identity:
        reason = (
            "the file changed while an earlier load read it, so which version the dynamic loader "
            "mapped is unknown"
            if _mapped[real] is None
            else "the file was replaced after this process loaded it, and the dynamic loader keeps "
            "serving the library it mapped first from this path"
        )
        raise PluginLoadError(
            f"cannot load pyz3 plugin {real!r}: {reason}; restart the process to use the new file, or "
            "load it from another path",
            path=real,
        )
    stamp = _stamps.get(identity)
    if stamp is not None and stamp != (st.st_size, st.st_mtime_ns):
        raise PluginLoadError(
            f"cannot load pyz3 plugin {real!r}: the file was modified in place after this process "
            "loaded it (its size or modification time changed), so the loaded code is not what the "
            "file holds; restart the process to use the new file, and replace plugin files by renaming "
            "a new file over them (as pyz3-loader build does): rewriting a loaded library in place "
            "crashes the processes that run it",
            path=real,
        )
    return _modules.get((*identity, name, debug))


def _check_module_name(name: object) -> None:
    if name is None:
        return
    if not isinstance(name, str):
        raise TypeError(f"load() argument 'name' must be str or None, not {type(name).__name__}")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in name.split(".")):
        raise ValueError(
            f"load() argument 'name' must be a module name (identifiers joined by dots, none of them "
            f"a keyword), not {name!r}"
        )


def _before_fork() -> None:
    # A child forked while another thread is inside load() would inherit the lock held by a thread
    # that does not exist there, and hang on its first load; so fork() waits for loads in progress
    # (as CPython's import lock makes it wait for imports). Re-entrant: a fork from inside a load
    # on this thread goes ahead.
    _lock.acquire()


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    global _lock
    # A fresh lock: the child has one thread, and no load is in progress on any other.
    _lock = threading.RLock()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)


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


def _plugin_module(path: str, module_name: str, what: str) -> ModuleType:
    """The module of the plugin at ``path`` published as ``module_name``, for unpickling ``what``.

    Objects of plugins pickle by reference: (plugin path, module name, name). Where the path
    does not exist (another machine, a relocated install), the module is imported by name
    instead, which serves modules made by ``pyz3-loader build`` and the import hook. A module
    this process (or the parent it was forked from) already loaded from ``path`` is the one that
    was pickled, even if the file was replaced since.
    """
    with _lock:
        identity = _mapped.get(os.path.realpath(path))
        module = None
        if identity is not None:
            release, debug = (_modules.get((*identity, module_name, d)) for d in (False, True))
            module = release or debug
    if module is None and os.path.exists(path):
        module = load(path, name=module_name)
    elif module is None:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise PluginLoadError(
                f"cannot unpickle {what}: {path} does not exist and module {module_name!r} cannot be "
                f"imported ({exc})",
                path=path,
            ) from exc
    return module


def _function_owner(path: str, module_name: str, func_name: str) -> object:
    """Unpickling helper: the ``__self__`` of ``func_name`` in the plugin at ``path``.

    Functions pickle by reference: (plugin path, module name, function name); a static or class
    method's name is ``Class.name``. See :func:`_plugin_module` for how the module is found.
    """
    module = _plugin_module(path, module_name, f"{module_name}.{func_name}")
    found: object = module
    for part in func_name.split("."):
        found = getattr(found, part, None)
    owner = getattr(found, "__self__", None)
    if f"{type(owner).__module__}.{type(owner).__name__}" != "pyz3.PluginFunction":
        raise PluginLoadError(
            f"cannot unpickle {module_name}.{func_name}: {module.__name__} has no pyz3 function "
            f"{func_name!r}",
            path=path,
        )
    return owner


def _plugin_exception(path: str, module_name: str, class_name: str, args: tuple) -> BaseException:
    """Unpickling helper: an instance of the plugin's exception class ``class_name``."""
    module = _plugin_module(path, module_name, f"{module_name}.{class_name}")
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and "__pyz3_origin__" in cls.__dict__):
        raise PluginLoadError(
            f"cannot unpickle {module_name}.{class_name}: {module.__name__} has no pyz3 exception "
            f"class {class_name!r}",
            path=path,
        )
    return cls(*args)


def _reduce_plugin_exception(self: BaseException) -> tuple:
    """``__reduce__`` of a plugin's exception classes: pickled by reference to the plugin (the
    module may not be importable by name), with the arguments and attributes; a Python subclass
    of one pickles as exceptions usually do."""
    cls = type(self)
    origin = cls.__dict__.get("__pyz3_origin__")
    if origin is None:
        return BaseException.__reduce__(self)
    path, module_name = origin
    return (_plugin_exception, (path, module_name, cls.__name__, self.args), self.__dict__ or None)


def _class_instance(path: str, module_name: str, class_name: str, state: object) -> object:
    """Unpickling helper: an instance of class ``class_name`` of the plugin at ``path``, made by
    the class's ``import_state`` hook from ``state`` (instances pickle by reference, like
    functions; see :func:`_plugin_module`)."""
    module = _plugin_module(path, module_name, f"{module_name}.{class_name}")
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise PluginLoadError(
            f"cannot unpickle {module_name}.{class_name}: {module.__name__} has no class {class_name!r}",
            path=path,
        )
    return _pyz3.import_instance(cls, state)


def _subclass_instance(cls: type, state: object) -> object:
    """Unpickling helper: an instance of ``cls``, a Python subclass of a pyz3 class (pickled by
    reference to itself), whose native state ``import_state`` makes from ``state``; pickle then
    restores its ``__dict__``."""
    return _pyz3.import_instance(cls, state)


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
            # realpath, not abspath: ".." after a symlinked package directory means what the OS says.
            return os.path.realpath(candidate)
    raise FileNotFoundError("pyz3.h is not installed next to the pyz3 package")


def get_library_dir() -> str:
    """Directory holding ``libpyz3.so`` to link plugins against (``-L<dir> -lpyz3``)."""
    here = os.path.dirname(__file__)
    for candidate in (os.path.join(here, "lib"), os.path.join(here, "..", "lib")):
        if os.path.exists(os.path.join(candidate, "libpyz3.so")):
            return os.path.realpath(candidate)
    raise FileNotFoundError("libpyz3.so is not installed next to the pyz3 package")


def get_pkgconfig_dir() -> str:
    """Directory holding ``pyz3.pc``: ``PKG_CONFIG_PATH=<dir> pkg-config --cflags --libs pyz3``."""
    candidate = os.path.join(get_library_dir(), "pkgconfig")
    if os.path.isfile(os.path.join(candidate, "pyz3.pc")):
        return candidate
    raise FileNotFoundError("pyz3.pc is not installed next to the pyz3 package")
