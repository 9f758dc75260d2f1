"""Stage 5: leave-one-workload-out (LOWO) evaluation of the interference model.

Each CNF class is held out in turn: the interference model is trained on every performance record
of the *other* classes (CNF and noise), then scores the held-out class's records using only its
solo profile (from solo_profiles.json) and the node states. The regime model is not refitted per
fold: it sees node features only (no workload labels), so it carries no information about the
held-out workload's slowdowns.

Metrics per workload and overall (overall = over all held-out records pooled):
  slowdown_mae          mean |predicted - true| of the slowdown factor
  slowdown_mape         mean |predicted - true| / true, a fraction (0.05 = 5 %)
  upper_bound_coverage  share of records with true slowdown <= slowdown_upper
  regime_accuracy       share of the held-out records whose node's regime (out-of-fold classifier
                        argmax) equals the simulator's ground-truth regime; null without ground truth
  regime_label_agreement  same, against the unsupervised labels

CLI: python -m overseer_training.holdout --corpus DIR --labels labels.json --out metrics.json [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import numpy as np

from .dataset import Corpus, CorpusError, load_corpus, load_labels
from .interference import TARGET_COVERAGE, InterferenceModel, corpus_rows, train_interference
from .progress import progress
from .regime_model import out_of_fold_proba, regime_input
from .schema import REGIME_NAMES
from .threads import limit_threads

MIN_CNF_CLASSES = 2
MIN_TRAIN_ROWS = 50
MIN_TEST_ROWS = 5

Trainer = Callable[[np.ndarray, np.ndarray, int], InterferenceModel]


class HoldoutError(CorpusError):
    """The corpus is too small to hold out a workload."""


def split_for_workload(c: Corpus, held_out: str) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows) of the performance records; the held-out class is never in train."""
    test = np.flatnonzero(c.perf_class == held_out)
    train = np.flatnonzero(c.perf_class != held_out)
    if len(test) < MIN_TEST_ROWS:
        raise HoldoutError(f"cannot hold out {held_out!r}: it has {len(test)} performance records "
                           f"(need at least {MIN_TEST_ROWS})")
    if len(train) < MIN_TRAIN_ROWS:
        raise HoldoutError(f"cannot hold out {held_out!r}: only {len(train)} records of other workloads remain "
                           f"(need at least {MIN_TRAIN_ROWS})")
    return train, test


def check_holdout_possible(c: Corpus) -> list[str]:
    classes = c.cnf_classes
    if len(classes) < MIN_CNF_CLASSES:
        raise HoldoutError(f"corpus too small for leave-one-workload-out: {len(classes)} CNF class(es) with "
                           f"performance records ({', '.join(classes) or 'none'}), need at least {MIN_CNF_CLASSES}")
    return classes


def _metrics(true: np.ndarray, point: np.ndarray, upper: np.ndarray, regime_hit: np.ndarray | None,
             label_hit: np.ndarray) -> dict:
    err = np.abs(point - true)
    return {
        "records": int(len(true)),
        "slowdown_mae": round(float(err.mean()), 6),
        "slowdown_mape": round(float((err / true).mean()), 6),
        "upper_bound_coverage": round(float((true <= upper).mean()), 6),
        "regime_accuracy": None if regime_hit is None else round(float(regime_hit.mean()), 6),
        "regime_label_agreement": round(float(label_hit.mean()), 6),
        "mean_true_slowdown": round(float(true.mean()), 6),
    }


def leave_one_workload_out(c: Corpus, labels: np.ndarray, regime_proba: np.ndarray, seed: int,
                           trainer: Trainer = train_interference) -> dict:
    """Train without each CNF class in turn and score it. The upper bound's margin for fold k is
    calibrated on the held-out gaps of the *other* folds (cross-conformal), never on fold k itself;
    `upper_margin` in the result is the margin for the final model (all folds' gaps)."""
    classes = check_holdout_possible(c)
    truth = None if c.true_regimes is None else np.array([REGIME_NAMES.index(r) for r in c.true_regimes])
    predicted_regime = regime_proba.argmax(axis=1)
    folds = []
    for i, cls in enumerate(classes, start=1):
        train, test = split_for_workload(c, cls)
        progress(f"holdout {i}/{len(classes)}: {cls} held out, training on {len(train)} records")
        x_train, y_train = corpus_rows(c, regime_proba, train)
        model = trainer(x_train, y_train, seed)
        model.margin = 0.0
        x_test, y_test = corpus_rows(c, regime_proba, test)
        point, upper_raw = model.predict(x_test)
        folds.append((cls, test, y_test, point, upper_raw))
    gaps = {cls: np.log(y) - np.log(up) for cls, _, y, _, up in folds}
    pooled: dict[str, list] = {"true": [], "point": [], "upper": [], "raw": [], "regime": [], "label": []}
    per = {}
    for cls, test, y_test, point, upper_raw in folds:
        others = np.concatenate([g for k, g in gaps.items() if k != cls])
        margin = float(max(0.0, np.quantile(others, TARGET_COVERAGE)))
        upper = np.maximum(point, upper_raw * np.exp(margin))
        st = c.perf_state[test]
        regime_hit = None if truth is None else predicted_regime[st] == truth[st]
        label_hit = predicted_regime[st] == labels[st]
        per[cls] = _metrics(y_test, point, upper, regime_hit, label_hit)
        per[cls]["upper_bound_coverage_uncalibrated"] = round(float((y_test <= upper_raw).mean()), 6)
        per[cls]["upper_margin"] = round(margin, 6)
        for k, v in (("true", y_test), ("point", point), ("upper", upper), ("raw", upper_raw), ("label", label_hit)):
            pooled[k].append(v)
        if regime_hit is not None:
            pooled["regime"].append(regime_hit)
    true = np.concatenate(pooled["true"])
    overall = _metrics(true, np.concatenate(pooled["point"]), np.concatenate(pooled["upper"]),
                       np.concatenate(pooled["regime"]) if pooled["regime"] else None,
                       np.concatenate(pooled["label"]))
    overall["upper_bound_coverage_uncalibrated"] = round(float((true <= np.concatenate(pooled["raw"])).mean()), 6)
    overall["worst_workload_mape"] = max(m["slowdown_mape"] for m in per.values())
    final_margin = float(max(0.0, np.quantile(np.concatenate(list(gaps.values())), TARGET_COVERAGE)))
    return {"synthetic": c.synthetic, "method": "leave-one-workload-out over the CNF classes",
            "overall": overall, "per_workload": per, "upper_margin": round(final_margin, 6)}


