"""Ray: a Tune run through WLGPSearch, save/restore, and score_sharded (skipped only when
Ray is not installed; the test command installs it)."""

from __future__ import annotations

import numpy as np
import pytest

import wlgp

ray = pytest.importorskip("ray")
tune = pytest.importorskip("ray.tune")

from wlgp.ray import WLGPSearch, score_sharded


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        ignore_reinit_error=True,
    )
    yield
    ray.shutdown()


def test_score_sharded_equals_one_process(ray_cluster, nb201):
    rng = np.random.default_rng(7)
    rows = rng.choice(len(nb201), size=120, replace=False)
    model = wlgp.WLGP(space="nb201", values="accuracy-percent").fit(
        [nb201.archs[i] for i in rows], nb201["baseline_accuracy"][rows]
    )
    for candidates in (200_000, "all"):
        one = wlgp.score(model, candidates=candidates, top_k=25, seed=5)
        sharded = score_sharded(model, candidates=candidates, shards=4, top_k=25, seed=5)
        assert sharded.archs == one.archs
        np.testing.assert_array_equal(sharded.acquisition, one.acquisition)
        np.testing.assert_array_equal(sharded.index, one.index)
        assert sharded.scored == one.scored
        # Each shard reports its own throughput, and the shards cover what was scored.
        assert len(sharded.shards) == 4
        assert sum(s["scored"] for s in sharded.shards) == sharded.scored
        assert all(s["per_second"] > 0 and s["seconds"] > 0 for s in sharded.shards)


def test_tune_finds_the_nb201_optimum_region(ray_cluster, nb201):
    values = nb201["baseline_accuracy"]
    table = dict(zip(nb201.archs, values))
    top1 = np.quantile(values, 0.99)

    def train(config):
        return {"acc": float(table[config["arch"]])}

    search = WLGPSearch(space="nb201", metric="acc", mode="max", values="accuracy-percent", seed=0)
    tuner = tune.Tuner(
        train,
        tune_config=tune.TuneConfig(search_alg=search, num_samples=40, max_concurrent_trials=2),
    )
    results = tuner.fit()
    best = results.get_best_result(metric="acc", mode="max")
    assert len(results) == 40
    assert best.metrics["acc"] >= top1, (best.metrics["acc"], top1)
    assert best.config["arch"] in table


def test_searcher_failures_and_save_restore(nb201, tmp_path):
    s = WLGPSearch(space="nb201", metric="acc", mode="max", values="accuracy-percent", n_init=4)
    s.set_max_concurrency(2)
    cfgs = {f"t{i}": s.suggest(f"t{i}") for i in range(3)}
    assert all(c is not None for c in cfgs.values())
    s.on_trial_complete("t0", error=True)
    s.on_trial_complete("t1", result={"other": 1.0})
    s.on_trial_complete("t2", result={"acc": nb201.lookup(cfgs["t2"]["arch"])})
    t3 = s.suggest("t3")
    path = str(tmp_path / "searcher.pkl")
    s.save(path)
    back = WLGPSearch()
    back.restore(path)
    # The trial that was running is proposed again, then the searcher goes on as before.
    again = back.suggest("t3b")
    assert again == t3
    assert back._told == s._told
    assert [t[2] for t in s._told[:2]] == [
        "failed: the trial errored",
        "failed: no `acc` in the trial's result",
    ]
    # Completing the batch records every outcome, failures included, in the history.
    back.on_trial_complete("t3b", result={"acc": nb201.lookup(again["arch"])})
    assert [h[2] for h in back._opt.history] == [
        "failed: the trial errored",
        "failed: no `acc` in the trial's result",
        "ok",
        "ok",
    ]
    assert back.suggest("t4") is not None


def test_searcher_starts_from_evaluated_rewards(nb201, tmp_path):
    """Ray Tune's points_to_evaluate with evaluated_rewards: results from before the
    search, as `init=` pairs; BO proposes none of them, also after save and restore."""
    given = nb201.archs[::997]
    points = [{"arch": a} for a in given]
    rewards = [nb201.lookup(a) for a in given]
    common = {"space": "nb201", "metric": "acc", "mode": "max", "values": "accuracy-percent"}
    common["seed"] = 1
    s = WLGPSearch(points_to_evaluate=points, evaluated_rewards=rewards, **common)
    pairs = wlgp.Optimizer(
        space="nb201",
        values="accuracy-percent",
        seed=1,
        metric="acc",
        init=dict(zip(given, rewards)),
    )
    first = s.suggest("t0")["arch"]
    assert first not in given
    assert first == pairs.ask(1)[0]
    path = str(tmp_path / "searcher.pkl")
    s.save(path)
    back = WLGPSearch()
    back.restore(path)
    assert back.suggest("t0b")["arch"] == first
    with pytest.raises(ValueError, match="need their evaluated_rewards"):
        WLGPSearch(points_to_evaluate=points, **common)
    with pytest.raises(ValueError, match="2 evaluated_rewards"):
        WLGPSearch(points_to_evaluate=points, evaluated_rewards=rewards[:2], **common)


def test_searcher_suggests_fast_with_256_concurrent_trials(nb201):
    """256 trials at once, as a Ray Tune run with max_concurrent_trials=256 asks: the
    searcher proposes batches of 256 (Thompson draws, the auto strategy from 100), all
    distinct and none evaluated, and `suggest` averages under 50 ms."""
    import time

    s = WLGPSearch(
        space="nb201", metric="acc", mode="max", values="accuracy-percent", n_init=256, budget=1024
    )
    s.set_max_concurrency(256)
    seen: set[str] = set()
    spent, calls = 0.0, 0
    for r in range(4):
        ids = [f"r{r}t{i}" for i in range(256)]
        t0 = time.perf_counter()
        cfgs = [s.suggest(t) for t in ids]
        spent += time.perf_counter() - t0
        calls += len(ids)
        assert all(c is not None for c in cfgs), f"round {r}: the searcher made trials wait"
        archs = [c["arch"] for c in cfgs]
        assert len(set(archs)) == 256, f"round {r}: repeated proposals"
        assert not seen & set(archs), f"round {r}: an evaluated architecture proposed again"
        seen |= set(archs)
        for t, a in zip(ids, archs):
            s.on_trial_complete(t, result={"acc": nb201.lookup(a)})
    assert spent / calls < 0.05, f"suggest took {1000 * spent / calls:.1f} ms on average"
