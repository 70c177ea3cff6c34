"""core.data: split, composition, scaling."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import SPLIT_SEED, Beats, Composition, compose_training_set, resample, split_beats, zscore


def _rows(beats: Beats) -> set[bytes]:
    return {row.tobytes() for row in beats.x}


# ---------------------------------------------------------------- split


def test_split_sizes_are_60_20_20(split500):
    assert (len(split500.train), len(split500.validation), len(split500.test)) == (300, 100, 100)


def test_split_parts_are_disjoint_and_cover_every_beat(beats500, split500):
    train, val, test = (_rows(p) for p in (split500.train, split500.validation, split500.test))
    assert len(_rows(beats500)) == 500  # the rows are distinct, so they identify the beats
    assert not train & val and not train & test and not val & test
    assert train | val | test == _rows(beats500)


def test_split_keeps_each_beat_with_its_label(beats500, split500):
    label_of = {row.tobytes(): y for row, y in zip(beats500.x, beats500.y)}
    for part in (split500.train, split500.validation, split500.test):
        assert [label_of[row.tobytes()] for row in part.x] == part.y.tolist()


@pytest.mark.parametrize("part, fraction", [("train", 0.6), ("validation", 0.2), ("test", 0.2)])
def test_split_is_stratified_by_class(beats500, split500, part, fraction):
    beats = getattr(split500, part)
    for label in range(1, 6):
        total = int((beats500.y == label).sum())
        got = int((beats.y == label).sum())
        assert abs(got - fraction * total) <= 1, (label, got, fraction * total)


def test_split_is_deterministic_and_depends_on_the_seed(beats500, split500):
    again = split_beats(beats500)
    for a, b in zip((split500.train, split500.validation, split500.test),
                    (again.train, again.validation, again.test)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
    other = split_beats(beats500, seed=SPLIT_SEED + 1)
    assert _rows(other.test) != _rows(split500.test)


def test_beats_is_anomaly_and_normal(make_beats):
    beats = make_beats({1: 3, 2: 2, 4: 1})
    assert beats.is_anomaly.tolist() == [0, 0, 0, 1, 1, 1]
    assert beats.normal.shape == (3, 140)
    with pytest.raises(ValueError, match="beats need x"):
        Beats(np.zeros((3, 140)), np.zeros(2))


# ---------------------------------------------------------------- composition


@pytest.fixture(scope="module")
def pool(make_beats):
    """300 normal and 200 abnormal beats."""
    return make_beats({1: 300, 2: 150, 3: 30, 4: 15, 5: 5}, seed=7)


@pytest.mark.parametrize("size, fraction, expected", [
    (None, 0.0, (300, 0)),      # every normal beat
    (None, 0.5, (200, 200)),    # limited by the 200 abnormal beats
    (None, 0.2, (300, 75)),     # limited by the 300 normal beats: 375 beats
    (None, 0.7, (85, 200)),     # int(200 / 0.7) = 285 beats, round(199.5) = 200 abnormal
    (100, 0.0, (100, 0)),
    (100, 0.25, (75, 25)),
    (10, 0.33, (7, 3)),
    (500, 0.4, (300, 200)),     # the whole pool
    (1, 0.0, (1, 0)),
])
def test_composition_counts(pool, size, fraction, expected):
    assert Composition(size, fraction).counts(pool) == expected


@pytest.mark.parametrize("fraction", np.round(np.arange(0, 0.71, 0.01), 2).tolist())
def test_composition_of_largest_size_always_fits_the_pool(pool, fraction):
    n_normal, n_abnormal = Composition(None, fraction).counts(pool)
    assert n_normal <= 300 and n_abnormal <= 200
    size = n_normal + n_abnormal
    assert abs(n_abnormal - fraction * size) <= 0.5
    # and it is the largest: one more beat at this fraction would need too many of one kind
    assert (size + 1) * (1 - fraction) > 300 - 1e-9 or (size + 1) * fraction > 200 - 1e-9


@pytest.mark.parametrize("size, fraction, message", [
    (301, 0.0, r"300 normal and 200 abnormal beats; 301 beats at 0% abnormal needs 301 normal"),
    (400, 0.6, r"400 beats at 60% abnormal needs 160 normal and 240 abnormal"),
    (501, 0.4, r"needs 301 normal and 200 abnormal"),
])
def test_composition_refuses_what_the_pool_cannot_supply(pool, size, fraction, message):
    with pytest.raises(ValueError, match=message):
        Composition(size, fraction).counts(pool)


@pytest.mark.parametrize("fraction", [0.71, 0.8, 1.0, -0.1])
def test_composition_refuses_abnormal_fraction_outside_0_to_0_7(fraction):
    with pytest.raises(ValueError, match=r"abnormal fraction must be between 0 and 0.7, got"):
        Composition(100, fraction)


@pytest.mark.parametrize("size", [0, -5])
def test_composition_refuses_empty_training_set(size):
    with pytest.raises(ValueError, match="at least 1 beat"):
        Composition(size)


def test_composition_of_largest_size_refuses_pool_without_abnormal_beats(make_beats):
    only_normal = make_beats({1: 50})
    with pytest.raises(ValueError):
        Composition(None, 0.3).counts(only_normal)


def test_compose_training_set_draws_the_counts_seeded_without_repeats(pool):
    composition = Composition(200, 0.3, seed=5)
    train = compose_training_set(pool, composition)
    assert len(train) == 200
    assert int(train.is_anomaly.sum()) == 60
    assert len(_rows(train)) == 200 and _rows(train) <= _rows(pool)
    again = compose_training_set(pool, composition)
    np.testing.assert_array_equal(train.x, again.x)
    other = compose_training_set(pool, Composition(200, 0.3, seed=6))
    assert _rows(other) != _rows(train)


# ---------------------------------------------------------------- scaling


def test_zscore_gives_mean_0_and_sample_sd_1():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 5.0, (4, 140))
    z = zscore(x)
    assert z.dtype == np.float32 and z.shape == (4, 140)
    np.testing.assert_allclose(z.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(z.std(axis=1, ddof=1), 1, atol=1e-6)
    np.testing.assert_allclose(z, (x - x.mean(1, keepdims=True)) / x.std(1, ddof=1, keepdims=True), atol=1e-6)


def test_zscore_hand_example():
    np.testing.assert_allclose(zscore([1.0, 2.0, 3.0]), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("value", [0.0, 4.2, -1e6])
def test_zscore_flat_beat_becomes_zeros(value):
    out = zscore(np.full(140, value))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, np.zeros(140, np.float32))


def test_zscore_is_idempotent_on_z_scored_rows(beats500):
    np.testing.assert_allclose(zscore(beats500.x), beats500.x, atol=1e-5)
    once = zscore(np.random.default_rng(1).normal(size=(3, 140)))
    np.testing.assert_allclose(zscore(once), once, atol=1e-6)


def test_zscore_does_not_depend_on_offset_or_scale():
    x = np.sin(np.linspace(0, 6, 140))
    np.testing.assert_allclose(zscore(100 + 37 * x), zscore(x), atol=1e-5)


def test_resample_keeps_endpoints_and_linear_series():
    out = resample(np.array([0.0, 10.0]))
    assert out.shape == (140,)
    np.testing.assert_allclose(out, np.linspace(0, 10, 140))
    out = resample(np.array([1.0, 5.0, 2.0]), length=5)
    np.testing.assert_allclose(out, [1.0, 3.0, 5.0, 3.5, 2.0])


def test_resample_of_140_values_is_identity():
    x = np.random.default_rng(2).normal(size=140)
    np.testing.assert_allclose(resample(x), x)


@pytest.mark.parametrize("bad", [np.array([1.0]), np.array([]), np.zeros((2, 140))])
def test_resample_refuses_too_short_or_2d(bad):
    with pytest.raises(ValueError, match="at least 2 values"):
        resample(bad)
