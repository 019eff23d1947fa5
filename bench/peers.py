"""bench/peers.py: build and load every binding the benchmark compares, for the running Python.

Each binding exposes the same functions (noop, add, fadd, slen, greet, kwargs, alloc10,
thread_alloc_scoped, thread_alloc_unscoped, roundtrip1000; docs/performance.md), and under
"classes" a module with the class benchmarks' Counter, RollingStats and merge (the pyz3 sample
plugin plugins/c/classes, and each peer's own). Builds are cached in
a per-version directory and redone when a source is newer than the product. A binding that cannot
be installed, built or loaded comes back with the reason instead of functions, so the harness
reports it as skipped; a case a binding has no natural way to express is skipped with its reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType

BENCH_DIR = pathlib.Path(__file__).resolve().parent
COMMON = [
    BENCH_DIR / "common" / n
    for n in (
        "bench_common.h",
        "cpython_work.h",
        "cxx_work.hpp",
        "containers_work.h",
        "rolling.h",
        "classes.hpp",
    )
]
# The entry of Binding.functions holding the class benchmarks' module (Counter, RollingStats,
# merge).
CLASSES = "classes"
NO_CLASSES = "a plain C library has no classes: ctypes and cffi call functions only"
FUNCTIONS = (
    "noop",
    "add",
    "fadd",
    "slen",
    "greet",
    "kwargs",
    "alloc10",
    "thread_alloc_scoped",
    "thread_alloc_unscoped",
    "roundtrip1000",
    "sum_f64",
    "crc32",
    "linspace",
    "linspace_np",
    "sum_list",
    "minmax",
    "apply",
    "count_up",
    "word_counts",
)
# Functions a binding may lack (a peer with no natural way to express them), and why by default.
BUFFER_FUNCTIONS = ("sum_f64", "crc32", "linspace", "linspace_np")
CONTAINER_FUNCTIONS = ("sum_list", "minmax", "apply", "count_up", "word_counts")
OPTIMIZATIONS = ("gil_cache", "fast_paths", "pool")
# Every compiled peer gets -O2 (the floor's level); pthread for the native-thread cases.
C_FLAGS = ("-std=c11", "-O2", "-fPIC", "-shared", "-pthread")
CXX_FLAGS = ("-std=c++17", "-O2", "-fPIC", "-fvisibility=hidden", "-pthread")


class Unavailable(Exception):
    """A binding cannot be used here; the message says why (shown as the skip reason)."""


@dataclass
class Binding:
    """One way of calling the benchmark functions from Python."""

    name: str
    what: str
    functions: dict[str, Callable] = field(default_factory=dict)
    # Function name -> why this binding has no version of it.
    missing: dict[str, str] = field(default_factory=dict)
    # Function name -> how this binding's version differs from a direct call (shown in tables).
    notes: dict[str, str] = field(default_factory=dict)
    # pyz3 only: the optimisation switches to set while this binding is timed.
    optimizations: dict[str, bool] | None = None
    # Set when the whole binding is unavailable.
    skipped: str | None = None

    def enter(self) -> None:
        if self.optimizations is not None:
            import pyz3

            pyz3.set_optimizations(**{name: True for name in OPTIMIZATIONS})
            pyz3.set_optimizations(**self.optimizations)

    def leave(self) -> None:
        if self.optimizations is not None:
            import pyz3

            pyz3.set_optimizations(**{name: True for name in OPTIMIZATIONS})


@dataclass
class Context:
    """Where sources are, where products go, and what the build saw."""

    build: pathlib.Path  # the project's build/ (libpyz3, the pyz3 bench plugin, libplain.so)
    work: pathlib.Path  # per-Python-version products (compiled extensions, logs)
    cc: str = field(default_factory=lambda: os.environ.get("CC", "gcc"))
    cxx: str = field(default_factory=lambda: os.environ.get("CXX", "g++"))
    cargo: str = field(default_factory=lambda: os.environ.get("CARGO", "cargo"))

    @property
    def py_inc(self) -> str:
        return f"-I{sysconfig.get_paths()['include']}"

    @property
    def ext_suffix(self) -> str:
        return sysconfig.get_config_var("EXT_SUFFIX")

    @property
    def bench_out(self) -> pathlib.Path:
        return self.build / "bench"


def _stale(product: pathlib.Path, inputs: Iterable[pathlib.Path]) -> bool:
    if not product.exists():
        return True
    built = product.stat().st_mtime
    return any(p.stat().st_mtime > built for p in inputs)


def _run(ctx: Context, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
    """Runs a build command, logging it; raises Unavailable with the tail of its output."""
    ctx.work.mkdir(parents=True, exist_ok=True)
    log = ctx.work / f"{name}.build.log"
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    log.write_text(f"$ {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise Unavailable(f"build failed ({log}): {tail[:300]}")


def _load_extension(name: str, path: pathlib.Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise Unavailable(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise Unavailable(f"import failed: {exc}") from exc
    # Registered like an imported module: a module nothing references is collected, and with it
    # the types it defined (nanobind's count_up then cannot return its iterator class).
    sys.modules[name] = module
    return module


def _c_extension(ctx: Context, name: str, source: pathlib.Path, extra: Sequence[str] = ()) -> ModuleType:
    product = ctx.work / f"{name}{ctx.ext_suffix}"
    flags_file = ctx.work / f"{name}.flags"
    flags = " ".join(extra)
    if _stale(product, [source, *COMMON]) or not flags_file.exists() or flags_file.read_text() != flags:
        _run(
            ctx,
            name,
            [
                ctx.cc,
                *C_FLAGS,
                "-Wall",
                "-Wextra",
                "-Werror",
                *extra,
                ctx.py_inc,
                str(source),
                "-o",
                str(product),
            ],
        )
        flags_file.write_text(flags)
    return _load_extension(name, product)


def _require(module: str, pip_name: str, ctx: Context) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        failures = ctx.work / "pip-failures.txt"
        detail = ""
        if failures.exists() and pip_name in failures.read_text():
            detail = f"; `pip install` of it failed, see {ctx.work / 'pip.log'}"
        raise Unavailable(f"{pip_name} is not installed ({exc}){detail}") from exc


def _from_module(binding: Binding, module: ModuleType) -> Binding:
    # Every peer's linspace returns a numpy array already; pyz3 has a separate linspace_np.
    if not hasattr(module, "linspace_np") and hasattr(module, "linspace"):
        binding.functions["linspace_np"] = module.linspace
    for fn in FUNCTIONS:
        if fn in binding.missing or fn in binding.functions:
            continue
        if fn in BUFFER_FUNCTIONS and not hasattr(module, fn):
            binding.missing[fn] = f"no buffer version written for {binding.name}"
            continue
        binding.functions[fn] = getattr(module, fn)
    return binding


def _with_classes(binding: Binding, load: Callable[[], ModuleType]) -> Binding:
    """Adds the binding's class module; one that cannot be built or loaded skips the class cases
    with the reason, not the whole binding."""
    try:
        binding.functions[CLASSES] = load()
    except Unavailable as exc:
        binding.missing[CLASSES] = str(exc)
    return binding


# ---- the bindings ---------------------------------------------------------------------------------


def floor(ctx: Context) -> Binding:
    # linspace uses numpy's C API (PyArray_SimpleNew), built in when numpy's headers are there.
    try:
        import numpy

        extra = ["-DBENCH_NUMPY", f"-I{numpy.get_include()}"]
    except ImportError:
        extra = []
    module = _c_extension(ctx, "floor", BENCH_DIR / "floor" / "floor.c", extra)
    binding = Binding("floor", "handwritten C, METH_FASTCALL (| METH_KEYWORDS), static types, -O2")
    if not extra:
        binding.missing.update(dict.fromkeys(("linspace", "linspace_np"), "numpy is not installed"))
    binding = _from_module(binding, module)
    return _with_classes(
        binding, lambda: _c_extension(ctx, "floor_classes", BENCH_DIR / "floor" / "floor_classes.c")
    )


def varargs(ctx: Context) -> Binding:
    module = _c_extension(ctx, "varargs", BENCH_DIR / "varargs" / "varargs.c")
    binding = Binding("varargs", "handwritten C, METH_VARARGS + PyArg_ParseTuple(AndKeywords), -O2")
    binding.missing.update(
        dict.fromkeys(
            CONTAINER_FUNCTIONS, "the METH_VARARGS peer shows the argument-parsing cost of scalar cases"
        )
    )
    binding.missing[CLASSES] = (
        "the METH_VARARGS variant covers functions only (the floor has the class types)"
    )
    return _from_module(binding, module)


NO_PYTHON_ALLOCATOR = (
    "a plain C library has no GIL-aware Python allocator (and ctypes/cffi release the GIL "
    "around calls); malloc would be different work"
)
NO_CONVERSION_API = "ctypes/cffi convert only at the call boundary; they have no C-level conversion functions"
STR_NOTE = "Python wrapper encodes the str (and decodes the result): char* takes bytes"
KW_NOTE = "Python wrapper: foreign functions take no keyword arguments"


NO_CONTAINERS = (
    "a plain C library sees no Python lists, dicts, callables or iterators: "
    "the Python wrapper would do the work"
)


def _plain_missing() -> dict[str, str]:
    missing = dict.fromkeys(("alloc10", "thread_alloc_scoped", "thread_alloc_unscoped"), NO_PYTHON_ALLOCATOR)
    missing["roundtrip1000"] = NO_CONVERSION_API
    missing[CLASSES] = NO_CLASSES
    missing.update(
        dict.fromkeys(BUFFER_FUNCTIONS, "not written for the plain C library (pointers, not buffers)")
    )
    missing.update(dict.fromkeys(CONTAINER_FUNCTIONS, NO_CONTAINERS))
    return missing


def _plain_library(ctx: Context) -> pathlib.Path:
    path = ctx.bench_out / "libplain.so"
    if not path.exists():
        raise Unavailable(f"{path} is missing: build it with `make bench` (bench/bench.mk)")
    return path


def ctypes_binding(ctx: Context) -> Binding:
    lib = ctypes.CDLL(str(_plain_library(ctx)))
    i64, f64, cp = ctypes.c_int64, ctypes.c_double, ctypes.c_char_p
    signatures = {
        "noop": ([], None),
        "add": ([i64, i64], i64),
        "fadd": ([f64, f64], f64),
        "slen": ([cp], i64),
        "greet": ([cp, ctypes.POINTER(ctypes.c_char)], i64),
        "kwargs": ([i64, i64, i64], i64),
    }
    raw = {}
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, f"bench_{name}")
        fn.argtypes = argtypes
        fn.restype = restype
        raw[name] = fn
    c_greet = raw["greet"]
    buf = ctypes.create_string_buffer(256)

    def greet(name: str) -> str:
        n = c_greet(name.encode(), buf)
        if n < 0:
            raise ValueError("name too long")
        return buf.raw[:n].decode()

    what = "ctypes.CDLL on a plain C library, argtypes/restype set"
    return _plain_binding("ctypes", what, raw, greet)


def _plain_binding(name: str, what: str, c_functions: dict[str, Callable], greet: Callable) -> Binding:
    """The ctypes/cffi binding: the foreign functions, with the Python wrappers they need."""
    c_slen, c_kwargs = c_functions["slen"], c_functions["kwargs"]

    def slen(s: str) -> int:
        return c_slen(s.encode())

    def kwargs(a: int, b: int, c: int) -> int:
        return c_kwargs(a, b, c)

    b = Binding(name, what, missing=_plain_missing())
    b.functions.update(
        {n: c_functions[n] for n in ("noop", "add", "fadd")}, slen=slen, greet=greet, kwargs=kwargs
    )
    b.notes.update(slen=STR_NOTE, greet=STR_NOTE, kwargs=KW_NOTE)
    return b


def _cdef() -> str:
    text = (BENCH_DIR / "plain" / "plain.h").read_text()
    return text.split("/* cdef-begin */", 1)[1].split("/* cdef-end */", 1)[0]


def _cffi_functions(name: str, what: str, ffi, lib) -> Binding:
    buf = ffi.new("char[256]")
    c_greet = lib.bench_greet

    def greet(s: str) -> str:
        n = c_greet(s.encode(), buf)
        if n < 0:
            raise ValueError("name too long")
        return ffi.unpack(buf, n).decode()

    names = ("noop", "add", "fadd", "slen", "kwargs")
    return _plain_binding(name, what, {n: getattr(lib, f"bench_{n}") for n in names}, greet)


def cffi_abi(ctx: Context) -> Binding:
    cffi = _require("cffi", "cffi", ctx)
    ffi = cffi.FFI()
    ffi.cdef(_cdef())
    lib = ffi.dlopen(str(_plain_library(ctx)))
    return _cffi_functions("cffi-abi", "cffi ABI mode (ffi.dlopen) on the plain C library", ffi, lib)


def cffi_api(ctx: Context) -> Binding:
    cffi = _require("cffi", "cffi", ctx)
    name = "_cffi_bench"
    product = ctx.work / f"{name}{ctx.ext_suffix}"
    plain = BENCH_DIR / "plain"
    if _stale(product, [plain / "plain.c", plain / "plain.h", *COMMON]):
        ffi = cffi.FFI()
        ffi.cdef(_cdef())
        ffi.set_source(name, '#include "plain.h"')
        ctx.work.mkdir(parents=True, exist_ok=True)
        c_file = ctx.work / f"{name}.c"
        with contextlib.redirect_stdout(io.StringIO()):  # cffi announces what it generates
            ffi.emit_c_code(str(c_file))
        _run(
            ctx,
            name,
            [
                ctx.cc,
                *C_FLAGS,
                ctx.py_inc,
                f"-I{plain}",
                str(c_file),
                str(plain / "plain.c"),
                "-o",
                str(product),
            ],
        )
    module = _load_extension(name, product)
    return _cffi_functions(
        "cffi-api", "cffi API mode (compiled out of line, plain.c linked in)", module.ffi, module.lib
    )


def pybind11(ctx: Context) -> Binding:
    pb = _require("pybind11", "pybind11", ctx)
    source = BENCH_DIR / "pybind11" / "pb11_bench.cpp"
    product = ctx.work / f"pb11_bench{ctx.ext_suffix}"
    if _stale(product, [source, *COMMON]):
        _run(
            ctx,
            "pb11_bench",
            [
                ctx.cxx,
                *CXX_FLAGS,
                "-shared",
                f"-I{pb.get_include()}",
                ctx.py_inc,
                str(source),
                "-o",
                str(product),
            ],
        )
    module = _load_extension("pb11_bench", product)
    binding = _from_module(Binding("pybind11", f"pybind11 {pb.__version__}, -O2"), module)
    return _with_classes(binding, lambda: _pybind11_module(ctx, pb, "pb11_classes"))


def _pybind11_module(ctx: Context, pb: ModuleType, name: str) -> ModuleType:
    source = BENCH_DIR / "pybind11" / f"{name}.cpp"
    product = ctx.work / f"{name}{ctx.ext_suffix}"
    if _stale(product, [source, *COMMON]):
        cmd = [ctx.cxx, *CXX_FLAGS, "-shared", f"-I{pb.get_include()}", ctx.py_inc, str(source)]
        _run(ctx, name, [*cmd, "-o", str(product)])
    return _load_extension(name, product)


def nanobind(ctx: Context) -> Binding:
    nb = _require("nanobind", "nanobind", ctx)
    source = BENCH_DIR / "nanobind" / "nb_bench.cpp"
    product = ctx.work / f"nb_bench{ctx.ext_suffix}"
    src_dir = pathlib.Path(nb.source_dir())
    includes = [f"-I{nb.include_dir()}", f"-I{src_dir.parent / 'ext' / 'robin_map' / 'include'}"]
    flags = [*CXX_FLAGS, "-fno-strict-aliasing", *includes, ctx.py_inc]
    runtime = ctx.work / "nb_combined.o"
    if _stale(runtime, [src_dir / "nb_combined.cpp"]):
        _run(
            ctx,
            "nb_combined",
            [ctx.cxx, *flags, "-c", str(src_dir / "nb_combined.cpp"), "-o", str(runtime)],
        )
    if _stale(product, [source, runtime, *COMMON]):
        _run(
            ctx,
            "nb_bench",
            [ctx.cxx, *flags, "-shared", str(source), str(runtime), "-o", str(product)],
        )
    module = _load_extension("nb_bench", product)
    binding = _from_module(Binding("nanobind", f"nanobind {nb.__version__}, -O2"), module)

    def classes() -> ModuleType:
        source = BENCH_DIR / "nanobind" / "nb_classes.cpp"
        product = ctx.work / f"nb_classes{ctx.ext_suffix}"
        if _stale(product, [source, runtime, *COMMON]):
            _run(
                ctx, "nb_classes", [ctx.cxx, *flags, "-shared", str(source), str(runtime), "-o", str(product)]
            )
        return _load_extension("nb_classes", product)

    return _with_classes(binding, classes)


def cython(ctx: Context) -> Binding:
    cy = _require("Cython", "cython", ctx)
    source = BENCH_DIR / "cython" / "cy_bench.pyx"
    c_file = ctx.work / "cy_bench.c"
    product = ctx.work / f"cy_bench{ctx.ext_suffix}"
    if _stale(product, [source, *COMMON]):
        ctx.work.mkdir(parents=True, exist_ok=True)
        _run(ctx, "cy_bench.cython", [sys.executable, "-m", "cython", "-3", str(source), "-o", str(c_file)])
        _run(
            ctx,
            "cy_bench",
            [ctx.cc, *C_FLAGS, ctx.py_inc, f"-I{source.parent}", str(c_file), "-o", str(product)],
        )
    module = _load_extension("cy_bench", product)
    binding = _from_module(
        Binding("cython", f"Cython {cy.__version__} def functions and cdef classes, -O2"), module
    )

    def classes() -> ModuleType:
        source = BENCH_DIR / "cython" / "cy_classes.pyx"
        c_file = ctx.work / "cy_classes.c"
        product = ctx.work / f"cy_classes{ctx.ext_suffix}"
        if _stale(product, [source, *COMMON]):
            _run(
                ctx,
                "cy_classes.cython",
                [sys.executable, "-m", "cython", "-3", str(source), "-o", str(c_file)],
            )
            cmd = [ctx.cc, *C_FLAGS, ctx.py_inc, f"-I{source.parent}", str(c_file), "-o", str(product)]
            _run(ctx, "cy_classes", cmd)
        return _load_extension("cy_classes", product)

    return _with_classes(binding, classes)


PYO3_DIR = BENCH_DIR / "pyo3"


def _locked_version(lockfile: pathlib.Path, package: str) -> str:
    """The version of `package` pinned in a Cargo.lock ('?' if it is not there)."""
    for block in lockfile.read_text().split("[[package]]"):
        if f'name = "{package}"\n' in block:
            for line in block.splitlines():
                if line.startswith("version = "):
                    return line.split('"')[1]
    return "?"


def pyo3(ctx: Context) -> Binding:
    """bench/pyo3, a PyO3 extension crate (its own workspace and Cargo.lock), built with the
    machine's cargo for the running Python into build/bench/py3.X/."""
    cargo = shutil.which(ctx.cargo)
    if cargo is None:
        raise Unavailable(
            f"cargo ({ctx.cargo}) is not on PATH: PyO3 extensions are built with a Rust toolchain"
        )
    product = ctx.work / f"pyo3_bench{ctx.ext_suffix}"
    sources = [
        *(PYO3_DIR / n for n in ("Cargo.toml", "Cargo.lock", "build.rs")),
        *sorted((PYO3_DIR / "src").rglob("*.rs")),
        BENCH_DIR / "common" / "bench_common.h",
    ]
    if _stale(product, sources):
        target = ctx.work / "pyo3-target"
        env = {
            **os.environ,
            "PYO3_PYTHON": sys.executable,
            "PYO3_BUILD_EXTENSION_MODULE": "1",
            "CARGO_TARGET_DIR": str(target),
        }
        manifest = str(PYO3_DIR / "Cargo.toml")
        _run(
            ctx, "pyo3_bench", [cargo, "build", "--release", "--locked", "--manifest-path", manifest], env=env
        )
        partial = product.with_name(product.name + ".tmp")
        shutil.copyfile(target / "release" / "libpyo3_bench.so", partial)
        os.replace(partial, product)
    module = _load_extension("pyo3_bench", product)
    version = _locked_version(PYO3_DIR / "Cargo.lock", "pyo3")
    binding = _from_module(
        Binding("pyo3", f"PyO3 {version} #[pyfunction]s and #[pyclass]es, release profile as libpyz3's"),
        module,
    )
    return _with_classes(binding, lambda: module)


