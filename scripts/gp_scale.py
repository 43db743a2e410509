#!/usr/bin/env python3
"""The GP at scale, through the commands a user types. First the rows of the
large-scale issue (#34), re-measured in one run; then the GP against the number of
evaluations:
`wlgp score --space darts --train CSV --candidates 1000 --solver S` on N sampled DARTS
genotypes (`wlgp sample`) whose values are synthetic (speed only: the fraction of
separable convolutions in the normal cell, plus a hashed jitter, in [0, 1]), for
N = 10^3 .. 10^5, exact (Cholesky, up to 4,000) and iterative (conjugate gradients), in
the same run; and every NAS-Bench-Graph cora architecture (26,206, real values) through
`--train-from-data`. Wall time and peak memory (`/usr/bin/time`). Prints a Markdown table.

Usage: python3 scripts/gp_scale.py [--wlgp target/release/wlgp] [--sizes 1000,...]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic(arch: str) -> float:
    normal = arch.split("reduce=")[0]
    ops = normal.count("('")
    sep = normal.count("sep_conv")
    jitter = int(hashlib.sha256(arch.encode()).hexdigest()[:8], 16) / 2**32
    return round(0.5 + 0.4 * sep / max(ops, 1) + 0.05 * jitter, 6)


def timed(cmd: list[str]) -> tuple[float, float]:
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *cmd], capture_output=True, text=True, check=True
    )
    wall, kb = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kb) / 2**20


def darts_csv(wlgp: str, n: int, path: Path) -> None:
    archs = subprocess.run(
        [wlgp, "sample", "--space", "darts", "-n", str(n), "--seed", "1"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    with path.open("w") as f:
        f.write("arch,value\n")
        for arch in archs:
            f.write(f"\"{arch}\",{synthetic(arch)}\n")


def user_rows(wlgp: str, tmp: str) -> None:
    one = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    rows = [
        ("score --train-from-data nb201:baseline_accuracy:2000 --candidates 1", None),
        ("predict --train-from-data nb201:baseline_accuracy:2000 (one architecture)", one),
        ("search --dataset nb201 --n-init 2000 --budget 2001 (one round at n = 2,000)", None),
        ("search --dataset cora --n-init 1000 --batch 1000 --budget 2000", None),
    ] + [(f"score --train-from-data cora:valid_perf:{n} --candidates 100000", None) for n in (1000, 4000, 8000)]
    print("| what the user runs | wall | peak memory |")
    print("|---|---|---|")
    for args, stdin in rows:
        cmd = [wlgp, *args.split(" (")[0].split()]
        for _ in range(2):
            out = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M", *cmd], input=stdin or "", capture_output=True, text=True, check=True
            )
            wall, kb = out.stderr.strip().splitlines()[-1].split()
            print(f"| `wlgp {args}` | {float(wall):.2f} s | {int(kb) / 2**20:.2f} GB |", flush=True)
    csv = Path(tmp) / "darts_1000.csv"
    darts_csv(wlgp, 1000, csv)
    for _ in range(2):
        out = subprocess.run(
            [wlgp, "score", "--space", "darts", "--train", str(csv), "--values", "accuracy", "--candidates", "4000000"],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()[0]
        rate = float(out.split("(")[1].split("/s")[0])
        print(f"| `wlgp score --space darts --train CSV --candidates 4000000` (1,000 cells) | {rate / 1e6:.2f} M candidates/s | |", flush=True)
    bench = subprocess.run(
        [wlgp, "bench", "--graphs", "1000", "--kernel-graphs", "100", "--score-sizes", "100", "--no-assessor",
         "--no-single-thread", "--device", "cpu"],
        capture_output=True, text=True, check=True,
    ).stdout
    for line in bench.splitlines():
        if "end" in line.lower() and "darts" in line.lower():
            print(f"| `wlgp bench`, same run: {line.strip()} | | |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wlgp", default=str(ROOT / "target/release/wlgp"))
    ap.add_argument("--sizes", default="1000,2000,4000,10000,30000,100000")
    ap.add_argument("--no-user-rows", action="store_true")
    a = ap.parse_args()
    if not a.no_user_rows:
        with tempfile.TemporaryDirectory() as tmp:
            user_rows(a.wlgp, tmp)
    print("| what | n | solver | wall | peak memory |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in a.sizes.split(",")]:
            csv = Path(tmp) / f"darts_{n}.csv"
            darts_csv(a.wlgp, n, csv)
            for solver in ["exact", "iterative"]:
                if solver == "exact" and n > 4000:
                    continue
                cmd = [a.wlgp, "score", "--space", "darts", "--train", str(csv), "--values", "accuracy"]
                cmd += ["--candidates", "1000", "--solver", solver]
                wall, gb = timed(cmd)
                print(f"| DARTS, synthetic values | {n:,} | {solver} | {wall:.1f} s | {gb:.2f} GB |", flush=True)
        wall, gb = timed([a.wlgp, "score", "--train-from-data", "cora:valid_perf:26206", "--candidates", "1000"])
        print(f"| NAS-Bench-Graph cora, every architecture | 26,206 | auto (iterative) | {wall:.1f} s | {gb:.2f} GB |")


if __name__ == "__main__":
    main()
