"""ECG5000: find or fetch it, verify it, split it, compose training sets, scale beats.

Where the data comes from, in this order:
1. an explicit ``path`` argument (a folder holding the UCR files),
2. the ``ECG5000_DIR`` environment variable,
3. the git-ignored cache ``data/ecg5000/`` in this repository,
4. a download of the UCR archive's zip into that cache (pooch: progress, unzip, cache).

Scaling decision: every beat in ECG5000 is already z-normalised per series (mean 0, sd 1),
so the model's input space *is* "per-beat z-score". We keep it that way and apply the same
per-beat z-score to anything else we score (drawn or uploaded beats). A min-max scaler fitted
on the training set would leak the training composition into the drawn-beat path and make a
drawing's verdict depend on its pixel scale; per-beat z-score is stateless, idempotent on the
real data, and makes a drawing's verdict depend on its shape only.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.model_selection import train_test_split

SERIES_LENGTH = 140
ENV_VAR = "ECG5000_DIR"
CACHE_DIR = Path(__file__).resolve().parent.parent / "data" / "ecg5000"
UCR_URL = "https://timeseriesclassification.com/aeon-toolkit/ECG5000.zip"

CLASS_NAMES = {1: "Normal", 2: "R-on-T PVC", 3: "PVC", 4: "SP or EB", 5: "UB"}
NORMAL_CLASS = 1

# What the UCR files must hold. The fingerprint (see ``fingerprint``) does not depend on the
# file form (.txt, .ts, .arff) or number formatting.
EXPECTED = {
    "TRAIN": {"rows": 500, "counts": {1: 292, 2: 177, 3: 10, 4: 19, 5: 2},
              "fingerprint": (46605.39990, 991737.27868, 11613357.3266)},
    "TEST": {"rows": 4500, "counts": {1: 2627, 2: 1590, 3: 86, 4: 175, 5: 22},
             "fingerprint": (420484.17342, 9288003.81945, 942408695.034)},
}
FINGERPRINT_TOLERANCE = 1e-6  # relative; the .ts/.arff forms may round differently

SPLIT_SEED = 20_191  # fixed forever: changing it changes every reported number
SPLIT_FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


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


# ---------------------------------------------------------------- locating / fetching


def resolve_data_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The first folder of the search order that holds both UCR text files, else None."""
    if path is not None:  # an explicit folder is never silently replaced by another copy
        if not _holds_ecg5000(Path(path)):
            raise DatasetError(f"no ECG5000 files in {path}: expected ECG5000_TRAIN.txt and "
                               "ECG5000_TEST.txt (or the .ts / .arff forms of the UCR archive)")
        return Path(path)
    candidates = [Path(os.environ[ENV_VAR])] if os.environ.get(ENV_VAR) else []
    candidates.append(CACHE_DIR)
    return next((folder for folder in candidates if _holds_ecg5000(folder)), None)


def _holds_ecg5000(folder: Path) -> bool:
    return bool(_find_split_file(folder, "TRAIN") and _find_split_file(folder, "TEST"))


def download_ecg5000(
    dest: str | os.PathLike = CACHE_DIR,
    *,
    url: str = UCR_URL,
    progress: ProgressCallback | None = None,
) -> Path:
    """Download the UCR zip into ``dest``, unzip it, verify the content; returns ``dest``."""
    import pooch  # heavy-ish and only needed on first use

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = pooch.retrieve(
        url,
        known_hash=None,  # the content is verified after parsing, whatever its file form
        fname="ECG5000.zip",
        path=dest,
        progressbar=_PoochProgress(progress) if progress else False,
    )
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            name = Path(member).name
            if name.startswith("ECG5000_") and Path(name).suffix in _PARSERS:
                (dest / name).write_bytes(zf.read(member))
    Path(archive).unlink()
    if not _holds_ecg5000(dest):
        raise DatasetError(f"the archive from {url} holds no ECG5000 train/test files")
    load_ucr(dest)  # reads dest itself; raises with a clear message if it is not ECG5000
    return dest


def load_ucr(path: str | os.PathLike | None = None, *, download: bool = False,
             progress: ProgressCallback | None = None) -> Beats:
    """All 5000 beats (UCR train file first, then test), verified.

    ``download=True`` fetches the archive into the cache when no local copy is found.
    """
    folder = resolve_data_dir(path)
    if folder is None:
        if not download:
            raise DatasetError(
                "ECG5000 not found. Put ECG5000_TRAIN.txt and ECG5000_TEST.txt in a folder and "
                f"set {ENV_VAR}=/that/folder, or copy them into {CACHE_DIR}, or allow the "
                f"download from {UCR_URL}."
            )
        folder = download_ecg5000(CACHE_DIR, progress=progress)
    parts = [_read_verified(_find_split_file(folder, which), which) for which in ("TRAIN", "TEST")]
    return Beats(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]))


