"""A new browser session of the whole app for AppTest: what opening a URL does."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_app(query: dict | None = None, page: str = "pages/train.py") -> AppTest:
    """A new session opened on ``page`` with ``query`` in its URL (a link, a reload)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)
