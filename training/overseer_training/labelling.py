"""Stage 2: unsupervised regime labelling of node states.

Method (documented in training/README.md):
1. Transform: rates with heavy tails (misses per kilo-instruction, bytes per second) go through
   log1p (bytes in GB/s first); fractions stay as they are.
2. Absent features: imputed with the median of that feature's *present* values, then every feature is
   standardised (mean/std of present values). An imputed value sits at the feature's centre, so an
   absent feature neither pulls a node towards nor away from any cluster; presence flags are not
   clustered on (a node's regime must not depend on which events its PMU lacks).
3. KMeans (k clusters, several inits, fixed seed).
4. Each cluster is named by rules over the medians of its members' *present* raw values
   (name_cluster). Several clusters may share a regime.
Stability: adjusted Rand index (ARI) of the regime labels across seeds and bootstrap resamples.
Agreement with the simulator's ground truth: ARI and plain accuracy, reported, never tuned to.

CLI: python -m overseer_training.labelling --corpus DIR --out labels.json [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from .dataset import CorpusError, load_corpus
from .progress import progress
from .schema import FEATURE_NAMES, REGIME_NAMES

DEFAULT_K = 8  # a few more clusters than regimes, so a regime can span two operating points
LOG_FEATURES = {i for i, n in enumerate(FEATURE_NAMES) if n.endswith("_per_kilo_instr")}
BYTES_FEATURES = {i for i, n in enumerate(FEATURE_NAMES) if n.endswith("_bytes_per_sec")}

# Naming thresholds (physical units). The regime definitions are the project's (proto/overseer/v1/
# regime.proto; the simulator uses the same physical definitions): DRAM loaded latency climbs steeply
# from ~70 % of peak bandwidth; an L3 MPKI of 5 or more means the LLC no longer holds the working
# sets; a node whose logical CPUs are busy more than 35 % of the time is core-bound unless a shared
# resource is the bottleneck. When bandwidth is saturated, streaming misses inflate the MPKI by
# themselves, so LLC pressure there is judged by L3-bound stalls (L2 misses that hit the L3 and still
# stall: capacity contention in the LLC).
BW_SATURATED = 0.70  # mem_bandwidth_fraction_of_peak at or above: bandwidth-saturated
LLC_MPKI_HIGH = 5.0  # llc_misses_per_kilo_instr at or above: LLC pressure (bandwidth below saturation)
LLC_OCCUPANCY_HIGH = 0.85  # llc_occupancy_fraction at or above, with L3-bound stalls: LLC pressure
L3_BOUND_HIGH = 0.15  # l3_bound_stall_fraction at or above: LLC pressure
DRAM_BOUND_SATURATED = 0.5  # dram_bound_stall_fraction fallback when the bandwidth share is absent
CPU_BUSY = 0.35  # cpu_utilization_fraction at or above: core-bound

RULES_TEXT = [
    f"bandwidth share >= {BW_SATURATED} and l3_bound_stall_fraction >= {L3_BOUND_HIGH} -> REGIME_MIXED",
    f"bandwidth share >= {BW_SATURATED} -> REGIME_MEMORY_BANDWIDTH_SATURATED",
    f"LLC pressure (llc_misses_per_kilo_instr >= {LLC_MPKI_HIGH}, or llc_occupancy_fraction >= "
    f"{LLC_OCCUPANCY_HIGH} with l3_bound_stall_fraction >= {L3_BOUND_HIGH}) -> REGIME_LLC_CONTENDED",
    f"cpu_utilization_fraction >= {CPU_BUSY} -> REGIME_CORE_BOUND",
    "otherwise -> REGIME_QUIET",
    f"bandwidth share = mem_bandwidth_fraction_of_peak; when absent, dram_bound_stall_fraction >= "
    f"{DRAM_BOUND_SATURATED} counts as saturated",
]


def _med(medians: dict[str, float | None], name: str) -> float | None:
    return medians.get(name)


def name_cluster(medians: dict[str, float | None]) -> tuple[str, str]:
    """Regime of a cluster from the medians of its present raw feature values (None = absent)."""
    bw = _med(medians, "mem_bandwidth_fraction_of_peak")
    if bw is None:
        dram = _med(medians, "dram_bound_stall_fraction")
        bw = BW_SATURATED if dram is not None and dram >= DRAM_BOUND_SATURATED else 0.0
    mpki = _med(medians, "llc_misses_per_kilo_instr")
    occ = _med(medians, "llc_occupancy_fraction")
    l3b = _med(medians, "l3_bound_stall_fraction")
    cpu = _med(medians, "cpu_utilization_fraction")
    l3_stalls = l3b is not None and l3b >= L3_BOUND_HIGH
    if bw >= BW_SATURATED:
        if l3_stalls:
            return "REGIME_MIXED", f"bw {bw:.2f} >= {BW_SATURATED} with L3-bound stalls {l3b:.2f}"
        return "REGIME_MEMORY_BANDWIDTH_SATURATED", f"bw {bw:.2f} >= {BW_SATURATED}"
    if (mpki is not None and mpki >= LLC_MPKI_HIGH) or (occ is not None and occ >= LLC_OCCUPANCY_HIGH and l3_stalls):
        shown = ", ".join(f"{k} {v:.2f}" for k, v in (("mpki", mpki), ("occupancy", occ), ("l3-bound", l3b))
                          if v is not None)
        return "REGIME_LLC_CONTENDED", f"LLC pressure ({shown}), bw {bw:.2f} below saturation"
    if cpu is not None and cpu >= CPU_BUSY:
        return "REGIME_CORE_BOUND", f"cpu {cpu:.2f} >= {CPU_BUSY}, no shared-resource pressure"
    return "REGIME_QUIET", "no pressure"


@dataclass
class Standardiser:
    impute: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @staticmethod
    def transform_raw(values: np.ndarray) -> np.ndarray:
        x = np.array(values, dtype=np.float64, copy=True)
        for i in BYTES_FEATURES:
            x[:, i] = np.log1p(np.maximum(x[:, i], 0) / 1e9)
        for i in LOG_FEATURES:
            x[:, i] = np.log1p(np.maximum(x[:, i], 0))
        return x

    @classmethod
    def fit(cls, values: np.ndarray, presence: np.ndarray) -> Standardiser:
        x = cls.transform_raw(values)
        f = x.shape[1]
        impute, mean, std = np.zeros(f), np.zeros(f), np.ones(f)
        for i in range(f):
            col = x[presence[:, i] > 0, i]
            if col.size:
                impute[i] = np.median(col)
                mean[i] = col.mean()
                std[i] = col.std() or 1.0
        return cls(impute, mean, std)

    def apply(self, values: np.ndarray, presence: np.ndarray) -> np.ndarray:
        x = self.transform_raw(values)
        x = np.where(presence > 0, x, self.impute)
        return (x - self.mean) / self.std


@dataclass
class Labeller:
    standardiser: Standardiser
    kmeans: KMeans
    cluster_regime: list[int]  # cluster id -> index into REGIME_NAMES
    clusters: list[dict]  # report: size, medians, regime, rule

    def predict(self, values: np.ndarray, presence: np.ndarray) -> np.ndarray:
        cid = self.kmeans.predict(self.standardiser.apply(values, presence))
        return np.asarray(self.cluster_regime)[cid]


def _cluster_medians(values: np.ndarray, presence: np.ndarray, members: np.ndarray) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for i, name in enumerate(FEATURE_NAMES):
        col = values[members & (presence[:, i] > 0), i]
        out[name] = float(np.median(col)) if col.size else None
    return out


def fit_labeller(values: np.ndarray, presence: np.ndarray, seed: int, k: int = DEFAULT_K) -> Labeller:
    if len(values) < k:
        raise CorpusError(f"labelling needs at least {k} node states, the corpus has {len(values)}")
    st = Standardiser.fit(values, presence)
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(st.apply(values, presence))
    regimes, clusters = [], []
    for c in range(k):
        members = km.labels_ == c
        med = _cluster_medians(values, presence, members)
        regime, rule = name_cluster(med)
        regimes.append(REGIME_NAMES.index(regime))
        clusters.append({"cluster": c, "size": int(members.sum()), "regime": regime, "rule": rule,
                         "medians": {n: (None if v is None else round(v, 6)) for n, v in med.items()}})
    return Labeller(st, km, regimes, clusters)


def stability(values: np.ndarray, presence: np.ndarray, seed: int, labels: np.ndarray, n_seeds: int = 4,
              n_boot: int = 4, k: int = DEFAULT_K) -> dict:
    """ARI of regime labels: refits with other seeds, and refits on bootstrap resamples (scored on all rows)."""
    seeds = [float(adjusted_rand_score(labels, fit_labeller(values, presence, seed + s, k).predict(values, presence)))
             for s in range(1, n_seeds + 1)]
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(values), len(values))
        lab = fit_labeller(values[idx], presence[idx], seed, k)
        boots.append(float(adjusted_rand_score(labels, lab.predict(values, presence))))
    return {"seed_ari": [round(a, 4) for a in seeds], "seed_ari_min": round(min(seeds), 4),
            "bootstrap_ari": [round(a, 4) for a in boots], "bootstrap_ari_min": round(min(boots), 4),
            "bootstrap_ari_mean": round(float(np.mean(boots)), 4)}


def agreement(labels: np.ndarray, true_regimes: list[str] | None) -> dict | None:
    """Agreement of the labels with the simulator's regimes (reported only)."""
    if true_regimes is None:
        return None
    truth = np.array([REGIME_NAMES.index(r) for r in true_regimes])
    confusion = {REGIME_NAMES[t]: {REGIME_NAMES[p]: int(((truth == t) & (labels == p)).sum())
                                   for p in range(len(REGIME_NAMES)) if ((truth == t) & (labels == p)).any()}
                 for t in range(len(REGIME_NAMES)) if (truth == t).any()}
    return {"ari": round(float(adjusted_rand_score(truth, labels)), 4),
            "accuracy": round(float((truth == labels).mean()), 4), "confusion_true_to_label": confusion}


