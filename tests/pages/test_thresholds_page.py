import json

import pytest

from app.models import train_model
from app.state import MODEL_KEY, default_model, load_split
from app.threshold_view import slider_range
from core.model import AutoencoderSpec
from core.train import TrainConfig

THRESHOLDS = "pages/thresholds.py"


def metric(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label).rstrip("%"))


def confusion(at) -> dict[str, int]:
    table = at.table[0].value
    return {"tn": table.iloc[0, 0], "fp": table.iloc[0, 1], "fn": table.iloc[1, 0], "tp": table.iloc[1, 1]}


def move_slider(at, value: float) -> None:
    at.slider(key="threshold_slider").set_value(value).run()
    assert not at.exception


@pytest.fixture
def page(open_page):
    return open_page(THRESHOLDS)


def test_renders_on_the_test_set_with_the_validation_threshold(page):
    assert not page.exception
    assert page.slider(key="threshold_slider").value == pytest.approx(default_model().threshold)
    notice = page.info[0].value
    assert "held-out test beats" in notice and "validation" in notice
    assert sum(confusion(page).values()) == len(load_split().test)
    for key in ("threshold_histogram", "threshold_roc", "threshold_pr"):
        assert json.loads(page.get_by_key(key).proto.spec)["data"]


def test_moving_the_slider_changes_counts_precision_and_recall(page):
    before = confusion(page), metric(page, "Precision"), metric(page, "Recall")
    move_slider(page, 0.5)
    after = confusion(page), metric(page, "Precision"), metric(page, "Recall")
    assert after[0]["fp"] < before[0]["fp"] and after[0]["fn"] > before[0]["fn"]
    assert after[1] > before[1] and after[2] < before[2]
    assert page.markdown[0].value.startswith("#### At 0.500:")
    assert f"{after[0]['fn']} missed anomalies" in page.markdown[0].value


def test_best_f1_button_restores_the_calibrated_threshold(page):
    start = confusion(page)
    move_slider(page, 0.4)
    assert confusion(page) != start
    page.button(key="threshold_best_f1").click().run()
    assert not page.exception
    assert page.slider(key="threshold_slider").value == pytest.approx(default_model().threshold)
    assert page.markdown[0].value.startswith(f"#### At {default_model().threshold:.3f}:")
    assert confusion(page) == start


def test_per_class_recall_follows_the_threshold(page):
    table = page.dataframe[0].value
    assert list(table["Class"]) == ["1 · Normal", "2 · R-on-T PVC", "3 · PVC", "4 · SP or EB", "5 · UB"]
    assert list(table["Meaning"]) == ["false-alarm rate"] + ["recall"] * 4
    move_slider(page, page.slider(key="threshold_slider").max)
    assert (page.dataframe[0].value["Share flagged"] == 0).all()


def test_a_new_session_model_resets_the_slider_to_its_own_threshold(page):
    move_slider(page, 0.6)
    own = train_model(load_split(), AutoencoderSpec(encoder_units=(16, 4)), TrainConfig(epochs=3), label="Tiny")
    page.session_state[MODEL_KEY] = own
    page.run()
    assert not page.exception
    assert page.slider(key="threshold_slider").value == pytest.approx(own.threshold)


def test_slider_range_spans_the_scores_in_round_steps():
    bounds = slider_range([0.0123, 0.5, 1.2318], calibrated=0.2)
    assert (bounds.low, bounds.high, bounds.step) == pytest.approx((0.012, 1.232, 0.001))
    assert bounds.format == "%.3f"
    assert slider_range([1e-5, 3e-4], calibrated=1e-4).format == "%.7f"


def test_slider_range_reaches_a_calibrated_threshold_outside_the_test_scores():
    bounds = slider_range([0.2, 0.5], calibrated=0.9)
    assert bounds.low <= 0.2 and bounds.high >= 0.9
