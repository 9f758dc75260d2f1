"""Where the interference model's held-out error comes from (an analysis tool; docs/training.md).

Prints, for the default model settings on a simulator corpus:
  1. MAPE in-sample (every workload and node seen), on unseen nodes (every workload seen) and held out (LOWO);
  2. the LOWO error split by the simulator's ground-truth regime, node variant, DRAM utilisation and slowdown;
  3. oracle experiments: the physics prior (physics_prior.py) recomputed with quantities no input carries,
     taken from the simulator: the node's true LLC water level (bytes of share per unit of insertion
     pressure, from ground_truth.jsonl and the catalog) and each workload's true hit-curve exponent.
     They say how much of the error each missing quantity explains; they are never used in a bundle.

Needs ground_truth.jsonl (simulator corpora only). The exponents of the calibration probes are not in the
corpus: pass them with --probe-params (JSON {class: {"hitCurveExponent": e, ...}}), e.g. from
  node -e 'const m=require("./dist/lib/sim/probe-suite.js");console.log(JSON.stringify(
           Object.fromEntries(m.probeSuite(64,1).map(w=>[w.class,w]))))' > /tmp/probes.json
Without it the exponent oracle is skipped.

CLI: python -m overseer_training.error_decomposition --corpus DIR [--catalog data/workloads.json]
     [--probe-params FILE] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import physics_prior as pp
from .dataset import CorpusError, load_corpus
from .holdout import unseen_nodes_reference
from .interaction import with_interactions
from .interference import InterferenceModel, corpus_rows, train_interference
from .labelling import label_corpus
from .regime_model import out_of_fold_proba, regime_input
from .schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES
from .threads import limit_threads

BACKGROUND = {"ws": 8 * 2**20, "pressure": 2.3e9 * 3e-3 * (pp.INSERTION_EPS + (1 - pp.INSERTION_EPS) * 0.8)}


def water_level(ws: np.ndarray, pressure: np.ndarray, capacity: float) -> float:
    """Bytes of LLC share per unit of insertion pressure for the uncapped workloads (inf when all fit)."""
    fixed = pressure <= 0
    left = capacity
    while (~fixed).any():
        lam = left / pressure[~fixed].sum()
        capped = ~fixed & (ws <= lam * pressure)
        if not capped.any():
            return float(lam)
        left -= ws[capped].sum()
        fixed |= capped
    return float("inf")


def true_water_levels(gt: list[dict], catalog: dict[str, dict]) -> np.ndarray:
    out = np.empty(len(gt))
    for k, g in enumerate(gt):
        ws, p = [BACKGROUND["ws"]], [BACKGROUND["pressure"]]
        for w in g["workloads"]:
            cw = catalog[w["workloadClass"]]
            r = w["throughput"] * cw["instructionsPerUnit"]
            ws.append(cw["llcWorkingSetBytes"])
            p.append(r * cw["l2MissesPerKiloInstr"] / 1000 *
                     (pp.INSERTION_EPS + (1 - pp.INSERTION_EPS) * cw["llcReuseFraction"]))
        out[k] = water_level(np.array(ws, float), np.array(p), pp.LLC_BYTES)
    return out


def prior_numpy(x: np.ndarray, exponent: np.ndarray | float, water: np.ndarray | None = None) -> np.ndarray:
    """The physics prior in float64 (same equations as the graph); `water` replaces LLC / (P + p)."""
    def col(n: str) -> np.ndarray:
        return x[:, FEATURE_NAMES.index(n)].astype(float)

    def prof(n: str) -> np.ndarray:
        return x[:, 2 * FEATURE_COUNT + PROFILE_FEATURE_NAMES.index(n)].astype(float)

    def lat(u: np.ndarray) -> np.ndarray:
        u = np.clip(u, 0, 0.999)
        return 1 + pp.LATENCY_K * u * u / np.maximum(1 - u, 1e-3)
    instr = col("instructions_per_ref_cycle") * col("cpu_utilization_fraction") * pp.TSC_HZ * pp.LOGICAL_CPUS
    acc, miss = col("l2_misses_per_kilo_instr") / 1e3 * instr, col("llc_misses_per_kilo_instr") / 1e3 * instr
    pressure = pp.INSERTION_EPS * acc + (1 - pp.INSERTION_EPS) * np.maximum(acc - miss, 0)
    node_u = col("mem_bandwidth_fraction_of_peak") * x[:, FEATURE_COUNT + FEATURE_NAMES.index(
        "mem_bandwidth_fraction_of_peak")]
    l2 = prof("l2_misses_per_kilo_instr")
    h0 = np.clip(1 - prof("llc_misses_per_kilo_instr") / np.maximum(l2, 1e-6), 0, 1)
    base = prof("instructions_per_sec") * l2 / 1e3 * (pp.INSERTION_EPS + (1 - pp.INSERTION_EPS) * h0)
    u0 = (prof("mem_read_bytes_per_sec") + prof("mem_write_bytes_per_sec")) / pp.PEAK_BYTES_PER_SEC
    l3f, dramf = prof("l3_bound_stall_fraction"), prof("dram_bound_stall_fraction")
    s = np.ones(len(x))
    for _ in range(pp.PRIOR_ITERATIONS):
        p = base / np.maximum(s, 1e-3)
        share = pp.LLC_BYTES * p / np.maximum(pressure + p, 1.0) if water is None else water * p
        f = np.minimum(1, share / np.maximum(prof("llc_working_set_bytes"), 1.0))
        h = h0 * f ** exponent
        growth = (1 - h) / np.maximum(1 - h0, 1e-3)
        u_after = node_u + u0 * growth / np.maximum(s, 1e-3)
        s = (1 - l3f - dramf) + l3f * h / np.maximum(h0, 1e-6) + dramf * growth * lat(u_after) / lat(u0)
    return np.stack([np.log(np.maximum(s, 1e-3)), f, u_after], axis=1)


def _lowo(design: np.ndarray, y: np.ndarray, cls: np.ndarray, cnf: list[str], seed: int) -> np.ndarray:
    """LOWO predictions on a fixed design matrix (the interference model's trees and settings)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from .interference import HGB_PARAMS, MAX_TRAIN_ROWS
    pred = np.full(len(y), np.nan)
    for k in cnf:
        tr, te = np.flatnonzero(cls != k), np.flatnonzero(cls == k)
        if len(tr) > MAX_TRAIN_ROWS:
            tr = np.sort(np.random.default_rng(seed).choice(tr, MAX_TRAIN_ROWS, replace=False))
        m = HistGradientBoostingRegressor(random_state=seed, **HGB_PARAMS).fit(design[tr], np.log(y[tr]))
        pred[te] = np.maximum(1, np.exp(m.predict(design[te])))
    return pred


def _pct(ape: np.ndarray) -> str:
    return f"{100 * ape.mean():5.2f}"


def decompose(corpus: str, catalog_path: str, probe_params: str | None, seed: int) -> list[str]:
    c = load_corpus(corpus)
    gt_path = Path(corpus) / "ground_truth.jsonl"
    if not gt_path.exists():
        raise CorpusError(f"{gt_path}: missing (the decomposition needs a simulator corpus)")
    gt = [json.loads(line) for line in gt_path.read_text().splitlines() if line.strip()]
    labels, _ = label_corpus(c.values, c.presence, c.true_regimes, seed, False)
    proba = out_of_fold_proba(regime_input(c.values, c.presence), labels, c.node_names, seed)
    x, y = corpus_rows(c, proba)
    design = with_interactions(x)
    cls, st, cnf = c.perf_class, c.perf_state, c.cnf_classes
    is_cnf = np.isin(cls, cnf)
    out = []
    full: InterferenceModel = train_interference(x, y, seed)
    in_sample = np.abs(full.predict(x[is_cnf])[0] - y[is_cnf]) / y[is_cnf]
    unseen = unseen_nodes_reference(c, proba, seed)["slowdown_mape"]
    pred = _lowo(design, y, cls, cnf, seed)
    ape = np.abs(pred - y) / y
    out.append(f"MAPE %: in-sample {_pct(in_sample)} | unseen nodes (every workload seen) {100 * unseen:5.2f} | "
               f"LOWO {_pct(ape[is_cnf])}")
    u = np.array([g["memBandwidthUtilization"] for g in gt])[st]
    u_bins, s_bins = ["<0.3", "0.3-0.7", "0.7-0.9", ">=0.9"], ["<1.05", "1.05-1.5", "1.5-2", "2-3", ">=3"]
    splits = {
        "regime": np.array([g["regime"].removeprefix("REGIME_") for g in gt])[st],
        "variant": np.array([g["variant"] for g in gt])[st],
        "DRAM u": np.array(u_bins)[np.digitize(u, [0.3, 0.7, 0.9])],
        "true slowdown": np.array(s_bins)[np.digitize(y, [1.05, 1.5, 2, 3])],
    }
    order = {"DRAM u": u_bins, "true slowdown": s_bins}
    for name, key in splits.items():
        out.append(f"LOWO by {name}: share of rows / MAPE % / signed bias % / share of the total error")
        for k in order.get(name, sorted(set(key[is_cnf].tolist()))):
            s = is_cnf & (key == k)
            bias = 100 * np.mean((pred[s] - y[s]) / y[s])
            out.append(f"  {k:28s} {s.sum() / is_cnf.sum():5.2f} {_pct(ape[s])} {bias:+6.2f} "
                       f"{ape[s].sum() / ape[is_cnf].sum():5.2f}")
    catalog = {w["class"]: w for w in json.loads(Path(catalog_path).read_text())["workloads"]}
    water = np.minimum(true_water_levels(gt, catalog), 1e3)[st]
    exps: dict[str, float] = {k: w["hitCurveExponent"] for k, w in catalog.items()}
    if probe_params:
        exps.update({k: w["hitCurveExponent"] for k, w in json.loads(Path(probe_params).read_text()).items()})
    true_e = None if not set(np.unique(cls)) <= set(exps) else np.array([exps[k] for k in cls])
    body = design[:, :-len(pp.PRIOR_NAMES)]
    p0 = 2 * FEATURE_COUNT
    l2 = x[:, p0 + PROFILE_FEATURE_NAMES.index("l2_misses_per_kilo_instr")].astype(float)
    h0 = np.clip(1 - x[:, p0 + PROFILE_FEATURE_NAMES.index("llc_misses_per_kilo_instr")] / np.maximum(l2, 1e-6), 0, 1)
    served_e = pp.hit_curve_exponent(h0, x[:, p0 + PROFILE_FEATURE_NAMES.index("llc_hit_ratio_at_quarter_working_set")])
    cases = [("prior as served (estimated water level, measured E)", None, served_e),
             ("prior with E = 0.7 for every workload", None, pp.HIT_CURVE_EXPONENT),
             ("prior with the TRUE water level", water, served_e)]
    if true_e is not None:
        cases += [("prior with the TRUE hit-curve exponent", None, true_e),
                  ("prior with both TRUE", water, true_e)]
    out.append("oracle experiments: LOWO MAPE % overall | per CNF")
    for name, wl, e in cases:
        d = np.hstack([body, prior_numpy(x, e, wl).astype(np.float32)])
        a = np.abs(_lowo(d, y, cls, cnf, seed) - y) / y
        out.append(f"  {name:50s} {_pct(a[is_cnf])} | " + " ".join(f"{k} {_pct(a[cls == k]).strip()}" for k in cnf))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Decompose the interference model's held-out error (simulator corpora).")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--catalog", default="data/workloads.json")
    ap.add_argument("--probe-params", help="JSON {probe class: workload parameters} for the exponent oracle")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    limit_threads()
    try:
        lines = decompose(a.corpus, a.catalog, a.probe_params, a.seed)
    except (CorpusError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
