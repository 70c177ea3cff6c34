"""Classroom storage fixtures: every storage test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``ECG_CLASSROOM_TEST_DB`` (an SQLAlchemy URL; ``.ci/run`` starts a throwaway
server and sets it). Without it the PostgreSQL half is skipped locally and fails under ``CI=true``.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from classroom.storage import ClassroomStore, metadata


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
        return
    url = os.environ.get("ECG_CLASSROOM_TEST_DB", "").strip()
    if not url:
        if _is_ci():
            pytest.fail("CI=true but ECG_CLASSROOM_TEST_DB (a PostgreSQL URL) is not set", pytrace=False)
        pytest.skip("PostgreSQL tests skipped: set ECG_CLASSROOM_TEST_DB to a throwaway server's URL")
    yield url
    engine = sa.create_engine(url)
    metadata.drop_all(engine)  # each test starts from an empty database
    engine.dispose()


@pytest.fixture
def store(db_url):
    store = ClassroomStore(db_url)
    yield store
    store.close()
