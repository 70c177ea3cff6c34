"""What the server does besides running the pages: compress what it sends, warm up at start.

Used by ``streamlit_app.py``'s ``st.App``:

- ``middleware()``: ``AddressGuard`` (addresses answered before Streamlit), then Starlette's
  ``GZipMiddleware`` in front of everything, including the
  frontend's JavaScript (plotly.js alone is 4.7 MB, about 1.4 MB gzipped), which Streamlit's own
  compression leaves out. Content-hashed bundles are fetched once per browser, so the CPU spent
  is per new learner, not per click.
- ``training_pool()``: for the app's lifespan: the training pool's warm workers start before
  the first request and stop with the server.
- ``open_classroom()``: the classroom database's schema created or migrated at start-up, before
  the first learner joins a room.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from app import room_session
from app.address_guard import AddressGuard
from core.jobs import shared_pool

log = logging.getLogger(__name__)

GZIP_LEVEL = 6  # level 9 costs about twice the CPU for ~2 % fewer bytes on plotly.js
GZIP_MINIMUM_BYTES = 1000


def middleware() -> list[Middleware]:
    return [Middleware(AddressGuard),
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)]


@contextmanager
def training_pool():
    """The training pool's workers start now and load the data while the server comes up; they
    stop with the server."""
    pool = shared_pool()
    try:
        yield pool
    finally:
        pool.shutdown()


def open_classroom() -> None:
    """Open the classroom store now, which creates or migrates its schema. A database that can't
    be reached (or was written by a newer app) is logged, not fatal: every page but the classroom
    ones works without it, and those say what went wrong when used."""
    try:
        room_session.store()
    except (SQLAlchemyError, RuntimeError) as exc:
        log.error("The classroom database could not be opened: %s", exc)
