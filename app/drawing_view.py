"""What the Draw page computes: the canvas set-up, preset beats, a drawing's verdict, uploaded beats.

The canvas stands for values 4 down to -6 (every typical ECG5000 beat fits) and is as wide as
the page's column allows (``available_width``, measured in the browser), 3:7 high: the whole
beat can be drawn on a 1024 px projector as on a 1920 px screen, and a drawing reads the same
140 points whatever the size. The canvas widget is re-mounted under a new key to clear it, to
load a preset, or to resize it, because a mounted canvas keeps its own drawing whatever Python
sends it; a resize carries the drawing over (as its 140-point reading).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from app.figures import INPUT_COLOUR, NORMAL_COLOUR
from app.models import TrainedModel
from app.state import load_split
from app.text import as_text
from core.beats_csv import BeatsFileError, decode_beats_file
from core.data import CLASS_NAMES, NORMAL_CLASS, SERIES_LENGTH, Beats
from core.detector import FLAT, REASONS, UNSCORABLE, BeatVerdict
from core.drawing import (CanvasGeometry, DrawingError, drawing_to_model_input, initial_drawing,
                          strokes_from_canvas_json, strokes_to_beat)
from core.scoring import ScoredFile, score_text

GEOMETRY = CanvasGeometry(width=700, height=300)  # until the browser has said how wide the column is
MIN_WIDTH, MAX_WIDTH = 480, 1000  # pixels: narrower is too fiddly to draw on, wider too tall to see whole
STROKE_COLOUR = INPUT_COLOUR
STROKE_WIDTH = 3
VERSION_KEY = "draw_canvas_version"
PRESET_KEY = "draw_preset"
CARRIED_KEY = "draw_carried"  # a drawing's 140 values, carried over to a resized canvas
WIDTH_KEY = "draw_canvas_width"
LABEL_PIXELS, LABEL_COLOUR = 13, "#6c757d"  # the grid's value labels: readable from the back of a room
MAX_UPLOAD_MB = 2  # what the uploader says and refuses in the browser; Streamlit's MB is 2**20 bytes
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
MAX_UPLOAD_ROWS = 10_000

FLAT_PRESET = "flat"
PRESETS = {"normal": "Normal beat", "r_on_t": "R-on-T PVC", "pvc": "PVC", FLAT_PRESET: "Flat line"}
PRESET_CLASSES = {"normal": NORMAL_CLASS, "r_on_t": 2, "pvc": 3}


# ---------------------------------------------------------------- the canvas


def canvas_key() -> str:
    return f"draw_canvas_{st.session_state.setdefault(VERSION_KEY, 0)}"


def remount_canvas(preset: str | None = None) -> None:
    """A fresh canvas: empty, or holding one of ``PRESETS``."""
    st.session_state[PRESET_KEY] = preset
    st.session_state.pop(CARRIED_KEY, None)
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


_WIDTH_PROBE = st.components.v2.component(
    "ecg_lab.available_width",
    # Reports the width of the column it sits in, and again when it changes by 20 px or more
    # (a window resized, a laptop moved to the projector).
    js="""
export default function ({ parentElement, setStateValue }) {
  const box = parentElement.host ?? parentElement;
  let reported = 0;
  const report = () => {
    const width = Math.floor(box.getBoundingClientRect().width);
    if (width > 0 && Math.abs(width - reported) >= 20) {
      reported = width;
      setStateValue("width", width);
    }
  };
  const observer = new ResizeObserver(report);
  observer.observe(box);
  report();
  return () => observer.disconnect();
}
""")


def available_width() -> int | None:
    """The page column's width in pixels, as the browser reports it; None until it has."""
    width = _WIDTH_PROBE(key="draw_available_width", default={"width": None},
                         on_width_change=lambda: None).get("width")
    return int(width) if isinstance(width, (int, float)) and width > 0 else None


