"""The Insight lab page, driven with AppTest on the real data (experiments shrunk to a few epochs)."""

import json
import os
import signal
import threading
import time
from dataclasses import replace

import pytest

from app import experiments_view
from app.models import train_model
from app.state import MODEL_KEY, load_split
from core.data import Composition
from core.jobs import CRASH_MESSAGE, shared_pool
from core.model import AutoencoderSpec
from core.train import TrainConfig

LAB = "pages/experiments.py"


@pytest.fixture
def page(open_page):
    return open_page(LAB)


@pytest.fixture
def quick_experiments(monkeypatch):
    """Every experiment task trains 2 epochs; contamination at 0 and 50 % only."""
    make = experiments_view.experiment_tasks

    def quick(kind, recipe, seeds):
        tasks = [replace(t, recipe=replace(t.recipe, config=replace(t.recipe.config, epochs=2)))
                 for t in make(kind, recipe, seeds)]
        return [t for t in tasks if kind != "contamination" or t.tags["abnormal_pct"] in (0, 50)]

    monkeypatch.setattr(experiments_view, "experiment_tasks", quick)


def chart(at, key: str) -> dict:
    return json.loads(at.get_by_key(key).proto.spec)


def text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_page_shows_the_instant_analyses_of_the_default_model(page):
    assert page.title[0].value == "Insight lab"
    assert [t.label for t in page.tabs] == ["Contamination", "Depth", "Optimizers", "Threshold band", "Baselines",
                                            "Latent space"]
    assert "Experiments train **default**" in text(page)
    band = chart(page, "lab_band_chart")
    assert [trace["name"] for trace in band["data"]] == ["accuracy", "precision", "recall"]
    assert "Accuracy stays within 1 point of its best" in text(page)
    latent = chart(page, "lab_latent")
    assert [trace["name"] for trace in latent["data"]] == ["1 · Normal", "2 · R-on-T PVC", "3 · PVC", "4 · SP or EB",
                                                            "5 · UB"]
    assert any("class 5 (UB)" in i.value for i in page.info)  # few beats: the default model's only warning


def test_contamination_runs_with_progress_and_its_results_are_kept(page, quick_experiments, open_page):
    page.number_input(key="lab_seeds_contamination").set_value(1)
    page.button(key="lab_run_contamination").click().run()
    assert not page.exception
    assert not page.error, page.error[0].value
    figure = chart(page, "lab_contamination_chart")
    names = [trace.get("name") for trace in figure["data"]]
    assert {"default", "anomagram-small", "mean-beat template", "the report's claim"} <= set(names)
    assert "**default**: test AUC" in text(page) and "the report's curve" in text(page)
    stored = page.session_state[experiments_view.RESULTS_KEY]
    (key,) = stored
    assert len(stored[key]["rows"]) == 3 * 2  # three series, two percents, one seed
    page.switch_page("pages/draw.py").run()
    page.switch_page(LAB).run()
    assert chart(page, "lab_contamination_chart")["data"]  # shown again, not rerun
    assert "lab_cancel_contamination" not in [b.key for b in page.button]  # Run again, nothing to cancel
    another_learner = open_page(LAB)
    another_learner.number_input(key="lab_seeds_contamination").set_value(1).run()
    assert chart(another_learner, "lab_contamination_chart")["data"]  # the class runs it once


def test_depth_and_optimizers_draw_their_charts(page, quick_experiments):
    page.number_input(key="lab_seeds_depth").set_value(1)
    page.button(key="lab_run_depth").click().run()
    assert len(chart(page, "lab_depth_auc")["data"]) == 2  # band and mean line
    assert "layers" in text(page) and "trains" in text(page)
    page.number_input(key="lab_seeds_optimizers").set_value(1)
    page.button(key="lab_run_optimizers").click().run()
    common, tuned = chart(page, "lab_optimizers_common"), chart(page, "lab_optimizers_tuned")
    assert len(common["data"]) == len(tuned["data"]) == 6
    assert all(trace["name"].endswith(")") for trace in common["data"])


def kill_worker_of_first_job(owner: str, killed: list, timeout: float = 120) -> None:
    """SIGKILL (as the out-of-memory killer sends it) the worker running ``owner``'s job, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = shared_pool().jobs_of(owner)
        if jobs and jobs[0].worker_pid is not None:
            killed.append(jobs[0].worker_pid)
            os.kill(jobs[0].worker_pid, signal.SIGKILL)
            return
        time.sleep(0.02)


def test_a_worker_killed_mid_experiment_interrupts_it_with_a_reason(page, monkeypatch):
    make = experiments_view.experiment_tasks

    def one_fit(epochs):
        def tasks(kind, recipe, seeds):
            task = make(kind, recipe, seeds)[0]
            return [replace(task, recipe=replace(task.recipe, config=replace(task.recipe.config, epochs=epochs)))]
        return tasks

    monkeypatch.setattr(experiments_view, "experiment_tasks", one_fit(2000))  # still running when killed
    page.session_state["composer_pool_owner"] = "lab learner"  # app.live_training.OWNER_KEY
    page.number_input(key="lab_seeds_contamination").set_value(2)  # its one-fit result, shared with the
    # server's other sessions, stays under a seed count no other test shows
    killed = []
    killer = threading.Thread(target=kill_worker_of_first_job, args=("lab learner/lab", killed))
    killer.start()
    page.button(key="lab_run_contamination").click().run()
    killer.join()
    assert not page.exception and killed
    assert [e.value for e in page.error] == [f"The experiment was interrupted after 0 of 1 fits: {CRASH_MESSAGE}. "
                                             "Nothing was kept; press Run to try again."]
    assert experiments_view.RUN_KEY not in page.session_state
    assert killed[0] not in shared_pool().worker_pids()  # replaced

    monkeypatch.setattr(experiments_view, "experiment_tasks", one_fit(2))
    page.button(key="lab_run_contamination").click().run()
    assert not page.exception and not page.error
    assert chart(page, "lab_contamination_chart")["data"]


def test_an_experiment_over_budget_is_refused_with_a_reason(page):
    page.number_input(key="lab_seeds_optimizers").set_value(10)
    page.button(key="lab_run_optimizers").click().run()
    assert not page.exception
    assert "the limit on this shared server is 80x" in page.error[0].value
    assert experiments_view.RUN_KEY not in page.session_state


def test_baselines_table_next_to_the_model_in_use(page):
    page.toggle(key="lab_baselines").set_value(True).run()
    table = page.dataframe[0].value
    assert list(table.index) == ["autoencoder (Default model)", "One-Class SVM", "nearest neighbour",
                                 "PCA reconstruction", "distance to the mean beat", "Isolation Forest"]
    assert table["test_auc"].min() > 0.9
    assert len(chart(page, "lab_roc_overlay")["data"]) == 7


def test_a_backwards_model_is_called_out(page):
    split = load_split()
    page.session_state[MODEL_KEY] = train_model(split, AutoencoderSpec(), TrainConfig(epochs=20),
                                                Composition(abnormal_fraction=0.7), label="Contaminated")
    page.run()
    assert any("ranks beats backwards" in w.value for w in page.warning)
    assert "Experiments train **your recipe**" in text(page)


def test_selected_beat_reads_plotly_selection_events():
    assert experiments_view.selected_beat({"selection": {"points": [{"customdata": 17}]}}) == 17
    assert experiments_view.selected_beat({"selection": {"points": []}}) is None
    assert experiments_view.selected_beat(None) is None
