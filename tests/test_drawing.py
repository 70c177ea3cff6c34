"""core.drawing: canvas strokes -> beat values, and beats -> canvas paths."""

import json

import numpy as np
import pytest

from core.data import SERIES_LENGTH
from core.drawing import (
    MAX_POINTS,
    MAX_STROKES,
    CanvasGeometry,
    DrawingError,
    beat_to_path,
    drawing_to_model_input,
    initial_drawing,
    strokes_from_canvas_json,
    strokes_to_beat,
)

# 100 x 100 pixels, top = 4, bottom = -6: one pixel is 0.1 in value, y = 40 is value 0.
GEO = CanvasGeometry(width=100, height=100)


def path_obj(points, kind="Path"):
    """A freedraw object the way Fabric 7 writes it: M, then smoothed Q segments, then L."""
    (x0, y0), *rest = points
    commands = [["M", x0, y0]]
    commands += [["Q", x - 1, y - 1, x, y] for x, y in rest[:-1]]
    if rest:
        commands.append(["L", *rest[-1]])
    return {"type": kind, "left": 999, "top": 999, "path": commands}


def canvas(*objects):
    return {"version": "7.4.0", "objects": list(objects), "background": "#eee"}


# ------------------------------------------------------------------ geometry


def test_geometry_maps_pixels_to_values_and_back():
    assert GEO.y_to_value(0) == pytest.approx(4.0)
    assert GEO.y_to_value(100) == pytest.approx(-6.0)
    np.testing.assert_allclose(GEO.y_to_value([40, 50]), [0.0, -1.0])
    np.testing.assert_allclose(GEO.value_to_y([4.0, 0.0, -6.0]), [0.0, 40.0, 100.0])
    ys = np.array([3.0, 17.5, 88.0])
    np.testing.assert_allclose(GEO.value_to_y(GEO.y_to_value(ys)), ys)


@pytest.mark.parametrize("kwargs, message", [
    ({"width": 0, "height": 10}, "positive size"),
    ({"width": 10, "height": -5}, "positive size"),
    ({"width": 10, "height": 10, "value_top": -6.0, "value_bottom": 4.0}, "larger value"),
    ({"width": 10, "height": 10, "value_top": 1.0, "value_bottom": 1.0}, "larger value"),
])
def test_geometry_rejects_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CanvasGeometry(**kwargs)


# ------------------------------------------------------------------ reading canvas JSON


def test_strokes_take_end_points_in_order_and_ignore_left_top():
    strokes = strokes_from_canvas_json(canvas(path_obj([(0, 10), (20, 30), (50, 5)])))
    assert len(strokes) == 1
    np.testing.assert_array_equal(strokes[0], [[0, 10], [20, 30], [50, 5]])


def test_strokes_read_cubic_and_lowercase_type_and_skip_other_objects():
    fabric4 = {"type": "path", "path": [["M", 1, 2], ["C", 0, 0, 5, 5, 10, 20]]}
    rect = {"type": "Rect", "left": 5, "top": 5, "width": 10, "height": 10}
    line = {"type": "Line", "x1": -5, "y1": 0, "x2": 5, "y2": 0}
    strokes = strokes_from_canvas_json(canvas(rect, fabric4, line, path_obj([(3, 4), (8, 9)])))
    assert len(strokes) == 2
    np.testing.assert_array_equal(strokes[0], [[1, 2], [10, 20]])
    np.testing.assert_array_equal(strokes[1], [[3, 4], [8, 9]])


@pytest.mark.parametrize("data", [None, {}, {"objects": None}, {"objects": "x"}, canvas(),
                                  canvas("junk", {"type": "Path"}, {"type": "Path", "path": []})])
def test_strokes_tolerate_empty_or_missing(data):
    assert strokes_from_canvas_json(data) == []


def test_malformed_commands_are_skipped():
    obj = {"type": "Path", "path": [
        ["M", 0, 0], ["L", 5], ["Q", 1, 2, 3], ["L", "a", 1], ["Z"], "L 3 3", ["m", 1, 1],
        ["L", float("nan"), 2], None, [["L"], 1, 2], [], ["L", 10, 20], ["Q", 1, 1, "30", 40]]}
    (stroke,) = strokes_from_canvas_json(canvas(obj))
    np.testing.assert_array_equal(stroke, [[0, 0], [10, 20], [30, 40]])


