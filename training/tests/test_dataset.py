"""Reading and validating corpora: the good path, and a clear error for each kind of bad input."""

import json

import numpy as np
import pytest

from overseer_training import dataset
from overseer_training.dataset import CorpusError, load_corpus
from overseer_training.schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES


def rewrite_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def rewrite_jsonl(path, change, line=0):
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    change(rows[line])
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_loads_fixture_with_absent_features(corpus_dir):
    c = load_corpus(corpus_dir)
    assert c.values.shape == (120, FEATURE_COUNT)
    assert c.synthetic
    assert c.cnf_classes == ["dpi", "firewall", "lb", "router", "upf"]
    occ = FEATURE_NAMES.index("llc_occupancy_fraction")
    absent = c.presence[:, occ] == 0
    assert absent.sum() == 40 and np.all(c.values[absent, occ] == 0)
    assert len(c.perf_slowdown) == 120 * 7 and c.perf_slowdown.min() >= 1.0
    assert c.true_regimes is not None and len(c.corpus_hash) == 64


def test_corpus_hash_changes_with_content(fresh_corpus):
    before = load_corpus(fresh_corpus).corpus_hash
    rewrite_jsonl(fresh_corpus / "performance.jsonl", lambda r: r.update(slowdown=1.5))
    assert load_corpus(fresh_corpus).corpus_hash != before


def test_zero_sequence_omitted_by_proto3_json_reads_as_zero(fresh_corpus):
    rewrite_jsonl(fresh_corpus / "node_states.jsonl", lambda r: r.pop("sequence"))
    rewrite_jsonl(fresh_corpus / "ground_truth.jsonl", lambda r: r.pop("sequence"))
    perf = fresh_corpus / "performance.jsonl"
    rows = [json.loads(x) for x in perf.read_text().splitlines()]
    for r in rows:
        if r["nodeName"] == "fixture-node-0" and r["sequence"] == 1:
            r.pop("sequence")
    perf.write_text("".join(json.dumps(r) + "\n" for r in rows))
    c = load_corpus(fresh_corpus)
    assert c.sequences[0] == 0 and c.perf_state[0] == 0


def test_profile_without_the_quarter_share_hit_ratio_reads_as_zero(fresh_corpus):
    # A corpus from before SoloProfile field 13 (or a profiler without CAT): the field is absent -> 0, not measured.
    rewrite_json(fresh_corpus / "solo_profiles.json",
                 lambda d: [e["profile"].pop("llcHitRatioAtQuarterWorkingSet") for e in d.values()])
    c = load_corpus(fresh_corpus)
    k = PROFILE_FEATURE_NAMES.index("llc_hit_ratio_at_quarter_working_set")
    assert all(p.vector[k] == 0 for p in c.profiles.values())
    assert c.profiles["upf"].vector[PROFILE_FEATURE_NAMES.index("cores")] == 4


BAD_INPUTS = {
    "wrong manifest schema version": (
        "manifest.json", lambda m: m.update(schema_version=2), "schema_version 2 does not match"),
    "other corpus format version": (
        "manifest.json", lambda m: m.update(format_version=9), "format_version 9 is not supported"),
    "feature order differs": (
        "manifest.json", lambda m: m["feature_names"].reverse(), "feature_names differ from schema v1 at index 0"),
    "feature missing from manifest": (
        "manifest.json", lambda m: m["feature_names"].pop(), "expected 17"),
    "manifest key missing": ("manifest.json", lambda m: m.pop("feature_names"), "missing key(s) feature_names"),
    "node state of another schema": (
        "node_states.jsonl", lambda r: r["features"].update(schemaVersion=2), "features.schemaVersion 2"),
    "node state with NaN value": (
        "node_states.jsonl", lambda r: r["features"]["values"].__setitem__(3, "NaN"), "values[3]"),
    "node state with a missing value column": (
        "node_states.jsonl", lambda r: r["features"]["values"].pop(), "16 values and 17 states"),
    "node state without features": ("node_states.jsonl", lambda r: r.pop("features"), "missing key features"),
    "performance record without slowdown": (
        "performance.jsonl", lambda r: r.pop("slowdown"), "missing key(s) slowdown"),
    "performance slowdown NaN": ("performance.jsonl", lambda r: r.update(slowdown="NaN"), "slowdown"),
    "performance slowdown infinite": ("performance.jsonl", lambda r: r.update(slowdown=1e400), "finite number"),
    "performance slowdown not positive": ("performance.jsonl", lambda r: r.update(slowdown=0), "must be > 0"),
    "performance for an unknown node state": (
        "performance.jsonl", lambda r: r.update(sequence=999), "no node state fixture-node-0#999"),
    "performance for a class without profile": (
        "performance.jsonl", lambda r: r.update(workloadClass="ghost"), "'ghost' has no solo profile"),
    "ground truth with unknown regime": (
        "ground_truth.jsonl", lambda r: r.update(regime="REGIME_ON_FIRE"), "unknown regime"),
    "profile with NaN": (
        "solo_profiles.json", lambda p: p["upf"]["profile"].update(cores="NaN"), "profile.cores"),
    "profile with unknown field": (
        "solo_profiles.json", lambda p: p["upf"]["profile"].update(coreCount=3), "unknown field(s) coreCount"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_with_a_clear_message(fresh_corpus, case):
    fname, change, message = BAD_INPUTS[case]
    path = fresh_corpus / fname
    if fname.endswith(".jsonl"):
        rewrite_jsonl(path, change)
    else:
        rewrite_json(path, change)
    with pytest.raises(CorpusError) as err:
        load_corpus(fresh_corpus)
    assert message in str(err.value)
    assert fname in str(err.value)


@pytest.mark.parametrize("fname", ["node_states.jsonl", "performance.jsonl"])
def test_empty_corpus_is_refused(fresh_corpus, fname):
    (fresh_corpus / fname).write_text("")
    with pytest.raises(CorpusError, match="empty corpus"):
        load_corpus(fresh_corpus)


def test_missing_file_is_named(fresh_corpus):
    (fresh_corpus / "solo_profiles.json").unlink()
    with pytest.raises(CorpusError, match="missing corpus file.*solo_profiles.json"):
        load_corpus(fresh_corpus)


def test_malformed_json_line_is_located(fresh_corpus):
    with (fresh_corpus / "performance.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(CorpusError, match=r"performance.jsonl:\d+: malformed JSON"):
        load_corpus(fresh_corpus)


def test_cli_reports_error_and_exit_code_2(fresh_corpus, capsys):
    rewrite_json(fresh_corpus / "manifest.json", lambda m: m.update(schema_version=7))
    assert dataset.main(["--corpus", str(fresh_corpus)]) == 2
    assert "schema_version 7 does not match" in capsys.readouterr().err


def test_cli_summary(corpus_dir, capsys):
    assert dataset.main(["--corpus", str(corpus_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["node_states"] == 120 and summary["synthetic"] is True
