"""bench/harness.py: time every benchmark case through every binding, in this one process.

    python bench/harness.py run --build build --out build/bench/py3.11     # `make bench`
    python bench/harness.py opt --build build --out build/bench/py3.11     # `make bench-opt`
    python bench/harness.py report --out build/bench build/bench/py3.*/results.json
    valgrind --tool=callgrind python bench/harness.py loop --out build/bench/py3.11 \
        --binding pyz3 --case noop --calls 200000                          # profiling

`run` pins the process to one CPU where it can, builds and loads the bindings (bench/peers.py),
checks each binding's result once, then times each case timeit-style: the call is unrolled in the
loop body, the loop count calibrated so a round lasts about --target-ms, and --rounds rounds are
interleaved across the bindings (rotating their order) so drift hits all of them alike. It prints
one table per case (ns/call min and median, ratio to the floor) and writes results.json. `opt`
times the pyz3 plugin with each optimisation on and off on the cases that exercise it. `report`
merges runs into results.json, report.md and chart.png (bench/report.py). `loop` calls cases
untimed for a profiler; bench/instr.py (`make bench-instr`) runs it with --marks under callgrind.
Nothing here asserts anything about time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import timeit
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# numpy's BLAS starts spinning worker threads at import, which disturb timings on a small
# machine; the buffer cases need none of them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import peers  # bench/ is not a package: this file runs as a script

try:
    import numpy
except ImportError:  # the numpy cases report themselves skipped
    numpy = None

SCHEMA = 1


def _short_repr(value: object) -> str:
    text = repr(value)
    if len(text) <= 40:
        return text
    return f"<{type(value).__name__} of {len(value)}>" if hasattr(value, "__len__") else text[:37] + "..."


@dataclass(frozen=True)
class Case:
    """One benchmark case: which function, called how, returning what.

    A statement case (the class cases) times `stmt` instead of a call: `setup` runs once with
    `f` bound to the binding's `func` entry (a module), and checking runs `setup`, then `stmt`,
    then compares `check` (an expression) with `expect`."""

    name: str
    func: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expect: object = None
    # Calls per loop iteration: enough to make the loop's own cost negligible for short calls.
    unroll: int = 10
    what: str = ""
    # The call returns an iterator: each call is `list(f(...))`.
    consume: bool = False
    setup: str = ""
    stmt: str = ""
    check: str = ""
    # Maps a result before it is compared with `expect` (arrays: their elements as a list).
    normalize: Callable | None = None
    # A module the case's arguments need ("numpy"); without it the case is skipped.
    needs: str = ""

    @property
    def call(self) -> str:
        if self.stmt:
            return self.stmt

        def show(a: object) -> str:
            return a.__name__ if callable(a) else _short_repr(a)

        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        text = f"{self.func}({', '.join(parts)})"
        return f"list({text})" if self.consume else text


BIG_A, BIG_B = 2**41 + 1, 2**42 + 3
WORDS = "the cat and the hat"


def inc(x):
    """The callback of the `callback` case: a plain Python function."""
    return x + 1


CASES: tuple[Case, ...] = (
    Case("noop", "noop", what="no arguments, returns None"),
    Case("add", "add", (20, 22), expect=42, what="int64 + int64, small values (result cached by CPython)"),
    Case("add_big", "add", (BIG_A, BIG_B), expect=BIG_A + BIG_B, what="int64 + int64, values > 2**40"),
    Case("fadd", "fadd", (1.5, 2.25), expect=3.75, what="float64 + float64"),
    Case("slen", "slen", ("pyz3 benchmark",), expect=14, what="UTF-8 length of an ASCII str"),
    Case("greet", "greet", ("world",), expect="hello, world", what="'hello, ' + name via a stack buffer"),
    Case("kwargs", "kwargs", (), {"a": 1, "b": 2, "c": 3}, expect=6, what="three int64 keyword arguments"),
    Case("alloc10", "alloc10", what="10 live allocations of 256 bytes on the Python allocator"),
    Case(
        "thread_alloc_scoped",
        "thread_alloc_scoped",
        unroll=1,
        what="a new native thread makes 1000 alloc+free pairs inside one GIL scope",
    ),
    Case(
        "thread_alloc_unscoped",
        "thread_alloc_unscoped",
        unroll=1,
        what="a new native thread makes 1000 alloc+free pairs, each taking the GIL itself",
    ),
    Case(
        "roundtrip1000",
        "roundtrip1000",
        expect=sum(range(1000)),
        unroll=1,
        what="native loop: 1000 x (int64 -> int -> int64) through the binding's conversions",
    ),
    Case("list_sum10", "sum_list", (list(range(10)),), expect=45, what="sum of a list of 10 ints"),
    Case(
        "tuple_ret",
        "minmax",
        ([1.5, -2.0, 3.25],),
        expect=(-2.0, 3.25),
        what="(min, max) of 3 floats: a 2-tuple",
    ),
    Case(
        "callback",
        "apply",
        (inc, [1]),
        expect=[2],
        what="[f(x) for x in [1]], f a Python function, from native code",
    ),
    Case(
        "iter10",
        "count_up",
        (10,),
        expect=list(range(10)),
        consume=True,
        what="a native iterator of 10 ints, drained",
    ),
    Case(
        "dict_ret",
        "word_counts",
        (WORDS,),
        expect={"the": 2, "cat": 1, "and": 1, "hat": 1},
        what="word counts of a 5-word text: a dict[str, int]",
    ),
    # Classes (docs/classes.md): the binding's Counter, RollingStats and merge.
    Case(
        "cls_new",
        "classes",
        setup="C = f.Counter",
        stmt="C()",
        check="C(5).value",
        expect=5,
        what="construct a Counter (start=0 by default) and free it",
    ),
    Case(
        "cls_method",
        "classes",
        setup="c = f.Counter()",
        stmt="c.inc()",
        check="f.Counter(41).inc()",
        expect=42,
        what="a method with a default argument on an instance, returning its new int value",
    ),
    Case(
        "cls_get",
        "classes",
        setup="c = f.Counter(7)",
        stmt="c.value",
        check="c.value",
        expect=7,
        what="read an int property",
    ),
    Case(
        "cls_set",
        "classes",
        setup="c = f.Counter()",
        stmt="c.value = 3",
        check="c.value",
        expect=3,
        what="write an int property",
    ),
    Case(
        "cls_arg",
        "classes",
        setup="S = f.RollingStats; a = S(2); b = S(2); a.push(1.0); a.push(2.0); b.push(3.0); "
        "merge = f.merge",
        stmt="merge(a, b)",
        check="len(merge(a, b))",
        expect=3,
        what="merge(a, b): two instance arguments, a new instance (window 4, 3 values) as the result",
    ),
)


def _elements(result) -> list:
    return memoryview(result).tolist()


def _numpy_elements(result) -> list:
    if numpy is None or type(result) is not numpy.ndarray:
        return [f"not a numpy.ndarray: {type(result).__name__}"]
    return result.tolist()


NUMPY8 = numpy.arange(8.0) if numpy is not None else None
NUMPY1M = numpy.arange(1_000_000.0) if numpy is not None else None
CRC_DATA = bytearray(range(64))
LINSPACE8 = [i * (1.0 / 7) for i in range(7)] + [1.0]  # as numpy.linspace computes them
CASES += (
    Case("buf_sum_numpy8", "sum_f64", (NUMPY8,), expect=28.0, needs="numpy",
         what="sum of a float64 numpy array of 8 elements (read-only view, any strides)"),
    Case("buf_sum_numpy1m", "sum_f64", (NUMPY1M,), expect=499999500000.0, needs="numpy", unroll=1,
         what="sum of a float64 numpy array of 1,000,000 elements"),
    Case("buf_bytearray_crc", "crc32", (CRC_DATA,), expect=zlib.crc32(CRC_DATA),
         what="crc32 over a 64-byte bytearray (the same table-driven loop in every binding but zlib)"),
    Case("buf_return_linspace8", "linspace", (0.0, 1.0, 8), expect=LINSPACE8, normalize=_elements,
         what="a new float64 array of 8 (pyz3: a pyz3.Array; the others: a numpy.ndarray)"),
    Case("buf_return_linspace8_numpy", "linspace_np", (0.0, 1.0, 8), expect=LINSPACE8, needs="numpy",
         normalize=_numpy_elements, what="a new float64 array of 8 as a numpy.ndarray in every binding"),
)  # fmt: skip
CASE_NAMES = tuple(c.name for c in CASES)

# Which cases exercise which optimisation (`opt` mode, and the report's on/off paragraphs).
OPT_CASES: dict[str, tuple[str, ...]] = {
    "gil_cache": ("alloc10", "thread_alloc_scoped", "noop", "callback"),
    "fast_paths": (
        "add",
        "add_big",
        "fadd",
        "slen",
        "greet",
        "roundtrip1000",
        "buf_sum_numpy8",
        "buf_bytearray_crc",
        "list_sum10",
        "tuple_ret",
    ),
    "pool": ("noop", "add", "kwargs", "roundtrip1000", "iter10", "dict_ret"),
}


# ---- timing ---------------------------------------------------------------------------------------


def make_timer(fn: Callable, case: Case, unroll: int, empty: bool = False) -> timeit.Timer:
    """A timeit.Timer whose loop body is `unroll` copies of the call, all names local.

    `empty`: the same loop and locals with an empty body (bench/instr.py subtracts its cost)."""
    names = {"_f": fn}
    setup = ["f = _f"]
    if case.stmt:
        body = "pass" if empty else "\n".join([case.stmt] * unroll)
        return timeit.Timer(body, "; ".join([*setup, case.setup]), globals=names)
    parts = []
    for i, a in enumerate(case.args):
        names[f"_a{i}"] = a
        setup.append(f"a{i} = _a{i}")
        parts.append(f"a{i}")
    for i, (k, v) in enumerate(case.kwargs.items()):
        names[f"_k{i}"] = v
        setup.append(f"k{i} = _k{i}")
        parts.append(f"{k}=k{i}")
    call = f"f({', '.join(parts)})"
    if case.consume:
        names["_list"] = list
        setup.append("list_ = _list")
        call = f"list_({call})"
    body = "pass" if empty else "\n".join([call] * unroll)
    return timeit.Timer(body, "; ".join(setup), globals=names)


def calibrate(timer: timeit.Timer, target: float) -> int:
    """Loop count for which one timing lasts about `target` seconds (also warms the call up)."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target * 0.2 or number >= 10**8:
            break
        number *= max(2, min(10, int(target * 0.2 / max(t, 1e-9)) + 1))
    return max(1, round(number * target / max(t, 1e-9)))


