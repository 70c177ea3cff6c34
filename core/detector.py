"""The anomaly detector: an autoencoder with the estimator contract of PyOD / scikit-learn.

``fit`` learns ``model_``, ``history_`` and ``result_``; ``calibrate`` learns ``threshold_`` on
labelled validation beats; ``decision_function`` returns reconstruction errors, where HIGHER
means MORE ANOMALOUS (PyOD's convention); ``predict`` returns 1 for abnormal, 0 for normal.

``predict`` also flags flat beats (no variation, see ``core.data.is_flat``) whatever their
score: the models here rebuild an all-zero input closely (error ~0.05, under the usual
threshold), yet a flat line holds no heartbeat at all.
"""

from __future__ import annotations

import numpy as np
import torch

from core.data import is_flat
from core.metrics import ThresholdSweep, reconstruction_errors
from core.model import AutoencoderSpec
from core.train import TrainConfig, TrainResult, Training, build_model

THRESHOLD_RULE = "best F1 on the validation set"


class NotFittedError(RuntimeError):
    """The detector was used before it was trained (or before a threshold was chosen)."""


class AutoencoderDetector:
    def __init__(self, spec: AutoencoderSpec | None = None, config: TrainConfig | None = None,
                 error: str = "mse"):
        self.spec = spec or AutoencoderSpec()
        self.config = config or TrainConfig()
        self.error = error

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
        batch = torch.as_tensor(np.atleast_2d(np.asarray(x, np.float32)), device=device)
        return model(batch).cpu().numpy()

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Reconstruction error per beat (higher = more anomalous)."""
        return reconstruction_errors(np.atleast_2d(x), self.reconstruct(x), self.error)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if getattr(self, "threshold_", None) is None:
            raise NotFittedError("no threshold yet: call calibrate() with validation scores first")
        return ((self.decision_function(x) > self.threshold_) | is_flat(x)).astype(np.int8)

    @torch.no_grad()
    def encode(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        device = next(self.model_.parameters()).device
        return self.model_.eval().encode(torch.as_tensor(np.atleast_2d(np.asarray(x, np.float32)),
                                                         device=device)).cpu().numpy()

    def _check_fitted(self) -> None:
        if getattr(self, "model_", None) is None:
            raise NotFittedError("this detector is not trained yet: call fit() first")
