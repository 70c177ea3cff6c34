"""Every page on a projector (1024 px) and a 13" laptop (1280 px): no value, label or button text
cut off, no sideways scrolling, charts whole, and the whole canvas visible and drawable.

Every test's page is screenshotted at its width into test-artifacts/test_widths--<test>-<width>px...png
(the ``new_page`` fixture): look at them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_harness import assert_no_error_shown, open_page, press_slider, slider_thumb
from canvas_drawing import canvas_box, canvas_geometry, draw

WIDTHS = (1024, 1280)
HEIGHT = 800
THRESHOLD_SLIDER = "Threshold: a beat whose reconstruction error is above it is flagged abnormal"
PAGES = {"introduction": "/", "train": "/train", "thresholds": "/thresholds", "draw": "/draw",
         "experiments": "/experiments", "board": "/board", "classroom": "/classroom"}

# Every element whose text the page clips (CSS ellipsis or overflow): its content is wider than
# its box. Metric values, button labels, widget labels, tabs and headings; ignoring zero-width boxes.
_CLIPPED = """
() => {
  const selectors = ['[data-testid="stMetricValue"]', '[data-testid="stMetricLabel"]',
    '[data-testid="stMetricDelta"]', '[data-testid="stBaseButton-secondary"]',
    '[data-testid="stBaseButton-primary"]', '[data-testid="stWidgetLabel"]', 'h1', 'h2', 'h3', 'h4'];
  const clipped = [];
  for (const root of document.querySelectorAll(selectors.join(','))) {
    if (!root.closest('[data-testid="stMain"]')) continue;
    for (const e of [root, ...root.querySelectorAll('*')]) {
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim()) {
        clipped.push(`${root.getAttribute('data-testid') || root.tagName}: ${e.innerText.trim().slice(0, 60)}`);
        break;
      }
    }
  }
  return clipped;
}
"""

# Sideways scrolling of the document or of Streamlit's own scrolling container.
_SIDEWAYS = """
() => [document.documentElement, document.querySelector('[data-testid="stMain"]'),
       document.querySelector('[data-testid="stAppViewContainer"]')]
  .filter(Boolean).filter((e) => e.scrollWidth > e.clientWidth + 1)
  .map((e) => `${e.getAttribute('data-testid') || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`)
"""

# Parts of charts (title, legend, axis titles, annotations; plotly's and Vega-Lite's) that stick
# out of their chart, and legends that overlap an annotation.
_CHART_PARTS_OUTSIDE = """
() => {
  const problems = [];
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
    const frame = chart.getBoundingClientRect();
    const parts = [...chart.querySelectorAll('.gtitle, .legend, .xtitle, .ytitle, .annotation')];
    for (const part of parts) {
      const r = part.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        problems.push(`${part.getAttribute('class')} of "${(chart.querySelector('.gtitle') || {}).textContent}"`);
    }
    const legend = chart.querySelector('.legend');
    for (const note of chart.querySelectorAll('.annotation')) {
      if (!legend) break;
      const a = note.getBoundingClientRect(), l = legend.getBoundingClientRect();
      if (a.left < l.right && l.left < a.right && a.top < l.bottom && l.top < a.bottom)
        problems.push(`an annotation on the legend: ${note.textContent}`);
    }
  }
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks')) {
    const frame = chart.getBoundingClientRect();
    for (const part of chart.querySelectorAll('.role-title, .role-legend, .role-axis-title')) {
      const r = part.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        problems.push(`${part.getAttribute('class')} of "${(chart.querySelector('.role-title-text') || {}).textContent}"`);
    }
  }
  return problems;
}
"""


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def sized_page(request, page):
    page.set_viewport_size({"width": request.param, "height": HEIGHT})
    return page, request.param


def check_layout(page) -> None:
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
                           ".every((c) => c.querySelector('.main-svg')) && [...document.querySelectorAll("
                           "'[data-testid=\"stVegaLiteChart\"]')].every((c) => c.querySelector('svg.marks, canvas.marks'))")
    assert page.evaluate(_CLIPPED) == []
    assert page.evaluate(_SIDEWAYS) == []
    assert page.evaluate(_CHART_PARTS_OUTSIDE) == []
    assert_no_error_shown(page)


@pytest.mark.parametrize("name", ["introduction", "train", "thresholds", "experiments", "board", "classroom"])
def test_page_fits_the_width(sized_page, server, name):
    page, width = sized_page
    open_page(page, server, PAGES[name])
    check_layout(page)


def test_thresholds_at_the_highest_threshold_fits_and_says_precision_is_undefined(sized_page, server):
    page, width = sized_page
    open_page(page, server, "/thresholds")
    press_slider(page, slider_thumb(page, THRESHOLD_SLIDER), "End")
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Precision")
    expect(tile.get_by_test_id("stMetricValue")).to_have_text("—")
    expect(tile.get_by_test_id("stMetricDelta")).to_have_text("undefined")
    expect(page.get_by_text("current threshold: flags nothing")).to_have_count(1)
    check_layout(page)


def test_the_whole_canvas_is_visible_and_drawable(sized_page, server, split):
    page, width = sized_page
    open_page(page, server, "/draw")
    box = canvas_box(page)
    column = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    assert box["x"] >= column["x"] - 1 and box["x"] + box["width"] <= column["x"] + column["width"] + 1, (box, column)
    assert box["x"] + box["width"] <= width, "the canvas runs off the page"
    assert box["width"] >= 0.8 * (column["width"] - 2 * 16) or box["width"] >= 1000, "sized from the column"

    geometry = canvas_geometry(page)  # a beat traced over the whole width, ending at its right edge
    xs = np.linspace(2, geometry.width - 2, 70)
    values = np.interp(np.linspace(0, 139, 70), np.arange(140), split.train.normal.mean(axis=0))
    draw(page, list(zip(xs.tolist(), geometry.value_to_y(values).tolist())))
    verdict = page.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"^\s*Normal"))
    expect(verdict).to_be_visible()
    expect(page.get_by_text(re.compile("^A blank canvas"))).to_have_count(0)  # the caption is gone
    check_layout(page)
