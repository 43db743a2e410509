"""WLGP, Space and score against the CLI, pickling, and bad input."""

from __future__ import annotations

import csv
import json
import os
import pickle

import numpy as np
import pytest
from conftest import run_cli

import wlgp


def training(nb201, n=120, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(nb201), size=n, replace=False)
    return [nb201.archs[i] for i in rows], nb201["baseline_accuracy"][rows]


def test_predictions_equal_the_clis(cli, nb201, tmp_path):
    archs, y = training(nb201)
    path = tmp_path / "train.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arch", "accuracy"])
        w.writerows(zip(archs, y))
    query = nb201.archs[::997]
    out = json.loads(
        run_cli(
            cli,
            ["predict", "--space", "nb201", "--train", str(path), "--json"],
            "\n".join(query),
        )
    )
    # Inferred from the column name, as the CLI does: accuracy in percent.
    model = wlgp.WLGP(space="nb201", metric="accuracy").fit(archs, y)
    mean, std = model.predict(query, return_std=True)
    want_mean = np.array([p["mean"] for p in out["predictions"]])
    want_std = np.array([p["std"] for p in out["predictions"]])
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12, atol=0)
    np.testing.assert_allclose(std, want_std, rtol=1e-12, atol=0)
    assert model.h_ == out["h"]
    assert model.report_["values"] == out["values"] == "accuracy-percent"
    np.testing.assert_array_equal(model.query(query), mean)


class Column(list):
    """What a pandas column offers here: its values and a name."""

    name = "val_acc"


def test_a_named_column_names_the_values(nb201):
    archs, y = training(nb201, 60)
    # df["val_acc"]: the name tells what the values are, as a CSV column does for the CLI.
    named = wlgp.WLGP(space="nb201").fit(archs, Column(y))
    assert named.report_["values"] == "accuracy-percent"
    assert wlgp.WLGP(space="nb201").fit(archs, y).report_["values"] == "score"
    # An explicit metric or declaration wins over the column's name.
    assert (
        wlgp.WLGP(space="nb201", metric="score").fit(archs, Column(y)).report_["values"] == "score"
    )
    declared = wlgp.WLGP(space="nb201", values="score").fit(archs, Column(y))
    assert declared.report_["values"] == "score"
    back = pickle.loads(pickle.dumps(named))
    assert back.report_["values"] == "accuracy-percent"
    np.testing.assert_array_equal(back.predict(archs), named.predict(archs))


def test_declared_values_and_explain(nb201):
    archs, y = training(nb201, 80)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, y)
    assert np.isfinite(model.log_marginal_likelihood())
    effects = model.explain(top=5)
    assert len(effects) == 5
    assert {"motif", "effect_units", "std_units", "archs"} <= set(effects[0])
    assert all(e["std"] >= 0 for e in effects)


def test_score_equals_the_clis_top(cli, nb201, tmp_path):
    archs, y = training(nb201, 100, seed=4)
    path = tmp_path / "train.csv"
    path.write_text("arch,value\n" + "".join(f"{a},{v}\n" for a, v in zip(archs, y)))
    out = json.loads(
        run_cli(
            cli,
            [
                "score",
                "--space",
                "nb201",
                "--train",
                str(path),
                "--values",
                "accuracy-percent",
                "--candidates",
                "all",
                "--top",
                "10",
                "--json",
                "--device",
                "cpu",
            ],
        )
    )
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, y)
    r = wlgp.score(model, candidates="all", top_k=10)
    assert r.archs == [t["arch"] for t in out["top"]]
    assert r.scored == len(nb201) - len(set(archs))
    assert np.all(np.diff(r.acquisition) <= 0)


def test_score_of_a_sample_is_reproducible(nb201):
    archs, y = training(nb201, 60)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, y)
    a = wlgp.score(model, candidates=50_000, top_k=7, seed=3)
    b = wlgp.score(model, candidates=50_000, top_k=7, seed=3)
    assert a.archs == b.archs and len(a) == 7
    assert a.scored <= 50_000
    listed = wlgp.score(model, candidates=a.archs, top_k=7, acquisition="ei")
    assert sorted(listed.archs) == sorted(a.archs)


def test_score_on_the_gpu_returns_the_cpus_top(nb201):
    archs, y = training(nb201, 60, seed=5)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, y)
    try:
        gpu = wlgp.score(model, candidates="all", top_k=10, device="gpu")
    except ValueError as e:
        if "no GPU adapter" not in str(e) or os.environ.get("WLGP_REQUIRE_GPU") == "1":
            raise
        pytest.skip(f"no GPU adapter: {e}")
    cpu = wlgp.score(model, candidates="all", top_k=10)
    assert (cpu.device, cpu.pipeline) == ("cpu", "cpu")
    assert gpu.device != "cpu" and gpu.pipeline == "device-resident"
    assert gpu.archs == cpu.archs and gpu.scored == cpu.scored
    np.testing.assert_allclose(gpu.acquisition, cpu.acquisition, rtol=1e-12)
    darts = wlgp.Space("darts")
    d_archs = darts.sample(40, seed=1)
    d_model = wlgp.WLGP(space="darts", values="score").fit(d_archs, np.arange(40.0))
    a = wlgp.score(d_model, candidates=20_000, top_k=5, seed=2, device="gpu")
    b = wlgp.score(d_model, candidates=20_000, top_k=5, seed=2)
    assert a.archs == b.archs and a.pipeline == "device-resident"
    listed = wlgp.score(model, candidates=cpu.archs, top_k=10, device="gpu")
    assert listed.pipeline == "host-prepared" and sorted(listed.archs) == sorted(cpu.archs)


