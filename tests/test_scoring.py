"""core.beats_csv (text rows -> beats) and core.scoring (a file's beats -> verdicts, with labels)."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from core.beats_csv import (MIN_BEAT_VALUES, BeatsFileError, decode_beats_file, parse_row, prepare_beat,
                            split_fields, starts_with_labels)
from core.data import resample, zscore
from core.scoring import score_text

WAVE = np.sin(np.linspace(0, 2 * np.pi, 140)) * 3 + 10   # a raw, unscaled beat
WAVE_INPUT = zscore(WAVE)


def as_row(values, sep=","):
    return sep.join(f"{v:.10g}" for v in values)


def beat(line: str, has_label: bool = False) -> np.ndarray:
    return parse_row(line, has_label)[1]


# ---------------------------------------------------------------- decoding a file


def test_utf8_with_or_without_a_byte_order_mark_and_utf16_read_the_same():
    text = "1,2,3\n4,5,6\n"
    for data in (text.encode(), codecs.BOM_UTF8 + text.encode(), text.encode("utf-16"),
                 text.encode("utf-16-be"), text.encode("utf-16-le")):
        assert decode_beats_file(data) == text, data[:4]


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b" \n\t\n", "the file is empty"),
    (codecs.BOM_UTF8, "the file is empty"),
    (b"\xfa\xfb 1,2", "the file is not UTF-8 or UTF-16 text"),
    (b"1,2,\x00\x01,3", "the file doesn't look like a text file"),
])
def test_files_that_hold_no_text_are_refused_with_a_reason(data, message):
    with pytest.raises(BeatsFileError, match=message):
        decode_beats_file(data)


# ---------------------------------------------------------------- one row


@pytest.mark.parametrize("sep", [",", ";", " ", "\t", ", ", " ; ", "  \t "])
def test_parse_row_separators(sep):
    label, out = parse_row(as_row(WAVE, sep))
    assert label is None and out.shape == (140,) and out.dtype == np.float32
    np.testing.assert_allclose(out, WAVE_INPUT, atol=1e-5)


def test_parse_row_ignores_surrounding_whitespace_and_one_trailing_separator():
    np.testing.assert_allclose(beat("  " + as_row(WAVE) + ",\n"), WAVE_INPUT, atol=1e-5)
    np.testing.assert_allclose(beat(as_row(WAVE, ";") + ";"), WAVE_INPUT, atol=1e-5)


def test_parse_row_z_scores():
    out = beat(as_row(WAVE))
    assert abs(float(out.mean())) < 1e-5 and float(out.std(ddof=1)) == pytest.approx(1, abs=1e-5)


@pytest.mark.parametrize("line, message", [
    ("1,2,abc,4", r"value 3 \('abc'\) is not a number"),
    ("x 1 2", r"value 1 \('x'\) is not a number"),
    ("1;2;3;" + "9" * 30 + "z", r"value 4 \('99999999999999999999'\) is not a number"),  # cut to 20 chars
    ("1,2,3,4e", r"value 4 \('4e'\) is not a number"),
    ("1_000,2,3", r"value 1 \('1_000'\) is not a number"),
    ("1,5 2,3 4,1", r"value 2 \('5 2'\) is not a number \(a decimal comma\? write decimals with a point: 1\.5\)"),
])
def test_parse_row_names_the_value_that_is_not_a_number(line, message):
    with pytest.raises(ValueError, match=message):
        parse_row(line)


@pytest.mark.parametrize("line, message", [
    ("1,5;2,3;4,7", r"the row has both ';' and ',': decimal commas \(1,5\) can't be read"),
    ("1,,2", r"value 2 is empty \(two separators in a row, like 1,,2\)"),
    (";1;2", r"value 1 is empty"),
    ("1,2,,", r"value 3 is empty"),
])
def test_decimal_commas_and_empty_fields_are_refused_not_misread(line, message):
    with pytest.raises(ValueError, match=message):
        split_fields(line)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf"])
def test_parse_row_refuses_nan_and_infinite(bad):
    with pytest.raises(ValueError, match="the beat holds NaN or infinite values"):
        parse_row(f"{bad}," + as_row(WAVE))


@pytest.mark.parametrize("line, count", [("", 0), ("5", 1), ("1,2", 2), ("1,2,3", 3), (as_row(range(19)), 19)])
def test_a_row_of_fewer_than_20_values_is_no_beat(line, count):
    with pytest.raises(ValueError, match=rf"a beat needs at least 20 values, got {count}$"):
        parse_row(line)
    assert MIN_BEAT_VALUES == 20


@pytest.mark.parametrize("length", [20, 50, 139, 141, 1000])
def test_rows_of_other_lengths_are_resampled_to_140(length):
    values = np.sin(np.linspace(0, 2 * np.pi, length)) + np.linspace(0, 1, length)
    out = beat(as_row(values))
    assert out.shape == (140,)
    np.testing.assert_allclose(out, zscore(resample(values)), atol=1e-5)
    if length == 1000:  # a finely sampled version of the same curve gives nearly the same beat
        fine = np.sin(np.linspace(0, 2 * np.pi, 140)) + np.linspace(0, 1, 140)
        np.testing.assert_allclose(out, zscore(fine), atol=1e-3)


def test_a_label_is_a_whole_number_from_1_to_5_and_is_dropped():
    label, out = parse_row("3," + as_row(WAVE), has_label=True)
    assert label == 3
    np.testing.assert_allclose(out, beat(as_row(WAVE)))
    assert parse_row("1.0000000e+00 " + as_row(WAVE, " "), has_label=True)[0] == 1
    for first in ("0.25", "6", "0"):
        with pytest.raises(ValueError, match=rf"the first value \({float(first)!r}\) is not a class label "
                                             r"\(a whole number from 1 to 5\)"):
            parse_row(f"{first}," + as_row(WAVE), has_label=True)


def test_a_file_whose_rows_all_start_with_1_to_5_looks_labelled():
    assert starts_with_labels(["# comment", "1," + as_row(WAVE), "", "4 " + as_row(WAVE, " ")])
    assert not starts_with_labels(["1," + as_row(WAVE), "0.5," + as_row(WAVE)])
    assert not starts_with_labels(["# nothing"])


def test_prepare_beat_flat_beat_is_zeros():
    np.testing.assert_array_equal(prepare_beat([2.0] * 140), np.zeros(140, np.float32))


def test_prepare_beat_is_scale_free_even_near_the_float_limit():
    for scale in (1000.0, 1e-30, 1e155, 1e300):
        np.testing.assert_allclose(prepare_beat(WAVE * scale - 5 * scale), prepare_beat(WAVE), atol=1e-5)


def test_huge_finite_values_give_a_finite_beat():
    spike = prepare_beat([1.7e308] + [0.0] * 29)
    assert np.isfinite(spike).all() and spike.argmax() == 0
    assert float(spike.std(ddof=1)) == pytest.approx(1, abs=1e-5)


# ---------------------------------------------------------------- a file


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
        "nan," + as_row(normal),        # row 8: error
        as_row(resample(normal, 70)),   # row 9: resampled
        "1,2,3",                        # row 10: too short
        as_row([2.0] * 30),             # row 11: flat
    ]


def test_a_file_is_judged_row_by_row_with_one_forward_pass(fitted_detector, lines, monkeypatch):
    normal, abnormal, text = lines
    passes = []
    forward = fitted_detector.model_.forward
    monkeypatch.setattr(fitted_detector.model_, "forward", lambda x: passes.append(len(x)) or forward(x))
    records = score_text(fitted_detector, text).records()
    assert passes == [4]  # the four readable rows, in one batch
    assert [r["row"] for r in records] == [2, 5, 6, 8, 9, 10, 11]
    assert records[1] == {"row": 5, "error": "value 3 ('oops') is not a number"}
    assert records[3] == {"row": 8, "error": "the beat holds NaN or infinite values"}
    assert records[5] == {"row": 10, "error": "a beat needs at least 20 values, got 3"}
    monkeypatch.undo()
    expected = fitted_detector.decision_function(np.stack([normal, abnormal]))
    assert records[0]["score"] == pytest.approx(expected[0], rel=1e-4, abs=1e-6)
    assert records[2]["score"] == pytest.approx(expected[1], rel=1e-4, abs=1e-6)
    assert (records[0]["anomaly"], records[0]["reason"]) == (False, "below")
    assert (records[2]["anomaly"], records[2]["reason"]) == (True, "above")
    assert records[4]["anomaly"] is False and isinstance(records[4]["score"], float)
    assert (records[6]["anomaly"], records[6]["reason"]) == (True, "flat")
    assert records[6]["score"] < fitted_detector.threshold_  # flagged whatever its score


def test_a_labelled_file_is_compared_with_its_labels(fitted_detector, split500):
    beats = split500.test
    text = [as_row([label, *x]) for label, x in zip(beats.y[:40], beats.x[:40])] + ["7," + as_row(WAVE)]
    scored = score_text(fitted_detector, text, has_label=True)
    records = scored.records()
    scores = fitted_detector.decision_function(beats.x[:40])
    np.testing.assert_allclose([r["score"] for r in records[:40]], scores, rtol=1e-4, atol=1e-6)
    assert [r["label"] for r in records[:40]] == beats.y[:40].tolist()
    assert "is not a class label" in records[40]["error"]
    said, truth = scores > fitted_detector.threshold_, beats.is_anomaly[:40].astype(bool)
    confusion = scored.confusion()
    assert confusion.to_dict() == {"tp": int((said & truth).sum()), "fp": int((said & ~truth).sum()),
                                   "tn": int((~said & ~truth).sum()), "fn": int((~said & truth).sum())}
    summary = scored.summary()
    assert summary["accuracy"] == pytest.approx(float((said == truth).mean()))
    assert (summary["normal"], summary["abnormal"], summary["skipped"]) == (int((~said).sum()), int(said.sum()), 1)


def test_without_labels_there_is_no_confusion_but_a_hint_when_it_looks_labelled(fitted_detector, split500):
    beats = split500.test
    text = [as_row([label, *x]) for label, x in zip(beats.y[:3], beats.x[:3])]
    scored = score_text(fitted_detector, text)
    assert scored.confusion() is None and "confusion" not in scored.summary()
    assert scored.looks_labelled and not score_text(fitted_detector, text, has_label=True).looks_labelled


def test_a_file_with_only_bad_or_no_rows_judges_nothing(fitted_detector):
    scored = score_text(fitted_detector, ["a,b", "", "#x"])
    assert scored.judgement is None
    assert scored.records() == [{"row": 1, "error": "value 1 ('a') is not a number"}]
    assert scored.summary() == {"normal": 0, "abnormal": 0, "skipped": 1}
    assert score_text(fitted_detector, []).records() == []
