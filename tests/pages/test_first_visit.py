"""A newcomer's first contact: the shared data and default model (built once, read-only), what a
page says while they are prepared, and the one page shown when the data can't be had."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import requests

import app.models
import app.state
from app.shared import Preparation, freeze
from app.state import default_model, load_split

OFFLINE = ("HTTPSConnectionPool(host='timeseriesclassification.com', port=443): Max retries exceeded with url: "
           "/aeon-toolkit/ECG5000.zip (Caused by NameResolutionError)")


class Offline:
    """A build whose download fails the way it does on a machine without internet; counts tries."""

    def __init__(self):
        self.tries = 0

    def __call__(self, report):
        self.tries += 1
        report("Downloading ECG5000 from the UCR archive: 0.0 MB", None)
        raise requests.exceptions.ConnectionError(OFFLINE)


@pytest.fixture
def offline(monkeypatch):
    build = Offline()
    monkeypatch.setattr(app.state, "PREPARATION", Preparation(build))
    return build


@pytest.mark.parametrize("page", ["pages/introduction.py", "pages/train.py", "pages/thresholds.py",
                                  "pages/draw.py"])
def test_without_data_every_page_says_how_to_provide_it_and_does_not_retry_by_itself(open_page, offline, page):
    at = open_page(page)
    assert [t.value for t in at.title] == ["The heartbeat data is missing"]
    assert "downloading it from the UCR archive failed" in at.error[0].value
    how = at.markdown[0].value
    for instruction in ("ECG5000_TRAIN.txt", "ECG5000_TEST.txt", "ECG5000_DIR=/that/folder scripts/run",
                        "data/ecg5000", "Try again"):
        assert instruction in how
    shown = " ".join(e.value for e in (*at.error, *at.markdown))
    assert "HTTPSConnectionPool" not in shown  # the raw error only inside "What exactly went wrong"
    assert OFFLINE in at.expander[0].text[0].value

    at.run()
    at.run()
    assert offline.tries == 1, "a rerun must not repeat the download"
    at.button(key="dataset_retry").click().run()
    assert offline.tries == 2
    assert [t.value for t in at.title] == ["The heartbeat data is missing"]


def test_retry_after_the_data_was_put_in_place_opens_the_app(open_page, monkeypatch):
    ready = app.shared.PREPARATION.get()
    builds = iter([Offline(), lambda report: ready])
    monkeypatch.setattr(app.state, "PREPARATION", Preparation(lambda report: next(builds)(report)))
    at = open_page("pages/draw.py")
    at.button(key="dataset_retry").click().run()
    assert [t.value for t in at.title] == ["Draw a heartbeat"]
    assert not at.exception


def test_a_page_arriving_early_says_what_is_being_prepared(open_page, monkeypatch):
    """The progress text tells the stage (download, epoch of the default model), not a guess."""
    import threading

    release, seen, ready = threading.Event(), [], app.shared.PREPARATION.get()

    def slow(report):
        report("Training the default model, the one every page starts with: epoch 40 of 100", 0.4)
        release.wait(30)
        return ready

    preparation = Preparation(slow)
    monkeypatch.setattr(app.state, "PREPARATION", preparation)
    monkeypatch.setattr(app.state, "PROGRESS_SECONDS", 0.05)
    original = preparation.wait

    def wait(timeout=None):
        seen.append((preparation.stage, preparation.fraction))
        if len(seen) > 3:
            release.set()
        return original(timeout)

    monkeypatch.setattr(preparation, "wait", wait)
    at = open_page("pages/thresholds.py")
    assert ("Training the default model, the one every page starts with: epoch 40 of 100", 0.4) in seen
    assert [t.value for t in at.title] == ["Thresholds & ROC"]


def test_shared_arrays_are_read_only():
    split, model = load_split(), default_model()
    for array in (split.train.x, split.test.y, split.validation.x, model.evaluation.test_scores,
                  model.evaluation.val_scores, model.replay[0].test_scores):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    assert model.detector.decision_function(split.test.x[:2]).shape == (2,)  # still usable by torch


def test_freeze_reaches_nested_arrays():
    nested = {"a": [np.zeros(2), (np.ones(3),)]}
    freeze(nested)
    assert not nested["a"][0].flags.writeable and not nested["a"][1][0].flags.writeable


def test_model_ids_stay_unique_across_a_reload_of_their_module():
    split = load_split()
    from core.model import AutoencoderSpec
    from core.train import TrainConfig

    before = app.models.train_model(split, AutoencoderSpec((8, 2)), TrainConfig(epochs=1), label="a").id
    importlib.reload(app.models)
    after = app.models.train_model(split, AutoencoderSpec((8, 2)), TrainConfig(epochs=1), label="b").id
    assert before != after != default_model().id