def test_features_and_kernel_agree(nb201):
    space = wlgp.Space("nb201")
    archs = space.sample(30, seed=2)
    data, indices, indptr, labels = space.features(archs, h=2)
    dense = np.zeros((len(archs), len(labels)))
    for i in range(len(archs)):
        dense[i, indices[indptr[i] : indptr[i + 1]]] = data[indptr[i] : indptr[i + 1]]
    raw = space.kernel(archs, h=2, normalize=False)
    np.testing.assert_array_equal(dense @ dense.T, raw)
    norm = space.kernel(archs, h=2)
    np.testing.assert_allclose(np.diag(norm), 1.0, rtol=1e-12)
    cross = space.kernel(archs[:5], archs, h=2)
    np.testing.assert_allclose(cross, norm[:5], rtol=1e-12)


def test_space_methods():
    space = wlgp.Space("nb201")
    assert space.size == 15625 and len(space.enumerate()) == 15625
    arch = space.sample(1, seed=1)[0]
    assert space.format(arch) == arch
    assert len(space.neighbours(arch)) == 24
    g = space.parse(arch)
    assert set(g) == {"labels", "edges"} and len(g["labels"]) >= 2
    assert wlgp.Space("darts").size > 10**18
    assert len(wlgp.Space("darts").sample(3)) == 3
    assert wlgp.Space("json").size is None


def test_pickling_round_trips(nb201):
    archs, y = training(nb201, 50)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(archs, y)
    back = pickle.loads(pickle.dumps(model))
    q = nb201.archs[:300]
    np.testing.assert_array_equal(back.predict(q), model.predict(q))
    space = pickle.loads(pickle.dumps(wlgp.Space("nbgraph", proteins=True)))
    assert space.name == "nbgraph" and space.size == 2021
    unfitted = pickle.loads(pickle.dumps(wlgp.WLGP(space="darts")))
    with pytest.raises(ValueError, match="not fitted"):
        unfitted.predict(wlgp.Space("darts").sample(1))
    r = wlgp.score(model, candidates=1000, top_k=3)
    assert pickle.loads(pickle.dumps(r)).archs == r.archs


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: wlgp.Space("nb999"), "unknown space `nb999`"),
        (
            lambda: wlgp.Space("nb201").parse("|bogus~0|"),
            "cannot parse nb201 architecture",
        ),
        (lambda: wlgp.Space("nb201", skip="maybe"), "expected wire or node"),
        (lambda: wlgp.Space("json").sample(1), "json space has no sampler"),
        (lambda: wlgp.Space("nb201").kernel([]), "no architectures"),
        (lambda: wlgp.Space("nb201").features(["|x|"], h=99), "above the maximum"),
        (
            lambda: wlgp.WLGP(values="percentage"),
            "values `percentage`: expected one of",
        ),
        (lambda: wlgp.WLGP(h=[]), "at least one depth"),
        (lambda: wlgp.WLGP(select="cv"), "select `cv`"),
        (lambda: wlgp.data.table("imagenet"), "unknown dataset `imagenet`"),
        # Named by the keyword the user typed, not by a command-line flag.
        (lambda: wlgp.Optimizer(space="nb201", n_init="ten"), "n_init=ten is not a whole number"),
        (lambda: wlgp.Optimizer(space="nb201", warp_speed=9), "unknown search option `warp_speed`"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_training_data_raises_value_error(nb201):
    model = wlgp.WLGP(space="nb201", values="accuracy-percent")
    archs = nb201.archs[:3]
    with pytest.raises(ValueError, match="3 architectures but 2 values"):
        model.fit(archs, [1.0, 2.0])
    with pytest.raises(ValueError, match="not finite"):
        model.fit(archs, [90.0, float("nan"), 91.0])
    with pytest.raises(ValueError, match="architecture 1: cannot parse"):
        model.fit([archs[0], "nope", archs[2]], [90.0, 91.0, 92.0])
    with pytest.raises(ValueError, match="out of range|outside|percent"):
        model.fit(archs, [90.0, 191.0, 92.0])
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(archs)
    model.fit(archs, [90.0, 91.0, 92.0])
    with pytest.raises(ValueError, match="candidates `some`"):
        wlgp.score(model, candidates="some")
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        wlgp.score(model, candidates=10, top_k=0)
    with pytest.raises(ValueError, match="acquisition `best`"):
        wlgp.score(model, candidates=10, acquisition="best")
    with pytest.raises(ValueError, match="device `tpu`"):
        wlgp.score(model, candidates=10, device="tpu")
    with pytest.raises(ValueError, match="too large to enumerate"):
        wlgp.score(
            wlgp.WLGP(space="darts").fit(wlgp.Space("darts").sample(3), [1, 2, 3]),
            candidates="all",
        )
