"""core.persistence: one safetensors file per detector; everything else is refused readably."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from core.detector import AutoencoderDetector
from core.model import AutoencoderSpec
from core.data import Composition
from core.persistence import (
    FORMAT,
    SCALER,
    VERSION,
    ModelFileError,
    from_bytes,
    load_detector,
    load_model,
    save_detector,
    to_bytes,
)
from core.train import TrainConfig

METRICS = {"test_auc": 0.987, "test": {"f1": 0.9}}
COMPOSITION = Composition(size=340, abnormal_fraction=0.25, seed=7)


@pytest.fixture(scope="module")
def saved(fitted_detector, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    assert save_detector(fitted_detector, path, METRICS, COMPOSITION, 340) == path
    return path


def read(path) -> tuple[dict, dict]:
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()


def rewrite(path, target, *, weights=None, **metadata_changes):
    """A copy of ``path`` at ``target`` with some metadata entries replaced (None = removed)."""
    tensors, metadata = read(path)
    metadata = {**metadata, **metadata_changes}
    metadata = {k: v for k, v in metadata.items() if v is not None}
    save_file(weights if weights is not None else tensors, str(target), metadata=metadata)
    return target


# ---------------------------------------------------------------- round trip


def test_round_trip_scores_identically(fitted_detector, saved, split500):
    loaded = load_detector(saved)
    x = split500.test.x
    np.testing.assert_allclose(loaded.decision_function(x), fitted_detector.decision_function(x), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(x), fitted_detector.predict(x))
    np.testing.assert_allclose(loaded.encode(x), fitted_detector.encode(x), atol=1e-6)


def test_round_trip_keeps_everything_else(fitted_detector, saved):
    model = load_model(saved)
    loaded = model.detector
    assert model.metrics == METRICS
    assert model.composition == COMPOSITION and model.train_size == 340
    assert loaded.threshold_ == fitted_detector.threshold_
    assert loaded.spec == fitted_detector.spec
    assert loaded.config == fitted_detector.config
    assert loaded.error == fitted_detector.error
    assert loaded.history_ == fitted_detector.history_
    assert loaded.result_ == fitted_detector.result_
    assert loaded.result_.status == "completed"
    assert not loaded.model_.training
    assert next(loaded.model_.parameters()).device == torch.device("cpu")
    for (k1, v1), (k2, v2) in zip(loaded.model_.state_dict().items(), fitted_detector.model_.state_dict().items()):
        assert k1 == k2 and torch.equal(v1.cpu(), v2.cpu())


def test_file_metadata(saved):
    _, metadata = read(saved)
    assert metadata["format"] == FORMAT and metadata["version"] == str(VERSION) == "2"
    assert json.loads(metadata["composition"]) == {"size": 340, "abnormal_fraction": 0.25, "seed": 7}
    assert json.loads(metadata["train_size"]) == 340
    assert json.loads(metadata["scaler"]) == SCALER
    assert json.loads(metadata["spec"]) == {"encoder_units": [32, 8], "input_size": 140,
                                            "activation": "relu", "output_activation": "linear"}


def test_bytes_round_trip(fitted_detector, split500):
    data = to_bytes(fitted_detector, METRICS)
    assert isinstance(data, bytes) and len(data) > 4 * fitted_detector.spec.param_count
    model = from_bytes(data)
    np.testing.assert_allclose(model.detector.decision_function(split500.test.x[:20]),
                               fitted_detector.decision_function(split500.test.x[:20]), atol=1e-6)
    assert model.metrics == METRICS and model.detector.threshold_ == fitted_detector.threshold_
    assert model.composition is None and model.train_size is None


def test_an_uncalibrated_detector_round_trips_without_threshold(split500):
    detector = AutoencoderDetector(AutoencoderSpec((16, 4), activation="tanh"),
                                   TrainConfig(epochs=2, device="cpu", optimizer="rmsprop"), error="mae")
    detector.fit(split500.train.normal)
    model = from_bytes(to_bytes(detector))
    loaded = model.detector
    assert loaded.threshold_ is None and model.metrics == {}
    assert loaded.spec.activation == "tanh" and loaded.error == "mae" and loaded.config.optimizer == "rmsprop"
    np.testing.assert_allclose(loaded.decision_function(split500.test.x), detector.decision_function(split500.test.x),
                               atol=1e-6)


def test_saving_an_untrained_detector_is_refused():
    from core.detector import NotFittedError

    with pytest.raises(NotFittedError):
        to_bytes(AutoencoderDetector())


# ---------------------------------------------------------------- refusals


def test_random_bytes_are_refused():
    data = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    with pytest.raises(ModelFileError, match=r"upload\.bin is not a saved model file \(safetensors expected\)"):
        from_bytes(data, name="upload.bin")


@pytest.mark.parametrize("content", [b"", b"\x00" * 3, b"{}", b"PK\x03\x04 a zip file"])
def test_empty_and_tiny_files_are_refused(tmp_path, content):
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=r"m\.safetensors is not a saved model file"):
        load_detector(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="not a saved model file"):
        load_detector(tmp_path / "nope.safetensors")


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(3, 3)}, str(path))
    with pytest.raises(ModelFileError, match=r"foreign\.safetensors is a safetensors file but not a model saved by this app"):
        load_detector(path)
    save_file({"weight": torch.zeros(3, 3)}, str(path), metadata={"format": "something-else"})
    with pytest.raises(ModelFileError, match="not a model saved by this app"):
        load_detector(path)


@pytest.mark.parametrize("version", ["3", "0", "1.0", None])
def test_another_format_version_is_refused(saved, tmp_path, version):
    path = rewrite(saved, tmp_path / "v.safetensors", version=version)
    with pytest.raises(ModelFileError, match=rf"has model format version {version}; this app reads versions 1 and 2"):
        load_detector(path)


@pytest.mark.parametrize("spec", [
    {"encoder_units": [32, 4], "input_size": 140, "activation": "relu", "output_activation": "linear"},
    {"encoder_units": [32], "input_size": 140, "activation": "relu", "output_activation": "linear"},
    {"encoder_units": [32, 8], "input_size": 100, "activation": "relu", "output_activation": "linear"},
])
def test_a_spec_that_does_not_match_the_weights_is_refused(saved, tmp_path, spec):
    path = rewrite(saved, tmp_path / "s.safetensors", spec=json.dumps(spec))
    with pytest.raises(ModelFileError, match=r"is damaged or does not match its own description"):
        load_detector(path)


@pytest.mark.parametrize("changes", [
    {"spec": json.dumps({"encoder_units": [32, 0]})},                 # invalid spec
    {"spec": "{not json"},
    {"spec": None},                                                    # missing entry
    {"config": json.dumps({"optimizer": "lbfgs"})},                   # invalid config
    {"config": json.dumps({"unknown_field": 1})},
    {"history": "[1, 2"},
    {"threshold": None},
    {"composition": None},
])
def test_damaged_metadata_is_refused(saved, tmp_path, changes):
    path = rewrite(saved, tmp_path / "d.safetensors", **changes)
    with pytest.raises(ModelFileError, match=r"d\.safetensors is damaged or does not match its own description"):
        load_detector(path)


@pytest.mark.parametrize("changes", [
    {"threshold": json.dumps("high")},
    {"threshold": json.dumps([0.5])},
    {"result": json.dumps({"status": "completed"})},
    {"result": json.dumps("completed")},
])
def test_damaged_threshold_or_result_is_refused_as_a_model_file_error(saved, tmp_path, changes):
    path = rewrite(saved, tmp_path / "r.safetensors", **changes)
    try:
        load_detector(path)
    except ModelFileError as exc:
        assert "r.safetensors" in str(exc)
    else:
        pytest.fail("no error")


def test_missing_or_extra_weights_are_refused(saved, tmp_path):
    tensors, _ = read(saved)
    fewer = dict(list(tensors.items())[:-1])
    with pytest.raises(ModelFileError, match="does not match its own description"):
        load_detector(rewrite(saved, tmp_path / "a.safetensors", weights=fewer))
    more = {**tensors, "extra.weight": torch.zeros(2)}
    with pytest.raises(ModelFileError, match="does not match its own description"):
        load_detector(rewrite(saved, tmp_path / "b.safetensors", weights=more))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(saved, tmp_path, bad):
    tensors, _ = read(saved)
    name = "encoder.0.weight"
    tensors[name] = tensors[name].clone()
    tensors[name][0, 0] = bad
    with pytest.raises(ModelFileError, match=r"n\.safetensors holds NaN or infinite weights"):
        load_detector(rewrite(saved, tmp_path / "n.safetensors", weights=tensors))


def test_the_error_is_a_value_error_for_the_cli():
    assert issubclass(ModelFileError, ValueError)


def test_loading_never_unpickles(saved, monkeypatch, split500):
    def forbidden(*args, **kwargs):
        raise AssertionError("the loader must not unpickle")

    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"),
                         (torch, "load"), (np, "load")]:
        monkeypatch.setattr(module, name, forbidden)
    loaded = load_detector(saved)
    assert loaded.decision_function(split500.test.x[:3]).shape == (3,)
    from_bytes(saved.read_bytes())


def test_a_pickled_torch_file_is_refused_without_unpickling(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.zeros(2)}, path)

    def forbidden(*args, **kwargs):
        raise AssertionError("the loader must not unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    with pytest.raises(ModelFileError, match="not a saved model file"):
        load_detector(path)


def test_from_bytes_leaves_no_temporary_file(fitted_detector, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    from_bytes(to_bytes(fitted_detector))
    with pytest.raises(ModelFileError):
        from_bytes(b"junk")
    assert os.listdir(tmp_path) == []
