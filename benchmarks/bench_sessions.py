"""Concurrent learners: N browser sessions train at once on one server.

Run from the repository root (needs /usr/bin/chromium and the real data, ECG5000_DIR):

    python benchmarks/bench_sessions.py [--sessions 1,4,8,16] [--json results.json]

For each N, one headless Chromium opens N pages on the Train page (N contexts: N Streamlit
sessions, each with its own seed), clicks Train in each in turn without waiting, and waits for
every run. Each page notes, in the page itself, when its outcome notice appeared, so a slow
wait on one page does not inflate another's time. Printed per N:

- single: the N = 1 time from click to result (the baseline)
- slowest / median: click -> result over the N sessions, and slowest / single
- wall: first click -> last result
- peak RSS: the server process and its children (VmRSS from /proc, sampled every 0.1 s)
- training s: what the app itself reports ("trained 100 epochs in X s": the epochs alone,
  without drawing the live charts), median and max over the N sessions
- CPU s of the server and of the browser (Chromium and playwright's driver) during the round:
  where the 2 cores went

The same warm server serves every N (N = 1 first); its pages are closed between rounds. On a
2-core machine the browser's own rendering of N pages of live charts competes with the server
for the CPU, as it would for learners sharing one classroom machine; the figures include it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import (  # noqa: E402
    arm_done_watcher, assert_no_error_shown, click_train, done_at, new_app_context, open_page, set_number,
    wait_trained)
from served_app import served_app  # noqa: E402
from streamlit_server import PeakMemory, StreamlitServer, cpu_seconds, descendants  # noqa: E402

TIMEOUT = 900_000  # 16 sessions of 100 epochs on 2 busy cores: minutes, not hours

def run_round(browser, server: StreamlitServer, n: int) -> dict:
    contexts, pages = [], []
    try:
        for i in range(n):
            context = new_app_context(browser)
            contexts.append(context)
            page = context.new_page()
            open_page(page, server, "/train", timeout=TIMEOUT)
            set_number(page, "Seed", 100 + i, timeout=TIMEOUT)
            pages.append(page)
        baseline_rss = server.rss_bytes()
        server_pids = set(server.pids())
        browser_pids = [pid for pid in descendants(os.getpid()) if pid not in server_pids and pid != os.getpid()]
        cpu_before = cpu_seconds(server_pids), cpu_seconds(browser_pids)
        trained = []
        with PeakMemory(server) as peak:
            clicks, states = [], []
            for page in pages:
                arm_done_watcher(page)
                clicks.append(time.time())
                states.append(click_train(page))
            for page, state in zip(pages, states):
                notice = wait_trained(page, state, timeout=TIMEOUT)
                assert "Your model #1" in notice, notice
                assert_no_error_shown(page)
                inside = re.search(r"in (\d+(?:\.\d+)?) ?s", notice)
                trained.append(float(inside.group(1)) if inside else float("nan"))
            done = [done_at(page) for page in pages]
        server_cpu = cpu_seconds(server_pids) - cpu_before[0]
        browser_cpu = cpu_seconds(browser_pids) - cpu_before[1]
        seconds = [d - c for d, c in zip(done, clicks)]
        return {"n": n, "seconds": seconds, "slowest": max(seconds), "median": statistics.median(seconds),
                "wall": max(done) - min(clicks), "peak_rss": peak.bytes, "baseline_rss": baseline_rss,
                "training_median": statistics.median(trained), "training_max": max(trained),
                "server_cpu": server_cpu, "browser_cpu": browser_cpu,
                "healthy_after": server.healthy()}
    finally:
        for context in contexts:
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,4,8,16", help="comma-separated N (default 1,4,8,16)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.sessions.split(",")} | {1})

    rounds = []
    with served_app("bench-sessions-server.log") as (browser, server):
        idle_rss = server.rss_bytes()
        for n in counts:
            result = run_round(browser, server, n)
            rounds.append(result)
            print(f"N={n:2d}: slowest {result['slowest']:.2f} s, wall {result['wall']:.2f} s, "
                  f"peak RSS {result['peak_rss'] / 2**20:.0f} MiB", flush=True)

    single = next(r for r in rounds if r["n"] == 1)["slowest"]
    print("\nConcurrent trainings (default model, 100 epochs, live charts; real browser pages)")
    print(f"server RSS when idle after warm-up: {idle_rss / 2**20:.0f} MiB\n")
    print(f"{'N':>3} {'slowest s':>10} {'median s':>9} {'slowest/single':>15} {'wall s':>7} "
          f"{'training s med/max':>19} {'CPU s server/browser':>21} {'RSS before MiB':>15} "
          f"{'peak RSS MiB':>13}  health")
    for r in rounds:
        print(f"{r['n']:3d} {r['slowest']:10.2f} {r['median']:9.2f} {r['slowest'] / single:15.2f} "
              f"{r['wall']:7.2f} {r['training_median']:9.2f}/{r['training_max']:<9.2f} "
              f"{r['server_cpu']:10.1f}/{r['browser_cpu']:<10.1f} "
              f"{r['baseline_rss'] / 2**20:15.0f} {r['peak_rss'] / 2**20:13.0f}  "
              f"{'ok' if r['healthy_after'] else 'NOT ANSWERING'}")
    if args.json:
        args.json.write_text(json.dumps({"idle_rss": idle_rss, "rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
