"""One training as a job for ``core.jobs``: runs in a worker, streams small events, comes back whole.

``run_training(ctx, request)`` trains exactly as ``core.evaluation.start_experiment`` does in the
calling process (same split, composition, seed: the same numbers as ``python -m core train``),
and meanwhile sends the server only small things:

- ``EpochRows``: the history rows of the epochs done since the last event (at most every 0.1 s),
- ``LiveSnapshot``: the validation errors as histogram counts and the ROC curve (a few hundred
  numbers), computed here in the worker at most every ``request.snapshot_seconds``.

Commands (``job.send``): "pause" parks the run: the job returns a checkpoint and frees its worker,
and a later request with that checkpoint continues bit for bit; "stop" ends it keeping the
weights. ``mode="step"`` runs one epoch and parks.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from core.data import Composition, Split
from core.detector import AutoencoderDetector
from core.evaluation import start_experiment
from core.metrics import ThresholdSweep, error_counts, roc, thinned
from core.model import AutoencoderSpec
from core.train import TrainConfig, TrainResult, Training

ROWS_SECONDS = 0.1
HISTOGRAM_BINS = 40
ROC_POINTS = 200
HUGE_ERROR = 1e300  # stands in for an infinite reconstruction error


@dataclass(frozen=True)
class TrainingRequest:
    spec: AutoencoderSpec
    config: TrainConfig
    composition: Composition = Composition()
    mode: Literal["run", "step"] = "run"
    checkpoint: bytes | None = None  # from a parked outcome: continue that run
    snapshot_seconds: float = 0.3

    def continued(self, outcome: "TrainingOutcome", mode: str, snapshot_seconds: float) -> "TrainingRequest":
        return TrainingRequest(self.spec, self.config, self.composition, mode, outcome.checkpoint,
                               snapshot_seconds)


@dataclass(frozen=True)
class EpochRows:
    rows: tuple[dict, ...]  # {"epoch", "train_loss", "val_loss"} per epoch, in order
    seconds: float          # training-loop time so far


@dataclass(frozen=True)
class LiveSnapshot:
    """The validation set as the model sees it after ``epoch`` epochs, reduced to chart size."""

    epoch: int
    bin_edges: np.ndarray
    normal_counts: np.ndarray
    abnormal_counts: np.ndarray
    fpr: np.ndarray
    tpr: np.ndarray
    auc: float
    threshold: float  # best F1 on validation now
    point: tuple[float, float]  # (fpr, tpr) at that threshold


def live_snapshot(epoch: int, scores: np.ndarray, is_anomaly: np.ndarray) -> LiveSnapshot:
    scores = np.nan_to_num(scores, nan=HUGE_ERROR, posinf=HUGE_ERROR)
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    sweep = ThresholdSweep(scores, is_anomaly)
    threshold = sweep.best_f1_threshold()
    at = sweep.metrics(threshold)
    edges, normal_counts, abnormal_counts = error_counts(scores, is_anomaly, HISTOGRAM_BINS)
    curve = roc(scores, is_anomaly)
    keep = thinned(len(curve["fpr"]), ROC_POINTS)
    return LiveSnapshot(epoch, edges, normal_counts, abnormal_counts, curve["fpr"][keep], curve["tpr"][keep],
                        float(curve["auc"]), float(threshold), (float(at["fpr"]), float(at["tpr"])))


@dataclass(frozen=True)
class TrainingOutcome:
    """A job's answer. ``result`` None means parked (paused): continue from ``checkpoint``."""

    history: list[dict]
    seconds: float
    train_size: int
    snapshot: LiveSnapshot | None
    result: TrainResult | None
    weights: bytes | None = None
    checkpoint: bytes | None = None

    @property
    def parked(self) -> bool:
        return self.result is None

    def detector(self, spec: AutoencoderSpec, config: TrainConfig) -> AutoencoderDetector:
        """The trained detector (weights on the CPU), not yet calibrated."""
        return AutoencoderDetector.from_saved(spec, config, "mse", _from_bytes(self.weights), None, self.history,
                                              self.result)


