"""The Insight lab in a real browser: wall time from Run to the drawn result for each experiment,
and a screenshot of every tab at 1024 and 1400 px wide (test-artifacts/lab/).

Run: ECG5000_DIR=/path/to/ecg5000 python -m benchmarks.bench_lab [--seeds 3]

The experiments run in the server exactly as a learner's click runs them (same executor, same
budget). Times depend on how busy the machine is: run it on a quiet one, or compare A/B.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import (button, launch_chromium, new_app_context, open_page, rerun,  # noqa: E402
                             screenshot, warm_up)
from lab_actions import click_latent_point, open_tab, run_experiment  # noqa: E402
from streamlit_server import ARTIFACTS, StreamlitServer, data_dir  # noqa: E402

EXPERIMENTS = ("Contamination", "Depth", "Optimizers")
INSTANT = ("Threshold band", "Baselines", "Latent space")
WIDTHS = (1024, 1400)


def shoot(page, name: str) -> list[Path]:
    paths = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(400)  # plotly re-lays out its charts for the new width
        path = ARTIFACTS / "lab" / f"{name}-{width}.png"
        screenshot(page, path)
        paths.append(path)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, StreamlitServer(data_dir()) as server:
        browser = launch_chromium(playwright)
        print(f"server ready; first page after {warm_up(browser, server):.1f} s")
        page = new_app_context(browser).new_page()
        open_page(page, server, "/experiments")
        for name in EXPERIMENTS:
            panel = open_tab(page, name)
            started = time.perf_counter()
            run_experiment(page, panel, args.seeds, timeout=900_000)
            print(f"{name:<15} {args.seeds} seeds: {time.perf_counter() - started:6.1f} s click to chart")
            shoot(page, name.lower())
        for name in INSTANT:
            panel = open_tab(page, name)
            started = time.perf_counter()
            if name == "Baselines":
                rerun(page, lambda: panel.get_by_text("Fit and compare the baselines").click(), timeout=120_000)
            if name == "Latent space":
                click_latent_point(page, panel)
            print(f"{name:<15} {time.perf_counter() - started:6.1f} s")
            shoot(page, name.lower().replace(" ", "-"))
        open_page(page, server, "/draw")
        rerun(page, lambda: button(page, "R-on-T PVC").click())
        started = time.perf_counter()
        rerun(page, lambda: button(page, "Find the smallest flip").click(), timeout=120_000)
        print(f"{'draw: flip':<15} {time.perf_counter() - started:6.1f} s")
        shoot(page, "draw-flip")
        print(f"screenshots in {ARTIFACTS / 'lab'}")


if __name__ == "__main__":
    main()
