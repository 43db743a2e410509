#!/usr/bin/env python3
"""A real training script for `wlgp search --objective-cmd`: trains a small network
derived from a NAS-Bench-201 cell on scikit-learn's digits and prints its validation
accuracy as the last line.

wlgp passes the architecture on stdin (and in WLGP_ARCH). The cell is mapped to a
multi-layer perceptron: every operation on a path from the cell's input to its output
becomes a hidden layer (nor_conv_3x3: 64 units, nor_conv_1x1: 32, avg_pool_3x3: 16;
skip_connect adds no layer); the longest such path sets the depth. A cell with no path
from input to output cannot learn and scores chance level, 0.1.

    pip install scikit-learn
    wlgp search --objective-cmd 'python3 examples/train_digits.py' --budget 20 --timeout 60
"""
import os
import sys

WIDTH = {"nor_conv_3x3": 64, "nor_conv_1x1": 32, "avg_pool_3x3": 16, "skip_connect": 0}


def parse(cell):
    """Edges (to, from, op) of a NAS-Bench-201 string such as |op~0|+|op~0|op~1|+|..."""
    edges = []
    for to, group in enumerate(cell.strip().split("+"), start=1):
        for item in group.strip("|").split("|"):
            op, frm = item.split("~")
            edges.append((to, int(frm), op))
    return edges


def longest_path_layers(edges):
    """Hidden-layer widths along the deepest input-to-output path (None if there is none)."""
    best = {0: []}
    for to in (1, 2, 3):
        paths = [best[frm] + ([WIDTH[op]] if WIDTH[op] else [])
                 for (t, frm, op) in edges if t == to and op != "none" and frm in best]
        if paths:
            best[to] = max(paths, key=len)
    return best.get(3)


def validation_accuracy(arch):
    """Trains the network of a NAS-Bench-201 cell on digits; its validation accuracy."""
    layers = longest_path_layers(parse(arch))
    if layers is None:
        return 0.1
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.3, random_state=0)
    net = MLPClassifier(hidden_layer_sizes=tuple(layers) or (), max_iter=60, random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(x_train, y_train)
    print(f"trained {len(layers)} hidden layers {layers}", file=sys.stderr)
    return float(net.score(x_val, y_val))


def main():
    arch = sys.stdin.readline().strip() or os.environ.get("WLGP_ARCH", "")
    print(validation_accuracy(arch))


if __name__ == "__main__":
    main()