# ------------------------------------------------------------------ strokes -> beat


def test_diagonal_line_is_a_linear_ramp():
    beat = strokes_to_beat([np.array([[0.0, 0.0], [100.0, 100.0]])], GEO)
    assert beat.shape == (SERIES_LENGTH,) and beat.dtype == np.float64
    assert beat[0] == pytest.approx(4.0) and beat[-1] == pytest.approx(-6.0)
    np.testing.assert_allclose(beat, np.linspace(4.0, -6.0, SERIES_LENGTH))


def test_custom_length_and_value_range():
    geo = CanvasGeometry(width=200, height=50, value_top=1.0, value_bottom=-1.0)
    beat = strokes_to_beat([np.array([[0.0, 50.0], [200.0, 0.0]])], geo, length=5)
    np.testing.assert_allclose(beat, [-1.0, -0.5, 0.0, 0.5, 1.0])


def test_unsorted_points_are_sorted_by_x():
    stroke = np.array([[100.0, 100.0], [0.0, 0.0], [50.0, 50.0]])
    beat = strokes_to_beat([stroke], GEO, length=3)
    np.testing.assert_allclose(beat, [4.0, -1.0, -6.0])


def test_duplicate_x_are_averaged():
    stroke = np.array([[0.0, 40.0], [50.0, 20.0], [50.0, 60.0], [50.0, 70.0], [100.0, 40.0]])
    beat = strokes_to_beat([stroke], GEO, length=3)
    # y at x=50 is mean(20, 60, 70) = 50 -> value -1
    np.testing.assert_allclose(beat, [0.0, -1.0, 0.0])


def test_several_strokes_are_joined():
    left = np.array([[0.0, 40.0], [40.0, 40.0]])   # value 0
    right = np.array([[60.0, 20.0], [100.0, 20.0]])  # value 2
    beat = strokes_to_beat([left, right], GEO, length=11)  # columns every 10 px
    np.testing.assert_allclose(beat[:5], 0.0)
    assert beat[5] == pytest.approx(1.0)  # halfway across the 40..60 gap
    np.testing.assert_allclose(beat[6:], 2.0)


def test_later_stroke_replaces_earlier_one_where_they_overlap():
    first = np.array([[0.0, 40.0], [100.0, 40.0]])  # flat at 0
    # endpoints of the old stroke are outside the new stroke's 30..70 range and survive
    second = np.array([[30.0, 10.0], [70.0, 10.0]])  # value 3
    beat = strokes_to_beat([first, second], GEO, length=11)
    np.testing.assert_allclose(beat[3:8], 3.0)
    assert beat[0] == pytest.approx(0.0) and beat[-1] == pytest.approx(0.0)
    # drawn the other way round, the long stroke wins everywhere
    np.testing.assert_allclose(strokes_to_beat([second, first], GEO, length=11), 0.0)


def test_partial_drawing_holds_end_values_flat():
    half = np.array([[0.0, 0.0], [50.0, 100.0]])  # 4 -> -6 over the left half
    beat = strokes_to_beat([half], GEO, length=11)
    np.testing.assert_allclose(beat[:6], np.linspace(4.0, -6.0, 6))
    np.testing.assert_allclose(beat[5:], -6.0)

    middle = np.array([[25.0, 40.0], [75.0, 90.0]])  # 0 -> -5, flat on both sides
    beat = strokes_to_beat([middle], GEO, length=5)
    np.testing.assert_allclose(beat, [0.0, 0.0, -2.5, -5.0, -5.0])


def test_points_outside_canvas_are_dropped_in_x_and_clipped_in_y():
    stroke = np.array([[-30.0, 100.0], [0.0, -50.0], [50.0, 40.0], [100.0, 500.0], [130.0, 0.0]])
    beat = strokes_to_beat([stroke], GEO, length=3)
    np.testing.assert_allclose(beat, [4.0, 0.0, -6.0])


