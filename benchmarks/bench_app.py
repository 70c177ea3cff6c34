"""How fast the app feels in a real browser (headless Chromium driving ``streamlit run``).

Run from the repository root (needs /usr/bin/chromium and the real data, ECG5000_DIR):

    python benchmarks/bench_app.py [--repeat 5] [--json results.json]

Measured, in seconds, each from the learner's action to the moment the answer is drawn:

- cold start: server process launched -> its first page (the Introduction) drawn
- new session on a warm server: navigation -> Introduction drawn (all its pictures, idle), in a
  fresh browser profile (first visit) and in a new tab of a browser that has visited before
- train (default model, 100 epochs, live charts): click on Train -> result tiles and notice
- threshold: slider moved (keyboard) -> confusion matrix shows the new counts
- draw: mouse released after tracing a beat -> verdict shown
- sample: click on a gallery card's Inspect -> its verdict and chart shown

"Drawn" means: the script is idle, every plotly chart on the page has rendered its SVG and every
picture (the Introduction's static figures and sparklines) has loaded.
Each figure is the median of ``--repeat`` tries (min and max printed too), each in a fresh
session except the cold start. Peer figures (Anomagram in headless Chromium on this machine)
and the project's targets are printed alongside.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import numpy as np  # noqa: E402

from browser_harness import (  # noqa: E402
    IDLE, button, chromium_problem, click_train, launch_chromium, new_app_context, open_page,
    rerun, wait_idle, wait_trained)
from canvas_drawing import canvas_box, canvas_geometry, stroke  # noqa: E402
from streamlit_server import ARTIFACTS, StreamlitServer, data_dir  # noqa: E402

PEERS = {  # Anomagram in headless Chromium here; and our targets
    "first visit: healthy -> Introduction drawn": ("8.6-17 s before start-up warming; target <= 5 s", 5.0),
    "new session: Introduction drawn": ("Anomagram 0.47 s (cards drawn); target <= 1.5 s", 1.5),
    "sample click -> verdict": ("Anomagram 1.3 s", 1.3),
    "train click -> result (100 epochs)": ("Anomagram 6.3 s (its default); target <= 2 s", 2.0),
}
TIMEOUT = 120_000
MEASUREMENTS = ("new_session", "new_tab", "train", "threshold", "sample_click", "draw")  # Bench methods

# Every chart on the page has drawn (a plotly chart's SVG, a Vega-Lite chart's SVG or canvas),
# every picture has loaded, and there are at least so many of each.
_DRAWN = """
([charts, pictures]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]')];
  const images = [...document.querySelectorAll('[data-testid="stMain"] img')];
  return plots.length >= charts && plots.every((c) => c.querySelector('.main-svg, svg.marks, canvas.marks'))
    && images.length >= pictures && images.every((i) => i.complete && i.naturalWidth > 0);
}
"""

INTRO_PICTURES = 5 + 12  # the Introduction's static figures and its gallery's sparklines (no plotly)


def wait_drawn(page, min_charts: int = 0, min_pictures: int = 0, timeout: float = TIMEOUT) -> None:
    page.wait_for_function(_DRAWN, arg=[min_charts, min_pictures], polling=10, timeout=timeout)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Bench:
    def __init__(self, browser, server: StreamlitServer):
        self.browser, self.server = browser, server
        self.results: dict[str, list[float]] = {}
        self.notes: dict[str, list[str]] = {}

    def record(self, name: str, seconds: float, note: str | None = None) -> None:
        self.results.setdefault(name, []).append(seconds)
        if note:
            self.notes.setdefault(name, []).append(note)

    def session(self):
        context = new_app_context(self.browser)
        return context, context.new_page()

    # ------------------------------------------------------------ the measurements

    def new_session(self) -> None:
        """A learner's first visit: a fresh browser profile, nothing cached."""
        context, page = self.session()
        try:
            self._time_introduction(page, "new session")
        finally:
            context.close()

    def new_tab(self) -> None:
        """A learner opening the app again in another tab: a new Streamlit session, but the
        browser already holds Streamlit's JavaScript from the first visit."""
        context, page = self.session()
        try:
            open_page(page, self.server, "/")
            wait_drawn(page, min_pictures=INTRO_PICTURES)
            self._time_introduction(context.new_page(), "new tab (browser cache warm)")
        finally:
            context.close()

    def _time_introduction(self, page, label: str) -> None:
        # Each milestone is checked in the page every 10 ms (a locator's visibility wait lagged
        # the page by up to 0.3 s here).
        milestones = (
            ("first text", "() => !!document.querySelector('[data-testid=\"stMain\"] h1')", None),
            ("script finished", "(idle) => !!document.querySelector(idle)", IDLE),
            ("first picture shown", "() => [...document.querySelectorAll('[data-testid=\"stMain\"] img')]"
                                    ".some((i) => i.complete && i.naturalWidth > 0)", None),
            ("Introduction drawn", _DRAWN, [0, INTRO_PICTURES]),
        )
        start = time.perf_counter()
        page.goto(self.server.page_url("/"), wait_until="commit", timeout=TIMEOUT)
        for name, condition, arg in milestones:
            page.wait_for_function(condition, arg=arg, polling=10, timeout=TIMEOUT)
            self.record(f"{label}: {name}", time.perf_counter() - start)

    def sample_click(self) -> None:
        context, page = self.session()
        try:
            open_page(page, self.server, "/")
            wait_drawn(page, min_pictures=INTRO_PICTURES)
            captions = page.get_by_text(re.compile(r"^(Beat )?#\d+ · ")).all_inner_texts()
            for position in (2, 7, 11):  # three different cards
                beat = re.search(r"#(\d+)", captions[position]).group(1)
                inspect = page.locator(f".st-key-gallery_inspect_{position}").get_by_role("button")
                seconds = timed(lambda: (
                    inspect.click(),
                    page.get_by_text(re.compile(rf"^Beat #{beat}\b.*reconstruction")).first.wait_for(timeout=TIMEOUT),
                    page.locator(f".st-key-gallery_inspect_{position}").get_by_role(
                        "button", name="Inspecting").wait_for(timeout=TIMEOUT),
                    page.locator(f'img[alt="Beat #{beat} and its reconstruction"]').wait_for(timeout=TIMEOUT),
                    wait_drawn(page, min_pictures=INTRO_PICTURES)))
                verdict = page.get_by_role("heading", name=re.compile(r"^Verdict: ")).inner_text()
                self.record("sample click -> verdict", seconds, verdict.lower())
        finally:
            context.close()

    def train(self) -> None:
        context, page = self.session()
        try:
            open_page(page, self.server, "/train")
            wait_drawn(page, min_charts=1)
            start = time.perf_counter()
            notice = wait_trained(page, click_train(page), timeout=TIMEOUT)
            wait_drawn(page, min_charts=4)
            seconds = time.perf_counter() - start
            inside = re.search(r"in (\d+(?:\.\d+)?) ?s", notice)
            self.record("train click -> result (100 epochs)", seconds,
                        f"the app says {inside.group(1)} s of training" if inside else notice[:60])
        finally:
            context.close()

    def threshold(self) -> None:
        context, page = self.session()
        try:
            open_page(page, self.server, "/thresholds")
            wait_drawn(page, min_charts=1)
            table = page.locator('[data-testid="stTable"]').filter(has_text="Predicted abnormal").first
            thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first
            thumb.focus()
            for key in ("PageUp", "PageDown", "PageUp"):
                before = table.inner_text()
                start = time.perf_counter()
                thumb.press(key)
                page.wait_for_function("([el, old]) => el.innerText !== old", arg=[table.element_handle(), before],
                                       polling=10, timeout=TIMEOUT)
                changed = time.perf_counter() - start
                wait_drawn(page, min_charts=1)
                self.record("threshold key -> confusion matrix", changed)
                self.record("threshold key -> page settled", time.perf_counter() - start)
        finally:
            context.close()

    def draw(self) -> None:
        from core.data import split_beats
        from core.ucr import load_ucr

        if not hasattr(self, "_mean_normal"):
            self._mean_normal = split_beats(load_ucr(self.server.data)).train.normal.mean(axis=0)
        context, page = self.session()
        try:
            open_page(page, self.server, "/draw")
            geometry = canvas_geometry(page)  # its size follows the page's width
            xs = np.linspace(2, geometry.width - 2, 70)
            normal = list(zip(xs, geometry.value_to_y(np.interp(np.linspace(0, 139, 70), np.arange(140),
                                                                self._mean_normal))))
            flat = [(x, float(geometry.value_to_y(0))) for x in xs]
            verdict = page.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"^\s*(Normal|Abnormal)"))
            for points, expected in ((normal, "Normal"), (flat, "Abnormal: a flat line")):
                rerun(page, lambda: button(page, "Clear").click(), timeout=TIMEOUT)
                box = canvas_box(page)
                wait_idle(page)
                stroke(page, points, box, release=False)
                start = time.perf_counter()
                page.mouse.up()  # the verdict clock starts at the release
                verdict.filter(has_text=re.compile(rf"^\s*{re.escape(expected)}")).first.wait_for(timeout=TIMEOUT)
                wait_drawn(page, min_charts=1)
                self.record("draw release -> verdict", time.perf_counter() - start, expected)
        finally:
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="tries per measurement (default 5)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, default=MEASUREMENTS,
                        help="measure only these (the cold start is always measured)")
    args = parser.parse_args()

    problem = chromium_problem()
    data = data_dir()
    if problem or data is None:
        print(f"cannot run: {problem or 'ECG5000 not found (set ECG5000_DIR)'}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        server = StreamlitServer(data, log_path=ARTIFACTS / "bench-app-server.log")
        bench = Bench(browser, server)
        try:
            # cold start: process launch -> health -> first page drawn (data load + default model)
            start = time.perf_counter()
            server.start(timeout=300)
            healthy = time.perf_counter()
            bench.record("cold start: server healthy", healthy - start)
            context, page = bench.session()
            page.goto(server.page_url("/"), wait_until="commit", timeout=TIMEOUT * 2)
            wait_drawn(page, min_pictures=INTRO_PICTURES, timeout=TIMEOUT * 2)
            bench.record("cold start: Introduction drawn", time.perf_counter() - start)
            bench.record("first visit: healthy -> Introduction drawn", time.perf_counter() - healthy)
            context.close()

            for name in args.only:
                # the last three measure several actions per try
                tries = args.repeat if name in ("new_session", "new_tab", "train") else math.ceil(args.repeat / 3)
                for _ in range(tries):
                    getattr(bench, name)()
        finally:
            server.stop()
            browser.close()

    print(f"\nECG autoencoder lab in headless Chromium ({args.repeat} tries each; seconds)\n")
    print(f"{'measurement':50} {'median':>7} {'min':>7} {'max':>7}  n  notes")
    for name, values in bench.results.items():
        notes = "; ".join(sorted(set(bench.notes.get(name, []))))[:90]
        print(f"{name:50} {statistics.median(values):7.2f} {min(values):7.2f} {max(values):7.2f} "
              f"{len(values):2d}  {notes}")
    print("\nagainst the peer and the targets:")
    for name, (peer, target) in PEERS.items():
        if name in bench.results:
            median = statistics.median(bench.results[name])
            print(f"  {name}: {median:.2f} s ({peer}) -> {'meets' if median <= target else 'MISSES'} {target} s")
    if args.json:
        args.json.write_text(json.dumps({"seconds": bench.results, "notes": bench.notes}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
