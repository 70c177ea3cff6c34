"""Shareable links and reload-safe work: settings in the URL, the learner's model saved by token."""

from __future__ import annotations


import pytest
from app_session import open_app, texts
from streamlit.testing.v1 import AppTest

from app import composer
from classroom.recipe import Settings
from pool_runs import press

TRAIN = "pages/train.py"
LINK = Settings(layers=(64, 16, 4), optimizer="rmsprop", learning_rate=0.001, batch_size=64, epochs=7,
                regularizer="l2", regularization_rate=0.001, activation="tanh", train_size=600,
                abnormal_percent=5, seed=7)


def widget_settings(at: AppTest) -> Settings:
    """What the composer's widgets show."""
    units = [n.value for n in at.number_input if n.key.startswith("composer_units_")]
    values = {key[len("composer_"):]: at.session_state[key] for key in composer.CONTROL_DEFAULTS}
    return Settings(layers=tuple(units), **values)


def test_a_link_restores_every_composer_setting_and_the_url_follows_the_controls():
    at = open_app(LINK.to_query())
    assert widget_settings(at) == LINK
    assert at.select_slider(key="composer_learning_rate").value == 0.001
    assert at.number_input(key="composer_units_2").value == 4
    assert {k: at.query_params[k] for k in LINK.to_query()} == LINK.to_query()
    assert len(at.query_params["learner"]) >= 16
    link = next(c.value for c in at.code if "train?" in c.value)
    assert "learner=" not in link and "key=" not in link
    assert "layers=64-16-4" in link and "optimizer=rmsprop" in link and "seed=7" in link
    at.number_input(key="composer_epochs").set_value(12).run()
    assert at.query_params["epochs"] == "12"
    at.switch_page("pages/thresholds.py").run()  # other pages keep the settings in the URL
    assert at.query_params["layers"] == "64-16-4" and at.query_params["epochs"] == "12"


def test_bad_link_values_fall_back_to_defaults_with_a_notice_naming_them():
    at = open_app({"layers": "0-8", "learning_rate": "0.5", "epochs": "lots", "optimizer": "sgd",
                   "abnormal_percent": "95", "seed": "-1"})
    notice = texts(at.warning)
    for named in ("layers '0-8'", "learning rate '0.5'", "epochs 'lots'", "abnormal % '95'", "seed '-1'"):
        assert named in notice
    assert widget_settings(at) == Settings(optimizer="sgd")
    at.button(key="learner_work_dismiss").click().run()
    assert "can't be used" not in texts(at.warning)


def test_a_reload_brings_back_the_learners_model_and_settings():
    at = open_app({**Settings(epochs=5, seed=3, layers=(16, 4)).to_query()})
    press(at, "composer_train")
    trained = at.session_state["model"]
    assert trained.label == "Your model #1"
    url = dict(at.query_params)
    reloaded = open_app(url)  # same URL, new session: what a reload or a lost connection does
    model = reloaded.session_state["model"]
    assert (model.label, model.trained_at) == (trained.label, trained.trained_at)
    assert model.evaluation.test_auc == pytest.approx(trained.evaluation.test_auc)
    assert model.spec.encoder_units == (16, 4)
    assert widget_settings(reloaded) == Settings(epochs=5, seed=3, layers=(16, 4))
    assert any("Your model #1" in c.value and trained.trained_at in c.value for c in reloaded.caption)
    press(reloaded, "composer_train")
    assert reloaded.session_state["model"].label == "Your model #2"
    stranger = open_app({"learner": "someone-elses-token-xyz"})  # an unknown token: the default model
    assert "model" not in stranger.session_state


def test_loading_a_model_file_restores_its_recipe_and_its_training_time():
    at = open_app(Settings(epochs=4, seed=11, activation="elu", abnormal_percent=10).to_query())
    press(at, "composer_train")
    trained = at.session_state["model"]
    data = composer.model_file(trained)
    fresh = open_app()
    fresh.file_uploader(key="composer_upload").set_value(("mine.safetensors", data, "application/octet-stream"))
    fresh.run()
    assert widget_settings(fresh) == Settings(epochs=4, seed=11, activation="elu", abnormal_percent=10)
    assert fresh.session_state["model"].trained_at == trained.trained_at
    assert "recipe is in the controls" in texts(fresh.success)
