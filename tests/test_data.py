"""core.data: split, composition, scaling, parsing, verifying, locating and downloading ECG5000."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile

import numpy as np
import pytest

import core.data as data
from core.data import (
    fingerprint,
    Beats,
    Composition,
    DatasetError,
    compose_training_set,
    download_ecg5000,
    load_ucr,
    resample,
    split_beats,
    verify_table,
    zscore,
)


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
    other = split_beats(beats500, seed=data.SPLIT_SEED + 1)
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


# ---------------------------------------------------------------- verify_table

TINY_EXPECTED = {"rows": 6, "counts": {1: 3, 2: 2, 3: 1}}


@pytest.fixture
def tiny_table():
    rng = np.random.default_rng(3)
    table = np.column_stack([[1, 1, 2, 1, 3, 2], rng.normal(size=(6, 140))])
    expected = {**TINY_EXPECTED, "fingerprint": fingerprint(table[:, 1:])}
    return table, expected


def test_verify_table_accepts_a_matching_table(tiny_table):
    table, expected = tiny_table
    beats = verify_table(table, expected, source="tiny.txt")
    assert beats.x.shape == (6, 140) and beats.x.dtype == np.float32
    assert beats.y.tolist() == [1, 1, 2, 1, 3, 2] and beats.y.dtype == np.int64


def test_verify_table_refuses_wrong_shape(tiny_table):
    table, expected = tiny_table
    with pytest.raises(DatasetError, match=r"tiny\.txt: expected shape 6x141, got 5x141"):
        verify_table(table[:5], expected, source="tiny.txt")
    with pytest.raises(DatasetError, match=r"tiny\.txt: expected shape 6x141, got 6x140"):
        verify_table(table[:, :140], expected, source="tiny.txt")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_verify_table_refuses_non_finite_values(tiny_table, bad):
    table, expected = tiny_table
    table = table.copy()
    table[2, 50] = bad
    table[4, 7] = bad
    with pytest.raises(DatasetError, match=r"tiny\.txt: 2 rows hold NaN or infinite values"):
        verify_table(table, expected, source="tiny.txt")


def test_verify_table_refuses_wrong_class_counts(tiny_table):
    table, expected = tiny_table
    table = table.copy()
    table[4, 0] = 2
    with pytest.raises(DatasetError, match=r"tiny\.txt: class counts \{1: 3, 2: 3\}, expected"):
        verify_table(table, expected, source="tiny.txt")


@pytest.mark.parametrize("change", [1e-2, -1e-2, 1.0])
def test_verify_table_refuses_wrong_fingerprint(tiny_table, change):
    table, expected = tiny_table
    table = table.copy()
    table[0, 10] += change if table[0, 10] > 0 else -change
    with pytest.raises(DatasetError, match=r"tiny\.txt: values differ from the UCR ECG5000 release"):
        verify_table(table, expected, source="tiny.txt")


@pytest.mark.parametrize("damage", ["flip a sign", "swap two values in a beat", "swap two beats"])
def test_verify_table_refuses_values_changed_without_changing_their_magnitudes(tiny_table, damage):
    table, expected = tiny_table
    table = table.copy()
    if damage == "flip a sign":
        table[2, 7] = -table[2, 7]
    elif damage == "swap two values in a beat":
        table[2, [7, 90]] = table[2, [90, 7]]
    else:
        table[[0, 3], 1:] = table[[3, 0], 1:]  # both class 1: labels and counts unchanged
    with pytest.raises(DatasetError, match=r"values differ from the UCR ECG5000 release"):
        verify_table(table, expected, source="tiny.txt")


def test_verify_table_tolerates_number_formatting(tiny_table):
    table, expected = tiny_table
    rounded = np.column_stack([table[:, 0], np.round(table[:, 1:], 7)])
    verify_table(rounded, expected, source="tiny.txt")


# ---------------------------------------------------------------- file forms


def _as_txt(table):
    return "\n".join("".join(f"{v:16.7e}" for v in row) for row in table) + "\n"


def _as_ts(table):
    head = "#comment\n@problemName ECG5000\n@timeStamps false\n@univariate true\n@classLabel true 1 2 3\n@data\n"
    body = "\n".join(",".join(repr(float(v)) for v in row[1:]) + f":{int(row[0])}" for row in table)
    return head + body + "\n"


def _as_arff(table):
    head = "% comment\n@relation ECG5000\n" + "".join(f"@attribute att{i} numeric\n" for i in range(1, 141))
    head += "@attribute target {1,2,3}\n\n@DATA\n"
    body = "\n".join(",".join(repr(float(v)) for v in row[1:]) + f",{int(row[0])}" for row in table)
    return head + body + "\n% trailing comment\n"


def test_the_three_file_forms_parse_to_the_same_table(tiny_table):
    table, _ = tiny_table
    txt = data._parse_txt(_as_txt(table))
    ts = data._parse_ts(_as_ts(table))
    arff = data._parse_arff(_as_arff(table))
    assert txt.shape == ts.shape == arff.shape == (6, 141)
    np.testing.assert_array_equal(ts, table)      # repr() round-trips exactly
    np.testing.assert_array_equal(arff, table)
    np.testing.assert_allclose(txt, table, rtol=1e-7)  # 8 significant digits


@pytest.mark.parametrize("suffix, writer", [(".txt", _as_txt), (".ts", _as_ts), (".arff", _as_arff)])
def test_read_verified_reads_every_form(tmp_path, tiny_table, suffix, writer):
    table, expected = tiny_table
    file = tmp_path / f"ECG5000_TRAIN{suffix}"
    file.write_text(writer(table))
    beats = data._read_verified(file, "TRAIN", expected)
    assert beats.y.tolist() == [1, 1, 2, 1, 3, 2]
    np.testing.assert_allclose(beats.x, table[:, 1:], rtol=1e-6)


@pytest.mark.parametrize("suffix, text", [
    (".txt", "1 2 3\n4 five 6\n"),
    (".ts", "@data\n1,2,x:1\n"),
    (".arff", "@relation r\n1,2,3\n"),   # no @data line
])
def test_read_verified_names_the_unreadable_file(tmp_path, suffix, text):
    file = tmp_path / f"ECG5000_TEST{suffix}"
    file.write_text(text)
    with pytest.raises(DatasetError, match=rf"ECG5000_TEST\{suffix}: not a readable UCR file"):
        data._read_verified(file, "TEST", {**TINY_EXPECTED, "fingerprint": (1.0, 1.0, 1.0)})


# ---------------------------------------------------------------- locating


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    """ECG5000_DIR and the cache both point at empty folders."""
    empty_env, empty_cache = tmp_path / "env", tmp_path / "cache"
    empty_env.mkdir()
    empty_cache.mkdir()
    monkeypatch.setenv(data.ENV_VAR, str(empty_env))
    monkeypatch.setattr(data, "CACHE_DIR", empty_cache)
    return tmp_path


def test_load_ucr_without_data_says_how_to_provide_it(no_data_anywhere, monkeypatch):
    assert data.resolve_data_dir() is None
    with pytest.raises(DatasetError, match=r"ECG5000 not found.*set ECG5000_DIR=/that/folder") as info:
        load_ucr()
    assert str(no_data_anywhere / "cache") in str(info.value)
    monkeypatch.delenv(data.ENV_VAR)
    with pytest.raises(DatasetError, match="ECG5000_DIR"):
        load_ucr()


def test_load_ucr_with_an_empty_explicit_folder_names_it(no_data_anywhere):
    folder = no_data_anywhere / "nothing here"
    folder.mkdir()
    with pytest.raises(DatasetError, match=r"no ECG5000 files in .*nothing here: expected ECG5000_TRAIN\.txt"):
        load_ucr(folder)


@pytest.fixture
def synthetic_expected(synthetic_ucr, monkeypatch):
    """core.data.EXPECTED patched to the synthetic ECG5000's fingerprints; returns the folder."""
    folder, expected = synthetic_ucr
    monkeypatch.setattr(data, "EXPECTED", expected)
    return folder