class _PoochProgress:
    """Adapts pooch's tqdm-like protocol to a plain ``(done, total)`` callback."""

    def __init__(self, callback: ProgressCallback):
        self.callback, self.total, self.done = callback, 0, 0

    def update(self, n: int) -> None:
        self.done += n
        self.callback(min(self.done, self.total) if self.total else self.done, self.total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- parsing / verifying


def _parse_txt(text: str) -> np.ndarray:
    return np.loadtxt(text.splitlines(), dtype=np.float64, ndmin=2)


def _parse_ts(text: str) -> np.ndarray:
    """sktime/aeon .ts: header lines start with '#' or '@'; rows are 'v1,v2,...:label'."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#@":
            continue
        values, _, label = line.rpartition(":")
        rows.append([float(label)] + [float(v) for v in values.split(",")])
    return np.array(rows, dtype=np.float64)


def _parse_arff(text: str) -> np.ndarray:
    """Weka .arff: after '@data', rows are 'v1,...,v140,label'."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    rows = []
    for line in lines[start:]:
        line = line.strip()
        if line and not line.startswith("%"):
            *values, label = line.split(",")
            rows.append([float(label)] + [float(v) for v in values])
    return np.array(rows, dtype=np.float64)


_PARSERS = {".txt": _parse_txt, ".ts": _parse_ts, ".arff": _parse_arff}


def _find_split_file(folder: Path, which: str) -> Path | None:
    for suffix in _PARSERS:
        candidate = folder / f"ECG5000_{which}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read_verified(file: Path, which: str, expected: dict | None = None) -> Beats:
    expected = expected or EXPECTED[which]
    try:
        table = _PARSERS[file.suffix](file.read_text())
    except (ValueError, StopIteration, UnicodeDecodeError) as exc:
        raise DatasetError(f"{file}: not a readable UCR file ({exc})") from exc
    return verify_table(table, expected, source=str(file))


def fingerprint(values: np.ndarray) -> tuple[float, float, float]:
    """Three sums that catch changed, sign-flipped, or moved values: sum of |v|, sum of v
    weighted by position in the beat, and sum of |v| weighted by row number."""
    values = np.asarray(values, np.float64)
    columns = np.arange(1, values.shape[1] + 1)
    rows = np.arange(1, values.shape[0] + 1)
    return (float(np.abs(values).sum()), float((values * columns).sum()),
            float((np.abs(values).sum(axis=1) * rows).sum()))


def verify_table(table: np.ndarray, expected: dict, source: str) -> Beats:
    """Check a parsed UCR table (label + 140 values per row) against what ECG5000 must be."""
    want_shape = (expected["rows"], SERIES_LENGTH + 1)
    if table.shape != want_shape:
        raise DatasetError(f"{source}: expected shape {want_shape[0]}x{want_shape[1]}, got "
                           f"{'x'.join(map(str, table.shape))}")
    if not np.isfinite(table).all():
        bad = int((~np.isfinite(table)).any(axis=1).sum())
        raise DatasetError(f"{source}: {bad} rows hold NaN or infinite values")
    labels = table[:, 0]
    counts = {int(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True))}
    if counts != expected["counts"]:
        raise DatasetError(f"{source}: class counts {counts}, expected {expected['counts']}")
    found = fingerprint(table[:, 1:])
    if not np.allclose(found, expected["fingerprint"], rtol=FINGERPRINT_TOLERANCE, atol=1e-3):
        raise DatasetError(f"{source}: values differ from the UCR ECG5000 release "
                           f"(fingerprint {np.round(found, 3).tolist()}, expected {list(expected['fingerprint'])})")
    return Beats(table[:, 1:].astype(np.float32), labels.astype(np.int64))


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

    def counts(self, pool: Beats) -> tuple[int, int]:
        """(normal, abnormal) beats to draw from ``pool``; raises if the pool can't supply them."""
        have_normal = int((pool.y == NORMAL_CLASS).sum())
        have_abnormal = len(pool) - have_normal
        p = self.abnormal_fraction
        size = self.size
        if size is None:
            size = have_normal if p == 0 else int(min(have_normal / (1 - p), have_abnormal / p))
            if size < 1:
                raise ValueError(f"the training pool has {have_normal} normal and {have_abnormal} "
                                 f"abnormal beats: not enough for a training set at {p:.0%} abnormal")
        n_abnormal = int(round(size * p))
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
    """Per-beat z-score (the dataset's own normalisation); a flat beat becomes all zeros."""
    beats = np.asarray(beats, dtype=np.float64)
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
    return np.interp(np.linspace(0, 1, length), np.linspace(0, 1, len(values)), values)
