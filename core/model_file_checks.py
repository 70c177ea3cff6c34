"""What a model file's metadata may declare, checked field by field before anything is built.

A model file comes from anyone in the room, so every entry is read as untrusted JSON and held
to the app's own limits: the composer's layer limits, 140-point beats, a known training recipe,
a history no longer than the longest allowed run, plain numbers where numbers belong. Each
check raises ``ValueError`` with what is wrong; the reader turns it into ``ModelFileError``.
"""

from __future__ import annotations

import math
from dataclasses import fields

from core.data import SERIES_LENGTH, Composition
from core.model import AutoencoderSpec
from core.train import MAX_EPOCHS, STATUSES, TrainConfig, TrainResult

MAX_TEXT_CHARS = 1_000  # a result message or any string in the metrics
MAX_METRICS_DEPTH = 4


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite int or float (JSON's true/false are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _record(value, name: str, keys: set[str]) -> dict:
    require(isinstance(value, dict), f"{name} must be a JSON object, got {type(value).__name__}")
    require(set(value) == keys, f"{name} must have the entries {', '.join(sorted(keys))}, got "
                                f"{', '.join(sorted(map(str, value))) or 'none'}")
    return value


def spec(value) -> AutoencoderSpec:
    keys = {f.name for f in fields(AutoencoderSpec)}
    _record(value, "spec", keys)
    require(value["input_size"] == SERIES_LENGTH and is_whole(value["input_size"]),
            f"the network must take {SERIES_LENGTH}-point beats, got input size {value['input_size']!r}")
    require(isinstance(value["encoder_units"], list), "spec: encoder_units must be a list of layer widths")
    return AutoencoderSpec.from_dict(value)  # checks layers, units and activations against the composer's limits


def config(value) -> TrainConfig:
    require(isinstance(value, dict), f"config must be a JSON object, got {type(value).__name__}")
    unknown = set(value) - {f.name for f in fields(TrainConfig)}
    require(not unknown, f"config has unknown entries: {', '.join(sorted(map(str, unknown)))}")
    return TrainConfig(**value)  # checks every value against the training limits


def threshold(value) -> float | None:
    require(value is None or is_number(value), f"the threshold must be a finite number or null, got {value!r:.40}")
    return None if value is None else float(value)


def history(value) -> list[dict]:
    require(isinstance(value, list), f"history must be a list of epochs, got {type(value).__name__}")
    require(len(value) <= MAX_EPOCHS, f"history holds {len(value):,} epochs; a run has at most {MAX_EPOCHS:,}")
    for epoch, entry in enumerate(value, start=1):
        _record(entry, f"history epoch {epoch}", {"epoch", "train_loss", "val_loss"})
        require(is_whole(entry["epoch"]) and entry["epoch"] == epoch,
                f"history entry {epoch} must be epoch {epoch}, got {entry['epoch']!r:.40}")
        require(is_number(entry["train_loss"]) and entry["train_loss"] >= 0,
                f"history epoch {epoch}: the training loss must be a finite number >= 0")
        require(entry["val_loss"] is None or (is_number(entry["val_loss"]) and entry["val_loss"] >= 0),
                f"history epoch {epoch}: the validation loss must be a finite number >= 0 or null")
    return [dict(entry) for entry in value]


def result(value) -> TrainResult | None:
    if value is None:
        return None
    _record(value, "result", {f.name for f in fields(TrainResult)})
    require(value["status"] in STATUSES, f"result status must be one of {', '.join(STATUSES)}")
    require(is_whole(value["epochs_run"]) and 0 <= value["epochs_run"] <= MAX_EPOCHS,
            f"result epochs_run must be a whole number from 0 to {MAX_EPOCHS}")
    require(is_number(value["seconds"]) and value["seconds"] >= 0, "result seconds must be a finite number >= 0")
    require(isinstance(value["message"], str) and len(value["message"]) <= MAX_TEXT_CHARS,
            f"result message must be text of at most {MAX_TEXT_CHARS} characters")
    return TrainResult(**value)


def composition(value) -> Composition | None:
    if value is None:
        return None
    _record(value, "composition", {f.name for f in fields(Composition)})
    require(value["size"] is None or is_whole(value["size"]), "composition size must be a whole number or null")
    require(is_number(value["abnormal_fraction"]), "composition abnormal_fraction must be a number")
    require(is_whole(value["seed"]) and value["seed"] >= 0, "composition seed must be a whole number >= 0")
    return Composition(**value)  # checks the size and fraction


def train_size(value) -> int | None:
    require(value is None or (is_whole(value) and value >= 1), "train_size must be a whole number >= 1 or null")
    return value


def metrics(value) -> dict:
    require(isinstance(value, dict), f"metrics must be a JSON object, got {type(value).__name__}")
    _plain(value, "metrics", MAX_METRICS_DEPTH)
    return value


def _plain(value, where: str, depth: int) -> None:
    """Finite numbers, short text, true/false/null, and lists/objects of them, nested at most ``depth`` deep."""
    if value is None or isinstance(value, bool) or is_number(value):
        return
    if isinstance(value, str):
        require(len(value) <= MAX_TEXT_CHARS, f"{where} holds text longer than {MAX_TEXT_CHARS} characters")
        return
    require(isinstance(value, (list, dict)), f"{where} holds a value that is not a finite number: {value!r:.40}")
    require(depth > 0, f"{where} is nested too deeply")
    for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
        _plain(item, f"{where}.{key}", depth - 1)
