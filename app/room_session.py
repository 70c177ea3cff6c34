"""The session's place in a classroom: its learner token, its room and display name, and whether
it holds the room's instructor link. Shared by every page (the Classroom and Class board pages,
the composer's locks, the navigation's hidden pages).

The store (database) and the room cache are one per server process, shared by all sessions, and
are not Streamlit caches: no client message can clear them. The instructor secret stays in the
session state once verified and goes with every change to the room; the storage layer checks it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import sqlalchemy as sa
import streamlit as st

from classroom.board import RoomCache, RoomSnapshot
from classroom.recipe import Settings
from classroom.storage import ClassroomStore, Room, RunRecord, Submission, clean_display_name, learner_id

STATE_KEY = "classroom_membership"
NOTICE_KEY = "classroom_notice"
log = logging.getLogger(__name__)


@dataclass
class Membership:
    token: str  # the learner's private token: keys their saved work (kept in the URL)
    room: str | None = None
    name: str | None = None
    secret: str | None = None  # the room's instructor secret, only once verified

    @property
    def learner(self) -> str:
        return learner_id(self.token)


@functools.cache
def store() -> ClassroomStore:
    return ClassroomStore()


@functools.cache
def room_cache() -> RoomCache:
    return RoomCache(store())


def start(token: str) -> Membership:
    return st.session_state.setdefault(STATE_KEY, Membership(token))


def membership() -> Membership | None:
    return st.session_state.get(STATE_KEY)


def snapshot() -> RoomSnapshot | None:
    m = membership()
    return None if m is None or m.room is None else room_cache().snapshot(m.room)


def room() -> Room | None:
    shot = snapshot()
    return None if shot is None else shot.room


def is_instructor() -> bool:
    m = membership()
    return m is not None and m.room is not None and m.secret is not None


def locks() -> dict:
    """The room's locked settings, for learners (the instructor composes freely)."""
    current = room()
    return {} if current is None or is_instructor() else dict(current.locks)


def hidden_pages() -> set[str]:
    current = room()
    return set() if current is None or is_instructor() else set(current.hidden_pages)


# ---------------------------------------------------------------- joining and leaving


def join(code: str, name: str) -> str | None:
    """Join room ``code`` as ``name``; None, or why not (a message for the learner)."""
    m = membership()
    code = str(code).strip().upper()
    try:
        name = clean_display_name(name)
    except ValueError as exc:
        return f"Choose a display name: {exc}."
    if store().room(code) is None:
        return f"There is no room with the code {code!r}: check it with your instructor."
    m.room, m.name, m.secret = code, name, None
    store().save_learner(m.token, display_name=name, room_code=code)
    return None


def claim_instructor(code: str, secret: str) -> bool:
    """Become the instructor of ``code`` if ``secret`` is its instructor secret."""
    m = membership()
    code = str(code).strip().upper()
    if not store().is_instructor(code, secret):
        return False
    m.room, m.secret, m.name = code, secret, m.name or "Instructor"
    return True


def create_room(name: str) -> Room:
    room_, secret = store().create_room(name)
    claim_instructor(room_.code, secret)
    return room_


def leave() -> None:
    m = membership()
    m.room = m.name = m.secret = None
    store().save_learner(m.token, room_code=None)


def update_room(**changes) -> Room:
    """Change the room (locks, hidden_pages, exercise); NotInstructor unless this session holds
    the room's instructor secret."""
    m = membership()
    changed = store().update_room(m.room or "", m.secret, **changes)
    room_cache().invalidate(m.room)
    return changed


# ---------------------------------------------------------------- what the room records


def record_training(model) -> None:
    """Record a finished training (a TrainedModel) in the session's room, if it is in one."""
    m = membership()
    if m is None or m.room is None or not m.name:
        return
    settings, _ = Settings.from_model(model.spec, model.config, model.composition)
    metrics = model.evaluation.test_metrics
    run = RunRecord(m.name, settings.to_query(), model.spec.param_count, model.evaluation.test_auc,
                    metrics["f1"], metrics["precision"], metrics["recall"], model.result.seconds, m.learner)
    _write(lambda: store().record_run(m.room, run), "this run could not be recorded on the class board")


def submit(exercise: str, payload: dict) -> bool:
    """Record an exercise attempt (a chosen threshold, a drawn beat); False if not in a room."""
    m = membership()
    if m is None or m.room is None or not m.name:
        return False
    submission = Submission(m.name, exercise, payload, m.learner)
    return _write(lambda: store().submit(m.room, submission), "your attempt could not be recorded")


def _write(action, failure: str) -> bool:
    try:
        action()
    except sa.exc.SQLAlchemyError as exc:  # the class board is down, the learner's work goes on
        log.warning("classroom write failed: %s", exc)
        st.session_state[NOTICE_KEY] = ("warning", f"The classroom database is not reachable: {failure}.")
        return False
    room_cache().invalidate(membership().room)
    return True