def test_an_outside_stroke_does_not_erase_anything():
    inside = np.array([[0.0, 40.0], [100.0, 40.0]])
    outside = np.array([[110.0, 0.0], [200.0, 0.0]])
    np.testing.assert_allclose(strokes_to_beat([inside, outside], GEO, length=4), 0.0)


# ------------------------------------------------------------------ drawings that are not beats


@pytest.mark.parametrize("strokes", [[], [np.empty((0, 2))], [np.array([[150.0, 10.0], [300.0, 20.0]])]])
def test_nothing_drawn(strokes):
    with pytest.raises(DrawingError, match="Draw a beat first"):
        strokes_to_beat(strokes, GEO)


@pytest.mark.parametrize("stroke", [
    np.array([[50.0, 50.0]]),                              # a single point
    np.array([[50.0, 10.0], [50.0, 50.0], [51.0, 90.0]]),  # a vertical line
])
def test_dot_or_vertical_line(stroke):
    with pytest.raises(DrawingError, match="left to right across the canvas") as info:
        strokes_to_beat([stroke], GEO)
    assert "dot or an up-and-down line" in str(info.value)


def test_too_short_stroke():
    with pytest.raises(DrawingError, match="too short to be a beat") as info:
        strokes_to_beat([np.array([[10.0, 10.0], [15.0, 60.0]])], GEO)
    assert "5%" in str(info.value) and "left to right" in str(info.value)
    # 10% of the width is enough
    assert strokes_to_beat([np.array([[10.0, 10.0], [20.0, 60.0]])], GEO).shape == (SERIES_LENGTH,)


@pytest.mark.parametrize("data", [None, {}, canvas(), canvas({"type": "Rect"})])
def test_model_input_from_empty_canvas_is_friendly(data):
    with pytest.raises(DrawingError, match="Draw a beat first"):
        drawing_to_model_input(data, GEO)


def test_drawing_error_is_a_value_error():
    assert issubclass(DrawingError, ValueError)


# ------------------------------------------------------------------ beat -> path and back


def sine_beat(n=SERIES_LENGTH):
    t = np.linspace(0, 1, n)
    return 2.5 * np.sin(2 * np.pi * t) * np.exp(-3 * t) - 1.0


def test_round_trip_reproduces_a_beat():
    geo = CanvasGeometry(width=700, height=300)
    beat = sine_beat()
    data = json.loads(json.dumps(initial_drawing([beat], geo)))  # through JSON, as in the app
    strokes = strokes_from_canvas_json(data)
    assert len(strokes) == 1 and len(strokes[0]) == SERIES_LENGTH
    back = strokes_to_beat(strokes, geo)
    np.testing.assert_allclose(back, beat, atol=0.01)


def test_round_trip_through_fewer_points_resamples():
    beat = sine_beat(35)
    back = strokes_to_beat(strokes_from_canvas_json(initial_drawing([beat], GEO)), GEO)
    expected = np.interp(np.linspace(0, 1, SERIES_LENGTH), np.linspace(0, 1, 35), beat)
    np.testing.assert_allclose(back, expected, atol=0.01)


def test_beat_to_path_is_a_visible_fabric_path():
    obj = beat_to_path(np.array([0.0, 4.0, -6.0, 1.0]), GEO, stroke="red", stroke_width=5)
    assert obj["type"].lower() == "path" and obj["fill"] is None
    assert obj["stroke"] == "red" and obj["strokeWidth"] == 5
    assert [c[0] for c in obj["path"]] == ["M", "L", "L", "L"]
    xs = [c[1] for c in obj["path"]]
    ys = [c[2] for c in obj["path"]]
    np.testing.assert_allclose(xs, [0, 100 / 3, 200 / 3, 100], atol=0.01)
    np.testing.assert_allclose(ys, [40, 0, 100, 30])
    # left/top are the bounding-box centre, since Fabric 7's origin is the centre
    assert obj["originX"] == obj["originY"] == "center"
    assert (obj["left"], obj["top"], obj["width"], obj["height"]) == (50, 50, 100, 100)
    assert all(type(v) in (float, int) for c in obj["path"] for v in c[1:])  # JSON-safe


