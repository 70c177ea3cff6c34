"""Real-browser harness shared by the browser tests (tests/browser) and the benchmarks.

No pytest in here: ``benchmarks/bench_app.py`` and ``benchmarks/bench_class.py`` import it too.

- The server itself (``StreamlitServer``, ``PeakMemory`` ...) lives in ``streamlit_server``.
- ``launch_chromium`` starts the Debian chromium (playwright can't download browsers here).
- ``new_app_context`` makes a browser context that records Streamlit's script runs, so that
  ``wait_idle`` / ``rerun`` wait on conditions, never on fixed sleeps.
- Page helpers (``open_page``, ``badge``, ``train`` ...) say what a learner does and sees; strokes
  on the Draw page's canvas are in ``canvas_drawing``.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from streamlit_server import ROOT, StreamlitServer

if str(ROOT) not in sys.path:  # core/ and app/ importable however the tests or benchmarks are started
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}

# Timeouts (milliseconds, as playwright takes them). This machine has 2 busy cores: generous,
# but every wait is bounded.
ACTION_TIMEOUT = 30_000       # a click, a fill, an element to appear
NAVIGATION_TIMEOUT = 60_000   # a page load (the first one also trains the default model)
TRAIN_TIMEOUT = 60_000        # a training run from click to result
SETTLE_MS = 150               # "idle" must hold this long before we call the page settled

APP = '[data-testid="stApp"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PLOTLY = '[data-testid="stPlotlyChart"]'
METRIC = '[data-testid="stMetric"]'
EXCEPTION = '[data-testid="stException"]'
BADGE_PREFIX = "Model in use:"

# Runs in every document before its own scripts. Counts Streamlit script runs (the stApp's
# data-test-script-state turning to "running") and messages from the server on its websocket,
# and notes when either last happened. Both are needed: under load React may batch "running"
# and "notRunning" into one render, so a quick run can leave no trace in the attribute.
_RUN_RECORDER = """
(() => {
  if (window.__st) return;
  const st = window.__st = {runs: 0, messages: 0, changedAt: performance.now()};
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.attributeName !== 'data-test-script-state') continue;
      st.changedAt = performance.now();
      if (m.target.getAttribute('data-test-script-state') === 'running') st.runs++;
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { st.messages++; st.changedAt = performance.now(); });
    }
  };
})();
"""

_SETTLED = """
(settle) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const changedAt = window.__st ? window.__st.changedAt : 0;
  return performance.now() - changedAt >= settle;
}
"""


# ---------------------------------------------------------------- environment


def chromium_problem() -> str | None:
    """Why the browser tests can't run here, or None."""
    if not Path(CHROMIUM).is_file():
        return (f"Chromium not found at {CHROMIUM}: install it with "
                "`apt-get install chromium chromium-driver` (Debian)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright pip package is missing: pip install 'playwright>=1.45' (or scripts/test)"
    return None



# ---------------------------------------------------------------- the browser


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=NAVIGATION_TIMEOUT)


def new_app_context(browser):
    """A fresh browser context (its own cookies, so its own Streamlit session) that records script runs."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    context.add_init_script(_RUN_RECORDER)
    return context


def wait_idle(page, timeout: float = NAVIGATION_TIMEOUT, settle_ms: int = SETTLE_MS) -> None:
    """Wait until Streamlit says its script is not running, and has said so for ``settle_ms``."""
    page.wait_for_selector(IDLE, state="attached", timeout=timeout)
    page.wait_for_function(_SETTLED, arg=settle_ms, polling=50, timeout=timeout)


def runs(page) -> int:
    """How many script runs this document has seen start."""
    return page.evaluate("window.__st ? window.__st.runs : 0")


def activity(page) -> tuple[int, int]:
    """(script runs seen, server messages received) so far: see ``rerun``."""
    return tuple(page.evaluate("window.__st ? [window.__st.runs, window.__st.messages] : [0, 0]"))


_ACTIVITY_SINCE = "([r, m]) => window.__st && (window.__st.runs > r || window.__st.messages > m)"


def rerun(page, action, timeout: float = ACTION_TIMEOUT) -> None:
    """Do ``action()`` (a click, a key press, a stroke) and wait until the script run it caused has
    finished: the server has answered (a run started, or a message came) and the app has been
    idle for ``SETTLE_MS`` since its last message."""
    before = activity(page)
    action()
    page.wait_for_function(_ACTIVITY_SINCE, arg=list(before), polling=20, timeout=timeout)
    wait_idle(page, timeout=timeout)


def open_page(page, server: StreamlitServer, path: str = "/", timeout: float = NAVIGATION_TIMEOUT) -> None:
    """Navigate to one of the app's pages and wait until its script has run and its title is drawn."""
    page.goto(server.page_url(path), wait_until="domcontentloaded", timeout=timeout)
    page.locator(f'[data-testid="stMain"] h1, {EXCEPTION}').first.wait_for(state="visible", timeout=timeout)
    wait_idle(page, timeout=timeout)
    assert_no_error_shown(page)


def nav(page, title: str, timeout: float = NAVIGATION_TIMEOUT) -> None:
    """Go to another page of the app through the navigation bar, in the same session (a ``goto``
    would start a new session), and wait until it is drawn."""
    link = page.locator('[data-testid="stTopNav"] a', has_text=title)
    rerun(page, link.click, timeout)
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=timeout)
    wait_idle(page, timeout)


_PICTURES_SHOWN = """
(n) => {
  const pictures = [...document.querySelectorAll('[data-testid="stMain"] img')];
  return pictures.length >= n && pictures.every((p) => p.complete && p.naturalWidth > 0);
}
"""


