"""Save and load a trained detector as one safetensors file.

The file holds the weights (safetensors: plain tensors, nothing is ever unpickled) and, in its
string metadata, a format tag and version, the spec, the training config, the scaler, the
threshold, the training history and result, the training-set composition and size, and any
metrics. Version 2 added the composition and size; version-1 files still load (their
composition, when recorded, sat in the metrics).

A file is judged before anything is allocated: the header (at most ``MAX_HEADER_BYTES``) is
read by hand, every metadata entry is checked against the app's limits
(``core.model_file_checks``), and every tensor's name, shape and dtype must be exactly what the
declared network needs, in float32 (the only dtype this app writes: a bool, int8 or bfloat16
weight would be silently converted, so it is refused). Anything else raises ``ModelFileError``
with a readable message.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from core import model_file_checks as check
from core.data import Composition
from core.detector import AutoencoderDetector
from core.metrics import ERROR_KINDS
from core.model import MAX_LAYERS, MAX_UNITS, AutoencoderSpec

FORMAT = "ecg-autoencoder"
VERSION = 2
READABLE_VERSIONS = ("1", "2")
SCALER = {"kind": "per-beat z-score", "ddof": 1}
WEIGHT_DTYPE = "F32"
MAX_HEADER_BYTES = 1_000_000  # a 2000-epoch history is ~170 KB
MAX_FILE_BYTES = 8 + MAX_HEADER_BYTES + 4 * AutoencoderSpec((MAX_UNITS,) * MAX_LAYERS).param_count
ENTRIES = {"format", "version", "spec", "config", "error", "scaler", "threshold", "history", "result", "metrics"}
ENTRIES_V2 = ENTRIES | {"composition", "train_size"}


class ModelFileError(ValueError):
    """The file is not a model this app saved, or it is damaged."""


@dataclass(frozen=True)
class SavedModel:
    """What a model file holds: the detector and the training set's recipe and numbers."""

    detector: AutoencoderDetector
    composition: Composition | None  # None: a version-1 file that didn't record it
    train_size: int | None
    metrics: dict


def to_bytes(detector: AutoencoderDetector, metrics: dict | None = None, composition: Composition | None = None,
             train_size: int | None = None) -> bytes:
    detector._check_fitted()
    result = detector.result_
    metadata = {
        "format": FORMAT,
        "version": str(VERSION),
        "spec": json.dumps(detector.spec.to_dict()),
        "config": json.dumps(detector.config.to_dict()),
        "error": detector.error,
        "scaler": json.dumps(SCALER),
        "threshold": json.dumps(getattr(detector, "threshold_", None)),
        "history": json.dumps(detector.history_),
        "result": json.dumps(None if result is None else asdict(result)),
        "metrics": json.dumps(metrics or {}),
        "composition": json.dumps(None if composition is None else asdict(composition)),
        "train_size": json.dumps(train_size),
    }
    weights = {k: v.detach().cpu().contiguous() for k, v in detector.model_.state_dict().items()}
    return save(weights, metadata=metadata)


def save_detector(detector: AutoencoderDetector, path: str | os.PathLike, metrics: dict | None = None,
                  composition: Composition | None = None, train_size: int | None = None) -> Path:
    path = Path(path)
    path.write_bytes(to_bytes(detector, metrics, composition, train_size))
    return path


def load_model(path: str | os.PathLike, *, name: str | None = None) -> SavedModel:
    name = name or str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ModelFileError(f"{name} is {size / 1e6:.0f} MB; a model of this app is at most "
                                 f"{MAX_FILE_BYTES / 1e6:.0f} MB")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{name} is not a saved model file (safetensors expected): {exc}") from exc
    return from_bytes(data, name)


def load_detector(path: str | os.PathLike, *, name: str | None = None) -> AutoencoderDetector:
    """The saved detector, on the CPU, with ``threshold_`` and ``history_``."""
    return load_model(path, name=name).detector