@dataclass
class Sample:
    binding: peers.Binding
    timer: timeit.Timer | None = None
    number: int = 0
    ns: list[float] = field(default_factory=list)
    status: str = "ok"
    reason: str = ""


def check(binding: peers.Binding, case: Case) -> str:
    """Calls the case once; '' if it returned the expected value, else what went wrong."""
    binding.enter()
    try:
        if case.stmt:
            scope = {"f": binding.functions[case.func]}
            exec(case.setup, scope)
            exec(case.stmt, scope)
            got = eval(case.check, scope)
        else:
            got = binding.functions[case.func](*case.args, **case.kwargs)
            if case.consume:
                got = list(got)
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"
    finally:
        binding.leave()
    if case.normalize is not None:
        got = case.normalize(got)
    if got != case.expect or type(got) is not type(case.expect):
        return f"returned {got!r}, expected {case.expect!r}"
    return ""


def measure_case(case: Case, bindings: Sequence[peers.Binding], rounds: int, target: float) -> list[Sample]:
    samples = []
    for b in bindings:
        s = Sample(b)
        samples.append(s)
        if b.skipped is not None:
            s.status, s.reason = "skipped", b.skipped
        elif case.needs == "numpy" and numpy is None:
            s.status, s.reason = "skipped", "numpy is not installed for this Python"
        elif (case.needs == "numpy" and case.func in b.missing) or case.func in b.missing:
            s.status, s.reason = "skipped", b.missing[case.func]
        elif problem := check(b, case):
            s.status, s.reason = "error", problem
        else:
            s.timer = make_timer(b.functions[case.func], case, case.unroll)
            b.enter()
            try:
                s.number = calibrate(s.timer, target)
            finally:
                b.leave()
    timed = [s for s in samples if s.timer is not None]
    for r in range(rounds):
        shift = r % len(timed) if timed else 0
        for s in timed[shift:] + timed[:shift]:
            s.binding.enter()
            try:
                t = s.timer.timeit(s.number)
            finally:
                s.binding.leave()
            s.ns.append(t * 1e9 / (s.number * case.unroll))
    return samples


