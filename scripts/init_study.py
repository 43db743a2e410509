#!/usr/bin/env python3
"""What `wlgp search --init` is worth: on every embedded table, a user who already has
50 random architectures evaluated either starts afresh or hands them to the search.

For each table and seed: 50 architectures drawn at random (their table values, as the
user's earlier runs), then three searches of the table:
  fresh, 20 evaluations      `wlgp search --budget 20`
  given 50, 20 evaluations   `wlgp search --budget 20 --init given.csv`
  fresh, 70 evaluations      `wlgp search --budget 70` (as many evaluations in all)
Regret counts everything the user has: for the `--init` run, the best of the given and
the new evaluations. Writes docs/search_defaults/init.md (mean regret ± s.e.).

    python3 scripts/init_study.py [--seeds 10] [--jobs 2] [--bin target/release/wlgp]
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import subprocess
import tempfile

TABLES = [("nb201", m) for m in
          ["baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy"]] + \
         [(d, "valid_perf") for d in
          ["arxiv", "citeseer", "computers", "cora", "cs", "photo", "physics", "proteins", "pubmed"]]
GIVEN = 50


def space(d):
    return "nb201" if d == "nb201" else "nbgraph"


def sh(args, stdin=None, env=None):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def given_csv(binary, d, m, seed, path):
    """GIVEN random architectures of the table with their values, as a user's CSV."""
    ops = ["--proteins"] if d == "proteins" else []
    archs = sh([binary, "sample", "--space", space(d), *ops, "-n", str(GIVEN), "--seed", str(1000 + seed)])
    archs = archs.split("\n")
    rows = []
    for a in filter(None, archs):
        v = sh([binary, "lookup", "--dataset", d, "--metric", m], env={**os.environ, "WLGP_ARCH": a})
        rows.append((a, v.strip()))
    with open(path, "w") as f:
        f.write(f"arch,{m}\n")
        for a, v in rows:
            f.write('"' + a.replace('"', '""') + f'",{v}\n')


def one(binary, d, m, seed, tmp):
    path = os.path.join(tmp, f"{d}-{m}-{seed}.csv")
    given_csv(binary, d, m, seed, path)
    base = [binary, "search", "--dataset", d, "--metric", m, "--seed", str(seed), "--json"]
    out = {}
    for name, extra in [("fresh 20", ["--budget", "20"]),
                        ("given 50 + 20", ["--budget", "20", "--init", path]),
                        ("fresh 70", ["--budget", "70"])]:
        r = json.loads(sh(base + extra))
        # Every metric here is an accuracy, maximised.
        best = max(r["best_value"], r.get("given_best") or -math.inf)
        out[name] = r["optimum"] - best
    return d, m, seed, out


def mean_se(xs):
    n = len(xs)
    mu = sum(xs) / n
    var = sum((x - mu) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return mu, math.sqrt(var / n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--bin", default="target/release/wlgp")
    ap.add_argument("--out", default="docs/search_defaults/init.md")
    a = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(a.jobs) as pool:
        jobs = [pool.submit(one, a.bin, d, m, s, tmp) for d, m in TABLES for s in range(a.seeds)]
        for j in cf.as_completed(jobs):
            d, m, _, out = j.result()
            for k, v in out.items():
                results.setdefault((d, m), {}).setdefault(k, []).append(v)
    names = ["fresh 20", "given 50 + 20", "fresh 70"]
    lines = [
        "# Starting a search from earlier evaluations (`--init`)",
        "",
        f"`python3 scripts/init_study.py --seeds {a.seeds}`: on every embedded table, {GIVEN} random",
        "architectures with their table values stand for a user's earlier runs. Regret (mean ±",
        "s.e. over seeds, in the metric's units) after a fresh search of 20 evaluations, after",
        f"20 evaluations that start from the {GIVEN} given ones (`--init`; the best of all the user",
        "has), and after a fresh search of 70, as many evaluations in all.",
        "",
        "| table | metric | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    wins = 0
    for d, m in TABLES:
        r = results[(d, m)]
        cells = []
        for k in names:
            mu, se = mean_se(r[k])
            cells.append(f"{mu:.4f} ± {se:.4f}")
        wins += mean_se(r["given 50 + 20"])[0] <= mean_se(r["fresh 20"])[0]
        lines.append(f"| {d} | {m} | " + " | ".join(cells) + " |")
    lines += ["", f"Given evaluations lower the mean regret of 20 new ones on {wins} of {len(TABLES)} tables."]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
