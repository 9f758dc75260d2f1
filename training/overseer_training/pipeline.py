"""The whole pipeline: corpus -> regime labels -> held-out evaluation -> final models -> bundle.

CLI: python -m overseer_training.pipeline --corpus DIR --out BUNDLE_DIR [--seed N] [--report FILE.json]
Same corpus and seed give the same metrics (and, with SOURCE_DATE_EPOCH set, the same bytes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import Corpus, CorpusError, load_corpus
from .export import train_final, write_bundle
from .holdout import check_holdout_possible, format_table, leave_one_workload_out, unseen_nodes_reference
from .interference import InterferenceModel
from .labelling import label_corpus
from .progress import progress
from .regime_model import RegimeClassifier, out_of_fold_proba, regime_input
from .threads import limit_threads


@dataclass
class PipelineResult:
    corpus: Corpus
    labels: np.ndarray
    regime_proba: np.ndarray  # out-of-fold, per node state
    metrics: dict
    regime: RegimeClassifier
    interference: InterferenceModel
    manifest: dict


def run_pipeline(corpus_dir: str | Path, out: str | Path, seed: int, with_stability: bool = True) -> PipelineResult:
    started = time.monotonic()
    progress(f"loading corpus {corpus_dir}")
    c = load_corpus(corpus_dir)
    check_holdout_possible(c)
    progress(f"corpus: {len(c.node_names)} node states, {len(c.perf_slowdown)} performance records, "
             f"CNF classes {', '.join(c.cnf_classes)}")
    labels, report = label_corpus(c.values, c.presence, c.true_regimes, seed, with_stability)
    progress("regime classifier: out-of-fold probabilities")
    proba = out_of_fold_proba(regime_input(c.values, c.presence), labels, c.node_names, seed)
    metrics = leave_one_workload_out(c, labels, proba, seed)
    progress("reference: every workload seen, unseen nodes")
    metrics["reference_unseen_nodes"] = unseen_nodes_reference(c, proba, seed)
    regime, interference = train_final(c, labels, seed, metrics["upper_margin"])
    progress(f"export: writing bundle to {out}")
    manifest = write_bundle(out, c, seed, regime, interference, metrics, report)
    progress(f"done in {time.monotonic() - started:.1f}s")
    return PipelineResult(c, labels, proba, metrics, regime, interference, manifest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the whole training pipeline and write a model bundle.")
    ap.add_argument("--corpus", required=True, help="corpus directory (docs/corpus.md)")
    ap.add_argument("--out", required=True, help="bundle directory to write (e.g. models/default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--report", help="also write the held-out metrics and labelling report to this JSON file")
    ap.add_argument("--skip-stability", action="store_true", help="skip the labelling stability refits")
    a = ap.parse_args(argv)
    limit_threads()
    try:
        r = run_pipeline(a.corpus, a.out, a.seed, not a.skip_stability)
    except (CorpusError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_table(r.metrics))
    rep = r.manifest.get("training_report", {})
    if "stability" in rep:
        s = rep["stability"]
        print(f"labelling stability: min ARI across seeds {s['seed_ari_min']}, bootstrap mean "
              f"{s['bootstrap_ari_mean']} (min {s['bootstrap_ari_min']})")
    if rep.get("ground_truth_agreement"):
        g = rep["ground_truth_agreement"]
        print(f"labelling vs simulator ground truth: ARI {g['ari']}, accuracy {g['accuracy']}")
    if a.report:
        Path(a.report).write_text(json.dumps({"metrics": r.metrics, "labelling": rep}, indent=2) + "\n")
    print(f"bundle {r.manifest['version']} written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
