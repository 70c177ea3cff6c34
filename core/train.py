"""Training loop: one epoch at a time, so a UI can stream, pause, single-step and stop it.

``Training`` never prints. Iterating it yields an ``EpochEnd`` event per epoch; when it ends,
``training.result`` says how (completed, stopped or diverged) and ``training.history`` holds
every epoch's numbers. The CLI and the Streamlit pages are two sinks for the same events.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Iterator, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core.model import Autoencoder, AutoencoderSpec

OPTIMIZERS = ("adam", "adamax", "adadelta", "rmsprop", "momentum", "sgd")
REGULARIZERS = ("none", "l1", "l2", "l1l2")
DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_EPOCHS = 2000
# A loss this large is divergence even before it overflows to inf (z-scored beats give ~1).
DIVERGED_LOSS = 1e8
# The most one training may do on a server shared by a room of learners (README, "Limits"). Its
# cost grows with parameters x training beats x epochs (~1.6e10 of those per CPU-second here for
# big networks), plus a fixed cost per optimizer step that dominates tiny networks with small
# batches (~0.15-0.5 ms a step). Both caps are about half a minute of one CPU core; the default
# recipe uses 0.3 % and 0.4 % of them, 2000 epochs of 10 x 512 on the whole pool 3,400 %.
MAX_WORK = 500_000_000_000  # parameter-beat-epochs
MAX_STEPS = 200_000  # optimizer steps: epochs x batches per epoch


@dataclass(frozen=True)
class TrainConfig:
    """How to train. ``regularization_rate`` is its own knob (Anomagram tied it to the learning rate).

    ``threads`` sets torch's intra-op threads: 1 is right for these tiny models (on a busy
    2-core machine 2 threads ran up to 250x slower); ``None`` leaves torch's own setting.
    """

    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 256
    epochs: int = 100
    regularizer: str = "none"
    regularization_rate: float = 1e-4
    seed: int = 0
    device: str = "auto"
    threads: int | None = 1

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (_is_number(self.learning_rate) and 0 < self.learning_rate <= 100):
            raise ValueError(f"learning rate must be > 0 and <= 100, got {self.learning_rate}")
        if not (_is_whole(self.batch_size) and self.batch_size >= 1):
            raise ValueError(f"batch size must be a whole number >= 1, got {self.batch_size}")
        if not (_is_whole(self.epochs) and 1 <= self.epochs <= MAX_EPOCHS):
            raise ValueError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, got {self.epochs}")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {', '.join(REGULARIZERS)}, got {self.regularizer!r}")
        if not (_is_number(self.regularization_rate) and 0 <= self.regularization_rate <= 10):
            raise ValueError(f"regularization rate must be between 0 and 10, got {self.regularization_rate}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.threads is not None and not (_is_whole(self.threads) and self.threads >= 1):
            raise ValueError(f"threads must be a whole number >= 1 or None, got {self.threads}")

    def to_dict(self) -> dict:
        return asdict(self)


def check_budget(param_count: int, train_size: int, config: TrainConfig) -> None:
    """Refuse a training bigger than ``MAX_WORK`` or ``MAX_STEPS`` with a ValueError that says
    what to reduce, and by how much."""
    work = param_count * train_size * config.epochs
    if work > MAX_WORK:
        most = MAX_WORK // (param_count * train_size)
        fix = (f"Use at most {most:,} epochs, or" if most else "Even one epoch is too much: use") + \
            " fewer or smaller layers, or fewer training beats."
        raise ValueError(f"this training is too big for a shared server: {param_count:,} parameters × "
                         f"{train_size:,} beats × {config.epochs:,} epochs is {work / 1e9:,.0f} billion "
                         f"parameter-beat-epochs, and one training may do {MAX_WORK / 1e9:,.0f} billion "
                         f"(about half a minute of one CPU core). {fix}")
    batches = math.ceil(train_size / config.batch_size)
    if config.epochs * batches > MAX_STEPS:
        smallest = math.ceil(train_size / (MAX_STEPS // config.epochs))
        raise ValueError(f"this training takes too many steps for a shared server: {config.epochs:,} epochs × "
                         f"{batches:,} batches of {config.batch_size:,} beats is {config.epochs * batches:,} "
                         f"weight updates, and one training may do {MAX_STEPS:,}. Use at most "
                         f"{MAX_STEPS // batches:,} epochs, or a batch size of at least {smallest:,}.")


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class EpochEnd:
    """Progress event: one epoch done. Losses are mean squared reconstruction errors."""

    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float | None
    seconds: float  # training-loop time so far


STATUSES = ("completed", "stopped", "diverged")  # how a run can end: TrainResult.status


@dataclass(frozen=True)
class TrainResult:
    status: Literal["completed", "stopped", "diverged"]
    epochs_run: int  # epochs whose weights are kept
    seconds: float
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "diverged"


def resolve_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def build_model(spec: AutoencoderSpec, seed: int) -> Autoencoder:
    """The autoencoder with torch's default Linear init drawn from a private generator.

    A private generator (not ``torch.manual_seed``) keeps concurrent trainings in one
    process, e.g. Streamlit sessions, from disturbing each other's random streams.
    """
    model = Autoencoder(spec)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
                bound = 1 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    return model


_OPTIMIZER_CLASSES = {
    "adam": (torch.optim.Adam, {}),
    "adamax": (torch.optim.Adamax, {}),
    "adadelta": (torch.optim.Adadelta, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "sgd": (torch.optim.SGD, {}),
}


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """Fused kernels where torch has them (Adam, SGD: ~25 % faster steps here), else foreach."""
    cls, extra = _OPTIMIZER_CLASSES[name]
    params = list(params)
    try:
        return cls(params, lr=lr, fused=True, **extra)
    except (RuntimeError, TypeError):  # no fused kernel for this optimizer or device
        return cls(params, lr=lr, foreach=True, **extra)


class Training:
    """One training run of ``model`` on ``train_x``; validation loss on ``val_x`` (normal beats).

    Iterate it for ``EpochEnd`` events, or call ``step()`` for one epoch at a time; ``stop()``
    ends it early keeping the current weights. A non-finite or exploding loss restores the
    last good epoch's weights and ends the run with status "diverged".
    """

    def __init__(self, model: Autoencoder, config: TrainConfig, train_x: np.ndarray,
                 val_x: np.ndarray | None = None):
        if len(train_x) == 0:
            raise ValueError("the training set is empty")
        check_budget(sum(p.numel() for p in model.parameters()), len(train_x), config)
        if config.threads is not None and torch.get_num_threads() != config.threads:
            torch.set_num_threads(config.threads)
        self.config = config
        self.device = resolve_device(config.device)
        self.model = model.to(self.device)
        self._x = torch.as_tensor(np.asarray(train_x, np.float32), device=self.device)
        self._val = (torch.as_tensor(np.asarray(val_x, np.float32), device=self.device)
                     if val_x is not None and len(val_x) else None)
        self._gen = torch.Generator().manual_seed(config.seed + 1)
        self._optimizer = make_optimizer(config.optimizer, self.model.parameters(), config.learning_rate)
        self._penalised = [m.weight for m in self.model.modules() if isinstance(m, nn.Linear)]
        self._good_state = self._snapshot()
        self.history: list[dict] = []
        self.result: TrainResult | None = None
        self._seconds = 0.0

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def train_size(self) -> int:
        return len(self._x)

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def seconds(self) -> float:
        """Training-loop time so far."""
        return self._seconds

    def __iter__(self) -> Iterator[EpochEnd]:
        while not self.done:
            event = self.step()
            if event is not None:
                yield event

    def run(self) -> TrainResult:
        for _ in self:
            pass
        return self.result

    def stop(self) -> TrainResult:
        if not self.done:
            self._finish("stopped", f"stopped by the user after {self.epoch} of {self.config.epochs} epochs")
        return self.result

    def step(self) -> EpochEnd | None:
        """Train one epoch; None when the run has ended (see ``result``)."""
        if self.done:
            return None
        start = time.perf_counter()
        train_loss = self._train_epoch()
        val_loss = self._validation_loss()
        self._seconds += time.perf_counter() - start
        if not (math.isfinite(train_loss) and train_loss < DIVERGED_LOSS):
            self.model.load_state_dict(self._good_state)
            # Only what happened: whether the rolled-back weights make a model is the caller's call
            # (the app keeps its previous model, the CLI reports on them).
            self._finish("diverged", (
                f"training diverged in epoch {self.epoch + 1} (the loss became "
                f"{'infinite or NaN' if not math.isfinite(train_loss) else 'huge'}): the learning rate "
                f"{self.config.learning_rate:g} is probably too high for {self.config.optimizer}"))
            return None
        self._good_state = self._snapshot()
        event = EpochEnd(self.epoch + 1, self.config.epochs, train_loss, val_loss, self._seconds)
        self.history.append({"epoch": event.epoch, "train_loss": train_loss, "val_loss": val_loss})
        if self.epoch >= self.config.epochs:
            self._finish("completed", f"trained {self.epoch} epoch{'s' if self.epoch != 1 else ''} in {self._seconds:.2f} s")
        return event

    def _train_epoch(self) -> float:
        self.model.train()
        n, bs = len(self._x), self.config.batch_size
        order = torch.randperm(n, generator=self._gen).to(self.device)
        total = torch.zeros((), device=self.device)
        for start in range(0, n, bs):
            batch = self._x[order[start:start + bs]]
            loss = F.mse_loss(self.model(batch), batch)
            total.add_(loss.detach(), alpha=len(batch))
            loss = loss + self._penalty() if self.config.regularizer != "none" else loss
            self._optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._optimizer.step()
        return float(total) / n  # one device sync per epoch, not per batch

    def _penalty(self) -> torch.Tensor:
        rate, kind = self.config.regularization_rate, self.config.regularizer
        l1 = sum(w.abs().sum() for w in self._penalised) if kind in ("l1", "l1l2") else 0.0
        l2 = sum((w * w).sum() for w in self._penalised) if kind in ("l2", "l1l2") else 0.0
        return rate * (l1 + l2)

    @torch.no_grad()
    def _validation_loss(self) -> float | None:
        if self._val is None:
            return None
        self.model.eval()
        return float(F.mse_loss(self.model(self._val), self._val))

    def checkpoint(self) -> dict:
        """Everything needed to continue this run exactly where it stands, e.g. in another process:
        weights, optimizer moments, the shuffling generator, the history and the time so far."""
        return {"model": self._snapshot(), "optimizer": self._optimizer.state_dict(),
                "generator": self._gen.get_state(), "good_state": self._good_state,
                "history": [dict(row) for row in self.history], "seconds": self._seconds}

    def restore(self, checkpoint: dict) -> "Training":
        """Continue from ``checkpoint()`` of a run with the same model, config and data."""
        self.model.load_state_dict(checkpoint["model"])
        self._optimizer.load_state_dict(checkpoint["optimizer"])
        self._gen.set_state(checkpoint["generator"])
        self._good_state = checkpoint["good_state"]
        self.history[:] = checkpoint["history"]  # the same list object: detectors hold it
        self._seconds = float(checkpoint["seconds"])
        return self

    def _snapshot(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def _finish(self, status: str, message: str) -> None:
        self.model.eval()
        self.result = TrainResult(status, self.epoch, self._seconds, message)

