"""A class presses Train together: K real browser sessions on one server, default recipe.

Run from the repository root (needs /usr/bin/chromium, psutil and the real data, ECG5000_DIR):

    python benchmarks/bench_class.py [--classes 6,30] [--solo 3] [--json results.json]

A quick check: ``--classes 6 --solo 1`` (about a minute on a quiet 2-core box).

The K pages compete with the server for the same cores, as in the issue's measurement: a round's
wall time is about (server CPU + browser CPU) / cores. Running the browser at nice 19, as if the
learners had their own laptops, made the rounds no shorter (a learner's result counts once their
page has drawn it, and that needs the browser's CPU), so the benchmark doesn't offer it.

One headless Chromium opens K pages on the Train page (K contexts: K Streamlit sessions, each
with its own seed), clicks Train in each in turn without waiting, and waits for every result.
Each page notes in itself when its outcome notice appeared (click -> done, per learner). First,
one unreported round of one learner per worker gives every worker its first training (its
one-time growth in memory and CPU stays out of the figures). Printed per K:

- solo: click -> done of one learner alone on the warm server (median of ``--solo`` runs)
- slowest / median click -> done over the K learners, and slowest / solo
- server CPU-s per training: the Streamlit process and all its children (the training pool's
  workers), measured with psutil, divided by K; the browser's CPU is reported apart
- how loaded the machine was: load average, and the CPU that other processes (the other people
  on this box) used during the round
- server-bound floor: the round's server CPU divided by the cores, the shortest a round could
  take if the browsers cost nothing (slowest / solo can't beat floor / solo)
- training s: what the app itself reports ("... in X s": the epochs alone, without the live
  charts), median and max over the K learners
- server memory (the Streamlit process and its children, summed PSS and USS from psutil's
  ``memory_full_info``: forked workers share pages, so RSS would count them once per process):
  before the K sessions open, once each has opened the Train page and trained one model, and
  after they have closed. MB per session = (trained - before) / K; "kept" is what had not come
  back once the closed sessions were dropped; "Streamlit USS" is the same growth for the
  Streamlit process alone, where the sessions live. Streamlit keeps a closed tab's session for
  ``server.disconnectedSessionTTL`` (120 s by default) in case it reconnects; this benchmark
  sets it to ``SESSION_TTL`` seconds so the closed sessions are dropped within the round.
- peak RSS: the server tree's summed RSS, sampled every 0.1 s while the K learners train (an
  upper bound: shared pages count once per process)
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

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import (  # noqa: E402
    NOTICE_PATTERN, assert_no_error_shown, button, new_app_context, notices, open_page, set_number, wait_idle)
from arrival_watch import arm_arrival_watch, arrived_at, wait_arrival  # noqa: E402
from core.job_worker import default_workers  # noqa: E402
from served_app import served_app  # noqa: E402
from streamlit_server import PeakMemory, StreamlitServer  # noqa: E402

TIMEOUT = 900_000  # 30 learners on 2 busy cores: minutes, not hours
SESSION_TTL = 5  # seconds a closed tab's session is kept for a reconnect (Streamlit's default: 120)
MB = 2**20
TRAINED_IN = re.compile(r"in (\d+(?:\.\d+)?) ?s")


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


def tree_memory(root: psutil.Process) -> dict[str, int]:
    """Summed PSS, USS and RSS (bytes) of ``root`` and every process below it, and the USS of
    ``root`` alone (the Streamlit process, where the sessions live)."""
    total = {"pss": 0, "uss": 0, "rss": 0}
    for process in [root, *root.children(recursive=True)]:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        for key in ("pss", "uss", "rss"):
            total[key] += getattr(info, key)
        if process.pid == root.pid:
            total["server_uss"] = info.uss
    return total


def memory_after_close(browser, server: StreamlitServer, root: psutil.Process) -> dict[str, int]:
    """The server's memory once the closed sessions are gone: Streamlit drops a stored session
    only when its store is next written after ``SESSION_TTL``, so one short visit (opened and
    closed) does that write; then a moment for the freeing to finish."""
    time.sleep(SESSION_TTL + 1)
    context = new_app_context(browser)
    try:
        open_page(context.new_page(), server, "/", timeout=TIMEOUT)
    finally:
        context.close()
    time.sleep(3)
    return tree_memory(root)


def machine_busy() -> float:
    times = psutil.cpu_times()
    return times.user + times.system + times.nice + getattr(times, "irq", 0) + getattr(times, "softirq", 0)


def run_class(browser, server: StreamlitServer, k: int, seed0: int) -> dict:
    server_process = psutil.Process(server.process.pid)
    memory_before = tree_memory(server_process)
    contexts, pages = [], []
    try:
        for i in range(k):
            context = new_app_context(browser)
            contexts.append(context)
            page = context.new_page()
            open_page(page, server, "/train", timeout=TIMEOUT)
            set_number(page, "Seed", seed0 + i, timeout=TIMEOUT)
            pages.append(page)
        me = psutil.Process(os.getpid())
        server_before, all_before = tree_cpu(server_process), tree_cpu(me)
        busy_before, load_before, wall_before = machine_busy(), os.getloadavg()[0], time.monotonic()
        clicks, trained = [], []
        with PeakMemory(server) as peak:
            for page in pages:
                arm_arrival_watch(page, NOTICE_PATTERN)
                clicks.append(time.time())
                button(page, "Train").click()
            for page in pages:
                wait_arrival(page, timeout=TIMEOUT)
                wait_idle(page, timeout=TIMEOUT)
                notice = notices(page)
                assert "Your model #" in notice, notice
                assert_no_error_shown(page)
                inside = TRAINED_IN.search(notice)
                trained.append(float(inside.group(1)) if inside else float("nan"))
        done = [arrived_at(page) for page in pages]
        wall = time.monotonic() - wall_before
        server_cpu = used_since(server_before, tree_cpu(server_process))
        ours_cpu = used_since(all_before, tree_cpu(me))  # this script, the browser and the server
        others_cpu = machine_busy() - busy_before - ours_cpu
        seconds = [d - c for d, c in zip(done, clicks)]
        result = {"k": k, "seconds": seconds, "slowest": max(seconds), "median": statistics.median(seconds),
                  "server_cpu": server_cpu, "server_cpu_per_training": server_cpu / k,
                  "browser_cpu": ours_cpu - server_cpu, "others_cpu": max(others_cpu, 0.0), "wall": wall,
                  "load_before": load_before, "load_after": os.getloadavg()[0], "healthy_after": server.healthy(),
                  "training_median": statistics.median(trained), "training_max": max(trained),
                  "peak_rss": peak.bytes, "memory_before": memory_before,
                  "memory_trained": tree_memory(server_process)}
    finally:
        for context in contexts:
            context.close()
    result["memory_closed"] = memory_after_close(browser, server, server_process)
    for name, key in (("", "pss"), ("streamlit_", "server_uss")):  # whole tree; the Streamlit process
        before = memory_before[key]
        result[f"{name}mb_per_session"] = (result["memory_trained"][key] - before) / k / MB
        result[f"{name}mb_kept_per_session"] = (result["memory_closed"][key] - before) / k / MB
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", default="6,30", help="comma-separated K (default 6,30)")
    parser.add_argument("--solo", type=int, default=3, help="solo runs for the baseline (default 3)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()

    rounds = []
    with served_app("bench-class-server.log",
                    {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL)}) as (browser, server):
        run_class(browser, server, default_workers(), seed0=1)  # every worker's first training: not reported
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
          f"{'browser CPU-s':>14} {'others CPU-s':>13} {'wall s':>7} {'floor s':>8} {'load before/after':>18}  health")
    for r in rounds:
        print(f"{r['k']:3d} {r['slowest']:10.2f} {r['median']:9.2f} {r['slowest'] / solo:13.2f} "
              f"{r['server_cpu_per_training']:15.2f} {r['browser_cpu']:14.1f} {r['others_cpu']:13.1f} "
              f"{r['wall']:7.1f} {r['server_cpu'] / cores:8.1f} {r['load_before']:8.1f}/{r['load_after']:<9.1f}  "
              f"{'ok' if r['healthy_after'] else 'NOT ANSWERING'}")
    print("\nothers CPU-s: what the rest of the machine (other people's processes) used during the round; "
          "floor s: the round's server CPU / cores, its shortest possible wall time")
    print("\nServer memory, MB: the server tree (Streamlit process + workers, summed PSS) | the Streamlit "
          "process alone (USS)\n")
    print(f"{'K':>3} {'training s med/max':>19} {'before':>7} {'trained':>8} {'closed':>7} {'/session':>9} "
          f"{'kept/s.':>8} | {'before':>7} {'trained':>8} {'closed':>7} {'/session':>9} {'kept/s.':>8} "
          f"{'peak RSS':>9}")
    for r in [*solos, *rounds]:
        columns = []
        for name, key in (("", "pss"), ("streamlit_", "server_uss")):
            columns.append(" ".join(f"{r[f'memory_{when}'][key] / MB:{width}.0f}"
                                    for when, width in (("before", 7), ("trained", 8), ("closed", 7)))
                           + f" {r[f'{name}mb_per_session']:9.1f} {r[f'{name}mb_kept_per_session']:8.1f}")
        print(f"{r['k']:3d} {r['training_median']:9.2f}/{r['training_max']:<9.2f} {columns[0]} | {columns[1]} "
              f"{r['peak_rss'] / MB:9.0f}")
    print("/session = (trained - before) / K; kept/s. = (closed - before) / K, once the closed sessions were "
          f"dropped ({SESSION_TTL} s after they closed). Peak RSS: the tree, summed, while training. Before the "
          "solo runs a round of one learner per worker (not shown) gave every worker its first training.")
    if args.json:
        args.json.write_text(json.dumps({"solo": solos, "rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
