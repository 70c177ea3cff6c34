"""core.train: the epoch loop, optimizers, regularizers, divergence (TrainConfig: test_train_config.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from core.model import AutoencoderSpec
from core.train import (
    DIVERGED_LOSS,
    OPTIMIZERS,
    REGULARIZERS,
    EpochEnd,
    TrainConfig,
    Training,
    build_model,
)

SPEC = AutoencoderSpec((16, 4))


@pytest.fixture(scope="module")
def beats(make_beats):
    """200 normal synthetic beats for training, 50 for validation."""
    b = make_beats({1: 250}, seed=11)
    return b.x[:200], b.x[200:]


def config(**kwargs) -> TrainConfig:
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "device": "cpu", **kwargs})


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def weight_norm(model: nn.Module) -> float:
    with torch.no_grad():
        return float(sum((m.weight ** 2).sum() for m in model.modules() if isinstance(m, nn.Linear)) ** 0.5)


def train(beats, val=None, spec=SPEC, **kwargs) -> Training:
    cfg = config(**kwargs)
    run = Training(build_model(spec, cfg.seed), cfg, beats, val)
    run.run()
    return run


# ---------------------------------------------------------------- it learns


def test_loss_goes_down_and_run_completes(beats):
    train_x, val_x = beats
    run = train(train_x, val_x, epochs=20)
    assert run.result.status == "completed" and run.result.ok
    assert run.result.epochs_run == 20 == run.epoch
    assert run.result.message.startswith("trained 20 epochs in ")
    losses = [h["train_loss"] for h in run.history]
    assert losses[-1] < 0.5 * losses[0]
    assert run.history[-1]["val_loss"] < 0.5 * run.history[0]["val_loss"]
    assert not run.model.training  # left in eval mode


def test_train_loss_is_the_mean_squared_error_of_the_batches(beats):
    """With one full batch and sgd at a tiny rate, the epoch loss is the MSE before the step."""
    train_x, _ = beats
    model = build_model(SPEC, 0)
    with torch.no_grad():
        x = torch.as_tensor(train_x)
        before = float(torch.mean((model(x) - x) ** 2))
    run = Training(model, config(optimizer="sgd", learning_rate=1e-9, batch_size=1000, epochs=1), train_x)
    event = run.step()
    assert event.train_loss == pytest.approx(before, rel=1e-5)


# ---------------------------------------------------------------- optimizers and regularizers


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_changes_the_weights_in_one_epoch(beats, optimizer):
    cfg = config(optimizer=optimizer, epochs=1)
    model = build_model(SPEC, 0)
    before = weights(model)
    result = Training(model, cfg, beats[0]).run()
    assert result.status == "completed"
    after = weights(model)
    for name in before:
        assert not torch.equal(before[name], after[name]), (optimizer, name)
        assert torch.isfinite(after[name]).all()


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_is_what_its_name_says(beats, optimizer):
    run = Training(build_model(SPEC, 0), config(optimizer=optimizer, learning_rate=0.02), beats[0])
    opt = run._optimizer
    expected = {"adam": torch.optim.Adam, "adamax": torch.optim.Adamax, "adadelta": torch.optim.Adadelta,
                "rmsprop": torch.optim.RMSprop, "momentum": torch.optim.SGD, "sgd": torch.optim.SGD}[optimizer]
    assert type(opt) is expected
    assert opt.param_groups[0]["lr"] == 0.02
    if optimizer in ("momentum", "sgd"):
        assert opt.param_groups[0]["momentum"] == (0.9 if optimizer == "momentum" else 0)


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_every_regularizer_trains_and_changes_the_weights(beats, regularizer):
    model = build_model(SPEC, 0)
    before = weights(model)
    result = Training(model, config(regularizer=regularizer, regularization_rate=1e-2, epochs=1), beats[0]).run()
    assert result.status == "completed"
    assert not any(torch.equal(before[k], v) for k, v in weights(model).items())


@pytest.mark.parametrize("regularizer", [r for r in REGULARIZERS if r != "none"])
def test_regularizers_change_the_result_versus_none(beats, regularizer):
    plain = train(beats[0], regularizer="none")
    regular = train(beats[0], regularizer=regularizer, regularization_rate=1e-2)
    assert not same(weights(plain.model), weights(regular.model))
    # the reported loss is the reconstruction error only, not the penalty
    assert regular.history[-1]["train_loss"] < 2.0


def test_regularizers_differ_from_each_other(beats):
    models = [weights(train(beats[0], regularizer=r, regularization_rate=1e-2).model) for r in ("l1", "l2", "l1l2")]
    assert not same(models[0], models[1]) and not same(models[1], models[2]) and not same(models[0], models[2])


def test_regularization_rate_zero_equals_none(beats):
    plain = train(beats[0], regularizer="none")
    zero = train(beats[0], regularizer="l2", regularization_rate=0.0)
    assert same(weights(plain.model), weights(zero.model))


@pytest.mark.parametrize("regularizer", ["l2", "l1", "l1l2"])
def test_a_large_rate_shrinks_the_weight_norm(beats, regularizer):
    plain = train(beats[0], epochs=10, regularizer="none")
    shrunk = train(beats[0], epochs=10, regularizer=regularizer, regularization_rate=1.0)
    assert weight_norm(shrunk.model) < 0.5 * weight_norm(plain.model)


def test_penalty_values_by_hand(beats):
    model = build_model(AutoencoderSpec((1,), input_size=2), 0)
    with torch.no_grad():
        enc, dec = (m for m in model.modules() if isinstance(m, nn.Linear))
        enc.weight.copy_(torch.tensor([[1.0, -2.0]]))
        dec.weight.copy_(torch.tensor([[3.0], [0.5]]))
    x = np.zeros((4, 2), np.float32)
    l1, l2, both = (float(Training(model, config(regularizer=r, regularization_rate=0.1), x)._penalty().detach())
                    for r in ("l1", "l2", "l1l2"))
    assert l1 == pytest.approx(0.1 * (1 + 2 + 3 + 0.5))  # biases are not penalised
    assert l2 == pytest.approx(0.1 * (1 + 4 + 9 + 0.25))
    assert both == pytest.approx(l1 + l2)


# ---------------------------------------------------------------- divergence


@pytest.mark.parametrize("lr, batch_size", [(10, 256), (100, 256), (10, 16)])
def test_divergence_keeps_the_last_good_epoch(beats, lr, batch_size):
    cfg = config(optimizer="adam", learning_rate=lr, batch_size=batch_size, epochs=20)
    model = build_model(SPEC, 0)
    run = Training(model, cfg, beats[0])
    last_good = weights(model)
    for _ in run:
        last_good = weights(model)
    result = run.result
    assert result.status == "diverged" and not result.ok
    assert result.epochs_run == len(run.history) < 20
    assert same(weights(model), last_good)
    assert all(torch.isfinite(w).all() for w in weights(model).values())
    assert f"the learning rate {lr:g} is probably too high for adam" in result.message
    assert f"diverged in epoch {result.epochs_run + 1}" in result.message
    assert "kept" not in result.message  # the caller says what becomes of the weights
    assert all(math.isfinite(h["train_loss"]) and h["train_loss"] < DIVERGED_LOSS for h in run.history)
    assert run.step() is None  # ended


def test_divergence_after_a_good_epoch_keeps_that_epoch(beats):
    """With one batch per epoch, adam at lr 10 survives epoch 1 and explodes in epoch 2."""
    model = build_model(SPEC, 0)
    run = Training(model, config(learning_rate=10, batch_size=256, epochs=20), beats[0])
    first = run.step()
    after_first = weights(model)
    assert first.epoch == 1 and math.isfinite(first.train_loss)
    while not run.done:
        run.step()
    assert run.result.status == "diverged" and run.result.epochs_run == 1
    assert same(weights(model), after_first)
    assert not same(weights(model), weights(build_model(SPEC, 0)))  # not the initial weights


def test_model_output_stays_finite_after_divergence(beats):
    run = train(beats[0], learning_rate=100, batch_size=16, epochs=5)
    assert run.result.status == "diverged"
    with torch.no_grad():
        assert torch.isfinite(run.model(torch.as_tensor(beats[0]))).all()


# ---------------------------------------------------------------- reproducibility and control


def test_same_config_and_seed_give_identical_history_and_weights(beats):
    a = train(beats[0], beats[1], epochs=4, seed=5)
    b = train(beats[0], beats[1], epochs=4, seed=5)
    assert [(h["epoch"], h["train_loss"], h["val_loss"]) for h in a.history] == \
           [(h["epoch"], h["train_loss"], h["val_loss"]) for h in b.history]
    assert same(weights(a.model), weights(b.model))


def test_a_different_seed_gives_a_different_run(beats):
    a = train(beats[0], beats[1], epochs=4, seed=5)
    c = train(beats[0], beats[1], epochs=4, seed=6)
    assert [h["train_loss"] for h in a.history] != [h["train_loss"] for h in c.history]
    assert not same(weights(a.model), weights(c.model))


def test_global_torch_seed_does_not_matter(beats):
    torch.manual_seed(1)
    a = train(beats[0], epochs=2)
    torch.manual_seed(2)
    b = train(beats[0], epochs=2)
    assert a.history == b.history


def test_stop_mid_run_keeps_the_weights(beats):
    model = build_model(SPEC, 0)
    run = Training(model, config(epochs=10), beats[0], beats[1])
    for event in run:
        if event.epoch == 3:
            at_stop = weights(model)
            result = run.stop()
    assert result.status == "stopped" and result.ok
    assert result.epochs_run == 3 == len(run.history)
    assert result.message == "stopped by the user after 3 of 10 epochs"
    assert same(weights(model), at_stop)
    assert run.step() is None and run.stop() is result  # stop again: no change
    assert run.run() is result


def test_stop_before_any_epoch(beats):
    run = Training(build_model(SPEC, 0), config(), beats[0])
    assert run.stop().status == "stopped"
    assert run.result.epochs_run == 0 and list(run) == []


def test_step_by_step_equals_iterating(beats):
    stepped = Training(build_model(SPEC, 0), config(epochs=5), beats[0], beats[1])
    events_stepped = []
    while (event := stepped.step()) is not None:
        events_stepped.append(event)
    iterated = Training(build_model(SPEC, 0), config(epochs=5), beats[0], beats[1])
    events_iterated = list(iterated)
    assert stepped.history == iterated.history
    assert [(e.epoch, e.train_loss, e.val_loss) for e in events_stepped] == \
           [(e.epoch, e.train_loss, e.val_loss) for e in events_iterated]
    assert same(weights(stepped.model), weights(iterated.model))
    assert stepped.result.status == iterated.result.status == "completed"


def test_mixing_step_and_iteration_continues_the_same_run(beats):
    reference = train(beats[0], epochs=4)
    run = Training(build_model(SPEC, 0), config(epochs=4), beats[0])
    run.step()
    run.step()
    rest = list(run)
    assert [e.epoch for e in rest] == [3, 4]
    assert run.history == reference.history


def test_events_count_epochs_and_carry_validation_loss(beats):
    run = Training(build_model(SPEC, 0), config(epochs=6), beats[0], beats[1])
    events = list(run)
    assert all(isinstance(e, EpochEnd) for e in events)
    assert [e.epoch for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e.epochs == 6 for e in events)
    assert all(e.val_loss is not None and e.val_loss > 0 for e in events)
    seconds = [e.seconds for e in events]
    assert seconds == sorted(seconds) and seconds[0] >= 0
    assert run.history == [{"epoch": e.epoch, "train_loss": e.train_loss, "val_loss": e.val_loss} for e in events]
    assert run.result.seconds == pytest.approx(seconds[-1])


def test_validation_loss_is_the_mse_on_the_validation_beats(beats):
    run = Training(build_model(SPEC, 0), config(epochs=1), beats[0], beats[1])
    event = run.step()
    with torch.no_grad():
        v = torch.as_tensor(beats[1])
        assert event.val_loss == pytest.approx(float(torch.mean((run.model(v) - v) ** 2)), rel=1e-6)


@pytest.mark.parametrize("val", [None, np.zeros((0, 140), np.float32)])
def test_no_validation_set_gives_no_validation_loss(beats, val):
    run = Training(build_model(SPEC, 0), config(epochs=2), beats[0], val)
    assert [e.val_loss for e in run] == [None, None]


def test_batch_size_larger_than_the_data_and_of_one(beats):
    assert train(beats[0][:5], batch_size=1000, epochs=2).result.status == "completed"
    assert train(beats[0][:5], batch_size=1, epochs=2).result.status == "completed"


def test_empty_training_set_is_refused():
    with pytest.raises(ValueError, match="the training set is empty"):
        Training(build_model(SPEC, 0), config(), np.zeros((0, 140), np.float32))


def test_threads_setting(beats):
    original = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        Training(build_model(SPEC, 0), config(threads=1), beats[0])
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        Training(build_model(SPEC, 0), config(threads=None), beats[0])
        assert torch.get_num_threads() == 2  # None leaves torch's setting alone
    finally:
        torch.set_num_threads(original)
