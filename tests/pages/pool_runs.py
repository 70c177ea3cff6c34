"""AppTest and the training pool: a button starts a job; the page's polls pick up its result.

AppTest does not run a fragment's ``run_every`` polls, so ``press`` reruns the app, as the
browser's polls would, until the session's run has no job left in the pool.
"""

import time

from streamlit.testing.v1 import AppTest

RUN_KEY = "composer_run"  # app.live_training.RUN_KEY


def settle(at: AppTest, timeout: float = 120.0) -> AppTest:
    """Rerun until the session's training run has ended or parked (no job in the pool)."""
    deadline = time.monotonic() + timeout
    while (run := at.session_state[RUN_KEY] if RUN_KEY in at.session_state else None) is not None \
            and run.job is not None:
        assert time.monotonic() < deadline, f"the run's job is still {run.job.status} after {timeout} s"
        run.job.wait(0.1)
        at.run()
    at.run()  # the page again, as the browser's rerun after a run's end draws it (badge, tiles)
    assert not at.exception, at.exception
    return at


def press(at: AppTest, key: str) -> AppTest:
    """Click a train-section button (Train, Step, Resume, Stop ...) and wait for what it started."""
    at.button(key=key).click().run()
    return settle(at)
