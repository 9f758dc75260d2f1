"""The golden lists in schema.py must match the TypeScript catalog and the protos."""

import re
from pathlib import Path

from overseer_training.schema import FEATURE_NAMES, PROFILE_FEATURE_NAMES, REGIME_NAMES, SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]


def ts_feature_names() -> list[str]:
    src = (REPO / "lib/features/catalog.ts").read_text()
    defs = src[src.index("const DEFS"):src.index("export const FEATURES")]
    return re.findall(r'^\s{4}name: "([a-z0-9_]+)"', defs, flags=re.M)


def test_feature_names_match_ts_catalog_in_order():
    assert ts_feature_names() == list(FEATURE_NAMES)


def test_schema_version_matches_ts_catalog():
    src = (REPO / "lib/features/catalog.ts").read_text()
    assert f"export const SCHEMA_VERSION = {SCHEMA_VERSION};" in src


def test_regime_names_are_the_proto_enum_without_unspecified():
    src = (REPO / "proto/overseer/v1/regime.proto").read_text()
    names = re.findall(r"^\s*(REGIME_[A-Z_]+) = (\d+);", src, flags=re.M)
    ordered = [n for n, v in sorted(names, key=lambda x: int(x[1])) if n != "REGIME_UNSPECIFIED"]
    assert ordered == list(REGIME_NAMES)


def test_profile_feature_names_are_the_solo_profile_fields():
    src = (REPO / "proto/overseer/v1/scorer_service.proto").read_text()
    body = src[src.index("message SoloProfile {"):]
    body = body[:body.index("}")]
    fields = re.findall(r"^\s*double (\w+) = (\d+);", body, flags=re.M)
    assert [n for n, _ in sorted(fields, key=lambda x: int(x[1]))] == list(PROFILE_FEATURE_NAMES)
