"""A learner's work across reloads and links: the URL query string and the saved model.

- The URL holds every composer setting (``Settings.to_query()``), the room code, the learner's
  private token (``learner=``) and, for the instructor, the room's secret (``key=``). ``sync()``
  keeps it current at the end of every script run; ``share_url()`` is the same link without the
  private parts, for "Copy link".
- The learner's latest model (safetensors bytes from ``core.persistence``, never pickle) and
  settings are saved under their token in the classroom database, so a reload, a reconnect after
  the session was lost, or the same URL in another tab brings them back (``start()``).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import replace
from urllib.parse import urlencode

import sqlalchemy as sa
import streamlit as st

from app import composer, room_session
from app.navigation import PAGES
from app.state import MODEL_KEY, require_split, set_current_model
from app.text import as_text
from classroom.recipe import LABELS, Settings
from core.persistence import ModelFileError

TOKEN_PARAM, ROOM_PARAM, KEY_PARAM = "learner", "room", "key"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
STARTED_KEY = "learner_work_started"
SAVED_KEY = "learner_work_saved"  # (model id, settings query) last written to the database
INVITED_KEY = "learner_work_invited_room"
NOTICES_KEY = "learner_work_notices"
COUNT_KEY = "composer_model_count"  # live_training numbers the session's models from here
log = logging.getLogger(__name__)


def start() -> None:
    """Once per session, before any page: the token, the room, the saved work, the link's settings."""
    state = st.session_state
    if state.get(STARTED_KEY):
        return
    state[STARTED_KEY] = True
    params = st.query_params.to_dict()
    token = params.get(TOKEN_PARAM, "")
    membership = room_session.start(token if TOKEN_PATTERN.fullmatch(token) else secrets.token_urlsafe(16))
    notices = []
    try:
        work = room_session.store().learner(membership.token)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("classroom database not reachable: %s", exc)
        work, notices = None, ["The classroom database is not reachable: your saved work can't be restored."]
    _join_from_link(params, work, notices)
    if work is not None:
        _restore_work(work, notices)
    link = {name: value for name, value in params.items() if name in LABELS}
    if link:
        settings, problems = Settings.from_query(link)
        if problems:
            notices.append(f"This link's {', '.join(problems)} can't be used; the default is shown instead.")
        composer.apply_settings(settings)
        overridden = [LABELS[name] for name in room_session.locks() if name in link]
        if overridden:
            notices.append(f"Your instructor locked the {', '.join(overridden)} for this room; the link's "
                           "value was not used.")
    state[NOTICES_KEY] = notices
    state[SAVED_KEY] = (_model_id(), _settings_query())


def _join_from_link(params: dict, work, notices: list[str]) -> None:
    code = params.get(ROOM_PARAM, "").strip().upper()[:12]
    if not code:
        if work is not None and work.room_code and work.display_name:
            room_session.join(work.room_code, work.display_name)
        return
    if KEY_PARAM in params:
        if room_session.claim_instructor(code, params[KEY_PARAM]):
            return
        notices.append(f"This instructor link is not valid for room {code}: you are not its instructor "
                       "and nothing was changed. Ask for the learner link, or join with the room code.")
    if work is not None and work.room_code == code and work.display_name:
        room_session.join(code, work.display_name)
    else:
        st.session_state[INVITED_KEY] = code


def _restore_work(work, notices: list[str]) -> None:
    if work.recipe:
        composer.apply_settings(Settings.from_query(work.recipe)[0])
    if not work.model_file:
        return
    try:
        model = composer.load_model_file(work.model_file, "your saved model", require_split())
    except ModelFileError as exc:
        notices.append(f"Your last model could not be restored ({as_text(exc)}); the default model is in use.")
        return
    set_current_model(replace(model, label=work.model_label or model.label))
    number = re.search(r"#(\d+)$", work.model_label or "")
    if number:
        st.session_state[COUNT_KEY] = int(number.group(1))


def _model_id() -> int | None:
    model = st.session_state.get(MODEL_KEY)
    return None if model is None else model.id


def _settings_query() -> dict[str, str] | None:
    try:
        return composer.current_settings().to_query()
    except ValueError:  # mid-edit values a link can't hold: keep the last good ones
        return None


def sync() -> None:
    """At the end of every script run: save a new model or new settings, and update the URL."""
    state = st.session_state
    membership = room_session.membership()
    if membership is None:
        return
    model_id, settings = _model_id(), _settings_query()
    saved_id, saved_settings = state.get(SAVED_KEY, (None, None))
    changes = {}
    if settings is not None and settings != saved_settings:
        changes["recipe"] = settings
    if model_id is not None and model_id != saved_id:
        model = state[MODEL_KEY]
        changes.update(model_label=model.label, model_file=composer.model_file(model))
    if changes:
        try:
            room_session.store().save_learner(membership.token, **changes)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not save the learner's work: %s", exc)
        else:
            state[SAVED_KEY] = (model_id, settings or saved_settings)
    target = {**(settings or saved_settings or {}), **_membership_params(membership)}
    if st.query_params.to_dict() != target:
        st.query_params.from_dict(target)


def _membership_params(membership) -> dict[str, str]:
    params = {TOKEN_PARAM: membership.token}
    if membership.room:
        params[ROOM_PARAM] = membership.room
    if room_session.is_instructor():
        params[KEY_PARAM] = membership.secret
    return params


def share_url(page: str = "train") -> str:
    """A link to ``page`` with the composer's settings (and the room code): no token, no secret."""
    params = dict(_settings_query() or {})
    membership = room_session.membership()
    if membership is not None and membership.room:
        params[ROOM_PARAM] = membership.room
    return f"{_base_url()}/{page}?{urlencode(params)}"


def instructor_url() -> str:
    membership = room_session.membership()
    return f"{_base_url()}/classroom?{urlencode({ROOM_PARAM: membership.room, KEY_PARAM: membership.secret})}"


def learner_url() -> str:
    return f"{_base_url()}/classroom?{urlencode({ROOM_PARAM: room_session.membership().room})}"


def _base_url() -> str:
    """The app's public address as the browser sees it (through any proxy), without the page."""
    url = (st.context.url or "http://localhost:8501").rstrip("/")
    base, _, last = url.rpartition("/")
    return base if last in {page.path for page in PAGES} else url


def show_notices() -> None:
    """What start() found wrong with the link, until the learner dismisses it, and a classroom
    write that failed (once)."""
    if room_session.NOTICE_KEY in st.session_state:
        kind, text = st.session_state.pop(room_session.NOTICE_KEY)
        getattr(st, kind)(text)
    notices = st.session_state.get(NOTICES_KEY)
    if not notices:
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.warning(" ".join(notices), icon=":material/link_off:")
        st.button("Dismiss", key="learner_work_dismiss", on_click=st.session_state.pop, args=(NOTICES_KEY,))

