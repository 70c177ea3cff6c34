"""Rooms through the pages: an instructor starts a room and sets it up, learners join, train, see
the board, load each other's recipes; forged links and learner sessions change nothing."""

from __future__ import annotations

import re

import pytest
from app_session import open_app, texts
from streamlit.testing.v1 import AppTest

from app import room_session
from classroom.exercises import EXERCISES
from classroom.storage import NotInstructor
from pool_runs import press

CLASSROOM, TRAIN, BOARD = "pages/classroom.py", "pages/train.py", "pages/board.py"


def start_room(name: str = "Tuesday workshop") -> tuple[AppTest, str, str]:
    """(instructor session, room code, instructor secret) through the Classroom page's form."""
    at = open_app(page=CLASSROOM)
    at.text_input(key="classroom_room_name").input(name)
    at.button(key="FormSubmitter:classroom_start-Start a room").click().run()
    membership = at.session_state[room_session.STATE_KEY]
    assert membership.secret and "is open" in texts(at.success)
    return at, membership.room, membership.secret


def join(code: str, name: str) -> AppTest:
    at = open_app({"room": code}, CLASSROOM)
    assert at.text_input(key="classroom_join_code").value == code  # the learner link fills the code in
    at.text_input(key="classroom_join_name").input(name)
    at.button(key="FormSubmitter:classroom_join-Join").click().run()
    assert "You are in" in texts(at.success), texts(at.error)
    return at


def train(at: AppTest, **settings) -> None:
    at.switch_page(TRAIN).run()
    for key, value in settings.items():
        at.session_state[f"composer_{key}"] = value
    at.run()
    press(at, "composer_train")
    assert not at.exception, at.exception


def instructor_applies(at: AppTest, locks=(), hidden=(), exercise="none") -> None:
    at.switch_page(CLASSROOM).run()
    at.multiselect(key="classroom_locks").set_value(list(locks))
    at.multiselect(key="classroom_hidden").set_value(list(hidden))
    at.selectbox(key="classroom_exercise").set_value(exercise)
    at.button(key="FormSubmitter:classroom_instructor-Apply to the room").click().run()
    assert "room is updated" in texts(at.success), texts(at.error)


def test_an_instructor_room_with_locks_hidden_pages_and_an_exercise():
    teacher, code, secret = start_room()
    assert any(code in c.value and "key=" not in c.value for c in teacher.code)  # the learner link
    assert any(secret in c.value for c in teacher.code)  # the instructor's own link
    train(teacher, epochs=5, learning_rate=0.001)  # the values the instructor will lock
    instructor_applies(teacher, locks=("learning_rate", "epochs"), hidden=("draw",), exercise="depth")
    assert set(room_session.store().room(code).locks) == {"learning_rate", "epochs"}

    ada = join(code, "Ada")
    assert secret not in str(dict(ada.query_params)) and all(secret not in c.value for c in ada.code)
    assert EXERCISES["depth"].task in texts(ada.markdown)
    ada.switch_page(TRAIN).run()
    lr, epochs = ada.select_slider(key="composer_learning_rate"), ada.number_input(key="composer_epochs")
    assert (lr.value, lr.disabled, epochs.value, epochs.disabled) == (0.001, True, 5, True)
    assert not ada.selectbox(key="composer_optimizer").disabled
    ada.session_state["composer_learning_rate"] = 1.0  # a replayed widget message: enforced anyway
    ada.run()
    press(ada, "composer_train")
    assert ada.session_state["model"].config.learning_rate == 0.001
    with pytest.raises(ValueError):
        ada.switch_page("pages/draw.py")  # hidden from learners: not a page of her navigation
    recorded = room_session.store().runs(code)
    assert [r.display_name for r in recorded] == ["Instructor", "Ada"]
    assert recorded[1].settings.learning_rate == 0.001 and recorded[1].settings.epochs == 5
    assert recorded[1].test_auc == pytest.approx(ada.session_state["model"].evaluation.test_auc)


def test_a_forged_or_learner_change_is_refused_and_changes_nothing():
    _, code, secret = start_room("Locked room")
    before = room_session.store().room(code)
    forger = open_app({"room": code, "key": secret[:-2] + "xx", "learning_rate": "1"}, CLASSROOM)
    assert "not valid for room" in texts(forger.warning) and "nothing was changed" in texts(forger.warning)
    assert forger.session_state[room_session.STATE_KEY].secret is None
    assert "key" not in forger.query_params
    learner = join(code, "Mallory")
    assert not learner.multiselect  # no instructor controls in a learner's session
    with pytest.raises(NotInstructor):
        room_session.store().update_room(code, None, locks={"epochs": "1"})
    replayed = AppTest.from_function(_replay_instructor_form, args=(code,), default_timeout=60).run()
    assert "Only the room's instructor link can change the room" in texts(replayed.error)
    assert room_session.store().room(code) == before


