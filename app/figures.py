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


MARGIN = dict(l=10, r=10, t=60, b=10)
# The title sits top left; a horizontal legend right-aligned above the plot stays clear of it.
LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1)


def legend_at(place: str) -> dict:
    """The legend "above" the plot, or inside it in an empty corner ("bottom right" ...), clear of the title."""
    if place == "above":
        return LEGEND_ABOVE
    vertical, horizontal = place.split()
    return dict(orientation="v", x=1 if horizontal == "right" else 0, y=0 if vertical == "bottom" else 1,
                xanchor=horizontal, yanchor=vertical, bgcolor="rgba(255,255,255,0.7)")


def axis(title: str, **settings) -> dict:
    return dict(title=dict(text=title), **settings)


def chart(traces: list[dict], *, height: int, title: str, subtitle: str | None = None, legend: str = "above",
          **layout) -> go.Figure:
    """A figure built in one constructor call from plain trace and layout dicts.

    The live charts rebuild three figures on every poll of every training learner: going through
    ``add_trace`` / ``update_layout`` cost about six times the CPU of this.
    """
    heading = dict(text=title, subtitle=dict(text=subtitle)) if subtitle else dict(text=title)
    return go.Figure(data=traces, layout=dict(height=height, margin=MARGIN, title=heading, legend=legend_at(legend),
                                              **layout))


def style_figure(fig: go.Figure, height: int, legend: str = "above", **layout) -> go.Figure:
    """``chart``'s size, margins and legend for a figure built trace by trace."""
    fig.update_layout(height=height, margin=MARGIN, legend=legend_at(legend), **layout)
    return fig


def _line(x, y, name: str, colour: str, **settings) -> dict:
    return dict(type="scatter", x=x, y=y, name=name, mode="lines", line=dict(color=colour, **settings))


def _marker(x: float, y: float | None, name: str) -> dict:
    return dict(type="scatter", x=[x], y=[y], name=name, mode="markers", marker=dict(color=ABNORMAL_COLOUR, size=12),
                cliponaxis=False)


def beat_figure(beat: np.ndarray, reconstruction: np.ndarray | None = None, *, title: str = "",
                height: int = 300) -> go.Figure:
    """Input beat vs reconstruction, the gap between them shaded (the reconstruction error)."""
    t = np.arange(len(beat))
    traces = [_line(t, beat, "input", INPUT_COLOUR, width=2)]
    if reconstruction is not None:
        traces = [_line(t, reconstruction, "reconstruction", RECON_COLOUR, width=2),
                  dict(traces[0], fill="tonexty", fillcolor="rgba(231,111,81,0.25)")]
    return chart(traces, height=height, title=title, xaxis=axis("time step"), yaxis=axis("value (z-score)"))


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
                    title: str = "Reconstruction error: normal vs abnormal", subtitle: str | None = None,
                    legend: str = "above", bins: int = 40, x_max: float | None = None, height: int = 300) -> go.Figure:
    """Overlaid histograms of normal and abnormal scores, with the threshold as a line."""
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    hi = x_max if x_max is not None else score_axis_max(scores)
    edges = dict(start=0, end=hi, size=hi / bins)
    traces = [dict(type="histogram", x=np.minimum(scores[mask], hi), name=name, xbins=edges,
                   marker=dict(color=colour), opacity=0.65)
              for mask, name, colour in ((~is_anomaly, "normal", NORMAL_COLOUR),
                                         (is_anomaly, "abnormal", ABNORMAL_COLOUR))]
    return _histogram(traces, threshold, hi, title, subtitle, legend, height)


def _histogram(traces: list[dict], threshold: float | None, hi: float, title: str, subtitle: str | None, legend: str,
               height: int) -> go.Figure:
    shapes = []
    if threshold is not None:
        # Named in the legend, not by a label on the line: a label collides with the legend, or is cut
        # off at the plot's edge, wherever the slider puts the line.
        dashed = dict(color=THRESHOLD_COLOUR, dash="dash")
        shapes = [dict(type="line", x0=threshold, x1=threshold, xref="x", y0=0, y1=1, yref="y domain", line=dashed)]
        traces = [*traces, dict(type="scatter", x=[None], y=[None], mode="lines", name=f"threshold {threshold:.3f}",
                                line=dashed)]
    return chart(traces, height=height, title=title, subtitle=subtitle, legend=legend, barmode="overlay", shapes=shapes,
                 xaxis=axis("reconstruction error (MSE)", range=[0, hi]), yaxis=axis("beats"))


def roc_figure(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple[float, float] | None = None, *,
               title: str = "ROC curve", subtitle: str | None = None, legend: str = "above",
               height: int = 300) -> go.Figure:
    traces = [_line([0, 1], [0, 1], "chance", THRESHOLD_COLOUR, dash="dot", width=1),
              _line(fpr, tpr, f"ROC (AUC {auc:.3f})", INPUT_COLOUR)]
    if point is not None:
        traces.append(_marker(point[0], point[1], "current threshold"))
    return chart(traces, height=height, title=f"{title} · AUC {auc:.3f}", subtitle=subtitle, legend=legend,
                 xaxis=axis("false positive rate", range=UNIT_RANGE),
                 yaxis=axis("true positive rate", range=UNIT_RANGE))


def pr_figure(recall: np.ndarray, precision: np.ndarray, average_precision: float, positive_rate: float,
              point: tuple[float, float | None] | None = None, *, legend: str = "above",
              height: int = 300) -> go.Figure:
    """Precision-recall curve; ``positive_rate`` is the precision of flagging at random; ``point``
    (recall, precision) is the current threshold's, precision None when it flags nothing."""
    traces = [_line([0, 1], [positive_rate, positive_rate], "chance", THRESHOLD_COLOUR, dash="dot", width=1),
              _line(recall, precision, f"PR (AP {average_precision:.3f})", INPUT_COLOUR, shape="hv")]
    if point is not None and point[1] is None:  # nothing flagged: no precision, so no point to draw
        traces.append(_marker(None, None, "current threshold: flags nothing"))
    elif point is not None:
        traces.append(_marker(point[0], point[1], "current threshold"))
    return chart(traces, height=height, title=f"Precision-recall curve · AP {average_precision:.3f}", legend=legend,
                 xaxis=axis("recall", range=UNIT_RANGE), yaxis=axis("precision", range=UNIT_RANGE))


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


def class_label(cls: int) -> str:
    return f"{cls} · {CLASS_NAMES[cls]}"
