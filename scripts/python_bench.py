#!/usr/bin/env python3
"""What calling the engine from Python costs: `WLGP.predict` on 10^5 NB201 cells and
`wlgp.score` of 10^6 sampled candidates, against the CLI doing the same work in the same
run (best of --repeats). Prints a markdown table for docs/python.md.

    .venv/bin/python scripts/python_bench.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import wlgp

ROOT = Path(__file__).resolve().parents[1]


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def best_of(repeats: int, f) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cli", default=os.environ.get("WLGP_BIN", str(ROOT / "target/release/wlgp")))
    a = ap.parse_args()
    table = wlgp.data.table("nb201")
    acc = table["baseline_accuracy"]
    rng = np.random.default_rng(0)
    rows = rng.choice(len(table), size=200, replace=False)
    archs = [table.archs[i] for i in rows]
    space = wlgp.Space("nb201")
    query = space.sample(100_000, seed=1)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, acc[rows])

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "train.csv"
        csv.write_text("arch,value\n" + "".join(f"{x},{v}\n" for x, v in zip(archs, acc[rows])))
        qfile = Path(tmp) / "query.txt"
        qfile.write_text("\n".join(query) + "\n")
        common = ["--space", "nb201", "--train", str(csv), "--values", "accuracy-percent"]

        def cli_predict() -> None:
            with open(qfile) as f:
                subprocess.run([a.cli, "predict", *common], stdin=f, check=True,
                               stdout=subprocess.DEVNULL)

        def py_predict() -> None:
            m = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, acc[rows])
            m.predict(query, return_std=True)

        t_cli_predict = best_of(a.repeats, cli_predict)
        t_py_predict = best_of(a.repeats, py_predict)

        cli_rates = []
        for _ in range(a.repeats):
            out = subprocess.run(
                [a.cli, "--device", "cpu", "score", *common, "--candidates", "1000000",
                 "--seed", "3", "--json"], check=True, capture_output=True, text=True).stdout
            cli_rates.append(json.loads(out)["candidates_per_second"])
        t_py_score = best_of(a.repeats, lambda: wlgp.score(model, candidates=1_000_000, seed=3))
    py_rate = 1e6 / t_py_score
    cli_rate = max(cli_rates)
    print(f"Machine: {cpu_name()}, {os.cpu_count()} cores; best of {a.repeats}.\n")
    print("| work | CLI (Rust) | Python | Python / CLI |")
    print("|---|---|---|---|")
    print(f"| fit on 200 + predict 10^5 NB201 cells (mean and std) | {t_cli_predict:.3f} s "
          f"(whole process, CSV out) | {t_py_predict:.3f} s | {t_py_predict / t_cli_predict:.2f} |")
    print(f"| score 10^6 sampled candidates by EI, top 10 | {cli_rate:.3e}/s | {py_rate:.3e}/s "
          f"(whole call) | {cli_rate / py_rate:.2f} (time ratio) |")


if __name__ == "__main__":
    main()
