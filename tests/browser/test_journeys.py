"""What a learner does in a real browser, page by page, and what they should see.

Each test is one journey in a fresh browser context (its own Streamlit session) on the shared
server; expected numbers come from the library (``core``), never from the page itself.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_harness import (
    EXCEPTION, METRIC, PLOTLY, TRAIN_TIMEOUT, VIEWPORT, assert_no_error_shown, badge, button, chart_titles,
    metric_value, nav, new_app_context, open_page, press_slider, rerun, set_number, slider_thumb, table_rows, train,
    wait_pictures)
from canvas_drawing import canvas_geometry, draw
from training_probes import LOSS_EPOCHS, start_training_recorder, stop_training_recorder
from streamlit_server import StreamlitServer
from core.data import CLASS_NAMES, Composition
from core.drawing import CanvasGeometry
from core.model import AutoencoderSpec

ABNORMAL_PERCENT_SLIDER = "Abnormal beats in the training set (%)"
EPOCHS = 300  # the journey's training: the default 100 can end (~0.7 s) between two chart polls
AUC_IN_BADGE = re.compile(r"test AUC (\d\.\d{3})")
TRUNCATED = "(el) => [el, ...el.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1)"  # "…"


# ---------------------------------------------------------------- 1. Introduction


def inspect_first(page, class_name: str):
    """Click Inspect on the first gallery card of ``class_name``; returns (its button's block, beat number)."""
    captions = page.get_by_text(re.compile(r"^(Beat )?#\d+ · "))  # one per card: "#74 · R-on-T PVC"
    expect(captions.first).to_be_visible()
    texts = captions.all_inner_texts()
    position = next(i for i, t in enumerate(texts) if t.endswith(f"· {class_name}"))
    card = page.locator(f".st-key-gallery_inspect_{position}")  # the card's button (its widget key)
    rerun(page, lambda: card.get_by_role("button", name="Inspect").click())
    return card, int(re.search(r"#(\d+)", texts[position]).group(1))


def test_introduction_judges_a_sample_abnormal_beat(page, server):
    open_page(page, server, "/")
    assert "Default model" in badge(page)
    wait_pictures(page, 5 + 12)  # the explainer's figures and the gallery's sparklines

    abnormal = CLASS_NAMES[2]  # R-on-T PVC: the default model catches these (test recall ~99 %)
    card, beat = inspect_first(page, abnormal)

    expect(card.get_by_role("button", name="Inspecting")).to_be_visible()
    chart_title = re.compile(rf"Beat #?{beat}\b.*reconstruction")  # "Beat #74: input vs reconstruction"
    expect(page.get_by_text(chart_title).first).to_be_visible()
    expect(page.locator(f'img[alt="Beat #{beat} and its reconstruction"]')).to_be_visible()
    verdict = page.get_by_role("heading", name=re.compile(r"^Verdict: "))
    expect(verdict).to_have_text("Verdict: abnormal")
    assert not verdict.evaluate(TRUNCATED), f"{verdict.inner_text()!r} is cut off"
    rule = page.get_by_text(re.compile(r"^Anomaly score \d")).inner_text()  # "Anomaly score 0.393 > threshold 0.132"
    score, threshold = map(float, re.findall(r"\d+\.\d+", rule))
    assert score > threshold and " > " in rule
    expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=abnormal)).to_be_visible()  # "Right"
    assert_no_error_shown(page)


# ---------------------------------------------------------------- 2. Train


