"""wlgp on a Ray cluster: a Ray Tune ``Searcher`` over architectures, and scoring
sharded over Ray tasks. Needs ``pip install wlgp[ray]``.

>>> from ray import tune                                            # doctest: +SKIP
>>> from wlgp.ray import WLGPSearch                                 # doctest: +SKIP
>>> tuner = tune.Tuner(train_fn, tune_config=tune.TuneConfig(       # doctest: +SKIP
...     search_alg=WLGPSearch(space="nb201", metric="acc", mode="max"),
...     num_samples=50, max_concurrent_trials=2))

Each trial's config holds its architecture under ``"arch"``.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np

try:
    import ray
    from ray.tune.search import Searcher
except ImportError as e:  # pragma: no cover - exercised only without ray
    raise ImportError("wlgp.ray needs Ray Tune: pip install 'wlgp[ray]'") from e

from ._model import WLGP, ScoreResult, SpaceLike, score
from ._native import shard_ranges
from ._optimizer import Optimizer

__all__ = ["WLGPSearch", "score_sharded"]


class WLGPSearch(Searcher):
    """A Ray Tune searcher that proposes architectures by wlgp's Bayesian optimisation.

    ``metric`` is the reported result to optimise and ``mode`` ``"max"`` or ``"min"``
    (both may come from ``TuneConfig`` instead). ``values`` says what the metric is
    (``accuracy``, ``error``, ``loss``, ...; inferred from ``metric`` when omitted, and
    ``mode="min"`` means a loss). With ``max_concurrent_trials=k`` the searcher proposes
    batches of ``k`` (kriging believer below 100, parallel Thompson sampling from 100), so
    ``k`` trials train at once. A trial that
    errors, or reports no ``metric``, is a failed evaluation. As in Ray Tune's other
    searchers, ``points_to_evaluate`` (configs with an ``"arch"``) with their
    ``evaluated_rewards`` are results from before the search: BO starts from them. Other
    keywords are ``Optimizer``'s (``seed``, ``journal``, ``n_init``, ``init``, ...).
    """

    def __init__(
        self,
        space: SpaceLike = "nb201",
        metric: str | None = None,
        mode: str | None = None,
        values: str | None = None,
        points_to_evaluate: list[dict] | None = None,
        evaluated_rewards: list[float] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        if points_to_evaluate is not None or evaluated_rewards is not None:
            if points_to_evaluate is None or evaluated_rewards is None:
                raise ValueError(
                    "WLGPSearch: points_to_evaluate need their evaluated_rewards "
                    "(results from before the search); wlgp proposes the rest itself"
                )
            if len(points_to_evaluate) != len(evaluated_rewards):
                raise ValueError(
                    f"WLGPSearch: {len(points_to_evaluate)} points_to_evaluate but "
                    f"{len(evaluated_rewards)} evaluated_rewards"
                )
            if "init" in options:
                raise ValueError("WLGPSearch: give init or evaluated_rewards, not both")
            options["init"] = [
                (p["arch"], float(r)) for p, r in zip(points_to_evaluate, evaluated_rewards)
            ]
        self._space = space
        self._values = values
        self._options = options
        self._batch = int(options.pop("batch", 1))
        self._opt: Optimizer | None = None
        self._live: dict[str, str] = {}
        self._told: list[tuple[str, float | None, str | None]] = []
        # Proposals handed out before a restore whose trials never completed.
        self._requeue: list[str] = []

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict, **spec: Any
    ) -> bool:
        if self._opt is not None:
            return False
        if metric and not self._metric:
            self._metric = metric
        if mode and not self._mode:
            self._mode = mode
        return True

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        if self._opt is not None:
            return False
        self._batch = max(1, int(max_concurrent))
        return True

    def _optimizer(self) -> Optimizer:
        if self._opt is None:
            if self._mode not in ("max", "min"):
                raise ValueError(f"WLGPSearch: mode must be 'max' or 'min', not {self._mode!r}")
            options = dict(self._options)
            if self._values is None and self._mode == "min":
                options["minimize"] = True
            self._opt = Optimizer(
                space=self._space,
                values=self._values,
                metric=self._metric or "score",
                batch=self._batch,
                **options,
            )
        return self._opt

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:  # type: ignore[override]
        opt = self._optimizer()
        archs = [self._requeue.pop(0)] if self._requeue else opt.ask(1)
        if not archs:
            return Searcher.FINISHED if opt.finished else None
        self._live[trial_id] = archs[0]
        return {"arch": archs[0]}

    def on_trial_complete(
        self, trial_id: str, result: dict | None = None, error: bool = False
    ) -> None:
        arch = self._live.pop(trial_id, None)
        if arch is None or self._opt is None:
            return
        if error:
            outcome: tuple[float | None, str | None] = (
                None,
                "failed: the trial errored",
            )
        elif not result or self._metric not in result:
            outcome = (None, f"failed: no `{self._metric}` in the trial's result")
        else:
            outcome = (float(result[self._metric]), None)
        self._opt.tell(arch, *outcome)
        self._told.append((arch, *outcome))

    def save(self, checkpoint_path: str) -> None:
        state = {
            "space": self._space,
            "values": self._values,
            "options": self._options,
            "batch": self._batch,
            "metric": self._metric,
            "mode": self._mode,
            "told": self._told,
        }
        with open(checkpoint_path, "wb") as f:
            pickle.dump(state, f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            state = pickle.load(f)
        self.__init__(  # type: ignore[misc]
            space=state["space"],
            metric=state["metric"],
            mode=state["mode"],
            values=state["values"],
            batch=state["batch"],
            **state["options"],
        )
        # The search is deterministic: replaying the outcomes in proposal order brings it
        # back; trials that were running when it was saved are proposed again.
        todo: dict[str, list[tuple[float | None, str | None]]] = {}
        for arch, value, status in state["told"]:
            todo.setdefault(arch, []).append((value, status))
        opt = self._optimizer()
        while todo:
            asked = opt.ask()
            known = [a for a in asked if a in todo]
            for a in known:
                value, status = todo[a].pop(0)
                if not todo[a]:
                    del todo[a]
                opt.tell(a, value, status)
                self._told.append((a, value, status))
            if len(known) < len(asked) or not asked:
                # Trials that were running: the next suggests hand them out again.
                self._requeue = [a for a in asked if a not in known]
                break


def _score_shard(model: WLGP, shard: tuple[int, int], kwargs: dict[str, Any]) -> ScoreResult:
    t0 = time.perf_counter()
    part = score(model, shard=shard, **kwargs)
    seconds = time.perf_counter() - t0
    part.shards = [
        {
            "range": tuple(shard),
            "scored": part.scored,
            "seconds": seconds,
            "per_second": part.scored / seconds if seconds > 0 else float("inf"),
        }
    ]
    return part


def score_sharded(
    model: WLGP,
    candidates: int | str = 1_000_000,
    shards: int = 4,
    top_k: int = 10,
    acquisition: str = "ei",
    seed: int = 0,
    exclude_training: bool = True,
    device: str = "cpu",
) -> ScoreResult:
    """Scores ``candidates`` (a number of samples, or ``"all"``) with Ray tasks, one per
    shard of the candidate stream, and merges the top-k as results arrive: exactly the
    top-k of ``wlgp.score`` in one process. The fitted model is shared once with
    ``ray.put``; ``device`` is each task's, as in ``wlgp.score``."""
    if isinstance(candidates, str):
        if candidates != "all":
            raise ValueError(f'candidates `{candidates}`: expected "all" or a number')
        size = model.space.size
        if size is None:
            raise ValueError(f"the {model.space.name} space is too large to enumerate")
        total = int(size)
    else:
        total = int(candidates)
    if shards < 1:
        raise ValueError("shards must be at least 1")
    if not ray.is_initialized():
        ray.init()
    ref = ray.put(model)
    task = ray.remote(_score_shard)
    kwargs = {
        "candidates": candidates,
        "top_k": top_k,
        "acquisition": acquisition,
        "seed": seed,
        "exclude_training": exclude_training,
        "device": device,
    }
    pending = [task.remote(ref, r, kwargs) for r in shard_ranges(total, shards) if r[0] < r[1]]
    merged: ScoreResult | None = None
    scored = 0
    shard_stats: list[dict[str, Any]] = []
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        part: ScoreResult = ray.get(done[0])
        scored += part.scored
        shard_stats.extend(part.shards)
        merged = part if merged is None else _merge(merged, part, top_k)
    assert merged is not None
    merged.scored = scored
    merged.shards = shard_stats
    return merged


def _merge(a: ScoreResult, b: ScoreResult, k: int) -> ScoreResult:
    """The best ``k`` distinct candidates of two results, ordered as one stream would be:
    by acquisition value, then by stream position."""
    rows = [(a, i) for i in range(len(a))] + [(b, i) for i in range(len(b))]
    rows.sort(key=lambda r: (-r[0].acquisition[r[1]], int(r[0].index[r[1]])))
    seen, keep = set(), []
    for r, i in rows:
        if r.archs[i] not in seen:
            seen.add(r.archs[i])
            keep.append((r, i))
        if len(keep) == k:
            break
    pick = lambda f: np.array([getattr(r, f)[i] for r, i in keep])
    return ScoreResult(
        archs=[r.archs[i] for r, i in keep],
        index=pick("index").astype(np.uint64),
        acquisition=pick("acquisition"),
        mean=pick("mean"),
        std=pick("std"),
        scored=0,
        device=_joined(a.device, b.device),
        pipeline=_joined(a.pipeline, b.pipeline),
    )


def _joined(a: str, b: str) -> str:
    """The distinct places two merged results were scored, as one string."""
    return "; ".join(sorted(set(a.split("; ")) | set(b.split("; "))))
