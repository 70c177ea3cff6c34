"""Plotly figures shared by the pages (functions take plain arrays and return a Figure), and the
colours and network geometry that the static figures (app.static_figures) share with them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.data import CLASS_NAMES
from core.metrics import histogram_end

NORMAL_COLOUR = "#2a9d8f"
ABNORMAL_COLOUR = "#e76f51"
INPUT_COLOUR = "#264653"
RECON_COLOUR = "#e9a23b"
THRESHOLD_COLOUR = "#6c757d"
ROLE_COLOURS = {"input": INPUT_COLOUR, "encoder": NORMAL_COLOUR, "bottleneck": ABNORMAL_COLOUR,
                "decoder": RECON_COLOUR, "output": INPUT_COLOUR}
UNIT_RANGE = [-0.03, 1.03]  # rates from 0 to 1, with room for a marker at either end


def _layout(fig: go.Figure, height: int, **kwargs) -> go.Figure:
    # The title sits top left; a horizontal legend right-aligned above the plot stays clear of it.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1), **kwargs)
    return fig


def beat_figure(beat: np.ndarray, reconstruction: np.ndarray | None = None, *, title: str = "",
                height: int = 300) -> go.Figure:
    """Input beat vs reconstruction, the gap between them shaded (the reconstruction error)."""
    t = np.arange(len(beat))
    fig = go.Figure()
    if reconstruction is not None:
        fig.add_trace(go.Scatter(x=t, y=reconstruction, name="reconstruction", line=dict(color=RECON_COLOUR, width=2)))
        fig.add_trace(go.Scatter(x=t, y=beat, name="input", line=dict(color=INPUT_COLOUR, width=2),
                                 fill="tonexty", fillcolor="rgba(231,111,81,0.25)"))
    else:
        fig.add_trace(go.Scatter(x=t, y=beat, name="input", line=dict(color=INPUT_COLOUR, width=2)))
    return _layout(fig, height, title=title, xaxis_title="time step", yaxis_title="value (z-score)")


def sparkline_svg(beat: np.ndarray, colour: str, width: int = 160, height: int = 50) -> str:
    """A beat as a tiny inline SVG line: a gallery of a dozen plotly charts delayed a new
    session's first page by most of a second in the browser."""
    beat = np.asarray(beat, np.float64)
    span = float(np.ptp(beat)) or 1.0
    xs = np.linspace(1, width - 1, len(beat))
    ys = (height - 2) - (beat - beat.min()) / span * (height - 4)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}"><polyline points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5" stroke-linejoin="round"/></svg>')


score_axis_max = histogram_end  # the live histograms (computed in training workers) end at the same place


def error_histogram(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float | None = None, *,
                    title: str = "Reconstruction error: normal vs abnormal", bins: int = 40,
                    x_max: float | None = None, height: int = 300) -> go.Figure:
    """Overlaid histograms of normal and abnormal scores, with the threshold as a line."""
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    hi = x_max if x_max is not None else score_axis_max(scores)
    edges = dict(start=0, end=hi, size=hi / bins)
    fig = go.Figure()
    for mask, name, colour in ((~is_anomaly, "normal", NORMAL_COLOUR), (is_anomaly, "abnormal", ABNORMAL_COLOUR)):
        fig.add_trace(go.Histogram(x=np.minimum(scores[mask], hi), name=name, xbins=edges,
                                   marker_color=colour, opacity=0.65))
    return _histogram_layout(fig, threshold, hi, title, height)


def binned_histogram(edges: np.ndarray, normal_counts: np.ndarray, abnormal_counts: np.ndarray,
                     threshold: float | None = None, *, title: str = "Reconstruction error: normal vs abnormal",
                     height: int = 300) -> go.Figure:
    """``error_histogram`` drawn from counts already binned (by a training worker): 80 numbers
    travel instead of every score."""
    centres, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
    fig = go.Figure()
    for counts, name, colour in ((normal_counts, "normal", NORMAL_COLOUR), (abnormal_counts, "abnormal", ABNORMAL_COLOUR)):
        fig.add_trace(go.Bar(x=centres, y=counts, width=width, name=name, marker_color=colour, opacity=0.65))
    return _histogram_layout(fig, threshold, float(edges[-1]), title, height)


def _histogram_layout(fig: go.Figure, threshold: float | None, hi: float, title: str, height: int) -> go.Figure:
    if threshold is not None:
        # Named in the legend, not by a label on the line: a label collides with the legend, or is cut
        # off at the plot's edge, wherever the slider puts the line.
        fig.add_vline(x=threshold, line=dict(color=THRESHOLD_COLOUR, dash="dash"))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"threshold {threshold:.3f}",
                                 line=dict(color=THRESHOLD_COLOUR, dash="dash")))
    return _layout(fig, height, title=title, barmode="overlay", xaxis_title="reconstruction error (MSE)",
                   yaxis_title="beats", xaxis_range=[0, hi])


