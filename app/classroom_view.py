"""The Classroom page: join or start a room, the room's exercises, and the instructor's controls."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from app import composer, learner_work, room_session
from app.navigation import HIDEABLE
from app.text import as_text
from classroom.exercises import EXERCISES, progress
from classroom.recipe import LABELS
from classroom.storage import MAX_DISPLAY_NAME, MAX_ROOM_NAME, NotInstructor

NOTICE_KEY = "classroom_view_notice"
LOCK_KEY, HIDE_KEY, EXERCISE_KEY = "classroom_locks", "classroom_hidden", "classroom_exercise"
NO_EXERCISE = "none"
UNREACHABLE = ("The classroom database is not reachable right now; try again in a moment (your own work "
               "goes on without it).")


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


# ---------------------------------------------------------------- callbacks


def join() -> None:
    try:
        problem = room_session.join(st.session_state.get("classroom_join_code", ""),
                                    st.session_state.get("classroom_join_name", ""))
    except sa.exc.SQLAlchemyError:
        problem = UNREACHABLE
    if problem:
        _notice("error", problem)
    else:
        st.session_state.pop(learner_work.INVITED_KEY, None)
        _notice("success", "You are in. Every model you train now appears on the Class board.")


def create() -> None:
    try:
        room = room_session.create_room(st.session_state.get("classroom_room_name", ""))
    except ValueError as exc:
        _notice("error", f"Could not start the room: {exc}.")
        return
    except sa.exc.SQLAlchemyError:
        _notice("error", UNREACHABLE)
        return
    _notice("success", f"Room {room.code} is open. Share the learner link below; keep the instructor link "
                       "to yourself.")


def leave() -> None:
    room_session.leave()
    _notice("info", "You left the room. Your model and settings stay with you.")


def apply_room_changes() -> None:
    """The instructor's form: locks (to the instructor's composer values), hidden pages, exercise."""
    state = st.session_state
    try:
        settings = composer.current_settings().to_query()
    except ValueError as exc:
        _notice("error", f"Your composer can't be locked as it is: {exc}.")
        return
    exercise = state.get(EXERCISE_KEY, NO_EXERCISE)
    try:
        room_session.update_room(locks={name: settings[name] for name in state.get(LOCK_KEY, [])},
                                 hidden_pages=tuple(state.get(HIDE_KEY, [])),
                                 exercise=None if exercise == NO_EXERCISE else exercise)
    except NotInstructor:
        _notice("error", "Only the room's instructor link can change the room. Nothing was changed.")
        return
    _notice("success", "The room is updated; learners see the change within a few seconds.")


# ---------------------------------------------------------------- drawing


def show_notice() -> None:
    if NOTICE_KEY in st.session_state:
        kind, text = st.session_state[NOTICE_KEY]
        getattr(st, kind)(text)


def join_or_start() -> None:
    """Two forms side by side: a learner joins, an instructor starts a room."""
    join_column, start_column = st.columns(2, gap="large")
    with join_column.form("classroom_join"):
        st.subheader("Join a room")
        st.text_input("Room code", key="classroom_join_code", max_chars=12,
                      value=st.session_state.get(learner_work.INVITED_KEY, ""), placeholder="e.g. K7QM2X")
        st.text_input("Your display name (everyone in the room sees it)", key="classroom_join_name",
                      max_chars=MAX_DISPLAY_NAME, placeholder="a first name or a nickname")
        st.form_submit_button("Join", type="primary", on_click=join)
    with start_column.form("classroom_start"):
        st.subheader("Start a room (instructor)")
        st.text_input("Room name", key="classroom_room_name", max_chars=MAX_ROOM_NAME,
                      placeholder="e.g. Tuesday workshop")
        st.caption("You get a learner link to share and an instructor link that lets you lock settings, "
                   "hide pages and set exercises.")
        st.form_submit_button("Start a room", on_click=create)


def room_header() -> None:
    membership, room = room_session.membership(), room_session.room()
    role = "the instructor" if room_session.is_instructor() else f"**{as_text(membership.name)}**"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"Room **{as_text(room.name)}** · code **{room.code}** · you are {role}")
        st.button("Leave the room", key="classroom_leave", on_click=leave, icon=":material/logout:")
    if room.locks and not room_session.is_instructor():
        locked = ", ".join(f"{LABELS[name]} = {value or 'pool size'}" for name, value in room.locks.items())
        st.caption(f"Locked by your instructor: {as_text(locked)}.")


def exercises() -> None:
    """The room's current exercise first, then this learner's progress on every exercise."""
    shot, membership = room_session.snapshot(), room_session.membership()
    runs, submissions = shot.runs_of(membership.learner), shot.submissions_of(membership.learner)
    current = shot.room.exercise
    if current in EXERCISES:
        exercise, result = EXERCISES[current], progress(current, runs, submissions)
        with st.container(border=True):
            st.markdown(f"#### Current exercise: {exercise.title}")
            st.markdown(exercise.task)
            with st.expander("Hint"):
                st.markdown(exercise.hint)
            (st.success if result.done else st.info)(("Done: " if result.done else "Not yet: ") + result.detail)
    elif not room_session.is_instructor():
        st.info("Your instructor has not set an exercise yet. Train freely: every model you train is on "
                "the Class board.")
    if room_session.is_instructor():
        return
    st.markdown("**All exercises** (checked against the runs you recorded in this room)")
    rows = [{"Exercise": e.title, "Done": progress(e.id, runs, submissions).done,
             "Your result": progress(e.id, runs, submissions).detail} for e in EXERCISES.values()]
    st.dataframe(rows, hide_index=True, key="classroom_progress")


def instructor_panel() -> None:
    room = room_session.room()
    st.subheader("Links")
    learner, instructor = st.columns(2)
    learner.markdown("**Learner link**: share it (or just the code).")
    learner.code(learner_work.learner_url(), language=None, wrap_lines=True)
    instructor.markdown("**Your instructor link**: keep it private; it can change the room.")
    instructor.code(learner_work.instructor_url(), language=None, wrap_lines=True)

    st.subheader("Room settings")
    with st.form("classroom_instructor"):
        try:
            mine = composer.current_settings().to_query()
        except ValueError:
            mine = {}
        st.multiselect("Lock these settings for learners, to the values in your composer (set them on "
                       "the Train page first)", list(LABELS), default=list(room.locks), key=LOCK_KEY,
                       format_func=lambda name: f"{LABELS[name]} = {mine.get(name) or 'pool size'}")
        st.multiselect("Hide these pages from learners", [page.path for page in HIDEABLE],
                       default=list(room.hidden_pages), key=HIDE_KEY,
                       format_func={page.path: page.title for page in HIDEABLE}.get)
        options = [NO_EXERCISE, *EXERCISES]
        st.selectbox("Current exercise", options, key=EXERCISE_KEY,
                     index=options.index(room.exercise) if room.exercise in EXERCISES else 0,
                     format_func=lambda e: "No exercise" if e == NO_EXERCISE else EXERCISES[e].title)
        st.form_submit_button("Apply to the room", type="primary", on_click=apply_room_changes)
    if room.locks:
        st.caption("Locked now: " + as_text(", ".join(f"{LABELS[n]} = {v or 'pool size'}"
                                                       for n, v in room.locks.items())))
