"""Stage 6: write a model bundle (docs/model-bundle.md): regime.onnx, interference.onnx, manifest.json.

created_at is reproducible: SOURCE_DATE_EPOCH when set, else the corpus manifest's `created_at`
when it has one, else the current time.

CLI: python -m overseer_training.export --corpus DIR --labels labels.json --metrics metrics.json --out DIR
     [--seed N]   (trains the final models on every record, then writes the bundle)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from importlib.metadata import version as pkg_version
from pathlib import Path

import numpy as np
import onnx

from .dataset import Corpus, CorpusError, load_corpus, load_labels
from .interference import InterferenceModel, corpus_rows, interference_to_onnx, train_interference
from .onnx_util import finalize
from .progress import progress
from .regime_model import RegimeClassifier, out_of_fold_proba, regime_input, regime_to_onnx, train_regime_classifier
from .schema import (
    BUNDLE_FORMAT_VERSION,
    FEATURE_NAMES,
    PROFILE_FEATURE_NAMES,
    REGIME_NAMES,
    SCHEMA_VERSION,
)
from .threads import limit_threads

LIBRARIES = ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy")


def bundle_version(c: Corpus, seed: int) -> str:
    return f"v{SCHEMA_VERSION}-{c.corpus_hash[:12]}-{seed}"


def created_at(c: Corpus) -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(c.manifest.get("created_at"), str):
        return c.manifest["created_at"]
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_profile_class(c: Corpus) -> str:
    """The most memory-intensive CNF (read + write bytes per second, then LLC working set): unknown
    workloads are scored as if they were the most contention-sensitive network function we know."""
    idx = {n: i for i, n in enumerate(PROFILE_FEATURE_NAMES)}

    def key(cls: str) -> tuple[float, float, str]:
        v = c.profiles[cls].vector
        return (v[idx["mem_read_bytes_per_sec"]] + v[idx["mem_write_bytes_per_sec"]],
                v[idx["llc_working_set_bytes"]], cls)

    cnfs = [k for k, p in c.profiles.items() if p.is_cnf] or list(c.profiles)
    return max(cnfs, key=key)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bundle(out: str | Path, c: Corpus, seed: int, regime: RegimeClassifier, interference: InterferenceModel,
                 metrics: dict, training_report: dict | None = None) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = bundle_version(c, seed)
    extra = {"overseer.corpus_hash": c.corpus_hash, "overseer.synthetic": str(c.synthetic).lower()}
    onnx.save(finalize(regime_to_onnx(regime), version, extra), out / "regime.onnx")
    onnx.save(finalize(interference_to_onnx(interference), version, extra), out / "interference.onnx")
    manifest = {
        "bundle_format_version": BUNDLE_FORMAT_VERSION,
        "version": version,
        "schema_version": SCHEMA_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "regime_names": list(REGIME_NAMES),
        "profile_feature_names": list(PROFILE_FEATURE_NAMES),
        "workload_profiles": {k: {"isCnf": p.is_cnf, "profile": p.raw} for k, p in sorted(c.profiles.items())
                              if not p.is_probe},
        "default_profile_class": default_profile_class(c),
        "created_at": created_at(c),
        "corpus_hash": c.corpus_hash,
        "corpus_generator": c.manifest.get("generator", "unknown"),
        "seed": seed,
        "files": {f: sha256_file(out / f) for f in ("regime.onnx", "interference.onnx")},
        "library_versions": {lib: pkg_version(lib) for lib in LIBRARIES},
        "held_out_metrics": {"overall": metrics["overall"], "per_workload": metrics["per_workload"],
                             **({"reference_unseen_nodes": metrics["reference_unseen_nodes"]}
                                if "reference_unseen_nodes" in metrics else {})},
        "upper_margin": interference.margin,
        "synthetic": c.synthetic,
    }
    if training_report is not None:
        manifest["training_report"] = training_report
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def train_final(c: Corpus, labels: np.ndarray, seed: int, margin: float) -> tuple[RegimeClassifier, InterferenceModel]:
    """Final models on every record; the interference model sees out-of-fold regime probabilities."""
    x_regime = regime_input(c.values, c.presence)
    progress("final: regime classifier")
    regime = train_regime_classifier(x_regime, labels, seed)
    proba = out_of_fold_proba(x_regime, labels, c.node_names, seed)
    x, y = corpus_rows(c, proba)
    progress(f"final: interference model on {len(y)} records")
    return regime, train_interference(x, y, seed, margin=margin)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the final models and write a model bundle.")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--labels", required=True, help="labels JSON from overseer_training.labelling")
    ap.add_argument("--metrics", required=True, help="metrics JSON from overseer_training.holdout")
    ap.add_argument("--out", required=True, help="bundle directory to write")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    limit_threads()
    try:
        c = load_corpus(a.corpus)
        labels, lab = load_labels(a.labels, c)
        with open(a.metrics) as fh:
            metrics = json.load(fh)
    except (CorpusError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    regime, interference = train_final(c, labels, a.seed, float(metrics.get("upper_margin", 0.0)))
    m = write_bundle(a.out, c, a.seed, regime, interference, metrics, lab.get("report"))
    print(f"wrote bundle {m['version']} to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
