"""The GP surrogate (``WLGP``) and the streaming scorer (``score``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from . import _native
from ._native import Space

SpaceLike = Union[str, Space]


def as_space(space: SpaceLike, skip: str = "wire") -> Space:
    """A ``Space`` from a name or a ``Space``."""
    return space if isinstance(space, Space) else Space(space, skip=skip)


class WLGP:
    """A Gaussian process on the Weisfeiler-Lehman subtree kernel of architectures.

    ``values`` says what the numbers are (``accuracy``, ``accuracy-percent``, ``error``,
    ``error-percent``, ``loss``, ``cost``, ``score``), which sets the direction and the
    target transform; when omitted it is inferred from ``metric`` and the values, as
    ``wlgp predict`` does, and announced on stderr. The WL depth (``h``, default 2) and
    the noise are chosen by closed-form leave-one-out (``select="loo"``) or the evidence.
    ``solver="auto"`` solves by Cholesky up to 1,000 training points and by conjugate
    gradients on the sparse features above (``"exact"`` or ``"iterative"`` to force one).
    """

    def __init__(
        self,
        space: SpaceLike = "nb201",
        values: str | None = None,
        metric: str = "value",
        h: int | Sequence[int] = 2,
        direction: str = "both",
        select: str = "loo",
        transform: str = "auto",
        normalize: bool = True,
        base_kernel: str = "dot",
        skip: str = "wire",
        solver: str = "auto",
    ) -> None:
        self.space = as_space(space, skip)
        self.values = values
        self.metric = metric
        self.h = h
        self.direction = direction
        self.select = select
        self.transform = transform
        self.normalize = normalize
        self.base_kernel = base_kernel
        self.skip = skip
        self.solver = solver
        hs = [h] if isinstance(h, int) else list(h)
        self._core = _native.Model(
            self.space,
            values=values,
            metric=metric,
            transform=transform,
            hs=hs,
            direction=direction,
            select=select,
            normalize=normalize,
            base_kernel=base_kernel,
            solver=solver,
        )
        self._train: tuple[list[str], list[float], str | None] | None = None

    def fit(self, archs: Sequence[str], y: Sequence[float]) -> WLGP:
        """Fits on evaluated architectures and their values; returns the model.

        When neither ``values`` nor ``metric`` was given, a named ``y`` (a pandas column
        such as ``df["val_acc"]``) names the values, as a CSV column does for the CLI.
        """
        name = getattr(y, "name", None)
        metric = name if self.metric == "value" and isinstance(name, str) and name else None
        ys = [float(v) for v in np.asarray(y, dtype=np.float64).ravel()]
        return self._fit(list(archs), ys, metric)

    def _fit(self, archs: list[str], ys: list[float], metric: str | None) -> WLGP:
        self._core.fit(archs, ys, metric)
        self._train = (archs, ys, metric)
        return self

    def predict(
        self, archs: Sequence[str], return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Posterior mean (and standard deviation) of each architecture, in the values' units."""
        mean, std = self._core.predict(list(archs))
        return (mean, std) if return_std else mean

    def query(self, xtest: Sequence[str], info: Any = None) -> np.ndarray:
        """NASLib's name for ``predict``: the posterior mean of each architecture."""
        return self._core.predict(list(xtest))[0]

    def log_marginal_likelihood(self) -> float:
        """Log marginal likelihood at the chosen hyperparameters (transformed scale)."""
        return float(self._core.log_marginal_likelihood())

    def explain(self, top: int | None = None) -> list[dict[str, Any]]:
        """Every motif of the training set with its effect ± std on the prediction, best
        first (``effect_units`` in the values' units)."""
        return self._core.explain(top)

    @property
    def report_(self) -> dict[str, Any]:
        """What the fit chose: ``h``, ``noise_ratio``, ``values``, ``transform``, ..."""
        return self._core.report()

    @property
    def h_(self) -> int:
        """The WL depth the fit chose."""
        return int(self._core.report()["h"])

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_core", "space")}
        state["space"] = (self.space.name, self.skip)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        train = state.pop("_train")
        name, skip = state.pop("space")
        self.__init__(space=Space(name, skip=skip), **state)  # type: ignore[misc]
        if train is not None:
            # The fit is deterministic: the same data (and name) give the same posterior.
            archs, ys, *name = train
            self._fit(archs, ys, name[0] if name else None)

    def __repr__(self) -> str:
        fitted = "unfitted" if self._train is None else f"fitted on {len(self._train[0])}"
        return f"WLGP(space={self.space.name!r}, values={self.values!r}, {fitted})"


@dataclass
class ScoreResult:
    """The best candidates of a scoring run, best first."""

    archs: list[str]
    """The candidates, in the space's string form."""
    index: np.ndarray
    """Their positions in the candidate stream (ties are broken by it)."""
    acquisition: np.ndarray
    """Acquisition values."""
    mean: np.ndarray
    """Posterior means, in the values' units."""
    std: np.ndarray
    """Posterior standard deviations, in the values' units."""
    scored: int
    """How many candidates were scored (training architectures excluded)."""
    device: str = "cpu"
    """Where they were scored: ``cpu`` or the GPU's description."""
    pipeline: str = "cpu"
    """``cpu``, ``host-prepared`` (the CPU builds candidates, the GPU scores them) or
    ``device-resident`` (the GPU does everything)."""
    shards: list[dict[str, Any]] = field(default_factory=list)
    """For ``wlgp.ray.score_sharded``: each shard's stream ``range``, candidates
    ``scored``, ``seconds`` and ``per_second`` (its own throughput), in completion order."""

    def __len__(self) -> int:
        return len(self.archs)


def score(
    model: WLGP,
    candidates: int | str | Sequence[str] = 1_000_000,
    acquisition: str = "ei",
    top_k: int = 10,
    seed: int = 0,
    exclude_training: bool = True,
    shard: tuple[int, int] | None = None,
    device: str = "cpu",
) -> ScoreResult:
    """Scores candidates with a fitted model in constant memory and returns the ``top_k``
    best by ``acquisition`` (``ei``, ``ucb``, ``pi``, ``mean``).

    ``candidates`` is ``"all"`` (every architecture of a finite space), a number of
    uniform samples drawn from ``seed``, or a list of architectures. ``shard=(start,
    end)`` scores only those positions of the stream (``wlgp.ray.score_sharded``).
    ``device="gpu"`` scores on the GPU (NAS-Bench-201 and DARTS streams entirely on the
    device), ``"auto"`` on a hardware GPU when there is one; the top-k is the CPU's
    either way.
    """
    if isinstance(candidates, (np.integer,)):
        candidates = int(candidates)
    if not isinstance(candidates, (int, str)):
        candidates = list(candidates)
    r = _native.score_candidates(
        model._core,
        candidates,
        acquisition=acquisition,
        top_k=top_k,
        seed=seed,
        exclude_training=exclude_training,
        shard=shard,
        device=device,
    )
    return ScoreResult(**r)
