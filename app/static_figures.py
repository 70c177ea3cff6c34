"""The Introduction's figures as static SVG, drawn on the server with matplotlib.

The Introduction is the first page every new session opens. Plotly's browser library is 4.7 MB
of JavaScript; fetching and parsing it took about a second of the 2.6-3.0 s a new session needed
to draw that page (2-core machine, headless Chromium). Its figures are there to be read, not
explored, so they are drawn here and shown as images, which the browser draws at once; the other
pages keep plotly's hover and zoom. Colours and the network's shape come from ``app.figures``, so
both kinds of figure look alike.

Sizes are in inches (72 pt each): a figure about as wide as the column it fills keeps its 10 pt
text near the page's chart text once the picture is scaled to the column.

Each drawn element a test may look for carries an SVG id (``gid``):
``input``, ``reconstruction``, ``error``, ``normal``, ``abnormal``, ``threshold``.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import threading

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from app.figures import (ABNORMAL_COLOUR, INPUT_COLOUR, NORMAL_COLOUR, RECON_COLOUR, ROLE_COLOURS,
                         THRESHOLD_COLOUR, network_shape, quad, score_axis_max)

# Process-wide on purpose: this app is matplotlib's only user in the server process, and
# rc_context is not thread-safe across concurrent sessions.
matplotlib.rcParams.update({
    "svg.fonttype": "none",       # text stays text: smaller files, crisp at any zoom
    "svg.hashsalt": "ecg-lab",    # stable element ids: the same figure gives the same bytes
    "font.family": "sans-serif",
    "font.sans-serif": ["Source Sans Pro", "Source Sans 3", "Helvetica", "Arial", "DejaVu Sans"],
    "font.size": 10,
    "axes.edgecolor": "#b0b7bd",
    "axes.labelcolor": "#31333f",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,       # grid behind the filled histograms
    "grid.color": "#e6e9ef",
    "grid.linewidth": 0.8,
    "xtick.color": "#5c6168",
    "ytick.color": "#5c6168",
    "legend.frameon": False,
})

ERROR_FILL = (231 / 255, 111 / 255, 81 / 255, 0.25)
INTRINSIC_SCALE = 3  # px per pt of the figure's size
_drawing = threading.Lock()


def _one_at_a_time(draw):
    """Sessions run in threads and matplotlib is not thread-safe; a figure takes ~50 ms, and the
    pages cache what it returns, so queueing costs next to nothing."""
    @functools.wraps(draw)
    def locked(*args, **kwargs):
        with _drawing:
            return draw(*args, **kwargs)
    return locked


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.05, metadata={"Date": None})
    # Pages show pictures at most 100 % of their column wide; a large intrinsic size (in px, not
    # matplotlib's pt) lets that rule scale every figure to exactly its column.
    return re.sub(r'width="([\d.]+)pt" height="([\d.]+)pt"',
                  lambda size: f'width="{float(size[1]) * INTRINSIC_SCALE:.0f}" '
                               f'height="{float(size[2]) * INTRINSIC_SCALE:.0f}"',
                  buffer.getvalue(), count=1)


def markdown_picture(svg: str, alt: str) -> str:
    """An SVG as a markdown image (``st.markdown`` draws it with no extra JavaScript).

    Pictures go in through markdown rather than ``st.image``: st.image's component is loaded on
    demand, and on a new session every picture waited 0.2-0.3 s for it after the page was done.
    """
    encoded = base64.b64encode(svg.encode()).decode()
    return f"![{alt.replace('[', '(').replace(']', ')')}](data:image/svg+xml;base64,{encoded})"


@_one_at_a_time
def beat_svg(beat: np.ndarray, reconstruction: np.ndarray, *, size: tuple[float, float] = (6.0, 2.8)) -> str:
    """Input beat vs reconstruction, the gap between them shaded (the reconstruction error)."""
    t = np.arange(len(beat))
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    ax.fill_between(t, beat, reconstruction, color=ERROR_FILL, linewidth=0, label="error", gid="error")
    ax.plot(t, reconstruction, color=RECON_COLOUR, linewidth=2, label="reconstruction", gid="reconstruction")
    ax.plot(t, beat, color=INPUT_COLOUR, linewidth=2, label="input", gid="input")
    ax.set(xlabel="time step", ylabel="value (z-score)", xlim=(0, len(beat) - 1))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, borderaxespad=0.2)
    return _svg(fig)


@_one_at_a_time
def histogram_svg(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float | None = None, *,
                  x_max: float | None = None, bins: int = 40, size: tuple[float, float] = (6.0, 2.8)) -> str:
    """Overlaid histograms of normal and abnormal scores, with the threshold as a dashed line.

    Scores beyond ``x_max`` (default: ``score_axis_max``) are counted in the last bin.
    """
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    hi = x_max if x_max is not None else score_axis_max(scores)
    edges = np.linspace(0, hi, bins + 1)
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    for mask, name, colour in ((~is_anomaly, "normal", NORMAL_COLOUR), (is_anomaly, "abnormal", ABNORMAL_COLOUR)):
        counts, _ = np.histogram(np.minimum(scores[mask], hi), bins=edges)
        ax.stairs(counts, edges, fill=True, color=colour, alpha=0.65, label=name, gid=name)  # one shape, not 40 bars
    if threshold is not None:
        ax.axvline(threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.5, gid="threshold",
                   label=f"threshold {threshold:.3f}")
    ax.set(xlabel="reconstruction error (MSE)", ylabel="beats", xlim=(0, hi))
    ax.legend(loc="best")
    return _svg(fig)


@_one_at_a_time
def network_svg(widths: list[int], *, size: tuple[float, float] = (6.0, 2.2)) -> str:
    """The symmetric network as bars joined by funnels, the same shape as the composer draws."""
    shape = network_shape(widths)
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    half, bar = shape.half, shape.bar
    for i in range(1, len(widths)):
        ax.fill(*zip(*quad(i - 1 + bar, half[i - 1], i - bar, half[i])), color=THRESHOLD_COLOUR, alpha=0.18,
                linewidth=0)
    for i, (role, width) in enumerate(zip(shape.roles, widths)):
        ax.fill(*zip(*quad(i - bar, half[i], i + bar, half[i])), color=ROLE_COLOURS[role], linewidth=0,
                gid=f"layer-{i}")
        ax.text(i, half[i] + 0.04, f"{width}", ha="center", va="bottom", fontweight="bold")
    ax.set_xticks(range(len(widths)), shape.names)
    ax.tick_params(axis="x", length=0)
    ax.set(xlim=(-0.6, len(widths) - 0.4), ylim=(-0.55, 0.7), yticks=[])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return _svg(fig)