def label_corpus(values: np.ndarray, presence: np.ndarray, true_regimes: list[str] | None, seed: int,
                 with_stability: bool = True) -> tuple[np.ndarray, dict]:
    progress(f"labelling: KMeans k={DEFAULT_K} on {len(values)} node states")
    lab = fit_labeller(values, presence, seed)
    labels = lab.predict(values, presence)
    report = {"method": f"KMeans k={DEFAULT_K} on standardised features, absent imputed with the median, "
                        "clusters named by rules", "rules": RULES_TEXT, "clusters": lab.clusters,
              "label_counts": {REGIME_NAMES[r]: int((labels == r).sum()) for r in range(len(REGIME_NAMES))}}
    if with_stability:
        progress("labelling: stability across seeds and bootstrap resamples")
        report["stability"] = stability(values, presence, seed, labels)
    report["ground_truth_agreement"] = agreement(labels, true_regimes)
    return labels, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Label node states with regimes (unsupervised) and report stability.")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True, help="labels JSON to write")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    try:
        c = load_corpus(a.corpus)
        labels, report = label_corpus(c.values, c.presence, c.true_regimes, a.seed)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = {"corpus_hash": c.corpus_hash, "seed": a.seed, "labels": [REGIME_NAMES[i] for i in labels],
           "report": report}
    with open(a.out, "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k not in ("clusters", "rules")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
