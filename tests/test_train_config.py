"""core.train.TrainConfig: defaults, and the messages a learner reads when a setting is out of range."""

import pytest

from core.train import TrainConfig


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
