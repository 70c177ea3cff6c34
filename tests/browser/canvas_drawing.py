"""The Draw page's canvas in a real browser: where it is, and strokes drawn on it with the mouse."""

from __future__ import annotations

import time

from browser_harness import ACTION_TIMEOUT, rerun, wait_idle  # first: it puts the repository on sys.path
from app.drawing_view import canvas_geometry as app_canvas_geometry
from core.drawing import CanvasGeometry

CANVAS = "canvas.upper-canvas"  # Fabric's event layer; playwright's CSS pierces the component's shadow root


PROBE = ".st-key-draw_available_width"  # the element that measures the column for the canvas


def canvas_box(page, timeout: float = ACTION_TIMEOUT) -> dict:
    """The canvas's box once it has the size the page chose for the column's width: the first
    script run draws a default-sized canvas until the browser has reported that width."""
    canvas = page.locator(CANVAS)
    deadline = time.monotonic() + timeout / 1000
    while True:
        canvas.wait_for(state="visible", timeout=timeout)
        wait_idle(page, timeout=timeout)
        canvas.scroll_into_view_if_needed(timeout=timeout)
        box, column = canvas.bounding_box(), page.locator(PROBE).bounding_box()
        if column and box and abs(box["width"] - app_canvas_geometry(int(column["width"])).width) <= 1:
            return box
        if time.monotonic() > deadline:
            raise TimeoutError(f"the canvas ({box}) never took the size for a {column} column")
        page.wait_for_timeout(100)


def canvas_geometry(page, timeout: float = ACTION_TIMEOUT) -> CanvasGeometry:
    """The canvas as the page drew it: its size follows the page's width (app/drawing_view)."""
    box = canvas_box(page, timeout)
    return CanvasGeometry(width=round(box["width"]), height=round(box["height"]))


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
