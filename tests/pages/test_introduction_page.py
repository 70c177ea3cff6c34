import base64
import re

import pytest

from app.models import train_model
from app.state import MODEL_KEY, default_model, load_split
from core.data import CLASS_NAMES
from core.model import AutoencoderSpec
from core.train import TrainConfig

INTRO = "pages/introduction.py"


PICTURE = re.compile(r"!\[([^\]]*)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)")


def pictures(at) -> dict[str, str]:
    """Every picture on the page (markdown images): alt text -> the SVG it shows."""
    return {alt: base64.b64decode(data).decode() for m in at.markdown for alt, data in PICTURE.findall(m.value)}


def picture(at, alt_start: str) -> str:
    """The SVG of the one picture whose alt text starts with ``alt_start``."""
    [svg] = [svg for alt, svg in pictures(at).items() if alt.startswith(alt_start)]
    return svg


def svg_ids(svg: str) -> set[str]:
    return set(re.findall(r'<g id="([^"]+)"', svg))


def tick_labels(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def card_captions(at) -> list[str]:
    """The gallery cards' captions, "#74 · R-on-T PVC", in page order."""
    return [caption for m in at.markdown for caption in re.findall(r":small\[:gray\[(#\d+ · [^\]]+)\]\]", m.value)]


def verdict(at) -> str:
    return next(h.value for h in at.subheader if h.value.startswith("Verdict: ")).removeprefix("Verdict: ")


def shown_number(at, label: str) -> float:
    """A number the page shows in bold after ``label`` ("threshold **0.132**", "test AUC **0.976**")."""
    text = " ".join(m.value for m in at.markdown)
    return float(re.search(rf"{re.escape(label)}\W+(\d+\.\d+)", text).group(1))


@pytest.fixture
def intro(open_page):
    return open_page(INTRO)


def test_renders_explainer_gallery_and_replay(intro):
    assert not intro.exception
    assert len(card_captions(intro)) == 12
    assert svg_ids(picture(intro, "The network")) >= {"layer-0", "layer-2", "layer-4"}
    assert svg_ids(picture(intro, "Histogram of the test beats' reconstruction errors, normal")) >= {
        "normal", "abnormal", "threshold"}
    assert svg_ids(picture(intro, "Beat #")) >= {"input", "reconstruction", "error"}
    assert svg_ids(picture(intro, "Histogram of the test beats' reconstruction errors after")) >= {
        "normal", "abnormal"}
    assert "| **Precision** |" in " ".join(m.value for m in intro.markdown)


def test_the_network_picture_follows_the_models_layers(intro):
    own = train_model(load_split(), AutoencoderSpec(encoder_units=(64, 16, 4)), TrainConfig(epochs=2), label="Deep")
    intro.session_state[MODEL_KEY] = own
    intro.run()
    network = picture(intro, "The network")
    assert {"64", "16", "4", "140"} <= set(tick_labels(network))
    assert "layer-6" in svg_ids(network)


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
    assert any(m.value.startswith(f"**Beat {beat}**") for m in intro.markdown)
    assert svg_ids(picture(intro, f"Beat {beat} and its reconstruction")) >= {"input", "reconstruction"}
    assert verdict(intro) == "abnormal"
    assert shown_number(intro, "Anomaly score") > shown_number(intro, "threshold")
    assert intro.success[0].value.startswith("Right.")
    assert CLASS_NAMES[2] in intro.success[0].value
    assert intro.button(key="gallery_inspect_1").label == "Inspecting"


def test_inspecting_a_normal_beat_uses_the_models_threshold(intro):
    intro.segmented_control(key="gallery_class").set_value(1).run()
    intro.button(key="gallery_inspect_0").click().run()
    assert verdict(intro) in ("normal", "abnormal")
    assert shown_number(intro, "threshold") == round(default_model().threshold, 3)
    assert "Normal" in (intro.success or intro.error)[0].value


def test_replay_slider_changes_the_shown_epoch(intro):
    slider = intro.select_slider(key="replay_epoch")
    assert slider.value == 1
    first_auc = shown_number(intro, "test AUC")
    slider.set_value(50).run()
    assert not intro.exception
    assert any(m.value.endswith("after epoch 50**") for m in intro.markdown)
    assert shown_number(intro, "test AUC") > first_auc


def test_replay_keeps_one_x_range_across_epochs(intro):
    first = picture(intro, "Histogram of the test beats' reconstruction errors after epoch 1")
    intro.select_slider(key="replay_epoch").set_value(100).run()
    last = picture(intro, "Histogram of the test beats' reconstruction errors after epoch 100")
    assert last != first
    x_ticks = re.compile(r"^\d+\.\d+$")  # the x axis labels the errors with decimals, the y axis counts
    assert [t for t in tick_labels(last) if x_ticks.match(t)] == [t for t in tick_labels(first) if x_ticks.match(t)]


def test_a_session_model_without_replay_judges_beats_and_replays_the_default_run(intro):
    own = train_model(load_split(), AutoencoderSpec(encoder_units=(16, 4)), TrainConfig(epochs=3), label="Tiny")
    intro.session_state[MODEL_KEY] = own
    intro.run()
    assert not intro.exception
    assert shown_number(intro, "threshold") == round(own.threshold, 3)
    assert any("recorded no replay" in c.value for c in intro.caption)
