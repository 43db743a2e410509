"""Declared spaces from Python: ``Space.from_spec`` with a dict or a file, searched by
``Optimizer`` and fitted by ``WLGP``, as the CLI does with ``--space FILE``."""

from __future__ import annotations

import pickle
import tomllib
from pathlib import Path

import pytest

import wlgp

SPACES = Path(__file__).resolve().parents[2] / "examples" / "spaces"


TABLE = wlgp.data.table("nb201")


def nb201_value(arch: str) -> float:
    """The embedded NAS-Bench-201 accuracy of a declared nb201 architecture."""
    ops = arch.split()
    builtin = f"|{ops[0]}~0|+|{ops[1]}~0|{ops[2]}~1|+|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|"
    return TABLE.lookup(builtin)


def test_a_dict_and_its_file_are_the_same_space() -> None:
    with open(SPACES / "nb201.toml", "rb") as f:
        spec = tomllib.load(f)
    a = wlgp.Space.from_spec(spec)
    b = wlgp.Space.from_spec(SPACES / "nb201.toml")
    c = wlgp.Space(str(SPACES / "nb201.toml"))
    assert a.size == b.size == c.size == 15_625
    assert a.sample(5, seed=1) == b.sample(5, seed=1) == c.sample(5, seed=1)
    arch = a.sample(1, seed=2)[0]
    assert a.format(arch) == arch
    assert len(a.neighbours(arch)) > 0
    assert pickle.loads(pickle.dumps(a)).sample(3, seed=4) == a.sample(3, seed=4)


def test_optimizer_searches_a_declared_space_on_the_real_table() -> None:
    space = wlgp.Space.from_spec(SPACES / "nb201.toml")
    opt = wlgp.Optimizer(space=space, values="accuracy-percent", seed=3, budget=20)
    best = 0.0
    while not opt.finished:
        for arch in opt.ask():
            v = nb201_value(arch)
            best = max(best, v)
            opt.tell(arch, v)
    assert best > 90.0


def test_a_model_fits_and_predicts_a_declared_chain() -> None:
    space = wlgp.Space.from_spec(SPACES / "mobilenetv3.toml")
    archs = space.sample(30, seed=5)
    values = [float(len(a) % 13) for a in archs]
    model = wlgp.WLGP(space=space).fit(archs, values)
    mean, std = model.predict(space.sample(4, seed=6), return_std=True)
    assert len(mean) == 4 and all(s >= 0 for s in std)


def test_bad_specs_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match="ops: is an empty choice"):
        wlgp.Space.from_spec({"name": "x", "cell": [{"nodes": 4, "ops": []}]})
    with pytest.raises(ValueError, match="unknown field"):
        wlgp.Space.from_spec({"name": "x", "cell": [{"nodes": 4, "ops": ["a"], "colour": 1}]})
