"""The Draw page: drawings are injected the way the canvas component returns them.

AppTest can't run the canvas's JavaScript, so a test writes what the component would send into
the canvas's widget state: ``{"drawing": {"raw": <Fabric JSON>, "data": None}}`` under the
canvas's current key (st_canvas hands ``drawing["raw"]`` back to the page as ``json_data``).
"""

import numpy as np
import pytest

from app.drawing_view import GEOMETRY, PRESET_KEY, VERSION_KEY, background_png, typical_beat
from app.state import MODEL_KEY, default_model, load_split
from core.drawing import initial_drawing

DRAW = "pages/draw.py"
W, H = GEOMETRY.width, GEOMETRY.height
ZERO_Y = float(GEOMETRY.value_to_y(0))


def canvas_key(at) -> str:
    return f"draw_canvas_{at.session_state[VERSION_KEY]}"


def draw(at, json_data):
    at.session_state[canvas_key(at)] = {"drawing": {"raw": json_data, "data": None}}
    return at.run()


def freedraw(points) -> dict:
    """One stroke as Fabric 7's freedraw writes it: M, smoothed Q segments, a final L."""
    (x0, y0), *rest = points
    commands = [["M", x0, y0]] + [["Q", x - 1, y - 1, x, y] for x, y in rest[:-1]]
    commands += [["L", *rest[-1]]] if rest else []
    return {"type": "Path", "version": "7.4.0", "left": 0, "top": 0, "path": commands}


def drawing(*strokes) -> dict:
    return {"version": "7.4.0", "objects": list(strokes)}


def flat_stroke(x_from=0, x_to=W, y=ZERO_Y) -> dict:
    return freedraw([(x, y) for x in np.linspace(x_from, x_to, 60)])


def typical(cls: int) -> np.ndarray:
    test = load_split().test
    return test.x[typical_beat(test, cls)]


def messages(at) -> dict[str, list[str]]:
    return {kind: [e.value for e in getattr(at, kind)] for kind in ("info", "warning", "success", "error")}


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def page(open_page):
    return open_page(DRAW)


def test_renders_an_empty_canvas_that_asks_for_a_drawing(page):
    assert page.title[0].value == "Draw a heartbeat"
    assert canvas_key(page) in page.session_state
    shown = {k: v for k, v in messages(page).items() if v}
    assert list(shown) == ["info"] and shown["info"][0].startswith("Draw a beat first")
    assert not page.metric
    assert page.file_uploader(key="draw_upload")


def test_a_drawn_normal_beat_gets_a_normal_verdict_with_score_and_threshold(page):
    beat = typical(1)
    draw(page, initial_drawing([beat], GEOMETRY))
    assert not page.exception
    verdict = messages(page)["success"][0]
    assert verdict.startswith("### Normal")
    model = default_model()
    expected = float(model.detector.decision_function(beat)[0])
    assert metric(page, "Anomaly score") == f"{expected:.3f}"
    assert metric(page, "Threshold") == f"{model.threshold:.3f}"
    assert f"{model.threshold - expected:.3f} below** the threshold {model.threshold:.3f}" in verdict
    assert page.get_by_key("draw_beat_chart")


def test_a_freedrawn_stroke_as_fabric_writes_it_is_scored(page):
    xs = np.linspace(0, W, 300)
    ys = GEOMETRY.value_to_y(np.interp(xs, np.linspace(0, W, 140), typical(1)))
    draw(page, drawing(freedraw(list(zip(xs, ys)))))
    assert messages(page)["success"][0].startswith("### Normal")


def test_a_flat_line_is_abnormal_and_says_why(page):
    draw(page, drawing(flat_stroke()))
    verdict = messages(page)["error"][0]
    assert verdict.startswith("### Abnormal: a flat line")
    assert metric(page, "Threshold") == f"{default_model().threshold:.3f}"


def test_a_pvc_beat_is_abnormal_by_how_much(page):
    draw(page, initial_drawing([typical(3)], GEOMETRY))
    verdict = messages(page)["error"][0]
    assert verdict.startswith("### Abnormal\n") and "above** the threshold" in verdict


