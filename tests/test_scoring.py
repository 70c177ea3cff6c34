"""core.scoring: text rows of numbers -> model input -> scores, with per-row errors."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import resample, zscore
from core.detector import AutoencoderDetector
from core.scoring import parse_row, prepare_beat, score_rows

WAVE = np.sin(np.linspace(0, 2 * np.pi, 140)) * 3 + 10   # a raw, unscaled beat
WAVE_INPUT = zscore(WAVE)


def as_row(values, sep=","):
    return sep.join(f"{v:.10g}" for v in values)


@pytest.mark.parametrize("sep", [",", ";", " ", "\t", ", ", " ; ", "  \t "])
def test_parse_row_separators(sep):
    out = parse_row(as_row(WAVE, sep))
    assert out.shape == (140,) and out.dtype == np.float32
    np.testing.assert_allclose(out, WAVE_INPUT, atol=1e-5)


def test_parse_row_ignores_surrounding_whitespace_and_trailing_separator():
    np.testing.assert_allclose(parse_row("  " + as_row(WAVE) + ",\n"), WAVE_INPUT, atol=1e-5)


def test_parse_row_z_scores():
    out = parse_row(as_row(WAVE))
    assert abs(float(out.mean())) < 1e-5 and float(out.std(ddof=1)) == pytest.approx(1, abs=1e-5)


@pytest.mark.parametrize("line, message", [
    ("1,2,abc,4", r"value 3 \('abc'\) is not a number"),
    ("x 1 2", r"value 1 \('x'\) is not a number"),
    ("1;2;3;" + "9" * 30 + "z", r"value 4 \('99999999999999999999'\) is not a number"),  # cut to 20 chars
    ("1,2,3,4e", r"value 4 \('4e'\) is not a number"),
])
def test_parse_row_names_the_value_that_is_not_a_number(line, message):
    with pytest.raises(ValueError, match=message):
        parse_row(line)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf"])
def test_parse_row_refuses_nan_and_infinite(bad):
    with pytest.raises(ValueError, match="the beat holds NaN or infinite values"):
        parse_row(f"1,2,{bad},4")


@pytest.mark.parametrize("line", ["", "5", "   "])
def test_parse_row_refuses_fewer_than_2_values(line):
    with pytest.raises(ValueError, match=r"a beat needs at least 2 values, got [01]"):
        parse_row(line)


@pytest.mark.parametrize("length", [2, 50, 139, 141, 1000])
def test_rows_of_other_lengths_are_resampled_to_140(length):
    values = np.sin(np.linspace(0, 2 * np.pi, length)) + np.linspace(0, 1, length)
    out = parse_row(as_row(values))
    assert out.shape == (140,)
    np.testing.assert_allclose(out, zscore(resample(values)), atol=1e-5)
    if length == 1000:  # a finely sampled version of the same curve gives nearly the same beat
        fine = np.sin(np.linspace(0, 2 * np.pi, 140)) + np.linspace(0, 1, 140)
        np.testing.assert_allclose(out, zscore(fine), atol=1e-3)


def test_has_label_drops_the_first_value():
    np.testing.assert_allclose(parse_row("3," + as_row(WAVE), has_label=True), parse_row(as_row(WAVE)))
    with pytest.raises(ValueError, match="at least 2 values, got 1"):
        parse_row("1, 5", has_label=True)


def test_prepare_beat_flat_beat_is_zeros():
    np.testing.assert_array_equal(prepare_beat([2.0] * 140), np.zeros(140, np.float32))


def test_prepare_beat_is_scale_free():
    np.testing.assert_allclose(prepare_beat(WAVE * 1000 - 5), prepare_beat(WAVE), atol=1e-5)


# ---------------------------------------------------------------- score_rows


@pytest.fixture
def lines(split500):
    normal = split500.test.x[split500.test.y == 1][0]
    abnormal = split500.test.x[split500.test.y == 3][0]
    return normal, abnormal, [
        "# header comment",
        as_row(normal),                 # row 2
        "",
        "   ",
        "1,2,oops",                     # row 5: error
        as_row(abnormal, ";"),          # row 6
        "   # indented comment",
        "nan,1,2",                      # row 8: error
        as_row(resample(normal, 70)),   # row 9: resampled
    ]


def test_score_rows_scores_good_rows_and_reports_bad_ones(fitted_detector, lines):
    normal, abnormal, text = lines
    rows = list(score_rows(fitted_detector, text))
    assert [r["row"] for r in rows] == [2, 5, 6, 8, 9]
    assert rows[1] == {"row": 5, "error": "value 3 ('oops') is not a number"}
    assert rows[3] == {"row": 8, "error": "the beat holds NaN or infinite values"}
    expected = fitted_detector.decision_function(np.stack([normal, abnormal]))
    assert set(rows[0]) == {"row", "score", "anomaly"}
    assert rows[0]["score"] == pytest.approx(expected[0], rel=1e-4, abs=1e-6)
    assert rows[2]["score"] == pytest.approx(expected[1], rel=1e-4, abs=1e-6)
    assert rows[0]["anomaly"] is False and rows[2]["anomaly"] is True
    assert rows[2]["score"] > fitted_detector.threshold_ > rows[0]["score"]
    assert rows[4]["anomaly"] is False and isinstance(rows[4]["score"], float)


def test_score_rows_with_labels(fitted_detector, split500):
    beats = split500.test
    text = [as_row([label, *x]) for label, x in zip(beats.y[:20], beats.x[:20])]
    rows = list(score_rows(fitted_detector, text, has_label=True))
    scores = fitted_detector.decision_function(beats.x[:20])
    np.testing.assert_allclose([r["score"] for r in rows], scores, rtol=1e-4, atol=1e-6)
    assert [r["anomaly"] for r in rows] == (scores > fitted_detector.threshold_).tolist()


def test_score_rows_without_threshold_says_none(fitted_detector, lines):
    plain = AutoencoderDetector(fitted_detector.spec, fitted_detector.config)
    plain.model_ = fitted_detector.model_
    rows = [r for r in score_rows(plain, lines[2]) if "score" in r]
    assert len(rows) == 3 and all(r["anomaly"] is None for r in rows)


def test_score_rows_with_only_bad_or_no_rows(fitted_detector):
    assert list(score_rows(fitted_detector, ["a,b", "", "#x"])) == [
        {"row": 1, "error": "value 1 ('a') is not a number"}]
    assert list(score_rows(fitted_detector, [])) == []


def test_a_flat_row_is_an_anomaly_whatever_its_score(fitted_detector):
    rows = list(score_rows(fitted_detector, ["2,2,2,2,2,2", "0,1,0,-1,0,1,0"]))
    assert rows[0]["flat"] is True and rows[0]["anomaly"] is True
    assert "flat" not in rows[1]


def test_is_flat():
    from core.data import is_flat

    assert is_flat(np.zeros(140)).tolist() == [True]
    assert is_flat(np.array([[5.0] * 140, np.sin(np.linspace(0, 6, 140))])).tolist() == [True, False]
