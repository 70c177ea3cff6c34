"""core.baselines on the synthetic split: every detector ranks abnormal beats higher, chooses its
own setting on validation, and the comparison measures them all the same way."""

from __future__ import annotations

import numpy as np
import pytest

from core.baselines import (IsolationForestDetector, MeanBeatDistance, NearestNeighbourDistance,
                            OneClassSVMDetector, PCAReconstruction, compare, measure)
from core.data import Composition
from core.metrics import ThresholdSweep, auc


@pytest.mark.parametrize("detector", [MeanBeatDistance(), PCAReconstruction(), NearestNeighbourDistance(),
                                      OneClassSVMDetector(), IsolationForestDetector(trees=50)],
                         ids=lambda d: type(d).__name__)
def test_each_detector_scores_abnormal_beats_higher(detector, split500):
    fitted = detector.fit(split500.train.normal, split500.validation)
    assert fitted is detector
    scores = detector.decision_function(split500.test.x)
    assert scores.shape == (len(split500.test),)
    assert auc(scores, split500.test.is_anomaly) > 0.95
    assert detector.size_ > 0


def test_the_mean_beat_is_a_template():
    x = np.array([[0.0, 2.0], [2.0, 0.0]])
    template = MeanBeatDistance().fit(x)
    np.testing.assert_allclose(template.mean_, [1.0, 1.0])
    np.testing.assert_allclose(template.decision_function([[1.0, 1.0], [3.0, 1.0]]), [0.0, 2.0])
    assert template.size_ == 2


def test_pca_and_svm_choose_on_validation_or_take_a_given_setting(split500):
    pca = PCAReconstruction().fit(split500.train.normal, split500.validation)
    assert 1 <= pca.k_ <= 40 and pca.size_ == (pca.k_ + 1) * 140
    assert PCAReconstruction(components=3).fit(split500.train.normal).k_ == 3
    with pytest.raises(ValueError, match="PCA chooses its number of components on validation beats"):
        PCAReconstruction().fit(split500.train.normal)
    assert OneClassSVMDetector().fit(split500.train.normal, split500.validation).nu_ in OneClassSVMDetector.NU_CHOICES
    assert OneClassSVMDetector(nu=0.2).fit(split500.train.normal).nu_ == 0.2


def test_compare_uses_the_validation_best_f1_threshold(split500):
    results = compare(split500, Composition(size=150, seed=2))
    assert [r.name for r in results] == ["One-Class SVM", "nearest neighbour", "PCA reconstruction",
                                         "distance to the mean beat", "Isolation Forest"]
    for r in results:
        assert 0.5 < r.test_auc <= 1 and 0 <= r.f1 <= 1 and r.fit_seconds >= 0 and r.inference_seconds >= 0
        assert r.fpr[0] == 0 and r.tpr[-1] == 1
        assert set(r.row()) == {"name", "test_auc", "f1", "precision", "recall", "threshold", "fit_seconds",
                                "inference_seconds", "size", "note"}
    nn = results[1]
    assert nn.size == 150 * 140  # it keeps every training beat


def test_measure_matches_the_sweep(split500, fitted_detector):
    result = measure("autoencoder", fitted_detector, split500, fit_seconds=1.0, size=123)
    val = fitted_detector.decision_function(split500.validation.x)
    assert result.threshold == ThresholdSweep(val, split500.validation.is_anomaly).best_f1_threshold()
    assert result.threshold == pytest.approx(fitted_detector.threshold_)
    test = ThresholdSweep(fitted_detector.decision_function(split500.test.x), split500.test.is_anomaly)
    assert result.f1 == pytest.approx(test.metrics(result.threshold)["f1"])
