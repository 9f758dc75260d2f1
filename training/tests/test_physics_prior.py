"""The physics prior inside the interaction graph: values against the documented equations, computed here in
float64 by hand, for a pod whose working set fits, one squeezed out of the LLC, a node without a bandwidth share,
and an idle node with an idle profile (finite, no NaN); and the hit-curve exponent taken from the profile's
second solo measurement (hit ratio at a quarter of the working set), its clipping, and the 0.7 fallback."""

from __future__ import annotations

import math

import numpy as np

from overseer_training.interaction import INTERACTION_NAMES, with_interactions
from overseer_training.interference import INPUT_WIDTH
from overseer_training.physics_prior import (
    HIT_CURVE_EXPONENT,
    HIT_CURVE_EXPONENT_MAX,
    HIT_CURVE_EXPONENT_MIN,
    INSERTION_EPS,
    LATENCY_K,
    LLC_BYTES,
    LOGICAL_CPUS,
    PEAK_BYTES_PER_SEC,
    PRIOR_ITERATIONS,
    PRIOR_NAMES,
    TSC_HZ,
    hit_curve_exponent,
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


def by_hand(node: dict[str, float], profile: dict[str, float], u: float | None,
            exponent: float = HIT_CURVE_EXPONENT) -> tuple[float, float, float]:
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
        h = h0 * f**exponent
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


# PROFILE's solo hit ratio: h0 = 1 - 1 / 10 = 0.9.
H0 = 0.9


def test_measured_quarter_share_hit_ratio_sets_the_exponent():
    # h_q = 0.9 * 0.25^0.5 = 0.45: E = ln(0.45 / 0.9) / ln(0.25) = ln 0.5 / ln 0.25 = 0.5.
    profile = {**PROFILE, "llc_hit_ratio_at_quarter_working_set": 0.45}
    got = prior(HEAVY_NODE, profile)
    assert 0 < got["prior_llc_share_fraction"] < 1
    check(got, by_hand(HEAVY_NODE, profile, 0.5, exponent=0.5))
    # A flatter curve than the 0.7 fallback: the squeezed pod keeps more hits and slows less.
    assert got["prior_log_slowdown"] < prior(HEAVY_NODE, PROFILE)["prior_log_slowdown"]
    # h_q = 0.9 / 4 = 0.225: E = 1 (a uniform-access curve).
    steep = {**PROFILE, "llc_hit_ratio_at_quarter_working_set": 0.225}
    check(prior(HEAVY_NODE, steep), by_hand(HEAVY_NODE, steep, 0.5, exponent=1.0))


def test_unmeasured_quarter_share_hit_ratio_falls_back_to_the_default_exponent():
    profile = {**PROFILE, "llc_hit_ratio_at_quarter_working_set": 0.0}
    check(prior(HEAVY_NODE, profile), by_hand(HEAVY_NODE, profile, 0.5, exponent=0.7))
    # No solo hits at all (llc_mpki = l2_mpki, h0 = 0): nothing to take a ratio of, the fallback again.
    streaming = {**PROFILE, "llc_misses_per_kilo_instr": 10.0, "llc_hit_ratio_at_quarter_working_set": 0.3}
    got = with_interactions(row(HEAVY_NODE, streaming)[None, :])[0]
    assert np.isfinite(got).all()
    assert hit_curve_exponent(np.array([0.0]), np.array([0.3]))[0] == HIT_CURVE_EXPONENT


def test_exponent_is_clipped_to_its_documented_range():
    # h_q >= h0 (no loss, or noise) -> E <= 0 -> 0.1; h_q = 0.9 * 0.25^4 -> E = 4 -> 3.
    flat = {**PROFILE, "llc_hit_ratio_at_quarter_working_set": 0.95}
    check(prior(HEAVY_NODE, flat), by_hand(HEAVY_NODE, flat, 0.5, exponent=HIT_CURVE_EXPONENT_MIN))
    cliff = {**PROFILE, "llc_hit_ratio_at_quarter_working_set": H0 * 0.25**4}
    check(prior(HEAVY_NODE, cliff), by_hand(HEAVY_NODE, cliff, 0.5, exponent=HIT_CURVE_EXPONENT_MAX))
    assert (HIT_CURVE_EXPONENT_MIN, HIT_CURVE_EXPONENT_MAX) == (0.1, 3.0)


def test_numpy_exponent_matches_the_hand_values():
    h0 = np.array([0.9, 0.9, 0.9, 0.9, 0.0, 0.8])
    hq = np.array([0.45, 0.225, 0.95, 0.9 * 0.25**4, 0.3, 0.0])
    want = [0.5, 1.0, 0.1, 3.0, 0.7, 0.7]
    assert np.allclose(hit_curve_exponent(h0, hq), want, rtol=1e-12)