def run_training(ctx, request: TrainingRequest) -> TrainingOutcome:
    """The job function: train (or continue) ``request`` in this worker; see the module docstring."""
    split = ctx.split
    detector, training = _prepared(split, request)
    feed = _Feed(ctx, training, detector, split, request.snapshot_seconds)
    epochs_left = 1 if request.mode == "step" else None
    while not training.done and epochs_left != 0:
        commands = ctx.commands()
        if "stop" in commands:
            training.stop()
            break
        if "pause" in commands:
            break
        training.step()
        epochs_left = None if epochs_left is None else epochs_left - 1
        feed.tick()
    return _outcome(training, detector, split, feed.final())


def warm_worker(ctx) -> None:
    """A worker's start-up: load the split and train a tiny model once, so that the first real
    training doesn't pay for torch's first-use set-up (about a second here)."""
    split = ctx.split
    request = TrainingRequest(AutoencoderSpec(), TrainConfig(epochs=2), Composition(size=64))
    detector, training = _prepared(split, request)
    training.run()
    live_snapshot(training.epoch, detector.decision_function(split.validation.x), split.validation.is_anomaly)
    _from_bytes(_to_bytes(training.checkpoint()))


def stop_parked(split: Split, request: TrainingRequest) -> TrainingOutcome:
    """End a parked run here, keeping its weights, as a "stop" command would in a worker."""
    detector, training = _prepared(split, request)
    training.stop()
    return _outcome(training, detector, split, None)


def _prepared(split: Split, request: TrainingRequest) -> tuple[AutoencoderDetector, Training]:
    detector, training = start_experiment(split, request.spec, request.config, request.composition)
    if request.checkpoint is not None:
        training.restore(_from_bytes(request.checkpoint))
    return detector, training


def _outcome(training: Training, detector: AutoencoderDetector, split: Split,
             snapshot: LiveSnapshot | None) -> TrainingOutcome:
    history = [dict(row) for row in training.history]
    if not training.done:
        return TrainingOutcome(history, training.seconds, training.train_size, snapshot, None,
                               checkpoint=_to_bytes(training.checkpoint()))
    return TrainingOutcome(history, training.result.seconds, training.train_size, snapshot, training.result,
                           weights=_to_bytes(detector.model_.state_dict()))


class _Feed:
    """Sends the server new epoch rows and, less often, a fresh snapshot."""

    def __init__(self, ctx, training: Training, detector: AutoencoderDetector, split: Split, snapshot_seconds: float):
        self.ctx, self.training, self.detector, self.split = ctx, training, detector, split
        self.snapshot_seconds = snapshot_seconds
        self.sent = training.epoch
        self.rows_at = self.snapshot_at = time.perf_counter()
        self.snapshot: LiveSnapshot | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        if now - self.rows_at >= ROWS_SECONDS:
            self._send_rows()
        if now - self.snapshot_at >= self.snapshot_seconds:
            self._send_snapshot()

    def final(self) -> LiveSnapshot | None:
        self._send_rows()
        if self.training.epoch and (self.snapshot is None or self.snapshot.epoch != self.training.epoch):
            self._send_snapshot()
        return self.snapshot

    def _send_rows(self) -> None:
        rows = self.training.history[self.sent:]
        if rows:
            self.ctx.emit(EpochRows(tuple(dict(r) for r in rows), self.training.seconds))
            self.sent += len(rows)
        self.rows_at = time.perf_counter()

    def _send_snapshot(self) -> None:
        scores = self.detector.decision_function(self.split.validation.x)
        self.snapshot = live_snapshot(self.training.epoch, scores, self.split.validation.is_anomaly)
        self.ctx.emit(self.snapshot)
        self.snapshot_at = time.perf_counter()


def _to_bytes(tensors: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def _from_bytes(data: bytes) -> dict:
    return torch.load(io.BytesIO(data), weights_only=True)  # tensors and plain values only
