"""The train page's live run and its charts.

The run (detector + ``Training``) lives in ``st.session_state``: every click on Pause, Resume,
Step or Stop reruns the script, and the rerun must find the same run. Streamlit starts that rerun
in a new thread at once and stops the old one only at its next Streamlit call, so for a moment
two threads hold the run: its lock makes every epoch and every state change one at a time.
Charts are redrawn at most every ``REDRAW_SECONDS`` of wall time: Streamlit re-sends whole plotly
figures, so three charts every epoch would cost several times the training itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import room_session
from app.composer import read_recipe, show_notice
from app.figures import error_histogram, legend_inside, log_axis_ticks, loss_figure, roc_figure
from app.models import TrainedModel, finish_model
from app.state import current_model, model_badge, set_current_model
from app.text import as_text
from core.data import Composition, Split
from core.detector import AutoencoderDetector
from core.evaluation import start_experiment
from core.metrics import ThresholdSweep, roc
from core.train import EpochEnd, Training

RUN_KEY = "composer_run"
NOTICE_KEY = "composer_notice"
COUNT_KEY = "composer_model_count"
REDRAW_SECONDS = 0.25
PROGRESS_SECONDS = 0.05  # each message makes the browser re-render: not one per millisecond-long epoch
HUGE_ERROR = 1e300  # stands in for an infinite reconstruction error in the charts


@dataclass
class LiveRun:
    detector: AutoencoderDetector
    training: Training
    composition: Composition
    paused: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    outcome: tuple | None = None  # set once by settle(), see there


@dataclass(frozen=True)
class LiveView:
    """Where the train section draws; ``badge`` is the page's model line. A run that ends redraws
    them all in the same script run: a rerun would first wait for Streamlit's full garbage
    collection after every script run (0.2-0.4 s here)."""

    badge: DeltaGenerator
    controls: DeltaGenerator
    notice: DeltaGenerator
    progress: DeltaGenerator
    loss: DeltaGenerator
    histogram: DeltaGenerator
    roc: DeltaGenerator


def active_run() -> LiveRun | None:
    return st.session_state.get(RUN_KEY)


def run_state() -> str:
    run = active_run()
    return "idle" if run is None else "paused" if run.paused else "running"


# ---------------------------------------------------------------- button callbacks


def start(split: Split, paused: bool = False) -> None:
    """A new run from the composer's recipe (replacing any unfinished one)."""
    st.session_state.pop(RUN_KEY, None)
    st.session_state.pop(NOTICE_KEY, None)
    try:
        recipe = read_recipe(split.train)
        detector, training = start_experiment(split, recipe.spec, recipe.config, recipe.composition)
    except ValueError as exc:
        _notice("error", f"This can't be trained: {as_text(exc)}")
        return
    st.session_state[RUN_KEY] = LiveRun(detector, training, recipe.composition, paused)


def pause() -> None:
    if run := active_run():
        with run.lock:
            run.paused = True


def resume() -> None:
    if run := active_run():
        run.paused = False


def step(split: Split) -> None:
    """One epoch; from idle, a new paused run first."""
    if active_run() is None:
        start(split, paused=True)
    if run := active_run():
        with run.lock:
            run.training.step()
        if run.training.done:
            settle(run, split)


def stop(split: Split) -> None:
    if run := active_run():
        with run.lock:
            run.training.stop()
        settle(run, split)


def settle(run: LiveRun, split: Split) -> None:
    """Put an ended run's outcome into the session state: the new model, or why there is none.

    Safe to repeat: a thread that Streamlit stops halfway leaves the run in the session state
    (it is removed last), and the next script run settles it again with the same outcome.
    """
    with run.lock:
        if active_run() is not run:
            return
        if run.outcome is None:
            run.outcome = _outcome(run, split, st.session_state.get(COUNT_KEY, 0) + 1)
        model, number, notice = run.outcome
        if model is not None:
            set_current_model(model)
            st.session_state[COUNT_KEY] = number
        _notice(*notice)
        st.session_state.pop(RUN_KEY)


def _outcome(run: LiveRun, split: Split, number: int) -> tuple[TrainedModel | None, int, tuple[str, str]]:
    """(model or None, its number, notice): diverged runs and runs without an epoch make no model."""
    result = run.training.result
    if not result.ok:
        return None, number, ("error", f"{result.message[0].upper()}{result.message[1:]}. This run made no "
                                       "new model, so the model in use did not change: lower the learning "
                                       "rate and train again.")
    if result.epochs_run == 0:
        return None, number, ("warning", "Stopped before the first epoch ended; "
                                         "the model in use did not change.")
    label = f"Your model #{number}"
    try:
        model = finish_model(run.detector, run.training, split, run.composition, label)
    except ValueError as exc:  # e.g. reconstruction errors that overflow to infinity
        return None, number, ("error", f"The trained model can't be evaluated ({exc}); "
                                       "the model in use did not change.")
    room_session.record_training(model)
    return model, number, ("success", f"**{label}**: {result.message}. It is now the model on every page.")


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


# ---------------------------------------------------------------- drawing


def show(view: LiveView, split: Split, can_train: bool) -> None:
    """Follow the running run live, draw a paused one, or, with no run, the model in use."""
    run = active_run()
    _draw_controls(view, split, run_state(), can_train)
    show_notice(NOTICE_KEY, view.notice)
    if run is None:
        _draw_model(view, split)
    elif run.paused:
        done, total = run.training.epoch, run.training.config.epochs
        view.progress.progress(done / total, text=f"Paused after epoch {done} of {total}: resume, step one "
                                                  "epoch, or stop and keep this model.")
        _draw_run(view, split, run)
    elif _follow(view, split, run):
        settle(run, split)
        with view.badge:
            model_badge()
        _draw_controls(view, split, "idle", can_train)
        show_notice(NOTICE_KEY, view.notice)
        _draw_model(view, split)


