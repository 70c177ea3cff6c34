"""core.cli: ``python -m core train`` and ``python -m core score`` called in-process."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import core.ucr as ucr
from core.cli import main
from core.data import Composition
from core.persistence import load_detector, load_model, save_detector

TRAIN_KEYS = {"status", "message", "threshold", "threshold_rule", "val_auc", "test_auc", "test", "test_confusion",
              "train_seconds", "epochs", "train_size", "params", "layers", "device", "seed"}
TEST_KEYS = {"accuracy", "precision", "recall", "f1", "fpr", "fnr", "tpr", "tnr"}


def run(argv) -> int:
    """main()'s exit code, whether it returns it or argparse exits."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


def json_lines(text: str) -> list[dict]:
    """Strict JSON per line: NaN or Infinity would be refused."""
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


def scored_rows(text: str) -> tuple[list[dict], dict]:
    """``score --json`` output: (one object per row, the summary)."""
    *rows, last = json_lines(text)
    return rows, last["summary"]


@pytest.fixture
def synthetic_data(synthetic_ucr, monkeypatch):
    """--data folder of synthetic ECG5000 files that pass verification."""
    folder, expected = synthetic_ucr
    monkeypatch.setattr(ucr, "EXPECTED", expected)
    return folder


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv(ucr.ENV_VAR, str(tmp_path / "no-env"))
    monkeypatch.setattr(ucr, "CACHE_DIR", tmp_path / "no-cache")
    return tmp_path


# ---------------------------------------------------------------- bad flags: exit 2, readable


