"""The Introduction's static SVG figures (app.static_figures) and the gallery's text helpers."""

import base64
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.gallery import explanation, markdown_table, score_against_threshold
from core.detector import ABOVE, BELOW, FLAT, BeatVerdict
from app.static_figures import beat_svg, histogram_svg, markdown_picture, network_svg

T = np.arange(140)
BEAT = np.sin(T / 9)
REBUILT = 0.8 * np.sin(T / 9) + 0.1


def ids(svg: str) -> set[str]:
    return set(re.findall(r'<g id="([^"]+)"', svg))


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_a_beat_figure_shows_input_reconstruction_and_the_shaded_error():
    svg = beat_svg(BEAT, REBUILT)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert {"input", "reconstruction", "error"} <= ids(svg)
    assert {"time step", "value (z-score)", "input", "reconstruction", "error"} <= set(texts(svg))


def test_the_same_figure_gives_the_same_bytes():
    """Stable ids and no timestamp: cached pictures and browser caches see one figure, not many."""
    assert beat_svg(BEAT, REBUILT) == beat_svg(BEAT, REBUILT)
    assert beat_svg(BEAT, REBUILT) != beat_svg(BEAT, BEAT)


def test_a_histogram_draws_the_threshold_only_when_given():
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.gamma(2, 0.02, 600), rng.gamma(6, 0.08, 400)])
    labels = np.repeat([0, 1], [600, 400])
    with_line = histogram_svg(scores, labels, threshold=0.132)
    assert {"normal", "abnormal", "threshold"} <= ids(with_line)
    assert "threshold 0.132" in texts(with_line)
    assert "threshold" not in ids(histogram_svg(scores, labels))


def test_a_histogram_keeps_the_x_range_it_is_given():
    scores = np.linspace(0, 0.3, 100)
    labels = np.arange(100) % 2
    x_labels = [float(t) for t in texts(histogram_svg(scores, labels, x_max=1.2)) if re.fullmatch(r"\d+\.\d+", t)]
    assert max(x_labels) == pytest.approx(1.2)


def test_the_network_figure_has_one_bar_per_layer_labelled_with_its_units():
    widths = [140, 64, 16, 4, 16, 64, 140]
    svg = network_svg(widths)
    assert {f"layer-{i}" for i in range(len(widths))} <= ids(svg)
    assert "layer-7" not in ids(svg)
    labels = texts(svg)
    assert {"input", "enc 1", "enc 2", "bottleneck", "dec 2", "dec 1", "output"} <= set(labels)
    assert [label for label in labels if label.isdigit()] == [str(w) for w in widths]


def test_sessions_drawing_at_once_get_the_same_figures_as_one_at_a_time():
    beats = [np.roll(BEAT, shift) for shift in range(0, 40, 5)]
    alone = [beat_svg(beat, REBUILT) for beat in beats]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda beat: beat_svg(beat, REBUILT), beats))
    assert together == alone


def test_markdown_table_puts_columns_side_by_side():
    table = markdown_table({"Say normal": {"Accuracy": "58.4%", "F1": "0.0%"},
                            "This model": {"Accuracy": "98.0%", "F1": "97.6%"}})
    assert table.splitlines() == ["| | Say normal | This model |", "|---|---|---|",
                                  "| **Accuracy** | 58.4% | 98.0% |", "| **F1** | 0.0% | 97.6% |"]


@pytest.mark.parametrize("score, sign", [(0.393, ">"), (0.132, "≤"), (0.05, "≤")])
def test_the_verdict_shows_the_rule_at_work(score, sign):
    judged = BeatVerdict(BEAT, REBUILT, score, threshold=0.132, reason=ABOVE if sign == ">" else BELOW)
    assert score_against_threshold(judged) == f"Anomaly score **{score:.3f}** {sign} threshold **0.132**"
    assert judged.verdict == ("abnormal" if sign == ">" else "normal")
    assert explanation(judged, 2).startswith("Right." if sign == ">" else "Wrong: a missed anomaly.")


def test_a_flat_beat_says_why_it_is_abnormal_under_the_threshold():
    judged = BeatVerdict(np.zeros(140), REBUILT, 0.05, threshold=0.132, reason=FLAT)
    assert score_against_threshold(judged) == ("Anomaly score **0.050** ≤ threshold **0.132**, but the beat is a flat line: "
                                  "no variation, so no heartbeat in it")
    assert judged.verdict == "abnormal"
    assert explanation(judged, 1) == ("Wrong: a false alarm. This is a **Normal** beat (class 1), yet the model "
                                      "says **abnormal**.")


def test_a_figure_is_as_wide_as_any_column_and_keeps_its_aspect_ratio():
    """Pages show pictures at most 100 % of their column wide: a large intrinsic size in px lets
    that rule fit each figure to its column."""
    svg = beat_svg(BEAT, REBUILT, size=(6.0, 2.8))
    width, height = map(float, re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg).groups())
    view_width, view_height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    assert width >= 1000
    assert width / height == pytest.approx(view_width / view_height, rel=0.01)


def test_markdown_picture_embeds_the_svg_with_its_alt_text():
    svg = network_svg([140, 8, 140])
    picture = markdown_picture(svg, "The network [8 numbers]")
    alt, data = re.fullmatch(r"!\[([^\]]*)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", picture).groups()
    assert alt == "The network (8 numbers)"  # brackets would end the alt text early
    assert base64.b64decode(data).decode() == svg
