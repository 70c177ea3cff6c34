"""Beats from outside the dataset, as text: decode a file, split rows into numbers, prepare beats.

One beat per row, any length (resampled to 140), per-beat z-scored like every ECG5000 beat.
A row's separator is a semicolon if it has one, else a comma if it has one, else whitespace.
Anything that could be misread is refused with a reason instead: decimal commas (``1,5;2,3``),
empty fields (``1,,2``), rows too short to be a beat, NaN or infinite values.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from core.data import CLASS_NAMES, SERIES_LENGTH, resample, zscore

MIN_BEAT_VALUES = 20  # fewer points can't trace a heartbeat's shape (ECG5000 beats have 140)
_WHITESPACE = re.compile(r"\s+")


class BeatsFileError(ValueError):
    """A file that holds no rows to read; str(exc) says why, in words a learner can act on."""


@dataclass(frozen=True)
class BeatRow:
    """One beat row of a file: its 1-based line number and either a beat (and label) or an error."""

    row: int
    beat: np.ndarray | None = None  # (140,) float32, z-scored: the model's input
    label: int | None = None
    error: str | None = None


def decode_beats_file(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped) or UTF-16; BeatsFileError otherwise."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        elif _looks_like_utf16_without_bom(data):
            text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BeatsFileError("the file is not UTF-8 or UTF-16 text: save it as a plain CSV (UTF-8) with one "
                             "beat per row") from None
    if "\x00" in text:
        raise BeatsFileError("the file doesn't look like a text file: save it as a plain CSV with one beat per "
                             "row, numbers separated by commas, semicolons or spaces")
    if not text.strip():
        raise BeatsFileError("the file is empty: there are no beats in it to score")
    return text


def _looks_like_utf16_without_bom(data: bytes) -> bool:
    """Plain-ASCII text saved as UTF-16 has a zero byte in every other place."""
    if len(data) < 4 or len(data) % 2:
        return False
    return data[1::2].count(0) == len(data) // 2 or data[0::2].count(0) == len(data) // 2


def split_fields(line: str) -> list[str]:
    """A row's fields by its separator (see the module doc); ValueError if they'd be misread."""
    text = line.strip()
    if ";" in text:
        if "," in text:
            raise ValueError("the row has both ';' and ',': decimal commas (1,5) can't be read; "
                             "write decimals with a point (1.5)")
        fields = [field.strip() for field in text.split(";")]
    elif "," in text:
        fields = [field.strip() for field in text.split(",")]
    else:
        return _WHITESPACE.split(text) if text else []
    if fields[-1] == "":
        fields.pop()  # one trailing separator, as some spreadsheets write
    if "" in fields:
        raise ValueError(f"value {fields.index('') + 1} is empty (two separators in a row, like 1,,2): "
                         "fill it in or remove the extra separator")
    return fields


def parse_number(field: str, position: int) -> float:
    try:
        if "_" in field:  # Python would read 1_000 as 1000; a CSV never means that
            raise ValueError
        return float(field)
    except ValueError:
        hint = " (a decimal comma? write decimals with a point: 1.5)" if _WHITESPACE.search(field) else ""
        raise ValueError(f"value {position} ({field[:20]!r}) is not a number{hint}") from None


def as_label(value: float) -> int | None:
    """The UCR class label ``value`` stands for (a whole number 1-5), else None."""
    return int(value) if value.is_integer() and int(value) in CLASS_NAMES else None


def prepare_beat(values: Iterable[float]) -> np.ndarray:
    """Any-length finite series -> the model's input: resampled to 140, per-beat z-scored."""
    values = np.asarray(list(values), dtype=np.float64)
    if values.size < MIN_BEAT_VALUES:
        raise ValueError(f"a beat needs at least {MIN_BEAT_VALUES} values, got {values.size}")
    if not np.isfinite(values).all():
        raise ValueError("the beat holds NaN or infinite values")
    if values.size != SERIES_LENGTH:
        values = resample(values)
    return zscore(values)


def parse_row(line: str, has_label: bool = False) -> tuple[int | None, np.ndarray]:
    """One text row -> (its class label or None, the model input); ValueError says what is wrong."""
    numbers = [parse_number(field, position) for position, field in enumerate(split_fields(line), start=1)]
    if not has_label:
        return None, prepare_beat(numbers)
    label = as_label(numbers[0]) if numbers else None
    if label is None:
        first = repr(numbers[0]) if numbers else "missing"
        raise ValueError(f"the first value ({first}) is not a class label (a whole number from 1 to 5): "
                         "does this file really start each row with a label?")
    return label, prepare_beat(numbers[1:])


def read_rows(lines: Iterable[str], has_label: bool = False) -> list[BeatRow]:
    """Every non-blank line that is not a ``#`` comment, numbered from 1, as a beat or an error."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            label, beat = parse_row(line, has_label)
        except ValueError as exc:
            rows.append(BeatRow(number, error=str(exc)))
        else:
            rows.append(BeatRow(number, beat, label))
    return rows


def starts_with_labels(lines: Iterable[str]) -> bool:
    """True when every beat row's first value is a whole number 1-5, as in labelled UCR files."""
    firsts = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                fields = split_fields(line)
                firsts.append(as_label(parse_number(fields[0], 1)) if fields else None)
            except ValueError:
                return False
    return bool(firsts) and None not in firsts
