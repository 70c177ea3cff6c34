"""What a learner does on the Insight lab page, in a real browser: pick a tab, run an experiment,
click a point of the latent scatter. Shared by tests/browser/test_lab_journey.py and
benchmarks/bench_lab.py."""

from __future__ import annotations

import re

from browser_harness import ACTION_TIMEOUT, rerun, wait_idle

VISIBLE_TAB = '[data-testid="stTabs"] [role="tabpanel"]:not([hidden])'


def open_tab(page, name: str):
    """Show tab ``name`` (client side: no script run); returns its panel."""
    page.get_by_role("tab", name=name).click()
    return page.locator(VISIBLE_TAB)


def run_experiment(page, panel, seeds: int, timeout: float) -> None:
    """Set the panel's seeds, press Run, wait until its first chart is drawn and the app is idle."""
    field = panel.locator('[data-testid="stNumberInput"] input[aria-label="Seeds"]')
    if field.input_value() != str(seeds):
        rerun(page, lambda: (field.fill(str(seeds)), field.press("Enter")))
    charts = panel.locator('[data-testid="stPlotlyChart"]').count()
    panel.get_by_role("button", name=re.compile(r"(^|\s)Run$")).click()
    panel.locator('[data-testid="stPlotlyChart"]').nth(charts).wait_for(state="visible", timeout=timeout)
    wait_idle(page, timeout=timeout)


# Pixel position (in the page) of the first point of the latent scatter's first trace.
_FIRST_POINT = """
(plot) => {
  const layout = plot._fullLayout, trace = plot._fullData[0];
  const box = plot.getBoundingClientRect();
  return [box.left + layout._size.l + layout.xaxis.d2p(trace.x[0]),
          box.top + layout._size.t + layout.yaxis.d2p(trace.y[0])];
}
"""


def click_latent_point(page, panel) -> None:
    """Click the first beat of the scatter and wait for the rerun that shows it."""
    plot = panel.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first
    plot.wait_for(state="visible", timeout=ACTION_TIMEOUT)
    x, y = plot.evaluate(_FIRST_POINT)
    rerun(page, lambda: page.mouse.click(x, y))
