"""Save and load a trained detector as one safetensors file.

The file holds the weights (safetensors: plain tensors, nothing is ever unpickled) and, in its
string metadata, a format tag and version, the spec, the training config, the scaler, the
threshold, the training history and result, and any metrics. Loading checks all of it and
raises ``ModelFileError`` with a readable message for anything malformed, mismatched or foreign.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from core.detector import AutoencoderDetector
from core.model import Autoencoder, AutoencoderSpec
from core.train import TrainConfig, TrainResult

FORMAT = "ecg-autoencoder"
VERSION = 1
SCALER = {"kind": "per-beat z-score", "ddof": 1}


class ModelFileError(ValueError):
    """The file is not a model this app saved, or it is damaged."""


def to_bytes(detector: AutoencoderDetector, metrics: dict | None = None) -> bytes:
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
        "result": json.dumps(None if result is None else vars(result)),
        "metrics": json.dumps(metrics or {}),
    }
    weights = {k: v.detach().cpu().contiguous() for k, v in detector.model_.state_dict().items()}
    return save(weights, metadata=metadata)


def save_detector(detector: AutoencoderDetector, path: str | os.PathLike, metrics: dict | None = None) -> Path:
    path = Path(path)
    path.write_bytes(to_bytes(detector, metrics))
    return path


def from_bytes(data: bytes, name: str = "the uploaded file") -> AutoencoderDetector:
    with tempfile.NamedTemporaryFile(suffix=".safetensors") as tmp:
        tmp.write(data)
        tmp.flush()
        return load_detector(tmp.name, name=name)


def load_detector(path: str | os.PathLike, *, name: str | None = None) -> AutoencoderDetector:
    """The saved detector, on the CPU, with ``threshold_``, ``history_`` and ``metrics_``."""
    name = name or str(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            weights = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{name} is not a saved model file (safetensors expected): {exc}") from exc
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{name} is a safetensors file but not a model saved by this app")
    if metadata.get("version") != str(VERSION):
        raise ModelFileError(f"{name} has model format version {metadata.get('version')}; "
                             f"this app reads version {VERSION}")
    try:
        spec = AutoencoderSpec.from_dict(json.loads(metadata["spec"]))
        config = TrainConfig(**json.loads(metadata["config"]))
        detector = AutoencoderDetector(spec, config, metadata.get("error", "mse"))
        model = Autoencoder(spec)
        model.load_state_dict(weights, strict=True)
        threshold = json.loads(metadata["threshold"])
        detector.threshold_ = None if threshold is None else float(threshold)
        result = json.loads(metadata["result"])
        detector.loaded_result_ = None if result is None else TrainResult(**result)
        detector.history_ = json.loads(metadata["history"])
        detector.metrics_ = json.loads(metadata["metrics"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{name} is damaged or does not match its own description: {exc}") from exc
    detector.model_ = model.eval()
    detector.training_ = None
    if not all(torch.isfinite(w).all() for w in weights.values()):
        raise ModelFileError(f"{name} holds NaN or infinite weights")
    return detector
