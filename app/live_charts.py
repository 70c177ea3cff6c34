"""The train page's section 3, kept live: buttons, notice, progress line and the three charts.

Two fragments poll the session's run (see ``show``): only they rerun, never the whole page, so
the learner can change settings, leave for another page or come back while the pool trains. A
poll that sees the run change kind (``live_training.poll_kind``: queued -> running -> ended)
reruns the whole page once, to start or stop polling and redraw the model line and the tiles.

The charts come from small snapshots computed in the worker (histogram counts, a ROC curve);
without a snapshot yet they show the model in use. Every poll draws all three, in place.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import live_training
from app.composer import show_notice
from app.figures import binned_histogram, error_histogram, loss_figure, roc_figure
from app.live_training import NOTICE_KEY, LiveRun, active_run, poll_kind
from app.state import current_model
from app.text import as_text
from core.data import Split
from core.jobs import shared_pool
from core.metrics import ThresholdSweep, roc
from core.training_job import HUGE_ERROR

POLL_KIND_KEY = "composer_poll_kind"
RUNNING_STATUS_SECONDS = 0.3
QUEUED_STATUS_SECONDS = (1.0, 0.25, 5.0)  # 1 s + 0.25 s per training ahead, at most 5 s: a long line
# of waiting learners must not cost more CPU than the trainings they wait for
CHART_SECONDS = 0.5  # per training running in the pool: more runs at once, fewer redraws each


def show(split: Split, can_train: bool) -> None:
    """Section 3 of the train page (call in a full script run).

    Two fragments: the status (buttons, notice, progress) polls while the run is queued or
    running; the charts only while it runs, and less often the busier the pool is.
    """
    kind = poll_kind(active_run())  # as the app's follow() left it: the badge above was drawn from that
    st.session_state[POLL_KIND_KEY] = kind
    st.fragment(run_every=_status_seconds(kind))(_status)(split, can_train)
    charts_every = CHART_SECONDS * max(1, shared_pool().running) if kind == "running" else None
    st.fragment(run_every=charts_every)(_charts)(split)


def _status_seconds(kind: str) -> float | None:
    if kind == "running":
        return RUNNING_STATUS_SECONDS
    if kind == "queued":
        first, per_job, most = QUEUED_STATUS_SECONDS
        run = active_run()
        ahead = (run.job.position if run is not None and run.job is not None else None) or 0
        return min(most, first + per_job * ahead)
    return None


def _status(split: Split, can_train: bool) -> None:
    live_training.follow()
    run = active_run()
    if poll_kind(run) != st.session_state.get(POLL_KIND_KEY):
        st.rerun()  # start or stop polling; an ended run also changes the model line and the tiles
    _draw_controls(run, split, can_train)
    show_notice(NOTICE_KEY)
    _draw_progress(run)


def _charts(split: Split) -> None:
    run = active_run()
    if run is None:
        st.caption(f"Charts of the model in use, **{as_text(current_model().label)}**, on the validation set. "
                   "Press Train to watch a new model learn.")
    loss, histogram, roc_chart = st.columns(3)
    if run is None or run.snapshot is None:
        _draw_model(loss, histogram, roc_chart, split)
    else:
        _draw_run(loss, histogram, roc_chart, run)


def _draw_controls(run: LiveRun | None, split: Split, can_train: bool) -> None:
    state = "idle" if run is None else run.state
    with st.container(horizontal=True):
        if state in ("running", "queued"):
            st.button("Pause", icon=":material/pause:", key="composer_pause", on_click=live_training.pause)
            _stop_button(split)
        elif state in ("paused", "pausing"):
            st.button("Resume", icon=":material/resume:", key="composer_resume", type="primary",
                      on_click=live_training.resume)
            _step_button(split, disabled=state == "pausing")
            _stop_button(split)
            _train_button(split, primary=False, disabled=not can_train)
        else:
            _train_button(split, primary=True, disabled=not can_train)
            _step_button(split, disabled=not can_train)


def _train_button(split: Split, primary: bool, disabled: bool) -> None:
    st.button("Train", icon=":material/play_arrow:", key="composer_train", on_click=live_training.start,
              args=(split,), type="primary" if primary else "secondary", disabled=disabled)


def _step_button(split: Split, disabled: bool) -> None:
    st.button("Step one epoch", icon=":material/skip_next:", key="composer_step", on_click=live_training.step,
              args=(split,), disabled=disabled)


def _stop_button(split: Split) -> None:
    st.button("Stop and keep", icon=":material/stop:", key="composer_stop", on_click=live_training.stop,
              args=(split,))


def _draw_progress(run: LiveRun | None) -> None:
    if run is None:
        return
    done, total = len(run.history), run.epochs
    if run.job is not None and run.job.status == "queued":
        st.progress(done / total, text=_queue_text(run))
    elif run.state == "paused":
        st.progress(done / total, text=f"Paused after epoch {done} of {total}: resume, step one epoch, or stop "
                                       "and keep this model.")
    elif run.state == "pausing":
        what = "one epoch" if run.request.mode == "step" else "until the current epoch ends"
        st.progress(done / total, text=f"Training {what}, then pausing (epoch {done} of {total})...")
    elif run.history:
        last = run.history[-1]
        st.progress(done / total, text=f"Epoch {done}/{total} · train loss {last['train_loss']:.4f} · "
                                       f"validation loss {last['val_loss']:.4f} · {run.seconds:.1f} s")
    else:
        st.progress(0.0, text=f"Training from epoch 1 of {total}...")


def _queue_text(run: LiveRun) -> str:
    pool = shared_pool()
    ahead = run.job.position or 0
    wait = pool.wait_estimate(run.job)
    who = ("Your training is next" if ahead == 0 else
           f"{ahead} training{'s' if ahead > 1 else ''} ahead of you")
    return (f"Waiting for a free trainer: {who}, about {max(1, round(wait))} s "
            f"({pool.running} of {pool.workers} trainers busy).")


def _draw_model(loss, histogram, roc_chart, split: Split) -> None:
    model = current_model()
    labels = split.validation.is_anomaly
    scores = np.nan_to_num(model.evaluation.val_scores, nan=HUGE_ERROR, posinf=HUGE_ERROR)
    point = ThresholdSweep(scores, labels).metrics(model.threshold)
    curve = roc(scores, labels)
    stage = f"after {model.result.epochs_run} epochs"
    _loss_chart(loss, model.detector.history_, model.config.epochs, stage)
    histogram.plotly_chart(error_histogram(scores, labels, model.threshold, title="Validation errors", subtitle=stage,
                                           legend="top right"))
    _roc_chart(roc_chart, curve["fpr"], curve["tpr"], curve["auc"], (point["fpr"], point["tpr"]), stage)


def _draw_run(loss, histogram, roc_chart, run: LiveRun) -> None:
    _loss_chart(loss, run.history, run.epochs, f"epoch {len(run.history)}/{run.epochs}")
    snap = run.snapshot
    stage = f"epoch {snap.epoch}/{run.epochs}"
    histogram.plotly_chart(binned_histogram(snap.bin_edges, snap.normal_counts, snap.abnormal_counts, snap.threshold,
                                            title="Validation errors", subtitle=stage, legend="top right"))
    _roc_chart(roc_chart, snap.fpr, snap.tpr, snap.auc, snap.point, stage)


def _loss_chart(where, history: list[dict], total_epochs: int, stage: str) -> None:
    where.plotly_chart(loss_figure([h["epoch"] for h in history], [h["train_loss"] for h in history],
                                   [h["val_loss"] for h in history], total_epochs=total_epochs, subtitle=stage,
                                   legend="top right"))


def _roc_chart(where, fpr, tpr, auc: float, point: tuple[float, float], stage: str) -> None:
    where.plotly_chart(roc_figure(fpr, tpr, auc, point=point, title="Validation ROC", subtitle=stage,
                                  legend="bottom right"))
