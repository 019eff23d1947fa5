"""bench/report.py: turn benchmark results into report.md, chart.png and the target checks.

Used by bench/harness.py (`report` and the end of `run`). The targets are the goals of issue 4,
evaluated on ratios from one run; they are printed and reported, never asserted.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

CORE_CASES = ("noop", "add", "fadd", "slen", "greet")
# The class cases (issue 13): pyz3's goal against the floor, and the peers pyz3 should be ahead of.
CLASS_GOALS = {"cls_new": 1.10, "cls_method": 1.15, "cls_get": 1.15, "cls_set": None, "cls_arg": None}
CLASS_PEERS = ("nanobind", "pyo3")


def _index(records: Sequence[dict]) -> dict[tuple[str, str, str], dict]:
    return {(r["python"], r["case"], r["binding"]): r for r in records}


def _ns(idx: dict, py: str, case: str, binding: str, key: str = "ns_min") -> float | None:
    r = idx.get((py, case, binding))
    return None if r is None else r.get(key)


def target_rows(records: Sequence[dict]) -> list[dict]:
    """One row per target and Python version: what, measured value, goal, met (None: not measured)."""
    idx = _index(records)
    rows = []

    def row(py: str, what: str, value: float | None, goal: str, met: bool | None) -> None:
        rows.append({"python": py, "target": what, "value": value, "goal": goal, "met": met})

    for py in dict.fromkeys(r["python"] for r in records):
        for case in (*CORE_CASES, "kwargs"):
            rec = idx.get((py, case, "pyz3"))
            v = rec.get("ratio_to_floor") if rec else None
            limit, stretch = (1.20, None) if case == "kwargs" else (1.10, 1.05)
            goal = f"<= {limit:.2f}" + (f" (stretch {stretch:.2f})" if stretch else "")
            met = None if v is None else v <= limit
            row(py, f"pyz3 / floor on {case}", v, goal, met)
        pyz3_add = _ns(idx, py, "add", "pyz3")
        for peer, goal in (("ctypes", 10.0), ("cffi-abi", 6.0)):
            peer_add = _ns(idx, py, "add", peer)
            v = peer_add / pyz3_add if peer_add and pyz3_add else None
            row(py, f"{peer} / pyz3 on add", v, f">= {goal:.0f}", None if v is None else v >= goal)
        on = idx.get((py, "alloc10", "pyz3"))
        off = idx.get((py, "alloc10", "pyz3 (gil_cache off)"))
        if on and off and on.get("ns_min") and off.get("ns_min"):
            v = off["ns_min"] / on["ns_min"]
            row(
                py,
                "alloc10: gil_cache off / on",
                v,
                "> 1, off's best round slower than on's median",
                off["ns_min"] > on["ns_median"],
            )
        else:
            row(py, "alloc10: gil_cache off / on", None, "> 1", None)
        for case, limit in CLASS_GOALS.items():
            rec = idx.get((py, case, "pyz3"))
            v = rec.get("ratio_to_floor") if rec else None
            if limit is not None:
                row(py, f"pyz3 / floor on {case}", v, f"<= {limit:.2f}", None if v is None else v <= limit)
            mine = _ns(idx, py, case, "pyz3")
            for peer in CLASS_PEERS:
                theirs = _ns(idx, py, case, peer)
                v = theirs / mine if theirs and mine else None
                row(py, f"{peer} / pyz3 on {case}", v, "> 1 (pyz3 ahead)", None if v is None else v > 1)
        scoped = _ns(idx, py, "thread_alloc_scoped", "pyz3")
        unscoped = _ns(idx, py, "thread_alloc_unscoped", "pyz3")
        v = unscoped / scoped if scoped and unscoped else None
        row(py, "native thread: unscoped / scoped", v, ">= 5 (many times)", None if v is None else v >= 5)
    return rows


def _mark(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "MISSED"


def target_lines(records: Sequence[dict]) -> list[str]:
    lines = ["targets (ratios from this run; goals, not assertions):"]
    for r in target_rows(records):
        v = "-" if r["value"] is None else f"{r['value']:.2f}"
        lines.append(
            f"  Python {r['python']}: {r['target']:<34} {v:>7}  goal {r['goal']:<42} {_mark(r['met'])}"
        )
    for py, spread in spreads(records).items():
        lines.append(f"  Python {py}: {spread_text(spread)}")
    return lines


# Above this median/min spread of the timed records, a run's ratios are not worth quoting.
NOISY_SPREAD = 1.15


def spreads(records: Sequence[dict]) -> dict[str, float]:
    """Per Python version: the median over its timed records of ns_median / ns_min."""
    by: dict[str, list[float]] = {}
    for r in records:
        if r.get("ns_min"):
            by.setdefault(r["python"], []).append(r["ns_median"] / r["ns_min"])
    return {py: sorted(v)[len(v) // 2] for py, v in by.items()}


def spread_text(spread: float) -> str:
    verdict = (
        "quiet enough to quote" if spread <= NOISY_SPREAD else "NOISY: rerun when the machine is quieter"
    )
    return f"run spread (median of median/min over all timings) {spread:.2f}: {verdict}"


def opt_rows(records: Sequence[dict], opt_cases: dict[str, tuple[str, ...]]) -> list[dict]:
    idx = _index(records)
    rows = []
    for py in dict.fromkeys(r["python"] for r in records):
        for opt, cases in opt_cases.items():
            for case in cases:
                on, off = idx.get((py, case, "pyz3")), idx.get((py, case, f"pyz3 ({opt} off)"))
                if on and off and on.get("ns_min") and off.get("ns_min"):
                    rows.append(
                        {
                            "python": py,
                            "optimization": opt,
                            "case": case,
                            "on": on["ns_min"],
                            "off": off["ns_min"],
                            "ratio": off["ns_min"] / on["ns_min"],
                        }
                    )
    return rows


# ---- chart ----------------------------------------------------------------------------------------

# pyz3 in reds, the floor in black, the handwritten and C++ peers in greens, ctypes/cffi in blues,
# Cython purple, PyO3 brown.
COLORS = {
    "floor": "#222222",
    "pyz3": "#d62728",
    "pyz3-zig": "#8c1a1a",
    "pyz3 (gil_cache off)": "#ff9896",
    "pyz3 (fast_paths off)": "#f7b6d2",
    "pyz3 (pool off)": "#ffbb78",
    "varargs": "#7f7f7f",
    "ctypes": "#1f77b4",
    "cffi-abi": "#6baed6",
    "cffi-api": "#c6dbef",
    "pybind11": "#2ca02c",
    "nanobind": "#98df8a",
    "cython": "#9467bd",
    "pyo3": "#8c564b",
}


def write_chart(doc: dict, path: pathlib.Path) -> str | None:
    """Grouped bars of ratio to the floor, one group per case, one panel per Python version.

    Returns None when written, else why not (matplotlib missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return f"matplotlib is not installed ({exc})"
    records = [r for r in doc["records"] if r.get("ratio_to_floor") is not None]
    pythons = list(dict.fromkeys(r["python"] for r in doc["records"]))
    cases = list(dict.fromkeys(r["case"] for r in doc["records"]))
    bindings = list(dict.fromkeys(r["binding"] for r in records))
    fig, axes = plt.subplots(
        len(pythons), 1, figsize=(max(12, 1.6 * len(cases)), 5.2 * len(pythons)), squeeze=False
    )
    width = 0.85 / max(1, len(bindings))
    for ax, py in zip(axes[:, 0], pythons, strict=True):
        by = {(r["case"], r["binding"]): r["ratio_to_floor"] for r in records if r["python"] == py}
        for j, b in enumerate(bindings):
            xs = [i + (j - (len(bindings) - 1) / 2) * width for i, c in enumerate(cases) if (c, b) in by]
            ys = [by[(c, b)] for c in cases if (c, b) in by]
            ax.bar(
                xs, ys, width, label=b, color=COLORS.get(b, f"C{j % 10}"), edgecolor="white", linewidth=0.3
            )
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(cases)), cases, rotation=20, ha="right")
        ax.set_ylabel("ns/call / floor's (log)")
        ax.set_title(f"Ratio to the handwritten METH_FASTCALL floor (min of rounds), Python {py}")
        ax.grid(axis="y", which="both", alpha=0.3)
    fig.legend(
        *axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=min(7, len(bindings)), fontsize=8
    )
    fig.tight_layout(rect=(0, 0.07 / len(pythons), 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# ---- markdown -------------------------------------------------------------------------------------


def _f(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}" if v < 10_000 else f"{v:,.0f}"


def markdown(doc: dict, chart_skipped: str | None = None, opt_cases: dict | None = None) -> str:
    if opt_cases is None:
        from harness import OPT_CASES as opt_cases
    out = ["# pyz3 benchmark report", ""]
    machine = doc.get("machine", {})
    out.append(f"Command: `{doc['command']}`, {doc['generated']}.")
    out.append(
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cpus', '?')} CPUs, "
        f"{machine.get('platform', '?')}; {machine.get('pinning', '')}; "
        f"load average at start {machine.get('loadavg_at_start', '?')}."
    )
    out.append("")
    out.append(
        "ns/call is the time of one call from a Python loop (the loop body unrolls the call), min and "
        "median over the rounds; `x floor` is min / the floor's min in the same run. Only ratios "
        "are comparable across runs: the machine is shared and noisy."
    )
    out.append("")
    out.append(
        "![ratio to the floor per case](chart.png)"
        if chart_skipped is None
        else f"(chart skipped: {chart_skipped})"
    )
    for run in doc["runs"]:
        py = run["python"]["version"]
        recs = [r for r in doc["records"] if r["python"] == py]
        cases = list(dict.fromkeys(r["case"] for r in recs))
        bindings = list(dict.fromkeys(r["binding"] for r in recs))
        by = {(r["case"], r["binding"]): r for r in recs}
        out += ["", f"## Python {py}", ""]
        pyz3 = run.get("pyz3") or {}
        if pyz3:
            bi = pyz3.get("build_info", {})
            out.append(
                f"pyz3 {pyz3.get('version')} (runtime built for Python {bi.get('python', '?')}); "
                f"rounds: {run['method']['rounds']}, ~{run['method']['target_ms_per_round']} ms each."
            )
            out.append("")
        out.append("### Ratio to the floor (min ns/call / floor's)")
        out.append("")
        out.append("| binding | " + " | ".join(cases) + " |")
        out.append("|---|" + "---:|" * len(cases))
        for b in bindings:
            cells = []
            for c in cases:
                r = by.get((c, b))
                cells.append("skip" if r is None or r["ns_min"] is None else _f(r["ratio_to_floor"], 2))
            out.append(f"| {b} | " + " | ".join(cells) + " |")
        out += ["", "### ns/call per case", ""]
        for c in cases:
            info = run.get("cases", {}).get(c, {})
            out.append(f"**{c}** — `{info.get('call', c)}`: {info.get('what', '')}")
            out.append("")
            out.append("| binding | ns min | ns median | x floor | x floor (median) | note |")
            out.append("|---|---:|---:|---:|---:|---|")
            for b in bindings:
                r = by.get((c, b))
                if r is None or r["ns_min"] is None:
                    continue
                out.append(
                    f"| {b} | {_f(r['ns_min'])} | {_f(r['ns_median'])} | {_f(r['ratio_to_floor'], 2)} | "
                    f"{_f(r['ratio_to_floor_median'], 2)} | {r.get('note', '')} |"
                )
            out.append("")
        spread = spreads(recs).get(py)
        if spread is not None:
            out += [spread_text(spread) + ".", ""]
        out += ["### Targets", "", "| target | measured | goal | |", "|---|---:|---|---|"]
        for t in target_rows(recs):
            out.append(f"| {t['target']} | {_f(t['value'], 2)} | {t['goal']} | {_mark(t['met'])} |")
        out += ["", "### Optimisations: pyz3 with one switched off / all on (min ns/call)", ""]
        out += ["| optimisation | case | on ns | off ns | off / on |", "|---|---|---:|---:|---:|"]
        for o in opt_rows(recs, opt_cases):
            out.append(
                f"| {o['optimization']} | {o['case']} | {_f(o['on'])} | {_f(o['off'])} | {o['ratio']:.2f} |"
            )
        skipped: dict[tuple[str, str], list[str]] = {}
        for r in recs:
            if r["ns_min"] is None:
                skipped.setdefault((r["binding"], f"{r['status']}: {r.get('reason', '')}"), []).append(
                    r["case"]
                )
        if skipped:
            out += ["", "### Skipped", "", "| binding | cases | reason |", "|---|---|---|"]
            for (b, reason), cs in skipped.items():
                which = "all" if len(cs) == len(cases) else ", ".join(cs)
                out.append(f"| {b} | {which} | {reason.replace('|', '/')} |")
    out.append("")
    return "\n".join(out)
