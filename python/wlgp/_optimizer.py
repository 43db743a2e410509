"""Ask/tell search (``Optimizer``) and reading a search's journal (``Study``)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _native
from ._model import SpaceLike

def search_options(
    space: str,
    values: str | None,
    seed: int,
    metric: str,
    budget: int | None,
    batch: int,
    method: str,
    options: dict[str, Any],
) -> list[tuple[str, str]]:
    """The search's options as the engine takes them, ``(name, text)``: ``n_init=5`` is
    ``("n_init", "5")``, ``hs=[1, 2]`` is ``("hs", "1,2")``, ``True`` is ``"true"``;
    ``False`` and ``None`` leave an option at its default."""
    pairs = [("space", space), ("seed", str(seed)), ("metric", metric)]
    pairs += [("batch", str(batch)), ("method", method)]
    # The budget is not part of a search's identity (a resumed search may be given more).
    pairs.append(("budget", str(budget if budget is not None else 1_000_000_000)))
    if values is not None:
        pairs.append(("values", values))
    for key, value in options.items():
        if value is True:
            pairs.append((key, "true"))
        elif value is False or value is None:
            continue
        elif isinstance(value, (list, tuple)):
            pairs.append((key, ",".join(str(v) for v in value)))
        else:
            pairs.append((key, os.fspath(value) if isinstance(value, os.PathLike) else str(value)))
    return pairs


def given_evaluations(
    options: dict[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, float]] | None]:
    """``init=`` as the ``--init`` flag (a CSV path) or as evaluations in memory: a mapping
    ``{arch: value}`` or ``(arch, value)`` pairs."""
    init = options.get("init")
    if init is None or isinstance(init, (str, os.PathLike)):
        return options, None
    rest = {k: v for k, v in options.items() if k != "init"}
    pairs = init.items() if isinstance(init, Mapping) else init
    return rest, [(str(a), float(v)) for a, v in pairs]


class Optimizer:
    """Bayesian optimisation by ask and tell: the proposals of ``wlgp search`` with the
    same settings and seed, and the same journal.

    >>> opt = Optimizer(space="nb201", values="accuracy", seed=0)   # doctest: +SKIP
    >>> for _ in range(30):                                         # doctest: +SKIP
    ...     for arch in opt.ask():
    ...         opt.tell(arch, train(arch))

    ``ask(n)`` returns up to ``n`` proposals: the rest of the current batch (``batch``
    proposals after the ``n_init`` random ones), or an empty list while every proposal
    is out waiting for ``tell``. ``tell(arch, None)`` (or a NaN) records a failed
    evaluation. With ``journal=PATH`` every evaluation is appended (fsynced) to the
    CLI's journal, and an existing journal is continued: a Python study and
    ``wlgp search --objective-cmd CMD --resume PATH`` with the same settings continue
    each other. ``init`` gives evaluations made before the search (a CSV path, as
    ``--init``, or ``{arch: value}`` / ``(arch, value)`` pairs): BO starts from them and
    never proposes them again. Other keywords are ``wlgp search`` options (``n_init=5``,
    ``acquisition="ucb"``, ``hs=[1, 2]``, ``select="evidence"``, ``minimize=True``).
    """

    def __init__(
        self,
        space: SpaceLike = "nb201",
        values: str | None = None,
        seed: int = 0,
        journal: str | os.PathLike | None = None,
        metric: str = "score",
        budget: int | None = None,
        batch: int = 1,
        method: str = "bo",
        **options: Any,
    ) -> None:
        name = space if isinstance(space, str) else space.name
        spec = None if isinstance(space, str) else space.spec
        self.settings: dict[str, Any] = dict(
            space=name,
            values=values,
            seed=seed,
            metric=metric,
            budget=budget,
            batch=batch,
            method=method,
            **options,
        )
        self.journal = None if journal is None else os.fspath(journal)
        options, given = given_evaluations(options)
        pairs = search_options(name, values, seed, metric, budget, batch, method, options)
        if spec is not None:
            # A declared space travels as its spec, so a dict needs no file.
            pairs[0] = ("space_spec", spec)
        self._core = _native.AskTell(pairs, self.journal, given)

    def ask(self, n: int | None = None) -> list[str]:
        """Up to ``n`` proposals (all that are ready when ``n`` is None)."""
        return self._core.ask(n)

    def tell(self, arch: str, value: float | None, status: str | None = None) -> None:
        """Records a proposal's value, or its failure (``value=None``, ``status`` why)."""
        if value is not None:
            value = float(value)
            if math.isnan(value) and status is None:
                value, status = None, "failed: the value is NaN"
        if value is None and status is None:
            status = "failed"
        self._core.tell(arch, value, status)

    @property
    def pending(self) -> list[str]:
        """Proposals handed out and not yet told."""
        return self._core.pending

    @property
    def finished(self) -> bool:
        """Whether the search has ended (its budget or its space spent)."""
        return self._core.finished

    @property
    def history(self) -> list[tuple[str, float | None, str]]:
        """Every evaluation, journal replays included: ``(arch, value, status)``."""
        return self._core.history

    @property
    def best(self) -> tuple[str, float] | None:
        """The best evaluation so far, ``(arch, value)``, or None."""
        ok = [(a, v) for a, v, _ in self.history if v is not None]
        if not ok:
            return None
        pick = max if self._core.maximize else min
        return pick(ok, key=lambda e: e[1])


