"""bench/instr.py: instructions per call of every case through every binding, counted by callgrind.

    python bench/instr.py run --build build --marks build/bench/libcallgrind_marks.so \
        --out build/bench/py3.11                                           # per Python version
    python bench/instr.py report --out build/bench --baseline bench/instr-baseline.json \
        build/bench/py3.*/instr.json                                       # merge, compare

`make bench-instr` runs both. Instruction counts repeat exactly for the same binaries and inputs,
so unlike the timings of bench/harness.py they can be quoted from a loaded machine and compared
across commits; they are not time (a cache miss and a register move count alike), so they
complement the timing ratios rather than replace them.

Method. `run` loads every binding here first (building it, or recording why it is skipped, as
bench/harness.py does) and checks each case's result once. Then, per binding, one process runs
`bench/harness.py loop --marks` under `valgrind --tool=callgrind --instr-atstart=no`: Python
starts and loads the binding uninstrumented; for each case the harness's own timeit loop (the
call unrolled `unroll` times, all names local) is warmed up, then run for N calls and for 2N calls,
each between a CALLGRIND_ZERO_STATS and a CALLGRIND_DUMP_STATS_AT (bench/callgrind/marks.c);
before the first case, the same loop with an empty body runs for M and 2M iterations. With I(x)
the instructions of one dump and `unroll` the calls per iteration,

    instructions per call = (I(call, 2N) - I(call, N)) / N - (I(empty, 2M) - I(empty, M)) / M / unroll

The first difference removes everything that does not scale with the number of calls (timeit's
set-up, the marks' own ctypes calls); the second removes the loop's iteration (FOR_ITER, the
jump). What remains is what one `f(args)` statement in a Python function executes: loading the
function and its arguments, CPython's call machinery, the binding's code, the native work, and
dropping the result. The call loops run in three states of pymalloc's pools, and the cheapest
counts: whether a call's allocations land on a pool's edge depends on what ran before
(shift_allocator). The measured process gets a fixed
environment and hash seed. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import datetime
import gc
import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import timeit
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # bench/ is not a package: this file runs as a script
import peers

SCHEMA = 1
HARNESS = pathlib.Path(harness.__file__).resolve()
# Calls per measured loop (N): exact to well under one instruction per call for the short cases.
DEFAULT_CALLS = 20_000
# The long cases (thousands to millions of instructions per call) need far fewer calls for the
# same precision, and the thread cases are slow under valgrind.
MAX_CALLS = {"roundtrip1000": 200, "thread_alloc_scoped": 20, "thread_alloc_unscoped": 4}
# Every binding except the optimisation-off variants of pyz3 (`--bindings` can add them).
DEFAULT_BINDINGS = tuple(n for n in peers.FACTORIES if "(" not in n)
# A change against the baseline below this fraction prints as "=" (allocator and hash jitter).
UNCHANGED = 0.005


def calls_for(case: harness.Case, calls: int) -> int:
    """N for one case: --calls, capped for the long cases, a whole number of loop iterations."""
    n = min(calls, MAX_CALLS.get(case.name, calls))
    return max(1, n // case.unroll) * case.unroll


# The empty loop's label (in place of a case name) and its iterations (M; measured M and 2M).
LOOP = "loop"
LOOP_ITERATIONS = 20_000


def label(case: str, kind: str, calls: int) -> str:
    return f"{case}|{kind}|{calls}"


# ---- inside valgrind: the measured loops (bench/harness.py loop --marks) ------------------------


# pymalloc's pools (Objects/obmalloc.c, 64-bit): 4 KiB before 3.11, 16 KiB since (with the radix
# tree); each starts with a header whose first field is the number of blocks in use.
POOL_SIZE = 4096 if sys.version_info < (3, 11) else 16384
POOL_MASK = ~(POOL_SIZE - 1)
# Attempts per size class to reach a pool of its own, at most (a few pools' worth).
FRESH_POOL_ATTEMPTS = 8 * POOL_SIZE // 32
# A pool counts as fresh with at most this many blocks in use: the object just made, and the
# ints blocks_in_pool itself makes on the way, which land in the same pool for the 32-byte class.
FRESH_POOL_BLOCKS = 4


def pymalloc_in_use() -> bool:
    """Objects come straight from pymalloc pools (no debug hooks, no PYTHONMALLOC=malloc)."""
    return (
        os.environ.get("PYTHONMALLOC", "pymalloc") == "pymalloc"
        and not sys.flags.dev_mode
        and not hasattr(sys, "gettotalrefcount")  # a debug build installs the debug hooks
    )


def blocks_in_pool(obj: object) -> int:
    """How many blocks of the pool holding `obj` are in use (its pool header's count)."""
    return ctypes.c_uint.from_address(id(obj) & POOL_MASK).value


def one_per_class() -> list[object]:
    """Makers of one new object in each pymalloc size class from 32 to 512 bytes."""
    # A float is 24 bytes (the 32-byte class); bytes(n) is 33 + n: one per class, 48 to 512.
    return [lambda h=0.5, q=0.25: h + q] + [lambda n=n: bytes(n) for n in range(15, 480, 16)]


def shift_allocator(keep: collections.deque, fresh: bool) -> None:
    """Moves every pymalloc size class from 32 to 512 bytes to another pool state; what it
    allocates stays alive in `keep`.

    A call whose objects are freed before it returns leaves pymalloc as it found it, except at a
    pool's edges: when the pool it allocates from has fewer free blocks than the call keeps
    live at once, every call fills the pool, and every free puts it back at the head of its
    class; when the pool holds nothing else, every call empties it and takes a new one. Either
    costs 6 to 50 instructions per call, and whether it happens depends on whatever ran before
    (`greet` moved by 15 instructions, `alloc10` by 47 and 101, with the cases run before
    them). `fresh`: allocate each class until an object is (nearly) alone in its pool (read from
    the pool's header), which leaves at the head a pool that is nearly empty but never empties;
    otherwise one more live block per class. Of the repeats, the cheapest is the edge-free count.

    Nothing made here is freed before `keep` is (the helpers too: freed after a class's pool was
    set up, an older object would put its own pool back at the head), and `keep` is a deque,
    whose blocks are too large for pymalloc, so growing it frees no small block.
    """
    fresh = fresh and pymalloc_in_use()
    makers = one_per_class()
    attempts = [itertools.repeat(None, FRESH_POOL_ATTEMPTS) for _ in makers]
    classes = zip(makers, attempts, strict=True)
    keep.extend((makers, attempts, classes))
    for make, tries in classes:
        obj = make()
        keep.append(obj)
        if fresh:
            for _ in tries:
                if blocks_in_pool(obj) <= FRESH_POOL_BLOCKS:
                    break
                obj = make()
                keep.append(obj)


def marked_loops(marks_path: str, binding: peers.Binding, cases: Sequence[harness.Case], calls: int) -> int:
    """Runs the empty loop for M and 2M iterations, then each case's call loop for N and 2N
    calls in three allocator states, each loop in its own callgrind dump."""
    marks = ctypes.CDLL(marks_path)
    marks.bench_cg_dump.argtypes = [ctypes.c_char_p]
    if not marks.bench_cg_running():
        raise SystemExit("--marks: not running under valgrind (bench/instr.py starts it)")
    marks.bench_cg_start()

    def measure(timer: timeit.Timer, iterations: int, what: str) -> None:
        marks.bench_cg_zero()
        timer.timeit(iterations)
        marks.bench_cg_dump(what.encode())

    # No collection may run inside a measured loop (timeit's own default, kept between them).
    gc.disable()
    binding.enter()
    try:
        # The loop's own cost per iteration, once, before any case can leave work behind (a
        # joined thread's clean-up, say) that a short loop would absorb.
        if cases:
            loop = harness.make_timer(binding.functions[cases[0].func], cases[0], 1, empty=True)
            loop.timeit(LOOP_ITERATIONS // 4)
            for k in (1, 2):
                measure(loop, k * LOOP_ITERATIONS, label(LOOP, "empty", k * LOOP_ITERATIONS))
        for case in cases:
            n = calls_for(case, calls)
            iterations = n // case.unroll
            fn = binding.functions[case.func]
            call = harness.make_timer(fn, case, case.unroll)
            call.timeit(max(1, iterations // 4))  # specialises the bytecode, warms the allocator
            # As it is, then from a pool of its own, then with one more block live (see
            # shift_allocator); the cheapest per call counts.
            shifted: collections.deque = collections.deque()
            for r in range(3):
                if r:
                    shift_allocator(shifted, fresh=r == 1)
                    # What the new state costs once (a pool taken, say) falls here, not into the
                    # N-call loop, where it would make the difference too small.
                    call.timeit(max(1, iterations // 4))
                for k in (1, 2):
                    measure(call, k * iterations, label(case.name, f"call{r}", k * n))
            del shifted
    finally:
        binding.leave()
        gc.enable()
    return 0


# ---- outside: running valgrind and reading its dumps ---------------------------------------------


def parse_dump(text: str) -> tuple[str | None, int | None]:
    """(client-request label, total instructions) of one callgrind output file."""
    trigger = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
    total = re.search(r"^summary: (\d+)", text, re.M) or re.search(r"^totals: (\d+)", text, re.M)
    return (trigger.group(1).strip() if trigger else None, int(total.group(1)) if total else None)


def per_call(dumps: dict[str, int], case: harness.Case) -> dict | None:
    """The per-call figures of one case from a process's dumps (label -> instructions), or None.

    Labels are case|callR|calls for R = 0, 1, 2 (the allocator states) and N and 2N calls, and
    loop|empty|iterations for M and 2M iterations of the empty loop; of the states, the
    cheapest per call counts (see shift_allocator)."""

    def differences(name: str) -> tuple[int, dict[str, int]] | None:
        found: dict[tuple[str, int], int] = {}
        for lab, instructions in dumps.items():
            c, kind, count = lab.split("|")
            if c == name:
                found[(kind, int(count))] = instructions
        counts = sorted({count for _, count in found})
        kinds = {kind for kind, _ in found}
        if len(counts) != 2 or counts[1] != 2 * counts[0]:
            return None
        if not all((kind, count) in found for kind in kinds for count in counts):
            return None
        n = counts[0]
        return n, {kind: found[(kind, 2 * n)] - found[(kind, n)] for kind in kinds}

    calls, loop = differences(case.name), differences(LOOP)
    if calls is None or loop is None or "empty" not in loop[1]:
        return None
    n, repeats = calls
    per_iteration = loop[1]["empty"] / loop[0]
    cheapest = min(repeats.values())
    raw = cheapest / n
    return {
        "instructions_per_call": round(raw - per_iteration / case.unroll, 1),
        "raw_per_call": round(raw, 1),
        "loop_per_call": round(per_iteration / case.unroll, 1),
        "repeat_spread": round((max(repeats.values()) - cheapest) / n, 1),
        "calls": n,
    }


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def valgrind_version() -> str | None:
    exe = shutil.which("valgrind")
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    return out.strip() or "valgrind"


# The environment a measured process gets: these variables only, and a fixed hash seed.
CHILD_ENV = ("PATH", "PYTHONPATH", "LD_LIBRARY_PATH")


def child_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in CHILD_ENV if k in os.environ}
    env["PYTHONHASHSEED"] = "0"
    return env


def run_binding(
    args: argparse.Namespace, binding: peers.Binding, cases: Sequence[harness.Case]
) -> tuple[dict[str, int], str]:
    """Runs one binding's measured loops under callgrind: (label -> instructions, problem or '')."""
    out_dir = pathlib.Path(args.out) / "callgrind"
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"{slug(binding.name)}.out"
    for old in out_dir.glob(f"{prefix.name}*"):
        old.unlink()
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={prefix}",
        sys.executable,
        str(HARNESS),
        "loop",
        "--build",
        str(args.build),
        "--out",
        str(args.work or args.out),
        "--binding",
        binding.name,
        "--case",
        ",".join(c.name for c in cases),
        "--calls",
        str(args.calls),
        "--marks",
        str(pathlib.Path(args.marks).resolve()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), check=False)
    log = out_dir / f"{slug(binding.name)}.log"
    log.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    dumps = {}
    for path in out_dir.glob(f"{prefix.name}.*"):
        lab, instructions = parse_dump(path.read_text(errors="replace"))
        if lab is not None and instructions is not None:
            dumps[lab] = instructions
    if proc.returncode != 0:
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
        return dumps, f"callgrind run failed ({log}): {tail[:300]}"
    return dumps, ""


def measure(args: argparse.Namespace) -> dict:
    """Loads and checks every binding here, then counts each under callgrind; the results doc."""
    cases = [c for c in harness.CASES if c.name in harness.select(args.cases, harness.CASE_NAMES, "case")]
    names = harness.select(args.bindings, list(peers.FACTORIES), "binding")
    python = harness.python_info()
    print(f"Python {python['version']} ({sys.executable}); callgrind, N = {args.calls} calls", flush=True)
    bindings = harness.load_bindings(args, names)
    records = []
    for b in bindings:
        problems: dict[str, tuple[str, str]] = {}
        for case in cases:
            if b.skipped is not None:
                problems[case.name] = ("skipped", b.skipped)
            elif case.func in b.missing:
                problems[case.name] = ("skipped", b.missing[case.func])
            elif problem := harness.check(b, case):
                problems[case.name] = ("error", problem)
        todo = [c for c in cases if c.name not in problems]
        dumps, failure = {}, ""
        if todo:
            started = time.monotonic()
            dumps, failure = run_binding(args, b, todo)
            print(f"  {b.name}: {len(todo)} cases counted in {time.monotonic() - started:.0f} s", flush=True)
        for case in cases:
            rec: dict = {"case": case.name, "binding": b.name, "python": python["version"]}
            figures = None if case.name in problems else per_call(dumps, case)
            if figures is not None:
                rec.update(status="ok", **figures)
            else:
                status, reason = problems.get(case.name) or ("error", failure or "incomplete callgrind dumps")
                rec.update(status=status, instructions_per_call=None, reason=reason)
            note = b.notes.get(case.func)
            if note:
                rec["note"] = note
            records.append(rec)
    add_ratios(records)
    run = {
        "python": python,
        "pyz3": harness.pyz3_info(),
        "tool": valgrind_version(),
        "calls": {c.name: calls_for(c, args.calls) for c in cases},
        "bindings": {b.name: b.skipped or b.what for b in bindings},
        "cases": {c.name: {"call": c.call, "what": c.what} for c in cases},
    }
    return document([run], records, args.command)


def add_ratios(records: list[dict]) -> None:
    floor = {
        (r["python"], r["case"]): r["instructions_per_call"]
        for r in records
        if r["binding"] == "floor" and r.get("instructions_per_call")
    }
    for r in records:
        f = floor.get((r["python"], r["case"]))
        v = r.get("instructions_per_call")
        r["ratio_to_floor"] = round(v / f, 3) if v is not None and f else None


def document(runs: list[dict], records: list[dict], command: str) -> dict:
    return {
        "schema": SCHEMA,
        "command": command,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "method": "instructions per call = (I(call,2N) - I(call,N)) / N "
        "- (I(empty,2M) - I(empty,M)) / M / unroll; callgrind totals of the harness's timeit loop, "
        "the cheapest of three allocator states (bench/instr.py)",
        "pythons": [r["python"]["version"] for r in runs],
        "runs": runs,
        "records": records,
    }


# ---- tables ---------------------------------------------------------------------------------------


def _grid(records: Sequence[dict]) -> tuple[list[str], list[str], dict[tuple[str, str], dict]]:
    cases = list(dict.fromkeys(r["case"] for r in records))
    bindings = list(dict.fromkeys(r["binding"] for r in records))
    return cases, bindings, {(r["case"], r["binding"]): r for r in records}


def fmt_count(v: float | None) -> str:
    """Whole instructions: the tenths in instr.json are the rounding of a division, not data."""
    return "-" if v is None else f"{v:,.0f}"


def text_table(records: Sequence[dict], cell) -> list[str]:
    cases, bindings, by = _grid(records)
    width = max(10, *(len(b) + 1 for b in bindings))
    lines = [f"{'case':<22}" + "".join(f"{b:>{width}}" for b in bindings)]
    for c in cases:
        lines.append(f"{c:<22}" + "".join(f"{cell(by.get((c, b))):>{width}}" for b in bindings))
    return lines


def count_cell(r: dict | None) -> str:
    return (
        "skip"
        if r is None or r.get("instructions_per_call") is None
        else fmt_count(r["instructions_per_call"])
    )


def ratio_cell(r: dict | None) -> str:
    return "-" if r is None or r.get("ratio_to_floor") is None else f"{r['ratio_to_floor']:.2f}"


def print_tables(records: Sequence[dict]) -> None:
    for py in dict.fromkeys(r["python"] for r in records):
        recs = [r for r in records if r["python"] == py]
        print(f"\n== instructions per call, Python {py} (callgrind; loop subtracted) ==")
        print("\n".join(text_table(recs, count_cell)))
        print(f"\n== ratio to the floor, Python {py} ==")
        print("\n".join(text_table(recs, ratio_cell)))
        skipped = {
            (r["binding"], r.get("reason", "")) for r in recs if r.get("instructions_per_call") is None
        }
        for b, reason in sorted(skipped):
            print(f"  {b}: {reason}")


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def baseline_changes(records: Sequence[dict], baseline: dict) -> list[dict]:
    """Per record with a counterpart in the baseline (same Python minor version, case, binding)."""
    base = {
        (minor(r["python"]), r["case"], r["binding"]): r["instructions_per_call"]
        for r in baseline.get("records", [])
        if r.get("instructions_per_call")
    }
    out = []
    for r in records:
        old = base.get((minor(r["python"]), r["case"], r["binding"]))
        new = r.get("instructions_per_call")
        if old and new is not None:
            out.append({**r, "baseline": old, "change": new / old - 1})
    return out


def change_cell(r: dict | None) -> str:
    if r is None:
        return "-"
    return "=" if abs(r["change"]) < UNCHANGED else f"{r['change'] * 100:+.1f}%"


def print_changes(records: Sequence[dict], baseline: dict, path: str) -> None:
    changes = baseline_changes(records, baseline)
    if not changes:
        print(f"\n(no counterpart in {path} for these Python versions)")
        return
    versions = ", ".join(baseline.get("pythons", []))
    print(f"\n== change against {path} (Python {versions}, {baseline.get('generated', '?')}) ==")
    print(f"   ('=' within {UNCHANGED:.1%}; the baseline's compilers and Pythons may differ from this run's)")
    for py in dict.fromkeys(r["python"] for r in changes):
        print(f"Python {py}:")
        print("\n".join(text_table([r for r in changes if r["python"] == py], change_cell)))


def markdown(doc: dict) -> str:
    """The docs' table: one row per case, instructions per call (ratio to the floor) per binding."""
    out = [f"From `{doc['command']}`, {doc['generated']}; {doc['runs'][0].get('tool') or 'callgrind'}.", ""]
    for run in doc["runs"]:
        py = run["python"]["version"]
        recs = [r for r in doc["records"] if r["python"] == py]
        cases, bindings, by = _grid(recs)
        out += [f"**Python {py}**: instructions per call (ratio to the floor)", ""]
        out.append("| case | " + " | ".join(bindings) + " |")
        out.append("|---|" + "---:|" * len(bindings))
        for c in cases:
            cells = []
            for b in bindings:
                r = by.get((c, b))
                v = None if r is None else r.get("instructions_per_call")
                cells.append("skip" if v is None else f"{fmt_count(v)} ({ratio_cell(r)})")
            out.append(f"| {c} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


# ---- commands -------------------------------------------------------------------------------------


def write_json(doc: dict, path: pathlib.Path) -> None:
    """Written beside and renamed over, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, path)
    print(f"wrote {path}")


def cmd_run(args: argparse.Namespace) -> int:
    if shutil.which("valgrind") is None:
        raise SystemExit(
            "valgrind is not installed (`make bench-instr` installs it: the valgrind-tool target)"
        )
    if not pathlib.Path(args.marks).exists():
        raise SystemExit(f"{args.marks} is missing: build it with `make bench-instr` (bench/bench.mk)")
    doc = measure(args)
    print_tables(doc["records"])
    write_json(doc, pathlib.Path(args.out) / "instr.json")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    docs = [json.loads(pathlib.Path(p).read_text()) for p in args.results]
    doc = document(
        [run for d in docs for run in d["runs"]], [r for d in docs for r in d["records"]], args.command
    )
    out = pathlib.Path(args.out)
    write_json(doc, out / "instr.json")
    md = out / "instr.md"
    md.write_text(markdown(doc))
    print(f"wrote {md}")
    if args.baseline:
        path = pathlib.Path(args.baseline)
        if path.exists():
            print_changes(doc["records"], json.loads(path.read_text()), args.baseline)
        else:
            print(f"\n(no baseline at {args.baseline}: `make bench-instr-baseline` commits this run's)")
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/instr.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command_name", required=True)
    r = sub.add_parser("run", help="count one Python version's bindings (this interpreter)")
    r.add_argument("--build", default="build", help="the project's build directory")
    r.add_argument("--out", required=True, help="where instr.json and the callgrind dumps go")
    r.add_argument("--work", help="where per-version products are (default: --out)")
    r.add_argument("--marks", required=True, help="bench/callgrind/marks.c built as a shared library")
    r.add_argument("--calls", type=int, default=DEFAULT_CALLS, help="N: calls per measured loop")
    r.add_argument("--bindings", help=f"comma list (default: {','.join(DEFAULT_BINDINGS)})")
    r.add_argument("--cases", help="comma list (default: all)")
    m = sub.add_parser("report", help="merge runs into instr.json and instr.md, compare to a baseline")
    m.add_argument("--out", required=True)
    m.add_argument("--baseline", help="a committed instr.json to print the change against")
    m.add_argument("results", nargs="+", help="instr.json files of `run`, one per Python version")
    for s in sub.choices.values():
        s.add_argument("--command", default=None, help="the command to quote")
    args = p.parse_args(argv)
    if args.command_name == "run" and not args.bindings:
        args.bindings = ",".join(DEFAULT_BINDINGS)
    if args.command is None:
        args.command = "python bench/instr.py " + " ".join(argv if argv is not None else sys.argv[1:])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return {"run": cmd_run, "report": cmd_report}[args.command_name](args)


if __name__ == "__main__":
    sys.exit(main())
