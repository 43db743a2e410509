"""The benchmark tables embedded in wlgp, as numpy arrays (no pandas, no download).

>>> from wlgp import data
>>> [d["name"] for d in data.datasets()][:2]
['nb201', 'arxiv']
>>> t = data.table("nb201")
>>> len(t), t.metrics[:1]
(15625, ['baseline_accuracy'])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _native


def datasets() -> list[dict[str, Any]]:
    """Every embedded dataset: ``name``, ``space``, ``metrics``, ``default_metric``,
    ``source`` (provenance)."""
    return _native.datasets()


class Table:
    """One embedded table: ``archs`` (the space's strings) and a float64 column per metric,
    rows in the space's enumeration order."""

    def __init__(self, name: str) -> None:
        info = next((d for d in datasets() if d["name"] == name), None)
        archs, columns = _native.table(name)
        assert info is not None  # _native.table raised for an unknown name
        self.name: str = name
        self.space: str = info["space"]
        self.default_metric: str = info["default_metric"]
        self.source: str = info["source"]
        self.proteins: bool = info["proteins"]
        self.archs: list[str] = archs
        self.columns: dict[str, np.ndarray] = columns
        self._row = {a: i for i, a in enumerate(archs)}

    @property
    def metrics(self) -> list[str]:
        """The metric names."""
        return list(self.columns)

    def __len__(self) -> int:
        return len(self.archs)

    def __getitem__(self, metric: str) -> np.ndarray:
        try:
            return self.columns[metric]
        except KeyError:
            raise KeyError(
                f"unknown metric `{metric}` for {self.name} (known: {', '.join(self.columns)})"
            ) from None

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(zip(self.archs, self[self.default_metric]))

    def lookup(self, arch: str, metric: str | None = None) -> float:
        """The value of one architecture (in the canonical string form)."""
        try:
            i = self._row[arch]
        except KeyError:
            i = self._row.get(_native.Space(self.space, proteins=self.proteins).format(arch), -1)
            if i < 0:
                raise ValueError(f"`{arch}` is not in the {self.name} table") from None
        return float(self[metric or self.default_metric][i])

    def __repr__(self) -> str:
        return f"Table({self.name!r}, {len(self)} rows, metrics={self.metrics})"


def table(name: str) -> Table:
    """An embedded table by name (``nb201``, ``cora``, ``arxiv``, ...)."""
    return Table(name)