def test_beat_to_path_defaults_and_clipping():
    obj = beat_to_path(np.array([10.0, 0.0, -20.0]), GEO)
    assert obj["stroke"] == "#1f77b4" and obj["strokeWidth"] == 3
    assert [c[2] for c in obj["path"]] == [0.0, 40.0, 100.0]  # clipped onto the canvas
    with pytest.raises(ValueError):
        beat_to_path(np.array([1.0]), GEO)
    with pytest.raises(ValueError):
        beat_to_path(np.array([1.0, np.nan]), GEO)


def test_initial_drawing_holds_one_path_per_beat():
    drawing = initial_drawing([sine_beat(), np.zeros(10)], GEO)
    assert isinstance(drawing["version"], str)
    assert len(drawing["objects"]) == 2
    assert len(drawing["objects"][1]["path"]) == 10
    assert initial_drawing([], GEO)["objects"] == []


# ------------------------------------------------------------------ model input


def test_model_input_is_z_scored():
    geo = CanvasGeometry(width=700, height=300)
    x = drawing_to_model_input(initial_drawing([sine_beat()], geo), geo)
    assert x.shape == (SERIES_LENGTH,) and x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-5
    assert float(x.std(ddof=1)) == pytest.approx(1.0, abs=1e-4)


def test_model_input_ignores_pixel_scale():
    # the same shape drawn small or large gives the same model input
    small = canvas(path_obj([(0, 40), (50, 30), (100, 40)]))
    big = canvas(path_obj([(0, 40), (50, 10), (100, 40)]))
    np.testing.assert_allclose(drawing_to_model_input(small, GEO), drawing_to_model_input(big, GEO),
                               atol=1e-5)


@pytest.mark.parametrize("width", [480, 860, 1000])  # the Draw page's canvas follows the page's width
def test_the_same_beat_reads_the_same_on_any_canvas_size(width):
    reference = CanvasGeometry(width=700, height=300)
    other = CanvasGeometry(width=width, height=round(width * 3 / 7))
    beat = sine_beat()
    np.testing.assert_allclose(drawing_to_model_input(initial_drawing([beat], other), other),
                               drawing_to_model_input(initial_drawing([beat], reference), reference), atol=0.02)


def test_flat_line_gives_all_zeros():
    x = drawing_to_model_input(canvas(path_obj([(0, 70), (40, 70), (100, 70)])), GEO)
    assert x.shape == (SERIES_LENGTH,)
    np.testing.assert_array_equal(x, np.zeros(SERIES_LENGTH, dtype=np.float32))


def test_a_hand_wobble_of_two_pixels_is_still_a_flat_line():
    wobble = canvas(path_obj([(0, 70), (30, 71), (60, 69), (100, 70)]))  # 2 px tall
    np.testing.assert_array_equal(drawing_to_model_input(wobble, GEO), np.zeros(SERIES_LENGTH, np.float32))
    bump = canvas(path_obj([(0, 70), (50, 60), (100, 70)]))  # 10 px tall: a shape
    assert drawing_to_model_input(bump, GEO).std(ddof=1) == pytest.approx(1.0, abs=1e-5)


# ------------------------------------------------------------------ oversized canvas values


def test_a_million_point_canvas_value_is_refused_before_any_point_is_read():
    million = [["L", float(x % 100), 50.0] for x in range(1_000_000)]
    for crafted in (canvas({"type": "Path", "path": [["M", 0, 50], *million]}),
                    canvas(*({"type": "Path", "path": [["M", 0, 50], ["L", 99, 50]]} for _ in range(100_000)))):
        with pytest.raises(DrawingError, match="too big to read") as info:
            drawing_to_model_input(crafted, GEO)
        assert f"{MAX_POINTS:,} points" in str(info.value) and "Undo some strokes" in str(info.value)


def test_a_drawing_at_the_limits_is_read():
    per_stroke = MAX_POINTS // MAX_STROKES
    strokes = [path_obj([(x, 20 + (i % 60)) for x in np.linspace(i % 10, 90 + i % 10, per_stroke)])
               for i in range(MAX_STROKES)]
    assert len(drawing_to_model_input(canvas(*strokes), GEO)) == SERIES_LENGTH
    one_more = path_obj([(0, 50), (99, 50)])
    with pytest.raises(DrawingError, match="too big to read"):
        drawing_to_model_input(canvas(*strokes, one_more), GEO)
