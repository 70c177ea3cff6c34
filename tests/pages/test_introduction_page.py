import json

import pytest

from app.models import train_model
from app.state import MODEL_KEY, default_model, load_split
from core.data import CLASS_NAMES
from core.model import AutoencoderSpec
from core.train import TrainConfig

INTRO = "pages/introduction.py"


def figure(at, key: str) -> dict:
    return json.loads(at.get_by_key(key).proto.spec)


def card_captions(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("#")]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def intro(open_page):
    return open_page(INTRO)


def test_renders_explainer_gallery_and_replay(intro):
    assert not intro.exception
    assert len(card_captions(intro)) == 12
    for key in ("intro_architecture", "intro_histogram", "gallery_beat_chart", "replay_histogram"):
        assert figure(intro, key)["data"]
    assert "Precision" in intro.table[0].value.index


def test_medical_disclaimer_is_visible(intro):
    assert "not for clinical use" in intro.warning[0].value


def test_accuracy_of_calling_everything_normal_comes_from_the_test_split(intro):
    share_normal = (load_split().test.y == 1).mean()
    assert f"{share_normal:.1%} accuracy" in " ".join(m.value for m in intro.markdown)


def test_filtering_by_class_changes_the_gallery(intro):
    everything = card_captions(intro)
    intro.segmented_control(key="gallery_class").set_value(3).run()
    pvc_only = card_captions(intro)
    assert pvc_only != everything
    assert pvc_only and all(c.endswith(f"· {CLASS_NAMES[3]}") for c in pvc_only)


def test_shuffle_draws_another_sample(intro):
    before = card_captions(intro)
    intro.button(key="gallery_shuffle").click().run()
    assert card_captions(intro) != before


def test_inspecting_an_abnormal_beat_shows_an_abnormal_verdict_and_its_reconstruction(intro):
    intro.segmented_control(key="gallery_class").set_value(2).run()
    second_card = card_captions(intro)[1]
    intro.button(key="gallery_inspect_1").click().run()
    assert not intro.exception
    beat = second_card.split(" · ")[0]
    chart = figure(intro, "gallery_beat_chart")
    assert any(m.value.startswith(f"**Beat {beat}**") for m in intro.markdown)
    assert {trace["name"] for trace in chart["data"]} == {"input", "reconstruction"}
    assert metric(intro, "Verdict") == "abnormal"
    assert intro.success[0].value.startswith("Right.")
    assert CLASS_NAMES[2] in intro.success[0].value
    assert intro.button(key="gallery_inspect_1").label == "Inspecting"


def test_inspecting_a_normal_beat_uses_the_models_threshold(intro):
    intro.segmented_control(key="gallery_class").set_value(1).run()
    intro.button(key="gallery_inspect_0").click().run()
    assert metric(intro, "Verdict") in ("normal", "abnormal")
    assert metric(intro, "Threshold") == f"{default_model().threshold:.3f}"
    assert "Normal" in (intro.success or intro.error)[0].value


def test_replay_slider_changes_the_shown_epoch(intro):
    slider = intro.select_slider(key="replay_epoch")
    assert slider.value == 1
    first_auc = metric(intro, "Test AUC at this epoch")
    slider.set_value(50).run()
    assert not intro.exception
    assert any(m.value.endswith("after epoch 50**") for m in intro.markdown)
    assert metric(intro, "Test AUC at this epoch") != first_auc


def test_replay_keeps_one_x_range_across_epochs(intro):
    first_range = figure(intro, "replay_histogram")["layout"]["xaxis"]["range"]
    intro.select_slider(key="replay_epoch").set_value(100).run()
    assert figure(intro, "replay_histogram")["layout"]["xaxis"]["range"] == first_range


def test_a_session_model_without_replay_judges_beats_and_replays_the_default_run(intro):
    own = train_model(load_split(), AutoencoderSpec(encoder_units=(16, 4)), TrainConfig(epochs=3), label="Tiny")
    intro.session_state[MODEL_KEY] = own
    intro.run()
    assert not intro.exception
    assert metric(intro, "Threshold") == f"{own.threshold:.3f}"
    assert any("recorded no replay" in c.value for c in intro.caption)
