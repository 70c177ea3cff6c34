"""Two learners behind HAProxy (deploy/haproxy.cfg) and two replicas (deploy/replicas.py).

Each learner lands on its own replica and stays there across pages and reruns; both train.
Stopping one replica moves its learner's open page, with no reload, to the live replica: a fresh
session there, with their latest model back from the replicas' shared database and a notice that
says what happened (app/moved_session.py), no traceback and no connection-error dialog. The
other learner keeps their session on their replica.
"""

from __future__ import annotations

import re
import shutil
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from browser_harness import (assert_no_error_shown, badge, new_app_context, rerun, screenshot, set_number, train,
                             wait_idle)
from streamlit_server import ROOT, is_ci

sys.path.insert(0, str(ROOT / "deploy"))
from replicas import HAPROXY, Replicas  # noqa: E402

EPOCHS = 20
MOVED_NOTICE = re.compile("The server you were working on stopped")


@pytest.fixture(scope="module")
def replicas(ecg5000, artifacts, browser, tmp_path_factory):
    if not shutil.which(HAPROXY) and not shutil.which("haproxy"):
        if is_ci():
            pytest.fail("CI=true but haproxy is not installed (apt-get install haproxy)", pytrace=False)
        pytest.skip("haproxy not installed: apt-get install haproxy")
    shared_database = {"ECG_CLASSROOM_DB": "", "ECG_CLASSROOM_DIR": str(tmp_path_factory.mktemp("classroom"))}
    with Replicas(2, log_dir=artifacts / "replicas", env={"ECG5000_DIR": str(ecg5000), **shared_database}) as running:
        yield running


def replica_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "ECG_REPLICA")


def learner_token(url: str) -> str:
    return parse_qs(urlparse(url).query)["learner"][0]


def visit(page, replicas, path: str) -> None:
    page.goto(replicas.url + path, wait_until="domcontentloaded")
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=120_000)
    wait_idle(page, timeout=120_000)


def test_learners_stay_on_their_replica_and_move_when_it_stops(browser, replicas, artifacts):
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

    (moved_context, moved), (stayed_context, stayed) = learners
    lost, live = homes
    link = moved.url  # holds the learner's token: their room and saved work follow it
    replicas.stop_one(lost)
    # the open page redraws by itself on the live replica, nobody reloads it (how soon:
    # benchmarks/bench_failover.py)
    expect(moved.get_by_text(MOVED_NOTICE)).to_be_visible(timeout=60_000)
    wait_idle(moved)
    assert replica_of(moved_context) == live
    assert badge(moved).startswith("Model in use: Your model #1")  # the latest model, from the saved work
    assert learner_token(moved.url) == learner_token(link)
    assert moved.get_by_text("Connection error").count() == 0
    assert_no_error_shown(moved)
    for width in (1024, 1400):
        moved.set_viewport_size({"width": width, "height": 900})
        screenshot(moved, artifacts / f"balancer-moved-{width}.png")
    rerun(moved, lambda: moved.get_by_role("link", name=re.compile("Train")).first.click())
    assert "Your model #2" in train(moved, timeout=120_000)  # and trains on the live replica
    assert moved.get_by_text(MOVED_NOTICE).count() == 0  # it spoke of the model no longer in use

    rerun(stayed, lambda: stayed.get_by_role("link", name=re.compile("Train")).first.click())
    assert badge(stayed).startswith("Model in use: Your model #1")
    assert stayed.get_by_text(MOVED_NOTICE).count() == 0  # the same session, never replaced
    assert replica_of(stayed_context) == live
    assert_no_error_shown(stayed)
