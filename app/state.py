"""What every page shares: the dataset, the start-up default model, the session's own model.

The dataset and the default model are cached for the whole server (read-only: nothing ever
mutates them). Each browser session's own model lives in ``st.session_state`` so sessions never
see each other's models.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from app.models import TrainedModel, train_model
from app.text import as_text
from core.data import DatasetError, Split, split_beats
from core.ucr import load_ucr
from core.model import AutoencoderSpec
from core.train import TrainConfig

MODEL_KEY = "model"


def use_app_navigation() -> None:
    """Make sure this run goes through streamlit_app.py's ``st.navigation``; call first on every page.

    While a top-level ``pages/`` folder exists, Streamlit starts a fresh server in its old
    file-based mode until ``st.navigation`` has run once: a deep link such as ``/draw`` opened
    first would run the page file alone (no page config, file names as navigation). Leaving
    that mode and rerunning sends this very request through our navigation instead.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False)
def load_split() -> Split:
    """All 5000 beats split once (read-only; a learner's actions never change it)."""
    bar = None

    def on_download(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0, text="Downloading ECG5000 from the UCR archive...")
        bar.progress(min(done / total, 1.0) if total else 0.0,
                     text=f"Downloading ECG5000 from the UCR archive: {done / 1e6:.1f} MB")

    split = split_beats(load_ucr(download=True, progress=on_download))
    if bar is not None:
        bar.empty()
    return split


def require_split() -> Split:
    """The split, or a clear message and a stopped page when the dataset can't be had."""
    try:
        return load_split()
    except (DatasetError, OSError, ValueError) as exc:
        st.error(f"The ECG5000 dataset could not be loaded: {exc}")
        st.stop()


@st.cache_resource(show_spinner="Training the default model (about a second)...")
def default_model() -> TrainedModel:
    """The model every session starts with: the default recipe, with a replay of its training."""
    return train_model(load_split(), AutoencoderSpec(), TrainConfig(), label="Default model",
                       record_replay=True)


def current_model() -> TrainedModel:
    """The session's model: the learner's latest trained one, else the default."""
    require_split()
    model = st.session_state.get(MODEL_KEY)
    return model if model is not None else default_model()


def set_current_model(model: TrainedModel) -> None:
    st.session_state[MODEL_KEY] = model


def model_badge() -> None:
    """One line that says which model the page is using."""
    model = current_model()
    st.caption(f"Model in use: **{as_text(model.label)}** · {as_text(model.describe())}")
