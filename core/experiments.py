"""Experiments as lists of independent tasks (recipe + seed -> numbers), run through any executor.

A task is a small picklable value and ``run_task`` a module-level function, so an experiment
runs the same way in-process (``InlineExecutor``: each task runs when its result is asked for,
so a caller can show progress and cancel between tasks), in a ``concurrent.futures`` pool, or in
the shared training pool of ``core.jobs`` (``PoolExecutor``): anything with ``submit(fn, *args)``
returning a future.

Every experiment has a CPU budget (``check_budget``): the work of its trainings, counted in
"default trainings" (epochs x beats x parameters of ``python -m core train``'s defaults).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from core import train
from core.data import Split, compose_training_set, split_beats
from core.evaluation import evaluate, start_experiment
from core.metrics import auc
from core.recipes import DEFAULT, Recipe

AUTOENCODER = "autoencoder"
MEAN_BEAT = "mean-beat template"
DEFAULT_BUDGET = 80.0  # default trainings per experiment: about a minute of one idle core
HUGE_ERROR = 1e300  # stands in for an infinite reconstruction error when ranking beats


class BudgetError(ValueError):
    """An experiment too big for the shared server; the message says what to shrink."""


class Cancelled(RuntimeError):
    """The experiment was cancelled before all its tasks ended."""


@dataclass(frozen=True)
class Task:
    """One training (or one template fit) of ``recipe`` and what to record about it.

    ``data_dir`` says where the worker finds ECG5000 (None: the usual search, see core.ucr);
    ``tags`` are copied into the result row (e.g. the experiment's x value).
    """

    recipe: Recipe
    method: str = AUTOENCODER
    val_auc_per_epoch: bool = False
    data_dir: str | None = None
    tags: dict = field(default_factory=dict)

    @property
    def work(self) -> float:
        """Training work in default trainings (a template fit is free)."""
        if self.method != AUTOENCODER:
            return 0.0
        return _work(self.recipe) / _default_work()


# ECG5000's train pool under the fixed split: (normal, abnormal) beats. Budgets are estimates,
# so they are sized on the real pool whatever data a test runs on.
POOL_COUNTS = (1751, 1249)


def _work(recipe: Recipe) -> float:
    """epochs x training beats x parameters."""
    size = sum(recipe.composition.counts_from(*POOL_COUNTS))
    return recipe.config.epochs * size * recipe.spec.param_count


@functools.cache
def _default_work() -> float:
    return _work(DEFAULT)


def check_budget(tasks: list[Task], budget: float = DEFAULT_BUDGET) -> float:
    """The tasks' total work in default trainings; ``BudgetError`` if it exceeds ``budget``, and
    ``core.train.check_budget``'s ValueError if one training alone is too big."""
    for recipe in {task.recipe for task in tasks if task.method == AUTOENCODER}:
        size = sum(recipe.composition.counts_from(*POOL_COUNTS))
        train.check_budget(recipe.spec.param_count, size, recipe.config)  # one training's own limit
    total = sum(task.work for task in tasks)
    if total > budget:
        raise BudgetError(
            f"This experiment trains {sum(t.method == AUTOENCODER for t in tasks)} models, about "
            f"{total:.0f}x the work of one default training; the limit on this shared server is "
            f"{budget:.0f}x. Use fewer seeds, fewer epochs, fewer training beats or a smaller network.")
    return total


# ---------------------------------------------------------------- one task


@functools.lru_cache(maxsize=2)
def load_split(data_dir: str | None = None) -> Split:
    """ECG5000 split once per process (a pool worker keeps it for every later task)."""
    from core.ucr import load_ucr

    return split_beats(load_ucr(data_dir))


def ranking_scores(scores: np.ndarray) -> np.ndarray:
    """Scores safe to rank: an overflowing reconstruction error counts as the largest."""
    return np.nan_to_num(np.asarray(scores, np.float64), nan=HUGE_ERROR, posinf=HUGE_ERROR)


def run_task(task: Task) -> dict:
    """Train (or fit the template), evaluate on the fixed split; one JSON-ready row."""
    split = load_split(task.data_dir)
    recipe = task.recipe
    row = {"recipe": recipe.name, "method": task.method, "seed": recipe.seed,
           "abnormal_pct": round(100 * recipe.abnormal_fraction, 6), **task.tags}
    if task.method == MEAN_BEAT:
        from core.baselines import MeanBeatDistance

        start = time.perf_counter()
        beats = compose_training_set(split.train, recipe.composition)
        template = MeanBeatDistance().fit(beats.x)
        return {**row, "status": "completed", "train_seconds": time.perf_counter() - start,
                "val_auc": auc(template.decision_function(split.validation.x), split.validation.is_anomaly),
                "test_auc": auc(template.decision_function(split.test.x), split.test.is_anomaly)}
    detector, training = start_experiment(split, recipe.spec, recipe.config, recipe.composition)
    curve = []
    for _ in training:
        if task.val_auc_per_epoch:
            scores = ranking_scores(detector.decision_function(split.validation.x))
            curve.append(auc(scores, split.validation.is_anomaly))
    row.update(status=training.result.status, train_seconds=training.result.seconds,
               epochs=training.result.epochs_run, params=recipe.spec.param_count)
    if task.val_auc_per_epoch:
        row["val_auc_per_epoch"] = curve
    try:
        evaluation = evaluate(detector, split)
    except ValueError as exc:  # scores that overflow even after the divergence rollback
        return {**row, "val_auc": float("nan"), "test_auc": float("nan"), "error": str(exc)}
    return {**row, "val_auc": evaluation.val_auc, "test_auc": evaluation.test_auc}


# ---------------------------------------------------------------- executors and runs


class Future(Protocol):
    def result(self, timeout: float | None = None): ...
    def cancel(self) -> bool: ...
    def done(self) -> bool: ...


class Executor(Protocol):
    def submit(self, fn: Callable, *args) -> Future: ...


class _LazyFuture:
    """A call that runs, in the caller's thread, the first time its result is asked for."""

    def __init__(self, fn: Callable, args: tuple):
        self._call, self._done, self._cancelled = (fn, args), False, False
        self._value = self._error = None

    def result(self, timeout: float | None = None):
        if self._cancelled:
            raise Cancelled("the task was cancelled")
        if not self._done:
            fn, args = self._call
            try:
                self._value = fn(*args)
            except Exception as exc:  # kept and re-raised, as concurrent.futures does
                self._error = exc
            self._done = True
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> bool:
        if not self._done:
            self._cancelled = True
        return self._cancelled

    def done(self) -> bool:
        return self._done or self._cancelled


class InlineExecutor:
    """In-process and sequential: no worker, no pickling; the default."""

    def submit(self, fn: Callable, *args) -> _LazyFuture:
        return _LazyFuture(fn, args)


def _call(ctx, fn: Callable, *args):
    """A pool job (``fn(ctx, *args)`` in a worker) that runs a plain task function."""
    return fn(*args)


class _JobFuture:
    """A ``core.jobs`` job seen as a future."""

    def __init__(self, job):
        self.job = job

    def result(self, timeout: float | None = None):
        if not self.job.wait(timeout):
            raise TimeoutError("the task has not finished yet")
        if self.job.status == "cancelled":
            raise Cancelled("the task was cancelled")
        if self.job.status != "done":
            raise RuntimeError(self.job.error or f"the task ended {self.job.status}")
        return self.job.result

    def cancel(self) -> bool:
        self.job.cancel()
        return True

    def done(self) -> bool:
        return not self.job.active

    @property
    def waiting_behind(self) -> int | None:
        """Jobs that start before this one while it is queued, else None."""
        return self.job.position if self.job.status == "queued" else None


class PoolExecutor:
    """Tasks as jobs of a ``core.jobs`` pool under ``owner``: they take turns with every other
    owner's jobs (the learners' trainings) in the pool's fair queue. Use an owner of its own, not
    a session's training owner, whose new training replaces its queued jobs."""

    def __init__(self, pool, owner):
        self.pool, self.owner = pool, owner

    def submit(self, fn: Callable, *args) -> _JobFuture:
        return _JobFuture(self.pool.submit(self.owner, _call, fn, *args))


class ExperimentRun:
    """The submitted tasks of one experiment; collect results in task order with ``advance``."""

    def __init__(self, tasks: list[Task], executor: Executor | None = None):
        self.tasks = list(tasks)
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.cancelled = False
        self._futures = [(executor or InlineExecutor()).submit(run_task, task) for task in self.tasks]
        self.results: list[dict] = []

    @property
    def finished(self) -> bool:
        return len(self.results) == len(self.tasks)

    @property
    def progress(self) -> float:
        return len(self.results) / len(self.tasks) if self.tasks else 1.0

    @property
    def waiting_behind(self) -> int | None:
        """While the next task waits in a pool's queue: how many jobs start before it, else None."""
        if self.finished or self.cancelled:
            return None
        return getattr(self._futures[len(self.results)], "waiting_behind", None)

    def advance(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` s for the next task's result (an inline task just runs);
        True when one more result came in."""
        if self.finished or self.cancelled:
            return False
        try:
            row = self._futures[len(self.results)].result(timeout=timeout)
        except TimeoutError:
            return False
        self.results.append(row)
        self.seconds = time.perf_counter() - self.started
        return True

    def cancel(self) -> None:
        """Cancel every task not yet collected (a running pool task may still finish, unseen)."""
        self.cancelled = True
        for future in self._futures[len(self.results):]:
            future.cancel()


class ResultCache:
    """Finished experiments' results by key, safe to share between threads (a server's sessions):
    the same recipe and seeds always give the same numbers, so one learner's run serves the
    whole class. The least recently used entry goes once ``size`` are held."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def run_tasks(tasks: list[Task], executor: Executor | None = None,
              progress: Callable[[int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> list[dict]:
    """Every task's row, in order; ``progress(done, total)`` after each; ``Cancelled`` if
    ``should_stop()`` turns true."""
    run = ExperimentRun(tasks, executor)
    while not run.finished:
        if should_stop is not None and should_stop():
            run.cancel()
            raise Cancelled(f"cancelled after {len(run.results)} of {len(tasks)} tasks")
        if run.advance(timeout=0.5) and progress is not None:
            progress(len(run.results), len(tasks))
    return run.results