@dataclass
class Study:
    """A search's journal, read: the header and every evaluation in order."""

    header: dict[str, Any]
    archs: list[str]
    values: np.ndarray
    """Each evaluation's value (NaN where it failed)."""
    status: list[str]
    seconds: np.ndarray
    maximize: bool
    objectives: np.ndarray | None = field(default=None)
    """Every objective's values of a multi-objective journal (rows as ``archs``)."""

    @classmethod
    def from_journal(cls, path: str | os.PathLike) -> Study:
        """Reads a journal written by ``wlgp search --journal`` or ``Optimizer``; a torn
        last line (a crash mid-write) is skipped."""
        header_text, entries = _native.read_journal(os.fspath(path))
        header = json.loads(header_text)
        vals = np.array(
            [math.nan if e.get("value") is None else float(e["value"]) for e in entries],
            dtype=np.float64,
        )
        spec = header.get("settings", {}).get("values", {}) or {}
        ok = [float(v) for v in vals if not math.isnan(v)]
        _, maximize, _, _ = _native.resolve_values(
            spec.get("name", header.get("metric", "value")), ok, spec.get("declared")
        )
        objectives = None
        if entries and all(e.get("values") is not None for e in entries if e.get("status") == "ok"):
            rows = [e.get("values") for e in entries]
            if any(r is not None for r in rows):
                width = max(len(r) for r in rows if r is not None)
                objectives = np.array(
                    [r if r is not None else [math.nan] * width for r in rows],
                    dtype=np.float64,
                )
        return cls(
            header=header,
            archs=[e["arch"] for e in entries],
            values=vals,
            status=[e.get("status", "ok") for e in entries],
            seconds=np.array([float(e.get("seconds", 0.0)) for e in entries]),
            maximize=bool(maximize),
            objectives=objectives,
        )

    @property
    def best(self) -> tuple[str, float] | None:
        """The best evaluation, ``(arch, value)``, or None when all failed."""
        if not np.isfinite(self.values).any():
            return None
        v = np.where(np.isfinite(self.values), self.values, -np.inf if self.maximize else np.inf)
        i = int(np.argmax(v) if self.maximize else np.argmin(v))
        return self.archs[i], float(self.values[i])

    @property
    def trajectory(self) -> np.ndarray:
        """The best value after each evaluation (NaN until one succeeds)."""
        out = np.full(len(self.values), np.nan)
        best = math.nan
        for i, v in enumerate(self.values):
            if not math.isnan(v) and (
                math.isnan(best) or (v > best if self.maximize else v < best)
            ):
                best = v
            out[i] = best
        return out

    @property
    def given(self) -> list[tuple[str, float]]:
        """Evaluations the search was given before it began (``init=``, ``--init``)."""
        rows = self.header.get("settings", {}).get("init", [])
        return [(str(a), float(v)) for a, v in rows]

    def __len__(self) -> int:
        return len(self.archs)

    def replay(self) -> Iterable[tuple[str, float | None, str]]:
        """The evaluations as ``(arch, value or None, status)``."""
        for a, v, s in zip(self.archs, self.values, self.status):
            yield a, (None if math.isnan(v) else float(v)), s