def unseen_nodes_reference(c: Corpus, regime_proba: np.ndarray, seed: int,
                           trainer: Trainer = train_interference, share: float = 0.2) -> dict:
    """A reference point for the held-out numbers: the same model trained on every workload but scored on
    node states of nodes it never saw (a seeded `share` of the nodes). What is left is the error the
    node features cannot explain (measurement noise, unobserved state), a floor for any held-out workload."""
    names = np.array(c.node_names)
    nodes = np.unique(names)
    held = set(np.random.default_rng(seed).choice(nodes, max(1, int(round(share * len(nodes)))), replace=False))
    on_held = np.isin(names[c.perf_state], list(held))
    train = np.flatnonzero(~on_held)
    test = np.flatnonzero(on_held & np.isin(c.perf_class, c.cnf_classes))
    if len(train) < MIN_TRAIN_ROWS or len(test) < MIN_TEST_ROWS:
        return {"skipped": "too few nodes for an unseen-node split"}
    model = trainer(*corpus_rows(c, regime_proba, train), seed)
    model.margin = 0.0
    x_test, y_test = corpus_rows(c, regime_proba, test)
    point, _ = model.predict(x_test)
    ape = np.abs(point - y_test) / y_test
    out = {"nodes_held_out": len(held), "records": int(len(test)), "slowdown_mape": round(float(ape.mean()), 6)}
    variants = c.manifest.get("node_variants")
    if isinstance(variants, list) and len(variants) == c.manifest.get("node_count"):
        # node_variants is in node order; the simulator's zero-padded names (sim-node-007) sort into it.
        index = {n: i for i, n in enumerate(sorted(nodes))}
        if len(index) == len(variants):
            v = np.array([variants[index[n]] for n in names[c.perf_state[test]]])
            out["slowdown_mape_by_variant"] = {str(k): round(float(ape[v == k].mean()), 6) for k in np.unique(v)}
    return out


def format_table(metrics: dict) -> str:
    tag = " [SYNTHETIC DATA]" if metrics.get("synthetic") else ""
    w = max(16, *(len(k) for k in metrics["per_workload"]))
    lines = [f"Leave-one-workload-out held-out accuracy{tag}",
             f"{'workload':{w}s} {'records':>8s} {'MAE':>8s} {'MAPE %':>8s} {'cover %':>8s} {'regime %':>9s}"]

    def row(name: str, m: dict) -> str:
        reg = "n/a" if m["regime_accuracy"] is None else f"{100 * m['regime_accuracy']:.1f}"
        return (f"{name:{w}s} {m['records']:8d} {m['slowdown_mae']:8.4f} {100 * m['slowdown_mape']:8.2f} "
                f"{100 * m['upper_bound_coverage']:8.1f} {reg:>9s}")

    lines += [row(k, v) for k, v in metrics["per_workload"].items()]
    lines.append(row("OVERALL", metrics["overall"]))
    ref = metrics.get("reference_unseen_nodes", {})
    if "slowdown_mape" in ref:
        by = ", ".join(f"{k} {100 * v:.1f}" for k, v in ref.get("slowdown_mape_by_variant", {}).items())
        lines.append(f"reference (every workload seen, {ref['nodes_held_out']} unseen nodes): MAPE "
                     f"{100 * ref['slowdown_mape']:.2f} %" + (f" ({by})" if by else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Leave-one-workload-out evaluation: metrics JSON and a table.")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--labels", required=True, help="labels JSON from overseer_training.labelling")
    ap.add_argument("--out", required=True, help="metrics JSON to write")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    limit_threads()
    try:
        c = load_corpus(a.corpus)
        labels, _ = load_labels(a.labels, c)
        check_holdout_possible(c)
        proba = out_of_fold_proba(regime_input(c.values, c.presence), labels, c.node_names, a.seed)
        metrics = leave_one_workload_out(c, labels, proba, a.seed)
    except (CorpusError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with open(a.out, "w") as fh:
        json.dump(metrics, fh, indent=2)
    print(format_table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