def zigzag(n=40):
    return freedraw([(x, 0 if i % 2 else H) for i, x in enumerate(np.linspace(0, W, n))])


BAD_DRAWINGS = {
    "nothing drawn": (drawing(), "info", "Draw a beat first"),
    "no canvas data": (None, "info", "Draw a beat first"),
    "only other shapes": (drawing({"type": "Rect", "left": 5, "top": 5}), "info", "Draw a beat first"),
    "unreadable path": (drawing({"type": "Path", "path": [["Z"], ["M", "a", None], "junk"]}), "info",
                        "Draw a beat first"),
    "one dot": (drawing(freedraw([(300, 100), (300.5, 100.2)])), "warning", "looks like a dot"),
    "a vertical line": (drawing(freedraw([(350, y) for y in range(20, 280, 5)])), "warning", "up-and-down line"),
    "too short": (drawing(freedraw([(300, 100), (340, 120)])), "warning", "too short"),
    "strokes outside the canvas": (drawing(freedraw([(-400, 50), (-10, 90)]), freedraw([(W + 5, 9), (W + 300, 9)])),
                                   "warning", "Draw a beat first"),
    "a scribble over the full height": (drawing(zigzag()), "error", "### Abnormal"),
    "a million points": (drawing(freedraw([(x % W, 100.0) for x in range(1_000_000)])), "warning",
                         "too big to read"),
    "50 strokes": (drawing(*[flat_stroke(i * W / 50, (i + 1) * W / 50, y=20 + 5 * i) for i in range(50)]),
                   "error", "### Abnormal"),
}


@pytest.mark.parametrize("case", BAD_DRAWINGS)
def test_awkward_drawings_get_one_clear_message_and_leave_the_model_alone(page, case):
    json_data, kind, text = BAD_DRAWINGS[case]
    draw(page, json_data)
    assert not page.exception
    shown = {k: v for k, v in messages(page).items() if v}
    assert list(shown) == [kind] and len(shown[kind]) == 1 and text in shown[kind][0], shown
    assert MODEL_KEY not in page.session_state
    assert "Default model" in page.caption[0].value


@pytest.mark.parametrize("preset, kind, text", [("normal", "success", "### Normal"),
                                                ("r_on_t", "error", "### Abnormal\n"),
                                                ("pvc", "error", "### Abnormal\n"),
                                                ("flat", "error", "### Abnormal: a flat line")])
def test_presets_load_a_fresh_canvas_and_are_judged(page, preset, kind, text):
    before = canvas_key(page)
    page.button(key=f"draw_preset_{preset}").click().run()
    assert canvas_key(page) != before and page.session_state[PRESET_KEY] == preset
    assert messages(page)[kind][0].startswith(text)
    assert any(c.value.startswith("Loaded a") for c in page.caption)


def test_drawing_over_part_of_a_preset_flips_the_verdict(page):
    page.button(key="draw_preset_normal").click().run()
    assert messages(page)["success"]
    preset = initial_drawing([typical(1)], GEOMETRY)
    preset["objects"].append(flat_stroke(0.25 * W, 0.75 * W, y=ZERO_Y + 60))
    draw(page, preset)
    assert messages(page)["error"][0].startswith("### Abnormal")


def test_clear_empties_the_canvas_and_scores_nothing(page):
    draw(page, initial_drawing([typical(1)], GEOMETRY))
    assert page.metric
    before = canvas_key(page)
    page.button(key="draw_clear").click().run()
    assert canvas_key(page) != before and page.session_state[PRESET_KEY] is None
    assert messages(page)["info"][0].startswith("Draw a beat first")
    assert not page.metric and not messages(page)["success"] and not messages(page)["error"]


def test_the_guide_can_be_hidden(page):
    page.toggle(key="draw_guide").set_value(False).run()
    assert not page.exception
    assert background_png(False) != background_png(True)
    assert background_png(False).startswith(b"\x89PNG")
