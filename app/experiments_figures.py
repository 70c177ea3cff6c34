"""The Insight lab page's charts: plain rows and arrays in, plotly figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures import (ABNORMAL_COLOUR, INPUT_COLOUR, NORMAL_COLOUR, RECON_COLOUR, THRESHOLD_COLOUR, axis,
                         class_label, style_figure)
from app.text import as_chart_text
from core.data import CLASS_NAMES

SERIES_COLOURS = (INPUT_COLOUR, ABNORMAL_COLOUR, NORMAL_COLOUR, RECON_COLOUR, "#8e44ad", "#3a86ff")
CLASS_COLOURS = {1: NORMAL_COLOUR, 2: ABNORMAL_COLOUR, 3: "#8e44ad", 4: RECON_COLOUR, 5: "#3a86ff"}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def spread_figure(points_by_series: dict[str, list[dict]], x: str, *, title: str, xaxis: str,
                  yaxis: str = "test AUC", height: int = 380) -> go.Figure:
    """Per series: the mean over seeds as a line, min to max as a shaded band."""
    fig = go.Figure()
    for colour, (name, points) in zip(SERIES_COLOURS, points_by_series.items()):
        xs = [p[x] for p in points]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[p["max"] for p in points] + [p["min"] for p in points][::-1],
                                 mode="lines", fill="toself", fillcolor=_rgba(colour, 0.15), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(x=xs, y=[p["mean"] for p in points], name=name, mode="lines+markers",
                                 line=dict(color=colour, width=2), legendgroup=name,
                                 customdata=[[p["min"], p["max"], p["n"]] for p in points],
                                 hovertemplate="%{y:.3f} (min %{customdata[0]:.3f}, max %{customdata[1]:.3f}, "
                                               "%{customdata[2]} seeds)<extra>" + name + "</extra>"))
    return style_figure(fig, height, title=title, xaxis_title=xaxis, yaxis_title=yaxis)


def contamination_figure(points_by_recipe: dict[str, list[dict]], report: dict[int, float]) -> go.Figure:
    fig = spread_figure(points_by_recipe, "abnormal_pct", title="Test AUC vs abnormal beats in training",
                        xaxis="abnormal training beats (%)")
    fig.add_trace(go.Scatter(x=list(report), y=list(report.values()), name="the report's claim", mode="markers",
                             marker=dict(symbol="x", size=13, color="black")))
    fig.add_hline(y=0.5, line=dict(color=THRESHOLD_COLOUR, dash="dot", width=1),
                  annotation_text="chance (0.5)", annotation_position="top right")
    # four names don't fit beside the title at 1024 px: the legend goes under the axis
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.3, yanchor="top"),
                      margin=dict(b=40))
    return fig


def curves_figure(curves: dict[str, dict], title: str, height: int = 340) -> go.Figure:
    """Validation AUC after every epoch, one line per optimizer."""
    fig = go.Figure()
    for colour, (name, curve) in zip(SERIES_COLOURS, curves.items()):
        values = curve["mean_curve"]
        fig.add_trace(go.Scatter(x=np.arange(1, len(values) + 1), y=values, mode="lines",
                                 name=f"{name} (lr {curve['learning_rate']:g})", line=dict(color=colour, width=2)))
    fig = style_figure(fig, height, title=title, xaxis_title="epoch", yaxis_title="validation AUC (mean over seeds)")
    fig.update_yaxes(range=[max(0.0, min(min(c["mean_curve"]) for c in curves.values()) - 0.02), 1.005])
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))
    return fig


def threshold_band_figure(band: dict, threshold: float, height: int = 360) -> go.Figure:
    """Accuracy, precision and recall against the threshold (log axis: the band is a ratio)."""
    t = band["thresholds"]
    keep = (t > 0) & (t >= np.quantile(t, 0.02)) & (t <= np.quantile(t, 0.98))
    fig = go.Figure()
    for name, colour in (("accuracy", INPUT_COLOUR), ("precision", NORMAL_COLOUR), ("recall", ABNORMAL_COLOUR)):
        fig.add_trace(go.Scatter(x=t[keep], y=band[name][keep], name=name, mode="lines", line=dict(color=colour)))
    fig.add_vrect(x0=band["low"], x1=band["high"], fillcolor=_rgba(INPUT_COLOUR, 0.12), line_width=0)
    fig.add_vline(x=threshold, line=dict(color=THRESHOLD_COLOUR, dash="dash"),
                  annotation_text=f"model threshold {threshold:.3f}", annotation_position="bottom right")
    fig = style_figure(fig, height,
                       title="Test metrics at every threshold (shaded: accuracy within 1 point of its best)",
                       xaxis_title="threshold (reconstruction error, log scale)", yaxis_title="share")
    fig.update_xaxes(type="log")
    return fig


def roc_overlay(results, height: int = 400) -> go.Figure:
    fig = go.Figure()
    chance = np.logspace(-3, 0, 50)
    fig.add_trace(go.Scatter(x=chance, y=chance, name="chance", mode="lines",
                             line=dict(color=THRESHOLD_COLOUR, dash="dot", width=1)))
    for colour, r in zip(SERIES_COLOURS, results):
        fig.add_trace(go.Scatter(x=r.fpr, y=r.tpr, mode="lines", name=f"{as_chart_text(r.name)} ({r.test_auc:.3f})",
                                 line=dict(color=colour, width=2)))
    # A log x axis: near zero false positives is where they differ.
    return style_figure(fig, height, legend="bottom right", title="Test ROC curves",
                        xaxis=axis("false positive rate", type="log", range=[-3, 0]), yaxis_title="true positive rate")


def latent_figure(xy: np.ndarray, classes: np.ndarray, axes: tuple[str, str], height: int = 460) -> go.Figure:
    """One point per test beat in the bottleneck, coloured by class; customdata = the beat's index."""
    fig = go.Figure()
    for cls in sorted(set(classes.tolist())):
        index = np.flatnonzero(classes == cls)
        fig.add_trace(go.Scatter(x=xy[index, 0], y=xy[index, 1], mode="markers", name=class_label(cls),
                                 customdata=index, marker=dict(color=CLASS_COLOURS[cls], size=6, opacity=0.7),
                                 hovertemplate=f"{CLASS_NAMES[cls]} · test beat #%{{customdata}}<extra></extra>"))
    # No clickmode/dragmode here: Streamlit's point selection sets click-to-select itself, and a
    # "select" drag mode would switch clicking off.
    fig = style_figure(fig, height, title="Test beats in the bottleneck (click one)", xaxis_title=axes[0],
                       yaxis_title=axes[1])
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.25, yanchor="top"),
                      margin=dict(b=40))  # five classes don't fit beside the title at 1024 px
    return fig