def records_for(case: Case, samples: Sequence[Sample], python: str) -> list[dict]:
    floor = next((s for s in samples if s.binding.name == "floor" and s.ns), None)
    floor_min = min(floor.ns) if floor else None
    floor_median = statistics.median(floor.ns) if floor else None
    out = []
    for s in samples:
        rec: dict = {"case": case.name, "binding": s.binding.name, "python": python, "status": s.status}
        if s.ns:
            ns_min, ns_median = min(s.ns), statistics.median(s.ns)
            rec.update(
                ns_min=round(ns_min, 2),
                ns_median=round(ns_median, 2),
                ratio_to_floor=round(ns_min / floor_min, 3) if floor_min else None,
                ratio_to_floor_median=round(ns_median / floor_median, 3) if floor_median else None,
                rounds=len(s.ns),
                calls_per_round=s.number * case.unroll,
            )
        else:
            rec.update(ns_min=None, ns_median=None, ratio_to_floor=None, ratio_to_floor_median=None)
            rec["reason"] = s.reason
        note = s.binding.notes.get(case.func)
        if note:
            rec["note"] = note
        out.append(rec)
    return out


# ---- where and what ran ---------------------------------------------------------------------------


def pin(cpu: int | None) -> tuple[str, set[int] | None]:
    """Pins this process to one CPU; says what was done, and returns the CPUs to restore."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no os.sched_setaffinity on this platform)", None
    allowed = os.sched_getaffinity(0)
    chosen = max(allowed) if cpu is None else cpu
    try:
        os.sched_setaffinity(0, {chosen})
    except OSError as exc:
        return f"not pinned ({exc})", None
    return f"pinned to CPU {chosen} of {sorted(allowed)}", allowed


def machine_info(pinning: str) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "pinning": pinning,
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def python_info() -> dict:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "compiler": platform.python_compiler(),
        "executable": sys.executable,
    }


def pyz3_info() -> dict | None:
    try:
        import pyz3
    except ImportError:
        return None
    return {
        "version": pyz3.__version__,
        "build_info": pyz3.build_info(),
        "optimizations": pyz3.optimizations(),
    }


# ---- output ---------------------------------------------------------------------------------------


def fmt_ns(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}" if v < 10_000 else f"{v:,.0f}"


def fmt_ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_case(case: Case, records: Sequence[dict], file=sys.stdout) -> None:
    print(f"\n== {case.name}: {case.call}  ({case.what}) ==", file=file)
    width = max(len(r["binding"]) for r in records)
    print(
        f"{'binding':<{width}}  {'ns min':>10}  {'ns median':>10}  {'x floor':>8}  {'(median)':>8}", file=file
    )
    for r in records:
        if r["ns_min"] is None:
            print(f"{r['binding']:<{width}}  {r['status']}: {r['reason']}", file=file)
            continue
        line = (
            f"{r['binding']:<{width}}  {fmt_ns(r['ns_min']):>10}  {fmt_ns(r['ns_median']):>10}  "
            f"{fmt_ratio(r['ratio_to_floor']):>8}  {fmt_ratio(r['ratio_to_floor_median']):>8}"
        )
        if "note" in r:
            line += f"  [{r['note']}]"
        print(line, file=file)


def results_document(runs: list[dict], records: list[dict], command: str) -> dict:
    return {
        "schema": SCHEMA,
        "command": command,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": runs[0]["machine"] if runs else {},
        "pythons": [r["python"]["version"] for r in runs],
        "runs": runs,
        "records": records,
    }


# ---- commands -------------------------------------------------------------------------------------


def select(names: str | None, known: Sequence[str], what: str) -> list[str]:
    if not names:
        return list(known)
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def load_bindings(args: argparse.Namespace, names: Sequence[str]) -> list[peers.Binding]:
    build = pathlib.Path(args.build).resolve()
    work = pathlib.Path(args.work or pathlib.Path(args.out)).resolve()
    ctx = peers.Context(build=build, work=work)
    bindings = []
    for name in names:
        b = peers.load(name, ctx)
        state = f"skipped: {b.skipped}" if b.skipped else b.what
        print(f"  {name}: {state}", flush=True)
        bindings.append(b)
    return bindings


def measure_all(args: argparse.Namespace, cases: Sequence[Case], binding_names: Sequence[str]) -> dict:
    pinning, previous = pin(args.cpu)
    python = python_info()
    print(f"Python {python['version']} ({sys.executable}); {pinning}", flush=True)
    try:
        bindings = load_bindings(args, binding_names)
        records = []
        for case in cases:
            samples = measure_case(case, bindings, args.rounds, args.target_ms / 1000)
            case_records = records_for(case, samples, python["version"])
            print_case(case, case_records)
            sys.stdout.flush()
            records.extend(case_records)
    finally:
        if previous is not None:
            os.sched_setaffinity(0, previous)
    run = {
        "python": python,
        "machine": machine_info(pinning),
        "pyz3": pyz3_info(),
        "method": {
            "rounds": args.rounds,
            "target_ms_per_round": args.target_ms,
            "unroll": {c.name: c.unroll for c in cases},
            "ratio_to_floor": "binding's min ns/call / floor's min ns/call, same process and run",
        },
        "bindings": {b.name: b.skipped or b.what for b in bindings},
        "cases": {c.name: {"call": c.call, "what": c.what} for c in cases},
    }
    return results_document([run], records, args.command)


def write_json(doc: dict, path: pathlib.Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nwrote {path}")


def cmd_run(args: argparse.Namespace) -> int:
    cases = [c for c in CASES if c.name in select(args.cases, CASE_NAMES, "case")]
    doc = measure_all(args, cases, select(args.bindings, list(peers.FACTORIES), "binding"))
    import report

    print()
    for line in report.target_lines(doc["records"]):
        print(line)
    write_json(doc, pathlib.Path(args.out) / "results.json")
    return 0


def opt_table(records: Sequence[dict]) -> list[dict]:
    """Per optimisation and case: ns/call with everything on, with that one off, and off/on."""
    by = {(r["case"], r["binding"]): r for r in records}
    rows = []
    for opt, case_names in OPT_CASES.items():
        for case in case_names:
            on, off = by.get((case, "pyz3")), by.get((case, f"pyz3 ({opt} off)"))
            if not on or not off or on["ns_min"] is None or off["ns_min"] is None:
                continue
            rows.append(
                {
                    "optimization": opt,
                    "case": case,
                    "on_ns_min": on["ns_min"],
                    "off_ns_min": off["ns_min"],
                    "off_over_on": round(off["ns_min"] / on["ns_min"], 3),
                    "off_over_on_median": round(off["ns_median"] / on["ns_median"], 3),
                }
            )
    return rows


def print_opt_table(rows: Sequence[dict]) -> None:
    print(
        f"\n{'optimisation':<12}  {'case':<21}  {'on ns':>9}  {'off ns':>9}  {'off/on':>7}  {'(median)':>8}"
    )
    for r in rows:
        print(
            f"{r['optimization']:<12}  {r['case']:<21}  {fmt_ns(r['on_ns_min']):>9}  "
            f"{fmt_ns(r['off_ns_min']):>9}  {r['off_over_on']:>7.2f}  {r['off_over_on_median']:>8.2f}"
        )


def cmd_opt(args: argparse.Namespace) -> int:
    wanted = {c for names in OPT_CASES.values() for c in names}
    cases = [c for c in CASES if c.name in wanted]
    names = ["pyz3", *(f"pyz3 ({opt} off)" for opt in peers.OPTIMIZATIONS)]
    doc = measure_all(args, cases, names)
    rows = opt_table(doc["records"])
    print_opt_table(rows)
    doc["optimizations"] = rows
    write_json(doc, pathlib.Path(args.out) / "opt.json")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import report

    docs = [json.loads(pathlib.Path(p).read_text()) for p in args.results]
    runs = [run for d in docs for run in d["runs"]]
    records = [rec for d in docs for rec in d["records"]]
    merged = results_document(runs, records, args.command)
    out = pathlib.Path(args.out)
    write_json(merged, out / "results.json")
    chart = report.write_chart(merged, out / "chart.png")
    print(f"wrote {out / 'chart.png'}" if chart is None else f"chart skipped: {chart}")
    (out / "report.md").write_text(report.markdown(merged, chart_skipped=chart))
    print(f"wrote {out / 'report.md'}")
    return 0


def cmd_loop(args: argparse.Namespace) -> int:
    """Calls cases through one binding, untimed: for callgrind and perf.

    Each case --calls times; with --marks (bench/instr.py runs this under callgrind), measured
    loops between zeroed and dumped callgrind counters instead (instr.marked_loops)."""
    cases = [c for c in CASES if c.name in select(args.case, CASE_NAMES, "case")]
    (name,) = select(args.binding, list(peers.FACTORIES), "binding")
    binding = load_bindings(args, [name])[0]
    if binding.skipped is not None:
        raise SystemExit(f"{name}: skipped: {binding.skipped}")
    cases = [c for c in cases if c.func not in binding.missing]
    if args.marks:
        import instr

        return instr.marked_loops(args.marks, binding, cases, args.calls)
    binding.enter()
    try:
        for case in cases:
            make_timer(binding.functions[case.func], case, case.unroll).timeit(
                max(1, args.calls // case.unroll)
            )
    finally:
        binding.leave()
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/harness.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command_name", required=True)
    for name in ("run", "opt"):
        s = sub.add_parser(name)
        s.add_argument("--build", default="build", help="the project's build directory")
        s.add_argument("--out", required=True, help="where results.json (opt.json) goes")
        s.add_argument("--work", help="where per-version products go (default: --out)")
        s.add_argument("--rounds", type=int, default=15)
        s.add_argument("--target-ms", type=float, default=15.0, help="duration of one round, per binding")
        s.add_argument("--cpu", type=int, help="CPU to pin to (default: the last one allowed)")
        s.add_argument("--smoke", action="store_true", help="1 round of ~1 ms: checks plumbing, not speed")
        if name == "run":
            s.add_argument("--bindings", help="comma list (default: all)")
            s.add_argument("--cases", help="comma list (default: all)")
    lp = sub.add_parser("loop", help="call one case N times untimed (run it under callgrind or perf)")
    lp.add_argument("--build", default="build")
    lp.add_argument("--out", required=True, help="where per-version products are (as for run)")
    lp.add_argument("--work")
    lp.add_argument("--binding", required=True)
    lp.add_argument("--case", required=True, help="a case, or a comma list")
    lp.add_argument("--calls", type=int, default=100_000)
    lp.add_argument("--marks", help="callgrind marks library: measured loops for bench/instr.py")
    r = sub.add_parser("report")
    r.add_argument("--out", required=True)
    r.add_argument("results", nargs="+", help="results.json files of `run`, one per Python version")
    for s in (*sub.choices.values(),):
        s.add_argument("--command", default=None, help="the command to quote in the report")
    args = p.parse_args(argv)
    if getattr(args, "smoke", False):
        args.rounds, args.target_ms = 1, 1.0
    if args.command is None:
        args.command = "python bench/harness.py " + " ".join(argv if argv is not None else sys.argv[1:])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    commands = {"run": cmd_run, "opt": cmd_opt, "report": cmd_report, "loop": cmd_loop}
    return commands[args.command_name](args)


if __name__ == "__main__":
    sys.exit(main())
