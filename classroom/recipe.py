"""A composer recipe as plain settings: what a link, a saved run and an instructor's lock hold.

One representation everywhere: ``Settings.to_query()`` is the URL query string of a shareable
link and the JSON stored with every recorded run. Parsing is lenient per field: a value that is
missing, malformed or outside the composer's choices falls back to its default, and the problem
is named so the page can say which ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Mapping

from core.data import Composition
from core.model import ACTIVATIONS, MAX_LAYERS, MAX_UNITS, AutoencoderSpec
from core.train import MAX_EPOCHS, OPTIMIZERS, REGULARIZERS, TrainConfig

LEARNING_RATES = (0.0001, 0.001, 0.01, 0.1, 1.0, 10.0)
BATCH_SIZES = tuple(2 ** k for k in range(3, 13))  # 8 .. 4096
REGULARIZATION_RATES = (0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0)
MAX_ABNORMAL_PERCENT = round(100 * Composition.MAX_ABNORMAL_FRACTION)
MAX_SEED = 2 ** 31 - 1
MAX_TRAIN_SIZE = 100_000

RULES = {  # what a usable value is, as a learner can act on it
    "layers": f"1 to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units, written like 32-8",
    "optimizer": f"one of {', '.join(OPTIMIZERS)}",
    "learning_rate": f"one of {', '.join(f'{v:g}' for v in LEARNING_RATES)}",
    "batch_size": f"one of {', '.join(map(str, BATCH_SIZES))}",
    "epochs": f"a whole number from 1 to {MAX_EPOCHS}",
    "regularizer": f"one of {', '.join(REGULARIZERS)}",
    "regularization_rate": f"one of {', '.join(f'{v:g}' for v in REGULARIZATION_RATES)}",
    "activation": f"one of {', '.join(ACTIVATIONS)}",
    "train_size": f"empty (as many as the pool allows) or a whole number from 1 to {MAX_TRAIN_SIZE:,}",
    "abnormal_percent": f"a whole number from 0 to {MAX_ABNORMAL_PERCENT}",
    "seed": f"a whole number from 0 to {MAX_SEED:,}",
}
LABELS = {"layers": "layers", "optimizer": "optimizer", "learning_rate": "learning rate",
          "batch_size": "batch size", "epochs": "epochs", "regularizer": "regularizer",
          "regularization_rate": "regularization rate", "activation": "activation",
          "train_size": "training-set size", "abnormal_percent": "abnormal %", "seed": "seed"}

_SPEC, _CONFIG = AutoencoderSpec(), TrainConfig()


@dataclass(frozen=True)
class Settings:
    """Every composer control. ``train_size=None``: as many beats as the pool allows."""

    layers: tuple[int, ...] = _SPEC.encoder_units
    optimizer: str = _CONFIG.optimizer
    learning_rate: float = _CONFIG.learning_rate
    batch_size: int = _CONFIG.batch_size
    epochs: int = _CONFIG.epochs
    regularizer: str = _CONFIG.regularizer
    regularization_rate: float = _CONFIG.regularization_rate
    activation: str = _SPEC.activation
    train_size: int | None = Composition().size
    abnormal_percent: int = round(100 * Composition().abnormal_fraction)
    seed: int = _CONFIG.seed

    def __post_init__(self):
        problems = [f"the {LABELS[f.name]} must be {RULES[f.name]}, got {getattr(self, f.name)!r}"
                    for f in fields(self) if not _parses(f.name, getattr(self, f.name))]
        if problems:
            raise ValueError("; ".join(problems))

    # ------------------------------------------------------------ what a training needs

    def spec(self) -> AutoencoderSpec:
        return AutoencoderSpec(self.layers, activation=self.activation)

    def config(self) -> TrainConfig:
        return TrainConfig(optimizer=self.optimizer, learning_rate=self.learning_rate, batch_size=self.batch_size,
                           epochs=self.epochs, regularizer=self.regularizer,
                           regularization_rate=self.regularization_rate, seed=self.seed)

    def composition(self) -> Composition:
        return Composition(size=self.train_size, abnormal_fraction=self.abnormal_percent / 100, seed=self.seed)

    @property
    def param_count(self) -> int:
        return self.spec().param_count

    def describe(self) -> str:
        return (f"{'-'.join(map(str, self.layers))} {self.activation} · {self.optimizer} lr {self.learning_rate:g} · "
                f"batch {self.batch_size} · {self.epochs} epochs · {self.abnormal_percent} % abnormal · "
                f"seed {self.seed}")

    # ------------------------------------------------------------ links and storage

    def to_query(self) -> dict[str, str]:
        return {f.name: _text(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_query(cls, params: Mapping[str, object]) -> tuple["Settings", list[str]]:
        """Settings from the recognised keys of ``params``; (settings, problems) where each problem
        names a setting whose value was unusable and fell back to its default."""
        values, problems = {}, []
        for f in fields(cls):
            if f.name not in params:
                continue
            raw = params[f.name]
            try:
                values[f.name] = _PARSERS[f.name](raw if isinstance(raw, str) else _text(raw))
            except ValueError:
                problems.append(f"{LABELS[f.name]} {str(raw)[:40]!r}")
        return cls(**values), problems

    @classmethod
    def from_model(cls, spec: AutoencoderSpec, config: TrainConfig,
                   composition: Composition) -> tuple["Settings", list[str]]:
        """The recipe a trained model came from (as far as the composer can express it)."""
        return cls.from_query({"layers": spec.encoder_units, "activation": spec.activation,
                               "optimizer": config.optimizer, "learning_rate": config.learning_rate,
                               "batch_size": config.batch_size, "epochs": config.epochs,
                               "regularizer": config.regularizer,
                               "regularization_rate": config.regularization_rate, "seed": config.seed,
                               "train_size": composition.size,
                               "abnormal_percent": round(100 * composition.abnormal_fraction)})

    def with_locks(self, locks: Mapping[str, object]) -> "Settings":
        """These settings with every locked one replaced by its locked value."""
        locked, _ = Settings.from_query({name: value for name, value in locks.items() if name in LABELS})
        return replace(self, **{name: getattr(locked, name) for name in locks if name in LABELS})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return "-".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _whole(text: str, low: int, high: int) -> int:
    text = text.strip()
    if not text.isdigit() or len(text) > 12 or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def _choice(options):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text
    return parse


def _number_in(options):
    def parse(text: str):
        number = float(text)  # ValueError for text; nan and inf match no option
        for option in options:
            if math.isclose(option, number, rel_tol=1e-9):
                return option
        raise ValueError(text)
    return parse


def _layers(text: str) -> tuple[int, ...]:
    parts = text.split("-")
    if not 1 <= len(parts) <= MAX_LAYERS:
        raise ValueError(text)
    return tuple(_whole(part, 1, MAX_UNITS) for part in parts)


def _train_size(text: str) -> int | None:
    return None if text.strip() == "" else _whole(text, 1, MAX_TRAIN_SIZE)


# each parser turns a setting's text into its value or raises ValueError
_PARSERS = {
    "layers": _layers,
    "optimizer": _choice(OPTIMIZERS),
    "learning_rate": _number_in(LEARNING_RATES),
    "batch_size": lambda text: int(_number_in(BATCH_SIZES)(text)),
    "epochs": lambda text: _whole(text, 1, MAX_EPOCHS),
    "regularizer": _choice(REGULARIZERS),
    "regularization_rate": _number_in(REGULARIZATION_RATES),
    "activation": _choice(tuple(ACTIVATIONS)),
    "train_size": _train_size,
    "abnormal_percent": lambda text: _whole(text, 0, MAX_ABNORMAL_PERCENT),
    "seed": lambda text: _whole(text, 0, MAX_SEED),
}


def _parses(name: str, value) -> bool:
    try:
        _PARSERS[name](_text(value))
    except ValueError:
        return False
    return True