def _draw_controls(view: LiveView, split: Split, state: str, can_train: bool) -> None:
    """The buttons that make sense in ``state``: Play / Pause style, so a run that ends can swap
    the row for the idle one without drawing any button twice in one script run."""
    with view.controls.container(horizontal=True):
        if state == "running":
            st.button("Pause", icon=":material/pause:", key="composer_pause", on_click=pause)
            _stop_button(split)
        elif state == "paused":
            st.button("Resume", icon=":material/resume:", key="composer_resume", type="primary",
                      on_click=resume)
            _step_button(split, disabled=False)
            _stop_button(split)
            _train_button(split, primary=False, disabled=not can_train)
        else:
            _train_button(split, primary=True, disabled=not can_train)
            _step_button(split, disabled=not can_train)


def _train_button(split: Split, primary: bool, disabled: bool) -> None:
    st.button("Train", icon=":material/play_arrow:", key="composer_train", on_click=start, args=(split,),
              type="primary" if primary else "secondary", disabled=disabled)


def _step_button(split: Split, disabled: bool) -> None:
    st.button("Step one epoch", icon=":material/skip_next:", key="composer_step", on_click=step,
              args=(split,), disabled=disabled)


def _stop_button(split: Split) -> None:
    st.button("Stop and keep", icon=":material/stop:", key="composer_stop", on_click=stop, args=(split,))


def _draw_model(view: LiveView, split: Split) -> None:
    model = current_model()
    view.progress.caption(f"Charts of the model in use, **{as_text(model.label)}**, on the validation set. "
                          "Press Train to watch a new model learn.")
    _draw(view, split, model.detector.history_, model.config.epochs, model.evaluation.val_scores,
          model.threshold, f"after {model.result.epochs_run} epochs")


def _follow(view: LiveView, split: Split, run: LiveRun) -> bool:
    """Train while this run is the session's and not paused; True when the run has ended."""
    done, total = run.training.epoch, run.training.config.epochs
    view.progress.progress(done / total, text=f"Training from epoch {done + 1} of {total}...")
    shown_at = drawn_at = time.perf_counter()  # the charts keep showing the model in use for a moment
    while True:
        with run.lock:
            if active_run() is not run or run.paused:  # reading the session state also lets Streamlit stop us
                return False
            if run.training.done:
                return True
            event = run.training.step()
        if event is None:
            continue
        if time.perf_counter() - shown_at >= PROGRESS_SECONDS:
            view.progress.progress(event.epoch / event.epochs, text=_progress_text(event))
            shown_at = time.perf_counter()
        if time.perf_counter() - drawn_at >= REDRAW_SECONDS:
            _draw_run(view, split, run)
            drawn_at = time.perf_counter()


def _progress_text(event: EpochEnd) -> str:
    return (f"Epoch {event.epoch}/{event.epochs} · train loss {event.train_loss:.4f} · "
            f"validation loss {event.val_loss:.4f} · {event.seconds:.1f} s")


def _draw_run(view: LiveView, split: Split, run: LiveRun) -> None:
    training = run.training
    _draw(view, split, training.history, training.config.epochs,
          run.detector.decision_function(split.validation.x), None,
          f"epoch {training.epoch}/{training.config.epochs}")


def _draw(view: LiveView, split: Split, history: list[dict], total_epochs: int, val_scores: np.ndarray,
          threshold: float | None, stage: str) -> None:
    """Loss curves, validation error histogram with the threshold, validation ROC.

    ``threshold=None`` takes the best-F1 threshold on validation now. ``stage`` goes under every
    title, which also keeps two draws in one script run from being identical elements.
    """
    labels = split.validation.is_anomaly
    scores = np.nan_to_num(val_scores, nan=HUGE_ERROR, posinf=HUGE_ERROR)
    sweep = ThresholdSweep(scores, labels)
    threshold = sweep.best_f1_threshold() if threshold is None else threshold
    at_threshold = sweep.metrics(threshold)
    curve = roc(scores, labels)

    train_loss, val_loss = [h["train_loss"] for h in history], [h["val_loss"] for h in history]
    loss = loss_figure([h["epoch"] for h in history], train_loss, val_loss, total_epochs=total_epochs)
    loss.update_yaxes(**log_axis_ticks(train_loss + val_loss))
    histogram = error_histogram(scores, labels, threshold)
    roc_chart = roc_figure(curve["fpr"], curve["tpr"], curve["auc"],
                           point=(at_threshold["fpr"], at_threshold["tpr"]))
    view.loss.plotly_chart(_titled(loss, "Loss per epoch", stage, "top right"))
    view.histogram.plotly_chart(_titled(histogram, "Validation errors", stage, "top right"))
    roc_title = f"Validation ROC · AUC {curve['auc']:.3f}"
    view.roc.plotly_chart(_titled(roc_chart, roc_title, stage, "bottom right"))


def _titled(fig: go.Figure, title: str, stage: str, legend_corner: str) -> go.Figure:
    """A short title with the stage below it; the legend inside the plot, clear of both."""
    fig.update_layout(title=dict(text=title, subtitle=dict(text=stage)), margin=dict(t=60))
    return legend_inside(fig, legend_corner)
