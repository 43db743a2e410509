#!/usr/bin/env python3
"""Ray Tune searches NAS-Bench-201 cells with wlgp's BO, training each proposed cell for
real (a small network on scikit-learn's digits, examples/train_digits.py), two trials at
a time.

    pip install './python[ray]' scikit-learn
    python examples/ray_tune_digits.py
"""

import os
import sys

import ray
from ray import tune

from wlgp.ray import WLGPSearch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import validation_accuracy  # noqa: E402


def train(config):
    # Each trial trains the network its cell describes; Ray runs two at once.
    return {"val_acc": validation_accuracy(config["arch"])}


if __name__ == "__main__":
    ray.init(num_cpus=2, include_dashboard=False)
    search = WLGPSearch(space="nb201", metric="val_acc", mode="max", values="accuracy",
                        n_init=6, seed=0)
    tuner = tune.Tuner(
        tune.with_parameters(train),
        tune_config=tune.TuneConfig(search_alg=search, num_samples=20,
                                    max_concurrent_trials=2),
    )
    results = tuner.fit()
    best = results.get_best_result(metric="val_acc", mode="max")
    print(f"best validation accuracy {best.metrics['val_acc']:.4f}: {best.config['arch']}")
