"""AppTest fixtures: each page test drives the real app on the real ECG5000 data."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def ecg5000_dir(real_data_dir):
    """Every page test runs on the real data."""
    return real_data_dir


@pytest.fixture(scope="session", autouse=True)
def classroom_database(tmp_path_factory):
    """Rooms and saved work of page tests go to a throwaway SQLite file, never ./data."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ECG_CLASSROOM_DIR", str(tmp_path_factory.mktemp("classroom")))
    patch.delenv("ECG_CLASSROOM_DB", raising=False)
    yield
    patch.undo()


@pytest.fixture
def open_page():
    """open_page("pages/train.py") -> an AppTest that has run the app and switched to that page."""

    def _open(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.run()
        if page != "pages/introduction.py":
            at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    return _open
