"""AppTest fixtures: each page test drives the real app on the real ECG5000 data."""

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data" / "ecg5000"


@pytest.fixture(scope="session", autouse=True)
def ecg5000_dir():
    """Point the loader at the real data (ECG5000_DIR, else the workplace copy), or skip."""
    folder = Path(os.environ.get("ECG5000_DIR") or SHARED_DATA)
    if not (folder / "ECG5000_TRAIN.txt").is_file():
        pytest.skip(f"ECG5000 not found at {folder}; set ECG5000_DIR")
    os.environ["ECG5000_DIR"] = str(folder)
    return folder


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
