"""The UCR archive's ECG5000 files: find or fetch them, read any of their forms, verify them.

Where the data comes from, in this order:
1. an explicit ``path`` argument (a folder holding the UCR files),
2. the ``ECG5000_DIR`` environment variable,
3. the git-ignored cache ``data/ecg5000/`` in this repository,
4. a download of the UCR archive's zip into that cache (pooch: progress, unzip, cache).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from core.data import SERIES_LENGTH, Beats, DatasetError

ENV_VAR = "ECG5000_DIR"
CACHE_DIR = Path(__file__).resolve().parent.parent / "data" / "ecg5000"
UCR_URL = "https://timeseriesclassification.com/aeon-toolkit/ECG5000.zip"

# What the UCR files must hold. The fingerprint (see ``fingerprint``) does not depend on the
# file form (.txt, .ts, .arff) or number formatting.
EXPECTED = {
    "TRAIN": {"rows": 500, "counts": {1: 292, 2: 177, 3: 10, 4: 19, 5: 2},
              "fingerprint": (46605.39990, 991737.27868, 11613357.3266)},
    "TEST": {"rows": 4500, "counts": {1: 2627, 2: 1590, 3: 86, 4: 175, 5: 22},
             "fingerprint": (420484.17342, 9288003.81945, 942408695.034)},
}
FINGERPRINT_TOLERANCE = 1e-6  # relative; the .ts/.arff forms may round differently

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


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
