"""core.ucr: reading, verifying, locating and downloading the ECG5000 files."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile

import numpy as np
import pytest

import core.ucr as ucr
from core.data import DatasetError
from core.ucr import download_ecg5000, fingerprint, load_ucr, verify_table


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
    txt = ucr._parse_txt(_as_txt(table))
    ts = ucr._parse_ts(_as_ts(table))
    arff = ucr._parse_arff(_as_arff(table))
    assert txt.shape == ts.shape == arff.shape == (6, 141)
    np.testing.assert_array_equal(ts, table)      # repr() round-trips exactly
    np.testing.assert_array_equal(arff, table)
    np.testing.assert_allclose(txt, table, rtol=1e-7)  # 8 significant digits


@pytest.mark.parametrize("suffix, writer", [(".txt", _as_txt), (".ts", _as_ts), (".arff", _as_arff)])
def test_read_verified_reads_every_form(tmp_path, tiny_table, suffix, writer):
    table, expected = tiny_table
    file = tmp_path / f"ECG5000_TRAIN{suffix}"
    file.write_text(writer(table))
    beats = ucr._read_verified(file, "TRAIN", expected)
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
        ucr._read_verified(file, "TEST", {**TINY_EXPECTED, "fingerprint": (1.0, 1.0, 1.0)})


# ---------------------------------------------------------------- locating


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    """ECG5000_DIR and the cache both point at empty folders."""
    empty_env, empty_cache = tmp_path / "env", tmp_path / "cache"
    empty_env.mkdir()
    empty_cache.mkdir()
    monkeypatch.setenv(ucr.ENV_VAR, str(empty_env))
    monkeypatch.setattr(ucr, "CACHE_DIR", empty_cache)
    return tmp_path


def test_load_ucr_without_data_says_how_to_provide_it(no_data_anywhere, monkeypatch):
    assert ucr.resolve_data_dir() is None
    with pytest.raises(DatasetError, match=r"ECG5000 not found.*set ECG5000_DIR=/that/folder") as info:
        load_ucr()
    assert str(no_data_anywhere / "cache") in str(info.value)
    monkeypatch.delenv(ucr.ENV_VAR)
    with pytest.raises(DatasetError, match="ECG5000_DIR"):
        load_ucr()


def test_load_ucr_with_an_empty_explicit_folder_names_it(no_data_anywhere):
    folder = no_data_anywhere / "nothing here"
    folder.mkdir()
    with pytest.raises(DatasetError, match=r"no ECG5000 files in .*nothing here: expected ECG5000_TRAIN\.txt"):
        load_ucr(folder)


@pytest.fixture
def synthetic_expected(synthetic_ucr, monkeypatch):
    """core.ucr.EXPECTED patched to the synthetic ECG5000's fingerprints; returns the folder."""
    folder, expected = synthetic_ucr
    monkeypatch.setattr(ucr, "EXPECTED", expected)
    return folder


def test_load_ucr_finds_the_folder_in_the_env_var(synthetic_expected, no_data_anywhere, monkeypatch):
    monkeypatch.setenv(ucr.ENV_VAR, str(synthetic_expected))
    beats = load_ucr()
    assert beats.x.shape == (5000, 140) and beats.x.dtype == np.float32
    assert dict(zip(*np.unique(beats.y, return_counts=True))) == {1: 2919, 2: 1767, 3: 96, 4: 194, 5: 24}
    # UCR train file first
    train = np.loadtxt(synthetic_expected / "ECG5000_TRAIN.txt")
    np.testing.assert_allclose(beats.x[:500], train[:, 1:], rtol=1e-6)


def test_load_ucr_finds_the_cache(synthetic_expected, no_data_anywhere, monkeypatch):
    monkeypatch.delenv(ucr.ENV_VAR)
    monkeypatch.setattr(ucr, "CACHE_DIR", synthetic_expected)
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
    monkeypatch.setenv(ucr.ENV_VAR, str(synthetic_expected))
    _zip(root / "ECG5000.zip", {"README.md": b"hello"})
    with pytest.raises(DatasetError, match=r"no ECG5000 (train/test )?files"):
        download_ecg5000(tmp_path / "cache", url=f"{base}/ECG5000.zip")


def test_load_ucr_downloads_into_the_cache_when_allowed(http_root, synthetic_expected, no_data_anywhere,
                                                        monkeypatch):
    root, base = http_root
    _zip(root / "ECG5000.zip", {f"ECG5000_{w}.txt": (synthetic_expected / f"ECG5000_{w}.txt").read_bytes()
                                for w in ("TRAIN", "TEST")})
    real_download = ucr.download_ecg5000
    monkeypatch.setattr(ucr, "download_ecg5000",
                        lambda dest, progress=None: real_download(dest, url=f"{base}/ECG5000.zip",
                                                                  progress=progress))
    calls = []
    beats = load_ucr(download=True, progress=lambda d, t: calls.append((d, t)))
    assert len(beats) == 5000
    assert (ucr.CACHE_DIR / "ECG5000_TEST.txt").is_file()
    assert calls[-1][0] == calls[-1][1] > 0