def test_train_a_composed_model_live_and_use_it_everywhere(page, server, split):
    open_page(page, server, "/train")
    default_badge = badge(page)
    assert "Default model" in default_badge

    # compose: one more layer (32-8-4), then a wider first layer (64-8-4)
    rerun(page, lambda: button(page, "Add a layer").click())
    units = page.locator('[data-testid="stNumberInput"] input[aria-label="Layer 1"]')
    rerun(page, lambda: (units.fill("64"), units.press("Enter")))
    spec = AutoencoderSpec((64, 8, 4))
    expect(page.get_by_text(f"{spec.param_count:,} parameters").first).to_be_visible()
    assert any("140 → 64 → 8 → 4 → 8 → 64 → 140" in t and f"{spec.param_count:,} parameters" in t
               for t in chart_titles(page)), chart_titles(page)  # the network diagram

    # 10 % abnormal beats in the training set, with the keyboard on the slider
    assert press_slider(page, slider_thumb(page, ABNORMAL_PERCENT_SLIDER), "ArrowRight", times=10) == "10"
    normal, abnormal = Composition(abnormal_fraction=0.10).counts(split.train)
    expect(page.get_by_text(re.compile(rf"Training on {normal:,} normal and {abnormal:,} abnormal"))).to_be_visible()

    set_number(page, "Epochs", EPOCHS)  # long enough (~2 s) for the live charts to be seen growing
    start_training_recorder(page)
    notice = train(page, timeout=TRAIN_TIMEOUT)
    samples = stop_training_recorder(page)

    assert "Your model #1" in notice and "It is now the model on every page" in notice
    progress = [s["progress"] for s in samples if s["progress"]]
    epochs_done = [int(m.group(1)) for p in progress if (m := re.search(rf"(\d+)\s*(?:/|of)\s*{EPOCHS}\b", p))]
    assert epochs_done and min(epochs_done) < EPOCHS, progress[:5]  # "Epoch 8/300 · train loss ..."
    lengths = [s["lossEpochs"] for s in samples if s["lossEpochs"] is not None and s["running"]]
    grown = sorted(set(lengths))
    assert grown and grown[0] < EPOCHS, f"no live loss chart during the run: {grown}"
    assert len(grown) >= 2, f"the loss chart did not grow during the run: {grown}"
    # from the first live curve on, the charts keep their views (only their data changes): no chart
    # is built anew, blank for a moment, at each poll (switching from the 100-epoch model in use to
    # this 300-epoch run's axis builds the loss chart once)
    live_views = [s["views"] for s in samples if s["lossEpochs"] not in (None, samples[0]["lossEpochs"])]
    assert live_views and live_views[0] == live_views[-1], live_views

    now = badge(page)
    assert now.startswith("Model in use: Your model #1")
    assert f"layers 64-8-4 ({spec.param_count:,} parameters)" in now
    assert f"on {normal + abnormal:,} beats (10% abnormal)" in now
    auc = metric_value(page, "AUC")
    assert 0.5 < float(auc) <= 1.0 and f"test AUC {auc}" in now
    default_auc = float(AUC_IN_BADGE.search(default_badge).group(1))
    delta = page.locator(METRIC).filter(has_text="AUC").first.get_by_test_id("stMetricDelta").inner_text()
    assert float(delta.replace("−", "-")) == pytest.approx(float(auc) - default_auc, abs=0.0015)  # vs default
    page.wait_for_function(f"() => ({LOSS_EPOCHS})() === {EPOCHS}")  # the finished model's loss curve
    assert_no_error_shown(page)

    # the trained model is the model of every page
    page.get_by_test_id("stTopNav").get_by_role("link", name=re.compile("Thresholds")).click()
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(re.compile("Threshold"))
    expect(page.locator('[data-testid="stCaptionContainer"]', has_text="Model in use:").first).to_have_text(now)
    assert_no_error_shown(page)


# ---------------------------------------------------------------- 3. Thresholds


def confusion(page) -> dict[str, int]:
    rows = table_rows(page.locator('[data-testid="stTable"]').filter(has_text="Predicted abnormal").first)
    body = {row[0]: [int(c.replace(",", "")) for c in row[1:]] for row in rows[1:]}
    (tn, fp), (fn, tp) = body["Actually normal"], body["Actually abnormal"]
    return {"tn": tn, "fp": fp, "fn": fn, "tp": tp}


def percent(text: str) -> float:
    return float(text.rstrip("%"))


