"""``python -m core experiment | baselines | attack`` called in-process."""

from __future__ import annotations

import json

import numpy as np
import pytest

import core.ucr as ucr
from core.persistence import save_detector
from test_cli import json_lines, run

RUN_KEYS = {"recipe", "abnormal_pct", "seed", "test_auc"}


@pytest.fixture
def synthetic_data(synthetic_ucr, monkeypatch):
    folder, expected = synthetic_ucr
    monkeypatch.setattr(ucr, "EXPECTED", expected)
    return folder


def test_contamination_json(capsys, synthetic_data):
    assert run(["experiment", "contamination", "--seeds", 2, "--pcts", "0,30", "--epochs", 2,
                "--data", synthetic_data, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    runs = report["runs"]
    assert report["experiment"] == "contamination" and report["seconds"] > 0
    assert all(RUN_KEYS <= set(r) for r in runs)
    assert {(r["recipe"], r["abnormal_pct"], r["seed"]) for r in runs} == {
        (recipe, pct, seed) for recipe in ("default", "anomagram-small", "mean-beat template")
        for pct in (0, 30) for seed in (0, 1)}
    assert all(0 <= r["test_auc"] <= 1 for r in runs)
    assert len(report["summary"]) == 3 and report["summary"][0].startswith("**default**: test AUC")


def test_default_recipe_rows_equal_core_train(capsys, real_data_dir):
    assert run(["experiment", "contamination", "--seeds", 1, "--pcts", 5, "--epochs", 3, "--recipes", "default",
                "--json"]) == 0
    (row,) = [r for r in json.loads(capsys.readouterr().out)["runs"] if r["recipe"] == "default"]
    assert run(["train", "--abnormal-pct", 5, "--seed", 0, "--epochs", 3, "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert row["test_auc"] == trained["test_auc"] and row["val_auc"] == trained["val_auc"]


@pytest.mark.parametrize("which, key, count", [("depth", "layers", 8), ("optimizers", "optimizer", 10)])
def test_depth_and_optimizers_json(capsys, synthetic_data, which, key, count):
    assert run(["experiment", which, "--seeds", 1, "--epochs", 1, "--data", synthetic_data, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["runs"]) == count and all(key in r and "test_auc" in r for r in report["runs"])
    assert report["summary"][0]


def test_experiment_refusals(capsys, synthetic_data):
    assert run(["experiment", "depth", "--seeds", 20, "--epochs", 2000, "--data", synthetic_data]) == 2
    assert "the limit on this shared server is 80x. Use fewer seeds" in capsys.readouterr().err
    assert run(["experiment", "depth", "--recipes", "huge", "--data", synthetic_data]) == 2
    assert "error: unknown recipe 'huge': choose from default, anomagram-small" in capsys.readouterr().err
    assert run(["experiment", "width"]) == 2


def test_experiment_human_readable(capsys, synthetic_data):
    assert run(["experiment", "contamination", "--seeds", 1, "--pcts", 0, "--epochs", 1,
                "--recipes", "anomagram-small", "--data", synthetic_data]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["recipe", "abnormal_pct", "seed", "test", "AUC", "seconds"]
    assert "2 runs in " in out


def test_baselines_json(capsys, synthetic_data):
    assert run(["baselines", "--epochs", 2, "--data", synthetic_data, "--json"]) == 0
    methods = json.loads(capsys.readouterr().out)["methods"]
    assert [m["name"] for m in methods] == ["autoencoder", "One-Class SVM", "nearest neighbour",
                                            "PCA reconstruction", "distance to the mean beat", "Isolation Forest"]
    assert all({"name", "test_auc", "f1", "fit_seconds"} <= set(m) for m in methods)
    assert methods[0]["size"] == 9684


def test_attack_then_score_confirms_every_flip(capsys, fitted_detector, split500, tmp_path):
    model = save_detector(fitted_detector, tmp_path / "model.safetensors")
    test = split500.test
    normal, abnormal = test.x[test.y == 1][0], test.x[test.y == 2][0]
    beats = tmp_path / "beats.csv"
    beats.write_text("# a comment\n" + ",".join(map(str, normal)) + "\n1,2,x\n" + ",".join(["3"] * 140) + "\n\n"
                     + ",".join(map(str, abnormal)) + "\n")
    adversarial = tmp_path / "adv.csv"
    assert run(["attack", beats, "--model", model, "--out", adversarial, "--json"]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert [r["row"] for r in rows] == [2, 3, 4, 6]
    assert rows[1] == {"row": 3, "error": "value 3 ('x') is not a number"}
    assert rows[2]["error"].startswith("a flat beat has no shape to change")
    assert rows[0]["from"] == "normal" and rows[3]["from"] == "abnormal"
    assert all(rows[i]["flipped"] and 0 < rows[i]["relative_change"] < 2 for i in (0, 3))
    assert len(adversarial.read_text().splitlines()) == 4

    assert run(["score", adversarial, "--model", model, "--json"]) == 0
    *scored, summary = json_lines(capsys.readouterr().out)
    assert summary == {"summary": {"normal": 1, "abnormal": 1, "skipped": 0}}
    assert [s["row"] for s in scored] == [1, 4]  # the two error rows are '#' lines in the output file
    assert [s["anomaly"] for s in scored] == [True, False]
    assert np.loadtxt(adversarial, delimiter=",", comments="#").shape == (2, 140)


def test_attack_human_readable(capsys, fitted_detector, split500, tmp_path):
    model = save_detector(fitted_detector, tmp_path / "model.safetensors")
    beats = tmp_path / "beats.csv"
    beats.write_text(",".join(map(str, split500.test.x[0])) + "\n")
    assert run(["attack", beats, "--model", model, "--out", tmp_path / "adv.csv"]) == 0
    assert capsys.readouterr().out.startswith("row 1: ")
