#!/usr/bin/env python3
"""Summarises the NAGO study (scripts/nago_study.sh): reads every journal
`METHOD-SEED.jsonl` in the study folder and writes `summary.md` (best held-out accuracy
per method, what an evaluation cost, the accuracy-parameters fronts) and `best.svg`
(best accuracy so far against evaluations; accuracy against parameters with each
method's front). Parameter counts come from `wlgp nago sample --search-seed`, which
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


def svg(curves: dict, fronts: dict, scatter: dict, path: Path) -> None:
    w, h, pad = 900, 360, 50
    pw = (w - 3 * pad) / 2
    ys = [v for c in curves.values() for v in c] + [
        a for f in scatter.values() for _, a in f
    ]
    lo, hi = math.floor(min(ys)) - 1, math.ceil(max(ys)) + 1
    n = max(len(c) for c in curves.values())
    allp = [p for f in scatter.values() for p, _ in f]
    plo, phi = math.log10(min(allp)), math.log10(max(allp))

    def y(v: float) -> float:
        return h - pad - (v - lo) / (hi - lo) * (h - 2 * pad)

    def x1(i: int) -> float:
        return pad + i / max(n - 1, 1) * pw

    def x2(p: float) -> float:
        return 2 * pad + pw + (math.log10(p) - plo) / max(phi - plo, 1e-9) * pw

    s = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">'
    ]
    s.append(f'<rect width="{w}" height="{h}" fill="white"/>')
    for x0 in (pad, 2 * pad + pw):
        s.append(
            f'<rect x="{x0}" y="{pad}" width="{pw}" height="{h - 2 * pad}" fill="none" stroke="#000"/>'
        )
        for t in range(int(lo), int(hi) + 1, max(1, int((hi - lo) / 6))):
            s.append(f'<text x="{x0 - 4}" y="{y(t) + 4}" text-anchor="end">{t}</text>')
    s.append(
        f'<text x="{pad + pw / 2}" y="{h - 15}" text-anchor="middle">evaluations</text>'
    )
    s.append(
        f'<text x="{2 * pad + 1.5 * pw}" y="{h - 15}" text-anchor="middle">parameters (log scale)</text>'
    )
    s.append(
        f'<text x="{pad + pw / 2}" y="{pad - 10}" text-anchor="middle">best held-out accuracy so far (%), mean over seeds</text>'
    )
    s.append(
        f'<text x="{2 * pad + 1.5 * pw}" y="{pad - 10}" text-anchor="middle">accuracy (%) of every evaluation; lines: fronts</text>'
    )
    for e in range(int(plo), math.ceil(phi) + 1):
        if plo <= e <= phi:
            s.append(
                f'<text x="{x2(10**e)}" y="{h - pad + 14}" text-anchor="middle">1e{e}</text>'
            )
    for i in range(0, n, 10):
        s.append(
            f'<text x="{x1(i)}" y="{h - pad + 14}" text-anchor="middle">{i + 1}</text>'
        )
    for k, (m, c) in enumerate(curves.items()):
        col = COLOURS.get(m, "#000")
        pts = " ".join(f"{x1(i):.1f},{y(v):.1f}" for i, v in enumerate(c))
        s.append(
            f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="2"/>'
        )
        s.append(f'<text x="{pad + 8}" y="{pad + 14 + 13 * k}" fill="{col}">{m}</text>')
        for p, a in scatter[m]:
            s.append(
                f'<circle cx="{x2(p):.1f}" cy="{y(a):.1f}" r="2" fill="{col}" fill-opacity="0.35"/>'
            )
        fp = " ".join(f"{x2(p):.1f},{y(a):.1f}" for p, a in fronts[m])
        s.append(
            f'<polyline points="{fp}" fill="none" stroke="{col}" stroke-width="1.5"/>'
        )
    s.append("</svg>")
    path.write_text("\n".join(s) + "\n")


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/nago/study")
    wlgp = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.environ.get("WLGP_BIN", "target/release/wlgp")
    )
    data = runs(folder)
    cache: dict = {}
    rows, curves, fronts, scatter = [], {}, {}, {}
    for m in [x for x in METHODS if x in data]:
        seeds = data[m]
        bests = {s: best_so_far(e) for s, e in seeds.items() if e}
        n = min(len(b) for b in bests.values())
        curves[m] = [mean_se([b[i] for b in bests.values()])[0] for i in range(n)]
        final = mean_se([b[n - 1] for b in bests.values()])
        at10 = mean_se([b[min(9, n - 1)] for b in bests.values()])
        at20 = mean_se([b[min(19, n - 1)] for b in bests.values()])
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
        "| method | seeds | evaluations | best after 10 | best after 20 | best at the end | front hypervolume | s / evaluation | CPU hours |",
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
        "Mean ± standard error over seeds. Front hypervolume: the area each run's evaluations",
        "dominate in (accuracy %, log10 params), above accuracy 0 and below 10^7 parameters.",
        "",
        "## Accuracy–parameters fronts (all seeds pooled)",
        "",
    ]
    for m, points in fronts.items():
        listed = ", ".join(f"{p:,} → {a:.1f} %" for p, a in points)
        lines.append(f"* **{m}**: {listed}")
    lines += ["", "![best accuracy so far; accuracy against parameters](best.svg)", ""]
    (folder / "summary.md").write_text("\n".join(lines))
    svg(curves, fronts, scatter, folder / "best.svg")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