def _pyz3_module(ctx: Context, filename: str, where: pathlib.Path | None = None) -> ModuleType:
    try:
        import pyz3
    except ImportError as exc:
        raise Unavailable(f"the pyz3 package is not importable ({exc}): set PYTHONPATH=build/python") from exc
    path = (ctx.bench_out if where is None else where) / filename
    if not path.exists():
        raise Unavailable(f"{path} is missing: build it with `make bench` (bench/bench.mk)")
    try:
        return pyz3.load(path)
    except ImportError as exc:
        raise Unavailable(f"pyz3.load failed: {exc}") from exc


def pyz3_c(ctx: Context, off: str | None = None) -> Binding:
    module = _pyz3_module(ctx, "libpyz3_bench.so")
    if off is None:
        binding = _from_module(
            Binding("pyz3", "pyz3 C plugin, all optimisations on", optimizations={}), module
        )
    else:
        binding = _from_module(
            Binding(f"pyz3 ({off} off)", f"pyz3 C plugin, {off} off", optimizations={off: False}), module
        )
    # The classes are the sample plugin's (plugins/c/classes), as a user gets them.
    return _with_classes(binding, lambda: _pyz3_module(ctx, "libclasses.so", ctx.build / "plugins"))


def pyz3_zig(ctx: Context) -> Binding:
    skip = ctx.bench_out / "pyz3-zig.skip"
    if skip.exists():
        raise Unavailable(skip.read_text().strip())
    module = _pyz3_module(ctx, "libpyz3_bench_zig.so")
    binding = _from_module(
        Binding("pyz3-zig", "pyz3 Zig plugin (sdk/zig/pyz3.zig SDK), all optimisations on", optimizations={}),
        module,
    )
    return _with_classes(binding, lambda: _pyz3_module(ctx, "libclasses_zig.so", ctx.build / "plugins"))


