"""Honest warnings about the model in use (collapse, backwards ranking, numbers that rest on few
beats), shown wherever a model's results are: the Train page and the Insight lab."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.models import TrainedModel
from core import latent
from core.data import Split


@st.cache_data(max_entries=16, show_spinner=False)
def model_warnings(model_id: str, _model: TrainedModel, _split: Split) -> list[latent.ModelWarning]:
    """Computed once per model (model ids are unique per server process, so they key the cache)."""
    return latent.diagnose(_model.detector, _model.evaluation, _split)


def show_model_warnings(model: TrainedModel, split: Split) -> None:
    for warning in model_warnings(model.id, model, split):
        (st.info if warning.kind == "few beats" else st.warning)(warning.message, icon=":material/warning:")


@st.cache_data(max_entries=16, show_spinner=False)
def class_recall_table(model_id: str, _model: TrainedModel, _split: Split) -> pd.DataFrame:
    """Per UCR class: test beats and the share flagged abnormal at the model's threshold."""
    return pd.DataFrame(latent.class_recalls(_model.evaluation, _split.test)).set_index("class")
