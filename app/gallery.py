"""What the Introduction page shows: sample test beats, one beat's verdict, the training replay.

Everything here reads the session's current model; nothing trains or rescores the test set.
The pictures are static SVG (see app.static_figures), drawn once per model and shared by every
session that shows the same model: a new session on the default model draws nothing. Model ids
are unique for the server's life, and ``beats`` is always the server's one test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app.figures import score_axis_max
from app.models import ReplayFrame, TrainedModel
from app.static_figures import beat_svg, histogram_svg, network_svg
from core.data import CLASS_NAMES, NORMAL_CLASS, Beats
from core.detector import ABOVE, BELOW, BeatVerdict
from core.metrics import ThresholdSweep, auc

ALL_CLASSES = 0  # the gallery filter's "no filter" option
GALLERY_SIZE = 12
# Pictures kept (about 25 KB each; at most ~15 MB in all): beats shown, replay frames, models.
BEAT_PICTURES, REPLAY_PICTURES, MODEL_PICTURES = 400, 150, 50


def gallery_sample(beats: Beats, cls: int, seed: int, size: int = GALLERY_SIZE) -> np.ndarray:
    """Indices of up to ``size`` beats of class ``cls`` (or any class), the same for the same seed."""
    pool = np.arange(len(beats)) if cls == ALL_CLASSES else np.flatnonzero(beats.y == cls)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, min(size, len(pool)), replace=False))


def judge_beat(model: TrainedModel, beats: Beats, index: int) -> BeatVerdict:
    """Test beat ``index`` judged by the model in use (``AutoencoderDetector.judge``: one forward pass)."""
    return model.detector.judge(beats.x[index])[0]


def score_against_threshold(judged: BeatVerdict) -> str:
    """The rule at work, in numbers: "Anomaly score **0.393** > threshold **0.132**"."""
    sign = ">" if judged.score > judged.threshold else "≤"
    rule = f"Anomaly score **{judged.score:.3f}** {sign} threshold **{judged.threshold:.3f}**"
    return rule if judged.reason in (ABOVE, BELOW) else f"{rule}, but the beat is {judged.explanation}"


def is_correct(judged: BeatVerdict, true_class: int) -> bool:
    return judged.abnormal == (true_class != NORMAL_CLASS)


def explanation(judged: BeatVerdict, true_class: int) -> str:
    truth = f"This is a **{CLASS_NAMES[true_class]}** beat (class {true_class})"
    if is_correct(judged, true_class):
        return f"Right. {truth}, so **{judged.verdict}** is the correct verdict."
    mistake = "a false alarm" if judged.abnormal else "a missed anomaly"
    return f"Wrong: {mistake}. {truth}, yet the model says **{judged.verdict}**."


def typical_beats(model: TrainedModel, beats: Beats) -> tuple[int, int]:
    """(normal, abnormal) beat indices whose test score is the median of their group."""
    scores = model.evaluation.test_scores
    picks = []
    for mask in (beats.is_anomaly == 0, beats.is_anomaly == 1):
        candidates = np.flatnonzero(mask)
        picks.append(int(candidates[np.argsort(scores[candidates])[len(candidates) // 2]]))
    return picks[0], picks[1]


def accuracy_comparison(model: TrainedModel, beats: Beats) -> dict[str, dict[str, str]]:
    """Test metrics of "call every beat normal" next to the model's, formatted for a table."""
    labels = beats.is_anomaly
    sweep = ThresholdSweep(model.evaluation.test_scores, labels)
    everything_normal = sweep.metrics(np.inf)
    model_metrics = sweep.metrics(model.threshold)
    rows = {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall", "F1": "f1"}
    table = {
        'Say "normal" to every beat': {name: f"{everything_normal[key]:.1%}" for name, key in rows.items()},
        "This model": {name: f"{model_metrics[key]:.1%}" for name, key in rows.items()},
    }
    table['Say "normal" to every beat']["Precision"] = "undefined: flags nothing"
    table['Say "normal" to every beat']["ROC AUC"] = "0.500"
    table["This model"]["ROC AUC"] = f"{model.evaluation.test_auc:.3f}"
    return table


def markdown_table(columns: dict[str, dict[str, str]]) -> str:
    """``{column: {row: cell}}`` as a markdown table, rows in the first column's order."""
    rows = list(next(iter(columns.values())))
    lines = [f"| | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| **{row}** | {' | '.join(column[row] for column in columns.values())} |" for row in rows]
    return "\n".join(lines)


@st.cache_data(max_entries=MODEL_PICTURES, show_spinner=False)
def network_picture(widths: tuple[int, ...]) -> str:
    return network_svg(list(widths))


def beat_picture(model: TrainedModel, index: int, judged: BeatVerdict,
                 size: tuple[float, float] = (6.0, 2.8)) -> str:
    """Test beat ``index`` (``judged`` by ``model``) against the model's reconstruction."""
    return _beat_picture(model.id, index, size, judged)


@st.cache_data(max_entries=BEAT_PICTURES, show_spinner=False)
def _beat_picture(model_id: str, index: int, size: tuple[float, float], _judged: BeatVerdict) -> str:
    return beat_svg(_judged.beat, _judged.reconstruction, size=size)


def score_picture(model: TrainedModel, beats: Beats) -> str:
    """The test beats' scores, normal vs abnormal, with the model's threshold."""
    return _score_picture(model.id, model, beats)


@st.cache_data(max_entries=MODEL_PICTURES, show_spinner=False)
def _score_picture(model_id: str, _model: TrainedModel, _beats: Beats) -> str:
    return histogram_svg(_model.evaluation.test_scores, _beats.is_anomaly, _model.threshold)


def replay_picture(source: TrainedModel, beats: Beats, epoch: int,
                   size: tuple[float, float] = (8.5, 3.0)) -> str:
    """The test beats' scores after ``epoch`` of the source's recorded run, on one x range for all epochs."""
    return _replay_picture(source.id, epoch, size, source, beats)


@st.cache_data(max_entries=REPLAY_PICTURES, show_spinner=False)
def _replay_picture(model_id: str, epoch: int, size: tuple[float, float], _source: TrainedModel,
                    _beats: Beats) -> str:
    frame = next(frame for frame in _source.replay if frame.epoch == epoch)
    return histogram_svg(frame.test_scores, _beats.is_anomaly, x_max=replay_x_max(_source.replay), size=size)


def replay_source(current: TrainedModel, default: TrainedModel) -> TrainedModel:
    """The model whose recorded training run is replayed: the session's, else the default."""
    return current if current.replay else default


def replay_x_max(frames: tuple[ReplayFrame, ...]) -> float:
    """One histogram range for every frame, so the errors visibly shrink from frame to frame."""
    return max(score_axis_max(frame.test_scores) for frame in frames)


@dataclass(frozen=True)
class FrameSummary:
    auc: float
    normal_median: float
    abnormal_median: float


def frame_summary(frame: ReplayFrame, beats: Beats) -> FrameSummary:
    abnormal = beats.is_anomaly.astype(bool)
    return FrameSummary(auc(frame.test_scores, abnormal), float(np.median(frame.test_scores[~abnormal])),
                        float(np.median(frame.test_scores[abnormal])))


def next_epoch(epochs: list[int], epoch: int) -> int | None:
    """The recorded epoch after ``epoch``, or None at the end."""
    later = [e for e in epochs if e > epoch]
    return later[0] if later else None