def canvas_geometry(available: int | None) -> CanvasGeometry:
    if available is None:
        return GEOMETRY
    width = int(np.clip(available // 10 * 10, MIN_WIDTH, MAX_WIDTH))
    return CanvasGeometry(width=width, height=round(width * 3 / 7))


def fit_canvas(available: int | None) -> CanvasGeometry:
    """The canvas geometry for ``available`` pixels; when that changes the width, a re-mounted
    canvas holding what was drawn (read at 140 points on the old canvas, redrawn on the new)."""
    geometry = canvas_geometry(available)
    previous = st.session_state.get(WIDTH_KEY)
    st.session_state[WIDTH_KEY] = geometry.width
    if previous is not None and previous != geometry.width:
        drawn = st.session_state.get(canvas_key())
        try:
            strokes = strokes_from_canvas_json((drawn or {}).get("drawing", {}).get("raw"))
            values = strokes_to_beat(strokes, canvas_geometry(previous), SERIES_LENGTH)
        except (DrawingError, AttributeError):
            values = None  # nothing drawn yet, or nothing readable: a preset is simply redrawn
        if values is not None:
            st.session_state[CARRIED_KEY] = values
        st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
    return geometry


def typical_beat(beats: Beats, cls: int) -> int:
    """Index of the beat of class ``cls`` closest to its class mean: a typical example, model-free."""
    candidates = np.flatnonzero(beats.y == cls)
    members = beats.x[candidates]
    return int(candidates[np.argmin(((members - members.mean(axis=0)) ** 2).sum(axis=1))])


def preset_beat(name: str, test: Beats) -> tuple[np.ndarray, str]:
    """(values, a sentence saying what they are) for one of ``PRESETS``."""
    if name == FLAT_PRESET:
        return np.zeros(SERIES_LENGTH), "Loaded a flat line: no heartbeat at all."
    index = typical_beat(test, PRESET_CLASSES[name])
    return test.x[index], (f"Loaded a real **{CLASS_NAMES[PRESET_CLASSES[name]]}** test beat (#{index}): "
                           f"draw over part of it and watch the verdict change.")


def current_preset(test: Beats, geometry: CanvasGeometry) -> tuple[dict | None, str | None]:
    """(the canvas's initial drawing, a caption) for a drawing carried over a resize or the loaded
    preset; (None, None) if there is neither."""
    if CARRIED_KEY in st.session_state:
        return initial_drawing([st.session_state[CARRIED_KEY]], geometry), None
    name = st.session_state.get(PRESET_KEY)
    if name not in PRESETS:
        return None, None
    values, caption = preset_beat(name, test)
    return initial_drawing([values], geometry), caption


@st.cache_data(show_spinner=False, max_entries=32)
def background_png(guide: bool, g: CanvasGeometry = GEOMETRY) -> bytes:
    """A faint grid (one line per 10 time steps and per value unit, zero darker) with legible value
    labels, optionally with the train pool's mean normal beat as a guide to trace."""
    image = Image.new("RGB", (g.width, g.height), "white")
    pen = ImageDraw.Draw(image)
    for step in range(0, SERIES_LENGTH, 10):
        x = step * g.width / (SERIES_LENGTH - 1)
        pen.line([(x, 0), (x, g.height)], fill="#eeeeee")
    values = range(int(np.ceil(g.value_bottom)), int(np.floor(g.value_top)) + 1)
    for value in values:
        y = float(g.value_to_y(value))
        pen.line([(0, y), (g.width, y)], fill="#c8c8c8" if value == 0 else "#eeeeee")
    if guide:
        mean_normal = load_split().train.normal.mean(axis=0)
        xs = np.linspace(0, g.width, SERIES_LENGTH)
        pen.line(list(zip(xs, g.value_to_y(mean_normal))), fill=_faint(NORMAL_COLOUR), width=5, joint="curve")
    font = ImageFont.load_default(size=LABEL_PIXELS)
    for value in values:
        y = float(g.value_to_y(value))
        if y < LABEL_PIXELS:  # the top edge: its value needs no label
            continue
        # above its line, on white so that the guide doesn't hide it
        label = f"{value:+d}" if value else "0"
        box = pen.textbbox((4, y - 2), label, font=font, anchor="ls")
        pen.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill="white")
        pen.text((4, y - 2), label, fill=LABEL_COLOUR, font=font, anchor="ls")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _faint(colour: str, strength: float = 0.3) -> tuple[int, int, int]:
    """``colour`` mixed into white."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return tuple(int(round(255 - strength * (255 - c))) for c in rgb)


# ---------------------------------------------------------------- the verdict


def judge_drawing(model: TrainedModel, json_data: dict | None, geometry: CanvasGeometry = GEOMETRY) -> BeatVerdict:
    """The canvas's drawing judged by the model in use; raises ``DrawingError`` (a friendly message) if
    the drawing is no beat."""
    return model.detector.judge(drawing_to_model_input(json_data, geometry))[0]


def margin(verdict: BeatVerdict) -> str:
    """How far the score is from the threshold, in words."""
    gap = verdict.score - verdict.threshold
    if gap > 0:
        return f"**{gap:.3f} above** the threshold {verdict.threshold:.3f} ({verdict.score / verdict.threshold:.1f}× it)"
    return f"**{-gap:.3f} below** the threshold {verdict.threshold:.3f} ({verdict.score / verdict.threshold:.0%} of it)"


def explanation(verdict: BeatVerdict) -> str:
    if verdict.reason == FLAT:
        return ("### Abnormal: a flat line\nThere is no heartbeat in a flat line. The model alone would "
                f"not say so: it judges shape after rescaling every beat to mean 0 and spread 1, a flat "
                f"line has no spread and becomes all zeros, and its score {verdict.score:.3f} is "
                f"{margin(verdict)}. So a flat drawing is flagged before the score is read.")
    if verdict.reason == UNSCORABLE:
        return f"### Abnormal: no score\nThe model could not score this beat: {verdict.explanation}."
    if verdict.abnormal:
        return (f"### Abnormal\nThe model could not rebuild your beat: its anomaly score "
                f"**{verdict.score:.3f}** is {margin(verdict)}.")
    return (f"### Normal\nThe model rebuilt your beat closely: its anomaly score **{verdict.score:.3f}** "
            f"is {margin(verdict)}.")


def is_blank(json_data: dict | None) -> bool:
    try:
        return not strokes_from_canvas_json(json_data)
    except DrawingError:  # too big to read, so not blank
        return False


# ---------------------------------------------------------------- uploaded beats


class UploadError(ValueError):
    """A file that holds no beats to score; str(exc) is a friendly message for a learner."""


def read_upload(data: bytes) -> list[str]:
    """The file's text lines, or an ``UploadError`` saying why it can't be read."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"That file is {len(data) / 2**20:.1f} MB; files up to "
                          f"{MAX_UPLOAD_MB} MB can be scored here.")
    try:
        lines = decode_beats_file(data).splitlines()
    except BeatsFileError as exc:
        raise UploadError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    if len(lines) > MAX_UPLOAD_ROWS:
        raise UploadError(f"That file has {len(lines):,} rows; up to {MAX_UPLOAD_ROWS:,} can be scored here.")
    return lines