def loss_figure(epochs: list[int], train_loss: list[float], val_loss: list[float | None], *,
                total_epochs: int | None = None, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=train_loss, name="train loss", mode="lines", line=dict(color=INPUT_COLOUR)))
    if any(v is not None for v in val_loss):
        fig.add_trace(go.Scatter(x=epochs, y=val_loss, name="validation loss (normal beats)", mode="lines",
                                 line=dict(color=RECON_COLOUR)))
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs])
    return _layout(fig, height, title="Loss per epoch", xaxis_title="epoch", yaxis_title="MSE", yaxis_type="log")


def roc_figure(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple[float, float] | None = None,
               height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="chance", mode="lines",
                             line=dict(color=THRESHOLD_COLOUR, dash="dot", width=1)))
    fig.add_trace(go.Scatter(x=fpr, y=tpr, name=f"ROC (AUC {auc:.3f})", mode="lines", line=dict(color=INPUT_COLOUR)))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], name="current threshold", mode="markers",
                                 marker=dict(color=ABNORMAL_COLOUR, size=12), cliponaxis=False))
    return _layout(fig, height, title=f"ROC curve · AUC {auc:.3f}", xaxis_title="false positive rate",
                   yaxis_title="true positive rate", xaxis_range=UNIT_RANGE, yaxis_range=UNIT_RANGE)


def pr_figure(recall: np.ndarray, precision: np.ndarray, average_precision: float, positive_rate: float,
              point: tuple[float, float | None] | None = None, height: int = 300) -> go.Figure:
    """Precision-recall curve; ``positive_rate`` is the precision of flagging at random; ``point``
    (recall, precision) is the current threshold's, precision None when it flags nothing."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[positive_rate, positive_rate], name="chance", mode="lines",
                             line=dict(color=THRESHOLD_COLOUR, dash="dot", width=1)))
    fig.add_trace(go.Scatter(x=recall, y=precision, name=f"PR (AP {average_precision:.3f})", mode="lines",
                             line=dict(color=INPUT_COLOUR, shape="hv")))
    if point is not None and point[1] is None:  # nothing flagged: no precision, so no point to draw
        fig.add_trace(go.Scatter(x=[None], y=[None], name="current threshold: flags nothing",
                                 mode="markers", marker=dict(color=ABNORMAL_COLOUR, size=12)))
    elif point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], name="current threshold", mode="markers",
                                 marker=dict(color=ABNORMAL_COLOUR, size=12), cliponaxis=False))
    return _layout(fig, height, title=f"Precision-recall curve · AP {average_precision:.3f}",
                   xaxis_title="recall", yaxis_title="precision", xaxis_range=UNIT_RANGE,
                   yaxis_range=UNIT_RANGE)


def legend_inside(fig: go.Figure, corner: str = "bottom right") -> go.Figure:
    """Move the legend into an empty corner of the plot, clear of the title."""
    vertical, horizontal = corner.split()
    fig.update_layout(legend=dict(orientation="v", x=1 if horizontal == "right" else 0,
                                  y=0 if vertical == "bottom" else 1, xanchor=horizontal, yanchor=vertical,
                                  bgcolor="rgba(255,255,255,0.7)"))
    return fig


@dataclass(frozen=True)
class NetworkShape:
    """Where a symmetric network's layers go in a diagram: one bar per layer at x = 0, 1, 2 ..."""

    names: list[str]      # axis labels: input, enc 1, ..., bottleneck, ..., output
    roles: list[str]      # keys of ROLE_COLOURS
    half: np.ndarray      # half-height of each bar
    bar: float = 0.16     # half-width of each bar


def network_shape(widths: list[int]) -> NetworkShape:
    """Bars tall as the square root of the layer's units (1 unit stays visible next to 140)."""
    depth = (len(widths) - 1) // 2
    roles = ["input", *["encoder"] * (depth - 1), "bottleneck", *["decoder"] * (depth - 1), "output"]
    names = ["input", *(f"enc {i}" for i in range(1, depth)), "bottleneck",
             *(f"dec {i}" for i in range(depth - 1, 0, -1)), "output"]
    half = np.maximum(0.5 * np.sqrt(widths) / np.sqrt(max(widths)), 0.03)
    return NetworkShape(names, roles, half)


def quad(x0: float, half0: float, x1: float, half1: float) -> list[tuple[float, float]]:
    """A diagram polygon from a vertical edge at x0 (half-height half0) to one at x1: a bar or a funnel."""
    return [(x0, -half0), (x0, half0), (x1, half1), (x1, -half1)]


def log_axis_ticks(values: list[float | None]) -> dict:
    """1-2-5 ticks per decade with plain labels for a log axis (plotly labels a short one with bare
    digits); pass as ``fig.update_yaxes(**log_axis_ticks(values))``."""
    positive = [v for v in values if v is not None and 0 < v < np.inf]
    if not positive:
        return {}
    low, high = int(np.floor(np.log10(min(positive)))), int(np.ceil(np.log10(max(positive))))
    steps = (1, 2, 5) if high - low <= 3 else (1,)
    ticks = [step * 10.0 ** power for power in range(low, high + 1) for step in steps]
    return dict(tickvals=ticks, ticktext=[f"{tick:g}" for tick in ticks])


def class_label(cls: int) -> str:
    return f"{cls} · {CLASS_NAMES[cls]}"
