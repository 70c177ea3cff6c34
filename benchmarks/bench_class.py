"""A class presses Train together: K real browser sessions on one server, default recipe.

Run from the repository root (needs /usr/bin/chromium, psutil and the real data, ECG5000_DIR):

    python benchmarks/bench_class.py [--classes 6,30] [--solo 3] [--json results.json]

One headless Chromium opens K pages on the Train page (K contexts: K Streamlit sessions, each
with its own seed), clicks Train in each in turn without waiting, and waits for every result.
Each page notes in itself when its outcome notice appeared (click -> done, per learner).
Printed per K:

- solo: click -> done of one learner alone on the warm server (median of ``--solo`` runs)
- slowest / median click -> done over the K learners, and slowest / solo
- server CPU-s per training: the Streamlit process and all its children (the training pool's
  workers), measured with psutil, divided by K; the browser's CPU is reported apart
- how loaded the machine was: load average, and the CPU that other processes (the other people
  on this box) used during the round
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import (  # noqa: E402
    arm_done_watcher, assert_no_error_shown, click_train, done_at, new_app_context, open_page, set_number,
    wait_trained)
from served_app import served_app  # noqa: E402
from streamlit_server import StreamlitServer  # noqa: E402

TIMEOUT = 900_000  # 30 learners on 2 busy cores: minutes, not hours


def tree_cpu(root: psutil.Process) -> dict[int, float]:
    """CPU seconds (user + system) of ``root`` and every process below it, by pid."""
    seconds = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def used_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two ``tree_cpu`` readings (processes that started in between count whole)."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def machine_busy() -> float:
    times = psutil.cpu_times()
    return times.user + times.system + times.nice + getattr(times, "irq", 0) + getattr(times, "softirq", 0)


def run_class(browser, server: StreamlitServer, k: int, seed0: int) -> dict:
    contexts, pages = [], []
    try:
        for i in range(k):
            context = new_app_context(browser)
            contexts.append(context)
            page = context.new_page()
            open_page(page, server, "/train", timeout=TIMEOUT)
            set_number(page, "Seed", seed0 + i, timeout=TIMEOUT)
            pages.append(page)
        server_process, me = psutil.Process(server.process.pid), psutil.Process(os.getpid())
        server_before, all_before = tree_cpu(server_process), tree_cpu(me)
        busy_before, load_before, wall_before = machine_busy(), os.getloadavg()[0], time.monotonic()
        clicks, states = [], []
        for page in pages:
            arm_done_watcher(page)
            clicks.append(time.time())
            states.append(click_train(page))
        for page, state in zip(pages, states):
            notice = wait_trained(page, state, timeout=TIMEOUT)
            assert "Your model #" in notice, notice
            assert_no_error_shown(page)
        done = [done_at(page) for page in pages]
        wall = time.monotonic() - wall_before
        server_cpu = used_since(server_before, tree_cpu(server_process))
        ours_cpu = used_since(all_before, tree_cpu(me))  # this script, the browser and the server
        others_cpu = machine_busy() - busy_before - ours_cpu
        seconds = [d - c for d, c in zip(done, clicks)]
        return {"k": k, "seconds": seconds, "slowest": max(seconds), "median": statistics.median(seconds),
                "server_cpu": server_cpu, "server_cpu_per_training": server_cpu / k,
                "browser_cpu": ours_cpu - server_cpu, "others_cpu": max(others_cpu, 0.0), "wall": wall,
                "load_before": load_before, "load_after": os.getloadavg()[0], "healthy_after": server.healthy()}
    finally:
        for context in contexts:
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", default="6,30", help="comma-separated K (default 6,30)")
    parser.add_argument("--solo", type=int, default=3, help="solo runs for the baseline (default 3)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()

    rounds = []
    with served_app("bench-class-server.log") as (browser, server):
        solos = [run_class(browser, server, 1, seed0=100 + i) for i in range(args.solo)]
        for k in (int(k) for k in args.classes.split(",")):
            rounds.append(run_class(browser, server, k, seed0=1000 * k))
            print(f"K={k}: slowest {rounds[-1]['slowest']:.2f} s", flush=True)

    solo = statistics.median(r["slowest"] for r in solos)
    solo_cpu = statistics.median(r["server_cpu_per_training"] for r in solos)
    cores = psutil.cpu_count()
    solo_list = ", ".join(f"{r['slowest']:.2f}" for r in solos)
    print(f"\nA class presses Train (default recipe, 100 epochs, live charts) · {cores} cores · "
          f"workers {os.environ.get('ECG_TRAINING_WORKERS', 'default')}")
    print(f"solo click->done {solo:.2f} s (median of {len(solos)}: "
          f"{solo_list}), server CPU-s per training {solo_cpu:.2f}\n")
    print(f"{'K':>3} {'slowest s':>10} {'median s':>9} {'slowest/solo':>13} {'CPU-s/training':>15} "
          f"{'browser CPU-s':>14} {'others CPU-s':>13} {'wall s':>7} {'load before/after':>18}  health")
    for r in rounds:
        print(f"{r['k']:3d} {r['slowest']:10.2f} {r['median']:9.2f} {r['slowest'] / solo:13.2f} "
              f"{r['server_cpu_per_training']:15.2f} {r['browser_cpu']:14.1f} {r['others_cpu']:13.1f} "
              f"{r['wall']:7.1f} {r['load_before']:8.1f}/{r['load_after']:<9.1f}  "
              f"{'ok' if r['healthy_after'] else 'NOT ANSWERING'}")
    print("\nothers CPU-s: what the rest of the machine (other people's processes) used during the round")
    if args.json:
        args.json.write_text(json.dumps({"solo": solos, "rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
