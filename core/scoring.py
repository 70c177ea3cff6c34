"""Scoring a file of beats (the Draw page's upload and ``python -m core score``).

``score_text`` reads the rows (``core.beats_csv``) and judges every readable one with one call to
``AutoencoderDetector.judge``: the same rule, reasons included, as the drawn and the test beats.
With class labels it also compares each verdict with its label (label 1 = normal, 2-5 = abnormal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.beats_csv import BeatRow, read_rows, starts_with_labels
from core.data import NORMAL_CLASS
from core.detector import AutoencoderDetector, BeatVerdict, Judgement
from core.metrics import Confusion


@dataclass(frozen=True)
class ScoredFile:
    """Every beat row of a file in file order, and the judgement of the readable ones."""

    rows: tuple[BeatRow, ...]
    judgement: Judgement | None  # beat i of it is the i-th readable row
    has_label: bool
    looks_labelled: bool  # without has_label: every row starts with a whole number 1-5

    @property
    def readable(self) -> list[BeatRow]:
        return [row for row in self.rows if row.error is None]

    @property
    def skipped(self) -> list[BeatRow]:
        return [row for row in self.rows if row.error is not None]

    def verdict(self, row: int) -> BeatVerdict:
        """The verdict of the beat on line ``row``; KeyError if that line holds no readable beat."""
        numbers = [r.row for r in self.readable]
        if row not in numbers:
            raise KeyError(f"line {row} holds no readable beat")
        return self.judgement[numbers.index(row)]

    def records(self) -> list[dict]:
        """One JSON-ready dict per row: row, (label,) score, anomaly, reason; or row and error.

        A score that is not a finite number is None (strict JSON has no NaN).
        """
        verdicts = iter(range(len(self.judgement)) if self.judgement is not None else ())
        records = []
        for row in self.rows:
            if row.error is not None:
                records.append({"row": row.row, "error": row.error})
                continue
            judged = self.judgement[next(verdicts)]
            record = {"row": row.row, "score": judged.score if math.isfinite(judged.score) else None,
                      "anomaly": judged.abnormal, "reason": judged.reason}
            records.append({**record, "label": row.label} if self.has_label else record)
        return records

    def counts(self) -> dict[str, int]:
        abnormal = int(self.judgement.abnormal.sum()) if self.judgement is not None else 0
        return {"normal": len(self.readable) - abnormal, "abnormal": abnormal, "skipped": len(self.skipped)}

    def confusion(self) -> Confusion | None:
        """Verdicts against labels (abnormal = positive), or None without labels."""
        if not self.has_label or self.judgement is None:
            return None
        truth = np.array([row.label != NORMAL_CLASS for row in self.readable])
        said = self.judgement.abnormal
        return Confusion(tp=int((said & truth).sum()), fp=int((said & ~truth).sum()),
                         tn=int((~said & ~truth).sum()), fn=int((~said & truth).sum()))

    def summary(self) -> dict:
        """Counts, and with labels the confusion and accuracy: JSON-ready."""
        summary = {**self.counts()}
        confusion = self.confusion()
        if confusion is not None:
            summary.update(confusion=confusion.to_dict(), accuracy=confusion.metrics()["accuracy"])
        return summary


def score_text(detector: AutoencoderDetector, lines: list[str], has_label: bool = False) -> ScoredFile:
    """Judge every readable row of ``lines`` in one forward pass."""
    rows = tuple(read_rows(lines, has_label))
    beats = [row.beat for row in rows if row.error is None]
    judgement = detector.judge(np.stack(beats)) if beats else None
    return ScoredFile(rows, judgement, has_label, not has_label and starts_with_labels(lines))
