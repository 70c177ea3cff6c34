"""A training worker dies mid-training (SIGKILL, as the out-of-memory killer sends it).

Learner A's run is on the killed worker, learner B's on the other one. A's page must say what
happened (no traceback) and keep the model in use; Train works again for A (the pool started a
new worker); B's run goes on and ends with B's model.

A server of its own with two workers (``ECG_TRAINING_WORKERS=2``): a killed process must not
touch the shared server the other browser tests use, and the test needs both workers busy.
Which worker trains A is told from the outside: while only A trains, it is the one worker that
uses CPU (an idle worker sleeps on its pipe).
"""

from __future__ import annotations

import re
import time

import psutil
import pytest
from playwright.sync_api import expect

from browser_harness import (assert_no_error_shown, badge, click_train, main_text, open_page, screenshot,
                             set_number, train, wait_trained, warm_up)
from core.jobs import CRASH_MESSAGE
from streamlit_server import StreamlitServer

EPOCHS_A = 2000  # the most the page takes: still running when its worker is killed, even on a slow box
EPOCHS_B = 500  # still running when A's worker is killed, then left to finish
EPOCHS_AGAIN = 20
START_TIMEOUT = 120_000  # click -> the first epochs shown, with a free worker
TRAINING_TIMEOUT = 600_000  # B's run on a loaded 2-core box
WORKERS = 2


@pytest.fixture(scope="module")
def two_worker_server(ecg5000, artifacts, browser, tmp_path_factory):
    server = StreamlitServer(ecg5000, log_path=artifacts / "streamlit-server-worker-crash.log",
                             extra_env={"ECG_TRAINING_WORKERS": str(WORKERS),
                                        "ECG_CLASSROOM_DIR": str(tmp_path_factory.mktemp("classroom-crash")),
                                        "ECG_CLASSROOM_DB": ""})
    with server:
        warm_up(browser, server)  # "/" first, as a class would: the data loaded, the default model trained
        yield server


def training_workers(server: StreamlitServer) -> list[psutil.Process]:
    """The pool's workers: the processes the server's fork server has forked."""
    root = psutil.Process(server.process.pid)
    fork_servers = [child for child in root.children()
                    if "multiprocessing.forkserver" in " ".join(child.cmdline())]
    return [worker for fork_server in fork_servers for worker in fork_server.children()]


def wait_workers(server: StreamlitServer, timeout: float = 120) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = training_workers(server)
        if len(workers) == WORKERS:
            return workers
        time.sleep(0.2)
    raise AssertionError(f"the server has {len(training_workers(server))} training workers, not {WORKERS}")


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def the_busy_worker(workers: list[psutil.Process], timeout: float = 120) -> psutil.Process:
    """The one worker that trains: it has used 0.3 CPU-s since we started watching while every
    other worker used almost none."""
    start = {worker.pid: cpu_seconds(worker) for worker in workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        used = {worker.pid: cpu_seconds(worker) - start[worker.pid] for worker in workers}
        busy = [worker for worker in workers if used[worker.pid] >= 0.3]
        assert len(busy) <= 1, f"more than one worker is busy while one learner trains: {used}"
        if busy and all(used[worker.pid] < 0.1 for worker in workers if worker is not busy[0]):
            return busy[0]
    raise AssertionError(f"no worker started training within {timeout:.0f} s")


def wait_epochs_shown(page, total: int) -> None:
    """Until the progress line says the run has done epochs of ``total``: its worker trains it."""
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_contain_text(re.compile(rf"Epoch \d+/{total}\b"), timeout=START_TIMEOUT)


def test_a_killed_worker_stops_one_learners_run_who_can_train_again_while_another_is_unaffected(
        new_page, browser, two_worker_server, artifacts):
    server = two_worker_server
    workers = wait_workers(server)

    learner_a, learner_b = new_page(), new_page()
    for page, epochs in ((learner_a, EPOCHS_A), (learner_b, EPOCHS_B)):
        open_page(page, server, "/train")
        set_number(page, "Epochs", epochs)
    model_a = badge(learner_a)
    assert "Default model" in model_a

    started_a = click_train(learner_a)
    wait_epochs_shown(learner_a, EPOCHS_A)
    victim = the_busy_worker(workers)
    started_b = click_train(learner_b)
    wait_epochs_shown(learner_b, EPOCHS_B)

    victim.kill()

    notice_a = wait_trained(learner_a, started_a, timeout=TRAINING_TIMEOUT)
    assert notice_a == (f"The training was interrupted: {CRASH_MESSAGE}. The model in use did not change; "
                        "press Train to try again."), notice_a
    assert_no_error_shown(learner_a)
    assert badge(learner_a) == model_a  # the model in use is the one from before the run
    for width in (1024, 1400):
        learner_a.set_viewport_size({"width": width, "height": 1000})
        screenshot(learner_a, artifacts / f"test_worker_crash--message-{width}.png")

    replaced = wait_workers(server)
    assert victim.pid not in {worker.pid for worker in replaced}

    set_number(learner_a, "Epochs", EPOCHS_AGAIN)
    notice_again = train(learner_a, timeout=TRAINING_TIMEOUT)
    assert "Your model #1" in notice_again, notice_again
    assert f"{EPOCHS_AGAIN} epochs" in badge(learner_a)

    notice_b = wait_trained(learner_b, started_b, timeout=TRAINING_TIMEOUT)
    assert "Your model #1" in notice_b, notice_b
    assert f"{EPOCHS_B} epochs" in badge(learner_b), badge(learner_b)
    assert "try again" not in main_text(learner_b)
    assert_no_error_shown(learner_b)
    assert server.process.poll() is None and server.healthy()
