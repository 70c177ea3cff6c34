"""Trainings through the worker pool: the same numbers as the CLI, pause / step / stop by command.

A real pool of one warm worker (it loads the real ECG5000 split), small epoch counts.
"""

import json

import numpy as np
import pytest

from core import cli
from core.data import Composition, split_beats
from core.evaluation import evaluate
from core.jobs import JobPool
from core.model import AutoencoderSpec
from core.train import TrainConfig
from core.training_job import EpochRows, TrainingRequest, run_training, stop_parked, warm_worker
from core.ucr import load_ucr

TIMEOUT = 120


@pytest.fixture(scope="module")
def pool(real_data_dir, monkeypatch_module):
    monkeypatch_module.setenv("ECG5000_DIR", str(real_data_dir))
    pool = JobPool(1, warm=warm_worker)
    assert pool.wait_ready(TIMEOUT)
    yield pool
    pool.shutdown()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def split(real_data_dir):
    return split_beats(load_ucr(real_data_dir))


def outcome_of(pool, request, owner="learner"):
    job = pool.submit(owner, run_training, request)
    assert job.wait(TIMEOUT) and job.status == "done", (job, job.error)
    return job, job.result


def test_a_pooled_training_gives_the_cli_numbers(pool, split, real_data_dir, capsys):
    assert cli.main(["train", "--epochs", "15", "--seed", "3", "--abnormal-pct", "5", "--json",
                     "--data", str(real_data_dir)]) == 0
    expected = json.loads(capsys.readouterr().out)
    spec, config = AutoencoderSpec(), TrainConfig(epochs=15, seed=3)
    job, outcome = outcome_of(pool, TrainingRequest(spec, config, Composition(None, 0.05, seed=3)))
    detector = outcome.detector(spec, config)
    assert evaluate(detector, split).test_auc == expected["test_auc"]
    assert outcome.result.status == "completed" and len(outcome.history) == 15
    rows = [row for event in job.events_since(0) if isinstance(event, EpochRows) for row in event.rows]
    assert rows == outcome.history  # every epoch reached the server, in order
    snap = outcome.snapshot
    assert snap.epoch == 15 and len(snap.fpr) <= 200 and len(snap.bin_edges) == 41
    assert snap.normal_counts.sum() == (~split.validation.is_anomaly.astype(bool)).sum()


def test_steps_and_a_resume_continue_exactly_like_one_run(pool):
    spec, config = AutoencoderSpec(), TrainConfig(epochs=6, seed=1)
    _, straight = outcome_of(pool, TrainingRequest(spec, config))
    request = TrainingRequest(spec, config, mode="step")
    _, first = outcome_of(pool, request)
    assert first.parked and len(first.history) == 1 and first.snapshot.epoch == 1
    _, second = outcome_of(pool, request.continued(first, "step", 0.3))
    assert second.parked and len(second.history) == 2
    _, rest = outcome_of(pool, request.continued(second, "run", 0.3))
    assert rest.result.status == "completed" and rest.history == straight.history
    for (name, a), b in zip(straight.detector(spec, config).model_.state_dict().items(),
                            rest.detector(spec, config).model_.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name


def test_pause_parks_and_stop_keeps_the_weights(pool, split):
    spec, config = AutoencoderSpec(), TrainConfig(epochs=2000, seed=2)
    for command in ("pause", "stop"):
        job = pool.submit("learner", run_training, TrainingRequest(spec, config))
        while not any(isinstance(e, EpochRows) for e in job.events_since(0)):
            assert not job.wait(0.01), (job, job.error)
        job.send(command)
        assert job.wait(TIMEOUT) and job.status == "done", job.error
        outcome = job.result
        done = len(outcome.history)
        assert 1 <= done < 2000
        if command == "pause":
            assert outcome.parked and outcome.checkpoint and outcome.weights is None
            stopped = stop_parked(split, TrainingRequest(spec, config, checkpoint=outcome.checkpoint))
        else:
            stopped = outcome
        assert stopped.result.status == "stopped" and stopped.result.epochs_run == done
        assert f"after {done} of 2000 epochs" in stopped.result.message
        assert isinstance(stopped.detector(spec, config).decision_function(split.test.x[:3]), np.ndarray)


def test_a_diverging_training_comes_back_with_its_last_good_weights(pool, split):
    spec, config = AutoencoderSpec(), TrainConfig(epochs=20, learning_rate=10.0, optimizer="sgd", seed=0)
    _, outcome = outcome_of(pool, TrainingRequest(spec, config))
    assert outcome.result.status == "diverged" and outcome.result.epochs_run == len(outcome.history) < 20
    assert np.isfinite(outcome.detector(spec, config).decision_function(split.validation.x)).all()
