"""Hand-drawn beats: canvas strokes in, 140 model-ready values out (and presets back out).

The page draws on streamlit-drawable-canvas 0.13 (Fabric.js 7) in "freedraw" mode. Its
``json_data`` holds one ``Path`` object per stroke, whose ``path`` commands are in absolute
canvas pixels. This module reads those strokes, turns them into one beat, and writes beats
back as paths for the canvas's ``initial_drawing``. It imports no Streamlit code, so it can
be tested (and reused) without a running app.

How a drawing becomes a beat: the canvas width is the beat's time axis and the height its
value axis. The 140 values are read off the drawing at 140 evenly spaced columns spanning the
*whole* width. Where the drawing does not reach (a stroke over only half the width), the
nearest drawn value is held flat, so a partial drawing is a beat that flat-lines at its ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data import SERIES_LENGTH, zscore

FABRIC_VERSION = "7.4.0"  # what the canvas's own Fabric.js writes into json_data
MIN_SPAN = 0.10  # a beat must cover at least this fraction of the width
DOT_SPAN = 0.02  # below this it is a dot or an up-and-down line, not a left-to-right trace
FLAT_PIXELS = 3  # a drawing less tall than this is a flat line: a hand wobbles a pixel or two
# A hand draws ~100 points a second, so these hold minutes of drawing; a crafted canvas value
# with a million points is refused after counting, before any point is read (reading them
# costs ~2 s per million, time another learner's page would wait for).
MAX_STROKES = 1_000
MAX_POINTS = 20_000

# Points each command ends on: the last pair. Q and C also carry control points, which are
# where Fabric's smoothing pulls the curve, not where the pen went, so they are not used.
_COMMAND_LENGTHS = {"M": 3, "L": 3, "Q": 5, "C": 7}


class DrawingError(ValueError):
    """A drawing that can't become a beat; str(exc) is a friendly message for a learner."""


@dataclass(frozen=True)
class CanvasGeometry:
    """Canvas size in pixels and the data values its top and bottom edges stand for."""

    width: int
    height: int
    value_top: float = 4.0
    value_bottom: float = -6.0

    def __post_init__(self):
        if not (self.width > 0 and self.height > 0):
            raise ValueError(f"The canvas needs a positive size, got {self.width} x {self.height} pixels.")
        if not (np.isfinite(self.value_top) and np.isfinite(self.value_bottom)):
            raise ValueError("The canvas's top and bottom values must be ordinary numbers.")
        if not self.value_top > self.value_bottom:
            raise ValueError(f"The top of the canvas must stand for a larger value than the bottom "
                             f"(got top {self.value_top}, bottom {self.value_bottom}).")

    def y_to_value(self, y) -> np.ndarray:
        """Pixel row (0 = top) -> data value."""
        fraction = np.asarray(y, dtype=np.float64) / self.height
        return self.value_top + fraction * (self.value_bottom - self.value_top)

    def value_to_y(self, v) -> np.ndarray:
        """Data value -> pixel row (0 = top)."""
        fraction = (self.value_top - np.asarray(v, dtype=np.float64)) / (self.value_top - self.value_bottom)
        return fraction * self.height


def _end_point(command) -> tuple[float, float] | None:
    """(x, y) a path command ends on, or None for anything we can't read."""
    if not isinstance(command, (list, tuple)) or not command or not isinstance(command[0], str):
        return None
    if _COMMAND_LENGTHS.get(command[0]) != len(command):
        return None  # Z has no point; lowercase (relative) commands are never written by Fabric
    try:
        x, y = float(command[-2]), float(command[-1])
    except (TypeError, ValueError):
        return None
    return (x, y) if np.isfinite(x) and np.isfinite(y) else None


def strokes_from_canvas_json(json_data: dict | None) -> list[np.ndarray]:
    """Each freedraw path -> an (k, 2) float array of (x, y) pixel points, in drawing order.

    Other object types are ignored, and so are unreadable commands; a path with no readable
    point yields no stroke. ``left``/``top`` are not used: the commands are already absolute.
    A drawing over ``MAX_STROKES`` / ``MAX_POINTS`` raises ``DrawingError`` before any is read.
    """
    objects = json_data.get("objects") if isinstance(json_data, dict) else None
    _check_size(objects if isinstance(objects, list) else [])
    strokes = []
    for obj in objects if isinstance(objects, list) else []:
        # Fabric 7 writes "Path", Fabric 4 (canvas 0.9.x) wrote "path".
        if not isinstance(obj, dict) or str(obj.get("type", "")).lower() != "path":
            continue
        commands = obj.get("path")
        points = [p for p in map(_end_point, commands if isinstance(commands, list) else []) if p]
        if points:
            strokes.append(np.array(points, dtype=np.float64))
    return strokes


def _check_size(objects: list) -> None:
    """Refuse a drawing with more than ``MAX_STROKES`` objects or ``MAX_POINTS`` path commands;
    it costs one length per object, whatever the objects hold."""
    too_big = len(objects) > MAX_STROKES
    if not too_big:
        points = sum(len(obj["path"]) for obj in objects
                     if isinstance(obj, dict) and isinstance(obj.get("path"), list))
        too_big = points > MAX_POINTS
    if too_big:
        raise DrawingError(f"That drawing is too big to read: a beat is read from at most {MAX_STROKES:,} "
                           f"strokes and {MAX_POINTS:,} points. Undo some strokes, or clear the canvas "
                           f"and draw the beat again.")


