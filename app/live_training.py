"""The train page's run: a session's training, done by the shared worker pool (``core.jobs``).

The session keeps a ``LiveRun`` in ``st.session_state``: the recipe, the pool job working on it,
and what the job has reported so far (epoch rows, the latest chart snapshot). Buttons only send
commands or submit jobs, so no script run ever waits for a training; the page follows the job by
polling (``app.live_charts``). Pausing parks the run: the worker hands back a checkpoint and
serves other learners, and Resume / Step queue the run again from that checkpoint.

Each session is one owner in the pool's fair queue (one training at a time: a new Train replaces
the queued or running one). ``trained_model`` is the one place where a finished training
becomes the session's ``TrainedModel``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import streamlit as st

from app import room_session
from app.composer import read_recipe
from app.models import TrainedModel, finish_model
from app.state import require_split, set_current_model
from app.text import as_text
from core.data import Split
from core.jobs import Job, shared_pool
from core.training_job import (EpochRows, LiveSnapshot, TrainingOutcome, TrainingRequest, run_training,
                               stop_parked)

RUN_KEY = "composer_run"
NOTICE_KEY = "composer_notice"
COUNT_KEY = "composer_model_count"
OWNER_KEY = "composer_pool_owner"
SNAPSHOT_SECONDS = 0.5  # how often a worker sends chart data: no faster than the page redraws


@dataclass
class LiveRun:
    request: TrainingRequest          # the recipe; its checkpoint is where a parked run stands
    job: Job | None = None            # the pool's job for it now; None while parked
    paused: bool = False              # what the learner asked for (the job may still be pausing)
    stopping: bool = False
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    snapshot: LiveSnapshot | None = None
    seen: int = 0                     # events of ``job`` already read
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def epochs(self) -> int:
        return self.request.config.epochs

    @property
    def state(self) -> str:
        """"queued", "running", "pausing" (a job still on it) or "paused" (parked)."""
        if self.job is None:
            return "paused"
        if self.paused:
            return "pausing"
        return "queued" if self.job.status == "queued" else "running"


def active_run() -> LiveRun | None:
    return st.session_state.get(RUN_KEY)


def owner() -> str:
    """This session's name in the pool's queue."""
    return st.session_state.setdefault(OWNER_KEY, uuid.uuid4().hex)


def poll_kind(run: LiveRun | None) -> str:
    """What the page has to follow: "idle" (nothing on its way, or parked), "queued" or "running"."""
    if run is None or run.job is None:
        return "idle"
    return "queued" if run.job.status == "queued" else "running"


# ---------------------------------------------------------------- button callbacks


def start(split: Split, paused: bool = False) -> None:
    """A new run from the composer's recipe (replacing the session's queued or running one)."""
    _drop_run()
    st.session_state.pop(NOTICE_KEY, None)
    try:
        recipe = read_recipe(split.train)
        request = TrainingRequest(recipe.spec, recipe.config, recipe.composition)
    except ValueError as exc:
        _notice("error", f"This can't be trained: {as_text(exc)}")
        return
    run = LiveRun(request, paused=paused)
    st.session_state[RUN_KEY] = run
    _submit(run, "step" if paused else "run")


def pause() -> None:
    if (run := active_run()) and run.job is not None:
        run.paused = True
        if run.job.status == "queued":  # nothing to hand back yet: leave the line
            run.job.cancel()
            run.job = None
        else:
            run.job.send("pause")


def resume() -> None:
    if run := active_run():
        run.paused = False
        if run.job is None:
            _submit(run, "run")
        # else: the job is still pausing; ``follow`` sends the run on when it has parked


def step(split: Split) -> None:
    """One epoch (through the queue); from idle, a new paused run first."""
    run = active_run()
    if run is None:
        start(split, paused=True)
    elif run.job is None:
        _submit(run, "step")


def stop(split: Split) -> None:
    run = active_run()
    if run is None:
        return
    run.stopping = True
    if run.job is not None and run.job.status == "running":
        run.job.send("stop")  # the worker ends the run keeping its weights; ``follow`` settles it
        return
    if run.job is not None:
        run.job.cancel()
    _settle(run, split, stop_parked(split, run.request))


def _submit(run: LiveRun, mode: str) -> None:
    run.request = TrainingRequest(run.request.spec, run.request.config, run.request.composition, mode,
                                  run.request.checkpoint, SNAPSHOT_SECONDS)
    run.job, run.seen = shared_pool().submit(owner(), run_training, run.request, replace=True), 0


def _drop_run() -> None:
    run = st.session_state.pop(RUN_KEY, None)
    if run is not None and run.job is not None:
        run.job.cancel()


# ---------------------------------------------------------------- following the job


def follow() -> None:
    """Take in what the session's job has reported; settle the run once it has ended.

    Called by every script run of every page (and by the live section's polls), so a training
    that ends while the learner is on another page becomes their model at their next click.
    """
    run = active_run()
    if run is None or run.job is None:
        return
    with run.lock:  # a poll and a click's rerun may follow the same run at once
        if active_run() is not run or run.job is None:
            return
        job = run.job
        events = job.events_since(run.seen)
        run.seen += len(events)
        for event in events:
            if isinstance(event, EpochRows):
                run.history.extend(event.rows)
                run.seconds = event.seconds
            elif isinstance(event, LiveSnapshot):
                run.snapshot = event
        if job.status == "done":
            _take(run, require_split(), job.result)
        elif job.status == "failed":
            st.session_state.pop(RUN_KEY)
            _notice("error", f"The training was interrupted: {job.error.splitlines()[0]}. The model in use did "
                             "not change; press Train to try again.")


def _take(run: LiveRun, split: Split, outcome: TrainingOutcome) -> None:
    run.history, run.seconds = outcome.history, outcome.seconds
    run.snapshot = outcome.snapshot or run.snapshot
    if not outcome.parked:
        _settle(run, split, outcome)
        return
    run.job = None
    run.request = TrainingRequest(run.request.spec, run.request.config, run.request.composition,
                                  checkpoint=outcome.checkpoint)
    if run.stopping:
        _settle(run, split, stop_parked(split, run.request))
    elif not run.paused:  # Resume was pressed while the job was still pausing
        _submit(run, "run")


def _settle(run: LiveRun, split: Split, outcome: TrainingOutcome) -> None:
    """The ended run's outcome into the session: the new model, or why there is none."""
    number = st.session_state.get(COUNT_KEY, 0) + 1
    model, notice = trained_model(run.request, outcome, split, number)
    if model is not None:
        set_current_model(model)
        st.session_state[COUNT_KEY] = number
    _notice(*notice)
    if active_run() is run:
        st.session_state.pop(RUN_KEY)


def trained_model(request: TrainingRequest, outcome: TrainingOutcome, split: Split,
                  number: int) -> tuple[TrainedModel | None, tuple[str, str]]:
    """(model or None, notice): a finished training becomes a ``TrainedModel``, evaluated once
    here; diverged runs and runs without an epoch make no model."""
    result = outcome.result
    if not result.ok:
        return None, ("error", f"{result.message[0].upper()}{result.message[1:]}. This run made no new model, "
                               "so the model in use did not change: lower the learning rate and train again.")
    if result.epochs_run == 0:
        return None, ("warning", "Stopped before the first epoch ended; the model in use did not change.")
    label = f"Your model #{number}"
    try:
        model = finish_model(outcome.detector(request.spec, request.config), result, outcome.train_size, split,
                             request.composition, label)
    except ValueError as exc:  # e.g. reconstruction errors that overflow to infinity
        return None, ("error", f"The trained model can't be evaluated ({exc}); the model in use did not change.")
    room_session.record_training(model)
    return model, ("success", f"**{label}**: {result.message}. It is now the model on every page.")


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)
