"""core.detector (the estimator) and core.evaluation (threshold on validation, numbers on test) on synthetic beats."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hand_example import LABELS, SCORES, brute_counts

from core.data import Split
from core.detector import THRESHOLD_RULE, AutoencoderDetector, NotFittedError
from core.evaluation import evaluate, start_experiment, train_and_evaluate
from core.metrics import Confusion, ThresholdSweep, auc
from core.model import AutoencoderSpec
from core.train import TrainConfig


# ---------------------------------------------------------------- detector


def test_unfitted_detector_refuses_to_score():
    detector = AutoencoderDetector()
    for use in (lambda: detector.decision_function(np.zeros((1, 140))),
                lambda: detector.reconstruct(np.zeros((1, 140))),
                lambda: detector.encode(np.zeros((1, 140))),
                lambda: detector.result_):
        with pytest.raises(NotFittedError, match=r"not trained yet: call fit\(\) first"):
            use()


def test_predict_needs_a_threshold(split500):
    detector = AutoencoderDetector(AutoencoderSpec((16, 4)), TrainConfig(epochs=1, device="cpu"))
    with pytest.raises(NotFittedError, match=r"no threshold yet: call calibrate\(\)"):
        detector.predict(split500.test.x)
    detector.fit(split500.train.normal)
    with pytest.raises(NotFittedError, match="no threshold yet"):
        detector.predict(split500.test.x)


def test_decision_function_is_higher_for_anomalies(fitted_detector, split500):
    scores = fitted_detector.decision_function(split500.test.x)
    assert scores.shape == (100,) and np.all(scores >= 0)
    abnormal = split500.test.is_anomaly.astype(bool)
    assert np.median(scores[abnormal]) > 5 * np.median(scores[~abnormal])
    assert auc(scores, abnormal) > 0.95


def test_decision_function_is_the_mse_of_reconstruct(fitted_detector, split500):
    x = split500.validation.x[:10]
    rec = fitted_detector.reconstruct(x)
    assert rec.shape == (10, 140) and rec.dtype == np.float32
    np.testing.assert_allclose(fitted_detector.decision_function(x), np.mean((rec - x) ** 2, axis=1), rtol=1e-5)


def test_a_single_beat_is_scored_as_one_row(fitted_detector, split500):
    one = fitted_detector.decision_function(split500.test.x[0])
    assert one.shape == (1,)
    assert one[0] == pytest.approx(fitted_detector.decision_function(split500.test.x[:3])[0], rel=1e-5)
    assert fitted_detector.encode(split500.test.x[0]).shape == (1, 8)


def test_predict_flags_scores_above_the_threshold(fitted_detector, split500):
    scores = fitted_detector.decision_function(split500.test.x)
    predicted = fitted_detector.predict(split500.test.x)
    assert predicted.dtype == np.int8
    np.testing.assert_array_equal(predicted, (scores > fitted_detector.threshold_).astype(np.int8))


def test_calibrate_sets_the_best_f1_threshold():
    detector = AutoencoderDetector()
    assert detector.calibrate(SCORES, LABELS) is detector
    assert detector.threshold_ == pytest.approx(0.25)


def test_mae_detector(split500):
    detector = AutoencoderDetector(AutoencoderSpec((16, 4)), TrainConfig(epochs=2, device="cpu"), error="mae")
    detector.fit(split500.train.normal)
    x = split500.test.x[:5]
    np.testing.assert_allclose(detector.decision_function(x), np.abs(detector.reconstruct(x) - x).mean(1), rtol=1e-5)


def test_fit_exposes_the_run(split500):
    detector = AutoencoderDetector(AutoencoderSpec((16, 4)), TrainConfig(epochs=3, device="cpu"))
    assert detector.fit(split500.train.normal, split500.validation.normal) is detector
    assert detector.result_.status == "completed" and detector.result_.epochs_run == 3
    assert [h["epoch"] for h in detector.history_] == [1, 2, 3]
    assert detector.history_ is detector.training_.history


# ---------------------------------------------------------------- evaluation


@pytest.fixture(scope="module")
def evaluated(split500):
    spec = AutoencoderSpec((32, 8))
    config = TrainConfig(epochs=15, batch_size=32, device="cpu", seed=2)
    return train_and_evaluate(split500, spec, config)


def test_evaluate_gives_high_auc_on_synthetic_beats(evaluated):
    _, evaluation = evaluated
    assert evaluation.test_auc > 0.9 and evaluation.val_auc > 0.9
    assert evaluation.test_metrics["f1"] > 0.8


def test_evaluate_test_metrics_match_its_confusion_and_threshold(evaluated, split500):
    detector, ev = evaluated
    assert ev.threshold == detector.threshold_
    assert ev.threshold == ThresholdSweep(ev.val_scores, split500.validation.is_anomaly).best_f1_threshold()
    c = ev.test_confusion
    assert sum(c.values()) == len(split500.test) == len(ev.test_scores)
    assert (c["tp"], c["fp"], c["tn"], c["fn"]) == brute_counts(ev.test_scores, split500.test.is_anomaly,
                                                               ev.threshold)
    assert ev.test_metrics == Confusion(**c).metrics()
    assert ev.test_metrics["accuracy"] == pytest.approx((c["tp"] + c["tn"]) / len(split500.test))
    np.testing.assert_allclose(ev.test_scores, detector.decision_function(split500.test.x))
    assert ev.test_auc == pytest.approx(auc(ev.test_scores, split500.test.is_anomaly))


def test_evaluation_summary_is_json_ready(evaluated):
    import json

    summary = evaluated[1].summary()
    assert set(summary) == {"threshold", "threshold_rule", "val_auc", "test_auc", "test", "test_confusion"}
    assert summary["threshold_rule"] == THRESHOLD_RULE
    assert json.loads(json.dumps(summary)) == summary


def test_start_experiment_trains_on_the_composition_with_normal_validation(split500):
    from core.data import Composition

    detector, training = start_experiment(split500, AutoencoderSpec((16, 4)), TrainConfig(epochs=1, device="cpu"),
                                          Composition(100, 0.3, seed=1))
    assert training.train_size == 100
    assert len(training._val) == len(split500.validation.normal)
    assert detector.training_ is training


def test_evaluate_with_a_single_class_test_set_gives_nan_auc(fitted_detector, split500):
    only_normal = split500.test.subset(np.flatnonzero(split500.test.y == 1))
    ev = evaluate(_copy(fitted_detector), Split(split500.train, split500.validation, only_normal))
    assert math.isnan(ev.test_auc) and not math.isnan(ev.val_auc)
    assert ev.test_confusion["tp"] == ev.test_confusion["fn"] == 0


def _copy(detector):
    """A shallow copy, so that calibrating it leaves the shared fixture untouched."""
    clone = AutoencoderDetector(detector.spec, detector.config, detector.error)
    clone.model_ = detector.model_
    return clone


def test_predict_flags_a_flat_beat_whatever_its_score(fitted_detector, split500):
    flat = np.zeros((1, split500.test.x.shape[1]), np.float32)
    detector = copy.copy(fitted_detector)
    detector.threshold_ = float(fitted_detector.decision_function(flat)[0]) + 1.0  # score far below it
    assert detector.predict(flat)[0] == 1
    assert detector.predict(split500.test.normal[:5]).tolist() == [0] * 5


# ---------------------------------------------------------------- judge: the one verdict rule


def count_forward_passes(detector, monkeypatch) -> list[int]:
    """Batch sizes of every forward pass through ``detector``'s network from now on."""
    passes = []
    forward = detector.model_.forward
    monkeypatch.setattr(detector.model_, "forward", lambda x: passes.append(len(x)) or forward(x))
    return passes


