"""core.train.TrainConfig: defaults, and the messages a learner reads when a setting is out of range."""

import numpy as np
import pytest

from core.model import MAX_LAYERS, MAX_UNITS, AutoencoderSpec
from core.train import MAX_EPOCHS, MAX_STEPS, MAX_WORK, TrainConfig, Training, build_model, check_budget

BIGGEST = AutoencoderSpec((MAX_UNITS,) * MAX_LAYERS)
POOL_NORMAL = 1751  # the train pool's normal beats: the default training set


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, r"epochs must be a whole number from 1 to 2000, got 0"),
    ({"epochs": 2001}, r"epochs must be a whole number from 1 to 2000, got 2001"),
    ({"epochs": 2.5}, r"epochs must be a whole number"),
    ({"learning_rate": 0}, r"learning rate must be > 0 and <= 100, got 0"),
    ({"learning_rate": -0.01}, r"learning rate must be > 0 and <= 100, got -0.01"),
    ({"learning_rate": 101}, r"learning rate must be > 0 and <= 100, got 101"),
    ({"learning_rate": float("nan")}, r"learning rate must be > 0 and <= 100, got nan"),
    ({"learning_rate": "0.1"}, r"learning rate must be"),
    ({"batch_size": 0}, r"batch size must be a whole number >= 1, got 0"),
    ({"batch_size": 8.0}, r"batch size must be a whole number >= 1, got 8.0"),
    ({"optimizer": "lbfgs"}, r"optimizer must be one of adam, adamax, adadelta, rmsprop, momentum, sgd, got 'lbfgs'"),
    ({"regularizer": "dropout"}, r"regularizer must be one of none, l1, l2, l1l2, got 'dropout'"),
    ({"regularization_rate": -1}, r"regularization rate must be between 0 and 10, got -1"),
    ({"regularization_rate": 11}, r"regularization rate must be between 0 and 10"),
    ({"device": "tpu"}, r"device must be one of auto, cpu, cuda, mps, got 'tpu'"),
    ({"threads": 0}, r"threads must be a whole number >= 1 or None, got 0"),
])
def test_config_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_config_defaults_and_dict():
    cfg = TrainConfig()
    assert cfg.to_dict() == {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 256, "epochs": 100,
                             "regularizer": "none", "regularization_rate": 1e-4, "seed": 0, "device": "auto",
                             "threads": 1}
    assert TrainConfig(**cfg.to_dict()) == cfg


# ---------------------------------------------------------------- the work budget of one training


def test_the_default_recipe_is_far_inside_the_budget():
    config = TrainConfig()
    check_budget(AutoencoderSpec().param_count, POOL_NORMAL, config)
    assert AutoencoderSpec().param_count * POOL_NORMAL * config.epochs < 0.01 * MAX_WORK


def test_the_biggest_network_for_the_most_epochs_is_refused_with_what_to_reduce():
    config = TrainConfig(epochs=MAX_EPOCHS)
    with pytest.raises(ValueError, match=r"4,871,820 parameters × 1,751 beats × 2,000 epochs is 17,061 billion "
                                         r"parameter-beat-epochs, and one training may do 500 billion") as info:
        check_budget(BIGGEST.param_count, POOL_NORMAL, config)
    assert "Use at most 58 epochs, or fewer or smaller layers, or fewer training beats" in str(info.value)
    check_budget(BIGGEST.param_count, POOL_NORMAL, TrainConfig(epochs=58))  # what the message says works


def test_many_small_batches_are_refused_with_the_epochs_or_batch_size_that_fit():
    with pytest.raises(ValueError, match=r"2,000 epochs × 219 batches of 8 beats is 438,000 weight updates, and "
                                         r"one training may do 200,000. Use at most 913 epochs, or a batch size "
                                         r"of at least 18"):
        check_budget(AutoencoderSpec().param_count, POOL_NORMAL, TrainConfig(epochs=2000, batch_size=8))
    check_budget(AutoencoderSpec().param_count, POOL_NORMAL, TrainConfig(epochs=913, batch_size=8))
    check_budget(AutoencoderSpec().param_count, POOL_NORMAL, TrainConfig(epochs=2000, batch_size=18))
    assert MAX_STEPS == 200_000


def test_a_training_run_checks_the_budget_before_its_first_epoch():
    config = TrainConfig(epochs=MAX_EPOCHS)
    with pytest.raises(ValueError, match="too big for a shared server"):
        Training(build_model(BIGGEST, 0), config, np.zeros((POOL_NORMAL, 140), np.float32))
