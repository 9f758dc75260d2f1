"""Stage 3: regime classifier, node features + presence flags -> regime probabilities.

Input layout (docs/model-bundle.md): [F values with absent = 0, F presence flags], float32.
Output: probabilities over all REGIME_NAMES in that order (regimes the labelling never produced
get probability 0), so the tensor shape never depends on the corpus.

CLI: python -m overseer_training.regime_model --corpus DIR --labels labels.json --out regime.onnx [--seed N]
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
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold, KFold

from .dataset import CorpusError, load_corpus, load_labels
from .onnx_util import TARGET_OPSET, finalize
from .schema import FEATURE_COUNT, REGIME_COUNT

N_TREES = 40
MAX_DEPTH = 10


def regime_input(values: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """[values with absent = 0, presence flags] as float32."""
    v = np.where(presence > 0, values, 0.0)
    return np.hstack([v, (presence > 0).astype(np.float64)]).astype(np.float32)


@dataclass
class RegimeClassifier:
    forest: RandomForestClassifier

    def predict_proba(self, x32: np.ndarray) -> np.ndarray:
        """(n, REGIME_COUNT) probabilities; x32 must be the float32 regime_input."""
        p = self.forest.predict_proba(x32)
        out = np.zeros((len(x32), REGIME_COUNT))
        out[:, self.forest.classes_.astype(int)] = p
        return out


def train_regime_classifier(x32: np.ndarray, labels: np.ndarray, seed: int) -> RegimeClassifier:
    forest = RandomForestClassifier(n_estimators=N_TREES, max_depth=MAX_DEPTH, min_samples_leaf=2,
                                    random_state=seed, n_jobs=1)
    return RegimeClassifier(forest.fit(x32, labels.astype(int)))


def out_of_fold_proba(x32: np.ndarray, labels: np.ndarray, groups: list[str], seed: int) -> np.ndarray:
    """Regime probabilities each predicted by a forest that did not see that row (grouped by node when
    there are enough nodes), as the interference model will see them at serving time."""
    n_groups = len(set(groups))
    splitter = GroupKFold(n_splits=min(3, n_groups)) if n_groups >= 3 else KFold(3, shuffle=True, random_state=seed)
    out = np.zeros((len(x32), REGIME_COUNT))
    for train, test in splitter.split(x32, labels, groups):
        out[test] = train_regime_classifier(x32[train], labels[train], seed).predict_proba(x32[test])
    return out


def regime_to_onnx(model: RegimeClassifier) -> onnx.ModelProto:
    """ONNX with input `features` [N, 2F] and outputs `probabilities` [N, R] (plain tensor) and `label`."""
    forest = model.forest
    onx = to_onnx(forest, initial_types=[("features", FloatTensorType([None, 2 * FEATURE_COUNT]))],
                  options={id(forest): {"zipmap": False}}, target_opset=TARGET_OPSET)
    graph = onx.graph
    # Rename the converter's outputs (label, probabilities over the K seen classes) to internal names.
    renames = {o.name: f"{o.name}_seen" for o in graph.output}
    for node in graph.node:
        node.output[:] = [renames.get(o, o) for o in node.output]
        node.input[:] = [renames.get(i, i) for i in node.input]
    prob_seen = next(v for k, v in renames.items() if k != "label")
    # Expand the forest's K seen classes to all R regimes with a constant 0/1 matrix (exact in float32).
    expand = np.zeros((len(forest.classes_), REGIME_COUNT), dtype=np.float32)
    for k, cls in enumerate(forest.classes_.astype(int)):
        expand[k, cls] = 1.0
    graph.initializer.append(numpy_helper.from_array(expand, "regime_expand"))
    graph.node.append(helper.make_node("MatMul", [prob_seen, "regime_expand"], ["probabilities"],
                                       name="expand_to_all_regimes"))
    # label: the regime index (into REGIME_NAMES) of the argmax, as int64.
    label_name = "label"
    graph.node.append(helper.make_node("ArgMax", ["probabilities"], ["label_flat"], axis=1, keepdims=0,
                                       name="argmax_regime"))
    graph.node.append(helper.make_node("Identity", ["label_flat"], [label_name], name="label_out"))
    del graph.output[:]
    graph.output.extend([
        helper.make_tensor_value_info(label_name, TensorProto.INT64, [None]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, REGIME_COUNT]),
    ])
    return onx


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the regime classifier and write regime.onnx.")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--labels", required=True, help="labels JSON from overseer_training.labelling")
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    try:
        c = load_corpus(a.corpus)
        labels, _ = load_labels(a.labels, c)
    except (CorpusError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    x = regime_input(c.values, c.presence)
    model = train_regime_classifier(x, labels, a.seed)
    oof = out_of_fold_proba(x, labels, c.node_names, a.seed)
    onx = finalize(regime_to_onnx(model), version=f"adhoc-{c.corpus_hash[:12]}-{a.seed}")
    onnx.save(onx, a.out)
    print(f"wrote {a.out}; out-of-fold agreement with labels {(oof.argmax(1) == labels).mean():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
