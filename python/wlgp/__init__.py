"""wlgp: Weisfeiler-Lehman Gaussian-process surrogates and Bayesian optimisation for
neural architecture search, with a Rust engine underneath.

>>> import wlgp
>>> space = wlgp.Space("nb201")
>>> t = wlgp.data.table("nb201")
>>> model = wlgp.WLGP(space="nb201", values="accuracy-percent")
>>> model.fit(t.archs[:100], t["baseline_accuracy"][:100])  # doctest: +SKIP
>>> mean, std = model.predict(t.archs[100:110], return_std=True)  # doctest: +SKIP

Names follow what the field uses: scikit-learn's ``fit``/``predict(return_std=True)``,
NASLib's ``query``, ask/tell optimisers (``Optimizer``), and Ray Tune's ``Searcher``
(``wlgp.ray.WLGPSearch``).
"""

from __future__ import annotations

from . import data
from ._model import WLGP, ScoreResult, score
from ._native import Space, __version__
from ._optimizer import Optimizer, Study

__all__ = [
    "WLGP",
    "Optimizer",
    "ScoreResult",
    "Space",
    "Study",
    "__version__",
    "data",
    "score",
]
