#!/usr/bin/env python3
"""Summarises the NAGO study (scripts/nago_study.sh): reads every journal
`METHOD-SEED.jsonl` in the study folder and writes `summary.md` (best held-out accuracy
per method, what an evaluation cost, the accuracy-parameters fronts), `best.svg` (best
accuracy so far against evaluations) and `fronts.svg` (accuracy against parameters with
each method's front), each drawn by `wlgp plot` from the JSON written beside it. Parameter counts come from `wlgp nago sample --search-seed`, which
draws the network the search evaluated. Standard library only.

Usage: python3 scripts/nago_study.py docs/nago/study [path/to/wlgp]
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

METHODS = ["random", "bo-matern", "bo-wl", "bo-sum", "ehvi"]
COLOURS = {
    "random": "#888888",
    "bo-matern": "#1f77b4",
    "bo-wl": "#2ca02c",
    "bo-sum": "#d62728",
    "ehvi": "#9467bd",
}


def runs(folder: Path) -> dict[str, dict[int, list[dict]]]:
    """Journal entries by method and seed."""
    out: dict[str, dict[int, list[dict]]] = {}
    for p in sorted(folder.glob("*.jsonl")):
        name, _, seed = p.stem.rpartition("-")
        lines = [json.loads(x) for x in p.read_text().splitlines() if x.strip()]
        out.setdefault(name, {})[int(seed)] = lines[1:]
    return out


def best_so_far(entries: list[dict]) -> list[float]:
    best, out = -math.inf, []
    for e in entries:
        if e.get("value") is not None:
            best = max(best, e["value"])
        out.append(best)
    return out


def mean_se(xs: list[float]) -> tuple[float, float]:
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, 0.0
    var = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
    return m, math.sqrt(var / len(xs))


def params(wlgp: str, theta: str, seed: int, cache: dict) -> int:
    key = (theta, seed)
    if key not in cache:
        out = subprocess.run(
            [
                wlgp,
                "nago",
                "sample",
                "--theta",
                theta,
                "--search-seed",
                str(seed),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cache[key] = json.loads(out)["trainer"]["params"]
    return cache[key]


def front(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Non-dominated (fewer parameters, higher accuracy), by parameters."""
    out: list[tuple[int, float]] = []
    for p, a in sorted(points, key=lambda x: (x[0], -x[1])):
        if not out or a > out[-1][1]:
            out.append((p, a))
    return out


def hypervolume(points: list[tuple[int, float]]) -> float:
    """Area dominated in (accuracy %, log10 params) above accuracy 0, below 10^7 params."""
    area, best = 0.0, 0.0
    for p, a in front(points):
        # Fronts ascend in both: each point adds its accuracy gain over all larger counts.
        area += (a - best) * (7.0 - math.log10(p))
        best = a
    return area


def figure(path: Path, fig: dict, wlgp: str) -> None:
    """Writes `fig` as JSON beside its SVG and draws it with `wlgp plot`, the plotting
    module every command uses."""
    path.with_suffix(".json").write_text(json.dumps(fig, indent=1) + "\n")
    subprocess.run(
        [wlgp, "plot", str(path.with_suffix(".json")), "--out", str(path)], check=True
    )