def test_load_ucr_finds_the_folder_in_the_env_var(synthetic_expected, no_data_anywhere, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(synthetic_expected))
    beats = load_ucr()
    assert beats.x.shape == (5000, 140) and beats.x.dtype == np.float32
    assert dict(zip(*np.unique(beats.y, return_counts=True))) == {1: 2919, 2: 1767, 3: 96, 4: 194, 5: 24}
    # UCR train file first
    train = np.loadtxt(synthetic_expected / "ECG5000_TRAIN.txt")
    np.testing.assert_allclose(beats.x[:500], train[:, 1:], rtol=1e-6)


def test_load_ucr_finds_the_cache(synthetic_expected, no_data_anywhere, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR)
    monkeypatch.setattr(data, "CACHE_DIR", synthetic_expected)
    assert len(load_ucr()) == 5000


def test_load_ucr_refuses_altered_data(synthetic_expected, tmp_path):
    table = np.loadtxt(synthetic_expected / "ECG5000_TEST.txt")
    table[10, 20] += 5.0 if table[10, 20] > 0 else -5.0  # one value of one beat changed
    np.savetxt(tmp_path / "ECG5000_TEST.txt", table, fmt="%.5f")
    (tmp_path / "ECG5000_TRAIN.txt").write_text((synthetic_expected / "ECG5000_TRAIN.txt").read_text())
    with pytest.raises(DatasetError, match=r"ECG5000_TEST\.txt: values differ .*fingerprint"):
        load_ucr(tmp_path)


# ---------------------------------------------------------------- downloading


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    """(folder, base URL): a local HTTP server on 127.0.0.1 serving ``folder``."""
    root = tmp_path / "www"
    root.mkdir()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _zip(target, files: dict[str, bytes]):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)


