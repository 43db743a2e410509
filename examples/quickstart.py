#!/usr/bin/env python3
"""wlgp from Python in five minutes, on the embedded NAS-Bench-201 table (no download).

    pip install ./python          # from the checkout, into a virtualenv
    python examples/quickstart.py
"""

import numpy as np

import wlgp

table = wlgp.data.table("nb201")  # 15,625 cells, CIFAR-10 accuracy in percent
acc = table["baseline_accuracy"]

# 1. A surrogate: fit on 100 "trained" cells, predict the rest with uncertainty.
rng = np.random.default_rng(0)
train = rng.choice(len(table), size=100, replace=False)
model = wlgp.WLGP(space="nb201", values="accuracy-percent")
model.fit([table.archs[i] for i in train], acc[train])
mean, std = model.predict(table.archs, return_std=True)
rho = np.corrcoef(np.argsort(np.argsort(mean)), np.argsort(np.argsort(acc)))[0, 1]
print(f"fitted h={model.h_}; Spearman rho over all 15,625 cells: {rho:.3f}")

# 2. Which motifs help: effects in accuracy points, with their std.
for e in model.explain(top=3):
    print(f"  {e['effect_units']:+.2f} ± {e['std_units']:.2f}  {e['motif']}")

# 3. Score every cell by expected improvement; the 3 best to train next.
best = wlgp.score(model, candidates="all", acquisition="ei", top_k=3)
for arch, m in zip(best.archs, best.mean):
    print(f"  predicted {m:.2f}  {arch}")

# 4. Ask/tell: the same proposals as `wlgp search --values accuracy-percent`, journaled
#    so that `wlgp search --resume` (or a later Python session) continues it.
opt = wlgp.Optimizer(space="nb201", values="accuracy-percent", seed=0, budget=50)
while archs := opt.ask():
    for arch in archs:
        opt.tell(arch, table.lookup(arch))  # your training goes here
arch, value = opt.best
print(f"ask/tell: best {value:.2f} after 50 evaluations (optimum {acc.max():.2f})")
