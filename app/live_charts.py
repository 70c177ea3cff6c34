"""The train page's section 3, kept live: buttons, notice, progress line and the three charts.

Two fragments poll the session's run (see ``show``): only they rerun, never the whole page, so
the learner can change settings, leave for another page or come back while the pool trains. A
poll that sees the run change kind (``live_training.poll_kind``: queued -> running -> ended)
reruns the whole page once, to start or stop polling and redraw the model line and the tiles.

The charts come from small snapshots computed in the worker (histogram counts, a ROC curve);
without a snapshot yet they show the model in use. Every poll draws all three, in place: their
Vega-Lite specs (``app.live_figures``) stay the same while a run goes, so the browser swaps only
the data.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import live_training
from app.composer import show_notice
from app.live_figures import HEIGHT, LiveChart, error_chart, loss_chart, roc_chart
from app.live_training import NOTICE_KEY, LiveRun, active_run, poll_kind
from app.models import TrainedModel
from app.state import current_model
from app.text import as_text
from core.data import Split
from core.jobs import shared_pool
from core.metrics import ThresholdSweep, error_counts, roc
from core.training_job import HISTOGRAM_BINS, HUGE_ERROR

POLL_KIND_KEY = "composer_poll_kind"
RUNNING_STATUS_SECONDS = 0.3  # per training running in the pool, as the charts: each poll costs the browser
# ~40 ms of CPU, and in a workshop's benchmark the browsers share the server's cores
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
        return RUNNING_STATUS_SECONDS * max(1, shared_pool().running)
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
    if run is None or run.snapshot is None:
        model = current_model()
        st.caption(f"Charts of the model in use, **{as_text(model.label)}**, on the validation set after "
                   f"{model.result.epochs_run} epochs (validation loss: normal beats only)."
                   + (" Press Train to watch a new model learn." if run is None else ""))
        charts = _model_charts(model, split)
    else:
        st.caption(f"Live: loss up to epoch {len(run.history)} of {run.epochs}; validation errors and ROC "
                   f"after epoch {run.snapshot.epoch} (validation loss: normal beats only).")
        charts = _run_charts(run)
    for column, chart in zip(st.columns(3), charts):
        column.vega_lite_chart(chart.data, chart.spec, width="stretch", height=HEIGHT)


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


def _model_charts(model: TrainedModel, split: Split) -> tuple[LiveChart, LiveChart, LiveChart]:
    labels = split.validation.is_anomaly
    scores = np.nan_to_num(model.evaluation.val_scores, nan=HUGE_ERROR, posinf=HUGE_ERROR)
    point = ThresholdSweep(scores, labels).metrics(model.threshold)
    curve = roc(scores, labels)
    history = model.detector.history_
    return (_loss(history, model.config.epochs),
            error_chart(*error_counts(scores, labels, HISTOGRAM_BINS), model.threshold),
            roc_chart(curve["fpr"], curve["tpr"], curve["auc"], (point["fpr"], point["tpr"])))


def _run_charts(run: LiveRun) -> tuple[LiveChart, LiveChart, LiveChart]:
    snap = run.snapshot
    return (_loss(run.history, run.epochs),
            error_chart(snap.bin_edges, snap.normal_counts, snap.abnormal_counts, snap.threshold),
            roc_chart(snap.fpr, snap.tpr, snap.auc, snap.point))


def _loss(history: list[dict], total_epochs: int) -> LiveChart:
    return loss_chart([h["epoch"] for h in history], [h["train_loss"] for h in history],
                      [h["val_loss"] for h in history], total_epochs)
