"""core.metrics: threshold sweep, curves, AUC, per-class recall, reconstruction errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hand_example import LABELS, SCORES, brute_counts, brute_f1

from core.metrics import (
    METRIC_NAMES,
    Confusion,
    ThresholdSweep,
    auc,
    per_class_recall,
    pr_curve,
    reconstruction_errors,
    roc,
    thinned,
)


# ---------------------------------------------------------------- hand example


def test_confusion_at_0_35_by_hand():
    # flagged (> 0.35): 0.4 (normal), 0.5, 0.6 (abnormal); kept: 0.1, 0.2 (normal), 0.3 (abnormal)
    confusion = ThresholdSweep(SCORES, LABELS).confusion(0.35)
    assert confusion == Confusion(tp=2, fp=1, tn=2, fn=1)
    assert confusion.to_dict() == {"tp": 2, "fp": 1, "tn": 2, "fn": 1}


def test_metrics_at_0_35_by_hand():
    m = ThresholdSweep(SCORES, LABELS).metrics(0.35)
    assert set(m) == set(METRIC_NAMES)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)   # 2 / (2 + 1)
    assert m["recall"] == pytest.approx(2 / 3)      # 2 / (2 + 1)
    assert m["tpr"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["fpr"] == pytest.approx(1 / 3)         # 1 / (1 + 2)
    assert m["tnr"] == pytest.approx(2 / 3)
    assert m["fnr"] == pytest.approx(1 / 3)


def test_metrics_with_unequal_precision_and_recall_by_hand():
    # threshold 0.45: flagged 0.5, 0.6 (both abnormal) -> tp 2, fp 0, tn 3, fn 1
    m = ThresholdSweep(SCORES, LABELS).metrics(0.45)
    assert m == pytest.approx({"accuracy": 5 / 6, "precision": 1.0, "recall": 2 / 3, "f1": 0.8,
                               "fpr": 0.0, "fnr": 1 / 3, "tpr": 2 / 3, "tnr": 1.0})


def test_a_score_equal_to_the_threshold_is_not_flagged():
    sweep = ThresholdSweep(SCORES, LABELS)
    assert sweep.confusion(0.4) == Confusion(tp=2, fp=0, tn=3, fn=1)
    assert sweep.confusion(np.nextafter(0.4, 0)) == Confusion(tp=2, fp=1, tn=2, fn=1)


def test_metrics_order_of_scores_does_not_matter():
    perm = np.array([3, 0, 5, 1, 4, 2])
    assert ThresholdSweep(SCORES[perm], LABELS[perm]).confusion(0.35) == Confusion(2, 1, 2, 1)


# ---------------------------------------------------------------- edges


@pytest.mark.parametrize("threshold", [-1.0, 0.0, 0.0999])
def test_threshold_below_every_score_flags_everything(threshold):
    sweep = ThresholdSweep(SCORES, LABELS)
    assert sweep.confusion(threshold) == Confusion(tp=3, fp=3, tn=0, fn=0)
    m = sweep.metrics(threshold)
    assert (m["recall"], m["precision"], m["fpr"], m["tnr"]) == (1.0, 0.5, 1.0, 0.0)


@pytest.mark.parametrize("threshold", [0.6, 0.61, 1e9, np.inf])
def test_threshold_at_or_above_every_score_flags_nothing(threshold):
    sweep = ThresholdSweep(SCORES, LABELS)
    assert sweep.confusion(threshold) == Confusion(tp=0, fp=0, tn=3, fn=3)
    m = sweep.metrics(threshold)
    assert m == {"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0,
                 "fpr": 0.0, "fnr": 1.0, "tpr": 0.0, "tnr": 1.0}


def test_all_zero_confusion_metrics_are_zero_not_nan():
    assert Confusion(0, 0, 0, 0).metrics() == dict.fromkeys(METRIC_NAMES, 0.0)


def test_sweep_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"scores and labels must be 1-D and equal length, got \(3,\) and \(2,\)"):
        ThresholdSweep([1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        ThresholdSweep(np.zeros((2, 2)), np.zeros((2, 2)))


# ---------------------------------------------------------------- against brute force


@pytest.fixture(scope="module")
def random_case():
    rng = np.random.default_rng(42)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(labels * 1.0, 1.0), 1)  # rounded: many ties
    thresholds = np.concatenate([rng.uniform(scores.min() - 1, scores.max() + 1, 200), scores[:20]])
    return scores, labels, thresholds


def test_vectorised_counts_equal_a_brute_force_loop(random_case):
    scores, labels, thresholds = random_case
    tp, fp, tn, fn = ThresholdSweep(scores, labels).counts(thresholds)
    brute = np.array([brute_counts(scores, labels, t) for t in thresholds])
    np.testing.assert_array_equal(np.column_stack([tp, fp, tn, fn]), brute)


def test_vectorised_f1_equals_brute_force(random_case):
    scores, labels, thresholds = random_case
    np.testing.assert_allclose(ThresholdSweep(scores, labels).f1(thresholds),
                               [brute_f1(scores, labels, t) for t in thresholds])


@pytest.mark.parametrize("seed", range(5))
def test_best_f1_threshold_is_optimal(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 80)
    scores = np.round(rng.normal(labels * 0.8, 1.0), 2)
    sweep = ThresholdSweep(scores, labels)
    best = sweep.best_f1_threshold()
    best_f1 = brute_f1(scores, labels, best)
    every_cut = np.concatenate([[-np.inf], np.unique(scores)])  # all distinct flaggings
    optimum = max(brute_f1(scores, labels, t) for t in every_cut)
    assert best_f1 == pytest.approx(optimum)
    # ties: the lowest threshold reaching the optimum flags the most beats
    lower = [t for t in sweep.candidate_thresholds() if t < best]
    assert all(brute_f1(scores, labels, t) < best_f1 for t in lower)


def test_best_f1_threshold_by_hand():
    # candidates (F1): below all (tp3 fp3: 2/3), 0.15 (tp3 fp2: 3/4), 0.25 (tp3 fp1: 6/7),
    # 0.35 (tp2 fp1 fn1: 2/3), 0.45 (tp2 fn1: 4/5), 0.55 (tp1 fn2: 1/2), above all (0)
    sweep = ThresholdSweep(SCORES, LABELS)
    np.testing.assert_allclose(sweep.f1(sweep.candidate_thresholds()), [2 / 3, 3 / 4, 6 / 7, 2 / 3, 4 / 5, 1 / 2, 0])
    assert sweep.best_f1_threshold() == pytest.approx(0.25)


def test_candidate_thresholds_are_midpoints_plus_both_ends():
    c = ThresholdSweep(np.array([0.3, 0.1, 0.2, 0.2]), np.array([1, 0, 0, 1])).candidate_thresholds()
    assert c[0] < 0.1 and c[-1] > 0.3
    np.testing.assert_allclose(c[1:-1], [0.15, 0.25])


def test_best_f1_can_flag_everything():
    assert ThresholdSweep(np.array([0.1, 0.2]), np.array([1, 1])).best_f1_threshold() < 0.1


def test_best_f1_can_flag_everything_with_large_scores():
    scores, labels = np.array([1e5, 2e5, 3e5]), np.array([1, 0, 1])
    sweep = ThresholdSweep(scores, labels)
    assert sweep.candidate_thresholds()[0] < 1e5
    assert brute_f1(scores, labels, sweep.best_f1_threshold()) == pytest.approx(0.8)  # flag all: tp2 fp1


# ---------------------------------------------------------------- curves, auc, per class, errors


def test_auc_values():
    assert auc(SCORES, LABELS) == pytest.approx(8 / 9)  # 8 of the 9 (abnormal, normal) pairs ordered right
    assert auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1]])
def test_auc_is_nan_for_a_single_class(labels):
    assert math.isnan(auc([0.1, 0.5, 0.9], labels))


def test_roc_and_pr_curves():
    r = roc(SCORES, LABELS)
    assert r["auc"] == pytest.approx(8 / 9)
    assert r["fpr"][0] == 0 and r["fpr"][-1] == 1 and r["tpr"][-1] == 1
    assert np.all(np.diff(r["fpr"]) >= 0) and np.all(np.diff(r["tpr"]) >= 0)
    p = pr_curve(SCORES, LABELS)
    # AP = sum over recall steps of precision: 1/3*1 (0.6) + 1/3*1 (0.5) + 1/3*3/4 (0.3)
    assert p["average_precision"] == pytest.approx(1 / 3 + 1 / 3 + 1 / 4)
    assert len(p["precision"]) == len(p["recall"]) == len(p["thresholds"]) + 1


def test_per_class_recall_by_hand():
    scores = np.array([0.1, 0.9, 0.8, 0.2, 0.7, 0.3, 0.95])
    classes = np.array([1, 1, 2, 2, 3, 4, 4])
    assert per_class_recall(scores, classes, 0.5) == {1: 0.5, 2: 0.5, 3: 1.0, 4: 0.5}
    assert per_class_recall(scores, classes, 0.99) == {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}


def test_reconstruction_errors_by_hand():
    x = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
    rec = np.array([[1.0, -1.0, 2.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(reconstruction_errors(x, rec), [1.5, 0.0])          # (1 + 1 + 4 + 0) / 4
    np.testing.assert_allclose(reconstruction_errors(x, rec, "mae"), [1.0, 0.0])   # (1 + 1 + 2 + 0) / 4
    assert reconstruction_errors(x, rec).dtype == np.float64


def test_reconstruction_errors_refuses_unknown_kind():
    with pytest.raises(ValueError, match=r"error kind must be 'mse' or 'mae', got 'rmse'"):
        reconstruction_errors(np.zeros((1, 3)), np.zeros((1, 3)), "rmse")


def test_a_thinned_curve_keeps_its_ends_every_kth_point_and_at_most_the_points_asked():
    assert thinned(5, 300) == [0, 1, 2, 3, 4]
    assert thinned(0, 300) == []
    kept = thinned(2000, 300)
    assert len(kept) <= 300 and kept[0] == 0 and kept[-1] == 1999
    assert set(np.diff(kept[:-1])) == {7}
    assert thinned(2007, 300)[:len(kept) - 1] == kept[:-1]  # a growing curve keeps its points until k changes
