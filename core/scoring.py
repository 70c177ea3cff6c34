"""Beats from outside the dataset (CSV rows, uploads): parse, resample to 140, scale, score."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

import numpy as np

from core.data import SERIES_LENGTH, is_flat, resample, zscore
from core.detector import AutoencoderDetector

_SEPARATOR = re.compile(r"[,;\s]+")


def prepare_beat(values: Iterable[float]) -> np.ndarray:
    """Any-length finite series -> the model's input: resampled to 140, per-beat z-scored."""
    values = np.asarray(list(values), dtype=np.float64)
    if values.size < 2:
        raise ValueError(f"a beat needs at least 2 values, got {values.size}")
    if not np.isfinite(values).all():
        raise ValueError("the beat holds NaN or infinite values")
    if values.size != SERIES_LENGTH:
        values = resample(values)
    return zscore(values)


def parse_row(line: str, has_label: bool = False) -> np.ndarray:
    """One text row of numbers (comma, semicolon or whitespace separated) -> model input."""
    fields = [f for f in _SEPARATOR.split(line.strip()) if f]
    numbers = []
    for position, field in enumerate(fields, start=1):
        try:
            numbers.append(float(field))
        except ValueError:
            raise ValueError(f"value {position} ({field[:20]!r}) is not a number") from None
    return prepare_beat(numbers[1:] if has_label else numbers)


def score_rows(detector: AutoencoderDetector, lines: Iterable[str], has_label: bool = False) -> Iterator[dict]:
    """Per non-blank, non-'#' line (numbered from 1): {"row", "score", "anomaly"} or {"row", "error"}.

    A flat row (no variation) is an anomaly whatever its score, and says so with "flat": True.
    """
    parsed: list[tuple[int, np.ndarray | str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            parsed.append((number, parse_row(line, has_label)))
        except ValueError as exc:
            parsed.append((number, str(exc)))
    good = [beat for _, beat in parsed if not isinstance(beat, str)]
    scores = iter(detector.decision_function(np.stack(good)) if good else [])
    threshold = getattr(detector, "threshold_", None)
    for number, beat in parsed:
        if isinstance(beat, str):
            yield {"row": number, "error": beat}
        else:
            score = float(next(scores))
            flat = bool(is_flat(beat)[0])
            row = {"row": number, "score": score,
                   "anomaly": None if threshold is None else flat or score > threshold}
            yield {**row, "flat": True} if flat else row
