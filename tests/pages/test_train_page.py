"""Page 2, the composer: compose, train live, stop, fail gracefully, export and import."""

import json
import re

import pandas as pd
import pyarrow as pa
import pytest
import torch
from safetensors.torch import save
from streamlit.testing.v1 import AppTest

from app import composer
from pool_runs import press, settle
from core.model import MAX_LAYERS, MAX_UNITS, AutoencoderSpec

PAGE = "pages/train.py"


@pytest.fixture
def at(open_page) -> AppTest:
    return open_page(PAGE)


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def badge(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Model in use:"))


def param_text(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Each dense layer"))


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def train(at: AppTest, epochs: int = 10) -> AppTest:
    at.number_input(key="composer_epochs").set_value(epochs).run()
    return press(at, "composer_train")


def button_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key in {"composer_train", "composer_pause", "composer_resume",
                                                   "composer_step", "composer_stop"}}


def model_id(at: AppTest) -> int | None:
    return at.session_state["model"].id if "model" in at.session_state else None


def test_page_shows_the_default_network_its_diagram_and_the_model_in_use(at):
    default = AutoencoderSpec()
    sum_text = f"(140+1)·32 + (32+1)·8 + (8+1)·32 + (32+1)·140 = {default.param_count:,} parameters"
    assert sum_text in param_text(at)
    diagram = charts(at)[0]
    assert diagram["layout"]["title"]["text"].endswith(f"{default.param_count:,} parameters")
    assert diagram["layout"]["xaxis"]["ticktext"] == ["input", "enc 1", "bottleneck", "dec 1", "output"]
    assert [n.value for n in at.number_input if n.key.startswith("composer_units_")] == [32, 8]
    assert "Default model" in badge(at)
    assert len(at.metric) == 7 and not any(m.delta for m in at.metric)
    assert "1,751 normal" in texts(at.info)


def test_adding_removing_and_resizing_layers_changes_the_parameter_count(at):
    at.button(key="composer_add_layer").click().run()
    assert f"= {AutoencoderSpec((32, 8, 4)).param_count:,} parameters" in param_text(at)
    diagram_title = charts(at)[0]["layout"]["title"]["text"]
    assert diagram_title.startswith("140 → 32 → 8 → 4 → 8 → 32 → 140 ·")
    at.number_input(key="composer_units_0").set_value(64).run()
    assert f"= {AutoencoderSpec((64, 8, 4)).param_count:,} parameters" in param_text(at)
    at.button(key="composer_remove_layer").click().run()
    at.button(key="composer_remove_layer").click().run()
    assert f"= {AutoencoderSpec((64,)).param_count:,} parameters" in param_text(at)
    assert at.button(key="composer_remove_layer").disabled
    at.button(key="composer_reset_layers").click().run()
    assert f"= {AutoencoderSpec().param_count:,} parameters" in param_text(at)


def test_layer_limits_are_enforced_by_the_widgets(at):
    for _ in range(MAX_LAYERS - len(AutoencoderSpec().encoder_units)):
        at.button(key="composer_add_layer").click().run()
    assert len(at.session_state["composer_layers"]) == MAX_LAYERS
    assert at.button(key="composer_add_layer").disabled
    units = at.number_input(key="composer_units_0")
    assert (units.min, units.max) == (1, MAX_UNITS)


def test_two_layer_lists_train_two_models_that_become_the_session_model(at):
    train(at)
    first = at.session_state["model"]
    assert "Your model #1" in badge(at) and f"{first.spec.param_count:,} parameters" in badge(at)
    at.button(key="composer_add_layer").click().run()
    train(at)
    second = at.session_state["model"]
    assert second.spec.encoder_units == (32, 8, 4)
    assert second.spec.param_count != first.spec.param_count
    assert "Your model #2" in badge(at) and f"{second.spec.param_count:,} parameters" in badge(at)
    assert second.result.status == "completed" and second.result.epochs_run == 10
    assert all(m.delta for m in at.metric)
    assert "Your model #2" in texts(at.success)


def test_a_training_that_ends_within_its_click_shows_its_model_in_the_badge_at_once(at):
    """A one-epoch run on 20 beats often ends while the click's own script run draws the page: the
    notice naming the new model must never sit under a badge that still names the previous one."""
    at.number_input(key="composer_train_size").set_value(20)
    at.number_input(key="composer_epochs").set_value(1).run()
    for number in range(1, 7):
        at.button(key="composer_train").click().run()
        if f"Your model #{number}" in texts(at.success):
            assert f"Your model #{number}" in badge(at)
            assert "trained 1 epoch in" in texts(at.success)
        settle(at)
        assert f"Your model #{number}" in badge(at)


def live_charts(at: AppTest) -> dict[str, pd.DataFrame]:
    """Section 3's Vega-Lite charts: title -> the rows they draw."""
    return {json.loads(chart.proto.spec)["title"]["text"]: pa.ipc.open_stream(chart.proto.data.data).read_pandas()
            for chart in at.get("vega_lite_chart")}


def test_the_live_charts_show_the_model_in_use_and_then_the_trained_one(at):
    charts = live_charts(at)
    assert list(charts) == ["Loss per epoch", "Validation errors", "Validation ROC"]
    default_epochs = int(re.search(r"Default model\*\*, on the validation set after (\d+) epochs", texts(at.caption))[1])
    assert len(charts["Loss per epoch"]) == 2 * default_epochs
    train(at, epochs=7)
    charts = live_charts(at)
    assert sorted(charts["Loss per epoch"]["epoch"].unique()) == list(range(1, 8))
    errors = charts["Validation errors"]
    assert errors.loc[errors["kind"] == "bar", "beats"].sum() == len(at.session_state["model"].evaluation.val_scores)
    threshold = at.session_state["model"].threshold
    assert f"threshold {threshold:.3f}" in set(errors["series"])
    assert any(label.startswith("ROC (AUC ") for label in charts["Validation ROC"]["series"])
    assert "on the validation set after 7 epochs" in texts(at.caption)


def test_a_diverging_run_shows_its_message_and_keeps_the_previous_model(at):
    train(at, epochs=5)
    before = model_id(at)
    at.selectbox(key="composer_optimizer").set_value("adam")
    at.select_slider(key="composer_learning_rate").set_value(10.0).run()
    train(at, epochs=20)
    assert "diverged" in texts(at.error) and "did not change" in texts(at.error)
    assert "made no new model" in texts(at.error) and "kept" not in texts(at.error)  # one story, not two
    assert model_id(at) == before and "Your model #1" in badge(at)


def test_an_impossible_composition_is_a_friendly_error(at):
    at.slider(key="composer_abnormal_percent").set_value(70)
    at.number_input(key="composer_train_size").set_value(3000).run()
    assert not at.exception
    assert "abnormal beats" in texts(at.error) and "This can't be trained" in texts(at.error)
    assert at.button(key="composer_train").disabled and at.button(key="composer_step").disabled


def test_a_training_over_the_servers_budget_says_what_to_reduce_and_cannot_start(at):
    for _ in range(MAX_LAYERS - 2):
        at.button(key="composer_add_layer").click().run()
    for layer in range(MAX_LAYERS):
        at.number_input(key=composer.unit_key(layer)).set_value(MAX_UNITS)
    at.number_input(key="composer_epochs").set_value(2000).run()
    assert "too big for a shared server" in texts(at.error) and "Use at most 58 epochs" in texts(at.error)
    assert at.button(key="composer_train").disabled and at.button(key="composer_step").disabled
    at.number_input(key="composer_epochs").set_value(58).run()
    assert not at.error and not at.button(key="composer_train").disabled


def test_zero_epochs_cannot_reach_training(at):
    assert at.number_input(key="composer_epochs").min == 1
    at.number_input(key="composer_epochs").set_value(0).run()
    assert not at.exception and at.number_input(key="composer_epochs").value >= 1


def test_the_recipe_guard_turns_a_bad_config_into_an_error():
    def script():
        import streamlit as st

        from app import composer
        from app.state import require_split

        composer.restore_controls()
        st.session_state["composer_epochs"] = 0
        try:
            composer.read_recipe(require_split().train)
        except ValueError as exc:
            st.error(str(exc))

    at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception and "epochs must be" in texts(at.error)


def test_small_and_huge_networks_and_odd_recipes_train(at):
    at.button(key="composer_remove_layer").click().run()
    at.number_input(key="composer_units_0").set_value(1).run()
    train(at, epochs=3)
    assert at.session_state["model"].spec.encoder_units == (1,)

    at.number_input(key="composer_train_size").set_value(50)
    at.slider(key="composer_abnormal_percent").set_value(70)
    at.select_slider(key="composer_batch_size").set_value(4096).run()
    assert "15 normal" in texts(at.info) and "35 abnormal" in texts(at.info)
    assert "single batch" in texts(at.info)
    for _ in range(MAX_LAYERS - 1):
        at.button(key="composer_add_layer").click().run()
    for layer in range(MAX_LAYERS):
        at.number_input(key=composer.unit_key(layer)).set_value(MAX_UNITS).run()
    train(at, epochs=2)
    model = at.session_state["model"]
    assert model.spec.encoder_units == (MAX_UNITS,) * MAX_LAYERS
    assert model.train_size == 50 and model.composition.abnormal_fraction == 0.7
    assert not at.error


@pytest.mark.parametrize("size, share", [(1, "100%"), (2, "50%"), (3, "67%")])
def test_a_tiny_training_set_says_its_true_abnormal_share(at, size, share):
    at.number_input(key="composer_train_size").set_value(size)
    at.slider(key="composer_abnormal_percent").set_value(70).run()
    assert f"{share} abnormal" in texts(at.info)
    assert f"{size} beat{'s' if size > 1 else ''} can't be 70% abnormal" in texts(at.info)
    train(at, epochs=2)
    assert f"on {size} beats ({share} abnormal)" in badge(at)


def test_step_pause_resume_and_stop_keep_a_usable_model(at):
    at.number_input(key="composer_epochs").set_value(30).run()
    press(at, "composer_step")
    press(at, "composer_step")
    assert button_keys(at) == {"composer_resume", "composer_stop", "composer_step", "composer_train"}
    assert "Paused after epoch 2 of 30" in at.get("progress")[0].proto.text
    press(at, "composer_stop")
    stopped = at.session_state["model"]
    assert stopped.result.status == "stopped" and stopped.result.epochs_run == 2
    assert button_keys(at) == {"composer_step", "composer_train"}

    press(at, "composer_step")
    press(at, "composer_resume")
    resumed = at.session_state["model"]
    assert resumed.id != stopped.id and resumed.result.epochs_run == 30
    assert "Your model #2" in badge(at)


def test_composer_settings_survive_a_visit_to_another_page(at):
    at.button(key="composer_add_layer").click().run()
    at.number_input(key="composer_epochs").set_value(30).run()
    at.switch_page("pages/thresholds.py").run()
    at.switch_page(PAGE).run()
    assert at.number_input(key="composer_epochs").value == 30
    assert at.number_input(key=composer.unit_key(2)).value == 4


@pytest.mark.parametrize("content", [b"not a model at all", save({"w": torch.zeros(2)})],
                         ids=["junk", "foreign safetensors"])
def test_a_bad_upload_is_a_friendly_error_and_the_model_stays(at, content):
    train(at, epochs=5)
    before = model_id(at)
    upload = ("model.safetensors", content, "application/octet-stream")
    at.file_uploader(key="composer_upload").set_value(upload)
    at.run()
    assert not at.exception
    assert "Could not load this model" in texts(at.error)
    assert model_id(at) == before and "Your model #1" in badge(at)


def test_a_downloaded_model_loads_back_as_the_session_model(at):
    train(at, epochs=5)
    trained = at.session_state["model"]
    data = composer.model_file(trained)
    at.file_uploader(key="composer_upload").set_value(("mine.safetensors", data, "application/octet-stream"))
    at.run()
    loaded = at.session_state["model"]
    assert loaded.label == "Loaded from mine.safetensors" and "Loaded from mine" in badge(at)
    assert loaded.evaluation.test_auc == pytest.approx(trained.evaluation.test_auc)
    assert loaded.train_size == trained.train_size and loaded.result.epochs_run == 5


@pytest.mark.parametrize("history", [{"epoch": 1}, [1, 2, 3], [{"epoch": 1, "train_loss": "0.1", "val_loss": None}]],
                         ids=["a dict", "a list of ints", "string losses"])
def test_a_model_file_with_a_malformed_history_is_refused_and_the_model_stays(at, history):
    """Issue 9 row 2: such a file used to become the model in use and break the page on every visit."""
    train(at, epochs=5)
    before = model_id(at)
    good = composer.model_file(at.session_state["model"])
    length = int.from_bytes(good[:8], "little")
    header = json.loads(good[8:8 + length])
    header["__metadata__"]["history"] = json.dumps(history)
    text = json.dumps(header).encode()
    crafted = len(text).to_bytes(8, "little") + text + good[8 + length:]
    at.file_uploader(key="composer_upload").set_value(("crafted.safetensors", crafted, "application/octet-stream"))
    at.run()
    assert not at.exception
    assert "Could not load this model: crafted.safetensors is damaged" in texts(at.error)
    assert "history" in texts(at.error) and "The model in use did not change." in texts(at.error)
    assert model_id(at) == before and "Your model #1" in badge(at)
    at.switch_page("pages/draw.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception and at.file_uploader(key="composer_upload")
    assert model_id(at) == before
