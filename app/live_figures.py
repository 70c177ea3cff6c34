"""The train page's three live charts (loss, validation errors, ROC) as Vega-Lite specs.

Why not plotly, like the other pages: Streamlit keys a plotly chart by a hash of its whole figure,
so every poll that changes the data unmounts the chart and draws a new one from scratch, about
85 ms of browser CPU per chart on this box (three charts, twice a second, per learner). A
Vega-Lite chart whose spec stays the same gets only its data replaced in the live view: about
20 ms, and no blank frame in between (benchmarks/bench_class.py, docs/deploy.md).

So each spec here is a constant for a given run: everything that changes from poll to poll (the
curves, the threshold, the AUC, even the legend labels that carry numbers) travels as rows of the
one data frame, and the legend colours follow the labels' sorted order. The stage ("epoch 12/100")
is drawn by the page above the charts, not in a title.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.figures import ABNORMAL_COLOUR, INPUT_COLOUR, NORMAL_COLOUR, RECON_COLOUR, THRESHOLD_COLOUR
from core.metrics import thinned

HEIGHT = 300  # pixels, title and axes included, as the plotly charts of the other pages
# 1-2-5 ticks over every decade a loss can reach: a log axis shows those inside its domain, and
# the spec stays the same while the loss falls (Vega's own log ticks put a grid line at every digit)
LOG_TICKS = [step * 10.0 ** power for power in range(-6, 4) for step in (1, 2, 5)]
TRAIN_LOSS, VALIDATION_LOSS = "train loss", "validation loss"  # short: the legend sits in a 1024 px column
# Epochs drawn per loss curve: a longer run shows every k-th epoch and its last one. Vega evaluates
# its expressions with an interpreter, row by row, on every data swap: at epoch 2000 the full
# curves made each chart poll cost a browser ~0.45 CPU-s
LOSS_POINTS = 300


@dataclass(frozen=True)
class LiveChart:
    """What ``st.vega_lite_chart(chart.data, chart.spec, height=HEIGHT)`` draws."""

    spec: dict
    data: pd.DataFrame


def _spec(title: str, layers: list[dict], legend: str, colours: list[str], x: dict, y: dict | None) -> dict:
    """``colours`` go to the series in sorted order of their labels (Vega's default domain order);
    ``y`` None: each layer has its own (or none)."""
    shared_y = {"y": {"type": "quantitative", **y}} if y else {}
    return {
        "title": {"text": title, "anchor": "start"},
        "encoding": {
            "x": {"type": "quantitative", **x},
            **shared_y,
            "color": {"field": "series", "type": "nominal", "scale": {"range": colours},
                      "legend": {"title": None, "orient": legend, "fillColor": "rgba(255,255,255,0.7)",
                                 "labelLimit": 260}},
        },
        "layer": layers,
    }


def _only(kind: str, mark: dict, **encoding) -> dict:
    """A layer that draws the rows of one ``kind``."""
    layer = {"transform": [{"filter": {"field": "kind", "equal": kind}}], "mark": mark}
    return {**layer, "encoding": encoding} if encoding else layer


def loss_chart(epochs: list[int], train_loss: list[float], val_loss: list[float | None],
               total_epochs: int) -> LiveChart:
    """Train and validation loss per epoch on a log axis; the x axis spans the whole run from the start.
    Over ``LOSS_POINTS`` epochs, every k-th epoch from the first, and the last."""
    keep = thinned(len(epochs), LOSS_POINTS)
    epochs, train_loss, val_loss = ([values[i] for i in keep] for values in (epochs, train_loss, val_loss))
    rows = pd.DataFrame({
        "kind": "loss",
        "series": [TRAIN_LOSS] * len(epochs) + [VALIDATION_LOSS] * len(epochs),
        "epoch": [*epochs, *epochs],
        "loss": [*train_loss, *val_loss],
    }).dropna()
    rows = rows[rows["loss"] > 0]  # a log axis has no place for 0
    spec = _spec("Loss per epoch", [_only("loss", {"type": "line", "clip": True})], "top-right",
                 [INPUT_COLOUR, RECON_COLOUR],
                 x={"field": "epoch", "title": "epoch", "scale": {"domain": [0, max(total_epochs, 1)], "nice": False}},
                 y={"field": "loss", "title": "MSE", "scale": {"type": "log"}, "axis": {"format": "~g", "values": LOG_TICKS}})
    return LiveChart(spec, rows)


def error_chart(edges: np.ndarray, normal_counts: np.ndarray, abnormal_counts: np.ndarray,
                threshold: float | None) -> LiveChart:
    """Validation errors binned (by the worker, or ``core.metrics.error_counts``), overlaid, with
    the threshold as a dashed line named in the legend. The x axis spans the data (the bins, and
    the threshold if it lies beyond them): the bins' end moves with every snapshot, and a domain
    in the spec made the browser build a new chart each time."""
    start, end = edges[:-1], edges[1:]
    bars = [pd.DataFrame({"kind": "bar", "series": name, "start": start, "end": end, "beats": counts})
            for name, counts in (("normal", normal_counts), ("abnormal", abnormal_counts))]
    line = ([pd.DataFrame({"kind": "threshold", "series": [f"threshold {threshold:.3f}"], "start": [threshold]})]
            if threshold is not None else [])
    layers = [_only("bar", {"type": "bar", "orient": "vertical", "opacity": 0.65}, x2={"field": "end"},
                    y={"field": "beats", "type": "quantitative", "stack": None, "title": "beats"}),
              _only("threshold", {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 1.5})]
    spec = _spec("Validation errors", layers, "top-right", [ABNORMAL_COLOUR, NORMAL_COLOUR, THRESHOLD_COLOUR],
                 x={"field": "start", "title": "reconstruction error (MSE)", "scale": {"nice": False}},
                 y=None)
    return LiveChart(spec, pd.concat([*bars, *line], ignore_index=True))


def roc_chart(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple[float, float] | None) -> LiveChart:
    """The ROC curve, the chance diagonal and the current threshold's point; the AUC in the legend."""
    parts = [pd.DataFrame({"kind": "chance", "series": "chance", "fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}),
             pd.DataFrame({"kind": "roc", "series": f"ROC (AUC {auc:.3f})", "fpr": fpr, "tpr": tpr})]
    if point is not None:
        parts.append(pd.DataFrame({"kind": "point", "series": "current threshold",
                                   "fpr": [point[0]], "tpr": [point[1]]}))
    rows = pd.concat(parts, ignore_index=True)
    rows["order"] = np.arange(len(rows))
    unit = {"domain": [0, 1], "nice": False}
    layers = [_only("chance", {"type": "line", "strokeDash": [2, 3], "strokeWidth": 1}),
              _only("roc", {"type": "line"}, order={"field": "order"}),
              _only("point", {"type": "point", "filled": True, "size": 140, "opacity": 1, "clip": False})]
    # sorted labels: "ROC (AUC ...)" < "chance" < "current threshold"
    spec = _spec("Validation ROC", layers, "bottom-right", [INPUT_COLOUR, THRESHOLD_COLOUR, ABNORMAL_COLOUR],
                 x={"field": "fpr", "title": "false positive rate", "scale": unit},
                 y={"field": "tpr", "title": "true positive rate", "scale": unit})
    return LiveChart(spec, rows)
