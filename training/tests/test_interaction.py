"""The interaction inputs: hand-computed values, absent node inputs, and the graph the model exports."""

from __future__ import annotations

import math

import numpy as np

from overseer_training.interaction import ABSENT_VALUE, INTERACTION_COUNT, INTERACTION_NAMES, with_interactions
from overseer_training.interference import INPUT_WIDTH
from overseer_training.schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES

F = FEATURE_COUNT


def row(node: dict[str, float], profile: dict[str, float], absent: tuple[str, ...] = ()) -> np.ndarray:
    x = np.zeros(INPUT_WIDTH, dtype=np.float32)
    for i, name in enumerate(FEATURE_NAMES):
        if name in absent:
            continue
        x[i] = node.get(name, 0.0)
        x[F + i] = 1.0
    for i, name in enumerate(PROFILE_FEATURE_NAMES):
        x[2 * F + i] = profile.get(name, 0.0)
    return x


NODE = {"mem_bandwidth_fraction_of_peak": 0.5, "mem_read_bytes_per_sec": 200e9, "mem_write_bytes_per_sec": 100e9,
        "llc_occupancy_fraction": 0.8, "l2_misses_per_kilo_instr": 10.0, "cpu_utilization_fraction": 0.5}
PROFILE = {"mem_read_bytes_per_sec": 40e9, "mem_write_bytes_per_sec": 20e9, "llc_working_set_bytes": 2**25,
           "l3_bound_stall_fraction": 0.4, "dram_bound_stall_fraction": 0.1}


def test_hand_computed_interactions():
    out = with_interactions(row(NODE, PROFILE)[None, :])
    assert out.shape == (1, INPUT_WIDTH + INTERACTION_COUNT) and len(INTERACTION_NAMES) == INTERACTION_COUNT
    np.testing.assert_array_equal(out[0, :INPUT_WIDTH], row(NODE, PROFILE))
    # peak = 300e9 / 0.5 = 600e9; the pod adds 60e9 / 600e9 = 0.1 -> u' = 0.6; lat = 0.36 / 0.4 = 0.9
    want = {"dram_x_latency": 0.1 * 0.9, "l3_x_latency": 0.4 * 0.9, "l3_x_occupancy": 0.4 * 0.8,
            "l3_x_log_ws": 0.4 * math.log(2**25), "l3_x_llc_demand": 0.4 * 10 * 0.5, "dram_x_bw": 0.1 * 0.5,
            "l3_x_bw": 0.4 * 0.5}
    got = dict(zip(INTERACTION_NAMES, out[0, INPUT_WIDTH:], strict=True))
    for k, v in want.items():
        assert math.isclose(got[k], v, rel_tol=1e-5), (k, got[k], v)


def test_saturated_node_latency_is_capped_not_infinite():
    node = {**NODE, "mem_bandwidth_fraction_of_peak": 0.99}
    out = with_interactions(row(node, PROFILE)[None, :])[0, INPUT_WIDTH:]
    assert np.isfinite(out).all()
    assert math.isclose(out[INTERACTION_NAMES.index("l3_x_latency")], 0.4 * 0.999**2 / 1e-3, rel_tol=1e-4)


def test_absent_node_inputs_give_the_absent_value():
    absent = ("mem_bandwidth_fraction_of_peak", "mem_read_bytes_per_sec", "mem_write_bytes_per_sec",
              "llc_occupancy_fraction")
    out = dict(zip(INTERACTION_NAMES, with_interactions(row(NODE, PROFILE, absent)[None, :])[0, INPUT_WIDTH:],
                   strict=True))
    for k in ("dram_x_latency", "l3_x_latency", "l3_x_occupancy", "dram_x_bw", "l3_x_bw"):
        assert out[k] == ABSENT_VALUE, k
    assert out["l3_x_llc_demand"] == np.float32(0.4 * 10 * 0.5)
    # Read/write counters absent but the bandwidth share present: u' = u (the pod's share is unknown).
    rw_absent = ("mem_read_bytes_per_sec", "mem_write_bytes_per_sec")
    out = dict(zip(INTERACTION_NAMES, with_interactions(row(NODE, PROFILE, rw_absent)[None, :])[0, INPUT_WIDTH:],
                   strict=True))
    assert math.isclose(out["l3_x_latency"], 0.4 * 0.25 / 0.5, rel_tol=1e-5)


def test_empty_batch():
    assert with_interactions(np.zeros((0, INPUT_WIDTH), dtype=np.float32)).shape == (0, INPUT_WIDTH + INTERACTION_COUNT)