def wait_pictures(page, at_least: int, timeout: float = ACTION_TIMEOUT) -> None:
    """Wait until the page shows at least ``at_least`` pictures and every one has loaded."""
    page.wait_for_function(_PICTURES_SHOWN, arg=at_least, polling=20, timeout=timeout)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def badge(page) -> str:
    """The page's "Model in use: ..." caption."""
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text=BADGE_PREFIX).first
    return caption.inner_text().strip()


def assert_no_error_shown(page) -> None:
    """No Streamlit exception box and no traceback text anywhere on the page."""
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    text = page.locator("body").inner_text()
    assert "Traceback" not in text, text[text.index("Traceback"):][:2000]


def metric_value(page, label: str, scope=None) -> str:
    """The value of the st.metric whose label is exactly ``label`` (first one in ``scope``)."""
    scope = scope or page
    tile = scope.locator(METRIC).filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return tile.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def screenshot(page, path: Path, timeout: float = 15_000) -> None:
    """The whole app, not just the viewport: Streamlit scrolls inside its own container, so the
    viewport is made as tall as the content first (at most 12,000 px)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("""() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]']
        .map((s) => document.querySelector(s)).filter(Boolean).map((e) => e.scrollHeight), 0)""")
    size = page.viewport_size or VIEWPORT
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12_000)})
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    try:
        page.screenshot(path=str(path), full_page=True, timeout=timeout)
    finally:
        page.set_viewport_size(size)  # the next page is measured from the usual window again


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:150]


# ---------------------------------------------------------------- what a learner does


NOTICE_PATTERN = r"It is now the model on every page|did not change|can't be trained"

_NOTICES = """
(pattern) => [...document.querySelectorAll('[data-testid="stAlert"]')]
  .filter((e) => !e.closest('[data-stale="true"]'))
  .map((e) => e.innerText.trim()).filter((t) => new RegExp(pattern).test(t)).join('\\n')
"""


def button(page, label: str):
    """The button whose visible label ends with ``label`` (icons come first)."""
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(label)}$"))


def set_number(page, label: str, value, timeout: float = ACTION_TIMEOUT) -> None:
    """Type ``value`` into the number input labelled ``label`` and press Enter (one script run)."""
    field = page.locator(f'[data-testid="stNumberInput"] input[aria-label="{label}"]')
    if field.input_value() == str(value):
        return
    rerun(page, lambda: (field.fill(str(value)), field.press("Enter")), timeout)


def slider_thumb(page, label: str):
    """A Streamlit slider's thumb (an ``input type=range`` labelled ``label``)."""
    return page.locator(f'[data-testid="stSlider"] input[type="range"][aria-label="{label}"]')


def press_slider(page, thumb, key: str, times: int = 1, timeout: float = ACTION_TIMEOUT) -> str:
    """Focus a slider's thumb (see ``slider_thumb``), press ``key`` (ArrowRight, PageUp, End ...)
    ``times`` times and wait for the script run that commits it; returns the value it shows."""
    start = thumb.get_attribute("aria-valuetext")
    thumb.focus()

    def press():
        for _ in range(times):
            thumb.press(key)

    rerun(page, press, timeout)
    value = thumb.get_attribute("aria-valuetext")
    assert value != start, f"the slider did not move from {start} with {key}"
    return value


def table_rows(table) -> list[list[str]]:
    """An st.table's cells, row by row (header row first), as the learner reads them."""
    return table.evaluate("""(t) => [...t.querySelectorAll('tr')]
        .map((r) => [...r.querySelectorAll('th, td')].map((c) => c.innerText.trim()))""")


def notices(page) -> str:
    """The train page's current (not stale) outcome notices."""
    return page.evaluate(_NOTICES, NOTICE_PATTERN)


def click_train(page) -> tuple[int, str]:
    """Click Train without waiting for the run; returns what ``wait_trained`` needs."""
    state = (activity(page), notices(page))
    button(page, "Train").click()
    return state


def wait_trained(page, state: tuple[int, str], timeout: float = TRAIN_TIMEOUT) -> str:
    """Wait until the run started by ``click_train`` has ended (a new outcome notice) and the page
    is idle; returns the notice."""
    before, old = state
    page.wait_for_function(_ACTIVITY_SINCE, arg=list(before), polling=20, timeout=timeout)
    page.wait_for_function(f"([pattern, old]) => {{ const t = ({_NOTICES})(pattern); return t && t !== old; }}",
                           arg=[NOTICE_PATTERN, old], polling=20, timeout=timeout)
    wait_idle(page, timeout=timeout)
    return notices(page)


def train(page, timeout: float = TRAIN_TIMEOUT) -> str:
    """Click Train and wait for the outcome (see ``wait_trained``)."""
    return wait_trained(page, click_train(page), timeout)


def chart_titles(page) -> list[str]:
    """Titles of the plotly charts drawn on the page."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle')]
        .map((e) => e.textContent)""")


def warm_up(browser, server: StreamlitServer, timeout: float = 120_000) -> float:
    """Load "/" once and wait for it to be drawn: loads the data and trains the default model on
    the server, and runs streamlit_app.py (see the pages/ note in test_journeys.py). Seconds taken."""
    started = time.perf_counter()
    context = new_app_context(browser)
    try:
        page = context.new_page()
        open_page(page, server, "/", timeout=timeout)
        page.locator('[data-testid="stMain"] img').first.wait_for(state="visible", timeout=timeout)
    finally:
        context.close()
    return time.perf_counter() - started
