"""tests/memcheck.py: run pytest under valgrind memcheck and fail on any error in pyz3 code.

Usage: python tests/memcheck.py BUILD_DIR [pytest arguments...]

CPython itself is not valgrind-clean (uninitialised reads in its startup, deliberate leaks at
exit), so the run is judged from valgrind's XML report: an error counts when any frame of its
stack lies in libpyz3 (``_pyz3*.so`` / ``libpyz3.so*``) or in a plugin built by this project
(``BUILD_DIR/plugins``, ``BUILD_DIR/test-plugins``). For leaks, "definitely lost" blocks
allocated from such a frame count, except the ones listed in ``EXPECTED``. Python runs with
``PYTHONMALLOC=malloc`` so that every object and PyMem block is a malloc block valgrind can see.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# (valgrind error kind, function in the stack): known, bounded, documented in docs/reliability.md.
EXPECTED = [
    # The object pool holds its ints for the life of the interpreter and drops the pointers
    # without releasing them when it finalises (the objects belong to it): once per process.
    ("Leak_DefinitelyLost", "pyz3_core::pool::init"),
    # Likewise the (at most 256-entry) cache of interned names behind pyz3_intern. A leak per
    # call there would show in tests/python/test_leaks.py (pool_bench.intern, intern_literal).
    ("Leak_DefinitelyLost", "pyz3_core::pool::intern_cstr"),
]


def expected(error: ET.Element) -> bool:
    kind = error.findtext("kind", "")
    functions = [f.findtext("fn", "") for f in error.iter("frame")]
    return any(kind == k and fn in functions for k, fn in EXPECTED)


def ours(obj: str, build: str) -> bool:
    name = os.path.basename(obj)
    if name.startswith(("_pyz3", "libpyz3.so")):
        return True
    return obj.startswith((os.path.join(build, "plugins") + "/", os.path.join(build, "test-plugins") + "/"))


def describe(error: ET.Element) -> str:
    kind = error.findtext("kind", "")
    what = error.findtext("what") or error.findtext("xwhat/text") or ""
    lines = [f"{kind}: {what}"]
    for frame in error.iter("frame"):
        fn = frame.findtext("fn", "?")
        where = frame.findtext("file") or os.path.basename(frame.findtext("obj", "?"))
        line = frame.findtext("line", "")
        lines.append(f"    {fn} ({where}{':' + line if line else ''})")
    return "\n".join(lines)


def main() -> int:
    build = os.path.realpath(sys.argv[1])
    pytest_args = sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "memcheck.xml")
        cmd = [
            "valgrind",
            "--tool=memcheck",
            "--xml=yes",
            f"--xml-file={report}",
            "--leak-check=full",
            "--show-leak-kinds=definite",
            "--errors-for-leak-kinds=definite",
            "--num-callers=40",
            "--child-silent-after-fork=yes",
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *pytest_args,
        ]
        env = dict(os.environ, PYTHONMALLOC="malloc")
        run = subprocess.run(cmd, env=env)
        tree = ET.parse(report)
    errors = tree.getroot().findall("error")
    ours_errors = [e for e in errors if any(ours(f.findtext("obj", ""), build) for f in e.iter("frame"))]
    known = [e for e in ours_errors if expected(e)]
    ours_errors = [e for e in ours_errors if not expected(e)]
    print(
        f"memcheck: {len(errors)} valgrind errors in the process, {len(ours_errors)} in pyz3 code "
        f"(and {len(known)} known, see EXPECTED)"
    )
    for e in ours_errors:
        print(describe(e))
    if run.returncode != 0:
        print(f"memcheck: pytest under valgrind exited with status {run.returncode}")
        return run.returncode
    return 1 if ours_errors else 0


if __name__ == "__main__":
    sys.exit(main())
