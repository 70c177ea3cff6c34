"""A trained model as the pages see it: detector, honest evaluation, recipe, and a label."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import numpy as np

from core.data import Composition, Split
from core.detector import AutoencoderDetector
from core.evaluation import Evaluation, evaluate, start_experiment
from core.model import AutoencoderSpec
from core.train import TrainConfig, TrainResult

@dataclass(frozen=True)
class ReplayFrame:
    """Test-set scores after ``epoch`` epochs, for replaying how the classes separate."""

    epoch: int
    test_scores: np.ndarray


def replay_epochs(epochs: int) -> set[int]:
    """Every early epoch (where things change fast), then every 5th, and the last."""
    return {e for e in range(1, epochs + 1) if e <= 10 or e % 5 == 0 or e == epochs}


@dataclass(frozen=True)
class TrainedModel:
    detector: AutoencoderDetector
    evaluation: Evaluation
    composition: Composition
    result: TrainResult
    label: str
    train_size: int
    replay: tuple[ReplayFrame, ...] = ()
    trained_at: str = field(default_factory=lambda: datetime.now().strftime("%H:%M:%S"))
    # Keys the per-model caches: unique across sessions, and across a reload of this module (a
    # counter here would restart at 1 and hand a new model an old model's cached pictures).
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def spec(self) -> AutoencoderSpec:
        return self.detector.spec

    @property
    def config(self) -> TrainConfig:
        return self.detector.config

    @property
    def threshold(self) -> float:
        return self.evaluation.threshold

    @property
    def abnormal_share(self) -> float:
        """The share of abnormal beats the training set really held (not the slider's, rounded)."""
        if not self.train_size:
            return self.composition.abnormal_fraction
        return self.composition.abnormal_count(self.train_size) / self.train_size

    def describe(self) -> str:
        c = self.config
        return (f"layers {'-'.join(map(str, self.spec.encoder_units))} ({self.spec.param_count:,} parameters) · "
                f"{c.optimizer} lr {c.learning_rate:g} · {self.result.epochs_run} epochs on "
                f"{self.train_size:,} beats ({self.abnormal_share:.0%} abnormal) · "
                f"test AUC {self.evaluation.test_auc:.3f} · trained {self.trained_at}")



def finish_model(detector: AutoencoderDetector, result: TrainResult, train_size: int, split: Split,
                 composition: Composition, label: str,
                 replay: tuple[ReplayFrame, ...] = ()) -> TrainedModel:
    """Evaluate a finished (completed or stopped) run once and wrap it for the pages."""
    return TrainedModel(detector, evaluate(detector, split), composition, result, label, train_size, replay)


def train_model(split: Split, spec: AutoencoderSpec, config: TrainConfig,
                composition: Composition = Composition(), *, label: str, record_replay: bool = False,
                on_epoch: Callable[[int], None] | None = None) -> TrainedModel:
    """Train start to end without a UI (the start-up default model); ``on_epoch(epoch)`` after each."""
    detector, training = start_experiment(split, spec, config, composition)
    frames = []
    keep = replay_epochs(config.epochs) if record_replay else set()
    for event in training:
        if event.epoch in keep:
            frames.append(ReplayFrame(event.epoch, detector.decision_function(split.test.x)))
        if on_epoch is not None:
            on_epoch(event.epoch)
    return finish_model(detector, training.result, training.train_size, split, composition, label,
                        tuple(frames))
