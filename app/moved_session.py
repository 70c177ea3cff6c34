"""When the server a learner works on stops, their open page moves to a live one by itself and
says so.

Behind a load balancer (deploy/haproxy.cfg, docs/deploy.md) a replica that stops drops its
learners' WebSockets. Streamlit's frontend reconnects by itself; the balancer sends it to a live
replica, which doesn't have the old session and starts a fresh one. ``follow()``, called on every
script run by streamlit_app.py, makes that move visible:

- **The page redraws on the new session.** After a reconnect Streamlit's frontend reruns the
  script only when a run was cut off or the page has an auto-rerun fragment (App.tsx,
  ``handleConnectionStateChanged``); otherwise the old page stays drawn, attached to a session
  that has never run, until the learner clicks something. So every page holds one empty fragment
  with a long ``run_every``. That is public API: a custom component could not do it, as the
  frontend tells components nothing about its connection.
- **The learner is told, once.** A reconnecting frontend names the session it had (the third
  entry of the WebSocket's ``Sec-WebSocket-Protocol`` header, which ``st.context.headers``
  shows), and a server that still has that session resumes it. So a new session whose first run
  sees such a name replaces one this server never had or has lost: its replica stopped, the server
  restarted, or the tab was offline longer than the server keeps sessions. This needs nothing
  from the balancer (HAProxy, an nginx Ingress or none). The balancer's own cookie can't tell:
  the frontend's health check before the reconnect already got the live replica's cookie.
  The notice says whether the learner's latest model came back from their saved work
  (``learner_work``, a database the replicas share) or is gone.
"""

from __future__ import annotations

import streamlit as st

from app.state import MODEL_KEY
from app.text import as_text

CHECKED_KEY = "moved_session_checked"
NOTICE_KEY = "moved_session_notice"
PROTOCOL_HEADER = "Sec-WebSocket-Protocol"
RERUN_EVERY = "15m"  # any interval makes the frontend rerun on a reconnect; a long one costs nothing

MOVED = "The server you were working on stopped (or this page was offline too long), so you were moved to a " \
        "fresh session on a live server."
GONE = "Models you trained there are gone; the default model is in use. Press **Train** to train again."
RESTORED = "Your latest model, **{label}**, and your settings came back; anything else from there (earlier " \
           "models, a training that was still running) is gone."


def follow() -> None:
    """Every run, after ``learner_work.start()``: keep the page rerunning on a reconnect; on a
    session's first run, decide whether it replaces a lost one; show the notice until dismissed,
    or until the learner has another model (then it no longer says what is in use)."""
    _rerun_on_reconnect()
    state = st.session_state
    if not state.get(CHECKED_KEY):
        state[CHECKED_KEY] = True
        if replaces_lost_session(st.context.headers.get(PROTOCOL_HEADER)):
            state[NOTICE_KEY] = (notice(state.get(MODEL_KEY)), _model_id())
    if NOTICE_KEY in state and state[NOTICE_KEY][1] != _model_id():
        del state[NOTICE_KEY]
    if NOTICE_KEY in state:
        with st.container(horizontal=True, wrap=False, vertical_alignment="center"):
            st.info(state[NOTICE_KEY][0], icon=":material/swap_horiz:")
            st.button("Dismiss", key="moved_session_dismiss", on_click=state.pop, args=(NOTICE_KEY,))


def replaces_lost_session(protocols: str | None) -> bool:
    """Whether a new session's WebSocket handshake (``streamlit, <token>[, <earlier session id>]``)
    named an earlier session: only a frontend that had one, reconnecting, sends a third entry."""
    entries = [entry.strip() for entry in (protocols or "").split(",")]
    return len(entries) >= 3 and entries[0] == "streamlit" and bool(entries[2])


def notice(restored_model) -> str:
    """What a moved learner reads: whether their latest model came back (``restored_model``, the
    model ``learner_work`` restored from their saved work, or None)."""
    if restored_model is None:
        return f"{MOVED} {GONE}"
    return f"{MOVED} {RESTORED.format(label=as_text(restored_model.label))}"


def _model_id() -> str | None:
    model = st.session_state.get(MODEL_KEY)
    return None if model is None else model.id


@st.fragment(run_every=RERUN_EVERY)
def _rerun_on_reconnect() -> None:
    """Draws nothing: being an auto-rerun fragment on the page is its whole job (module docstring)."""
