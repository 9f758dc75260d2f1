"""The stage CLIs chained over paths give a valid bundle; bad paths give exit code 2."""

import json

from overseer_training import export, holdout, interference, labelling, regime_model


def test_stages_chain_over_paths(corpus_dir, tmp_path, capsys):
    labels, metrics, bundle = tmp_path / "labels.json", tmp_path / "metrics.json", tmp_path / "bundle"
    assert labelling.main(["--corpus", str(corpus_dir), "--out", str(labels)]) == 0
    assert regime_model.main(["--corpus", str(corpus_dir), "--labels", str(labels),
                              "--out", str(tmp_path / "r.onnx")]) == 0
    assert interference.main(["--corpus", str(corpus_dir), "--labels", str(labels),
                              "--out", str(tmp_path / "i.onnx")]) == 0
    assert holdout.main(["--corpus", str(corpus_dir), "--labels", str(labels), "--out", str(metrics)]) == 0
    assert "OVERALL" in capsys.readouterr().out
    assert export.main(["--corpus", str(corpus_dir), "--labels", str(labels), "--metrics", str(metrics),
                        "--out", str(bundle)]) == 0
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["held_out_metrics"]["overall"] == json.loads(metrics.read_text())["overall"]
    assert (tmp_path / "r.onnx").stat().st_size > 0 and (tmp_path / "i.onnx").stat().st_size > 0


def test_labels_from_another_corpus_are_refused_by_every_stage(corpus_dir, unseen_corpus_dir, tmp_path, capsys):
    labels, metrics = tmp_path / "labels.json", tmp_path / "metrics.json"
    assert labelling.main(["--corpus", str(unseen_corpus_dir), "--out", str(labels)]) == 0
    metrics.write_text("{}")
    common = ["--corpus", str(corpus_dir), "--labels", str(labels)]
    runs = [
        (regime_model, [*common, "--out", str(tmp_path / "r.onnx")]),
        (interference, [*common, "--out", str(tmp_path / "i.onnx")]),
        (holdout, [*common, "--out", str(tmp_path / "m.json")]),
        (export, [*common, "--metrics", str(metrics), "--out", str(tmp_path / "bundle")]),
    ]
    for stage, argv in runs:
        assert stage.main(argv) == 2, stage.__name__
        assert "another corpus" in capsys.readouterr().err, stage.__name__


def test_missing_corpus_directory_exit_2(tmp_path, capsys):
    assert labelling.main(["--corpus", str(tmp_path / "nope"), "--out", str(tmp_path / "l.json")]) == 2
    assert "not a corpus directory" in capsys.readouterr().err
