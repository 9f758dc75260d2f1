"""Shared ONNX helpers: opset, metadata stamping, deterministic serialisation."""

from __future__ import annotations

import onnx

from .schema import SCHEMA_VERSION

# Opsets onnxruntime-node 1.30 (the services) and onnxruntime (tests) both run.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def finalize(model: onnx.ModelProto, version: str, extra: dict[str, str] | None = None) -> onnx.ModelProto:
    """Stamp overseer.version / overseer.schema_version into metadata_props and check the model."""
    model.producer_name = "overseer-training"
    model.producer_version = version
    model.doc_string = ""
    # Keep one import per domain (the converters may repeat the default domain), highest version.
    opsets: dict[str, int] = {}
    for imp in model.opset_import:
        opsets[imp.domain] = max(opsets.get(imp.domain, 0), imp.version)
    del model.opset_import[:]
    for domain in sorted(opsets):
        model.opset_import.append(onnx.helper.make_opsetid(domain, opsets[domain]))
    del model.metadata_props[:]
    props = {"overseer.version": version, "overseer.schema_version": str(SCHEMA_VERSION), **(extra or {})}
    for k in sorted(props):
        entry = model.metadata_props.add()
        entry.key, entry.value = k, props[k]
    onnx.checker.check_model(model)
    return model


def _patch_skl2onnx_missing_flag() -> None:
    """skl2onnx 1.20 passes a Python bool for nodes_missing_value_tracks_true when converting
    HistGradientBoosting trees; protobuf 5+ refuses bools in an int list. Coerce it to int."""
    from skl2onnx.common import tree_ensemble

    original = tree_ensemble.add_node
    if getattr(original, "_overseer_patched", False):
        return

    def add_node(*args, **kwargs):
        if "nodes_missing_value_tracks_true" in kwargs:
            kwargs["nodes_missing_value_tracks_true"] = int(kwargs["nodes_missing_value_tracks_true"])
        return original(*args, **kwargs)

    add_node._overseer_patched = True  # type: ignore[attr-defined]
    tree_ensemble.add_node = add_node


_patch_skl2onnx_missing_flag()
