"""Browser fixtures: the real app served by ``streamlit run`` on 127.0.0.1, driven by Chromium.

- ``streamlit_server`` (session): one server for the whole browser suite, on a free port, with
  the real ECG5000 (``ECG5000_DIR``, else ``../shared/data/ecg5000``; skipped when absent). It is
  stopped at the end whatever happens (terminate, then kill). Its log: test-artifacts/streamlit-server.log.
- ``browser`` (session): Debian's /usr/bin/chromium through playwright's sync API. Missing
  Chromium (or playwright) skips the suite, except under ``CI=true``, where it is an error.
- ``page`` / ``new_page``: a new browser context (a new Streamlit session) per page, viewport
  1400x1000. Every page is screenshotted into test-artifacts/ when its test ends, pass or fail.

Playwright's sync API marks its own asyncio loop as *running* in the main thread between calls
for as long as it is started, which breaks any later code that wants a loop of its own (e.g.
``asyncio.run``). So the browser tests run last in a session (see
``pytest_collection_modifyitems``): the session fixtures are torn down right after them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from browser_harness import (
    ACTION_TIMEOUT, assert_no_error_shown, chromium_problem, launch_chromium, main_text, new_app_context,
    screenshot, slug, warm_up)
from streamlit_server import ARTIFACTS, StreamlitServer, data_dir, is_ci

BROWSER_TESTS = Path(__file__).resolve().parent


def _is_browser_test(item) -> bool:
    return BROWSER_TESTS in Path(str(item.path)).resolve().parents


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the real app in Chromium (tests/browser)")


def pytest_collection_modifyitems(session, config, items):
    """Browser tests last (stable order otherwise), each marked ``browser``."""
    browser = [item for item in items if _is_browser_test(item)]
    if not browser:
        return
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if not _is_browser_test(item)] + browser


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # new_page's teardown saves the page text on failure
    return report


# ---------------------------------------------------------------- session: server, playwright, browser


def _unavailable(reason: str):
    if is_ci():
        pytest.fail(f"CI=true but the browser tests can't run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def ecg5000() -> Path:
    folder = data_dir()
    if folder is None:
        pytest.skip("real ECG5000 not found: set ECG5000_DIR to the folder with ECG5000_TRAIN.txt and "
                    "ECG5000_TEST.txt (the workplace copy is ../shared/data/ecg5000)")
    return folder


@pytest.fixture(scope="session")
def playwright_sync():
    problem = chromium_problem()
    if problem:
        _unavailable(problem)
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT)  # expect() waits as long as any other action
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        pytest.fail("an asyncio loop is running in the test thread (pytest-asyncio in auto mode?): "
                    "playwright's sync API can't run inside it", pytrace=False)
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        manager.__exit__()


@pytest.fixture(scope="session")
def browser(playwright_sync):
    try:
        browser = launch_chromium(playwright_sync)
    except Exception as exc:  # a broken install: same rule as a missing one
        _unavailable(f"Chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def streamlit_server(ecg5000, artifacts, browser, tmp_path_factory):
    """The app on 127.0.0.1:<free port>; depends on ``browser`` so no server starts without one.
    Its classroom database is a throwaway SQLite file."""
    server = StreamlitServer(ecg5000, log_path=artifacts / "streamlit-server.log",
                             extra_env={"ECG_CLASSROOM_DIR": str(tmp_path_factory.mktemp("classroom")),
                                        "ECG_CLASSROOM_DB": ""})
    try:
        server.start(timeout=120)
        warm_up(browser, server)  # data loaded, default model trained: tests time their own steps only
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def split(ecg5000):
    """The app's split of the real data, to compute what the pages should show."""
    from core.data import split_beats
    from core.ucr import load_ucr

    return split_beats(load_ucr(ecg5000))


# ---------------------------------------------------------------- per test: pages and screenshots


@pytest.fixture
def new_page(request, browser, streamlit_server, artifacts):
    """``new_page()`` -> a page in a new context (a new Streamlit session).

    Each page is screenshotted (full page) into test-artifacts/<test>[-<n>].png when the test
    ends, pass or fail; on failure its visible text is saved next to it.
    """
    contexts, pages = [], []

    def _new_page():
        context = new_app_context(browser)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield _new_page

    call = getattr(request.node, "report_call", None)
    failed = call is None or call.failed
    name = slug(f"{Path(str(request.node.path)).stem}--{request.node.name}")
    for n, page in enumerate(pages, start=1):
        stem = name if len(pages) == 1 else f"{name}-{n}"
        try:
            screenshot(page, artifacts / f"{stem}.png")
            if failed:
                (artifacts / f"{stem}.txt").write_text(main_text(page))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            (artifacts / f"{stem}.screenshot-error.txt").write_text(repr(exc))
    for context in contexts:
        try:
            context.close()
        except Exception:
            pass


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def server(streamlit_server) -> StreamlitServer:
    return streamlit_server


@pytest.fixture
def no_error_shown():
    """``no_error_shown(page)``: no exception box, no traceback text."""
    return assert_no_error_shown