def zlib_binding(ctx: Context) -> Binding:
    """CPython's own zlib.crc32, for the crc32 case only."""
    import zlib

    b = Binding("zlib", "zlib.crc32 (CPython's zlib module, the library's table-sliced CRC)")
    b.missing.update({fn: "zlib has crc32 only" for fn in (*FUNCTIONS, CLASSES) if fn != "crc32"})
    b.functions["crc32"] = zlib.crc32
    return b


# Name -> factory, in table order. The "off" variants share the C plugin.
FACTORIES: dict[str, Callable[[Context], Binding]] = {
    "floor": floor,
    "pyz3": pyz3_c,
    "pyz3-zig": pyz3_zig,
    **{f"pyz3 ({opt} off)": (lambda ctx, opt=opt: pyz3_c(ctx, off=opt)) for opt in OPTIMIZATIONS},
    "varargs": varargs,
    "ctypes": ctypes_binding,
    "cffi-abi": cffi_abi,
    "cffi-api": cffi_api,
    "pybind11": pybind11,
    "nanobind": nanobind,
    "cython": cython,
    "pyo3": pyo3,
    "zlib": zlib_binding,
}


def load(name: str, ctx: Context) -> Binding:
    """Builds (if needed) and loads one binding; never raises for an unavailable peer."""
    try:
        return FACTORIES[name](ctx)
    except Unavailable as exc:
        return Binding(name, "", skipped=str(exc))
    except Exception as exc:  # a peer's own import or build machinery failing in an unexpected way
        return Binding(name, "", skipped=f"{type(exc).__name__}: {exc}")