def draw(curves: dict, fronts: dict, scatter: dict, folder: Path, wlgp: str) -> None:
    best = {
        "kind": "chart",
        "title": "best held-out accuracy so far (mean ± 1 s.e. over seeds)",
        "x": {"label": "evaluations", "scale": "count"},
        "y": {"label": "held-out accuracy (%)", "scale": "linear"},
        "series": [
            {
                "name": m,
                "colour": COLOURS.get(m, "#000000"),
                "points": [
                    {"x": i + 1, "y": v, "err": e} for i, (v, e) in enumerate(c)
                ],
            }
            for m, c in curves.items()
        ],
    }

    def points(m: str, style: str, pts: list) -> dict:
        return {
            "name": f"{m}: {'evaluations' if style == 'dots' else 'front'}",
            "style": style,
            "colour": COLOURS.get(m, "#000000"),
            "points": [{"x": p, "y": a} for p, a in pts],
        }

    dots = [points(m, "dots", scatter[m]) for m in curves]
    lines = [points(m, "linedots", fronts[m]) for m in curves]
    fronts_fig = {
        "kind": "chart",
        "title": "accuracy against parameters: every evaluation, and each method's front",
        "x": {"label": "parameters (log scale)", "scale": "log"},
        "y": {"label": "held-out accuracy (%)", "scale": "linear"},
        "series": dots + lines,
    }
    figure(folder / "best.svg", best, wlgp)
    figure(folder / "fronts.svg", fronts_fig, wlgp)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/nago/study")
    wlgp = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.environ.get("WLGP_BIN", "target/release/wlgp")
    )
    data = runs(folder)
    budget = max(len(e) for seeds in data.values() for e in seeds.values())
    finals: dict[str, dict[int, float]] = {}
    at25: dict[str, dict[int, float]] = {}
    cache: dict = {}
    rows, curves, fronts, scatter = [], {}, {}, {}
    for m in [x for x in METHODS if x in data]:
        # Only finished runs (an interrupted study reports what has finished).
        seeds = {s: e for s, e in data[m].items() if len(e) >= budget}
        if not seeds:
            continue
        bests = {s: best_so_far(e)[:budget] for s, e in seeds.items()}
        n = budget
        finals[m] = {s: b[n - 1] for s, b in bests.items()}
        at25[m] = {s: b[min(24, n - 1)] for s, b in bests.items()}
        curves[m] = [mean_se([b[i] for b in bests.values()]) for i in range(n)]
        final = mean_se([b[n - 1] for b in bests.values()])
        at10 = mean_se([b[min(9, n - 1)] for b in bests.values()])
        at20 = mean_se([b[min(24, n - 1)] for b in bests.values()])
        per_best = [b[n - 1] for _, b in sorted(bests.items())]
        secs = [e["seconds"] for es in seeds.values() for e in es]
        pts = [
            (params(wlgp, e["arch"], s, cache), e["value"])
            for s, es in seeds.items()
            for e in es
            if e.get("value") is not None
        ]
        scatter[m], fronts[m] = pts, front(pts)
        per_hv = [
            hypervolume(
                [
                    (params(wlgp, e["arch"], s, cache), e["value"])
                    for e in es
                    if e.get("value") is not None
                ]
            )
            for s, es in sorted(seeds.items())
            if es
        ]
        hv = mean_se(per_hv)
        rows.append(
            (
                m,
                len(bests),
                n,
                at10,
                at20,
                final,
                hv,
                sum(secs) / len(secs),
                sum(secs) / 3600,
                fronts[m],
                per_best,
                per_hv,
            )
        )
    lines = [
        "# NAGO study: random search against BO over generators",
        "",
        f"Generated by `python3 scripts/nago_study.py {folder}` from the journals beside this file",
        "(`bash scripts/nago_study.sh` runs the searches). Objective: held-out accuracy (%) on the",
        "embedded digits of one network sampled from θ, trained by `wlgp nago train`'s defaults.",
        "",
        "| method | seeds | evaluations | best after 10 | best after 25 | best at the end | front hypervolume | s / evaluation | CPU hours |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m, k, n, a10, a20, fin, hv, sec, hours, *_ in rows:
        lines.append(
            f"| {m} | {k} | {n} | {a10[0]:.1f} ± {a10[1]:.1f} | {a20[0]:.1f} ± {a20[1]:.1f} | {fin[0]:.1f} ± {fin[1]:.1f} | {hv[0]:.1f} ± {hv[1]:.1f} | {sec:.1f} | {hours:.2f} |"
        )
    lines += [
        "",
        "Per seed (seeds 0, 1, ...): best held-out accuracy at the end, and front hypervolume.",
        "",
        "| method | best at the end | front hypervolume |",
        "|---|---|---|",
    ]
    for m, *_, per_best, per_hv in rows:
        lines.append(
            f"| {m} | {', '.join(f'{v:.1f}' for v in per_best)} | {', '.join(f'{v:.1f}' for v in per_hv)} |"
        )
    lines += [
        "",
        "Paired by seed against random search (the same seed draws the same first",
        "generators), on the seeds both finished: mean difference ± s.e. in points, and",
        "on how many seeds the method was ahead.",
        "",
        "| method | after 25: difference | ahead | at the end: difference | ahead |",
        "|---|---|---|---|---|",
    ]
    for m in finals:
        if m == "random" or "random" not in finals:
            continue
        cells = []
        for table in (at25, finals):
            common = sorted(set(table[m]) & set(table["random"]))
            d = [table[m][s] - table["random"][s] for s in common]
            if not d:
                cells += ["—", "—"]
                continue
            md, se = mean_se(d)
            ahead = sum(x > 0 for x in d)
            ties = sum(x == 0 for x in d)
            tied = f", {ties} tied" if ties else ""
            cells += [f"{md:+.1f} ± {se:.1f}", f"{ahead} of {len(d)}{tied}"]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Mean ± standard error over seeds. Front hypervolume: the area each run's evaluations",
        "dominate in (accuracy %, log10 params), above accuracy 0 and below 10^7 parameters.",
        "",
        "## Accuracy–parameters fronts (all seeds pooled)",
        "",
    ]
    for m, points in fronts.items():
        listed = ", ".join(f"{p:,} → {a:.1f} %" for p, a in points)
        lines.append(f"* **{m}**: {listed}")
    lines += [
        "",
        "![best accuracy so far](best.svg)",
        "",
        "![accuracy against parameters](fronts.svg)",
        "",
    ]
    (folder / "summary.md").write_text("\n".join(lines))
    draw(curves, fronts, scatter, folder, wlgp)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
