"""Type stubs of the native core (Rust, PyO3)."""

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class Space:
    """A search space: nb201, nbgraph, nb101, darts, json, or a declared space (a
    ``.toml`` file's path, or ``Space.from_spec``); architectures are strings."""

    def __init__(
        self,
        name: str,
        skip: str = "wire",
        proteins: bool = False,
        spec: str | None = None,
    ) -> None: ...
    @staticmethod
    def from_spec(spec: Mapping[str, Any] | str | os.PathLike[str]) -> Space: ...
    @property
    def spec(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int | None: ...
    def sample(self, n: int = 1, seed: int = 0) -> list[str]: ...
    def enumerate(self) -> list[str]: ...
    def neighbours(self, arch: str) -> list[str]: ...
    def parse(self, arch: str) -> dict[str, Any]: ...
    def format(self, arch: str) -> str: ...
    def features(
        self, archs: Sequence[str], h: int = 2, direction: str = "both"
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.uint64],
    ]: ...
    def kernel(
        self,
        archs: Sequence[str],
        other: Sequence[str] | None = None,
        h: int = 2,
        direction: str = "both",
        normalize: bool = True,
        base_kernel: str = "dot",
        device: str = "cpu",
    ) -> npt.NDArray[np.float64]: ...

class Model:
    def __init__(
        self,
        space: Space,
        values: str | None = None,
        metric: str = "value",
        transform: str = "auto",
        hs: list[int] = ...,
        direction: str = "both",
        select: str = "loo",
        normalize: bool = True,
        base_kernel: str = "dot",
        solver: str = "auto",
    ) -> None: ...
    def fit(self, archs: list[str], y: list[float], metric: str | None = None) -> None: ...
    def predict(
        self, archs: list[str]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def log_marginal_likelihood(self) -> float: ...
    def report(self) -> dict[str, Any]: ...
    def explain(self, top: int | None = None) -> list[dict[str, Any]]: ...
    @property
    def training_archs(self) -> list[str]: ...

class AskTell:
    def __init__(
        self,
        options: list[tuple[str, str]],
        journal: str | None = None,
        given: list[tuple[str, float]] | None = None,
    ) -> None: ...
    def ask(self, n: int | None = None) -> list[str]: ...
    def tell(self, arch: str, value: float | None, status: str | None = None) -> None: ...
    @property
    def pending(self) -> list[str]: ...
    @property
    def finished(self) -> bool: ...
    @property
    def maximize(self) -> bool: ...
    @property
    def history(self) -> list[tuple[str, float | None, str]]: ...

def score_candidates(
    model: Model,
    candidates: int | str | list[str],
    acquisition: str = "ei",
    top_k: int = 10,
    seed: int = 0,
    exclude_training: bool = True,
    shard: tuple[int, int] | None = None,
    chunk: int = 65536,
    device: str = "cpu",
) -> dict[str, Any]: ...
def shard_ranges(total: int, shards: int) -> list[tuple[int, int]]: ...
def resolve_values(
    name: str, ys: list[float], declared: str | None = None
) -> tuple[str, bool, str, str]: ...
def datasets() -> list[dict[str, Any]]: ...
def table(name: str) -> tuple[list[str], dict[str, npt.NDArray[np.float64]]]: ...
def read_journal(path: str) -> tuple[str, list[dict[str, Any]]]:
    """A journal's header (JSON text) and entries, read by the engine's journal reader."""
    ...
