"""The bad-input matrix (docs/bad-inputs.md) in a real browser: odd drawings on the canvas and
extreme recipes in the composer.

Every row: a clear message (or a sensible verdict) in the page, no exception box and no
traceback, and the model in use unchanged unless the input legitimately trained a new one.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_harness import (METRIC, PLOTLY, assert_no_error_shown, badge, button, metric_value, open_page,
                             press_slider, rerun, set_number, slider_thumb, train, wait_idle)
from canvas_drawing import canvas_box, canvas_geometry, draw, stroke
from core.model import MAX_LAYERS, MAX_UNITS, AutoencoderSpec

EMPTY = re.compile(r"^Draw a beat first")
DOT = re.compile(r"looks like a dot or an up-and-down line")
SHORT = re.compile(r"too short to be a beat")
VERDICT = re.compile(r"^\s*(Normal|Abnormal)")


# ---------------------------------------------------------------- the canvas


@pytest.fixture
def draw_page(page, server):
    open_page(page, server, "/draw")
    canvas_box(page)
    return page


def message(page, pattern):
    return page.get_by_text(pattern).first


def verdict(page):
    return page.locator('[data-testid="stAlert"]').filter(has_text=VERDICT)


def drawn_pixels(page) -> int:
    """Opaque pixels on Fabric's drawing layer (the strokes, not the background grid)."""
    return page.locator("canvas.dc-canvas.lower-canvas").evaluate(
        """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")


def check_untouched(page, model_badge: str) -> None:
    assert badge(page) == model_badge, "the model in use changed"
    assert_no_error_shown(page)


def test_nothing_drawn_asks_for_a_drawing(draw_page):
    page = draw_page
    before = badge(page)
    expect(message(page, EMPTY)).to_be_visible()
    rerun(page, lambda: button(page, "Clear").click())  # clearing an empty canvas
    expect(message(page, EMPTY)).to_be_visible()
    expect(verdict(page)).to_have_count(0)
    expect(page.locator(METRIC)).to_have_count(0)
    check_untouched(page, before)


@pytest.mark.parametrize("points, expected", [
    ([(350, 150)], DOT),                                                # one click: a dot
    ([(350.0, float(y)) for y in np.linspace(5, 295, 25)], DOT),        # a vertical line
    ([(300.0 + x, 150.0) for x in range(0, 40, 4)], SHORT),             # 5 % of the width
], ids=["one dot", "vertical line", "short stroke"])
def test_a_drawing_that_is_no_beat_gets_a_message(draw_page, points, expected):
    page = draw_page
    before = badge(page)
    draw(page, points)
    expect(message(page, expected)).to_be_visible()
    expect(verdict(page)).to_have_count(0)
    check_untouched(page, before)


def test_a_scribble_over_the_full_height_is_abnormal(draw_page):
    page = draw_page
    before = badge(page)
    canvas = canvas_geometry(page)  # its size follows the page's width
    W, H = canvas.width, canvas.height
    zigzag = [(float(x), 1.0 if i % 2 else H - 1.0) for i, x in enumerate(np.linspace(2, W - 2, 41))]
    draw(page, zigzag)
    expect(verdict(page)).to_have_text(re.compile(r"^\s*Abnormal"))
    assert float(metric_value(page, "Anomaly score")) > float(metric_value(page, "Threshold"))
    expect(page.locator(PLOTLY).first).to_be_visible()
    check_untouched(page, before)


def test_strokes_outside_the_canvas_draw_nothing_and_one_leaving_it_is_clipped(draw_page):
    page = draw_page
    before = badge(page)
    box = canvas_box(page)
    W, H = box["width"], box["height"]  # the canvas follows the page's width
    for y in (-40, H + 40):  # above and below the canvas, across its whole width
        stroke(page, [(float(x), float(y)) for x in np.linspace(-60, W + 60, 20)], box)
    stroke(page, [(-60.0, float(y)) for y in np.linspace(0, H, 10)], box)  # left of it, top to bottom
    assert drawn_pixels(page) == 0
    expect(message(page, EMPTY)).to_be_visible()
    expect(verdict(page)).to_have_count(0)

    # starts inside, leaves through the right edge and below the bottom; released outside
    draw(page, [(float(x), 150 + (x - 300) * 0.6) for x in np.linspace(300, W + 200, 30)])
    expect(verdict(page)).to_be_visible()
    check_untouched(page, before)


def test_many_strokes_give_one_verdict(draw_page):
    page = draw_page
    before = badge(page)
    box = canvas_box(page)
    W = int(box["width"])  # the canvas follows the page's width
    for i, left in enumerate(range(0, W - 20, 25)):  # 28 short overlapping strokes, left to right
        stroke(page, [(left + dx, 110.0 + 25 * (i % 4) + dx / 2) for dx in range(0, 40, 5)], box)
    draw(page, [(float(W - 30), 120.0), (float(W - 2), 130.0)])  # one more, then wait for the verdict
    expect(verdict(page)).to_be_visible()
    assert float(metric_value(page, "Anomaly score")) >= 0
    check_untouched(page, before)


# ---------------------------------------------------------------- the composer


def units_field(page, label: str):
    return page.locator(f'[data-testid="stNumberInput"] input[aria-label="{label}"]')


def field_error(page, label: str):
    """The validation message Streamlit shows under a number input."""
    return page.locator('[data-testid="stNumberInput"]').filter(has=page.locator(f'input[aria-label="{label}"]'))


@pytest.fixture
def trained(page, server):
    """The train page with a quickly trained model #1 in use; returns its badge."""
    open_page(page, server, "/train")
    set_number(page, "Epochs", 10)
    assert "Your model #1" in train(page)
    return badge(page)


def test_learning_rate_10_diverges_with_a_message_and_keeps_the_model(page, trained):
    assert press_slider(page, slider_thumb(page, "Learning rate"), "End") == "10"
    set_number(page, "Epochs", 20)
    notice = train(page)
    assert "diverged" in notice and "did not change" in notice
    check_untouched(page, trained)


def test_one_layer_of_one_unit_trains_a_weak_model(page, trained):
    rerun(page, lambda: button(page, "Remove the bottleneck").click())
    expect(button(page, "Remove the bottleneck")).to_be_disabled()  # one layer left: it is the bottleneck
    set_number(page, "Bottleneck", 1)
    spec = AutoencoderSpec((1,))
    expect(page.get_by_text(f"{spec.param_count:,} parameters").first).to_be_visible()
    notice = train(page)
    assert "Your model #2" in notice
    assert f"layers 1 ({spec.param_count:,} parameters)" in badge(page)
    assert 0.0 <= float(metric_value(page, "AUC")) <= 1.0
    assert_no_error_shown(page)


def test_zero_epochs_is_refused_by_the_field(page, trained):
    field = units_field(page, "Epochs")
    field.fill("0")
    field.press("Enter")
    expect(field_error(page, "Epochs")).to_contain_text("outside the allowed range")
    expect(field_error(page, "Epochs")).to_contain_text("between 1 and")
    check_untouched(page, trained)


def test_an_impossible_composition_is_explained_and_cannot_be_trained(page, trained):
    set_number(page, "Training-set size (beats)", 3000)
    assert press_slider(page, slider_thumb(page, "Abnormal beats in the training set (%)"), "End") == "70"
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="can't be trained").first).to_be_visible()
    expect(button(page, "Train")).to_be_disabled()
    check_untouched(page, trained)


