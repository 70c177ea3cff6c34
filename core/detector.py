"""The anomaly detector: an autoencoder with the estimator contract of PyOD / scikit-learn.

``fit`` learns ``model_``, ``history_`` and ``result_``; ``calibrate`` learns ``threshold_`` on
labelled validation beats; ``decision_function`` returns reconstruction errors, where HIGHER
means MORE ANOMALOUS (PyOD's convention); ``predict`` returns 1 for abnormal, 0 for normal.

``judge`` is the one verdict rule every page and the CLI use: one forward pass gives each beat's
reconstruction, score, verdict and the reason for it. Two rules come before the score:

- a flat beat (no variation, see ``core.data.is_flat``) is abnormal whatever its score: the
  models here rebuild an all-zero input closely (error ~0.05, under the usual threshold), yet a
  flat line holds no heartbeat at all;
- a beat whose score can't be computed (NaN or infinite, e.g. from non-finite input) is abnormal:
  "normal" is a claim the model can't back without a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data import is_flat
from core.metrics import ERROR_KINDS, ThresholdSweep, reconstruction_errors
from core.model import Autoencoder, AutoencoderSpec
from core.train import TrainConfig, TrainResult, Training, build_model

THRESHOLD_RULE = "best F1 on the validation set"

# Why a beat got its verdict (``BeatVerdict.reason``), in words a learner can read.
FLAT, UNSCORABLE, ABOVE, BELOW = "flat", "unscorable", "above", "below"
REASONS = {
    FLAT: "a flat line: no variation, so no heartbeat in it",
    UNSCORABLE: "its score could not be computed (not a finite number)",
    ABOVE: "score above the threshold",
    BELOW: "score at or below the threshold",
}


class NotFittedError(RuntimeError):
    """The detector was used before it was trained (or before a threshold was chosen)."""


@dataclass(frozen=True)
class BeatVerdict:
    """One beat as the model judged it: its input, reconstruction, score and verdict with a reason."""

    beat: np.ndarray
    reconstruction: np.ndarray
    score: float
    threshold: float
    reason: str  # a key of REASONS

    @property
    def abnormal(self) -> bool:
        return self.reason != BELOW

    @property
    def flat(self) -> bool:
        return self.reason == FLAT

    @property
    def verdict(self) -> str:
        return "abnormal" if self.abnormal else "normal"

    @property
    def explanation(self) -> str:
        return REASONS[self.reason]


@dataclass(frozen=True)
class Judgement:
    """Beats judged in one forward pass; ``judgement[i]`` is beat i's ``BeatVerdict``."""

    beats: np.ndarray            # (n, 140) float32, as the model saw them
    reconstructions: np.ndarray  # (n, 140)
    scores: np.ndarray           # (n,) float64; NaN or inf where no score could be computed
    threshold: float
    reasons: np.ndarray          # (n,) keys of REASONS

    @property
    def abnormal(self) -> np.ndarray:
        return self.reasons != BELOW

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, i: int) -> BeatVerdict:
        return BeatVerdict(self.beats[i], self.reconstructions[i], float(self.scores[i]), self.threshold,
                           str(self.reasons[i]))


class AutoencoderDetector:
    def __init__(self, spec: AutoencoderSpec | None = None, config: TrainConfig | None = None,
                 error: str = "mse"):
        if error not in ERROR_KINDS:
            raise ValueError(f"the error must be one of {', '.join(ERROR_KINDS)}, got {error!r}")
        self.spec = spec or AutoencoderSpec()
        self.config = config or TrainConfig()
        self.error = error

    @classmethod
    def from_saved(cls, spec: AutoencoderSpec, config: TrainConfig, error: str, weights: dict[str, torch.Tensor],
                   threshold: float | None, history: list[dict], result: TrainResult | None) -> "AutoencoderDetector":
        """A fitted detector rebuilt from what a model file holds (already checked by its reader)."""
        detector = cls(spec, config, error)
        model = Autoencoder(spec)
        model.load_state_dict(weights, strict=True)
        detector.model_ = model.eval()
        detector.training_ = None
        detector.history_ = list(history)
        detector.loaded_result_ = result
        detector.threshold_ = threshold
        return detector

    # ------------------------------------------------------------------ learning

    def start_training(self, x: np.ndarray, x_val: np.ndarray | None = None) -> Training:
        """A fresh model and the ``Training`` run that fits it, for callers that stream epochs."""
        self.model_ = build_model(self.spec, self.config.seed)
        self.training_ = Training(self.model_, self.config, x, x_val)
        self.history_ = self.training_.history  # the run appends to this same list
        return self.training_

    def fit(self, x: np.ndarray, x_val: np.ndarray | None = None) -> "AutoencoderDetector":
        self.start_training(x, x_val).run()
        return self

    @property
    def result_(self) -> TrainResult | None:
        """How training ended (None while it runs); a loaded detector keeps its saved result."""
        self._check_fitted()
        run = getattr(self, "training_", None)
        return run.result if run is not None else self.loaded_result_

    def calibrate(self, scores: np.ndarray, labels: np.ndarray) -> "AutoencoderDetector":
        """Choose ``threshold_`` by best F1 on validation ``scores`` with 0/1 ``labels``."""
        self.threshold_ = ThresholdSweep(scores, labels).best_f1_threshold()
        return self

    # ------------------------------------------------------------------ using

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        model = self.model_.eval()
        device = next(model.parameters()).device
        return model(_tensor(x, device)).cpu().numpy()

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Reconstruction error per beat (higher = more anomalous)."""
        return reconstruction_errors(np.atleast_2d(x), self.reconstruct(x), self.error)

    def judge(self, x: np.ndarray) -> Judgement:
        """Every beat's reconstruction, score and verdict (see the module doc), from one forward pass."""
        if getattr(self, "threshold_", None) is None:
            raise NotFittedError("no threshold yet: call calibrate() with validation scores first")
        beats = np.atleast_2d(np.asarray(x, np.float32))
        reconstructions = self.reconstruct(beats)
        with np.errstate(all="ignore"):  # a non-finite beat scores NaN/inf, which the rules below catch
            scores = reconstruction_errors(beats, reconstructions, self.error)
        reasons = np.where(scores > self.threshold_, ABOVE, BELOW).astype(object)
        reasons[is_flat(beats)] = FLAT
        reasons[~np.isfinite(scores)] = UNSCORABLE
        return Judgement(beats, reconstructions, scores, float(self.threshold_), reasons)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.judge(x).abnormal.astype(np.int8)

    @torch.no_grad()
    def encode(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        device = next(self.model_.parameters()).device
        return self.model_.eval().encode(_tensor(x, device)).cpu().numpy()

    def _check_fitted(self) -> None:
        if getattr(self, "model_", None) is None:
            raise NotFittedError("this detector is not trained yet: call fit() first")


def _tensor(x: np.ndarray, device: torch.device) -> torch.Tensor:
    """A 2-D float32 copy of ``x``: arrays shared by every session are read-only, which torch can't wrap."""
    return torch.from_numpy(np.array(x, np.float32, ndmin=2)).to(device)
