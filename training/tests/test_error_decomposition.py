"""The decomposition's analysis pieces: the water level by hand, and its float64 prior equal to the served graph's."""

from __future__ import annotations

import math

import numpy as np

from overseer_training.error_decomposition import main, prior_numpy, water_level
from overseer_training.interaction import INTERACTION_NAMES, with_interactions
from overseer_training.interference import INPUT_WIDTH
from overseer_training.physics_prior import HIT_CURVE_EXPONENT, PRIOR_NAMES
from overseer_training.schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES


def test_water_level_caps_small_working_sets_then_shares_the_rest():
    # 100 bytes, equal pressure: level 50 caps the 10-byte set; the other gets the remaining 90 per unit pressure.
    assert water_level(np.array([10.0, 1000.0]), np.array([1.0, 1.0]), 100.0) == 90.0
    assert math.isinf(water_level(np.array([10.0, 20.0]), np.array([1.0, 1.0]), 100.0))


def test_numpy_prior_matches_the_graph():
    rng = np.random.default_rng(3)
    n = 200
    x = np.zeros((n, INPUT_WIDTH), dtype=np.float32)
    f = {k: i for i, k in enumerate(FEATURE_NAMES)}
    p = {k: 2 * FEATURE_COUNT + i for i, k in enumerate(PROFILE_FEATURE_NAMES)}
    x[:, f["instructions_per_ref_cycle"]] = rng.uniform(0.1, 1.5, n)
    x[:, f["cpu_utilization_fraction"]] = rng.uniform(0.05, 1.0, n)
    x[:, f["l2_misses_per_kilo_instr"]] = rng.uniform(0.5, 30, n)
    x[:, f["llc_misses_per_kilo_instr"]] = x[:, f["l2_misses_per_kilo_instr"]] * rng.uniform(0, 1, n)
    x[:, f["mem_bandwidth_fraction_of_peak"]] = rng.uniform(0, 0.98, n)
    x[:, FEATURE_COUNT:2 * FEATURE_COUNT] = 1.0
    x[:, p["instructions_per_sec"]] = rng.uniform(5e9, 5e10, n)
    x[:, p["l2_misses_per_kilo_instr"]] = rng.uniform(2, 16, n)
    x[:, p["llc_misses_per_kilo_instr"]] = x[:, p["l2_misses_per_kilo_instr"]] * rng.uniform(0.02, 0.4, n)
    x[:, p["llc_working_set_bytes"]] = rng.uniform(4, 128, n) * 2**20
    x[:, p["mem_read_bytes_per_sec"]] = rng.uniform(0.5e9, 10e9, n)
    x[:, p["mem_write_bytes_per_sec"]] = rng.uniform(0.1e9, 5e9, n)
    x[:, p["l3_bound_stall_fraction"]] = rng.uniform(0.05, 0.5, n)
    x[:, p["dram_bound_stall_fraction"]] = rng.uniform(0.02, 0.3, n)
    graph = with_interactions(x)[:, [INPUT_WIDTH + INTERACTION_NAMES.index(k) for k in PRIOR_NAMES]]
    np.testing.assert_allclose(prior_numpy(x, HIT_CURVE_EXPONENT), graph, rtol=1e-4, atol=1e-5)


def test_corpus_without_ground_truth_is_refused(fresh_corpus, capsys):
    (fresh_corpus / "ground_truth.jsonl").unlink()
    assert main(["--corpus", str(fresh_corpus)]) == 2
    assert "ground_truth.jsonl: missing" in capsys.readouterr().err
