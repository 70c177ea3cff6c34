"""Crafted model files (issue 9 rows 1, 2 and 7): every one is built here, byte by byte, and refused
before any network or weight is allocated; version-1 files still load."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import save

import core.persistence as persistence
from core.data import Composition
from core.detector import AutoencoderDetector
from core.persistence import MAX_HEADER_BYTES, ModelFileError, expected_tensors, from_bytes, to_bytes


@pytest.fixture(scope="module")
def good(fitted_detector) -> bytes:
    return to_bytes(fitted_detector, {"test_auc": 0.99}, Composition(300, 0.1, seed=4), 300)


def header_of(data: bytes) -> dict:
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length])


def craft(header: dict, payload: bytes = b"") -> bytes:
    """A safetensors file from a header dict and the bytes after it."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + payload


def with_metadata(data: bytes, **changes) -> bytes:
    """``data`` with metadata entries replaced (JSON-encoded here; None removes the entry)."""
    header = header_of(data)
    metadata = header["__metadata__"]
    for key, value in changes.items():
        if value is None:
            metadata.pop(key)
        else:
            metadata[key] = value if isinstance(value, str) and key in ("format", "version", "error") else json.dumps(value)
    return craft(header, data[8 + struct.unpack("<Q", data[:8])[0]:])


