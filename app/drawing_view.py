"""What the Draw page computes: the canvas set-up, preset beats, a drawing's verdict, uploaded beats.

The canvas is one fixed geometry (700 x 300 pixels standing for values 4 down to -6: every
typical ECG5000 beat fits). The canvas widget is re-mounted under a new key to clear it or to
load a preset, because a mounted canvas keeps its own drawing whatever Python sends it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw

from app.figures import INPUT_COLOUR, NORMAL_COLOUR
from app.models import TrainedModel
from app.state import load_split
from app.text import as_text
from core.data import CLASS_NAMES, NORMAL_CLASS, SERIES_LENGTH, Beats, is_flat
from core.drawing import (CanvasGeometry, DrawingError, drawing_to_model_input, initial_drawing,
                          strokes_from_canvas_json)
from core.scoring import score_rows

GEOMETRY = CanvasGeometry(width=700, height=300)
STROKE_COLOUR = INPUT_COLOUR
STROKE_WIDTH = 3
VERSION_KEY = "draw_canvas_version"
PRESET_KEY = "draw_preset"
MAX_UPLOAD_MB = 2  # what the uploader says and refuses in the browser; Streamlit's MB is 2**20 bytes
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
MAX_UPLOAD_ROWS = 10_000

FLAT = "flat"
PRESETS = {"normal": "Normal beat", "r_on_t": "R-on-T PVC", "pvc": "PVC", FLAT: "Flat line"}
PRESET_CLASSES = {"normal": NORMAL_CLASS, "r_on_t": 2, "pvc": 3}


# ---------------------------------------------------------------- the canvas


def canvas_key() -> str:
    return f"draw_canvas_{st.session_state.setdefault(VERSION_KEY, 0)}"


def remount_canvas(preset: str | None = None) -> None:
    """A fresh canvas: empty, or holding one of ``PRESETS``."""
    st.session_state[PRESET_KEY] = preset
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def typical_beat(beats: Beats, cls: int) -> int:
    """Index of the beat of class ``cls`` closest to its class mean: a typical example, model-free."""
    candidates = np.flatnonzero(beats.y == cls)
    members = beats.x[candidates]
    return int(candidates[np.argmin(((members - members.mean(axis=0)) ** 2).sum(axis=1))])


def preset_beat(name: str, test: Beats) -> tuple[np.ndarray, str]:
    """(values, a sentence saying what they are) for one of ``PRESETS``."""
    if name == FLAT:
        return np.zeros(SERIES_LENGTH), "Loaded a flat line: no heartbeat at all."
    index = typical_beat(test, PRESET_CLASSES[name])
    return test.x[index], (f"Loaded a real **{CLASS_NAMES[PRESET_CLASSES[name]]}** test beat (#{index}): "
                           f"draw over part of it and watch the verdict change.")


def current_preset(test: Beats) -> tuple[dict | None, str | None]:
    """(the canvas's initial drawing, a caption) for the loaded preset; (None, None) if there is none."""
    name = st.session_state.get(PRESET_KEY)
    if name not in PRESETS:
        return None, None
    values, caption = preset_beat(name, test)
    return initial_drawing([values], GEOMETRY), caption


@st.cache_data(show_spinner=False)
def background_png(guide: bool) -> bytes:
    """A faint grid (one line per 10 time steps and per value unit, zero darker), optionally with the
    train pool's mean normal beat as a guide to trace."""
    g = GEOMETRY
    image = Image.new("RGB", (g.width, g.height), "white")
    pen = ImageDraw.Draw(image)
    for step in range(0, SERIES_LENGTH, 10):
        x = step * g.width / (SERIES_LENGTH - 1)
        pen.line([(x, 0), (x, g.height)], fill="#eeeeee")
    for value in range(int(np.ceil(g.value_bottom)), int(np.floor(g.value_top)) + 1):
        y = float(g.value_to_y(value))
        pen.line([(0, y), (g.width, y)], fill="#c8c8c8" if value == 0 else "#eeeeee")
        pen.text((3, y - 11), f"{value:+d}" if value else "0", fill="#b0b0b0")
    if guide:
        mean_normal = load_split().train.normal.mean(axis=0)
        xs = np.linspace(0, g.width, SERIES_LENGTH)
        pen.line(list(zip(xs, g.value_to_y(mean_normal))), fill=_faint(NORMAL_COLOUR), width=5, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _faint(colour: str, strength: float = 0.3) -> tuple[int, int, int]:
    """``colour`` mixed into white."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return tuple(int(round(255 - strength * (255 - c))) for c in rgb)


# ---------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Verdict:
    """A drawn beat (z-scored, as the model sees it), its reconstruction, score and threshold."""

    beat: np.ndarray
    reconstruction: np.ndarray
    score: float
    threshold: float
    flat: bool
    abnormal: bool  # the detector's own verdict (``predict``), flat-line rule included

    @property
    def margin(self) -> str:
        """How far the score is from the threshold, in words."""
        gap = self.score - self.threshold
        if gap > 0:
            return f"**{gap:.3f} above** the threshold {self.threshold:.3f} ({self.score / self.threshold:.1f}× it)"
        return f"**{-gap:.3f} below** the threshold {self.threshold:.3f} ({self.score / self.threshold:.0%} of it)"

    def explanation(self) -> str:
        if self.flat:
            return ("### Abnormal: a flat line\nThere is no heartbeat in a flat line. The model alone would "
                    f"not say so: it judges shape after rescaling every beat to mean 0 and spread 1, a flat "
                    f"line has no spread and becomes all zeros, and its score {self.score:.3f} is "
                    f"{self.margin}. So a flat drawing is flagged before the score is read.")
        if self.abnormal:
            return (f"### Abnormal\nThe model could not rebuild your beat: its anomaly score "
                    f"**{self.score:.3f}** is {self.margin}.")
        return (f"### Normal\nThe model rebuilt your beat closely: its anomaly score **{self.score:.3f}** "
                f"is {self.margin}.")


def is_blank(json_data: dict | None) -> bool:
    try:
        return not strokes_from_canvas_json(json_data)
    except DrawingError:  # too big to read, so not blank
        return False


def judge_drawing(model: TrainedModel, json_data: dict | None) -> Verdict:
    """The canvas's drawing through the model; raises ``DrawingError`` (a friendly message) if the
    drawing is no beat."""
    beat = drawing_to_model_input(json_data, GEOMETRY)
    detector = model.detector
    return Verdict(beat, detector.reconstruct(beat)[0], float(detector.decision_function(beat)[0]),
                   model.threshold, flat=bool(is_flat(beat)[0]), abnormal=bool(detector.predict(beat)[0]))


# ---------------------------------------------------------------- uploaded beats


class UploadError(ValueError):
    """A file that holds no beats to score; str(exc) is a friendly message for a learner."""


def read_upload(data: bytes) -> list[str]:
    """The file's text lines, or an ``UploadError`` saying why it can't be read."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"That file is {len(data) / 2**20:.1f} MB; files up to "
                          f"{MAX_UPLOAD_MB} MB can be scored here.")
    if not data.strip():
        raise UploadError("That file is empty. Upload a CSV with one beat per row, e.g. `0.1, 0.5, 1.2, ...`.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise UploadError("That doesn't look like a text file. Upload a CSV (plain text) with one beat "
                          "per row, numbers separated by commas, semicolons or spaces.")
    lines = text.splitlines()
    if len(lines) > MAX_UPLOAD_ROWS:
        raise UploadError(f"That file has {len(lines):,} rows; up to {MAX_UPLOAD_ROWS:,} can be scored here.")
    return lines


def score_upload(model: TrainedModel, data: bytes, has_label: bool = False) -> pd.DataFrame:
    """One table row per beat row of the file: row number, score, verdict, or why it was skipped."""
    lines = read_upload(data)
    rows = []
    for row in score_rows(model.detector, lines, has_label):
        if "error" in row:
            rows.append({"row": row["row"], "score": None, "verdict": "skipped", "problem": row["error"]})
            continue
        flat = row.get("flat", False)
        rows.append({"row": row["row"], "score": row["score"], "verdict": "abnormal" if row["anomaly"] else "normal",
                     "problem": "a flat row: no beat in it" if flat else ""})
    if not rows:
        raise UploadError("No beats in that file: every line is blank or a comment (#).")
    if all(r["verdict"] == "skipped" for r in rows):
        raise UploadError(f"No row of that file could be read as a beat (row {rows[0]['row']}: "
                          f"{as_text(rows[0]['problem'])}). Upload one beat per row, numbers only.")
    return pd.DataFrame(rows).set_index("row")


def upload_summary(table: pd.DataFrame) -> str:
    counts = table["verdict"].value_counts()
    scored = int(counts.get("normal", 0) + counts.get("abnormal", 0))
    summary = (f"{scored:,} beat{'s' if scored != 1 else ''} scored: {counts.get('normal', 0):,} normal, "
               f"{counts.get('abnormal', 0):,} abnormal.")
    if counts.get("skipped"):
        summary += f" {counts['skipped']:,} row{'s' if counts['skipped'] != 1 else ''} skipped (see *problem*)."
    return summary
