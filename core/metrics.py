"""Scores, curves and threshold metrics. A beat is flagged abnormal when its score > threshold.

Labels are 1 = abnormal (the positive class), 0 = normal. ``ThresholdSweep`` sorts the scores
once; metrics at any threshold (or an array of thresholds) are then a binary search each, fast
enough to follow a slider without rescoring anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "fpr", "fnr", "tpr", "tnr")
ERROR_KINDS = ("mse", "mae")


def reconstruction_errors(x: np.ndarray, reconstruction: np.ndarray, kind: str = "mse") -> np.ndarray:
    """Per-beat error: mean squared (default) or mean absolute difference over the 140 points."""
    diff = np.asarray(reconstruction, np.float64) - np.asarray(x, np.float64)
    if kind == "mse":
        return np.mean(diff * diff, axis=-1)
    if kind == "mae":
        return np.mean(np.abs(diff), axis=-1)
    raise ValueError(f"error kind must be 'mse' or 'mae', got {kind!r}")


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    tn: int
    fn: int

    def metrics(self) -> dict[str, float]:
        """Accuracy, precision, recall (= TPR), F1, FPR, FNR, TPR, TNR; 0 where undefined."""
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        total = tp + fp + tn + fn
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, tp + fn)
        return {
            "accuracy": _ratio(tp + tn, total),
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
            "fpr": _ratio(fp, fp + tn),
            "fnr": _ratio(fn, fn + tp),
            "tpr": recall,
            "tnr": _ratio(tn, tn + fp),
        }

    def to_dict(self) -> dict[str, int]:
        return {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


class ThresholdSweep:
    """Confusion counts at any threshold, from scores sorted once."""

    def __init__(self, scores: np.ndarray, labels: np.ndarray):
        scores = np.asarray(scores, np.float64)
        labels = np.asarray(labels).astype(bool)
        if scores.shape != labels.shape or scores.ndim != 1:
            raise ValueError(f"scores and labels must be 1-D and equal length, got {scores.shape} and {labels.shape}")
        order = np.argsort(scores, kind="stable")
        self.scores = scores
        self.labels = labels
        self._sorted = scores[order]
        # positives/negatives with score <= sorted[i], cumulated
        self._pos_at_or_below = np.cumsum(labels[order])
        self.positives = int(labels.sum())
        self.negatives = int(len(labels) - self.positives)

    def counts(self, thresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tp, fp, tn, fn) arrays for an array of thresholds (score > threshold = flagged)."""
        below = np.searchsorted(self._sorted, np.asarray(thresholds, np.float64), side="right")
        pos_below = np.where(below > 0, self._pos_at_or_below[np.maximum(below - 1, 0)], 0)
        neg_below = below - pos_below
        tp = self.positives - pos_below
        fp = self.negatives - neg_below
        return tp, fp, neg_below, pos_below

    def confusion(self, threshold: float) -> Confusion:
        tp, fp, tn, fn = (int(a[0]) for a in self.counts(np.array([threshold])))
        return Confusion(tp, fp, tn, fn)

    def metrics(self, threshold: float) -> dict[str, float]:
        return self.confusion(threshold).metrics()

    def f1(self, thresholds) -> np.ndarray:
        tp, fp, _, fn = self.counts(thresholds)
        den = 2 * tp + fp + fn
        return np.divide(2 * tp, den, out=np.zeros(len(tp), np.float64), where=den > 0)

    def candidate_thresholds(self) -> np.ndarray:
        """Midpoints between distinct scores, plus one below all and one above all."""
        unique = np.unique(self._sorted)
        mids = (unique[:-1] + unique[1:]) / 2
        return np.concatenate([[np.nextafter(unique[0], -np.inf)], mids, [np.nextafter(unique[-1], np.inf)]])

    def best_f1_threshold(self) -> float:
        """The threshold with the highest F1 (ties: the lowest such threshold)."""
        candidates = self.candidate_thresholds()
        return float(candidates[int(np.argmax(self.f1(candidates)))])


def histogram_end(scores: np.ndarray) -> float:
    """Where a histogram of scores ends: past nearly all of them, not stretched by a few outliers."""
    return float(np.quantile(scores, 0.99)) * 1.1


def error_counts(scores: np.ndarray, is_anomaly: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin edges, normal counts, abnormal counts): a histogram of scores from 0 to ``histogram_end``,
    the few beyond it counted in the last bin."""
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    edges = np.linspace(0.0, histogram_end(scores), bins + 1)
    clipped = np.minimum(scores, edges[-1])
    return edges, np.histogram(clipped[~is_anomaly], edges)[0], np.histogram(clipped[is_anomaly], edges)[0]


def thinned(count: int, most: int) -> list[int]:
    """Indices of at most ``most`` (>= 2) of ``count`` points of a curve, to draw it: every k-th from
    the first, and the last. A curve that grows keeps the points it had until k changes."""
    if count <= most:
        return list(range(count))
    step = -(-(count - 1) // (most - 1))
    return [*range(0, count - 1, step), count - 1]


def roc(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray | float]:
    fpr, tpr, thresholds = roc_curve(labels, scores)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thresholds, "auc": float(roc_auc_score(labels, scores))}


def pr_curve(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray | float]:
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    return {"precision": precision, "recall": recall, "thresholds": thresholds,
            "average_precision": float(average_precision_score(labels, scores))}


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC; NaN when only one class is present (AUC is undefined then)."""
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, scores))


def per_class_recall(scores: np.ndarray, classes: np.ndarray, threshold: float) -> dict[int, float]:
    """For each UCR class present: the share of its beats flagged abnormal (recall for 2-5)."""
    flagged = np.asarray(scores) > threshold
    classes = np.asarray(classes)
    return {int(c): float(flagged[classes == c].mean()) for c in np.unique(classes)}