def test_70_percent_abnormal_in_a_small_set_with_a_batch_larger_than_the_set_trains(page, trained):
    set_number(page, "Training-set size (beats)", 50)
    assert press_slider(page, slider_thumb(page, "Abnormal beats in the training set (%)"), "End") == "70"
    assert press_slider(page, slider_thumb(page, "Batch size"), "End") == "4096"
    expect(page.get_by_text(re.compile(r"Training on 15 normal and 35 abnormal")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"single batch")).first).to_be_visible()
    notice = train(page)
    assert "Your model #2" in notice
    assert "on 50 beats (70% abnormal)" in badge(page)
    assert_no_error_shown(page)


def test_ten_layers_of_512_units_compose_and_the_limits_hold(page, server):
    open_page(page, server, "/train")
    before = badge(page)
    add = button(page, "Add a layer")
    for _ in range(MAX_LAYERS - len(AutoencoderSpec().encoder_units)):
        rerun(page, add.click)
    expect(add).to_be_disabled()
    labels = [f"Layer {i}" for i in range(1, MAX_LAYERS)] + ["Bottleneck"]
    for label in labels:
        set_number(page, label, MAX_UNITS)
    spec = AutoencoderSpec((MAX_UNITS,) * MAX_LAYERS)
    expect(page.get_by_text(f"{spec.param_count:,} parameters").first).to_be_visible()

    field = units_field(page, "Layer 1")
    field.fill(str(MAX_UNITS + 1))
    field.press("Enter")
    expect(field_error(page, "Layer 1")).to_contain_text("outside the allowed range")
    wait_idle(page)
    check_untouched(page, before)