def _replay_instructor_form(code: str) -> None:
    """A learner's session sends the instructor form's values and its submit (a replayed request)."""
    import streamlit as st

    from app import classroom_view, room_session

    room_session.start("a-learner-token-0123456789")
    room_session.join(code, "Mallory")
    st.session_state.update(classroom_locks=["epochs"], classroom_hidden=["train"], classroom_exercise="fool")
    classroom_view.apply_room_changes()
    classroom_view.show_notice()


def test_the_board_shows_every_run_with_its_numbers_and_names_as_text():
    _, code, _ = start_room("Board room")
    nasty = "<img src=x onerror=1>"  # 21 characters: within the name limit
    mallory, grace = join(code, nasty), join(code, "Grace")
    train(mallory, epochs=4, abnormal_percent=5, seed=2)
    train(grace, epochs=3, optimizer="rmsprop")
    grace.switch_page(BOARD).run()
    table = grace.dataframe[0].value
    assert sorted(table["Learner"]) == sorted([nasty, "Grace"])
    row = table[table["Learner"] == nasty].iloc[0]
    model = mallory.session_state["model"]
    assert row["Test AUC"] == pytest.approx(model.evaluation.test_auc)
    assert row["F1"] == pytest.approx(model.evaluation.test_metrics["f1"])
    assert (row["Abnormal %"], row["Seed"], row["Epochs"]) == (5, 2, 4)
    assert not re.search(r"(?<!\\)<img", texts(grace.markdown))  # names reach markdown only escaped
    charts = grace.get("plotly_chart")
    assert len(charts) == 3 and "&lt;img" in charts[0].proto.spec and "<img" not in charts[0].proto.spec
    completion = grace.dataframe[1].value
    assert set(completion["Learner"]) == {nasty, "Grace"} and list(completion["Runs"]) == [1, 1]

    assert grace.dataframe[0].proto.selection_mode  # a row click loads its recipe (see the browser journey)


def test_exercises_check_the_learners_own_runs_and_attempts():
    teacher, code, _ = start_room("Exercise room")
    instructor_applies(teacher, exercise="threshold")
    ada = join(code, "Ada")
    assert "Not yet: no threshold submitted yet" in texts(ada.info)
    ada.switch_page("pages/thresholds.py").run()
    ada.button(key="exercise_threshold_submit").click().run()
    assert "Submitted threshold" in texts(ada.success)
    attempt = room_session.store().submissions(code)[0].payload
    assert set(attempt) == {"threshold", "precision", "recall"}
    ada.switch_page(CLASSROOM).run()
    table = ada.dataframe[0].value
    assert list(table["Exercise"]) == [e.title for e in EXERCISES.values()]
    assert not table["Done"].any()  # the best-F1 threshold has precision < 98 %
    assert f"precision {attempt['precision']:.3f}" in texts(ada.info)


def test_a_drawn_beat_the_model_judges_against_the_learners_intent_completes_fool_the_model():
    _, code, _ = start_room("Drawing room")
    ada = join(code, "Ada")
    ada.switch_page("pages/draw.py").run()
    ada.button(key="draw_preset_normal").click().run()  # judged normal
    ada.radio(key="exercise_fool_intended").set_value("normal")
    ada.button(key="exercise_fool_submit").click().run()
    assert "The model agreed with you" in texts(ada.success)
    ada.button(key="draw_preset_r_on_t").click().run()  # judged abnormal: say it was meant as normal
    ada.radio(key="exercise_fool_intended").set_value("normal")
    ada.button(key="exercise_fool_submit").click().run()
    assert "You fooled the model!" in texts(ada.success)
    verdicts = [(s.payload["intended"], s.payload["verdict"]) for s in room_session.store().submissions(code)]
    assert verdicts == [("normal", "normal"), ("normal", "abnormal")]
    ada.switch_page(CLASSROOM).run()
    table = ada.dataframe[0].value
    assert table.set_index("Exercise").loc[EXERCISES["fool"].title, "Done"]
