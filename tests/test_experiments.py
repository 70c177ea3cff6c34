"""core.experiments and core.sweeps: task lists, running them (inline, cancelled, in a process
pool), the budget, and what the summaries say about real-looking numbers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

import core.ucr as ucr
from core import sweeps
from core.experiments import (MEAN_BEAT, BudgetError, Cancelled, ExperimentRun, InlineExecutor, PoolExecutor,
                              ResultCache, Task, check_budget, run_task, run_tasks)
from core.jobs import JobPool
from core.recipes import ANOMAGRAM_SMALL, DEFAULT, Recipe
from core.train import OPTIMIZERS


@pytest.fixture
def data_dir(synthetic_ucr, monkeypatch):
    folder, expected = synthetic_ucr
    monkeypatch.setattr(ucr, "EXPECTED", expected)
    return str(folder)


def quick(recipe: Recipe, epochs: int = 2) -> Recipe:
    return replace(recipe, config=replace(recipe.config, epochs=epochs))


def test_contamination_tasks_cover_every_recipe_percent_and_seed():
    tasks = sweeps.contamination_tasks([DEFAULT, ANOMAGRAM_SMALL], seeds=3)
    assert len(tasks) == 3 * 7 * 3  # two recipes and the template, 7 percents, 3 seeds
    default = [t for t in tasks if t.recipe.name == "default"]
    assert [(t.tags["abnormal_pct"], t.recipe.seed) for t in default[:4]] == [(0, 0), (0, 1), (0, 2), (5, 0)]
    assert default[3].recipe.abnormal_fraction == 0.05 and default[3].recipe.composition.seed == 0
    template = [t for t in tasks if t.method == MEAN_BEAT]
    assert len(template) == 21 and template[0].work == 0
    assert {t.recipe.train_size for t in tasks if t.recipe.name == "anomagram-small"} == {500}
    with pytest.raises(ValueError, match="abnormal % must be between 0 and 70, got 80"):
        sweeps.contamination_tasks([DEFAULT], 1, pcts=[80])
    with pytest.raises(ValueError, match="seeds must be a whole number from 1 to 20, got 0"):
        sweeps.contamination_tasks([DEFAULT], 0)


def test_depth_keeps_the_widths_and_changes_only_the_depth():
    tasks = sweeps.depth_tasks(DEFAULT, seeds=1)
    assert [t.recipe.spec.encoder_units for t in tasks[:3]] == [(8,), (32, 8), (32, 32, 8)]
    assert tasks[-1].recipe.spec.encoder_units == (32,) * 7 + (8,)
    assert tasks[1].recipe == DEFAULT  # two layers is the default recipe itself


def test_optimizer_pairs_are_trained_once_each():
    tasks = sweeps.optimizer_tasks(DEFAULT, seeds=2)
    pairs = {(t.tags["optimizer"], t.tags["learning_rate"]) for t in tasks}
    assert len(tasks) == 2 * len(pairs)
    assert ("adam", 0.01) in pairs and ("adadelta", 1.0) in pairs and ("adadelta", 0.01) in pairs
    assert {name for name, _ in pairs} == set(OPTIMIZERS) and all(t.val_auc_per_epoch for t in tasks)


def test_budget_in_default_trainings():
    assert check_budget([Task(DEFAULT)]) == pytest.approx(1.0)
    default_sweep = sweeps.contamination_tasks([DEFAULT, ANOMAGRAM_SMALL], 3)
    assert 15 < check_budget(default_sweep) < 80
    big = quick(DEFAULT, epochs=1000)
    with pytest.raises(BudgetError, match=r"trains 21 models, about \d+x the work of one default training; "
                                          r"the limit on this shared server is 80x\. Use fewer seeds"):
        check_budget(sweeps.contamination_tasks([big], 3, template=False))


def test_inline_run_reports_progress_and_rows(data_dir):
    tasks = sweeps.contamination_tasks([quick(ANOMAGRAM_SMALL)], 2, pcts=(0, 30), data_dir=data_dir)
    seen = []
    rows = run_tasks(tasks, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 8) for i in range(1, 9)]
    assert [(r["recipe"], r["abnormal_pct"], r["seed"]) for r in rows[:4]] == [
        ("anomagram-small", 0, 0), ("anomagram-small", 0, 1), ("anomagram-small", 30, 0), ("anomagram-small", 30, 1)]
    assert all(0 <= r["test_auc"] <= 1 and r["status"] == "completed" for r in rows)
    template = [r for r in rows if r["method"] == MEAN_BEAT]
    assert template[0]["test_auc"] > 0.99  # the synthetic normal beats are one clean sine shape


def test_same_task_same_numbers(data_dir):
    task = Task(quick(DEFAULT).with_abnormal_fraction(0.1).with_seed(4), data_dir=data_dir)
    first, second = run_task(task), run_task(task)
    assert first["test_auc"] == second["test_auc"] and first["val_auc"] == second["val_auc"]


def test_cancel_stops_before_the_remaining_tasks(data_dir):
    tasks = sweeps.contamination_tasks([quick(ANOMAGRAM_SMALL)], 3, pcts=(0,), template=False, data_dir=data_dir)
    checks = []

    def stop_after_the_first_task() -> bool:
        checks.append(1)
        return len(checks) > 1

    with pytest.raises(Cancelled, match="cancelled after 1 of 3 tasks"):
        run_tasks(tasks, should_stop=stop_after_the_first_task)
    run = ExperimentRun(tasks, InlineExecutor())
    assert run.advance() and run.progress == pytest.approx(1 / 3)
    run.cancel()
    assert not run.advance() and len(run.results) == 1 and not run.finished


def test_validation_auc_per_epoch(data_dir):
    task = Task(quick(DEFAULT, epochs=3), val_auc_per_epoch=True, data_dir=data_dir,
                tags={"optimizer": "adam", "learning_rate": 0.01})
    row = run_task(task)
    assert len(row["val_auc_per_epoch"]) == 3 and all(0 <= v <= 1 for v in row["val_auc_per_epoch"])
    curves = sweeps.optimizer_curves([row], 0.01)
    assert curves["common"]["adam"]["mean_curve"] == row["val_auc_per_epoch"]
    assert curves["tuned"]["adam"]["final_mean"] == row["test_auc"]
    assert "adam" in sweeps.optimizer_sentence(curves, 0.01)


def test_the_training_pool_gives_the_inline_numbers_and_cancels_what_waits(real_data_dir):
    recipe = quick(ANOMAGRAM_SMALL, epochs=3).with_abnormal_fraction(0.3)
    tasks = [Task(recipe.with_seed(seed), data_dir=str(real_data_dir)) for seed in range(4)]
    pool = JobPool(1, warm=None, preload=("core.jobs", "core.experiments"))
    try:
        pooled = run_tasks(tasks[:2], PoolExecutor(pool, "learner/lab"))
        assert [r["test_auc"] for r in pooled] == pytest.approx([r["test_auc"] for r in run_tasks(tasks[:2])],
                                                                abs=1e-9)
        run = ExperimentRun(tasks, PoolExecutor(pool, "learner/lab"))
        assert run.waiting_behind in (None, 0)  # nobody else in this pool: first in line or running
        assert ExperimentRun(tasks[:1]).waiting_behind is None  # in-process: no queue
        assert run.advance(timeout=120)
        run.cancel()
        statuses = [future.job.status for future in run._futures]
        assert statuses[0] == "done" and statuses[-1] == "cancelled"
        assert not run.advance(timeout=1) and len(run.results) == 1
    finally:
        pool.shutdown()


def test_a_process_pool_gives_the_inline_numbers(real_data_dir):
    recipe = quick(ANOMAGRAM_SMALL, epochs=3).with_abnormal_fraction(0.3)
    tasks = [Task(recipe.with_seed(seed), data_dir=str(real_data_dir)) for seed in (0, 1)]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = run_tasks(tasks, pool)
    inline = run_tasks(tasks)
    assert [r["test_auc"] for r in pooled] == pytest.approx([r["test_auc"] for r in inline], abs=1e-9)


# ---------------------------------------------------------------- what the summaries say


def rows_of(recipe: str, aucs: dict[int, list[float]]) -> list[dict]:
    return [{"recipe": recipe, "abnormal_pct": pct, "seed": seed, "test_auc": value}
            for pct, values in aucs.items() for seed, value in enumerate(values)]


def test_contamination_sentences_follow_the_numbers():
    rows = rows_of("default", {0: [0.997, 0.996, 0.998], 5: [0.85, 0.84, 0.855], 30: [0.55, 0.56, 0.54],
                               50: [0.45, 0.46, 0.455]})
    rows += rows_of("anomagram-small", {0: [0.97, 0.98, 0.985], 30: [0.90, 0.96, 0.97], 50: [0.41, 0.42, 0.40]})
    (default, small) = sweeps.contamination_sentences(rows)
    assert default.startswith("**default**: test AUC 0.997 with no abnormal training beats, 0.848 at 5 %")
    assert "loses more than 0.05 of its AUC from 5 % abnormal on" in default
    assert "does not hold at 30 % (0.93 claimed, 0.550 measured)" in default
    assert "From 50 % it ranks beats backwards" in default
    assert "holds at 30 % (0.93 claimed, 0.943 measured)" in small
    assert "does not hold at 50 %" in small


def test_depth_sentence():
    rows = [{"recipe": "default", "layers": n, "seed": s, "test_auc": 0.995, "train_seconds": secs}
            for n, secs in ((1, 1.0), (8, 3.5)) for s in range(3)]
    assert sweeps.depth_sentence(rows) == ("Depth does not help here: 1 layer reach test AUC 0.995, 8 layers "
                                           "0.995 (mean of 3 seeds), and the 8-layer network trains 3.5x as long.")


def test_threshold_band():
    normal = np.linspace(0.0, 1.0, 101)
    abnormal = np.linspace(2.0, 4.0, 101)
    scores = np.r_[normal, abnormal]
    labels = np.r_[np.zeros(101), np.ones(101)]
    band = sweeps.threshold_band(scores, labels)
    assert band["best_accuracy"] == 1.0
    assert band["low"] == pytest.approx(0.99, abs=0.011) and band["high"] == pytest.approx(2.02, abs=0.011)
    assert band["precision_range"][0] < 1.0 and band["recall_range"][0] < 1.0
    assert "Accuracy stays within 1 point of its best (1.000)" in sweeps.threshold_sentence(band)


def test_result_cache_keeps_the_most_recently_used():
    cache = ResultCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
