"""Classical anomaly detectors next to the autoencoder, on the same split and training beats.

Each detector follows the same contract as ``AutoencoderDetector``: ``fit(x, validation)``
returns self, ``decision_function`` is higher for more abnormal beats, ``size_`` counts the
numbers it keeps. ``compare`` fits them all on one training composition, chooses each one's
threshold the same way (best F1 on validation) and reports test numbers and ROC curves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import OneClassSVM

from core.data import Beats, Composition, Split, compose_training_set
from core.metrics import ThresholdSweep, auc, roc

MAX_PCA_COMPONENTS = 40


class MeanBeatDistance:
    """Mean squared distance to the training beats' mean: a template with no learning at all."""

    def fit(self, x: np.ndarray, validation: Beats | None = None) -> "MeanBeatDistance":
        self.mean_ = np.asarray(x, np.float64).mean(axis=0)
        self.size_ = self.mean_.size
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.mean((np.atleast_2d(x) - self.mean_) ** 2, axis=1)


class PCAReconstruction:
    """Reconstruction error through the first ``k`` principal components; ``k`` is chosen on the
    validation beats (best AUC) unless given."""

    def __init__(self, components: int | None = None, max_components: int = MAX_PCA_COMPONENTS):
        self.components = components
        self.max_components = max_components

    def fit(self, x: np.ndarray, validation: Beats | None = None) -> "PCAReconstruction":
        x = np.asarray(x, np.float64)
        top = min(self.max_components, *x.shape)
        self.pca_ = PCA(n_components=top, svd_solver="full").fit(x)
        if self.components is not None:
            self.k_ = min(self.components, top)
        elif validation is None:
            raise ValueError("PCA chooses its number of components on validation beats: pass them to fit()")
        else:
            aucs = [auc(self._errors(validation.x, k), validation.is_anomaly) for k in range(1, top + 1)]
            self.k_ = int(np.nanargmax(aucs)) + 1
        self.size_ = (self.k_ + 1) * x.shape[1]
        return self

    def _errors(self, x: np.ndarray, k: int) -> np.ndarray:
        centred = np.atleast_2d(x) - self.pca_.mean_
        basis = self.pca_.components_[:k]
        return np.mean((centred - centred @ basis.T @ basis) ** 2, axis=1)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return self._errors(x, self.k_)


class NearestNeighbourDistance:
    """Euclidean distance to the nearest training beat."""

    def fit(self, x: np.ndarray, validation: Beats | None = None) -> "NearestNeighbourDistance":
        self.index_ = NearestNeighbors(n_neighbors=1).fit(x)
        self.size_ = int(np.asarray(x).size)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return self.index_.kneighbors(np.atleast_2d(x))[0][:, 0]


class OneClassSVMDetector:
    """scikit-learn's One-Class SVM (RBF kernel), its signed distance negated; ``nu`` (the share
    of training beats it may leave outside) is chosen on the validation beats unless given."""

    NU_CHOICES = (0.01, 0.05, 0.1, 0.5)

    def __init__(self, nu: float | None = None):
        self.nu = nu

    def fit(self, x: np.ndarray, validation: Beats | None = None) -> "OneClassSVMDetector":
        if self.nu is not None:
            self.svm_ = OneClassSVM(nu=self.nu, gamma="scale").fit(x)
        elif validation is None:
            raise ValueError("the One-Class SVM chooses nu on validation beats: pass them to fit()")
        else:
            fitted = [OneClassSVM(nu=nu, gamma="scale").fit(x) for nu in self.NU_CHOICES]
            aucs = [auc(-svm.decision_function(validation.x), validation.is_anomaly) for svm in fitted]
            self.svm_ = fitted[int(np.nanargmax(aucs))]
        self.nu_ = self.svm_.nu
        self.size_ = int(self.svm_.support_vectors_.size + self.svm_.dual_coef_.size)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return -self.svm_.decision_function(np.atleast_2d(x))


class IsolationForestDetector:
    """scikit-learn's Isolation Forest; its anomaly score (short paths = abnormal)."""

    def __init__(self, trees: int = 100, seed: int = 0):
        self.trees, self.seed = trees, seed

    def fit(self, x: np.ndarray, validation: Beats | None = None) -> "IsolationForestDetector":
        self.forest_ = IsolationForest(n_estimators=self.trees, random_state=self.seed).fit(x)
        self.size_ = int(sum(tree.tree_.node_count for tree in self.forest_.estimators_))
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return -self.forest_.score_samples(np.atleast_2d(x))


def baseline_detectors(seed: int = 0) -> dict:
    return {"One-Class SVM": OneClassSVMDetector(), "nearest neighbour": NearestNeighbourDistance(),
            "PCA reconstruction": PCAReconstruction(), "distance to the mean beat": MeanBeatDistance(),
            "Isolation Forest": IsolationForestDetector(seed=seed)}


@dataclass(frozen=True)
class MethodResult:
    name: str
    test_auc: float
    f1: float
    precision: float
    recall: float
    threshold: float
    fit_seconds: float
    inference_seconds: float  # scoring the test beats
    size: int  # numbers the fitted detector keeps
    fpr: np.ndarray
    tpr: np.ndarray
    note: str = ""

    def row(self) -> dict:
        """JSON-ready, without the curve."""
        return {"name": self.name, "test_auc": self.test_auc, "f1": self.f1, "precision": self.precision,
                "recall": self.recall, "threshold": self.threshold, "fit_seconds": self.fit_seconds,
                "inference_seconds": self.inference_seconds, "size": self.size, "note": self.note}


def measure(name: str, detector, split: Split, fit_seconds: float, size: int, note: str = "") -> MethodResult:
    """Threshold = best F1 on validation, then the test beats scored once."""
    val_scores = detector.decision_function(split.validation.x)
    start = time.perf_counter()
    test_scores = detector.decision_function(split.test.x)
    inference = time.perf_counter() - start
    threshold = ThresholdSweep(val_scores, split.validation.is_anomaly).best_f1_threshold()
    metrics = ThresholdSweep(test_scores, split.test.is_anomaly).metrics(threshold)
    curve = roc(test_scores, split.test.is_anomaly)
    return MethodResult(name, curve["auc"], metrics["f1"], metrics["precision"], metrics["recall"], threshold,
                        fit_seconds, inference, size, curve["fpr"], curve["tpr"], note)


def fit_and_measure(name: str, detector, train: np.ndarray, split: Split) -> MethodResult:
    start = time.perf_counter()
    detector.fit(train, split.validation)
    seconds = time.perf_counter() - start
    note = {PCAReconstruction: lambda: f"k = {detector.k_} components (best validation AUC)",
            OneClassSVMDetector: lambda: f"nu = {detector.nu_:g} (best validation AUC)"}.get(type(detector), str)()
    return measure(name, detector, split, seconds, detector.size_, note)


def compare(split: Split, composition: Composition = Composition(), seed: int = 0) -> list[MethodResult]:
    """Every baseline fitted on ``composition`` of the train pool (the autoencoder's training beats
    for the same composition and seed)."""
    train = compose_training_set(split.train, composition).x
    return [fit_and_measure(name, detector, train, split) for name, detector in baseline_detectors(seed).items()]
