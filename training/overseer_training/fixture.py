"""A small toy corpus in the docs/corpus.md format, for tests (no simulator needed).

The node states come from three latent loads per node and interval (DRAM bandwidth share u, LLC
pressure p, CPU busy share c); the slowdown of a probed workload is a saturating, non-additive
function of the node's state and the workload's profile. It is NOT the project's simulator and
its numbers mean nothing beyond exercising the pipeline.

CLI: python -m overseer_training.fixture --out DIR [--seed N] [--nodes N] [--intervals N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .schema import (
    CORPUS_FORMAT,
    CORPUS_FORMAT_VERSION,
    FEATURE_NAMES,
    PRESENT_STATE,
    PROFILE_JSON_KEYS,
    SCHEMA_VERSION,
)

PEAK_BW = 300e9
LLC_BYTES = 105 * 2**20
ABSENT = "FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE"

# class -> (isCnf, cores, mem GB/s, LLC working set MiB, memory-bound fraction)
WORKLOADS = {
    "upf": (True, 4, 6.0, 24, 0.30),
    "firewall": (True, 2, 2.0, 8, 0.15),
    "dpi": (True, 4, 9.0, 40, 0.40),
    "router": (True, 2, 4.0, 16, 0.22),
    "lb": (True, 2, 3.0, 12, 0.18),
    "stream": (False, 8, 40.0, 200, 0.70),
}
# Calibration probes (docs/simulator.md): training data only, never in a bundle's workload profiles.
PROBES = {
    "probe-00": (False, 2, 5.0, 20, 0.35),
}
ALL = {**WORKLOADS, **PROBES}


def _profile(cls: str) -> dict:
    _, cores, gbps, ws_mib, mem = ALL[cls]
    h0 = 1 - (2 + 20 * mem) / (4 + 30 * mem)  # solo hit ratio 1 - llc_mpki / l2_mpki
    vals = [cores, cores * 2.5e9, ws_mib * 2**20, gbps * 0.7e9, gbps * 0.3e9, 2 + 20 * mem, 0.6 - 0.5 * mem,
            0.2 + 0.7 * mem, mem, 4 + 30 * mem, 0.6 * mem, 0.4 * mem, h0 * 0.25 ** (0.5 + mem)]
    return {k: float(v) for k, v in zip(PROFILE_JSON_KEYS, vals, strict=True)}


def _features(u: float, p: float, c: float) -> list[float]:
    mem_bound = 0.1 + 0.3 * u + 0.1 * p
    backend = 0.3 + 0.2 * u + 0.1 * p
    retiring = 0.5 - 0.2 * u - 0.1 * p
    frontend = 0.12
    llc_mpki = 0.5 + 8 * p + 4 * u
    return [retiring, frontend, 1 - retiring - frontend - backend, backend, mem_bound, backend - mem_bound,
            0.05 + 0.2 * p, 0.05 + 0.4 * u * u, llc_mpki, 2 + 1.5 * llc_mpki, 1.5 - 0.6 * u - 0.3 * p, c,
            0.7 * u * PEAK_BW, 0.3 * u * PEAK_BW, u, p, 0.9 * u * PEAK_BW]


def _regime(u: float, p: float, c: float) -> str:
    if u >= 0.7:
        return "REGIME_MIXED" if p >= 0.6 else "REGIME_MEMORY_BANDWIDTH_SATURATED"
    if p >= 0.6:
        return "REGIME_LLC_CONTENDED"
    return "REGIME_CORE_BOUND" if c >= 0.6 else "REGIME_QUIET"


def slowdown(cls: str, u: float, p: float, c: float) -> float:
    """Toy ground truth: saturating in bandwidth, capacity-driven in the LLC, max-combined (non-additive)."""
    _, cores, gbps, ws_mib, mem = ALL[cls]
    load = u + gbps * 1e9 / PEAK_BW
    bw = 3.0 * mem * max(0.0, load - 0.55) ** 2 / (1.05 - min(load, 1.0))
    llc = 0.6 * mem * p * min(1.0, ws_mib / 32)
    core = 0.05 * c * cores / 4
    return 1.0 + max(bw, llc) + 0.5 * min(bw, llc) + core


def write_fixture(out: str | Path, seed: int = 1, nodes: int = 4, intervals: int = 60) -> Path:
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    states, truth, perf = [], [], []
    for n in range(nodes):
        name = f"fixture-node-{n}"
        u, p, c = rng.uniform(0.05, 0.9, size=3)
        for seq in range(1, intervals + 1):
            u = float(np.clip(u + rng.normal(0, 0.12), 0.02, 0.97))
            p = float(np.clip(p + rng.normal(0, 0.12), 0.0, 1.0))
            c = float(np.clip(c + rng.normal(0, 0.12), 0.05, 1.0))
            values = _features(u, p, c)
            st = [PRESENT_STATE] * len(FEATURE_NAMES)
            if n == nodes - 1:  # a node without resctrl: occupancy and MBM absent
                for i in (FEATURE_NAMES.index("llc_occupancy_fraction"),
                          FEATURE_NAMES.index("mbm_total_bytes_per_sec")):
                    values[i], st[i] = 0.0, ABSENT
            states.append({
                "nodeName": name, "agentId": "fixture", "sequence": seq,
                "observedAt": f"2026-01-01T00:{seq // 60:02d}:{seq % 60:02d}Z",
                "features": {"schemaVersion": SCHEMA_VERSION, "values": values, "states": st, "window": "1s"},
                "source": "COUNTER_SOURCE_SIMULATOR",
            })
            truth.append({"nodeName": name, "sequence": seq, "regime": _regime(u, p, c)})
            for cls in ALL:
                sd = slowdown(cls, u, p, c) * float(rng.normal(1.0, 0.005))
                perf.append({"nodeName": name, "sequence": seq, "workloadClass": cls, "slowdown": max(sd, 1.0),
                             "throughputSolo": 1e6, "throughput": 1e6 / max(sd, 1.0)})
    manifest = {
        "format": CORPUS_FORMAT, "format_version": CORPUS_FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
        "feature_names": list(FEATURE_NAMES), "synthetic": True, "seed": seed,
        "generator": "overseer_training.fixture (toy formula, not the simulator)", "node_count": nodes,
        "interval_sec": 1, "intervals": intervals, "workload_classes": list(WORKLOADS),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for fname, rows in (("node_states.jsonl", states), ("ground_truth.jsonl", truth), ("performance.jsonl", perf)):
        (out / fname).write_text("".join(json.dumps(r) + "\n" for r in rows))
    profiles = {cls: {"isCnf": ALL[cls][0], "profile": _profile(cls)} for cls in ALL}
    for cls in PROBES:
        profiles[cls]["isProbe"] = True
    (out / "solo_profiles.json").write_text(json.dumps(profiles, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a toy fixture corpus (not the simulator).")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--intervals", type=int, default=60)
    a = ap.parse_args(argv)
    write_fixture(a.out, a.seed, a.nodes, a.intervals)
    print(f"wrote toy fixture corpus to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
