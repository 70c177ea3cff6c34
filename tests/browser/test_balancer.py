"""Two learners behind HAProxy (deploy/haproxy.cfg) and two replicas (deploy/replicas.py).

Each learner lands on its own replica and stays there across pages and reruns; both train.
Stopping one replica sends its learner to the live one: on their next page load they get a fresh
session there (no traceback), while the other learner keeps their model. (Streamlit's frontend
reconnects its WebSocket to the live replica by itself, but does not rerun the page there.)
"""

from __future__ import annotations

import re
import shutil
import sys

import pytest
from playwright.sync_api import expect

from browser_harness import (assert_no_error_shown, badge, new_app_context, open_page, rerun, set_number, train,
                             wait_idle)
from streamlit_server import ROOT, is_ci

sys.path.insert(0, str(ROOT / "deploy"))
from replicas import HAPROXY, Replicas  # noqa: E402

EPOCHS = 20


@pytest.fixture(scope="module")
def replicas(ecg5000, artifacts, browser):
    if not shutil.which(HAPROXY) and not shutil.which("haproxy"):
        if is_ci():
            pytest.fail("CI=true but haproxy is not installed (apt-get install haproxy)", pytrace=False)
        pytest.skip("haproxy not installed: apt-get install haproxy")
    with Replicas(2, log_dir=artifacts / "replicas", env={"ECG5000_DIR": str(ecg5000)}) as running:
        yield running


def replica_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "ECG_REPLICA")


def visit(page, replicas, path: str) -> None:
    page.goto(replicas.url + path, wait_until="domcontentloaded")
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=120_000)
    wait_idle(page, timeout=120_000)


def test_learners_stay_on_their_replica_and_move_when_it_stops(browser, replicas):
    learners = []
    for seed in (1, 2):
        context = new_app_context(browser)
        page = context.new_page()
        visit(page, replicas, "/train")
        set_number(page, "Epochs", EPOCHS)
        set_number(page, "Seed", seed)
        learners.append((context, page))
    homes = [replica_of(context) for context, _ in learners]
    assert sorted(homes) == ["app1", "app2"], homes  # one learner per replica

    for context, page in learners:
        assert "Your model #1" in train(page, timeout=120_000)
        page.get_by_role("link", name=re.compile("Thresholds")).first.click()
        expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(re.compile("Threshold"))
        wait_idle(page)
        assert badge(page).startswith("Model in use: Your model #1")  # same session, same replica
    assert [replica_of(context) for context, _ in learners] == homes

    (moved_context, moved), (_, stayed) = learners
    lost = homes[0]
    replicas.stop_one(lost)
    visit(moved, replicas, "/train")
    assert "Default model" in badge(moved)  # a fresh session on the live replica
    assert replica_of(moved_context) == homes[1]
    assert_no_error_shown(moved)

    rerun(stayed, lambda: stayed.get_by_role("link", name=re.compile("Train")).first.click())
    assert badge(stayed).startswith("Model in use: Your model #1")
    assert_no_error_shown(stayed)
