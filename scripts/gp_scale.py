#!/usr/bin/env python3
"""The GP against the number of evaluations, through the command a user types:
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wlgp", default=str(ROOT / "target/release/wlgp"))
    ap.add_argument("--sizes", default="1000,2000,4000,10000,30000,100000")
    a = ap.parse_args()
    print("| what | n | solver | wall | peak memory |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in a.sizes.split(",")]:
            archs = subprocess.run(
                [a.wlgp, "sample", "--space", "darts", "-n", str(n), "--seed", "1"],
                capture_output=True, text=True, check=True,
            ).stdout.splitlines()
            csv = Path(tmp) / f"darts_{n}.csv"
            with csv.open("w") as f:
                f.write("arch,value\n")
                for arch in archs:
                    f.write(f"\"{arch}\",{synthetic(arch)}\n")
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
