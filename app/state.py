"""What every page shares: the data split and the default model (``app.shared``: built once per
server process), the session's own model, and what a page shows until the shared ones are ready.

Each browser session's own model lives in ``st.session_state`` so sessions never see each other's
models.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from app.models import TrainedModel
from app.shared import PREPARATION
from app.text import as_text
from core.data import DatasetError, Split
from core.ucr import CACHE_DIR, ENV_VAR, UCR_URL

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


PROGRESS_SECONDS = 0.2  # how often a waiting page updates what is being prepared


def load_split() -> Split:
    """All 5000 beats split once (read-only; a learner's actions never change it). Waits, no UI."""
    return PREPARATION.get().split


def default_model() -> TrainedModel:
    """The model every session starts with: the default recipe, with a replay of its training."""
    return PREPARATION.get().default_model


def require_split() -> Split:
    """The split once the shared data and default model are ready; meanwhile what is being done;
    a page saying how to provide the data (and stopping) when it can't be had."""
    if not PREPARATION.ready:
        _wait_showing_progress()
    if PREPARATION.error is not None:
        if not isinstance(PREPARATION.error, (DatasetError, OSError, ValueError)):
            raise PREPARATION.error
        _dataset_problem(PREPARATION.error)
        st.stop()
    return PREPARATION.result.split


def _wait_showing_progress() -> None:
    where = st.empty()
    while not PREPARATION.wait(PROGRESS_SECONDS):
        fraction = PREPARATION.fraction
        where.progress(fraction if fraction is not None else 0.0,
                       text=f"Getting the app ready for its first visitor. {PREPARATION.stage}...")
    where.empty()


def _dataset_problem(error: Exception) -> None:
    """One page that says what went wrong and exactly how to provide the data."""
    st.title("The heartbeat data is missing")
    if isinstance(error, OSError):  # network errors included (requests' are OSErrors)
        happened = ("No copy of ECG5000 was found on this server, and downloading it from the UCR archive "
                    "failed (is this machine offline?).")
    else:
        happened = "The ECG5000 files found on this server are not the UCR release this app expects."
    st.error(happened, icon=":material/cloud_off:")
    st.markdown(f"""This app needs **ECG5000**, two text files of 5,000 heartbeats (about 11 MB), from the
UCR time-series archive. To provide them:

1. On any machine with internet, download [{UCR_URL.rsplit("/", 1)[-1]}]({UCR_URL}) and unzip it.
2. Put the two files **`ECG5000_TRAIN.txt`** and **`ECG5000_TEST.txt`** (or their `.ts` / `.arff` forms)
   either into the folder `{CACHE_DIR}` on this server, or into any folder and start the server with
   `{ENV_VAR}=/that/folder scripts/run`.
3. Press **Try again**.""")
    st.button("Try again", icon=":material/refresh:", type="primary", key="dataset_retry",
              on_click=PREPARATION.retry)
    with st.expander("What exactly went wrong"):
        st.text(f"{type(error).__name__}: {error}")


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