@pytest.mark.parametrize("flags, message", [
    (["--layers", "0,5"], r"error: layer 1 must have 1 to 512 units"),
    (["--layers", "32,600"], r"error: layer 2 must have 1 to 512 units .*got 600"),
    (["--layers", ",".join(["4"] * 11)], r"error: the encoder needs 1 to 10 layers, got 11"),
    (["--epochs", "0"], r"error: epochs must be a whole number from 1 to 2000, got 0"),
    (["--lr", "0"], r"error: learning rate must be > 0 and <= 100, got 0"),
    (["--lr", "-1"], r"error: learning rate must be > 0"),
    (["--batch-size", "0"], r"error: batch size must be a whole number >= 1, got 0"),
    (["--reg-rate", "20"], r"error: regularization rate must be between 0 and 10"),
    (["--abnormal-pct", "80"], r"error: abnormal fraction must be between 0 and 0\.7, got 0\.8"),
    (["--train-size", "0"], r"error: training-set size must be at least 1 beat"),
    (["--threads", "0"], r"error: threads must be a whole number >= 1"),
    (["--device", "tpu"], r"error: device must be one of auto, cpu, cuda, mps"),
    # argparse's own refusals
    (["--layers", "a,b"], r"layers must be whole numbers separated by commas, got 'a,b'"),
    (["--epochs", "ten"], r"argument --epochs: invalid int value: 'ten'"),
    (["--optimizer", "lbfgs"], r"argument --optimizer: invalid choice: 'lbfgs'"),
    (["--activation", "swish"], r"argument --activation: invalid choice"),
    (["--regularizer", "dropout"], r"argument --regularizer: invalid choice"),
])
def test_bad_train_flags_exit_2_with_a_readable_message(capsys, no_data_anywhere, flags, message):
    assert run(["train", "--json", *flags]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_bad_commands_exit_2(capsys):
    assert run([]) == 2
    assert run(["fit"]) == 2
    assert run(["score", "beats.csv"]) == 2  # --model is required
    assert "--model" in capsys.readouterr().err


def test_train_without_data_says_so(capsys, no_data_anywhere):
    empty = no_data_anywhere / "empty"
    empty.mkdir()
    assert run(["train", "--json", "--data", empty]) == 1
    assert re.search(r"error: no ECG5000 files in .*empty", capsys.readouterr().err)


# ---------------------------------------------------------------- train on synthetic ECG5000 files


def test_train_json_on_synthetic_files(capsys, synthetic_data, tmp_path):
    model = tmp_path / "m.safetensors"
    code = run(["train", "--data", synthetic_data, "--epochs", 3, "--json", "--device", "cpu",
                "--layers", "16,4", "--seed", 3, "--save", model])
    out, _ = capsys.readouterr()
    assert code == 0
    (report,) = json_lines(out)
    assert set(report) == TRAIN_KEYS | {"saved"}
    assert set(report["test"]) == TEST_KEYS
    assert report["status"] == "completed" and report["epochs"] == 3
    assert report["layers"] == [16, 4] and report["params"] == 140 * 16 + 16 + 16 * 4 + 4 + 4 * 16 + 16 + 16 * 140 + 140
    assert report["device"] == "cpu" and report["seed"] == 3
    assert report["train_size"] == 1751  # every normal beat of the 3000-beat train pool
    assert 0 <= report["test_auc"] <= 1 and report["train_seconds"] > 0
    assert sum(report["test_confusion"].values()) == 1000
    assert report["saved"] == str(model)
    saved = load_model(model)
    loaded = saved.detector
    assert loaded.threshold_ == pytest.approx(report["threshold"])
    assert saved.metrics["test_auc"] == pytest.approx(report["test_auc"])
    assert saved.composition == Composition(None, 0.0, seed=3) and saved.train_size == 1751
    assert [h["epoch"] for h in loaded.history_] == [1, 2, 3]


def test_train_composition_flags(capsys, synthetic_data):
    assert run(["train", "--data", synthetic_data, "--epochs", 1, "--json", "--device", "cpu",
                "--train-size", 400, "--abnormal-pct", 25]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["train_size"] == 400


def test_train_refuses_a_composition_the_pool_cannot_supply(capsys, synthetic_data):
    assert run(["train", "--data", synthetic_data, "--epochs", 1, "--json", "--train-size", 5000]) == 2
    assert "error: the training pool has 1751 normal and 1249 abnormal beats" in capsys.readouterr().err


def test_train_human_readable_output(capsys, synthetic_data):
    assert run(["train", "--data", synthetic_data, "--epochs", 2, "--device", "cpu"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("trained 2 epochs in ")
    for word in ("model      32-8 (9,684 parameters) on cpu", "AUC        validation", "threshold",
                 "test       accuracy"):
        assert word in out


def test_train_that_diverges_exits_1_and_says_why(capsys, synthetic_data):
    assert run(["train", "--data", synthetic_data, "--epochs", 5, "--json", "--lr", 100, "--device", "cpu"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "diverged"
    assert "learning rate 100 is probably too high" in report["message"]


# ---------------------------------------------------------------- score


@pytest.fixture
def model_file(fitted_detector, tmp_path):
    return save_detector(fitted_detector, tmp_path / "model.safetensors")


@pytest.fixture
def beats_file(split500, tmp_path):
    normal = split500.test.x[split500.test.y == 1][0]
    abnormal = split500.test.x[split500.test.y == 2][0]
    path = tmp_path / "beats.csv"
    path.write_text("# two beats and a bad row\n"
                    + ",".join(map(str, normal)) + "\n"
                    + "1,2,three\n\n"
                    + ";".join(map(str, abnormal)) + "\n")
    return path, np.stack([normal, abnormal])


def test_score_json_prints_one_object_per_row_then_a_summary(capsys, model_file, beats_file, fitted_detector):
    path, beats = beats_file
    assert run(["score", path, "--model", model_file, "--json"]) == 0
    rows, summary = scored_rows(capsys.readouterr().out)
    assert [r["row"] for r in rows] == [2, 3, 5]
    assert rows[1] == {"row": 3, "error": "value 3 ('three') is not a number"}
    scores = fitted_detector.decision_function(beats)
    assert rows[0]["score"] == pytest.approx(scores[0], rel=1e-4) and rows[0]["anomaly"] is False
    assert rows[2]["score"] == pytest.approx(scores[1], rel=1e-4) and rows[2]["anomaly"] is True
    assert (rows[0]["reason"], rows[2]["reason"]) == ("below", "above")
    assert summary == {"normal": 1, "abnormal": 1, "skipped": 1}


def test_score_human_readable(capsys, model_file, beats_file):
    path, _ = beats_file
    assert run(["score", path, "--model", model_file]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("row 2: score ") and lines[0].endswith("normal: score at or below the threshold")
    assert lines[1] == "row 3: skipped: value 3 ('three') is not a number"
    assert lines[2].startswith("row 5: score ") and lines[2].endswith("ABNORMAL: score above the threshold")
    assert lines[3] == "summary: 2 beats scored: 1 normal, 1 abnormal; 1 rows skipped"


def test_score_with_labels_reports_the_confusion_and_accuracy(capsys, model_file, split500, tmp_path,
                                                             fitted_detector):
    path = tmp_path / "labelled.txt"
    np.savetxt(path, np.column_stack([split500.test.y[:30], split500.test.x[:30]]), fmt="%.7e")
    assert run(["score", path, "--model", model_file, "--has-label", "--json"]) == 0
    rows, summary = scored_rows(capsys.readouterr().out)
    scores = fitted_detector.decision_function(split500.test.x[:30])
    np.testing.assert_allclose([r["score"] for r in rows], scores, rtol=1e-4)
    assert [r["label"] for r in rows] == split500.test.y[:30].tolist()
    said, truth = scores > fitted_detector.threshold_, split500.test.is_anomaly[:30].astype(bool)
    assert summary["confusion"] == {"tp": int((said & truth).sum()), "fp": int((said & ~truth).sum()),
                                    "tn": int((~said & ~truth).sum()), "fn": int((~said & truth).sum())}
    assert summary["accuracy"] == pytest.approx(float((said == truth).mean()))
    assert run(["score", path, "--model", model_file, "--has-label"]) == 0
    out = capsys.readouterr().out
    assert f"against the labels: accuracy {float((said == truth).mean()):.3f}" in out
    assert run(["score", path, "--model", model_file]) == 0  # the same file without --has-label
    assert "note: every row starts with a whole number from 1 to 5: if those are class labels, add --has-label" \
        in capsys.readouterr().out


def test_score_json_is_strict_for_extreme_rows(capsys, model_file, tmp_path):
    path = tmp_path / "extreme.csv"
    path.write_text("\n".join([",".join(["1.7e308"] + ["0"] * 29),
                               ",".join(f"{v:.6e}" for v in np.sin(np.linspace(0, 6, 140)) * 1e155),
                               ",".join(["1e155"] * 140), "1,2", "1,5;2,3;" + ";".join(["4"] * 30), "1,,2"]))
    assert run(["score", path, "--model", model_file, "--json"]) == 0
    rows, summary = scored_rows(capsys.readouterr().out)  # strict: no NaN or Infinity anywhere
    assert rows[0]["anomaly"] is True and rows[0]["reason"] == "above" and np.isfinite(rows[0]["score"])
    assert rows[1]["reason"] in ("above", "below")  # judged by its shape: not "flat"
    assert rows[2]["reason"] == "flat"
    assert rows[3] == {"row": 4, "error": "a beat needs at least 20 values, got 2"}
    assert "decimal commas" in rows[4]["error"] and "value 2 is empty" in rows[5]["error"]
    assert summary["skipped"] == 3


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\n  \n", "is empty"),
    (b"\xfa\xfb", "is not UTF-8 or UTF-16 text"),
])
def test_score_refuses_a_file_without_beats(capsys, model_file, tmp_path, content, message):
    path = tmp_path / "beats.csv"
    path.write_bytes(content)
    assert run(["score", path, "--model", model_file]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {path}: the file") and message in err


def test_score_exits_1_when_no_row_is_a_beat(capsys, model_file, tmp_path):
    path = tmp_path / "beats.csv"
    path.write_text("name,age\nbob,42\n")
    assert run(["score", path, "--model", model_file]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "summary: 0 beats scored: 0 normal, 0 abnormal; 2 rows skipped"


def test_score_reads_a_utf16_file_with_a_byte_order_mark(capsys, model_file, beats_file):
    path, _ = beats_file
    path.write_bytes(path.read_text().encode("utf-16"))
    assert run(["score", path, "--model", model_file, "--json"]) == 0
    assert [r["row"] for r in scored_rows(capsys.readouterr().out)[0]] == [2, 3, 5]


def test_score_refuses_a_bad_model_file(capsys, beats_file, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    assert run(["score", beats_file[0], "--model", bad]) == 2
    assert "error: " + str(bad) + " is not a saved model file" in capsys.readouterr().err
    assert run(["score", beats_file[0], "--model", tmp_path / "missing.safetensors"]) == 2
    assert "is not a saved model file" in capsys.readouterr().err


def test_score_with_a_missing_beats_file_is_a_readable_error(capsys, model_file, tmp_path):
    assert run(["score", tmp_path / "missing.csv", "--model", model_file]) != 0
    assert "error: " in capsys.readouterr().err


# ---------------------------------------------------------------- the real data


def test_train_json_then_score_on_the_real_data(capsys, real_data_dir, tmp_path):
    model = tmp_path / "real.safetensors"
    assert run(["train", "--data", real_data_dir, "--epochs", 3, "--json", "--save", model]) == 0
    (report,) = json_lines(capsys.readouterr().out)
    assert TRAIN_KEYS <= set(report)
    for key in ("test_auc", "val_auc", "threshold", "train_seconds"):
        assert isinstance(report[key], float), key
    assert set(report["test"]) >= {"accuracy", "precision", "recall", "f1"}
    assert report["epochs"] == 3 and report["params"] == 9684 and report["seed"] == 0
    assert report["train_size"] == 1751 and sum(report["test_confusion"].values()) == 1000
    assert report["test_auc"] > 0.9  # three epochs already separate the classes well
    assert isinstance(report["device"], str) and report["device"]

    beats = ucr.load_ucr(real_data_dir)
    csv = tmp_path / "real.csv"
    picks = [0, 1, int(np.flatnonzero(beats.y == 3)[0])]
    csv.write_text("\n".join(",".join(f"{v:.7g}" for v in [beats.y[i], *beats.x[i]]) for i in picks)
                   + "\n1,2,x\n")
    assert run(["score", csv, "--model", model, "--has-label", "--json"]) == 0
    rows, _ = scored_rows(capsys.readouterr().out)
    assert [r["row"] for r in rows] == [1, 2, 3, 4]
    assert all(isinstance(r["score"], float) and isinstance(r["anomaly"], bool) for r in rows[:3])
    assert rows[3] == {"row": 4, "error": "value 3 ('x') is not a number"}
    detector = load_detector(model)
    np.testing.assert_allclose([r["score"] for r in rows[:3]], detector.decision_function(beats.x[picks]),
                               rtol=1e-3, atol=1e-5)


def test_score_refuses_a_crafted_model_file_before_building_it(capsys, model_file, beats_file, tmp_path):
    import struct

    from safetensors import safe_open

    with safe_open(str(model_file), framework="pt") as f:
        metadata = f.metadata()
    metadata["spec"] = json.dumps({"encoder_units": [512] * 10, "input_size": 10 ** 6, "activation": "relu",
                                   "output_activation": "linear"})
    header = json.dumps({"__metadata__": metadata}).encode()
    crafted = tmp_path / "crafted.safetensors"
    crafted.write_bytes(struct.pack("<Q", len(header)) + header)
    assert run(["score", beats_file[0], "--model", crafted]) == 2
    assert "must take 140-point beats, got input size 1000000" in capsys.readouterr().err
