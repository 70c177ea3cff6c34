"""From a split and a recipe to a trained, calibrated, honestly-measured detector.

Honest means: the model trains on the composed training set only, the threshold is chosen on
the validation set, and the test set is scored once, at the end, for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data import Composition, Split, compose_training_set
from core.detector import THRESHOLD_RULE, AutoencoderDetector
from core.metrics import ThresholdSweep, auc
from core.model import AutoencoderSpec
from core.train import TrainConfig, Training


@dataclass(frozen=True)
class Evaluation:
    """Scores of the validation and test beats, the chosen threshold, and test metrics."""

    threshold: float
    val_scores: np.ndarray
    test_scores: np.ndarray
    val_auc: float
    test_auc: float
    test_metrics: dict
    test_confusion: dict
    threshold_rule: str = THRESHOLD_RULE

    def summary(self) -> dict:
        """JSON-ready numbers (no arrays)."""
        return {"threshold": self.threshold, "threshold_rule": self.threshold_rule,
                "val_auc": self.val_auc, "test_auc": self.test_auc,
                "test": self.test_metrics, "test_confusion": self.test_confusion}


def evaluate(detector: AutoencoderDetector, split: Split) -> Evaluation:
    """Score validation and test, set ``detector.threshold_`` on validation, report on test."""
    val_scores = detector.decision_function(split.validation.x)
    test_scores = detector.decision_function(split.test.x)
    detector.calibrate(val_scores, split.validation.is_anomaly)
    test = ThresholdSweep(test_scores, split.test.is_anomaly).confusion(detector.threshold_)
    return Evaluation(
        threshold=detector.threshold_,
        val_scores=val_scores,
        test_scores=test_scores,
        val_auc=auc(val_scores, split.validation.is_anomaly),
        test_auc=auc(test_scores, split.test.is_anomaly),
        test_metrics=test.metrics(),
        test_confusion=test.to_dict(),
    )


def start_experiment(split: Split, spec: AutoencoderSpec, config: TrainConfig,
                     composition: Composition = Composition()) -> tuple[AutoencoderDetector, Training]:
    """A detector and its training run on ``composition`` of the train pool.

    Validation loss is measured on the validation set's normal beats.
    """
    train = compose_training_set(split.train, composition)
    detector = AutoencoderDetector(spec, config)
    return detector, detector.start_training(train.x, split.validation.normal)


def train_and_evaluate(split: Split, spec: AutoencoderSpec, config: TrainConfig,
                       composition: Composition = Composition()) -> tuple[AutoencoderDetector, Evaluation]:
    detector, training = start_experiment(split, spec, config, composition)
    training.run()
    return detector, evaluate(detector, split)
