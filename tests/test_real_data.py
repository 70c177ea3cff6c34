"""The real ECG5000 (skipped when absent): contents, the fixed split, and the default model's quality."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import CLASS_NAMES, SPLIT_SEED, split_beats, zscore
from core.ucr import load_ucr
from core.evaluation import train_and_evaluate
from core.metrics import per_class_recall
from core.model import AutoencoderSpec
from core.train import TrainConfig

ALL_COUNTS = {1: 2919, 2: 1767, 3: 96, 4: 194, 5: 24}


@pytest.fixture(scope="module")
def beats(real_data_dir):
    return load_ucr(real_data_dir)


@pytest.fixture(scope="module")
def split(beats):
    return split_beats(beats)


def counts(y) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))}


def test_shape_and_types(beats):
    assert beats.x.shape == (5000, 140) and beats.x.dtype == np.float32
    assert beats.y.shape == (5000,) and beats.y.dtype == np.int64
    assert np.isfinite(beats.x).all()


def test_class_counts(beats):
    assert counts(beats.y) == ALL_COUNTS
    assert counts(beats.y[:500]) == {1: 292, 2: 177, 3: 10, 4: 19, 5: 2}  # the UCR train file comes first
    assert set(CLASS_NAMES) == set(ALL_COUNTS)
    assert int(beats.is_anomaly.sum()) == 5000 - 2919


def test_beats_are_already_per_beat_z_scored(beats):
    np.testing.assert_allclose(beats.x.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(beats.x.std(axis=1, ddof=1), 1, atol=1e-3)
    np.testing.assert_allclose(zscore(beats.x), beats.x, atol=1e-3)


def test_split_sizes(split):
    assert (len(split.train), len(split.validation), len(split.test)) == (3000, 1000, 1000)


def test_split_is_disjoint_and_complete(beats, split):
    def rows(b):
        return {row.tobytes() for row in b.x}

    everything = rows(beats)
    assert len(everything) == 5000  # no duplicate beats, so rows identify beats
    train, val, test = rows(split.train), rows(split.validation), rows(split.test)
    assert not train & val and not train & test and not val & test
    assert train | val | test == everything


@pytest.mark.parametrize("part, fraction", [("train", 0.6), ("validation", 0.2), ("test", 0.2)])
def test_split_is_stratified(split, part, fraction):
    got = counts(getattr(split, part).y)
    for label, total in ALL_COUNTS.items():
        assert abs(got[label] - fraction * total) <= 1, (label, got[label], fraction * total)


def test_split_is_the_fixed_one(beats, split):
    again = split_beats(beats, seed=SPLIT_SEED)
    np.testing.assert_array_equal(again.test.x, split.test.x)
    np.testing.assert_array_equal(again.validation.y, split.validation.y)


def test_default_model_reaches_high_test_auc(split):
    config = TrainConfig(epochs=30, device="cpu")
    detector, evaluation = train_and_evaluate(split, AutoencoderSpec(), config)
    assert detector.result_.status == "completed"
    assert evaluation.test_auc > 0.97, evaluation.summary()
    assert evaluation.val_auc > 0.97
    assert evaluation.test_metrics["accuracy"] > 0.9 and evaluation.test_metrics["f1"] > 0.9
    recall = per_class_recall(evaluation.test_scores, split.test.y, evaluation.threshold)
    assert recall[1] < 0.1 and recall[2] > 0.9  # few normal beats flagged, most R-on-T PVC caught
