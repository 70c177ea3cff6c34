"""What the Thresholds page shows at one threshold, from the model's cached test scores.

A slider move never retrains or rescores: the test scores live in the model's ``Evaluation``,
the ROC and PR curves are cached per model id, and a ``ThresholdSweep`` turns a threshold into
confusion counts with one binary search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app.figures import score_axis_max
from app.models import TrainedModel
from core.data import CLASS_NAMES, NORMAL_CLASS, Split
from core.metrics import Confusion, ThresholdSweep, per_class_recall, pr_curve, roc

SLIDER_KEY = "threshold_slider"
SLIDER_MODEL_KEY = "threshold_slider_model_id"  # which model the slider's value belongs to
SLIDER_STEPS = 1000


@dataclass(frozen=True)
class Curves:
    """ROC and PR curves of one model's test scores, plus the sweep that answers slider moves."""

    roc: dict
    pr: dict
    sweep: ThresholdSweep


@st.cache_data(max_entries=16, show_spinner=False)
def test_curves(model_id: str, _scores: np.ndarray, _labels: np.ndarray) -> Curves:
    """Computed once per model (model ids are unique per server process, so they key the cache)."""
    return Curves(roc(_scores, _labels), pr_curve(_scores, _labels), ThresholdSweep(_scores, _labels))


def model_curves(model: TrainedModel, split: Split) -> Curves:
    return test_curves(model.id, model.evaluation.test_scores, split.test.is_anomaly)


@dataclass(frozen=True)
class SliderRange:
    low: float
    high: float
    step: float

    @property
    def format(self) -> str:
        return f"%.{max(3, -math.floor(math.log10(self.step)))}f"


def slider_range(scores: np.ndarray, calibrated: float) -> SliderRange:
    """Over the test scores (and the calibrated threshold, should it lie outside), in round steps."""
    low, high = min(float(np.min(scores)), calibrated), max(float(np.max(scores)), calibrated)
    step = 10.0 ** math.floor(math.log10(max(high - low, 1e-12) / SLIDER_STEPS))
    return SliderRange(math.floor(low / step) * step, math.ceil(high / step) * step, step)


def histogram_x_max(scores: np.ndarray, threshold: float) -> float:
    """Wide enough for nearly all scores, and for the threshold line wherever the slider puts it."""
    return max(score_axis_max(scores), threshold * 1.05)


def follow_model(model: TrainedModel) -> None:
    """Start the slider at the model's calibrated threshold whenever the session's model changes."""
    if st.session_state.get(SLIDER_MODEL_KEY) != model.id:
        st.session_state[SLIDER_MODEL_KEY] = model.id
        st.session_state[SLIDER_KEY] = model.threshold


def set_threshold(value: float) -> None:
    st.session_state[SLIDER_KEY] = value


@dataclass(frozen=True)
class OperatingPoint:
    """Everything the page reports at one threshold."""

    threshold: float
    confusion: Confusion
    metrics: dict[str, float]

    @property
    def roc_point(self) -> tuple[float, float]:
        return self.metrics["fpr"], self.metrics["tpr"]

    @property
    def pr_point(self) -> tuple[float, float | None]:
        """(recall, precision); precision None when nothing is flagged (it is undefined then)."""
        c = self.confusion
        return self.metrics["recall"], self.metrics["precision"] if c.tp + c.fp else None

    def trade_off(self) -> str:
        c = self.confusion
        return (f"At {self.threshold:.3f}: {c.fn} missed anomalies out of {c.tp + c.fn} abnormal beats, "
                f"{c.fp} false alarms out of {c.tn + c.fp} normal beats.")

    def confusion_table(self) -> pd.DataFrame:
        c = self.confusion
        return pd.DataFrame([[c.tn, c.fp], [c.fn, c.tp]], index=["Actually normal", "Actually abnormal"],
                            columns=["Predicted normal", "Predicted abnormal"])


def operating_point(curves: Curves, threshold: float) -> OperatingPoint:
    confusion = curves.sweep.confusion(threshold)
    return OperatingPoint(threshold, confusion, confusion.metrics())


def per_class_table(model: TrainedModel, split: Split, threshold: float) -> pd.DataFrame:
    """Share of each class's test beats flagged abnormal: recall for 2-5, false alarms for 1."""
    flagged = per_class_recall(model.evaluation.test_scores, split.test.y, threshold)
    counts = {cls: int((split.test.y == cls).sum()) for cls in flagged}
    return pd.DataFrame({
        "Class": [f"{cls} · {CLASS_NAMES[cls]}" for cls in flagged],
        "Test beats": list(counts.values()),
        "Flagged abnormal": [round(share * counts[cls]) for cls, share in flagged.items()],
        "Share flagged": list(flagged.values()),
        "Meaning": ["false-alarm rate" if cls == NORMAL_CLASS else "recall" for cls in flagged],
    })
