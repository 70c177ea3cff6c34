"""The test-metric tiles of the Train and Thresholds pages: one rule for how a metric reads, when
it is undefined, and how its change is coloured (by whether the change is good for that metric).

Tiles have a fixed width and sit in a wrapping row (``st.container(horizontal=True)``): on a
1024 px projector they wrap to a second row instead of clipping their values to "0.…".
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import TrainedModel

TILE_WIDTH = 150  # pixels: "100.0%" and "↑ +12.3 pp" fit at Streamlit's metric font size


@dataclass(frozen=True)
class Metric:
    label: str
    meaning: str
    lower_is_better: bool = False
    rate: bool = True  # a share (shown as a percentage); AUC is not


METRICS = {
    "auc": Metric("AUC", "Area under the ROC curve: the chance an abnormal beat scores above a normal one. "
                         "It does not depend on the threshold.", rate=False),
    "accuracy": Metric("Accuracy", "Share of all test beats judged right."),
    "precision": Metric("Precision", "Of the beats flagged abnormal, the share that are abnormal "
                                     "(undefined when nothing is flagged)."),
    "recall": Metric("Recall", "Of the abnormal beats, the share flagged (true-positive rate)."),
    "f1": Metric("F1", "The harmonic mean of precision and recall."),
    "fpr": Metric("FPR", "False-positive rate: of the normal beats, the share flagged (false alarms). "
                         "Lower is better.", lower_is_better=True),
    "fnr": Metric("FNR", "False-negative rate: of the abnormal beats, the share missed. Lower is better.",
                  lower_is_better=True),
}


def undefined(name: str, confusion: dict) -> bool:
    """Precision has no value when nothing is flagged (0 of 0), not 0 %."""
    return name == "precision" and confusion["tp"] + confusion["fp"] == 0


UNDEFINED = dict(value="—", delta="undefined", delta_color="off", delta_arrow="off")  # "undefined" fits only small


def metric_text(name: str, value: float) -> str:
    return f"{value:.1%}" if METRICS[name].rate else f"{value:.3f}"


def _delta(name: str, mine: float, theirs: float) -> dict:
    """A change against a baseline; green when it is good for this metric, red when bad."""
    rate = METRICS[name].rate
    change = round((mine - theirs) * 100, 1) if rate else round(mine - theirs, 3)
    if change == 0:
        return dict(delta="±0", delta_color="off", delta_arrow="off")
    text = f"{change:+.1f} pp" if rate else f"{change:+.3f}"
    return dict(delta=text, delta_color="inverse" if METRICS[name].lower_is_better else "normal")


def tiles(names, values: dict, confusion: dict, baseline: tuple[dict, dict] | None = None) -> list[dict]:
    """``st.metric`` arguments, one per metric name; with ``baseline`` (its values and confusion
    counts) each tile also shows its change against it (none where either side is undefined)."""
    result = []
    for name in names:
        tile = dict(label=METRICS[name].label, value=metric_text(name, values[name]), help=METRICS[name].meaning,
                    border=True, width=TILE_WIDTH)
        if undefined(name, confusion):
            tile.update(UNDEFINED)
        elif baseline is not None:
            their_values, their_confusion = baseline
            if undefined(name, their_confusion):
                tile.update(delta="no comparison", delta_color="off", delta_arrow="off")
            else:
                tile.update(_delta(name, values[name], their_values[name]))
        result.append(tile)
    return result


def model_tiles(model: TrainedModel, baseline: TrainedModel) -> list[dict]:
    """A model's test metrics, with their changes against ``baseline`` unless it is the same model."""
    def numbers(m: TrainedModel) -> tuple[dict, dict]:
        return {"auc": m.evaluation.test_auc, **m.evaluation.test_metrics}, m.evaluation.test_confusion

    values, confusion = numbers(model)
    return tiles(METRICS, values, confusion, None if model.id == baseline.id else numbers(baseline))


def flagging_note(confusion: dict) -> str | None:
    """A sentence when a threshold flags every beat or none: the tiles alone would mislead."""
    flagged = confusion["tp"] + confusion["fp"]
    total = flagged + confusion["tn"] + confusion["fn"]
    if flagged == total:
        return (f"Every one of the {total:,} test beats is flagged abnormal: recall is 100 % only because "
                "nothing is let through, and every normal beat is a false alarm (FPR 100 %).")
    if flagged == 0:
        return (f"None of the {total:,} test beats is flagged abnormal: no false alarms, but every anomaly is "
                "missed (recall 0 %), and precision is undefined (nothing was flagged).")
    return None
