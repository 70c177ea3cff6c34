"""Recipes as links, the exercises' checks, and the board's shared per-room cache (no UI)."""

from __future__ import annotations

import time

import pytest

from classroom.board import RoomCache
from classroom.exercises import DEFAULT_PARAMS, EXERCISES, TARGET_PRECISION, TARGET_RECALL, progress
from classroom.recipe import Settings
from classroom.storage import ClassroomStore, RunRecord, Submission
from core.data import Composition
from core.model import AutoencoderSpec
from core.train import TrainConfig


def run(auc: float = 0.995, seconds: float = 1.0, **recipe) -> RunRecord:
    s = Settings(**recipe)
    return RunRecord("Ada", s.to_query(), s.param_count, auc, 0.97, 0.96, 0.98, seconds, "ada")


def test_settings_round_trip_through_a_query_string_and_name_every_bad_value():
    odd = Settings(layers=(64, 16, 4), optimizer="sgd", learning_rate=0.1, batch_size=8, epochs=2000,
                   regularizer="l1l2", regularization_rate=1.0, activation="sigmoid", train_size=1,
                   abnormal_percent=70, seed=2 ** 31 - 1)
    assert Settings.from_query(odd.to_query()) == (odd, [])
    assert Settings.from_query({}) == (Settings(), [])
    settings, problems = Settings.from_query({"layers": "8-" * 11 + "8", "batch_size": "100", "epochs": "1e3",
                                              "activation": "<script>", "learning_rate": "nan", "seed": "7"})
    assert settings == Settings(seed=7)
    assert [p.split(" '")[0] for p in problems] == ["layers", "learning rate", "batch size", "epochs", "activation"]
    with pytest.raises(ValueError, match="the epochs must be a whole number from 1 to 2000, got 0"):
        Settings(epochs=0)


def test_a_models_recipe_and_the_instructors_locks():
    spec, config = AutoencoderSpec((16, 4), activation="elu"), TrainConfig(learning_rate=0.001, epochs=30, seed=4)
    settings, problems = Settings.from_model(spec, config, Composition(size=900, abnormal_fraction=0.05, seed=4))
    assert problems == [] and settings == Settings(layers=(16, 4), activation="elu", learning_rate=0.001,
                                                   epochs=30, seed=4, train_size=900, abnormal_percent=5)
    _, problems = Settings.from_model(spec, TrainConfig(learning_rate=0.003), Composition())
    assert problems == ["learning rate '0.003'"]  # the CLI can train what the composer can't set
    locked = Settings(learning_rate=1.0, epochs=500).with_locks({"learning_rate": "0.001", "layers": "8"})
    assert (locked.learning_rate, locked.layers, locked.epochs) == (0.001, (8,), 500)


def test_each_exercise_checks_the_learners_own_records():
    assert not progress("threshold", [], []).done
    near = Submission("Ada", "threshold", {"threshold": 0.2, "precision": TARGET_PRECISION, "recall": 0.9})
    good = Submission("Ada", "threshold", {"threshold": 0.16, "precision": 0.981, "recall": TARGET_RECALL})
    assert not progress("threshold", [], [near]).done
    assert progress("threshold", [], [near, good]).detail.startswith("threshold 0.1600")

    assert not progress("smallest", [run(0.985, layers=(4,))], []).done
    assert not progress("smallest", [run(0.995)], []).done  # the default itself is not smaller
    small = progress("smallest", [run(0.995), run(0.992, layers=(8,)), run(0.993, layers=(16,))], [])
    assert small.done and f"{Settings(layers=(8,)).param_count:,} parameters" in small.detail
    assert Settings(layers=(8,)).param_count < DEFAULT_PARAMS

    assert not progress("contamination", [run(abnormal_percent=5, layers=(16, 4))], []).done
    five = progress("contamination", [run(0.997, seed=1), run(0.848, abnormal_percent=5, seed=2)], [])
    assert five.done and five.detail == "AUC 0.997 at 0 % → 0.848 at 5 % abnormal"

    depth = progress("depth", [run(0.995, 1.0, layers=(8,)), run(0.995, 3.5, layers=(64, 64, 32, 32, 16, 16, 8, 4))], [])
    assert depth.done and "8 layers: AUC 0.995 in 3.5 s" in depth.detail
    assert not progress("depth", [run(layers=(8,))], []).detail.endswith("1 layer")

    agreed = Submission("Ada", "fool", {"intended": "normal", "verdict": "normal", "score": 0.1, "threshold": 0.2})
    fooled = Submission("Ada", "fool", {"intended": "normal", "verdict": "abnormal", "score": 0.4, "threshold": 0.2})
    assert not progress("fool", [], [agreed]).done and progress("fool", [], [agreed, fooled]).done
    assert set(EXERCISES) == {"threshold", "smallest", "contamination", "depth", "fool"}


def test_the_room_cache_reads_the_database_once_per_ttl_for_all_sessions(tmp_path):
    store = ClassroomStore(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    room, _ = store.create_room("Room")
    cache = RoomCache(store, ttl=0.5)
    before = store.queries
    snapshots = [cache.snapshot(room.code) for _ in range(30)]  # 30 sessions refresh
    assert store.queries - before == 3 and all(s is snapshots[0] for s in snapshots)
    store.record_run(room.code, run())
    assert cache.snapshot(room.code).runs == ()  # still within the TTL
    cache.invalidate(room.code)  # this process recorded it: everyone sees it at once
    assert len(cache.snapshot(room.code).runs) == 1
    time.sleep(0.6)
    cache.snapshot(room.code)
    assert store.queries - before == 9
    store.close()
