"""The Draw page's adversarial search: from the beat on the canvas (drawn, a preset, or an uploaded
row loaded onto it), the smallest change that flips the model's verdict, and a way to load that
changed beat back onto the canvas to edit it further.
"""

from __future__ import annotations

import hashlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app.drawing_view import CARRIED_KEY, PRESET_KEY, VERSION_KEY
from app.figures import ABNORMAL_COLOUR, INPUT_COLOUR, RECON_COLOUR, THRESHOLD_COLOUR, style_figure
from app.models import TrainedModel
from core.attack import Flip, find_flips


RESULT_KEY = "attack_result"
LOADED_KEY = "attack_loaded"


def _fingerprint(model: TrainedModel, beat: np.ndarray) -> tuple[int, str]:
    return model.id, hashlib.sha1(np.asarray(beat, np.float32).tobytes()).hexdigest()


def search(model: TrainedModel, beat: np.ndarray) -> None:
    """Button callback: run the search for this model and beat, keep the result in the session."""
    flip = find_flips(model.detector, beat)[0]
    st.session_state[RESULT_KEY] = (_fingerprint(model, beat), flip)


def current_flip(model: TrainedModel, beat: np.ndarray) -> Flip | None:
    stored = st.session_state.get(RESULT_KEY)
    return stored[1] if stored and stored[0] == _fingerprint(model, beat) else None


# ---------------------------------------------------------------- the canvas


def load_into_canvas(values: np.ndarray, caption: str) -> None:
    """A fresh canvas holding ``values``, carried like a drawing over a resize (see
    ``app.drawing_view.fit_canvas``); the Draw page's presets and Clear replace it again."""
    values = np.asarray(values, np.float64)
    st.session_state[PRESET_KEY] = None
    st.session_state[CARRIED_KEY] = values
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
    st.session_state[LOADED_KEY] = (values, caption)


def loaded_caption() -> str | None:
    """What the canvas holds, while it still holds the beat loaded here."""
    loaded, carried = st.session_state.get(LOADED_KEY), st.session_state.get(CARRIED_KEY)
    return loaded[1] if loaded is not None and carried is not None and np.array_equal(loaded[0], carried) else None


# ---------------------------------------------------------------- drawing the result


def flip_figure(flip: Flip, height: int = 320) -> go.Figure:
    t = np.arange(len(flip.original))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=t, y=flip.difference, name="difference", marker_color=ABNORMAL_COLOUR, opacity=0.45))
    fig.add_trace(go.Scatter(x=t, y=flip.original, name="your beat", line=dict(color=INPUT_COLOUR, width=2)))
    fig.add_trace(go.Scatter(x=t, y=flip.adversarial, name="changed beat", line=dict(color=RECON_COLOUR, width=2)))
    fig = style_figure(fig, height, title="Before and after the change", xaxis_title="time step",
                       yaxis_title="value (z-score)", bargap=0)
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.3, yanchor="top"),
                      margin=dict(b=70))  # below the axis: three names don't fit beside a half-width title
    return fig


def search_figure(flip: Flip, height: int = 320) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(y=flip.scores, mode="lines", name="anomaly score", line=dict(color=INPUT_COLOUR)))
    fig.add_hline(y=flip.threshold, line=dict(color=THRESHOLD_COLOUR, dash="dash"),
                  annotation_text=f"threshold {flip.threshold:.3f}")
    return style_figure(fig, height, title="Score along the search", yaxis_title="anomaly score (log scale)",
                        xaxis_title="search step (rounds restart with a new weight on the change's size)",
                        yaxis_type="log", showlegend=False)


def explanation(flip: Flip) -> str:
    before, after = ("abnormal", "normal") if flip.original_verdict else ("normal", "abnormal")
    if not flip.flipped:
        return (f"No change the search tried turned this **{before}** verdict into **{after}**: the score stayed "
                f"on the same side of the threshold {flip.threshold:.3f}.")
    return (f"A change of **{flip.relative_change:.0%} of the beat's size** (L2 norm) turns the verdict from "
            f"**{before}** into **{after}**: the score goes from {flip.original_score:.3f} to "
            f"{flip.adversarial_score:.3f} (threshold {flip.threshold:.3f}). A small change that flips the "
            "verdict means the model's boundary runs close to this beat.")
