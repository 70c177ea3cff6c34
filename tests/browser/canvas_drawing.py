"""The Draw page's canvas in a real browser: where it is, and strokes drawn on it with the mouse."""

from __future__ import annotations

from browser_harness import ACTION_TIMEOUT, rerun

CANVAS = "canvas.upper-canvas"  # Fabric's event layer; playwright's CSS pierces the component's shadow root


def canvas_box(page, timeout: float = ACTION_TIMEOUT) -> dict:
    canvas = page.locator(CANVAS)
    canvas.wait_for(state="visible", timeout=timeout)
    canvas.scroll_into_view_if_needed(timeout=timeout)
    return canvas.bounding_box()


def stroke(page, points, box: dict | None = None, *, release: bool = True) -> None:
    """One mouse stroke through ``points`` (pixels relative to the canvas's top-left corner).

    ``release=False`` leaves the button down, for a caller that times what the release triggers.
    """
    box = box or canvas_box(page)
    (x0, y0), *rest = points
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    for x, y in rest:
        page.mouse.move(box["x"] + x, box["y"] + y)
    if release:
        page.mouse.up()


def draw(page, *strokes, timeout: float = ACTION_TIMEOUT) -> None:
    """Draw ``strokes`` (each a list of (x, y) canvas pixels) and wait for the page's verdict run.

    The canvas reports on every mouse-up, so each stroke runs the script; the last one counts.
    """
    box = canvas_box(page)
    for points in strokes:
        rerun(page, lambda points=points: stroke(page, points, box), timeout)
