"""bench/gil_check.py: ns per GIL-ownership check, per mechanism, in one process (`make bench-gil`).

Loads the library built from capi/core/examples/gil_check.rs with ``ctypes.PyDLL`` (the GIL stays
held during the call) and prints, for n iterations of a native loop: the initial-exec TLS read
libpyz3 uses, a ``thread_local!`` read (what a plain Rust cdylib gets), ``PyGILState_Check()``,
and ``PyGILState_Ensure`` + ``Release`` with the GIL held. Times only; nothing is asserted.
"""

from __future__ import annotations

import ctypes
import platform
import sys

NAMES = ("initial-exec TLS read", "thread_local! read", "PyGILState_Check", "PyGILState_Ensure+Release")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: gil_check.py LIBRARY [N]", file=sys.stderr)
        return 2
    lib = ctypes.PyDLL(argv[1])
    n = int(argv[2]) if len(argv) == 3 else 20_000_000
    out = (ctypes.c_double * 4)()
    lib.pyz3_bench_gil_check.argtypes = (ctypes.c_uint64, ctypes.POINTER(ctypes.c_double))
    if lib.pyz3_bench_gil_check(n, out) != 0:
        print("gil_check: bad arguments", file=sys.stderr)
        return 1
    print(f"GIL-ownership checks, ns per operation ({n:,} iterations, CPython {platform.python_version()})")
    for name, value in zip(NAMES, out, strict=False):
        print(f"  {name:<28} {value:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
