"""tests/python/test_bench_harness.py: the benchmark harness runs and writes well-formed results.

Smoke mode only (one round of about a millisecond, three bindings): this checks the plumbing
that `make bench` relies on, never a timing. Likewise bench/instr.py (`make bench-instr`): its
arithmetic on made-up callgrind dumps, and a few hundred calls of one case under callgrind,
checked for shape, never for a count.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from support import BUILD, ROOT

sys.path.insert(0, str(ROOT / "bench"))

import harness  # bench/ is not a package: it is put on the path just above
import instr
import peers

BINDINGS = ("floor", "pyz3", "pyz3 (pool off)", "varargs")
CONTAINER_CASES = {c.name for c in harness.CASES if c.func in peers.CONTAINER_FUNCTIONS}
RECORD_KEYS = {"case", "binding", "python", "status", "ns_min", "ns_median", "ratio_to_floor"}


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    code = harness.main(
        ["run", "--smoke", "--build", str(BUILD), "--out", str(out), "--bindings", ",".join(BINDINGS)]
    )
    assert code == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.single_mode
def test_one_record_per_case_and_binding(smoke_results: dict) -> None:
    records = smoke_results["records"]
    assert {(r["case"], r["binding"]) for r in records} == {
        (c, b) for c in harness.CASE_NAMES for b in BINDINGS
    }
    assert len(records) == len(harness.CASE_NAMES) * len(BINDINGS)
    floor_ok = {r["case"]: r["status"] == "ok" for r in records if r["binding"] == "floor"}
    for r in records:
        assert r.keys() >= RECORD_KEYS
        if r["binding"] == "varargs" and r["case"] in CONTAINER_CASES:
            # The METH_VARARGS peer declares the container cases missing, with its reason.
            assert r["status"] == "skipped" and r["reason"], r
            continue
        if r["status"] == "skipped" and r["case"].startswith("buf_"):
            # A peer without a version of a buffer case says why; pyz3 itself is skipped only
            # for the numpy cases on a Python that has no numpy (3.15 has no wheel yet).
            assert r["reason"], r
            if r["binding"] == "pyz3":
                assert harness.numpy is None and "numpy" in r["reason"], r
            continue
        if r["status"] == "skipped" and r["case"].startswith("cls_") and r["binding"] == "varargs":
            # The METH_VARARGS variant has functions only; the floor has the class types.
            assert "class" in r["reason"], r
            continue
        assert r["status"] == "ok", r
        assert r["ns_min"] > 0 and r["ns_median"] >= r["ns_min"]
        if floor_ok[r["case"]]:
            assert r["ratio_to_floor"] > 0, r
        else:  # nothing to divide by (the floor's numpy cases without numpy)
            assert r["ratio_to_floor"] is None, r


@pytest.mark.single_mode
def test_floor_is_its_own_unit(smoke_results: dict) -> None:
    for r in smoke_results["records"]:
        if r["binding"] == "floor" and r["status"] == "ok":
            assert r["ratio_to_floor"] == 1.0


@pytest.mark.single_mode
def test_python_and_machine_are_described(smoke_results: dict) -> None:
    assert smoke_results["pythons"] == [smoke_results["runs"][0]["python"]["version"]]
    assert smoke_results["runs"][0]["python"]["version"].startswith(
        f"{sys.version_info[0]}.{sys.version_info[1]}"
    )
    assert {"cpu", "cpus", "platform", "pinning"} <= smoke_results["machine"].keys()


@pytest.mark.single_mode
def test_unavailable_binding_is_reported_not_dropped(tmp_path) -> None:
    empty_build = str(tmp_path / "nothing")
    code = harness.main(
        [
            "run",
            "--smoke",
            "--build",
            empty_build,
            "--out",
            str(tmp_path),
            "--bindings",
            "floor,pyz3",
            "--cases",
            "noop",
        ]
    )
    assert code == 0
    records = json.loads((tmp_path / "results.json").read_text())["records"]
    pyz3 = next(r for r in records if r["binding"] == "pyz3")
    assert pyz3["status"] == "skipped"
    assert "libpyz3_bench.so is missing" in pyz3["reason"]
    assert pyz3["ns_min"] is None and pyz3["ratio_to_floor"] is None


@pytest.mark.single_mode
def test_report_writes_markdown(smoke_results: dict, tmp_path) -> None:
    results = tmp_path / "in.json"
    results.write_text(json.dumps(smoke_results))
    assert harness.main(["report", "--out", str(tmp_path / "out"), str(results)]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Python" in text and "| pyz3 |" in text
    merged = json.loads((tmp_path / "out" / "results.json").read_text())
    assert merged["records"] == smoke_results["records"]


@pytest.mark.single_mode
def test_pyo3_without_cargo_is_skipped_with_the_reason(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CARGO", str(tmp_path / "no-such-cargo"))
    code = harness.main(
        [
            "run",
            "--smoke",
            "--build",
            str(BUILD),
            "--out",
            str(tmp_path),
            "--bindings",
            "floor,pyo3",
            "--cases",
            "add",
        ]
    )
    assert code == 0
    records = json.loads((tmp_path / "results.json").read_text())["records"]
    pyo3 = next(r for r in records if r["binding"] == "pyo3")
    assert pyo3["status"] == "skipped" and pyo3["ns_min"] is None
    assert "no-such-cargo" in pyo3["reason"] and "not on PATH" in pyo3["reason"]
    floor = next(r for r in records if r["binding"] == "floor")
    assert floor["status"] == "ok"


@pytest.mark.single_mode
def test_pyo3_is_a_binding_of_every_case() -> None:
    # The crate registers one #[pyfunction] per harness function, in its family's file
    # (scalar.rs, buffers.rs, ...); a new case must be added there.
    sources = "".join(p.read_text() for p in sorted((ROOT / "bench" / "pyo3" / "src").glob("*.rs")))
    for fn in peers.FUNCTIONS:
        assert f"fn {fn}(" in sources or f"fn {fn}<" in sources, fn
        assert f"wrap_pyfunction!({fn}, m)" in sources, fn
    assert "pyo3" in peers.FACTORIES and "pyo3" in instr.DEFAULT_BINDINGS


@pytest.mark.single_mode
def test_loop_mode_runs_several_cases(tmp_path) -> None:
    args = [
        "loop",
        "--build",
        str(BUILD),
        "--out",
        str(tmp_path),
        "--binding",
        "floor",
        "--case",
        "noop,add,greet",
    ]
    assert harness.main([*args, "--calls", "50"]) == 0


def dump(label: str, total: int) -> str:
    """A callgrind output file as a CALLGRIND_DUMP_STATS_AT(label) writes it, cut down."""
    return (
        "version: 1\ncreator: callgrind-3.19.0\n"
        f"desc: Trigger: Client Request: {label}\n\nevents: Ir\nsummary: {total}\n\n"
        f"fn=x\n0 {total}\ntotals: {total}\n"
    )


@pytest.mark.single_mode
def test_instr_parses_dumps_and_subtracts_the_loop() -> None:
    assert instr.parse_dump(dump("noop|call0|1000", 123456)) == ("noop|call0|1000", 123456)
    assert instr.parse_dump("desc: Trigger: Program termination\nsummary: 5\n") == (None, 5)
    noop = next(c for c in harness.CASES if c.name == "noop")
    assert noop.unroll == 10
    # The empty loop: 90 of set-up, 80 per iteration (8 per call slot at 10 calls an iteration).
    # The calls: 100 of set-up, 58 per call with the loop; the second allocator state hit an
    # edge (3 more per call), the third did not.
    dumps = {"loop|empty|5000": 90 + 5000 * 80, "loop|empty|10000": 90 + 10000 * 80}
    for state, setup, per in ((0, 100, 58), (1, 100, 61), (2, 140, 58)):
        dumps |= {f"noop|call{state}|{n}": setup + n * per for n in (1000, 2000)}
    assert instr.per_call(dumps, noop) == {
        "instructions_per_call": 50.0,
        "raw_per_call": 58.0,
        "loop_per_call": 8.0,
        "repeat_spread": 3.0,
        "calls": 1000,
    }
    add = next(c for c in harness.CASES if c.name == "add")
    assert instr.per_call(dumps, add) is None
    del dumps["noop|call1|2000"]
    assert instr.per_call(dumps, noop) is None
    del dumps["loop|empty|10000"]
    assert instr.per_call({k: v for k, v in dumps.items() if "call1" not in k}, noop) is None


@pytest.mark.single_mode
def test_instr_calls_are_whole_loop_iterations() -> None:
    cases = {c.name: c for c in harness.CASES}
    assert instr.calls_for(cases["noop"], 20_005) == 20_000
    assert instr.calls_for(cases["noop"], 3) == cases["noop"].unroll
    assert instr.calls_for(cases["thread_alloc_unscoped"], 20_000) == instr.MAX_CALLS["thread_alloc_unscoped"]


@pytest.mark.single_mode
def test_instr_ratios_and_baseline_changes() -> None:
    records = [
        {"python": "3.11.7", "case": "add", "binding": "floor", "instructions_per_call": 200.0},
        {"python": "3.11.7", "case": "add", "binding": "pyz3", "instructions_per_call": 210.0},
        {"python": "3.11.7", "case": "add", "binding": "ctypes", "instructions_per_call": None},
    ]
    instr.add_ratios(records)
    assert [r["ratio_to_floor"] for r in records] == [1.0, 1.05, None]
    baseline = {"records": [{**records[1], "python": "3.11.4", "instructions_per_call": 200.0}]}
    (change,) = instr.baseline_changes(records, baseline)
    assert change["binding"] == "pyz3" and change["change"] == pytest.approx(0.05)
    assert instr.change_cell(change) == "+5.0%"
    assert instr.baseline_changes(records, {"records": []}) == []


MARKS = BUILD / "bench" / "libcallgrind_marks.so"


@pytest.mark.single_mode
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (make valgrind-tool)")
def test_instr_counts_a_tiny_run_under_callgrind(tmp_path) -> None:
    assert MARKS.exists(), f"{MARKS} is built by `make test-plugins`"
    out = tmp_path / "out"
    args = [
        "run",
        "--build",
        str(BUILD),
        "--out",
        str(out),
        "--work",
        str(tmp_path / "work"),
        "--marks",
        str(MARKS),
    ]
    assert (
        instr.main([*args, "--bindings", "floor,pyz3,ctypes", "--cases", "noop,alloc10", "--calls", "200"])
        == 0
    )
    doc = json.loads((out / "instr.json").read_text())
    by = {(r["case"], r["binding"]): r for r in doc["records"]}
    assert set(by) == {(c, b) for c in ("noop", "alloc10") for b in ("floor", "pyz3", "ctypes")}
    for case in ("noop", "alloc10"):
        for b in ("floor", "pyz3"):
            r = by[(case, b)]
            assert r["status"] == "ok", r
            assert r["calls"] == 200 and r["instructions_per_call"] > 0 and r["loop_per_call"] > 0
            assert r["raw_per_call"] == pytest.approx(
                r["instructions_per_call"] + r["loop_per_call"], abs=0.2
            )
        assert by[(case, "floor")]["ratio_to_floor"] == 1.0
    # alloc10 does 20 allocator calls more than noop, through any binding.
    assert by[("alloc10", "floor")]["instructions_per_call"] > by[("noop", "floor")]["instructions_per_call"]
    assert by[("alloc10", "ctypes")]["status"] == "skipped" and by[("alloc10", "ctypes")]["reason"]
    assert (out / "callgrind" / "floor.log").exists()
    assert instr.main(["report", "--out", str(tmp_path / "merged"), str(out / "instr.json")]) == 0
    assert "| noop |" in (tmp_path / "merged" / "instr.md").read_text()
