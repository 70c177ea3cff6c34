"""core.attack: the returned beats really flip under the detector's own predict, both ways."""

from __future__ import annotations

import numpy as np
import pytest

from core.attack import find_flips
from core.data import zscore
from core.detector import AutoencoderDetector, NotFittedError


@pytest.fixture(scope="module")
def flips(fitted_detector, split500):
    test = split500.test
    picks = np.r_[np.flatnonzero(test.y == 1)[:2], np.flatnonzero(test.y == 2)[:2]]
    return picks, find_flips(fitted_detector, test.x[picks] * 3 + 1)  # any scale: z-scored first


def test_both_directions_flip_under_predict(flips, fitted_detector, split500):
    picks, results = flips
    assert [f.original_verdict for f in results] == [0, 0, 1, 1]
    for flip, index in zip(results, picks):
        np.testing.assert_allclose(flip.original, split500.test.x[index], atol=1e-5)
        assert flip.flipped
        assert fitted_detector.predict(flip.adversarial)[0] == 1 - flip.original_verdict
        assert fitted_detector.predict(zscore(flip.adversarial))[0] == 1 - flip.original_verdict  # as scored again
        assert 0 < flip.relative_change < 2
        assert flip.relative_change == pytest.approx(np.linalg.norm(flip.difference) / np.linalg.norm(flip.original))
        assert (flip.adversarial_score < flip.threshold) == (flip.original_verdict == 1)
        assert flip.scores[0] == pytest.approx(flip.original_score, rel=1e-3)
        assert flip.summary()["to"] == ("normal" if flip.original_verdict else "abnormal")


def test_the_search_keeps_the_smallest_flip(flips, fitted_detector):
    _, results = flips
    flip = results[2]
    halfway = flip.original + 0.5 * flip.difference
    assert fitted_detector.predict(zscore(halfway))[0] == flip.original_verdict  # half the change is not enough


def test_flat_beats_and_unfitted_detectors_are_refused(fitted_detector):
    with pytest.raises(ValueError, match="a flat beat has no shape to change"):
        find_flips(fitted_detector, np.zeros((1, 140)))
    with pytest.raises(NotFittedError, match="no threshold yet"):
        find_flips(AutoencoderDetector(), np.ones((1, 140)))