def score_upload(model: TrainedModel, data: bytes, has_label: bool = False) -> ScoredFile:
    """Every beat row of the file judged by the model in use, or an ``UploadError`` if none can be."""
    scored = score_text(model.detector, read_upload(data), has_label)
    if not scored.rows:
        raise UploadError("No beats in that file: every line is blank or a comment (#).")
    if scored.judgement is None:
        first = scored.rows[0]
        raise UploadError(f"No row of that file could be read as a beat (row {first.row}: "
                          f"{as_text(first.error)}). Upload one beat per row, numbers only.")
    return scored


def upload_table(scored: ScoredFile) -> pd.DataFrame:
    """One row per file row: (label,) score, verdict, and why: the verdict's reason or why it was skipped."""
    rows = []
    for record in scored.records():
        label = {"label": record.get("label")} if scored.has_label else {}
        if "error" in record:
            rows.append({"row": record["row"], **label, "score": None, "verdict": "skipped", "why": record["error"]})
        else:
            rows.append({"row": record["row"], **label, "score": record["score"],
                         "verdict": "abnormal" if record["anomaly"] else "normal", "why": REASONS[record["reason"]]})
    return pd.DataFrame(rows).set_index("row")


SKIPPED_SHOWN = 50  # skipped rows listed on the page (a static table wraps their reasons; the download has all)


def judged_and_skipped(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The judged rows, and the skipped rows with only why (no empty label or score cells)."""
    skipped = table["verdict"] == "skipped"
    return table[~skipped], table.loc[skipped, ["why"]]


def upload_summary(scored: ScoredFile) -> str:
    counts = scored.counts()
    judged = counts["normal"] + counts["abnormal"]
    summary = (f"{judged:,} beat{'s' if judged != 1 else ''} scored: {counts['normal']:,} normal, "
               f"{counts['abnormal']:,} abnormal.")
    if counts["skipped"]:
        summary += f" {counts['skipped']:,} row{'s' if counts['skipped'] != 1 else ''} skipped (see *why*)."
    return summary


LABEL_HINT = ("Every row of this file starts with a whole number from 1 to 5, like the class labels of UCR "
              "files. If those are labels, tick *Each row starts with a class label*: now they are read as "
              "the beat's first value.")


def confusion_table(scored: ScoredFile) -> pd.DataFrame | None:
    """Verdicts against the file's labels as a 2 x 2 table, or None for a file without labels."""
    c = scored.confusion()
    if c is None:
        return None
    return pd.DataFrame({"said normal": [c.tn, c.fn], "said abnormal": [c.fp, c.tp]},
                        index=["label 1 (normal)", "label 2-5 (abnormal)"])


def accuracy_sentence(scored: ScoredFile) -> str:
    c = scored.confusion()
    total = c.tp + c.fp + c.tn + c.fn
    return (f"Against the file's labels the model is right on **{c.tp + c.tn:,} of {total:,}** beats: accuracy "
            f"**{c.metrics()['accuracy']:.1%}**. It flagged {c.fp:,} normal beat{'s' if c.fp != 1 else ''} and "
            f"missed {c.fn:,} abnormal one{'s' if c.fn != 1 else ''}.")


def results_csv(table: pd.DataFrame) -> bytes:
    return table.to_csv().encode()
