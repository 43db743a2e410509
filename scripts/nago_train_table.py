#!/usr/bin/env python3
"""Regenerates the trainer table of docs/nago.md: `wlgp nago train` at default settings
on 20 generators θ drawn from seeds 1..20, one at a time, and on 5 of them again with
three more seeds (new network samples from the same θ, new initialisation), so the
spread between generators can be set against the spread between seeds of one generator;
and the same 20 built as `--structure reference` (no residual paths, merges starting at
σ(1) per input), the alternative to the default's departure.

Writes docs/nago/trainer.md (and prints it). Standard library only.
Usage: python3 scripts/nago_train_table.py [path/to/wlgp]   (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

GENERATORS = range(1, 21)
REPEATED = range(1, 6)
RESEEDS = [101, 102, 103]


def train(wlgp: str, *args: str) -> dict:
    out = subprocess.run(
        [wlgp, "nago", "train", "--json", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def row(v: dict, ref: dict) -> str:
    t = v["theta"]
    return (
        f"| {t['G1_nodes']}, {t['G2_nodes']}, {t['G3_nodes']} | {v['seed']} | {v['operations']} "
        f"| {v['width']} | {v['params']:,} | {v['accuracy']:.1f} | {v['train_loss']:.3f} "
        f"| {v['seconds']:.1f} | {ref['accuracy']:.1f} | {ref['seconds']:.1f} |"
    )


def main() -> None:
    wlgp = sys.argv[1] if len(sys.argv) > 1 else "target/release/wlgp"
    runs = {s: train(wlgp, "--seed", str(s)) for s in GENERATORS}
    refs = {s: train(wlgp, "--seed", str(s), "--structure", "reference") for s in GENERATORS}
    lines = [
        "| θ (G1_nodes, G2_nodes, G3_nodes) | seed | convolutions | width | params "
        "| accuracy % | last-epoch loss | seconds | reference structure: accuracy % | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(row(runs[s], refs[s]) for s in GENERATORS),
    ]
    ref_accs = [v["accuracy"] for v in refs.values()]
    accs = [v["accuracy"] for v in runs.values()]
    secs = [v["seconds"] for v in runs.values()]
    lines += [
        "",
        f"Median accuracy {statistics.median(accs):.1f} % (min {min(accs):.1f}, "
        f"max {max(accs):.1f}); seconds median {statistics.median(secs):.1f}, "
        f"max {max(secs):.1f}; {sum(s <= 10 for s in secs)} of {len(secs)} within 10 s. "
        f"Reference structure: median {statistics.median(ref_accs):.1f} % "
        f"(min {min(ref_accs):.1f}, max {max(ref_accs):.1f}).",
        "",
        "Seeds of one generator (θ of seeds 1-5, each trained again with seeds "
        + ", ".join(map(str, RESEEDS))
        + "):",
        "",
        "| θ of seed | accuracies % | mean | s.d. |",
        "|---|---|---|---|",
    ]
    within = []
    for g in REPEATED:
        theta = json.dumps(runs[g]["theta"])
        a = [runs[g]["accuracy"]] + [
            train(wlgp, "--theta", theta, "--seed", str(s))["accuracy"] for s in RESEEDS
        ]
        within.append(statistics.stdev(a))
        lines.append(
            f"| {g} | {', '.join(f'{x:.1f}' for x in a)} | {statistics.mean(a):.1f} "
            f"| {within[-1]:.1f} |"
        )
    lines += [
        "",
        f"Spread between the 20 generators (s.d. of their accuracies): "
        f"{statistics.stdev(accs):.1f} points; between seeds of one generator "
        f"(mean s.d. over the 5): {statistics.mean(within):.1f} points.",
    ]
    text = "\n".join(lines) + "\n"
    out = Path("docs/nago/trainer.md")
    out.write_text(
        "# The NAGO trainer on 20 generators\n\nWritten by `python3 scripts/nago_train_table.py`"
        " at default settings on a 2-core machine.\n\n" + text
    )
    print(text)


if __name__ == "__main__":
    main()
