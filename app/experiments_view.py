"""What the Insight lab page runs and shows.

One experiment at a time per session. Its tasks go to the server's training pool (see
``session_executor``); the page collects results in order with a progress bar, and Cancel drops
the tasks not yet started. Finished results stay in the session, keyed by experiment, recipe
and seeds, so switching pages or tabs never reruns them; they are also shared with the server's
other sessions (the same recipe and seeds give the same numbers), so a class runs each one once.
Instant analyses of the model in use (threshold band, baselines, latent space) are cached per model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import streamlit as st

from app import live_training
from app.models import TrainedModel
from core import baselines, latent, sweeps
from core.data import Split
from core.experiments import (DEFAULT_BUDGET, BudgetError, ExperimentRun, PoolExecutor, ResultCache, Task,
                              check_budget)
from core.jobs import shared_pool
from core.recipes import ANOMAGRAM_SMALL, DEFAULT, Recipe

RUN_KEY = "lab_run"
RESULTS_KEY = "lab_results"
NOTICE_KEY = "lab_notice"
EXPERIMENTS = ("contamination", "depth", "optimizers")
DEFAULT_SEEDS = 3
MAX_SEEDS = 10


@dataclass
class LabRun:
    kind: str
    key: tuple
    run: ExperimentRun
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def session_executor() -> PoolExecutor:
    """Where this session's experiment tasks run: the server's training pool, under an owner of
    their own beside the session's trainings (a new Train replaces only those), so they take
    turns fairly with every learner's trainings and never hold this server's GIL."""
    return PoolExecutor(shared_pool(), f"{live_training.owner()}/lab")


# ---------------------------------------------------------------- recipes and tasks


def lab_recipe(model: TrainedModel) -> Recipe:
    """The model in use's recipe, named "default" when it is the default one (seeds vary per run)."""
    recipe = Recipe("your recipe", model.spec, replace(model.config, seed=0), model.composition.size,
                    model.composition.abnormal_fraction)
    return DEFAULT if replace(recipe, name=DEFAULT.name) == DEFAULT else recipe


def experiment_tasks(kind: str, recipe: Recipe, seeds: int) -> list[Task]:
    if kind == "contamination":
        recipes = [recipe] + ([ANOMAGRAM_SMALL] if recipe != ANOMAGRAM_SMALL else [])
        return sweeps.contamination_tasks(recipes, seeds)
    if kind == "depth":
        return sweeps.depth_tasks(recipe, seeds)
    return sweeps.optimizer_tasks(recipe, seeds)


def _key(kind: str, recipe: Recipe, seeds: int) -> tuple:
    return kind, recipe, seeds


@st.cache_resource
def shared_results() -> ResultCache:
    """Finished experiments of every session of this server (see ``ResultCache``)."""
    return ResultCache()


def results(kind: str, recipe: Recipe, seeds: int) -> dict | None:
    """{"rows", "seconds"} of a finished run of this experiment, recipe and seeds (this session's,
    else anyone's on this server), else None."""
    key = _key(kind, recipe, seeds)
    found = st.session_state.get(RESULTS_KEY, {}).get(key) or shared_results().get(key)
    if found is not None:
        st.session_state.setdefault(RESULTS_KEY, {})[key] = found
    return found


def active_run(kind: str | None = None) -> LabRun | None:
    run = st.session_state.get(RUN_KEY)
    return run if run is not None and (kind is None or run.kind == kind) else None


# ---------------------------------------------------------------- button callbacks


def seeds_key(kind: str) -> str:
    return f"lab_seeds_{kind}"


def start(kind: str, recipe: Recipe) -> None:
    """Run ``kind`` on ``recipe`` with the seeds now in its input (read here: a click and an edit of
    the input can arrive in the same rerun)."""
    seeds = int(st.session_state.get(seeds_key(kind), DEFAULT_SEEDS))
    cancel(quiet=True)
    st.session_state.pop(NOTICE_KEY, None)
    try:
        tasks = experiment_tasks(kind, recipe, seeds)
        check_budget(tasks)
    except (BudgetError, ValueError) as exc:
        st.session_state[NOTICE_KEY] = (kind, "error", str(exc))
        return
    st.session_state[RUN_KEY] = LabRun(kind, _key(kind, recipe, seeds), ExperimentRun(tasks, session_executor()))


def cancel(quiet: bool = False) -> None:
    lab = st.session_state.pop(RUN_KEY, None)
    if lab is None:
        return
    with lab.lock:
        lab.run.cancel()
    if not quiet:
        st.session_state[NOTICE_KEY] = (lab.kind, "info", f"Cancelled after {len(lab.run.results)} of "
                                                         f"{len(lab.run.tasks)} trainings; nothing was kept.")


# ---------------------------------------------------------------- following a run


