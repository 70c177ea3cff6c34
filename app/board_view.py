"""The Class board page: the room's runs as a sortable table and three charts, refreshed live.

All sessions of a room read one shared snapshot (``classroom.board.RoomCache``), so a refresh
costs no database query unless the snapshot is older than its few seconds.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import composer, room_session
from app.text import as_text
from classroom.board import RoomSnapshot
from classroom.exercises import EXERCISES, progress
from classroom.recipe import MAX_ABNORMAL_PERCENT
from classroom.storage import RunRecord

REFRESH_SECONDS = 15
TABLE_KEY = "board_runs"
ROWS_KEY = "board_rows"  # the runs as this session's table shows them, for the row it selects
NOTICE_KEY = "board_notice"
CHART = dict(height=330, margin=dict(l=10, r=10, t=50, b=10))
NO_TOOLBAR = {"displayModeBar": False}


def runs_table(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per run, best test AUC first (click a column header to sort otherwise)."""
    rows = [{"Learner": r.display_name, "Test AUC": r.test_auc, "F1": r.f1, "Precision": r.precision,
             "Recall": r.recall, "Parameters": r.param_count, "Layers": "-".join(map(str, s.layers)),
             "Optimizer": s.optimizer, "Learning rate": s.learning_rate, "Abnormal %": s.abnormal_percent,
             "Epochs": s.epochs, "Seed": s.seed, "Seconds": r.train_seconds,
             "Time": r.created_at.strftime("%H:%M:%S") if r.created_at else ""}
            for r, s in ((r, r.settings) for r in runs)]
    return pd.DataFrame(rows)


def load_selected_recipe() -> None:
    """Callback of the table: the selected run's recipe goes into this learner's composer."""
    selection = st.session_state[TABLE_KEY].selection.rows
    shown = st.session_state.get(ROWS_KEY, [])
    if not selection or selection[0] >= len(shown):
        return
    run = shown[selection[0]]
    composer.apply_settings(run.settings)
    locked = room_session.locks()
    note = " Your instructor's locked settings stay as they are." if locked else ""
    st.session_state[NOTICE_KEY] = (f"Loaded the recipe of **{as_text(run.display_name)}**'s run "
                                    f"(test AUC {run.test_auc:.3f}: {as_text(run.settings.describe())}) "
                                    f"into your composer.{note}")


def _hover(run: RunRecord) -> str:
    return (f"{html.escape(run.display_name)}<br>AUC {run.test_auc:.3f} · {run.param_count:,} parameters<br>"
            f"{html.escape(run.settings.describe())}")


def _auc_axis(runs: list[RunRecord]) -> dict:
    low = min(r.test_auc for r in runs)
    return dict(title="test AUC", range=[min(low - 0.02, 0.9), 1.005])


def auc_by_abnormal(runs: list[RunRecord]) -> go.Figure:
    """Every run as a dot (a small spread sideways so equal recipes don't hide each other), the
    class mean per abnormal % as a line."""
    x = np.array([r.settings.abnormal_percent for r in runs], dtype=float)
    jitter = np.random.default_rng(0).uniform(-0.4, 0.4, len(runs))
    fig = go.Figure(go.Scatter(x=x + jitter, y=[r.test_auc for r in runs], mode="markers", name="a run",
                               marker=dict(size=9, opacity=0.7), hovertext=[_hover(r) for r in runs],
                               hoverinfo="text"))
    means = pd.Series([r.test_auc for r in runs]).groupby(x).mean()
    fig.add_trace(go.Scatter(x=means.index, y=means.values, mode="lines+markers", name="class mean",
                             line=dict(width=3, color="#d62728")))
    fig.update_layout(title="AUC vs abnormal %",
                      xaxis=dict(title="abnormal %", range=[-3, MAX_ABNORMAL_PERCENT + 3]),
                      yaxis=_auc_axis(runs), **CHART,
                      legend=dict(x=0.99, xanchor="right", y=0.99, yanchor="top"))  # clear of a falling mean
    return fig


