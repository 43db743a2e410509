"""The NAGO network wlgp builds follows the reference's rules.

A transcription of vega_NAGO's `logical_graph.py` (commit 8f5b9ec: `get_graph_info`,
`get_stage_list`, `compute_input_planes`, `LogicalOperation._get_param_count`) and of
`nago.py`'s width rule, checked against `wlgp nago sample --json` (its `trainer.cells`
and `trainer.width`) on many sampled networks. The reference reads each undirected graph
by node index; here the JSON's edges already point from the lower index to the higher.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from conftest import run_cli

# nago.yml's channel ratios; the stage ratios are 1/3 each (docs/nago.md says why not 1.0).
CHANNEL_RATIOS = [1, 2, 4]
STAGE_RATIOS = [1 / 3, 1 / 3, 1 / 3]
BUDGET = 200_000  # `wlgp nago train`'s default --budget


def get_stage_list(n_stages: int, stage_ratios: list[float]) -> list[int]:
    """The reference's `get_stage_list`, verbatim in logic."""
    if n_stages == 3:
        return [0, 1, 2]
    stage_values = []
    stage = 0
    threshold = stage_ratios[stage] * n_stages
    for x in range(n_stages):
        if x >= threshold:
            stage += 1
            threshold += stage_ratios[stage] * n_stages
        stage_values.append(stage)
    return stage_values


def inputs_of(graph: dict) -> list[list[int]]:
    """`get_graph_info`'s inputs: each node's neighbours of lower index, sorted."""
    ins: list[list[int]] = [[] for _ in range(graph["nodes"])]
    for u, v in graph["edges"]:
        ins[max(u, v)].append(min(u, v))
    return [sorted(i) for i in ins]


def compute_input_planes(input_channels: int, inputs: list[int], outplanes: list[int]) -> int:
    """`compute_input_planes` for SUM / ATTENTION merges: the last input's planes."""
    if not inputs:
        return input_channels
    planes = 0
    for i in inputs:
        planes = outplanes[i]
    return planes


def reference_cells(net: dict) -> list[dict]:
    """`LogicalMasterGraph._init_nodes`: each cell's stage and planes."""
    top = inputs_of(net["top"])
    stages = get_stage_list(net["top"]["nodes"], STAGE_RATIOS)
    out: list[int] = []
    cells = []
    for i, ins in enumerate(top):
        outplanes = CHANNEL_RATIOS[stages[i]]
        inplanes = compute_input_planes(CHANNEL_RATIOS[0], ins, out)
        out.append(outplanes)
        side = 8 >> stages[i]
        cells.append(
            {"stage": stages[i], "inplanes": inplanes, "outplanes": outplanes, "side": side}
        )
    return cells


def reference_base_params(net: dict, cells: list[dict]) -> int:
    """Σ `LogicalOperation._get_param_count` (3×3 convolutions: 9 · in · out) over the
    hierarchy, in units of the width: planes flow cell → node → operation by the same
    `compute_input_planes` rule."""
    total = 0
    for c, cell in enumerate(cells):
        node_out = [cell["outplanes"]] * net["middle"][c]["nodes"]
        for v, ins in enumerate(inputs_of(net["middle"][c])):
            node_in = compute_input_planes(cell["inplanes"], ins, node_out)
            op_graph = net["bottom"][c][v]
            op_out = [cell["outplanes"]] * op_graph["nodes"]
            for op_ins in inputs_of(op_graph):
                op_in = compute_input_planes(node_in, op_ins, op_out)
                total += 9 * op_in * cell["outplanes"]
    return total


def test_stages_planes_and_width_follow_the_reference(cli: Path) -> None:
    for seed in range(40):
        net = json.loads(run_cli(cli, ["nago", "sample", "--seed", str(seed), "--json"]))
        cells = reference_cells(net)
        assert net["trainer"]["cells"] == cells, f"seed {seed}"
        width = max(1, int(math.sqrt(BUDGET / reference_base_params(net, cells))))
        assert net["trainer"]["width"] == width, f"seed {seed}"