def test_moving_the_threshold_changes_the_confusion_matrix_precision_and_recall_and_it_stays(page, server, split):
    open_page(page, server, "/thresholds")
    thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first
    before = confusion(page), percent(metric_value(page, "Precision")), percent(metric_value(page, "Recall"))
    assert sum(before[0].values()) == len(split.test)

    value = press_slider(page, thumb, "PageUp", times=3)  # a higher threshold: fewer beats flagged
    expect(page.get_by_text(re.compile(rf"^At {re.escape(value)}:"))).to_be_visible()
    after = confusion(page), percent(metric_value(page, "Precision")), percent(metric_value(page, "Recall"))

    assert sum(after[0].values()) == len(split.test)
    assert after[0]["fp"] < before[0]["fp"] and after[0]["fn"] > before[0]["fn"]
    assert after[1] > before[1] and after[2] < before[2]
    expect(page.get_by_text(re.compile(rf"^At {re.escape(value)}: {after[0]['fn']} missed"))).to_be_visible()
    expect(page.locator(PLOTLY).first).to_be_visible()

    nav(page, "Draw a beat")  # and back: the learner's threshold, not the slider's low end
    nav(page, "Thresholds & ROC")
    assert thumb.get_attribute("aria-valuetext") == value
    assert confusion(page) == after[0]
    assert_no_error_shown(page)


# ---------------------------------------------------------------- 4. Draw


def trace(values: np.ndarray, canvas: CanvasGeometry, points: int = 70) -> list[tuple[float, float]]:
    """Canvas pixels of a left-to-right trace of ``values`` (one beat), ``points`` mouse positions."""
    t = np.linspace(0, len(values) - 1, points)
    ys = canvas.value_to_y(np.interp(t, np.arange(len(values)), values))
    xs = np.linspace(2, canvas.width - 2, points)
    return list(zip(xs.tolist(), ys.tolist()))


def verdict(page):
    return page.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"^\s*(Normal|Abnormal)"))


def test_draw_a_beat_clear_and_draw_a_flat_line(page, server, split):
    open_page(page, server, "/draw")
    expect(page.get_by_text(re.compile("^Draw a beat first"))).to_be_visible()

    canvas = canvas_geometry(page)
    draw(page, trace(split.train.normal.mean(axis=0), canvas))  # trace the guide: the mean normal beat
    expect(verdict(page)).to_have_text(re.compile(r"^\s*Normal"))
    score, threshold = float(metric_value(page, "Anomaly score")), float(metric_value(page, "Threshold"))
    assert score < threshold
    expect(page.locator(PLOTLY).first).to_be_visible()

    rerun(page, lambda: button(page, "Clear").click())
    expect(page.get_by_text(re.compile("^Draw a beat first"))).to_be_visible()
    expect(verdict(page)).to_have_count(0)

    draw(page, trace(np.zeros(140), canvas, points=30))
    expect(verdict(page)).to_have_text(re.compile(r"^\s*Abnormal: a flat line"))
    assert page.locator(EXCEPTION).count() == 0
    assert_no_error_shown(page)


# ---------------------------------------------------------------- a shared link on a fresh server
#
# While a folder named pages/ sits next to streamlit_app.py, Streamlit starts a fresh server in
# its old file-based multipage mode until some session has run st.navigation: a deep link opened
# first would run the page file alone (no set_page_config, so no wide layout and no
# torch.set_num_threads(1); file names as navigation). The pages guard against it
# (app.state.use_app_navigation); this test keeps them honest. The shared server can't show it:
# its warm-up has already opened "/".


def test_a_deep_link_on_a_fresh_server_gets_the_whole_app(browser, ecg5000, artifacts):
    with StreamlitServer(ecg5000, log_path=artifacts / "streamlit-server-deep-link.log") as fresh:
        context = new_app_context(browser)
        try:
            page = context.new_page()
            open_page(page, fresh, "/train")
            top_nav = page.get_by_test_id("stTopNav")
            try:
                expect(top_nav).to_contain_text("Train a model", timeout=5_000)  # the page is drawn already
                expect(top_nav).not_to_contain_text("streamlit app", timeout=5_000)
                expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no pages/ file names
                assert page.title() == "ECG autoencoder lab"  # streamlit_app.py's set_page_config ran
                main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
                assert main["width"] > 0.6 * VIEWPORT["width"], main  # its wide layout, not the centred default
            finally:
                page.screenshot(path=str(artifacts / "test_journeys--deep-link-on-a-fresh-server.png"))
        finally:
            context.close()
