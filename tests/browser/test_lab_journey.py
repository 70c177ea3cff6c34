"""The Insight lab and the Draw page's search in a real browser: an experiment runs from one
click to its chart, a click on the latent scatter shows that beat, the baselines table fills in,
and a drawn beat's verdict flips and loads back onto the canvas. Screenshots at 1024 and 1400."""

from __future__ import annotations

from browser_harness import button, main_text, open_page, rerun, screenshot
from lab_actions import click_latent_point, open_tab, run_experiment

EXPERIMENT_TIMEOUT = 300_000  # eight trainings on a busy 2-core box


def shoot(page, artifacts, name: str) -> None:
    for width in (1024, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(300)
        screenshot(page, artifacts / f"lab-{name}-{width}.png")


def test_lab_depth_latent_and_baselines(page, server, artifacts, no_error_shown):
    open_page(page, server, "/experiments")
    panel = open_tab(page, "Depth")
    run_experiment(page, panel, seeds=1, timeout=EXPERIMENT_TIMEOUT)
    assert "Depth does not help here" in panel.inner_text() or "The deeper network scores higher" in panel.inner_text()
    assert panel.get_by_role("button", name="Run").count() == 1  # Cancel swapped back for Run
    shoot(page, artifacts, "depth")

    panel = open_tab(page, "Latent space")
    click_latent_point(page, panel)
    assert "Test beat #" in panel.inner_text()
    shoot(page, artifacts, "latent")

    panel = open_tab(page, "Baselines")
    rerun(page, lambda: panel.get_by_text("Fit and compare the baselines").click(), timeout=120_000)
    text = panel.inner_text()
    for name in ("One-Class SVM", "nearest neighbour", "PCA reconstruction", "Isolation Forest"):
        assert name in text
    no_error_shown(page)


def test_draw_flip_and_load_into_the_canvas(page, server, artifacts, no_error_shown):
    open_page(page, server, "/draw")
    rerun(page, lambda: button(page, "R-on-T PVC").click())
    assert "Abnormal" in main_text(page)
    rerun(page, lambda: button(page, "Find the smallest flip").click(), timeout=120_000)
    assert "turns the verdict from abnormal into normal" in main_text(page)
    # at the same width: a narrower window re-reads the drawing onto a resized canvas, a new beat
    screenshot(page, artifacts / "lab-draw-flip-1400.png")
    rerun(page, lambda: button(page, "Load the changed beat into the canvas").click())
    assert "Loaded the changed beat from the search" in main_text(page)
    page.get_by_text("The model rebuilt your beat closely").wait_for(state="visible")  # now normal
    shoot(page, artifacts, "draw-loaded")
    no_error_shown(page)
