"""Shared fixtures.

Sections: keep each one self-contained so that fixtures for other kinds of tests
(browser / AppTest) can be added below without touching these.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

# ============================================================================
# Core unit tests (tests/test_*.py): synthetic beats, a small trained detector,
# and the real ECG5000 folder (skipped when absent).
# ============================================================================

# ECG5000's class proportions at one tenth of its size (its UCR train file's counts).
ECG_LIKE_COUNTS = {1: 292, 2: 177, 3: 10, 4: 19, 5: 2}


def synthetic_beats(counts: dict[int, int], seed: int = 0, length: int = 140):
    """Beats: class 1 = one sine period (jittered, noisy); classes 2-5 = other shapes; z-scored rows.

    Every row is distinct (continuous noise), so rows can serve as their own identity.
    """
    from core.data import Beats, zscore

    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, length)
    rows, labels = [], []
    for label, n in counts.items():
        amp = rng.uniform(0.8, 1.2, (n, 1))
        phase = rng.uniform(-0.05, 0.05, (n, 1))
        tt = t + phase
        shape = {
            1: np.sin(2 * np.pi * tt),
            2: -np.sin(2 * np.pi * tt) + np.sin(6 * np.pi * tt),    # inverted, extra wiggle
            3: 2 * ((tt * 3) % 1.0) - 1,                           # sawtooth
            4: np.sin(8 * np.pi * tt),                             # too fast
            5: np.where(np.abs(tt - 0.5) < 0.03, 5.0, 0.0),        # flat with one spike
        }[label]
        rows.append(amp * shape + rng.normal(0, 0.05, (n, length)))
        labels.append(np.full(n, label))
    return Beats(zscore(np.concatenate(rows)), np.concatenate(labels).astype(np.int64))


@pytest.fixture(scope="session")
def make_beats():
    """make_beats({1: 100, 2: 20}, seed=3) -> a synthetic ``Beats``."""
    return synthetic_beats


@pytest.fixture(scope="session")
def beats500():
    """500 synthetic beats in ECG5000-like class proportions."""
    return synthetic_beats(ECG_LIKE_COUNTS, seed=0)


@pytest.fixture(scope="session")
def split500(beats500):
    from core.data import split_beats

    return split_beats(beats500)


@pytest.fixture(scope="session")
def fitted_detector(split500):
    """A detector trained briefly on the synthetic normal beats, calibrated on validation.

    Shared by several modules: treat it as read-only.
    """
    from core.detector import AutoencoderDetector
    from core.evaluation import evaluate
    from core.model import AutoencoderSpec
    from core.train import TrainConfig

    detector = AutoencoderDetector(AutoencoderSpec((32, 8)),
                                   TrainConfig(epochs=15, batch_size=32, device="cpu", seed=1))
    detector.fit(split500.train.normal, split500.validation.normal)
    evaluate(detector, split500)
    return detector


@pytest.fixture(scope="session")
def synthetic_ucr(tmp_path_factory):
    """A folder with ECG5000_TRAIN.txt / ECG5000_TEST.txt of synthetic beats with ECG5000's exact
    row and class counts, and the ``EXPECTED`` dict they satisfy (monkeypatch it into core.ucr).
    """
    import copy

    from core.ucr import EXPECTED, _parse_txt, fingerprint

    folder = tmp_path_factory.mktemp("synthetic_ucr")
    expected = copy.deepcopy(EXPECTED)
    for seed, which in enumerate(("TRAIN", "TEST")):
        beats = synthetic_beats(expected[which]["counts"], seed=100 + seed)
        table = np.column_stack([beats.y, beats.x])
        file = folder / f"ECG5000_{which}.txt"
        np.savetxt(file, table, fmt="%.5f")
        expected[which]["fingerprint"] = fingerprint(_parse_txt(file.read_text())[:, 1:])
    return folder, expected


@pytest.fixture(scope="session")
def real_data_dir():
    """The real ECG5000 folder (ECG5000_DIR, else the repo cache data/ecg5000).

    Skips when absent, except under CI=true, where CI must test on the real data.
    """
    from core.ucr import CACHE_DIR, ENV_VAR, resolve_data_dir

    folder = resolve_data_dir()
    if folder is None:
        message = (f"real ECG5000 data not found: set {ENV_VAR}=/folder/with/ECG5000_TRAIN.txt "
                   f"and ECG5000_TEST.txt, or copy them into {CACHE_DIR}")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ[ENV_VAR] = str(folder)  # for app and server processes started by tests
    return folder