def test_judge_gives_reconstruction_score_verdict_and_reason_from_one_forward_pass(fitted_detector, split500,
                                                                                 monkeypatch):
    x = split500.test.x
    expected_scores = fitted_detector.decision_function(x)
    expected_rebuilt = fitted_detector.reconstruct(x)
    passes = count_forward_passes(fitted_detector, monkeypatch)
    judged = fitted_detector.judge(x)
    assert passes == [100]
    np.testing.assert_allclose(judged.scores, expected_scores, rtol=1e-6)
    np.testing.assert_allclose(judged.reconstructions, expected_rebuilt, rtol=1e-6)
    above = expected_scores > fitted_detector.threshold_
    np.testing.assert_array_equal(judged.abnormal, above)
    assert set(judged.reasons[above]) == {"above"} and set(judged.reasons[~above]) == {"below"}
    one = judged[3]
    assert (one.score, one.threshold, one.abnormal) == (judged.scores[3], fitted_detector.threshold_, above[3])
    assert one.verdict == ("abnormal" if above[3] else "normal")
    np.testing.assert_array_equal(one.beat, x[3])


def test_a_single_drawn_beat_is_judged_with_one_forward_pass(fitted_detector, split500, monkeypatch):
    passes = count_forward_passes(fitted_detector, monkeypatch)
    verdict = fitted_detector.judge(split500.test.x[0])[0]
    assert passes == [1] and verdict.reconstruction.shape == (140,)


def test_flat_and_non_finite_beats_are_abnormal_whatever_their_score(fitted_detector, split500):
    flat = np.zeros(140, np.float32)
    nan_beat = split500.test.normal[0].copy()
    nan_beat[5] = np.nan
    inf_beat = split500.test.normal[1].copy()
    inf_beat[:70] = np.inf  # the first half infinite: not "flat", no score
    detector = copy.copy(fitted_detector)
    detector.threshold_ = float(fitted_detector.decision_function(flat)[0]) + 1.0  # the flat score far below it
    judged = detector.judge(np.stack([flat, nan_beat, inf_beat, split500.test.normal[2]]))
    assert judged.reasons.tolist() == ["flat", "unscorable", "unscorable", "below"]
    assert judged.abnormal.tolist() == [True, True, True, False]
    assert judged.scores[0] < detector.threshold_ and not np.isfinite(judged.scores[1:3]).any()
    assert judged[1].explanation == "its score could not be computed (not a finite number)"
    assert detector.predict(np.stack([flat, nan_beat])).tolist() == [1, 1]


def test_judge_needs_a_threshold(split500):
    detector = AutoencoderDetector(AutoencoderSpec((16, 4)), TrainConfig(epochs=1, device="cpu")).fit(split500.train.normal)
    with pytest.raises(NotFittedError, match="no threshold yet"):
        detector.judge(split500.test.x)


def test_an_unknown_error_kind_is_refused_at_construction():
    with pytest.raises(ValueError, match="the error must be one of mse, mae, got 'huber'"):
        AutoencoderDetector(error="huber")