def from_bytes(data: bytes, name: str = "the uploaded file") -> SavedModel:
    metadata, tensors = _header(data, name)
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{name} is a safetensors file but not a model saved by this app")
    version = metadata.get("version")
    if version not in READABLE_VERSIONS:
        raise ModelFileError(f"{name} has model format version {str(version)[:20]}; this app reads versions "
                             f"{' and '.join(READABLE_VERSIONS)}")
    try:
        saved = _check_metadata(metadata, tensors, version)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{name} is damaged or does not match its own description: {exc}") from exc
    try:
        weights = load(data)
    except SafetensorError as exc:
        raise ModelFileError(f"{name} is damaged: its weights can't be read ({exc})") from exc
    if not all(torch.isfinite(w).all() for w in weights.values()):
        raise ModelFileError(f"{name} holds NaN or infinite weights")
    detector = AutoencoderDetector.from_saved(saved["spec"], saved["config"], saved["error"], weights,
                                              saved["threshold"], saved["history"], saved["result"])
    return SavedModel(detector, saved["composition"], saved["train_size"], saved["metrics"])


def _header(data: bytes, name: str) -> tuple[dict, dict]:
    """(metadata, {tensor: {dtype, shape, data_offsets}}) from the safetensors header, read by hand:
    an 8-byte little-endian length, then that many bytes of JSON."""
    length = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 2 <= length <= min(MAX_HEADER_BYTES, len(data) - 8):
        problem = "too short" if length < 0 else f"a header of {length:,} bytes"
        raise ModelFileError(f"{name} is not a saved model file (safetensors expected): {problem}")
    try:
        header = json.loads(data[8:8 + length])
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{name} is not a saved model file (safetensors expected): {exc}") from exc
    metadata = header.pop("__metadata__", None) if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(f"{name} is a safetensors file but not a model saved by this app")
    return metadata, header


def _check_metadata(metadata: dict, tensors: dict, version: str) -> dict:
    expected = ENTRIES_V2 if version == "2" else ENTRIES
    check.require(set(metadata) == expected, f"its entries should be {', '.join(sorted(expected))}")
    spec = check.spec(json.loads(metadata["spec"]))
    _check_tensors(tensors, spec)
    check.require(json.loads(metadata["scaler"]) == SCALER, f"its scaler must be {SCALER}")
    check.require(metadata["error"] in ERROR_KINDS, f"its error must be one of {', '.join(ERROR_KINDS)}")
    metrics = check.metrics(json.loads(metadata["metrics"]))
    if version == "2":
        composition = check.composition(json.loads(metadata["composition"]))
        train_size = check.train_size(json.loads(metadata["train_size"]))
    else:
        composition, train_size = _version_1_recipe(metrics)
    return {"spec": spec, "config": check.config(json.loads(metadata["config"])), "error": metadata["error"],
            "threshold": check.threshold(json.loads(metadata["threshold"])),
            "history": check.history(json.loads(metadata["history"])),
            "result": check.result(json.loads(metadata["result"])),
            "composition": composition, "train_size": train_size, "metrics": metrics}


def _version_1_recipe(metrics: dict) -> tuple[Composition | None, int | None]:
    """Version 1 kept the composition and size (when it had them) among the free-form metrics."""
    try:
        return check.composition(metrics.get("composition")), check.train_size(metrics.get("train_size"))
    except (TypeError, ValueError):
        return None, None


def expected_tensors(spec: AutoencoderSpec) -> dict[str, list[int]]:
    """Every weight the spec's network has, with its shape, named as its state_dict names it."""
    widths, depth = spec.widths, len(spec.encoder_units)
    shapes = {}
    for part, layers in (("encoder", zip(widths[:depth], widths[1:depth + 1])),
                         ("decoder", zip(widths[depth:-1], widths[depth + 1:]))):
        for i, (n_in, n_out) in enumerate(layers):  # Linear, activation, Linear, ...: Linears at even places
            shapes[f"{part}.{2 * i}.weight"] = [n_out, n_in]
            shapes[f"{part}.{2 * i}.bias"] = [n_out]
    return shapes


def _check_tensors(tensors: dict, spec: AutoencoderSpec) -> None:
    expected = expected_tensors(spec)
    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    check.require(not missing and not extra, f"its weights don't fit its layers (missing: "
                                             f"{', '.join(missing)[:200] or 'none'}; extra: {', '.join(extra)[:200] or 'none'})")
    for name, shape in expected.items():
        info = tensors[name]
        check.require(isinstance(info, dict) and info.get("dtype") == WEIGHT_DTYPE,
                      f"weight {name} must be float32, got {str(info.get('dtype') if isinstance(info, dict) else info)[:20]}")
        check.require(info.get("shape") == shape, f"weight {name} has shape {str(info.get('shape'))[:40]}, "
                                                  f"its layers need {shape}")
