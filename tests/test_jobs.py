"""The worker pool (core.jobs): a fair queue across owners, replacing, cancelling, crashes.

One real pool of one worker process for the module (no warm-up: these jobs need no data).
"""

import os
import signal

import pytest

from core.jobs import CRASH_MESSAGE, JobPool
from pool_jobs import echo, fail, wait_for_go

TIMEOUT = 60


@pytest.fixture(scope="module")
def pool():
    pool = JobPool(1, warm=None, preload=("core.jobs",))
    assert pool.wait_ready(TIMEOUT)
    yield pool
    pool.shutdown()


def hold(pool, owner="blocker"):
    """A job that occupies the only worker until released with job.send("go")."""
    job = pool.submit(owner, wait_for_go)
    for _ in range(TIMEOUT * 100):
        if job.events_since(0):
            return job
        job.wait(0.01)
    raise AssertionError(f"the holding job never started: {job}")


def test_owners_take_turns_first_come_first_served(pool):
    blocker = hold(pool)
    a = [pool.submit("a", echo, f"a{i}") for i in range(3)]
    b = [pool.submit("b", echo, f"b{i}") for i in range(2)]
    c = pool.submit("c", echo, "c0")
    expected = [a[0], b[0], c, a[1], b[1], a[2]]
    assert [job.position for job in expected] == [0, 1, 2, 3, 4, 5]
    assert pool.queued == 6 and pool.running == 1
    blocker.send("go")
    for job in expected:
        assert job.wait(TIMEOUT) and job.status == "done", job
    assert [job.result[0] for job in sorted(expected, key=lambda j: j.started_at)] == \
        ["a0", "b0", "c0", "a1", "b1", "a2"]
    assert blocker.status == "done" and pool.queued == 0


def test_a_new_job_replaces_the_owners_queued_one_and_keeps_its_place(pool):
    blocker = hold(pool)
    first = pool.submit("learner 1", echo, "old")
    second = pool.submit("learner 2", echo, "other")
    newer = pool.submit("learner 1", echo, "new", replace=True)
    assert first.status == "cancelled" and first.position is None
    assert (newer.position, second.position) == (0, 1)
    blocker.send("go")
    assert newer.wait(TIMEOUT) and second.wait(TIMEOUT)
    assert newer.result[0] == "new" and newer.started_at < second.started_at


def test_replacing_cancels_the_owners_running_job(pool):
    running = hold(pool, owner="learner")
    newer = pool.submit("learner", echo, "again", replace=True)
    assert newer.wait(TIMEOUT) and newer.result[0] == "again"
    assert running.status == "cancelled"


def test_a_queued_job_can_be_cancelled_and_a_failing_job_reports_why(pool):
    blocker = hold(pool)
    queued = pool.submit("someone", echo, 1)
    queued.cancel()
    assert queued.status == "cancelled" and pool.queued == 0
    broken = pool.submit("someone", fail, "bad input")
    blocker.send("go")
    assert broken.wait(TIMEOUT) and broken.status == "failed"
    assert broken.error.startswith("ValueError: bad input")


def test_a_killed_worker_fails_its_job_and_is_replaced(pool):
    victim = hold(pool, owner="unlucky")
    waiting = pool.submit("other learner", echo, "still served")
    [pid] = pool.worker_pids()
    assert (victim.worker_pid, waiting.worker_pid) == (pid, None)
    os.kill(pid, signal.SIGKILL)
    assert victim.wait(TIMEOUT) and victim.status == "failed" and victim.error == CRASH_MESSAGE
    assert victim.worker_pid is None
    assert waiting.wait(TIMEOUT) and waiting.status == "done", waiting
    value, served_by = waiting.result
    assert value == "still served" and served_by != pid and pool.worker_pids() == [served_by]
    again = pool.submit("unlucky", echo, "trains again")
    assert again.wait(TIMEOUT) and again.result[0] == "trains again"
