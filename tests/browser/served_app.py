"""For the benchmarks that drive many pages: the app served once and one headless Chromium that
has already visited it (the default model trained, the frontend cached)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from browser_harness import chromium_problem, launch_chromium, warm_up
from streamlit_server import ARTIFACTS, StreamlitServer, data_dir


@contextmanager
def served_app(log_name: str, extra_env: dict[str, str] | None = None):
    """``(browser, server)``, both stopped on exit; exits with status 2 and the reason when Chromium
    or the data is missing. The server's log goes to ``test-artifacts/<log_name>``; ``extra_env``
    is added to its environment."""
    problem, data = chromium_problem(), data_dir()
    if problem or data is None:
        print(f"cannot run: {problem or 'ECG5000 not found (set ECG5000_DIR)'}", file=sys.stderr)
        raise SystemExit(2)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            with StreamlitServer(data, log_path=ARTIFACTS / log_name, extra_env=extra_env) as server:
                warm_up(browser, server)
                yield browser, server
        finally:
            browser.close()
