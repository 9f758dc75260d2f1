"""The bundle: ONNX parity with sklearn (float32, incl. absent features), manifest vs files and the TS
catalog, version metadata, reproducibility."""

import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from overseer_training.dataset import load_corpus
from overseer_training.export import default_profile_class
from overseer_training.interference import INPUT_WIDTH, interference_input
from overseer_training.pipeline import run_pipeline
from overseer_training.regime_model import regime_input
from overseer_training.schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES, REGIME_COUNT, REGIME_NAMES

from .conftest import EPOCH, with_random_absence
from .test_schema import ts_feature_names

TOL = 1e-5


def held_out_rows(corpus_dir, seed=0):
    """Rows of a corpus no model saw, plus copies with about a third of the features absent."""
    c = load_corpus(corpus_dir)
    v2, p2 = with_random_absence(c.values, c.presence, seed)
    return np.vstack([c.values, v2]), np.vstack([c.presence, p2]), c


def test_regime_onnx_matches_sklearn_on_held_out_rows(pipeline_run, unseen_corpus_dir):
    result, out = pipeline_run
    values, presence, _ = held_out_rows(unseen_corpus_dir)
    x = regime_input(values, presence)
    assert (presence == 0).any()
    sess = ort.InferenceSession(str(out / "regime.onnx"))
    got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"features": x}), strict=True))
    want = result.regime.predict_proba(x)
    assert got["probabilities"].shape == (len(x), REGIME_COUNT)
    np.testing.assert_allclose(got["probabilities"], want, atol=TOL, rtol=0)
    np.testing.assert_array_equal(got["label"], got["probabilities"].argmax(axis=1))


def test_interference_onnx_matches_sklearn_on_held_out_rows(pipeline_run, unseen_corpus_dir):
    result, out = pipeline_run
    values, presence, c = held_out_rows(unseen_corpus_dir)
    proba = result.regime.predict_proba(regime_input(values, presence))
    rng = np.random.default_rng(0)
    classes = rng.choice(sorted(c.profiles), size=len(values))
    x = interference_input(values, presence, c.profile_matrix(classes), proba)
    assert x.shape == (len(values), INPUT_WIDTH) and x.dtype == np.float32
    sess = ort.InferenceSession(str(out / "interference.onnx"))
    assert [i.name for i in sess.get_inputs()] == ["input"]
    slowdown, upper = sess.run(["slowdown", "slowdown_upper"], {"input": x})
    want_point, want_upper = result.interference.predict(x)
    assert slowdown.shape == (len(x), 1) and upper.shape == (len(x), 1)
    np.testing.assert_allclose(slowdown[:, 0], want_point, atol=TOL, rtol=TOL)
    np.testing.assert_allclose(upper[:, 0], want_upper, atol=TOL, rtol=TOL)
    assert (slowdown >= 1).all() and (upper >= slowdown).all()


def test_manifest_matches_files_and_ts_feature_order(pipeline_run, corpus_dir):
    result, out = pipeline_run
    m = json.loads((out / "manifest.json").read_text())
    for name, digest in m["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert set(m["files"]) == {"regime.onnx", "interference.onnx"}
    assert m["feature_names"] == ts_feature_names() == list(FEATURE_NAMES)
    assert m["schema_version"] == 1 and m["bundle_format_version"] == 1
    assert m["regime_names"] == list(REGIME_NAMES)
    assert m["profile_feature_names"] == list(PROFILE_FEATURE_NAMES)
    c = load_corpus(corpus_dir)
    assert m["corpus_hash"] == c.corpus_hash and m["version"] == f"v1-{c.corpus_hash[:12]}-1"
    # Calibration probes are training data only: never shipped as a workload class.
    assert set(m["workload_profiles"]) == {k for k, p in c.profiles.items() if not p.is_probe}
    assert "probe-00" in c.profiles and "probe-00" not in m["workload_profiles"]
    assert m["default_profile_class"] == default_profile_class(c) == "dpi"
    assert m["created_at"] == "2026-01-01T00:00:00Z"
    assert m["synthetic"] is True
    assert set(m["library_versions"]) >= {"scikit-learn", "skl2onnx", "onnx", "numpy"}
    overall = m["held_out_metrics"]["overall"]
    assert {"slowdown_mae", "slowdown_mape", "upper_bound_coverage", "regime_accuracy"} <= set(overall)
    assert set(m["held_out_metrics"]["per_workload"]) == set(c.cnf_classes)


def test_onnx_metadata_carries_version_and_io_shapes(pipeline_run):
    result, out = pipeline_run
    version = result.manifest["version"]
    for name in ("regime.onnx", "interference.onnx"):
        model = onnx.load(str(out / name))
        props = {p.key: p.value for p in model.metadata_props}
        assert props["overseer.version"] == version and props["overseer.schema_version"] == "1"
    regime = onnx.load(str(out / "regime.onnx"))
    dims = regime.graph.input[0].type.tensor_type.shape.dim
    assert regime.graph.input[0].name == "features" and dims[1].dim_value == 2 * FEATURE_COUNT


def test_all_features_absent_still_predicts_finite_values(pipeline_run):
    _, out = pipeline_run
    zeros = np.zeros((1, 2 * FEATURE_COUNT), dtype=np.float32)
    (proba,) = ort.InferenceSession(str(out / "regime.onnx")).run(["probabilities"], {"features": zeros})
    assert np.isfinite(proba).all() and proba.sum() == pytest.approx(1.0, abs=1e-5)
    x = np.zeros((1, INPUT_WIDTH), dtype=np.float32)
    s, u = ort.InferenceSession(str(out / "interference.onnx")).run(None, {"input": x})
    assert np.isfinite(s).all() and u[0, 0] >= s[0, 0] >= 1


def test_rerun_reproduces_metrics_and_bytes(pipeline_run, corpus_dir, tmp_path, monkeypatch):
    result, out = pipeline_run
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = run_pipeline(corpus_dir, tmp_path, seed=1, with_stability=False)
    assert again.metrics == result.metrics
    for name in ("manifest.json", "regime.onnx", "interference.onnx"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