def auc_by_size(runs: list[RunRecord]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[r.param_count for r in runs], y=[r.test_auc for r in runs], mode="markers",
                               marker=dict(size=9, opacity=0.7), hovertext=[_hover(r) for r in runs],
                               hoverinfo="text", showlegend=False))
    fig.update_layout(title="AUC vs model size", xaxis=dict(type="log", dtick=1, title="parameters"),
                      yaxis=_auc_axis(runs), **CHART)
    return fig


def auc_by_optimizer(runs: list[RunRecord]) -> go.Figure:
    fig = go.Figure(go.Box(x=[composer.OPTIMIZER_NAMES[r.settings.optimizer] for r in runs],
                           y=[r.test_auc for r in runs], boxpoints="all", jitter=0.4, pointpos=0,
                           hovertext=[_hover(r) for r in runs], hoverinfo="text", showlegend=False))
    fig.update_layout(title="AUC by optimizer", yaxis=_auc_axis(runs), **CHART)
    return fig


def completion_table(shot: RoomSnapshot) -> pd.DataFrame:
    """Who has completed which exercise: one row per learner, ✓ where done."""
    rows = []
    for learner, name in shot.learners().items():
        runs, submissions = shot.runs_of(learner), shot.submissions_of(learner)
        rows.append({"Learner": name, "Runs": len(runs),
                     **{e.short: "✓" if progress(e.id, runs, submissions).done else "" for e in EXERCISES.values()}})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BoardContent:
    """What every session of a room draws from one snapshot; built once per snapshot (read-only)."""

    ordered: list[RunRecord]
    table: pd.DataFrame
    figures: tuple[go.Figure, ...]
    completion: pd.DataFrame


_built: dict[str, tuple[float, BoardContent]] = {}  # room code -> (snapshot time, its content)


def board_content(shot: RoomSnapshot) -> BoardContent:
    """The board of ``shot``, shared by all the room's sessions until the next snapshot: a refresh
    then costs each session only the sending, not the building (about half its server time)."""
    cached = _built.get(shot.room.code)
    if cached is not None and cached[0] == shot.fetched_at:
        return cached[1]
    runs = list(shot.runs)
    ordered = sorted(runs, key=lambda r: -r.test_auc)
    figures = (auc_by_abnormal(runs), auc_by_size(runs), auc_by_optimizer(runs)) if runs else ()
    content = BoardContent(ordered, runs_table(ordered), figures, completion_table(shot))
    _built[shot.room.code] = (shot.fetched_at, content)
    return content


@st.fragment(run_every=REFRESH_SECONDS)
def live_board() -> None:
    shot = room_session.snapshot()
    content = board_content(shot)
    runs = content.ordered
    learners = shot.learners()
    st.caption(f"{len(runs)} runs by {len(learners)} learners · updated {datetime.now():%H:%M:%S} · "
               f"refreshes every {REFRESH_SECONDS} s")
    if NOTICE_KEY in st.session_state:
        st.success(st.session_state.pop(NOTICE_KEY), icon=":material/download_done:")
        if "train" not in room_session.hidden_pages():
            st.page_link("pages/train.py", label="Open the composer", icon=":material/model_training:")
    if not runs:
        st.info("No runs yet: every model trained in this room appears here as soon as it is done.")
    else:
        st.session_state[ROWS_KEY] = runs
        st.markdown("**Every run in the room.** Click a column to sort; select a row to load its recipe into "
                    "your composer.")
        st.dataframe(content.table, key=TABLE_KEY, on_select=load_selected_recipe,
                     selection_mode="single-row", hide_index=True,
                     column_config={name: st.column_config.NumberColumn(format="%.3f")
                                    for name in ("Test AUC", "F1", "Precision", "Recall")}
                     | {"Seconds": st.column_config.NumberColumn(format="%.1f"),
                        "Learning rate": st.column_config.NumberColumn(format="%g")})
        for column, figure in zip(st.columns(3), content.figures):
            column.plotly_chart(figure, config=NO_TOOLBAR)
    if learners:
        st.markdown("**Exercises completed**")
        st.dataframe(content.completion, hide_index=True, key="board_completion")
