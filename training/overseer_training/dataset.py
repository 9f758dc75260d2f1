"""Stage 1: read and validate a corpus directory (docs/corpus.md, format_version 1).

CLI: python -m overseer_training.dataset --corpus DIR [--json]
Prints a summary of the corpus, or a clear error (exit code 2) when it is invalid.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import (
    CORPUS_FORMAT,
    CORPUS_FORMAT_VERSION,
    FEATURE_COUNT,
    FEATURE_NAMES,
    PRESENT_STATE,
    PROFILE_FEATURE_NAMES,
    PROFILE_JSON_KEYS,
    REGIME_NAMES,
    SCHEMA_VERSION,
)

CORPUS_FILES = ("manifest.json", "node_states.jsonl", "ground_truth.jsonl", "performance.jsonl",
                "solo_profiles.json")
REQUIRED_FILES = ("manifest.json", "node_states.jsonl", "performance.jsonl", "solo_profiles.json")
MANIFEST_KEYS = ("format", "format_version", "schema_version", "feature_names")
PERF_KEYS = ("nodeName", "workloadClass", "slowdown")


class CorpusError(ValueError):
    """The corpus cannot be used; the message says which file, line and field."""


@dataclass(frozen=True)
class WorkloadProfile:
    workload_class: str
    is_cnf: bool
    vector: np.ndarray  # PROFILE_FEATURE_NAMES order, float64
    raw: dict  # the SoloProfile in proto3 JSON, as read
    is_probe: bool = False  # a calibration probe (training data only, never shipped in a bundle)


@dataclass(frozen=True)
class Corpus:
    path: Path
    manifest: dict
    node_names: list[str]
    sequences: np.ndarray  # (n,) int64
    values: np.ndarray  # (n, F) float64, absent features are 0
    presence: np.ndarray  # (n, F) float64, 1 present / 0 absent
    true_regimes: list[str] | None  # simulator ground truth per node state, None when not recorded
    perf_state: np.ndarray  # (m,) int64 index into the node states
    perf_class: np.ndarray  # (m,) str workload class
    perf_slowdown: np.ndarray  # (m,) float64
    profiles: dict[str, WorkloadProfile]
    corpus_hash: str

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic", False))

    @property
    def cnf_classes(self) -> list[str]:
        probed = set(self.perf_class.tolist())
        return sorted(c for c, p in self.profiles.items() if p.is_cnf and c in probed)

    def profile_matrix(self, classes: np.ndarray) -> np.ndarray:
        table = {c: p.vector for c, p in self.profiles.items()}
        return np.stack([table[c] for c in classes]) if len(classes) else np.zeros((0, len(PROFILE_FEATURE_NAMES)))


def corpus_hash(path: Path) -> str:
    """sha256 over (file name, sha256 of its bytes) of every corpus file present, in a fixed order."""
    outer = hashlib.sha256()
    for name in CORPUS_FILES:
        f = path / name
        if f.exists():
            outer.update(f"{name}\n{hashlib.sha256(f.read_bytes()).hexdigest()}\n".encode())
    return outer.hexdigest()


def _finite(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CorpusError(f"{where}: expected a finite number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise CorpusError(f"{where}: expected a finite number, got {value!r}")
    return f


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path.name}: malformed JSON ({e})") from e


def _jsonl(path: Path):
    with path.open() as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorpusError(f"{path.name}:{lineno}: malformed JSON ({e})") from e
            if not isinstance(record, dict):
                raise CorpusError(f"{path.name}:{lineno}: expected a JSON object")
            yield lineno, record


def validate_manifest(manifest: object) -> dict:
    if not isinstance(manifest, dict):
        raise CorpusError("manifest.json: expected a JSON object")
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing:
        raise CorpusError(f"manifest.json: missing key(s) {', '.join(missing)}")
    if manifest["format"] != CORPUS_FORMAT:
        raise CorpusError(f"manifest.json: format is {manifest['format']!r}, expected {CORPUS_FORMAT!r}")
    if manifest["format_version"] != CORPUS_FORMAT_VERSION:
        raise CorpusError(f"manifest.json: format_version {manifest['format_version']!r} is not supported "
                          f"(this training reads format_version {CORPUS_FORMAT_VERSION})")
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise CorpusError(f"manifest.json: schema_version {manifest['schema_version']!r} does not match this "
                          f"training's feature schema v{SCHEMA_VERSION}; regenerate the corpus or update "
                          "training/overseer_training/schema.py together with lib/features/catalog.ts")
    names = manifest["feature_names"]
    if list(names) != list(FEATURE_NAMES):
        diff = next((i for i, (a, b) in enumerate(zip(names, FEATURE_NAMES, strict=False)) if a != b),
                    min(len(names), FEATURE_COUNT))
        raise CorpusError(f"manifest.json: feature_names differ from schema v{SCHEMA_VERSION} at index {diff} "
                          f"(got {len(names)} names, expected {FEATURE_COUNT})")
    return manifest


def _read_node_states(path: Path):
    names: list[str] = []
    seqs: list[int] = []
    values: list[list[float]] = []
    presence: list[list[float]] = []
    for lineno, rec in _jsonl(path):
        where = f"node_states.jsonl:{lineno}"
        if "nodeName" not in rec:
            raise CorpusError(f"{where}: missing key nodeName")
        fv = rec.get("features")
        if not isinstance(fv, dict):
            raise CorpusError(f"{where}: missing key features")
        sv = fv.get("schemaVersion", 0)
        if sv != SCHEMA_VERSION:
            raise CorpusError(f"{where}: features.schemaVersion {sv!r} does not match schema v{SCHEMA_VERSION}")
        vals = fv.get("values")
        states = fv.get("states")
        if not isinstance(vals, list) or not isinstance(states, list):
            raise CorpusError(f"{where}: missing key features.values or features.states")
        if len(vals) != FEATURE_COUNT or len(states) != FEATURE_COUNT:
            raise CorpusError(f"{where}: features has {len(vals)} values and {len(states)} states, "
                              f"expected {FEATURE_COUNT} each")
        row = []
        pres = []
        for i, (v, s) in enumerate(zip(vals, states, strict=True)):
            f = _finite(v, f"{where}: features.values[{i}] ({FEATURE_NAMES[i]})")
            present = s == PRESENT_STATE
            row.append(f if present else 0.0)
            pres.append(1.0 if present else 0.0)
        names.append(str(rec["nodeName"]))
        seqs.append(int(rec.get("sequence", 0)))  # proto3 JSON omits a zero sequence
        values.append(row)
        presence.append(pres)
    if not names:
        raise CorpusError("node_states.jsonl: empty corpus (no node states)")
    return names, np.asarray(seqs, dtype=np.int64), np.asarray(values), np.asarray(presence)


def _read_ground_truth(path: Path, index: dict[tuple[str, int], int]) -> list[str] | None:
    if not path.exists():
        return None
    regimes: list[str | None] = [None] * len(index)
    for lineno, rec in _jsonl(path):
        where = f"ground_truth.jsonl:{lineno}"
        for k in ("nodeName", "regime"):
            if k not in rec:
                raise CorpusError(f"{where}: missing key {k}")
        key = (str(rec["nodeName"]), int(rec.get("sequence", 0)))
        if key not in index:
            raise CorpusError(f"{where}: no node state {key[0]}#{key[1]}")
        if rec["regime"] not in REGIME_NAMES:
            raise CorpusError(f"{where}: unknown regime {rec['regime']!r}")
        regimes[index[key]] = rec["regime"]
    if any(r is None for r in regimes):
        raise CorpusError("ground_truth.jsonl: some node states have no ground-truth regime")
    return regimes  # type: ignore[return-value]


def _read_profiles(path: Path) -> dict[str, WorkloadProfile]:
    data = _read_json(path)
    if not isinstance(data, dict) or not data:
        raise CorpusError("solo_profiles.json: expected a non-empty object keyed by workload class")
    out = {}
    for cls, entry in data.items():
        where = f"solo_profiles.json[{cls!r}]"
        if not isinstance(entry, dict) or "isCnf" not in entry or "profile" not in entry:
            raise CorpusError(f"{where}: missing key isCnf or profile")
        prof = entry["profile"]
        if not isinstance(prof, dict):
            raise CorpusError(f"{where}.profile: expected an object")
        unknown = set(prof) - set(PROFILE_JSON_KEYS)
        if unknown:
            raise CorpusError(f"{where}.profile: unknown field(s) {', '.join(sorted(unknown))}")
        # proto3 JSON omits zero fields, so a missing field is 0.
        vec = np.array([_finite(prof.get(k, 0), f"{where}.profile.{k}") for k in PROFILE_JSON_KEYS])
        out[str(cls)] = WorkloadProfile(str(cls), bool(entry["isCnf"]), vec, prof, bool(entry.get("isProbe", False)))
    return out


def _read_performance(path: Path, index: dict[tuple[str, int], int], profiles: dict[str, WorkloadProfile]):
    st, cl, sd = [], [], []
    for lineno, rec in _jsonl(path):
        where = f"performance.jsonl:{lineno}"
        missing = [k for k in PERF_KEYS if k not in rec]
        if missing:
            raise CorpusError(f"{where}: missing key(s) {', '.join(missing)}")
        key = (str(rec["nodeName"]), int(rec.get("sequence", 0)))
        if key not in index:
            raise CorpusError(f"{where}: no node state {key[0]}#{key[1]}")
        cls = str(rec["workloadClass"])
        if cls not in profiles:
            raise CorpusError(f"{where}: workload class {cls!r} has no solo profile")
        s = _finite(rec["slowdown"], f"{where}: slowdown")
        if s <= 0:
            raise CorpusError(f"{where}: slowdown must be > 0, got {s}")
        st.append(index[key])
        cl.append(cls)
        sd.append(s)
    if not st:
        raise CorpusError("performance.jsonl: empty corpus (no performance records)")
    return np.asarray(st, dtype=np.int64), np.asarray(cl, dtype=object), np.asarray(sd)


def load_corpus(path: str | Path) -> Corpus:
    p = Path(path)
    if not p.is_dir():
        raise CorpusError(f"{p}: not a corpus directory")
    missing = [f for f in REQUIRED_FILES if not (p / f).exists()]
    if missing:
        raise CorpusError(f"{p}: missing corpus file(s) {', '.join(missing)}")
    manifest = validate_manifest(_read_json(p / "manifest.json"))
    names, seqs, values, presence = _read_node_states(p / "node_states.jsonl")
    index: dict[tuple[str, int], int] = {}
    for i, key in enumerate(zip(names, seqs.tolist(), strict=True)):
        if key in index:
            raise CorpusError(f"node_states.jsonl:{i + 1}: duplicate node state {key[0]}#{key[1]}")
        index[key] = i
    truth = _read_ground_truth(p / "ground_truth.jsonl", index)
    profiles = _read_profiles(p / "solo_profiles.json")
    perf_state, perf_class, perf_slowdown = _read_performance(p / "performance.jsonl", index, profiles)
    return Corpus(p, manifest, names, seqs, values, presence, truth, perf_state, perf_class, perf_slowdown,
                  profiles, corpus_hash(p))


def load_labels(path: str | Path, c: Corpus) -> tuple[np.ndarray, dict]:
    """Regime labels written by overseer_training.labelling for this corpus: (label indices, the file's JSON).

    Refuses labels made from another corpus (hash differs) or of the wrong length.
    """
    with open(path) as fh:
        lab = json.load(fh)
    if lab.get("corpus_hash") != c.corpus_hash:
        raise CorpusError(f"{path} was made from another corpus (hash differs)")
    labels = np.array([REGIME_NAMES.index(r) for r in lab["labels"]])
    if len(labels) != len(c.node_names):
        raise CorpusError(f"{path} does not match the corpus ({len(labels)} labels, {len(c.node_names)} node states)")
    return labels, lab


def summarize(c: Corpus) -> dict:
    classes, counts = np.unique(c.perf_class.astype(str), return_counts=True)
    return {
        "synthetic": c.synthetic,
        "corpus_hash": c.corpus_hash,
        "node_states": len(c.node_names),
        "nodes": len(set(c.node_names)),
        "performance_records": int(len(c.perf_slowdown)),
        "records_per_class": {str(k): int(v) for k, v in zip(classes, counts, strict=True)},
        "cnf_classes": c.cnf_classes,
        "ground_truth": c.true_regimes is not None,
        "presence_rate": {n: round(float(r), 4) for n, r in zip(FEATURE_NAMES, c.presence.mean(axis=0), strict=True)},
        "slowdown": {"min": float(c.perf_slowdown.min()), "median": float(np.median(c.perf_slowdown)),
                     "max": float(c.perf_slowdown.max())},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Validate a corpus directory and print a summary.")
    ap.add_argument("--corpus", required=True, help="corpus directory (docs/corpus.md)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    try:
        s = summarize(load_corpus(args.corpus))
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        print(f"corpus {args.corpus}{' (synthetic)' if s['synthetic'] else ''}: {s['node_states']} node states "
              f"on {s['nodes']} nodes, {s['performance_records']} performance records")
        for k, v in s["records_per_class"].items():
            print(f"  {k:20s} {v:7d} records{' (CNF)' if k in s['cnf_classes'] else ''}")
        absent = {k: v for k, v in s["presence_rate"].items() if v < 1}
        print(f"  features sometimes absent: {absent or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
