"""Four learners train at the same time on one server.

Sync playwright objects are not thread-safe, so one browser drives four pages (four contexts,
four Streamlit sessions): Train is clicked in each in turn without waiting, then each run is
awaited (the trainings run in the server's worker pool, the pages follow them). While they train, the health endpoint must answer and a fifth, new session must load.
Each page must end with its own model (layers, parameter count, and the test AUC that the same
recipe gives when trained alone, in this process), and nothing may crash.
"""

from __future__ import annotations

import re
import time

import pytest

from browser_harness import (ACTION_TIMEOUT, assert_no_error_shown, badge, button, click_train, metric_value,
                             open_page, set_number, wait_trained)
from core.data import Composition
from core.evaluation import evaluate, start_experiment
from core.model import AutoencoderSpec
from core.train import TrainConfig

# Long enough that, on a quiet 2-core box (~3 s a run, two workers), the four runs still overlap the
# checks made while they train; 100 epochs all ended before the health check there.
EPOCHS = 500
BOTTLENECK = AutoencoderSpec().encoder_units[-1]
SESSIONS = [(16, 1), (24, 2), (40, 3), (64, 4)]  # (first layer's units, seed): its own network and seed
AUC_IN_BADGE = re.compile(r"test AUC (\d\.\d{3})")


def expected_test_auc(split, layers: tuple[int, int], seed: int) -> float:
    """The recipe trained alone, here, with the library: what that session must show."""
    detector, training = start_experiment(split, AutoencoderSpec(layers), TrainConfig(epochs=EPOCHS, seed=seed),
                                          Composition(seed=seed))
    for _ in training:
        pass
    return evaluate(detector, split).test_auc


def test_four_sessions_train_at_once_each_with_its_own_model(new_page, server, split):
    expected = [expected_test_auc(split, (units, BOTTLENECK), seed) for units, seed in SESSIONS]

    pages = []
    for units, seed in SESSIONS:
        page = new_page()
        open_page(page, server, "/train")
        set_number(page, "Layer 1", units)
        set_number(page, "Seed", seed)
        set_number(page, "Epochs", EPOCHS)
        pages.append(page)

    started = [click_train(page) for page in pages]  # all four start; none is awaited yet
    # A click only sends the event: wait until the last run (queued behind the others) is on its page,
    # or the checks below could run before any page had started its training.
    button(pages[-1], "Stop and keep").wait_for(timeout=ACTION_TIMEOUT)

    # while they train: the server answers, and a new learner gets the app with the default model
    asked = time.perf_counter()
    assert server.healthy(timeout=10), "the health endpoint did not answer during training"
    health_seconds = time.perf_counter() - asked
    running = [button(page, "Stop and keep").count() > 0 for page in pages]  # queued or training in the pool
    assert any(running), "every run had ended before the health check: nothing was checked during training"
    newcomer = new_page()
    open_page(newcomer, server, "/")
    assert "Default model" in badge(newcomer)  # nobody's trained model leaks into a new session
    newcomer_seconds = time.perf_counter() - asked

    notices = [wait_trained(page, state, timeout=400_000) for page, state in zip(pages, started)]

    for page, notice, (units, seed), auc in zip(pages, notices, SESSIONS, expected):
        spec = AutoencoderSpec((units, BOTTLENECK))
        shown = badge(page)
        assert "Your model #1" in notice, notice
        assert f"layers {units}-{BOTTLENECK} ({spec.param_count:,} parameters)" in shown, shown
        assert f"{EPOCHS} epochs" in shown
        # the settings left alone stayed the defaults: a slider the busy page drew late once took its first
        # option (learning rate 0.0001, batch size 8) and the run trained that instead
        assert "adam lr 0.01 ·" in shown, shown
        shown_auc = float(AUC_IN_BADGE.search(shown).group(1))
        assert float(metric_value(page, "AUC")) == shown_auc
        assert shown_auc == pytest.approx(auc, abs=0.0015), (f"session {seed}: {shown_auc} vs {auc:.4f} trained alone; "
                                                           f"{notice} / {shown}")
        assert_no_error_shown(page)
    assert len({badge(page).split("· trained")[0] for page in pages}) == len(pages)

    assert server.process.poll() is None and server.healthy(), "the server died"
    assert_no_error_shown(newcomer)
    print(f"\nhealth answered in {health_seconds:.2f} s and a new session loaded in {newcomer_seconds:.2f} s "
          f"while {sum(running)} of {len(pages)} trainings ran")