@pytest.fixture
def nothing_is_built(monkeypatch):
    """Fails the test if the reader gets as far as reading weights or building a network."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a crafted file must be refused before anything is allocated")

    monkeypatch.setattr(persistence, "load", forbidden)
    monkeypatch.setattr(AutoencoderDetector, "from_saved", forbidden)


def refused(data: bytes, pattern: str) -> str:
    with pytest.raises(ModelFileError, match=pattern) as caught:
        from_bytes(data, name="crafted.safetensors")
    assert "crafted.safetensors" in str(caught.value)
    return str(caught.value)


# ---------------------------------------------------------------- row 1: a 3 KB file that declared gigabytes


def test_a_3_kb_file_declaring_a_million_inputs_and_10x512_layers_is_refused_before_building(good, nothing_is_built):
    metadata = header_of(good)["__metadata__"]
    metadata["spec"] = json.dumps({"encoder_units": [512] * 10, "input_size": 10 ** 6, "activation": "relu",
                                   "output_activation": "linear"})
    data = craft({"__metadata__": metadata})
    assert len(data) < 3_000
    refused(data, r"must take 140-point beats, got input size 1000000")


@pytest.mark.parametrize("spec, pattern", [
    ({"encoder_units": [512] * 11}, r"the encoder needs 1 to 10 layers, got 11"),
    ({"encoder_units": [32, 513]}, r"layer 2 must have 1 to 512 units"),
    ({"encoder_units": [32, 8.0]}, r"layer 2 must have 1 to 512 units"),
    ({"encoder_units": "32,8"}, r"encoder_units must be a list"),
    ({"activation": "swish"}, r"activation must be one of"),
    ({"output_activation": "exp"}, r"output activation must be one of"),
    ({"input_size": 140.0}, r"must take 140-point beats"),
    ({"extra": 1}, r"spec must have the entries"),
])
def test_a_spec_beyond_the_composers_limits_is_refused(good, nothing_is_built, spec, pattern):
    declared = {"encoder_units": [32, 8], "input_size": 140, "activation": "relu", "output_activation": "linear",
                **spec}
    refused(with_metadata(good, spec=declared), pattern)


def test_tensor_shapes_are_checked_from_the_header_before_reading_weights(good, nothing_is_built):
    header = header_of(good)
    header["encoder.0.weight"]["shape"] = [32, 10 ** 6]
    refused(craft(header), r"weight encoder\.0\.weight has shape \[32, 1000000\], its layers need \[32, 140\]")
    header = header_of(good)
    header.pop("decoder.2.bias")
    refused(craft(header), r"weights don't fit its layers \(missing: decoder\.2\.bias; extra: none\)")


@pytest.mark.parametrize("dtype", [torch.bool, torch.int8, torch.bfloat16, torch.float16, torch.float64])
def test_weights_that_are_not_float32_are_refused(fitted_detector, good, dtype):
    weights = {k: v.to(dtype) for k, v in fitted_detector.model_.state_dict().items()}
    data = save(weights, metadata=header_of(good)["__metadata__"])
    refused(data, r"weight encoder\.0\.weight must be float32, got (BOOL|I8|BF16|F16|F64)")


def test_a_header_over_the_cap_is_refused_without_parsing_it(nothing_is_built):
    data = struct.pack("<Q", MAX_HEADER_BYTES + 1) + b" " * (MAX_HEADER_BYTES + 1)
    refused(data, r"not a saved model file \(safetensors expected\): a header of 1,000,001 bytes")
    refused(struct.pack("<Q", 2 ** 63) + b"{}", r"not a saved model file")


# ---------------------------------------------------------------- row 2: malformed history, result, ...


BAD_ENTRIES = {
    "history as a dict": ({"history": {"epoch": 1}}, r"history must be a list of epochs, got dict"),
    "history of ints": ({"history": [1, 2, 3]}, r"history epoch 1 must be a JSON object, got int"),
    "string losses": ({"history": [{"epoch": 1, "train_loss": "0.1", "val_loss": None}]},
                      r"history epoch 1: the training loss must be a finite number"),
    "NaN loss": ({"history": [{"epoch": 1, "train_loss": float("nan"), "val_loss": None}]},
                 r"history epoch 1: the training loss must be a finite number"),
    "epochs out of order": ({"history": [{"epoch": 2, "train_loss": 0.1, "val_loss": 0.1}]},
                            r"history entry 1 must be epoch 1, got 2"),
    "300k epochs": ({"history": [{"epoch": 1, "train_loss": 0.1, "val_loss": None}] * 2001},
                    r"history holds 2,001 epochs; a run has at most 2,000"),
    "result as text": ({"result": "completed"}, r"result must be a JSON object, got str"),
    "result missing entries": ({"result": {"status": "completed"}}, r"result must have the entries"),
    "unknown status": ({"result": {"status": "hacked", "epochs_run": 1, "seconds": 1.0, "message": ""}},
                       r"result status must be one of completed, stopped, diverged"),
    "negative epochs_run": ({"result": {"status": "completed", "epochs_run": -1, "seconds": 1.0, "message": ""}},
                            r"result epochs_run must be a whole number from 0 to 2000"),
    "string seconds": ({"result": {"status": "completed", "epochs_run": 1, "seconds": "1", "message": ""}},
                       r"result seconds must be a finite number"),
    "threshold as text": ({"threshold": "high"}, r"the threshold must be a finite number or null"),
    "threshold true": ({"threshold": True}, r"the threshold must be a finite number or null"),
    "threshold infinite": ({"threshold": float("inf")}, r"the threshold must be a finite number or null"),
    "metrics as a list": ({"metrics": [1]}, r"metrics must be a JSON object, got list"),
    "metrics too deep": ({"metrics": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, r"metrics\.a\.b\.c\.d is nested too deeply"),
    "metrics NaN": ({"metrics": {"auc": float("nan")}}, r"metrics\.auc holds a value that is not a finite number"),
    "composition 90 %": ({"composition": {"size": 10, "abnormal_fraction": 0.9, "seed": 0}},
                         r"abnormal fraction must be between 0 and 0\.7"),
    "composition size as text": ({"composition": {"size": "10", "abnormal_fraction": 0.1, "seed": 0}},
                                 r"composition size must be a whole number or null"),
    "train_size 0": ({"train_size": 0}, r"train_size must be a whole number >= 1 or null"),
    "config unknown entry": ({"config": {"optimizer": "adam", "evil": 1}}, r"config has unknown entries: evil"),
    "config 10^9 epochs": ({"config": {"epochs": 10 ** 9}}, r"epochs must be a whole number from 1 to 2000"),
    "another scaler": ({"scaler": {"kind": "min-max"}}, r"its scaler must be"),
    "unknown error": ({"error": "huber"}, r"its error must be one of mse, mae"),
    "an extra entry": ({"notes": "hi"}, r"its entries should be"),
}


@pytest.mark.parametrize("case", BAD_ENTRIES)
def test_every_metadata_entry_is_checked(good, nothing_is_built, case):
    changes, pattern = BAD_ENTRIES[case]
    refused(with_metadata(good, **changes), r"is damaged or does not match its own description: " + pattern)


# ---------------------------------------------------------------- version 1


def version_1(detector, metrics: dict) -> bytes:
    """A file as version 1 wrote it: no composition or train_size entries, the recipe among the metrics."""
    metadata = header_of(to_bytes(detector))["__metadata__"]
    metadata.update(version="1", metrics=json.dumps(metrics))
    del metadata["composition"], metadata["train_size"]
    return save(dict(detector.model_.state_dict()), metadata=metadata)


def test_a_version_1_file_still_loads_with_its_recipe(fitted_detector, split500):
    metrics = {"test_auc": 0.98, "train_size": 250, "composition": {"size": 250, "abnormal_fraction": 0.2, "seed": 3}}
    model = from_bytes(version_1(fitted_detector, metrics))
    assert model.composition == Composition(250, 0.2, seed=3) and model.train_size == 250
    assert model.metrics == metrics
    np.testing.assert_allclose(model.detector.decision_function(split500.test.x),
                               fitted_detector.decision_function(split500.test.x), atol=1e-6)


def test_a_version_1_file_without_a_recipe_loads_without_one(fitted_detector):
    model = from_bytes(version_1(fitted_detector, {"composition": {"size": "lots"}}))
    assert model.composition is None and model.train_size is None
    assert model.detector.threshold_ == fitted_detector.threshold_


def test_the_expected_tensors_are_the_networks_own(fitted_detector):
    state = fitted_detector.model_.state_dict()
    assert expected_tensors(fitted_detector.spec) == {k: list(v.shape) for k, v in state.items()}
