"""plugins/demo.py: load the sample plugins and show them working (run by `make demo`).

Usage: python plugins/demo.py build/plugins
"""

from __future__ import annotations

import inspect
import pathlib
import sys

import pyz3


def show(label: str, fn, *args, **kwargs) -> None:
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    try:
        result = repr(fn(*args, **kwargs))
    except Exception as exc:
        result = f"raises {type(exc).__name__}: {exc}"
    print(f"  {label}({shown}) -> {result}")


def demo_hello(plugins: pathlib.Path) -> None:
    hello = pyz3.load(plugins / "libhello.so")
    print(f"{hello.__name__}: {hello.__doc__}")
    print(f"  loaded from {hello.__file__} (ABI {hello.__pyz3_abi__[0]}.{hello.__pyz3_abi__[1]})")
    for name in ("add", "greet", "scale", "describe", "half"):
        fn = getattr(hello, name)
        print(f"  {name}{inspect.signature(fn)}: {fn.__doc__}")
    show("hello.add", hello.add, 2, 3)
    show("hello.greet", hello.greet, "wörld")
    show("hello.greet", hello.greet)
    show("hello.scale", hello.scale, 1.5, factor=4.0)
    show("hello.describe", hello.describe, 7, verbose=True, sep=" = ")
    show("hello.half", hello.half, None)
    show("hello.echo_u64", hello.echo_u64, 2**64 - 1)
    show("hello.echo_i8", hello.echo_i8, 300)
    show("hello.add", hello.add, "two", 3)
    show("hello.add", hello.add, 1, c=2)
    show("hello.lookup", hello.lookup, "four")
    show("hello.divide", hello.divide, 1.0, 0.0)


def demo_optional(plugins: pathlib.Path, name: str, calls: list[tuple[str, tuple]]) -> None:
    path = plugins / f"lib{name}.so"
    if not path.exists():
        return
    module = pyz3.load(path)
    print(f"{module.__name__}: {module.__doc__}")
    for fn_name, args in calls:
        show(f"{module.__name__}.{fn_name}", getattr(module, fn_name), *args)


def main() -> int:
    plugins = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/plugins")
    info = pyz3.build_info()
    abi = f"{info['abi_major']}.{info['abi_minor']}"
    print(f"pyz3 {pyz3.__version__}, ABI {abi}, runtime built for Python {info['python']}")
    print(f"optimisations: {pyz3.optimizations()}")
    demo_hello(plugins)
    demo_optional(
        plugins,
        "gil_bench",
        [
            ("nested_allocations", ()),
            ("deep_nesting", ()),
            ("benchmark_allocations", (1000,)),
            ("worker_threads", (4, 1000, True)),
        ],
    )
    demo_optional(
        plugins,
        "fastpath_bench",
        [("return_i64", (21,)), ("mixed_types", (1, 2.5, True, "s")), ("benchmark_primitives", (1000,))],
    )
    demo_optional(plugins, "pool_bench", [("small_int", (7,)), ("get_none", ())])
    demo_optional(plugins, "hello_zig", [("add", (2, 3)), ("greet", ("zig",)), ("half", (None,))])
    return 0


if __name__ == "__main__":
    sys.exit(main())
