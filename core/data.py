"""ECG5000 beats: split them, compose training sets, scale beats (``core.ucr`` finds and reads
the files).

Scaling decision: every beat in ECG5000 is already z-normalised per series (mean 0, sd 1),
so the model's input space *is* "per-beat z-score". We keep it that way and apply the same
per-beat z-score to anything else we score (drawn or uploaded beats). A min-max scaler fitted
on the training set would leak the training composition into the drawn-beat path and make a
drawing's verdict depend on its pixel scale; per-beat z-score is stateless, idempotent on the
real data, and makes a drawing's verdict depend on its shape only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

SERIES_LENGTH = 140

CLASS_NAMES = {1: "Normal", 2: "R-on-T PVC", 3: "PVC", 4: "SP or EB", 5: "UB"}
NORMAL_CLASS = 1

SPLIT_SEED = 20_191  # fixed forever: changing it changes every reported number
SPLIT_FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}


class DatasetError(RuntimeError):
    """ECG5000 is missing, unreadable, or not what it should be."""


@dataclass(frozen=True)
class Beats:
    """A set of beats: ``x`` (n, 140) float32 and UCR class labels ``y`` (n,) in 1..5."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        if self.x.ndim != 2 or self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"beats need x (n, length) and y (n,), got {self.x.shape} and {self.y.shape}")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def is_anomaly(self) -> np.ndarray:
        """1 for abnormal beats (classes 2-5), 0 for normal (class 1)."""
        return (self.y != NORMAL_CLASS).astype(np.int8)

    @property
    def normal(self) -> np.ndarray:
        return self.x[self.y == NORMAL_CLASS]

    def subset(self, index: np.ndarray) -> "Beats":
        return Beats(self.x[index], self.y[index])


@dataclass(frozen=True)
class Split:
    """The one fixed split of all 5000 beats: train pool / validation / test.

    The test beats are never seen by training or by threshold choice.
    """

    train: Beats
    validation: Beats
    test: Beats


# ---------------------------------------------------------------- split / compose / scale


def split_beats(beats: Beats, seed: int = SPLIT_SEED) -> Split:
    """Stratified by class, disjoint, deterministic: 60 % train pool, 20 % validation, 20 % test."""
    index = np.arange(len(beats))
    test_fraction = SPLIT_FRACTIONS["test"]
    val_fraction = SPLIT_FRACTIONS["validation"] / (1 - test_fraction)
    rest, test = train_test_split(index, test_size=test_fraction, stratify=beats.y, random_state=seed)
    train, val = train_test_split(rest, test_size=val_fraction, stratify=beats.y[rest], random_state=seed)
    return Split(*(beats.subset(np.sort(part)) for part in (train, val, test)))


@dataclass(frozen=True)
class Composition:
    """How many training beats, and what fraction of them abnormal (0 to 0.7).

    ``size=None`` means every normal beat of the pool (with ``abnormal_fraction=0``) or the
    largest size the pool allows for the fraction.
    """

    size: int | None = None
    abnormal_fraction: float = 0.0
    seed: int = 0

    MAX_ABNORMAL_FRACTION = 0.7

    def __post_init__(self):
        if not 0 <= self.abnormal_fraction <= self.MAX_ABNORMAL_FRACTION:
            raise ValueError(f"abnormal fraction must be between 0 and {self.MAX_ABNORMAL_FRACTION}, "
                             f"got {self.abnormal_fraction}")
        if self.size is not None and self.size < 1:
            raise ValueError(f"training-set size must be at least 1 beat, got {self.size}")

    def abnormal_count(self, size: int) -> int:
        """Abnormal beats in a training set of ``size``: the fraction rounded to whole beats, so a
        small set's true share can differ (70 % of 1 beat is 1 beat, 100 %)."""
        return int(round(size * self.abnormal_fraction))

    def counts(self, pool: Beats) -> tuple[int, int]:
        """(normal, abnormal) beats to draw from ``pool``; raises if the pool can't supply them."""
        have_normal = int((pool.y == NORMAL_CLASS).sum())
        return self.counts_from(have_normal, len(pool) - have_normal)

    def counts_from(self, have_normal: int, have_abnormal: int) -> tuple[int, int]:
        """(normal, abnormal) beats to draw from a pool holding this many of each."""
        p = self.abnormal_fraction
        size = self.size
        if size is None:
            size = have_normal if p == 0 else int(min(have_normal / (1 - p), have_abnormal / p))
            if size < 1:
                raise ValueError(f"the training pool has {have_normal} normal and {have_abnormal} "
                                 f"abnormal beats: not enough for a training set at {p:.0%} abnormal")
        n_abnormal = self.abnormal_count(size)
        n_normal = size - n_abnormal
        if n_normal > have_normal or n_abnormal > have_abnormal:
            raise ValueError(
                f"the training pool has {have_normal} normal and {have_abnormal} abnormal beats; "
                f"{size} beats at {p:.0%} abnormal needs {n_normal} normal and {n_abnormal} abnormal"
            )
        return n_normal, n_abnormal


def compose_training_set(pool: Beats, composition: Composition) -> Beats:
    """Sample ``composition`` from the train pool (seeded); the labels stay for inspection only."""
    n_normal, n_abnormal = composition.counts(pool)
    rng = np.random.default_rng(composition.seed)
    normal_idx = np.flatnonzero(pool.y == NORMAL_CLASS)
    abnormal_idx = np.flatnonzero(pool.y != NORMAL_CLASS)
    chosen = np.concatenate([rng.choice(normal_idx, n_normal, replace=False),
                             rng.choice(abnormal_idx, n_abnormal, replace=False)])
    return pool.subset(np.sort(chosen))


def zscore(beats: np.ndarray) -> np.ndarray:
    """Per-beat z-score (the dataset's own normalisation); a flat beat becomes all zeros.

    A z-score doesn't depend on the beat's scale, so each beat is first divided by its largest
    magnitude: beats near 1e155 or 1e308 would otherwise overflow the squares and come out flat
    or NaN. A beat is flat when its spread is under 1e-8 of that magnitude (float32 noise).
    """
    beats = np.asarray(beats, dtype=np.float64)
    magnitude = np.abs(beats).max(axis=-1, keepdims=True)
    beats = beats / np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, 1.0)
    centred = beats - beats.mean(axis=-1, keepdims=True)
    sd = beats.std(axis=-1, ddof=1, keepdims=True)
    return (centred / np.where(sd > 1e-8, sd, 1.0)).astype(np.float32)


def is_flat(beats: np.ndarray) -> np.ndarray:
    """Per beat: True when it has no variation (a z-scored flat beat is all zeros).

    Every real ECG5000 beat has spread 1, so a flat one lies outside what any model here has
    seen: it has no heartbeat in it, whatever its reconstruction error says.
    """
    beats = np.atleast_2d(np.asarray(beats, dtype=np.float64))
    return np.ptp(beats, axis=-1) <= 1e-6 * np.maximum(1.0, np.abs(beats).max(axis=-1))


def resample(values: np.ndarray, length: int = SERIES_LENGTH) -> np.ndarray:
    """Linear resampling of a 1-D series to ``length`` points (endpoints kept)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"a beat needs at least 2 values, got {values.size}")
    # Interpolating values / magnitude, not the values, keeps slopes between values near 1e308 finite.
    magnitude = np.abs(values).max()
    magnitude = magnitude if np.isfinite(magnitude) and magnitude > 0 else 1.0
    return magnitude * np.interp(np.linspace(0, 1, length), np.linspace(0, 1, len(values)), values / magnitude)