def follow(kind: str, slot) -> None:
    """Collect this experiment's results while it is the session's run, with a progress bar."""
    lab = active_run(kind)
    shown = None
    while lab is not None:
        with lab.lock:
            if active_run() is not lab:  # cancelled or replaced meanwhile; also lets Streamlit stop us
                return
            if lab.run.finished:
                break
            try:
                lab.run.advance(timeout=0.25)
            except RuntimeError as exc:  # a fit failed, or the worker running it died
                _interrupted(lab, exc, slot)
                return
        done, total = len(lab.run.results), len(lab.run.tasks)
        elapsed = int(time.perf_counter() - lab.run.started)
        behind = lab.run.waiting_behind
        if (done, elapsed) != shown:  # one message per result or second, not per poll
            queue = (f"waiting behind {behind} training{'s' * (behind != 1)} of the class" if behind
                     else "fits take turns with everyone's trainings")
            slot.progress(lab.run.progress, text=f"{done} of {total} fits done · {elapsed} s · {queue}")
            shown = done, elapsed
    if lab is not None:
        finished = {"rows": lab.run.results, "seconds": lab.run.seconds}
        st.session_state.setdefault(RESULTS_KEY, {})[lab.key] = finished
        shared_results().put(lab.key, finished)
        st.session_state.pop(RUN_KEY, None)
        slot.empty()


def _interrupted(lab: LabRun, exc: RuntimeError, slot) -> None:
    """The run ends where it failed: its other tasks are dropped and the learner reads why."""
    lab.run.cancel()
    st.session_state.pop(RUN_KEY, None)
    text = (f"The experiment was interrupted after {len(lab.run.results)} of {len(lab.run.tasks)} fits: "
            f"{str(exc).splitlines()[0]}. Nothing was kept; press Run to try again.")
    st.session_state[NOTICE_KEY] = (lab.kind, "error", text)
    slot.error(text)


def show_notice(kind: str) -> None:
    notice = st.session_state.get(NOTICE_KEY)
    if notice and notice[0] == kind:
        getattr(st, notice[1])(notice[2])


def controls(kind: str, recipe: Recipe) -> dict | None:
    """Seeds, Run or Cancel, and progress for one experiment; returns its finished results, if any.

    Run and Cancel never show together (different keys), so a run that ends in this script run
    can swap Cancel for Run without drawing a widget twice.
    """
    seeds_column, button_column, cost_column = st.columns([1.2, 1.2, 3], vertical_alignment="bottom")
    seeds = seeds_column.number_input("Seeds", min_value=1, max_value=MAX_SEEDS, value=DEFAULT_SEEDS,
                                      key=seeds_key(kind), persist_state="session")  # kept across pages
    button = button_column.empty()
    tasks = experiment_tasks(kind, recipe, int(seeds))
    cost_column.caption(f"{len(tasks)} fits, about {sum(t.work for t in tasks):.0f}x the work of one default "
                        f"training (limit {DEFAULT_BUDGET:.0f}x).")
    show_notice(kind)
    if active_run(kind) is not None:
        button.button("Cancel", key=f"lab_cancel_{kind}", icon=":material/stop:", on_click=cancel, width="stretch")
        follow(kind, st.empty())
    if active_run(kind) is None:
        button.button("Run", key=f"lab_run_{kind}", icon=":material/play_arrow:", type="primary", on_click=start,
                      args=(kind, recipe), width="stretch")
    return results(kind, recipe, int(seeds))


def runs_table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows])


# ---------------------------------------------------------------- the model in use, cached per model


@st.cache_data(max_entries=16, show_spinner=False)
def threshold_band(model_id: str, _model: TrainedModel, _split: Split) -> dict:
    return sweeps.threshold_band(_model.evaluation.test_scores, _split.test.is_anomaly)


@st.cache_data(max_entries=8, show_spinner="Fitting the classical detectors (a few seconds)...")
def baseline_results(size: int | None, abnormal_fraction: float, seed: int, _split: Split) -> list:
    from core.data import Composition

    return baselines.compare(_split, Composition(size, abnormal_fraction, seed=seed), seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def autoencoder_result(model_id: str, _model: TrainedModel, _split: Split):
    return baselines.measure(f"autoencoder ({_model.label})", _model.detector, _split, _model.result.seconds,
                             _model.spec.param_count)


def baselines_table(results: list) -> pd.DataFrame:
    return pd.DataFrame([{k: v for k, v in r.row().items() if k != "threshold"} for r in results]).set_index("name")


@st.cache_data(max_entries=16, show_spinner=False)
def latent_space(model_id: str, _model: TrainedModel, _split: Split) -> latent.LatentView:
    return latent.latent_view(_model.detector, _split.test.x)


def selected_beat(event) -> int | None:
    """The test-beat index of the point the learner clicked or lassoed first, if any."""
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    for point in points:
        index = point.get("customdata")
        if isinstance(index, (list, tuple)):
            index = index[0]
        if index is not None:
            return int(index)
    return None


def reconstruction(model: TrainedModel, beat: np.ndarray) -> np.ndarray:
    return model.detector.reconstruct(beat)[0]
