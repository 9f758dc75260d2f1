"""The physics prior inside the interaction graph: values against the documented equations, computed here in
float64 by hand, for a pod whose working set fits, one squeezed out of the LLC, a node without a bandwidth share,
and an idle node with an idle profile (finite, no NaN)."""

from __future__ import annotations

import math

import numpy as np

from overseer_training.interaction import INTERACTION_NAMES, with_interactions
from overseer_training.interference import INPUT_WIDTH
from overseer_training.physics_prior import (
    HIT_CURVE_EXPONENT,
    INSERTION_EPS,
    LATENCY_K,
    LLC_BYTES,
    LOGICAL_CPUS,
    PEAK_BYTES_PER_SEC,
    PRIOR_ITERATIONS,
    PRIOR_NAMES,
    TSC_HZ,
)
from overseer_training.schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES

F = FEATURE_COUNT
PROFILE = {"instructions_per_sec": 1e10, "l2_misses_per_kilo_instr": 10.0, "llc_misses_per_kilo_instr": 1.0,
           "llc_working_set_bytes": 16 * 2**20, "mem_read_bytes_per_sec": 20e9, "mem_write_bytes_per_sec": 10e9,
           "l3_bound_stall_fraction": 0.3, "dram_bound_stall_fraction": 0.1}
LIGHT_NODE = {"instructions_per_ref_cycle": 0.5, "cpu_utilization_fraction": 0.1, "l2_misses_per_kilo_instr": 1.0,
              "llc_misses_per_kilo_instr": 0.5, "mem_bandwidth_fraction_of_peak": 0.5}
# 100 CPUs' worth of instructions at 20 LLC accesses per kilo-instruction, mostly hits: high insertion pressure.
HEAVY_NODE = {**LIGHT_NODE, "cpu_utilization_fraction": 0.9, "l2_misses_per_kilo_instr": 20.0}


def row(node: dict[str, float], profile: dict[str, float], absent: tuple[str, ...] = ()) -> np.ndarray:
    x = np.zeros(INPUT_WIDTH, dtype=np.float32)
    for i, name in enumerate(FEATURE_NAMES):
        if name not in absent:
            x[i], x[F + i] = node.get(name, 0.0), 1.0
    for i, name in enumerate(PROFILE_FEATURE_NAMES):
        x[2 * F + i] = profile.get(name, 0.0)
    return x


def prior(node: dict[str, float], profile: dict[str, float]) -> dict[str, float]:
    got = with_interactions(row(node, profile)[None, :])[0]
    return {n: float(got[INPUT_WIDTH + INTERACTION_NAMES.index(n)]) for n in PRIOR_NAMES}


def by_hand(node: dict[str, float], profile: dict[str, float], u: float | None) -> tuple[float, float, float]:
    def lat(x: float) -> float:
        x = min(max(x, 0.0), 0.999)
        return 1 + LATENCY_K * x * x / (1 - x)
    instr = node["instructions_per_ref_cycle"] * node["cpu_utilization_fraction"] * TSC_HZ * LOGICAL_CPUS
    acc = node["l2_misses_per_kilo_instr"] / 1000 * instr
    miss = node["llc_misses_per_kilo_instr"] / 1000 * instr
    pressure = INSERTION_EPS * acc + (1 - INSERTION_EPS) * (acc - miss)
    h0 = 1 - profile["llc_misses_per_kilo_instr"] / profile["l2_misses_per_kilo_instr"]
    u0 = (profile["mem_read_bytes_per_sec"] + profile["mem_write_bytes_per_sec"]) / PEAK_BYTES_PER_SEC
    l3, d = profile["l3_bound_stall_fraction"], profile["dram_bound_stall_fraction"]
    s = 1.0
    for _ in range(PRIOR_ITERATIONS):
        p = profile["instructions_per_sec"] / max(s, 1e-3) * profile["l2_misses_per_kilo_instr"] / 1000 * \
            (INSERTION_EPS + (1 - INSERTION_EPS) * h0)
        f = min(1.0, LLC_BYTES * p / (pressure + p) / profile["llc_working_set_bytes"])
        h = h0 * f**HIT_CURVE_EXPONENT
        own = u0 * (1 - h) / (1 - h0) / max(s, 1e-3)
        u_after = (u or 0.0) + own
        s = (1 - l3 - d) + l3 * h / h0 + d * (1 - h) / (1 - h0) * lat(u_after) / lat(u0)
    return math.log(max(s, 1e-3)), f, u_after


def check(got: dict[str, float], want: tuple[float, float, float]) -> None:
    for name, w in zip(PRIOR_NAMES, want, strict=True):
        assert math.isclose(got[name], w, rel_tol=2e-5, abs_tol=1e-6), (name, got[name], w)


def test_pod_that_fits_only_sees_the_added_dram_latency():
    got = prior(LIGHT_NODE, PROFILE)
    assert got["prior_llc_share_fraction"] == 1.0
    want = by_hand(LIGHT_NODE, PROFILE, 0.5)
    check(got, want)
    # f = 1: S = 0.6 + 0.3 + 0.1 * lat(u') / lat(u0) with u' = 0.5 + u0 / S
    u0 = 30e9 / PEAK_BYTES_PER_SEC
    assert math.isclose(got["prior_bandwidth_after"], 0.5 + u0 / math.exp(want[0]), rel_tol=1e-5)
    assert got["prior_log_slowdown"] > 0


def test_pod_squeezed_out_of_the_llc_slows_more():
    got = prior(HEAVY_NODE, PROFILE)
    assert 0 < got["prior_llc_share_fraction"] < 1
    check(got, by_hand(HEAVY_NODE, PROFILE, 0.5))
    assert got["prior_log_slowdown"] > prior(LIGHT_NODE, PROFILE)["prior_log_slowdown"]
    # A lost LLC hit becomes a DRAM access: the pod's own traffic grows beyond its solo share.
    assert got["prior_bandwidth_after"] > 0.5 + 30e9 / PEAK_BYTES_PER_SEC


def test_absent_bandwidth_share_counts_only_the_pods_own_traffic():
    got = with_interactions(row(HEAVY_NODE, PROFILE, ("mem_bandwidth_fraction_of_peak",))[None, :])[0]
    vals = {n: float(got[INPUT_WIDTH + INTERACTION_NAMES.index(n)]) for n in PRIOR_NAMES}
    check(vals, by_hand(HEAVY_NODE, PROFILE, None))


def test_idle_node_and_idle_profile_stay_finite():
    x = np.zeros((1, INPUT_WIDTH), dtype=np.float32)
    x[0, F:2 * F] = 1.0
    out = with_interactions(x)[0, INPUT_WIDTH:]
    assert np.isfinite(out).all()
    got = {n: float(out[INTERACTION_NAMES.index(n)]) for n in PRIOR_NAMES}
    assert got["prior_log_slowdown"] == 0.0 and got["prior_bandwidth_after"] == 0.0


def test_profile_with_only_llc_hit_stalls_squeezed_to_nothing_stays_finite():
    # No core time, no DRAM stalls: S -> l3 * h / h0, which falls towards 0 when the pod keeps no LLC share.
    profile = {**PROFILE, "l3_bound_stall_fraction": 1.0, "dram_bound_stall_fraction": 0.0, "instructions_per_sec": 1.0}
    node = {**HEAVY_NODE, "cpu_utilization_fraction": 1.0, "instructions_per_ref_cycle": 10.0}
    got = prior(node, profile)
    assert all(math.isfinite(v) for v in got.values())
    check(got, by_hand(node, profile, 0.5))
