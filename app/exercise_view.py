"""The exercise attempts learners make outside the Train page: a threshold chosen on the
Thresholds page, a drawn beat on the Draw page. Shown only to a learner in a room; each attempt
is recorded for the room's exercises (see classroom.exercises)."""

from __future__ import annotations

import streamlit as st

from app import room_session
from classroom.exercises import EXERCISES, TARGET_PRECISION, TARGET_RECALL

NOTICE_KEY = "exercise_notice"
INTENDED_KEY = "exercise_fool_intended"


def _submit(exercise: str, payload: dict, done: str) -> None:
    if room_session.submit(exercise, payload):
        st.session_state[NOTICE_KEY] = (exercise, done)


def _notice(exercise: str) -> None:
    shown = st.session_state.get(NOTICE_KEY)
    if shown and shown[0] == exercise:
        st.success(shown[1])
        del st.session_state[NOTICE_KEY]


def in_a_room() -> bool:
    membership = room_session.membership()
    return membership is not None and membership.room is not None and not room_session.is_instructor()


def threshold_attempt(threshold: float, metrics: dict) -> None:
    """A button that records this threshold and its test precision / recall for the exercise."""
    if not in_a_room():
        return
    with st.container(border=True):
        st.markdown(f"**Exercise: {EXERCISES['threshold'].title}.** Find a threshold with test precision "
                    f"≥ {TARGET_PRECISION:.0%} while recall ≥ {TARGET_RECALL:.0%}, then submit it.")
        payload = {"threshold": float(threshold), "precision": float(metrics["precision"]),
                   "recall": float(metrics["recall"])}
        st.button("Submit this threshold", key="exercise_threshold_submit", icon=":material/send:",
                  on_click=_submit, args=("threshold", payload,
                                          f"Submitted threshold {threshold:.4f}: precision "
                                          f"{metrics['precision']:.3f}, recall {metrics['recall']:.3f}."))
        _notice("threshold")


def drawing_attempt(verdict) -> None:
    """Say what you meant to draw; the attempt fools the model when its verdict says otherwise."""
    if not in_a_room():
        return
    with st.container(border=True):
        st.markdown(f"**Exercise: {EXERCISES['fool'].title}.** Did you mean to draw a normal or an abnormal "
                    "beat? If the model judges it the other way, you fooled it.")
        intended = st.radio("I meant to draw a beat that looks", ["normal", "abnormal"], key=INTENDED_KEY,
                            horizontal=True)
        judged = "abnormal" if verdict.abnormal else "normal"
        payload = {"intended": intended, "verdict": judged, "score": float(verdict.score),
                   "threshold": float(verdict.threshold)}
        outcome = "You fooled the model!" if intended != judged else "The model agreed with you this time."
        st.button("Submit this drawing", key="exercise_fool_submit", icon=":material/send:", on_click=_submit,
                  args=("fool", payload, f"Submitted: you meant {intended}, the model said {judged}. {outcome}"))
        _notice("fool")
