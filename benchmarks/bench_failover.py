"""Failover: how soon a learner's open page redraws on a live replica when theirs stops or hangs.

Run from the repository root (needs haproxy, /usr/bin/chromium and the real data, ECG5000_DIR):

    python benchmarks/bench_failover.py [--rounds 3] [--signal TERM|KILL|STOP]

Each round starts two replicas behind HAProxy (deploy/replicas.py), opens one learner on each
(the Thresholds page), then sends the signal to one learner's replica (its whole process group):
TERM is a stop, KILL a crash, STOP a hang (the process stays, answers nothing). The page itself
notes when the moved-session notice (app/moved_session.py) appears, so the figure is signal ->
notice on screen, without the test's polling. Printed per round, then the median: that time, and
whether the other learner's page stayed as it was (no notice, same replica cookie).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "deploy")]

from arrival_watch import arm_arrival_watch, wait_arrival  # noqa: E402
from browser_harness import chromium_problem, launch_chromium, new_app_context, wait_idle  # noqa: E402
from replicas import Replicas  # noqa: E402
from streamlit_server import data_dir  # noqa: E402

NOTICE = "The server you were working on stopped"
TIMEOUT = 120_000  # a replica's first page on a busy 2-core box


def replica_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "ECG_REPLICA")


def run_round(browser, data: Path, sig: signal.Signals) -> tuple[float, bool]:
    """(seconds from the signal to the notice on the moved page, whether the other page stayed)."""
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as classroom:
        env = {"ECG5000_DIR": str(data), "ECG_CLASSROOM_DB": "", "ECG_CLASSROOM_DIR": classroom}
        with Replicas(2, env=env) as running:
            return _move_one(browser, running, sig)


def _move_one(browser, running: Replicas, sig: signal.Signals) -> tuple[float, bool]:
    learners = []
    for _ in range(2):
        context = new_app_context(browser)
        page = context.new_page()
        page.goto(running.url + "/thresholds", timeout=TIMEOUT)
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=TIMEOUT)
        wait_idle(page, timeout=TIMEOUT)
        learners.append((context, page))
    (moved_context, moved), (stayed_context, stayed) = learners
    lost, home = replica_of(moved_context), replica_of(stayed_context)
    arm_arrival_watch(moved, NOTICE)
    signalled = time.time()
    os.killpg(running.pids()[lost], sig)
    try:
        seconds = wait_arrival(moved, TIMEOUT) - signalled
        stayed_put = stayed.get_by_text(NOTICE).count() == 0 and replica_of(stayed_context) == home
    finally:
        if sig == signal.SIGSTOP:
            os.killpg(running.pids()[lost], signal.SIGCONT)  # so that it can be stopped
        for context, _ in learners:
            context.close()
    return seconds, stayed_put


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--signal", choices=("TERM", "KILL", "STOP"), default="TERM")
    args = parser.parse_args()
    problem, data = chromium_problem(), data_dir()
    if problem or data is None:
        print(f"cannot run: {problem or 'ECG5000 not found (set ECG5000_DIR)'}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    sig = getattr(signal, f"SIG{args.signal}")
    times = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for n in range(1, args.rounds + 1):
                seconds, stayed_put = run_round(browser, data, sig)
                times.append(seconds)
                print(f"round {n}: SIG{args.signal} -> notice on the moved page {seconds:.2f} s; "
                      f"other learner {'unaffected' if stayed_put else 'DISTURBED'}", flush=True)
        finally:
            browser.close()
    print(f"SIG{args.signal}: median {statistics.median(times):.2f} s over {len(times)} rounds "
          f"(min {min(times):.2f}, max {max(times):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