def _overlay(strokes: list[np.ndarray], geometry: CanvasGeometry) -> np.ndarray:
    """Pool the strokes into one (n, 2) point set where each stroke replaces older ones under it."""
    pooled = np.empty((0, 2))
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        points = points[np.isfinite(points).all(axis=1)]
        points = points[(points[:, 0] >= 0) & (points[:, 0] <= geometry.width)]
        if not len(points):
            continue
        # Redrawing over part of the beat is how a learner corrects it, so the newest stroke
        # owns the columns it spans and older ink there is forgotten.
        lo, hi = points[:, 0].min(), points[:, 0].max()
        pooled = np.concatenate([pooled[(pooled[:, 0] < lo) | (pooled[:, 0] > hi)], points])
    pooled[:, 1] = np.clip(pooled[:, 1], 0, geometry.height)
    return pooled


def strokes_to_beat(strokes: list[np.ndarray], geometry: CanvasGeometry,
                    length: int = SERIES_LENGTH) -> np.ndarray:
    """Pixel strokes -> exactly ``length`` values in data units (float64, not yet z-scored).

    Points left or right of the canvas are dropped, points above or below it are clipped to
    its edge. Values are read at ``length`` evenly spaced columns over the full width
    ``[0, width]``, interpolating linearly between drawn points and holding the first and
    last drawn values flat beyond the drawn range.
    """
    points = _overlay(strokes, geometry)
    if not len(points):
        raise DrawingError("Draw a beat first: trace one heartbeat from the left edge of the "
                           "canvas to the right edge.")
    xs, where = np.unique(points[:, 0], return_inverse=True)
    # A pen that pauses or moves straight up and down leaves several heights at one column;
    # their mean is the most neutral single reading.
    ys = np.bincount(where, weights=points[:, 1]) / np.bincount(where)
    span = (xs[-1] - xs[0]) / geometry.width
    if len(xs) < 2 or span < DOT_SPAN:
        raise DrawingError("That looks like a dot or an up-and-down line. Draw the beat from "
                           "left to right across the canvas, the way time runs.")
    if span < MIN_SPAN:
        raise DrawingError(f"That stroke is too short to be a beat (it covers {span:.0%} of the "
                           f"width). Draw from left to right across the canvas.")
    columns = np.linspace(0, geometry.width, length)
    return np.interp(columns, xs, geometry.y_to_value(ys))


def beat_to_path(values: np.ndarray, geometry: CanvasGeometry, stroke: str = "#1f77b4",
                 stroke_width: float = 3) -> dict:
    """A beat -> a Fabric path object, for a canvas ``initial_drawing``.

    Values outside the canvas's value range are clipped to its edge so the stroke stays
    visible (and so a round trip returns the clipped beat).
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if len(values) < 2 or not np.isfinite(values).all():
        raise ValueError("A beat needs at least two finite values to be drawn.")
    xs = np.linspace(0, geometry.width, len(values))
    ys = np.clip(geometry.value_to_y(values), 0, geometry.height)
    # Plain floats, rounded: the dict goes through JSON to the browser on every rerun.
    points = [(round(float(x), 2), round(float(y), 2)) for x, y in zip(xs, ys)]
    commands = [["M", *points[0]]] + [["L", *p] for p in points[1:]]
    x_lo, x_hi = min(p[0] for p in points), max(p[0] for p in points)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    return {
        "type": "path",
        "version": FABRIC_VERSION,
        # Fabric 7 places a path by its centre and, given left/top, moves the path there; so
        # they must be the exact bounding-box centre or the stroke would shift on load.
        "originX": "center",
        "originY": "center",
        "left": (x_lo + x_hi) / 2,
        "top": (y_lo + y_hi) / 2,
        "width": x_hi - x_lo,
        "height": y_hi - y_lo,
        "fill": None,  # an open path with a fill would paint the area under the beat
        "stroke": stroke,
        "strokeWidth": stroke_width,
        "strokeLineCap": "round",
        "strokeLineJoin": "round",
        "scaleX": 1,
        "scaleY": 1,
        "angle": 0,
        "opacity": 1,
        "visible": True,
        "path": commands,
    }


def initial_drawing(beats: list[np.ndarray], geometry: CanvasGeometry) -> dict:
    """Canvas JSON holding one path per beat, e.g. a preset for the learner to start from."""
    return {"version": FABRIC_VERSION, "objects": [beat_to_path(b, geometry) for b in beats]}


def drawing_to_model_input(json_data: dict | None, geometry: CanvasGeometry) -> np.ndarray:
    """Canvas JSON -> the 140 z-scored float32 values the model scores.

    A drawing less than ``FLAT_PIXELS`` tall is a flat line: it becomes all zeros (what any
    flat beat z-scores to), which ``core.data.is_flat`` and ``predict`` treat as abnormal.
    Without this, a hand's 1-2 pixel wobble would be blown up to spread 1 by the z-score.
    """
    beat = strokes_to_beat(strokes_from_canvas_json(json_data), geometry, SERIES_LENGTH)
    pixel = (geometry.value_top - geometry.value_bottom) / geometry.height
    if np.ptp(beat) < FLAT_PIXELS * pixel:
        return np.zeros(SERIES_LENGTH, dtype=np.float32)
    return zscore(beat)
