"""Regime labelling: naming rules per edge case, absence handling, stability and agreement reports."""

import numpy as np
import pytest

from overseer_training.dataset import CorpusError, load_corpus
from overseer_training.labelling import Standardiser, agreement, fit_labeller, label_corpus, name_cluster
from overseer_training.schema import FEATURE_NAMES, REGIME_NAMES


def medians(**kw):
    base = {n: None for n in FEATURE_NAMES}
    base.update(kw)
    return base


RULES = {
    "idle node": (dict(mem_bandwidth_fraction_of_peak=0.1, llc_misses_per_kilo_instr=0.5,
                       cpu_utilization_fraction=0.1), "REGIME_QUIET"),
    "busy cores, no shared pressure": (dict(mem_bandwidth_fraction_of_peak=0.2, llc_misses_per_kilo_instr=1.0,
                                            cpu_utilization_fraction=0.9), "REGIME_CORE_BOUND"),
    "high MPKI, moderate bandwidth": (dict(mem_bandwidth_fraction_of_peak=0.3, llc_misses_per_kilo_instr=9.0),
                                      "REGIME_LLC_CONTENDED"),
    "occupancy full and L3-bound stalls": (dict(mem_bandwidth_fraction_of_peak=0.2, llc_misses_per_kilo_instr=2.0,
                                                llc_occupancy_fraction=0.95, l3_bound_stall_fraction=0.3),
                                           "REGIME_LLC_CONTENDED"),
    "bandwidth near peak": (dict(mem_bandwidth_fraction_of_peak=0.85, llc_misses_per_kilo_instr=2.0),
                            "REGIME_MEMORY_BANDWIDTH_SATURATED"),
    "bandwidth near peak, streaming misses only": (dict(mem_bandwidth_fraction_of_peak=0.85,
                                                        llc_misses_per_kilo_instr=40.0, l3_bound_stall_fraction=0.02),
                                                   "REGIME_MEMORY_BANDWIDTH_SATURATED"),
    "bandwidth near peak and L3-bound stalls": (dict(mem_bandwidth_fraction_of_peak=0.85, l3_bound_stall_fraction=0.3),
                                                "REGIME_MIXED"),
    "bandwidth absent, DRAM-bound stalls high": (dict(dram_bound_stall_fraction=0.6),
                                                 "REGIME_MEMORY_BANDWIDTH_SATURATED"),
    "all features absent": ({}, "REGIME_QUIET"),
}


@pytest.mark.parametrize("case", list(RULES))
def test_cluster_naming_rules(case):
    kw, regime = RULES[case]
    assert name_cluster(medians(**kw))[0] == regime


def test_absent_features_are_imputed_at_the_feature_centre():
    f = len(FEATURE_NAMES)
    i = FEATURE_NAMES.index("cpu_utilization_fraction")
    values = np.full((3, f), 0.5)
    values[:, i] = [0.2, 0.4, 0.0]
    presence = np.ones((3, f))
    presence[2, i] = 0
    st = Standardiser.fit(values[:2], presence[:2])
    z = st.apply(values, presence)
    assert z[2, i] == pytest.approx(0.0)  # absent -> the centre of the present values
    assert z[0, i] == pytest.approx(-1.0) and z[1, i] == pytest.approx(1.0)


def test_labels_do_not_depend_on_which_events_a_node_lacks(corpus_dir):
    """A node whose resctrl features are absent gets the same regime as with them imputed at the centre,
    and presence flags alone never move a node into another cluster."""
    c = load_corpus(corpus_dir)
    lab = fit_labeller(c.values, c.presence, seed=1)
    full = lab.predict(c.values, c.presence)
    assert set(np.unique(full)) <= set(range(len(REGIME_NAMES)))
    # same values, all present vs everything present except resctrl: labels mostly unchanged
    pres = c.presence.copy()
    pres[:, FEATURE_NAMES.index("llc_occupancy_fraction")] = 0
    pres[:, FEATURE_NAMES.index("mbm_total_bytes_per_sec")] = 0
    assert (lab.predict(c.values, pres) == full).mean() > 0.7


def test_report_has_stability_and_ground_truth_agreement(corpus_dir):
    c = load_corpus(corpus_dir)
    labels, report = label_corpus(c.values, c.presence, c.true_regimes, seed=1)
    assert len(labels) == len(c.values)
    s = report["stability"]
    assert len(s["seed_ari"]) == 4 and len(s["bootstrap_ari"]) == 4
    assert all(-1 <= a <= 1 for a in s["seed_ari"] + s["bootstrap_ari"])
    g = report["ground_truth_agreement"]
    assert 0 <= g["accuracy"] <= 1 and -1 <= g["ari"] <= 1
    assert sum(report["label_counts"].values()) == len(labels)
    assert all(cl["regime"] in REGIME_NAMES and cl["rule"] for cl in report["clusters"])


def test_agreement_is_none_without_ground_truth():
    assert agreement(np.zeros(3, dtype=int), None) is None


def test_agreement_perfect_when_labels_equal_truth():
    truth = ["REGIME_QUIET", "REGIME_MIXED", "REGIME_MIXED"]
    labels = np.array([REGIME_NAMES.index(r) for r in truth])
    g = agreement(labels, truth)
    assert g["accuracy"] == 1.0 and g["ari"] == 1.0


def test_too_few_node_states_for_clustering():
    with pytest.raises(CorpusError, match="at least 8 node states"):
        fit_labeller(np.zeros((3, len(FEATURE_NAMES))), np.ones((3, len(FEATURE_NAMES))), seed=1)
