"""Rooms, runs, submissions and learners' work on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from classroom.recipe import Settings
from classroom.storage import (CODE_ALPHABET, CODE_LENGTH, MAX_DISPLAY_NAME, ClassroomStore, NotInstructor,
                               RunRecord, Submission, UnknownRoom, clean_display_name, learner_id, rooms,
                               schema_version)


def run(name: str = "Ada", auc: float = 0.9931, **recipe) -> RunRecord:
    settings = Settings(**recipe)
    return RunRecord(name, settings.to_query(), settings.param_count, auc, 0.97, 0.965, 0.985, 1.25,
                     learner_id(name))


def test_a_new_room_has_a_readable_code_and_a_secret_stored_only_hashed(store):
    room, secret = store.create_room("  Tuesday workshop  ")
    assert len(room.code) == CODE_LENGTH and set(room.code) <= set(CODE_ALPHABET)
    assert room.name == "Tuesday workshop" and len(secret) >= 40
    with store.engine.connect() as db:
        stored = db.execute(sa.select(rooms)).one()
    assert secret not in " ".join(map(str, stored)) and len(stored.secret_hash) == 64
    assert store.is_instructor(room.code, secret)
    assert store.is_instructor(room.code.lower(), secret)
    assert not store.is_instructor(room.code, secret[:-1] + "x")
    assert not store.is_instructor(room.code, None) and not store.is_instructor("ZZZZZZ", secret)
    with pytest.raises(ValueError, match="needs a name"):
        store.create_room("   ")


def test_only_the_instructor_secret_changes_a_room(store):
    room, secret = store.create_room("Room")
    other, other_secret = store.create_room("Other room")
    for forged in (None, "", other_secret, secret + "x"):
        with pytest.raises(NotInstructor):
            store.update_room(room.code, forged, locks={"learning_rate": "0.001"}, hidden_pages=("draw",),
                              exercise="depth")
    assert store.room(room.code) == room  # nothing changed
    changed = store.update_room(room.code, secret, locks={"learning_rate": 0.001, "layers": (16, 4)},
                                hidden_pages=("draw", "draw", "thresholds"), exercise="depth")
    assert changed.locks == {"learning_rate": "0.001", "layers": "16-4"}
    assert changed.hidden_pages == ("draw", "thresholds") and changed.exercise == "depth"
    assert store.update_room(room.code, secret, exercise=None).exercise is None
    assert store.update_room(room.code, secret).locks == changed.locks  # nothing given, nothing changed


def test_runs_come_back_with_their_numbers_and_survive_a_restart(store, db_url):
    room, _ = store.create_room("Room")
    store.record_run(room.code, run("Ada", 0.9931, layers=(16, 4), abnormal_percent=5, seed=3))
    store.record_run(room.code, run("Grace", 0.8123, optimizer="sgd"))
    with pytest.raises(UnknownRoom):
        store.record_run("NOROOM", run())
    store.close()
    restarted = ClassroomStore(db_url)  # a new process would open it the same way
    try:
        ada, grace = restarted.runs(room.code)
        assert (ada.display_name, ada.test_auc, ada.param_count) == ("Ada", 0.9931, Settings(layers=(16, 4)).param_count)
        assert ada.settings == Settings(layers=(16, 4), abnormal_percent=5, seed=3)
        assert (ada.f1, ada.precision, ada.recall, ada.train_seconds) == (0.97, 0.965, 0.985, 1.25)
        assert grace.settings.optimizer == "sgd" and grace.learner_id == learner_id("Grace")
        assert ada.created_at is not None
        assert restarted.runs("OTHER") == []
    finally:
        restarted.close()


def test_thirty_sessions_writing_at_once_lose_nothing(store):
    room, _ = store.create_room("Busy room")
    errors = []

    def learner(n: int) -> None:
        try:
            for k in range(4):
                store.record_run(room.code, run(f"learner {n}", 0.9 + k / 100, seed=k))
            store.submit(room.code, Submission(f"learner {n}", "fool", {"n": n}, learner_id(str(n))))
            store.save_learner(f"token-{n}", display_name=f"learner {n}", room_code=room.code)
        except Exception as exc:  # collected: an exception in a thread would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    recorded = store.runs(room.code)
    assert len(recorded) == 120
    assert {(r.display_name, r.settings.seed) for r in recorded} == {(f"learner {n}", k) for n in range(30) for k in range(4)}
    assert sorted(s.payload["n"] for s in store.submissions(room.code)) == list(range(30))
    assert all(store.learner(f"token-{n}").display_name == f"learner {n}" for n in range(30))


def test_a_learner_keeps_their_name_room_recipe_and_model_bytes(store):
    assert store.learner("new-token") is None
    store.save_learner("tok", display_name="Ada", room_code="ABCDEF")
    store.save_learner("tok", recipe=Settings(epochs=7).to_query(), model_label="Your model #1",
                       model_file=b"\x00\x01safetensors")
    work = store.learner("tok")
    assert (work.display_name, work.room_code, work.model_label) == ("Ada", "ABCDEF", "Your model #1")
    assert Settings.from_query(work.recipe)[0].epochs == 7 and work.model_file == b"\x00\x01safetensors"
    assert store.learner("other-token") is None


def test_nicknames_are_kept_as_text_limited_and_without_control_characters(store):
    room, _ = store.create_room("Room")
    nasty = "<script>alert(1)</script>"
    store.record_run(room.code, run(nasty))
    assert store.runs(room.code)[0].display_name == nasty[:MAX_DISPLAY_NAME]
    assert clean_display_name("  Ada\n\x1b[31m Lovelace  ") == "Ada[31m Lovelace"
    with pytest.raises(ValueError, match="visible character"):
        clean_display_name(" \n\t")


def test_a_database_from_a_newer_app_is_refused(store, db_url):
    with store.engine.begin() as db:
        db.execute(schema_version.insert().values(version=99))
    with pytest.raises(RuntimeError, match="schema version 99"):
        ClassroomStore(db_url)