def _ts_text(txt: str) -> str:
    rows = [line.split() for line in txt.splitlines() if line.strip()]
    return "@problemName ECG5000\n@data\n" + "".join(
        ",".join(row[1:]) + f":{int(float(row[0]))}\n" for row in rows)


def test_download_fetches_unzips_verifies_and_removes_the_zip(http_root, synthetic_expected, tmp_path):
    root, base = http_root
    _zip(root / "ECG5000.zip", {
        "ECG5000/ECG5000_TRAIN.txt": (synthetic_expected / "ECG5000_TRAIN.txt").read_bytes(),
        "ECG5000/ECG5000_TEST.txt": (synthetic_expected / "ECG5000_TEST.txt").read_bytes(),
        "ECG5000/README.md": b"not extracted",
    })
    size = (root / "ECG5000.zip").stat().st_size
    calls = []
    cache = tmp_path / "cache"
    assert download_ecg5000(cache, url=f"{base}/ECG5000.zip", progress=lambda d, t: calls.append((d, t))) == cache
    assert sorted(p.name for p in cache.iterdir()) == ["ECG5000_TEST.txt", "ECG5000_TRAIN.txt"]
    assert (cache / "ECG5000_TRAIN.txt").read_bytes() == (synthetic_expected / "ECG5000_TRAIN.txt").read_bytes()
    assert calls and calls[-1] == (size, size)
    assert all(t == size and 0 <= d <= t for d, t in calls)
    assert not (cache / "ECG5000.zip").exists()
    beats = load_ucr(cache)
    assert beats.x.shape == (5000, 140)


def test_download_accepts_the_ts_form(http_root, synthetic_expected, tmp_path):
    root, base = http_root
    _zip(root / "ECG5000.zip", {
        f"ECG5000_{which}.ts": _ts_text((synthetic_expected / f"ECG5000_{which}.txt").read_text())
        for which in ("TRAIN", "TEST")})
    cache = download_ecg5000(tmp_path / "cache", url=f"{base}/ECG5000.zip")
    assert sorted(p.name for p in cache.iterdir()) == ["ECG5000_TEST.ts", "ECG5000_TRAIN.ts"]
    reference = load_ucr(synthetic_expected)
    beats = load_ucr(cache)
    np.testing.assert_array_equal(beats.y, reference.y)
    np.testing.assert_allclose(beats.x, reference.x)


def test_download_refuses_corrupted_data(http_root, synthetic_expected, tmp_path):
    root, base = http_root
    table = np.loadtxt(synthetic_expected / "ECG5000_TRAIN.txt")
    assert table[0, 0] == 1
    table[0, 0] = 2  # one normal beat relabelled
    np.savetxt(tmp_path / "bad_train.txt", table, fmt="%.5f")
    _zip(root / "ECG5000.zip", {
        "ECG5000_TRAIN.txt": (tmp_path / "bad_train.txt").read_bytes(),
        "ECG5000_TEST.txt": (synthetic_expected / "ECG5000_TEST.txt").read_bytes()})
    with pytest.raises(DatasetError, match=r"ECG5000_TRAIN\.txt: class counts .* expected"):
        download_ecg5000(tmp_path / "cache", url=f"{base}/ECG5000.zip")


def test_download_refuses_an_archive_without_ecg5000(http_root, tmp_path, no_data_anywhere):
    root, base = http_root
    _zip(root / "ECG5000.zip", {"README.md": b"hello"})
    with pytest.raises(DatasetError, match=r"no ECG5000 (train/test )?files"):
        download_ecg5000(tmp_path / "cache", url=f"{base}/ECG5000.zip")


def test_download_refuses_an_archive_without_ecg5000_even_if_another_copy_exists(
        http_root, tmp_path, synthetic_expected, monkeypatch):
    root, base = http_root
    monkeypatch.setenv(data.ENV_VAR, str(synthetic_expected))
    _zip(root / "ECG5000.zip", {"README.md": b"hello"})
    with pytest.raises(DatasetError, match=r"no ECG5000 (train/test )?files"):
        download_ecg5000(tmp_path / "cache", url=f"{base}/ECG5000.zip")


def test_load_ucr_downloads_into_the_cache_when_allowed(http_root, synthetic_expected, no_data_anywhere,
                                                        monkeypatch):
    root, base = http_root
    _zip(root / "ECG5000.zip", {f"ECG5000_{w}.txt": (synthetic_expected / f"ECG5000_{w}.txt").read_bytes()
                                for w in ("TRAIN", "TEST")})
    real_download = data.download_ecg5000
    monkeypatch.setattr(data, "download_ecg5000",
                        lambda dest, progress=None: real_download(dest, url=f"{base}/ECG5000.zip",
                                                                  progress=progress))
    calls = []
    beats = load_ucr(download=True, progress=lambda d, t: calls.append((d, t)))
    assert len(beats) == 5000
    assert (data.CACHE_DIR / "ECG5000_TEST.txt").is_file()
    assert calls[-1][0] == calls[-1][1] > 0
