"""What the server does at start-up besides the pages (app/server.py)."""

import logging

import pytest
import sqlalchemy as sa

from app import room_session
from app.server import open_classroom


@pytest.fixture
def fresh_store():
    """The process-wide store forgotten before and after, so the test's database URL is the one opened."""
    room_session.store.cache_clear()
    room_session.room_cache.cache_clear()
    yield
    room_session.store.cache_clear()
    room_session.room_cache.cache_clear()


def test_the_classroom_schema_is_created_at_start_up(tmp_path, monkeypatch, fresh_store):
    url = f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
    monkeypatch.setenv("ECG_CLASSROOM_DB", url)
    open_classroom()
    engine = sa.create_engine(url)
    try:
        assert {"rooms", "runs", "submissions", "learners", "schema_version"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_unreachable_classroom_database_is_logged_and_the_server_still_starts(monkeypatch, caplog, fresh_store):
    monkeypatch.setenv("ECG_CLASSROOM_DB", "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    with caplog.at_level(logging.ERROR, logger="app.server"):
        open_classroom()
    assert "The classroom database could not be opened" in caplog.text
