"""Leave-one-workload-out: no leak of the held-out workload, clear errors for tiny corpora."""

import json

import numpy as np
import pytest

from overseer_training.dataset import load_corpus
from overseer_training.holdout import (
    HoldoutError,
    format_table,
    leave_one_workload_out,
    split_for_workload,
    unseen_nodes_reference,
)
from overseer_training.interference import interference_input, train_interference
from overseer_training.labelling import fit_labeller
from overseer_training.regime_model import out_of_fold_proba, regime_input
from overseer_training.schema import FEATURE_COUNT, PROFILE_COUNT


def prepared(corpus_dir):
    c = load_corpus(corpus_dir)
    labels = fit_labeller(c.values, c.presence, seed=1).predict(c.values, c.presence)
    proba = out_of_fold_proba(regime_input(c.values, c.presence), labels, c.node_names, seed=1)
    return c, labels, proba


def test_split_never_puts_the_held_out_class_in_training(corpus_dir):
    c = load_corpus(corpus_dir)
    for cls in c.cnf_classes:
        train, test = split_for_workload(c, cls)
        assert cls not in set(c.perf_class[train])
        assert set(c.perf_class[test]) == {cls}
        assert len(train) + len(test) == len(c.perf_class)


def test_training_rows_of_each_fold_exclude_the_held_out_profile(corpus_dir):
    """Spy on the trainer: no training row carries the held-out workload's profile, so a split that
    leaked held-out records into training would fail here."""
    c, labels, proba = prepared(corpus_dir)
    profile_cols = slice(2 * FEATURE_COUNT, 2 * FEATURE_COUNT + PROFILE_COUNT)
    seen = []

    def spy(x, y, seed):
        seen.append(x[:, profile_cols].copy())
        return train_interference(x, y, seed)

    metrics = leave_one_workload_out(c, labels, proba, seed=1, trainer=spy)
    assert len(seen) == len(c.cnf_classes)
    for cls, rows in zip(c.cnf_classes, seen, strict=True):
        held = c.profiles[cls].vector.astype(np.float32)
        assert not np.any(np.all(rows == held, axis=1)), f"{cls} leaked into its own training fold"
        assert metrics["per_workload"][cls]["records"] == int((c.perf_class == cls).sum())
    # Calibration probes are training data in every fold and never a held-out workload.
    probe = c.profiles["probe-00"]
    assert probe.is_probe and "probe-00" not in c.cnf_classes and "probe-00" not in metrics["per_workload"]
    for rows in seen:
        assert np.any(np.all(rows == probe.vector.astype(np.float32), axis=1))


def test_metrics_are_complete_and_labelled_synthetic(corpus_dir):
    c, labels, proba = prepared(corpus_dir)
    m = leave_one_workload_out(c, labels, proba, seed=1)
    assert m["synthetic"] is True
    for block in [m["overall"], *m["per_workload"].values()]:
        assert block["slowdown_mae"] >= 0 and 0 <= block["slowdown_mape"] < 1
        assert 0 <= block["upper_bound_coverage"] <= 1 and 0 <= block["regime_accuracy"] <= 1
    assert m["upper_margin"] >= 0
    table = format_table(m)
    assert "SYNTHETIC" in table and "OVERALL" in table and "upf" in table
    json.dumps(m)


def test_metrics_identical_on_rerun(corpus_dir):
    c, labels, proba = prepared(corpus_dir)
    assert leave_one_workload_out(c, labels, proba, seed=1) == leave_one_workload_out(c, labels, proba, seed=1)


def test_corpus_with_one_cnf_class_is_too_small(corpus_dir):
    c, labels, proba = prepared(corpus_dir)
    for cls in ["dpi", "firewall", "lb", "router"]:
        c.profiles[cls] = c.profiles[cls].__class__(cls, False, c.profiles[cls].vector, {})
    with pytest.raises(HoldoutError, match="too small for leave-one-workload-out: 1 CNF class"):
        leave_one_workload_out(c, labels, proba, seed=1)


def test_workload_with_too_few_records_cannot_be_held_out(corpus_dir):
    c = load_corpus(corpus_dir)
    keep = (c.perf_class != "upf") | (np.arange(len(c.perf_class)) % 100 == 0)
    object.__setattr__(c, "perf_class", c.perf_class[keep])
    object.__setattr__(c, "perf_state", c.perf_state[keep])
    object.__setattr__(c, "perf_slowdown", c.perf_slowdown[keep])
    with pytest.raises(HoldoutError, match="cannot hold out 'upf': it has \\d+ performance records"):
        split_for_workload(c, "upf")


def test_unseen_nodes_reference_never_trains_on_the_held_out_nodes(corpus_dir):
    c, labels, proba = prepared(corpus_dir)
    node_cols = slice(0, 2 * FEATURE_COUNT)
    seen = []

    def spy(x, y, seed):
        seen.append(x[:, node_cols].copy())
        return train_interference(x, y, seed)

    ref = unseen_nodes_reference(c, proba, seed=1, trainer=spy)
    assert ref["nodes_held_out"] == 1 and 0 <= ref["slowdown_mape"] < 1
    names = np.array(c.node_names)
    trained = {r.tobytes() for r in seen[0]}
    held = [n for n in np.unique(names) if not any(r.tobytes() in trained for r in _node_rows(c, names == n))]
    assert len(held) == 1, "exactly the held-out node's states are missing from training"
    assert ref["records"] == int(np.isin(c.perf_class[names[c.perf_state] == held[0]], c.cnf_classes).sum())


def _node_rows(c, mask):
    v = c.values[mask]
    p = c.presence[mask]
    return np.ascontiguousarray(interference_input(v, p, np.zeros((len(v), 0)), np.zeros((len(v), 0))))
