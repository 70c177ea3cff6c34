"""What a live Class board costs: database reads per minute for a room of 30, and server CPU per refresh.

1. Reads: 30 simulated sessions (threads) refresh one room's board every ``REFRESH_SECONDS``
   (random phases) for a minute through the app's shared ``RoomCache``, against the same database
   code the app uses; prints the reads it made next to what 30 uncached sessions would make.
2. CPU: the real app (``streamlit run``) with a room of 30 learners x 3 runs, ``--sessions``
   Chromium tabs on its Class board; the server process's CPU seconds over ``--seconds``, divided by
   the board refreshes the tabs saw (the fragment's own runs, counted in each tab); screenshots
   of that board at 1024 and 1400 px go to test-artifacts/.

    .venv/bin/python benchmarks/bench_board.py [--sessions 4] [--seconds 60]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from app.board_view import REFRESH_SECONDS  # noqa: E402
from browser_harness import (button, launch_chromium, nav, new_app_context, open_page, rerun, runs,  # noqa: E402
                             screenshot, wait_idle)
from classroom.board import RoomCache  # noqa: E402
from classroom.recipe import Settings  # noqa: E402
from classroom.storage import ClassroomStore, RunRecord, learner_id  # noqa: E402
from streamlit_server import ARTIFACTS, StreamlitServer, cpu_seconds, data_dir  # noqa: E402

LEARNERS = 30
SLOW = 120_000  # ms: a busy shared box


def seeded_room(store: ClassroomStore) -> str:
    """A room where 30 learners have trained three recipes each."""
    room, _ = store.create_room("Benchmark room")
    rng = random.Random(0)
    for n in range(LEARNERS):
        for abnormal in (0, 5, 10):
            s = Settings(layers=rng.choice([(32, 8), (16, 4), (64, 16, 4)]), abnormal_percent=abnormal,
                         optimizer=rng.choice(["adam", "rmsprop", "sgd"]), seed=n)
            store.record_run(room.code, RunRecord(f"learner {n}", s.to_query(), s.param_count,
                                                  0.99 - abnormal / 50 + rng.uniform(-0.01, 0.01), 0.95, 0.94,
                                                  0.96, 1.2, learner_id(str(n))))
    return room.code


def reads_per_minute(store: ClassroomStore, code: str) -> tuple[int, int]:
    """(reads made through the cache, snapshots asked for) by 30 sessions over one minute."""
    cache, asked, lock = RoomCache(store), [0], threading.Lock()
    before, stop = store.queries, time.monotonic() + 60

    def session() -> None:
        time.sleep(random.uniform(0, REFRESH_SECONDS))
        while time.monotonic() < stop:
            cache.snapshot(code)
            with lock:
                asked[0] += 1
            time.sleep(REFRESH_SECONDS)

    threads = [threading.Thread(target=session) for _ in range(LEARNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return store.queries - before, asked[0]


def server_cpu_per_refresh(folder: Path, code: str, sessions: int, seconds: float) -> tuple[float, int, float]:
    """(server CPU seconds per board refresh, refreshes seen, server CPU seconds in all)."""
    from playwright.sync_api import sync_playwright

    with StreamlitServer(data_dir(), extra_env={"ECG_CLASSROOM_DIR": str(folder), "ECG_CLASSROOM_DB": ""}) as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        pages = []
        for n in range(sessions):
            page = new_app_context(browser).new_page()
            open_page(page, server, f"/classroom?room={code}", timeout=SLOW)
            page.get_by_label("Your display name").fill(f"watcher {n}")
            rerun(page, button(page, "Join").click, SLOW)
            page.get_by_text("You are in").wait_for(timeout=SLOW)
            nav(page, "Class board", SLOW)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=SLOW)
            wait_idle(page, SLOW)
            pages.append(page)
        counted = [runs(page) for page in pages]
        cpu_before = cpu_seconds(server.pids())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pages[0].wait_for_timeout(500)  # playwright keeps serving the pages while we wait
        cpu = cpu_seconds(server.pids()) - cpu_before
        refreshes = sum(runs(page) - before for page, before in zip(pages, counted))
        for width in (1024, 1400):  # what the class sees, 90 runs on the board
            pages[0].set_viewport_size({"width": width, "height": 1000})
            wait_idle(pages[0], SLOW)
            screenshot(pages[0], ARTIFACTS / f"board-room-of-{LEARNERS}-{width}.png")
        browser.close()
    return cpu / max(refreshes, 1), refreshes, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4, help="browser tabs on the board (CPU part)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure the CPU part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = ClassroomStore(f"sqlite:///{Path(folder) / 'classroom.sqlite3'}")
        code = seeded_room(store)
        reads, asked = reads_per_minute(store, code)
        print(f"room of {LEARNERS}, board refresh every {REFRESH_SECONDS} s: {asked} board refreshes in a minute "
              f"-> {reads} database reads through the shared cache (uncached: {asked * 3})")
        store.close()
        per_refresh, refreshes, cpu = server_cpu_per_refresh(Path(folder), code, args.sessions, args.seconds)
        print(f"server CPU per board refresh: {per_refresh * 1000:.0f} ms ({cpu:.2f} CPU-s over {refreshes} "
              f"refreshes of {args.sessions} tabs in {args.seconds:.0f} s; {LEARNERS * 3} runs on the board)")
        print(f"a room of {LEARNERS} watching the board: about {per_refresh * LEARNERS * 60 / REFRESH_SECONDS:.1f} "
              f"server CPU-s per minute")


if __name__ == "__main__":
    main()
