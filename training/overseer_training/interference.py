"""Stage 4: interference model, (node state, workload solo profile, regime) -> slowdown + upper bound.

Input layout (docs/model-bundle.md), float32: [F node values (absent = 0), F node presence flags,
P solo-profile values, R regime probabilities]. The node values are the node's *measured* state
without the probed pod: contention is never modelled as a sum of per-co-runner effects.

One gradient-boosted tree ensemble on log(slowdown), over the input plus seven profile-sensitivity x
node-pressure interactions and a three-column physics prior (physics_prior.py), all computed inside the graph
(interaction.py). ONNX outputs: slowdown = max(1, exp(point)),
slowdown_upper = max(slowdown, exp(point + margin)), where `margin` (>= 0, log units) is a calibrated
interval: the TARGET_COVERAGE quantile of the log residuals on workloads the model never saw
(cross-conformal over the leave-one-workload-out folds, holdout.py). A second, quantile ensemble would
double the inference cost of every placement decision for a bound that still needs that calibration.

CLI: python -m overseer_training.interference --corpus DIR --labels labels.json --out interference.onnx
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import HistGradientBoostingRegressor

from .dataset import Corpus, CorpusError, load_corpus, load_labels
from .interaction import INTERACTION_COUNT, interaction_nodes, with_interactions
from .onnx_util import TARGET_OPSET, finalize
from .progress import progress
from .regime_model import out_of_fold_proba, regime_input
from .schema import FEATURE_COUNT, PROFILE_COUNT, REGIME_COUNT
from .threads import limit_threads

INPUT_WIDTH = 2 * FEATURE_COUNT + PROFILE_COUNT + REGIME_COUNT
TARGET_COVERAGE = 0.95
# 60 trees: held-out MAPE within noise of 150 (docs in training/README.md) at 40 % of the inference cost,
# which every placement decision pays for every candidate node.
HGB_PARAMS = {"max_iter": 60, "learning_rate": 0.2, "max_leaf_nodes": 31, "min_samples_leaf": 20,
              "early_stopping": False}
# Larger training sets are subsampled (seeded) so the pipeline stays within its time budget on 2 cores.
MAX_TRAIN_ROWS = 32000


def interference_input(values: np.ndarray, presence: np.ndarray, profiles: np.ndarray,
                       regime_proba: np.ndarray) -> np.ndarray:
    """One row per (node state, workload): [values (absent = 0), presence, profile, regime probabilities]."""
    v = np.where(presence > 0, values, 0.0)
    return np.hstack([v, (presence > 0).astype(np.float64), profiles, regime_proba]).astype(np.float32)


def corpus_rows(c: Corpus, regime_proba: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interference inputs and slowdown targets for the corpus's performance records (optionally a subset)."""
    idx = np.arange(len(c.perf_slowdown)) if rows is None else rows
    st = c.perf_state[idx]
    x = interference_input(c.values[st], c.presence[st], c.profile_matrix(c.perf_class[idx]), regime_proba[st])
    return x, c.perf_slowdown[idx]


@dataclass
class InterferenceModel:
    point: HistGradientBoostingRegressor
    margin: float = 0.0

    def predict(self, x32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slowdown, slowdown_upper), both (n,); x32 must be the float32 interference_input."""
        log_point = self.point.predict(with_interactions(x32))
        point = np.maximum(1.0, np.exp(log_point))
        upper = np.maximum(point, np.exp(log_point + self.margin))
        return point, upper


def train_interference(x32: np.ndarray, y: np.ndarray, seed: int, margin: float = 0.0) -> InterferenceModel:
    if len(y) == 0:
        raise CorpusError("interference: no training rows")
    if len(y) > MAX_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), MAX_TRAIN_ROWS, replace=False))
        x32, y = x32[keep], y[keep]
    point = HistGradientBoostingRegressor(random_state=seed, **HGB_PARAMS).fit(with_interactions(x32), np.log(y))
    return InterferenceModel(point, margin)


def calibrate_margin(pred_upper_log: np.ndarray, y: np.ndarray, target: float = TARGET_COVERAGE) -> float:
    """Smallest log-margin m >= 0 with mean(log y <= upper + m) >= target."""
    gap = np.log(y) - pred_upper_log
    return float(max(0.0, np.quantile(gap, target)))


def _prefixed(graph: onnx.GraphProto, prefix: str, shared_input: str) -> tuple[list, list, str]:
    """Nodes and initializers of a converted graph with every internal name prefixed; its output name."""
    rename = {}
    for init in graph.initializer:
        rename[init.name] = prefix + init.name
    for node in graph.node:
        for o in node.output:
            rename[o] = prefix + o
    nodes = []
    for node in graph.node:
        n = onnx.NodeProto()
        n.CopyFrom(node)
        n.name = prefix + node.name
        n.input[:] = [shared_input if i == graph.input[0].name else rename.get(i, i) for i in node.input]
        n.output[:] = [rename[o] for o in node.output]
        nodes.append(n)
    inits = []
    for init in graph.initializer:
        t = onnx.TensorProto()
        t.CopyFrom(init)
        t.name = rename[init.name]
        inits.append(t)
    return nodes, inits, rename[graph.output[0].name]


def interference_to_onnx(model: InterferenceModel) -> onnx.ModelProto:
    """One graph: input `input` [N, INPUT_WIDTH]; outputs `slowdown` [N, 1], `slowdown_upper` [N, 1]."""
    onx = to_onnx(model.point, initial_types=[("input", FloatTensorType([None, INPUT_WIDTH + INTERACTION_COUNT]))],
                  target_opset=TARGET_OPSET)
    ix_nodes, ix_inits = interaction_nodes("input", "input_with_interactions")
    pn, pi, pout = _prefixed(onx.graph, "point_", "input_with_interactions")
    consts = [numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
              numpy_helper.from_array(np.array([model.margin], dtype=np.float32), "upper_margin")]
    post = [
        helper.make_node("Exp", [pout], ["point_exp"], name="point_exp"),
        helper.make_node("Max", ["point_exp", "one"], ["slowdown"], name="slowdown_at_least_one"),
        helper.make_node("Add", [pout, "upper_margin"], ["upper_log"], name="upper_add_margin"),
        helper.make_node("Exp", ["upper_log"], ["upper_exp"], name="upper_exp"),
        helper.make_node("Max", ["upper_exp", "slowdown"], ["slowdown_upper"], name="upper_at_least_point"),
    ]
    graph = helper.make_graph(
        ix_nodes + pn + post, "overseer_interference",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, INPUT_WIDTH])],
        [helper.make_tensor_value_info("slowdown", TensorProto.FLOAT, [None, 1]),
         helper.make_tensor_value_info("slowdown_upper", TensorProto.FLOAT, [None, 1])],
        initializer=ix_inits + pi + consts)
    return helper.make_model(graph, opset_imports=list(onx.opset_import), ir_version=8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the interference model on all workloads; write interference.onnx.")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--labels", required=True, help="labels JSON from overseer_training.labelling")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    limit_threads()
    try:
        c = load_corpus(a.corpus)
        labels, _ = load_labels(a.labels, c)
    except (CorpusError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    progress("interference: out-of-fold regime probabilities")
    proba = out_of_fold_proba(regime_input(c.values, c.presence), labels, c.node_names, a.seed)
    x, y = corpus_rows(c, proba)
    progress(f"interference: training on {len(y)} rows")
    model = train_interference(x, y, a.seed)
    onnx.save(finalize(interference_to_onnx(model), version=f"adhoc-{c.corpus_hash[:12]}-{a.seed}"), a.out)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
