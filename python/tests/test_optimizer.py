"""Ask/tell reproduces `wlgp search`, and Python and the CLI continue each other's journals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

import wlgp


def journal_archs(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return [json.loads(l)["arch"] for l in lines[1:]]


def lookup_search(cli, seed):
    """`wlgp search` flags for a search of the embedded NB201 table through
    `--objective-cmd 'wlgp lookup'`: the user's path."""
    cmd = f"{cli} lookup --dataset nb201"
    return [
        "--space",
        "nb201",
        "--objective-cmd",
        cmd,
        "--values",
        "accuracy-percent",
        "--seed",
        str(seed),
    ]


def drive(opt, table, stop=None):
    """Answers proposals from the table until the optimizer finishes (or `stop` evaluations)."""
    told = 0
    while stop is None or told < stop:
        archs = opt.ask()
        if not archs:
            break
        for a in archs:
            opt.tell(a, table.lookup(a))
            told += 1
    return told


@pytest.mark.parametrize("seed, batch", [(3, 1), (5, 3)])
def test_ask_tell_reproduces_wlgp_search(cli, nb201, tmp_path, seed, batch):
    j = tmp_path / "cli.jsonl"
    out = json.loads(
        run_cli(
            cli,
            [
                "search",
                "--dataset",
                "nb201",
                "--seed",
                str(seed),
                "--budget",
                "30",
                "--batch",
                str(batch),
                "--journal",
                str(j),
                "--json",
            ],
        )
    )
    opt = wlgp.Optimizer(
        space="nb201", values="accuracy-percent", seed=seed, budget=30, batch=batch
    )
    assert drive(opt, nb201) == 30
    assert opt.finished and opt.ask() == []
    assert [h[0] for h in opt.history] == journal_archs(j)
    assert opt.best == (out["best_arch"], out["best_value"])


def test_python_journal_continued_by_the_cli(cli, nb201, tmp_path):
    straight = tmp_path / "straight.jsonl"
    common = lookup_search(cli, seed=1) + ["--budget", "24"]
    run_cli(cli, ["search", *common, "--journal", str(straight), "--json"])
    j = tmp_path / "py.jsonl"
    opt = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=1, journal=j)
    drive(opt, nb201, stop=15)
    del opt  # releases the journal's lock
    import gc

    gc.collect()
    run_cli(cli, ["search", *common, "--resume", str(j), "--json"])
    assert journal_archs(j) == journal_archs(straight)


def test_cli_journal_continued_by_python(cli, nb201, tmp_path):
    common = lookup_search(cli, seed=2)
    straight = tmp_path / "straight.jsonl"
    run_cli(cli, ["search", *common, "--budget", "22", "--journal", str(straight), "--json"])
    j = tmp_path / "cli.jsonl"
    run_cli(cli, ["search", *common, "--budget", "12", "--journal", str(j), "--json"])
    opt = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=2, journal=j, budget=22)
    first = opt.ask()
    # The CLI's 12 evaluations were replayed before the first new proposal.
    assert len(opt.history) == 12
    assert [h[0] for h in opt.history] == journal_archs(straight)[:12]
    for a in first:
        opt.tell(a, nb201.lookup(a))
    told = len(first) + drive(opt, nb201)
    assert told == 10
    assert journal_archs(j) == journal_archs(straight)
    study = wlgp.Study.from_journal(j)
    assert len(study) == 22 and study.maximize
    assert study.best == opt.best
    assert np.all(np.diff(study.trajectory) >= 0)


def test_failures_pending_and_misuse(nb201, tmp_path):
    opt = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=0, n_init=4)
    first = opt.ask(2)
    assert len(first) == 2 and opt.pending == first
    rest = opt.ask()
    assert len(rest) == 2
    assert opt.ask() == []  # all out, waiting
    with pytest.raises(ValueError, match="not a proposal waiting"):
        opt.tell("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 1.0)
    opt.tell(first[0], None, status="failed: out of memory")
    opt.tell(first[1], float("nan"))
    with pytest.raises(ValueError, match="not a proposal waiting"):
        opt.tell(first[0], 50.0)
    for a in rest:
        opt.tell(a, nb201.lookup(a))
    nxt = opt.ask()
    assert len(nxt) == 1 and nxt[0] not in first + rest
    statuses = [h[2] for h in opt.history]
    assert statuses[:2] == ["failed: out of memory", "failed: the value is NaN"]
    # A second writer of the same journal is refused with the holder named.
    j = tmp_path / "locked.jsonl"
    holder = wlgp.Optimizer(space="nb201", values="accuracy-percent", journal=j)
    with pytest.raises(ValueError, match="being written by another search"):
        wlgp.Optimizer(space="nb201", values="accuracy-percent", journal=j)
    del holder


def test_a_different_search_cannot_resume_a_journal(nb201, tmp_path):
    j = tmp_path / "j.jsonl"
    opt = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=0, journal=j)
    drive(opt, nb201, stop=3)
    del opt
    import gc

    gc.collect()
    with pytest.raises(ValueError, match="different search"):
        wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=9, journal=j)


def test_ask_tell_starts_from_given_evaluations(cli, nb201, tmp_path):
    """`init=` is `wlgp search --init`: the same proposals, none of them a given cell."""
    before = tmp_path / "before.csv"
    given = nb201.archs[::701]
    with open(before, "w") as f:
        f.write("arch,value\n")
        f.writelines(f"{a},{nb201.lookup(a)!r}\n" for a in given)
    j = tmp_path / "cli.jsonl"
    flags = ["--seed", "2", "--budget", "8", "--init", str(before)]
    run_cli(cli, ["search", *lookup_search(cli, 2), *flags[2:], "--journal", str(j)])
    opt = wlgp.Optimizer(
        space="nb201", values="accuracy-percent", seed=2, budget=8, init=str(before)
    )
    assert drive(opt, nb201) == 8
    proposed = [h[0] for h in opt.history]
    assert proposed == journal_archs(j)
    assert not set(proposed) & set(given)
    assert [a for a, _ in wlgp.Study.from_journal(j).given] == given
    # The same evaluations in memory: the same search.
    pairs = {a: nb201.lookup(a) for a in given}
    mem = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=2, budget=8, init=pairs)
    drive(mem, nb201)
    assert [h[0] for h in mem.history] == proposed
    with pytest.raises(ValueError, match="not finite"):
        wlgp.Optimizer(space="nb201", init=[(given[0], float("nan"))])
