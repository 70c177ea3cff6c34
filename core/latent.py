"""Inside a trained model: the test beats' bottleneck codes, and honest warnings about the model.

Warnings say what the headline AUC hides: a collapsed model (most bottleneck codes all zero, or
an output that barely depends on the input), a model that ranks beats backwards (AUC < 0.5),
and per-class recall that rests on a handful of beats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data import CLASS_NAMES, Beats, Split
from core.detector import AutoencoderDetector
from core.evaluation import Evaluation
from core.metrics import per_class_recall

ZERO_CODE = 1e-6  # a bottleneck value this small is a dead unit's output
COLLAPSED_SHARE = 0.5  # codes all zero for at least this share of beats: collapsed
CONSTANT_OUTPUT = 0.1  # output varies across beats less than this fraction of the input: constant
FEW_BEATS = 30  # a class with fewer test beats gives a recall to read with care


@dataclass(frozen=True)
class LatentView:
    """Two coordinates per beat: the code itself (1-2 units) or its first two principal components."""

    xy: np.ndarray  # (n, 2)
    axes: tuple[str, str]
    codes: np.ndarray  # (n, bottleneck)


def latent_view(detector: AutoencoderDetector, x: np.ndarray) -> LatentView:
    codes = detector.encode(x).astype(np.float64)
    width = codes.shape[1]
    if width == 1:
        return LatentView(np.column_stack([codes[:, 0], np.zeros(len(codes))]), ("unit 1", "(one unit only)"), codes)
    if width == 2:
        return LatentView(codes, ("unit 1", "unit 2"), codes)
    centred = codes - codes.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    share = singular ** 2 / max(float((singular ** 2).sum()), 1e-300)
    return LatentView(centred @ vt[:2].T, (f"PC 1 ({share[0]:.0%} of the spread)", f"PC 2 ({share[1]:.0%})"), codes)


@dataclass(frozen=True)
class ModelWarning:
    kind: str  # "collapsed", "constant output", "backwards", "few beats"
    message: str


def zero_code_share(codes: np.ndarray) -> float:
    return float(np.mean(np.all(np.abs(codes) < ZERO_CODE, axis=1)))


def output_spread(detector: AutoencoderDetector, x: np.ndarray) -> float:
    """How much the reconstruction varies across beats, relative to how much the beats do."""
    recon = detector.reconstruct(x)
    return float(recon.std(axis=0).mean() / max(float(np.asarray(x).std(axis=0).mean()), 1e-12))


def class_recalls(evaluation: Evaluation, test: Beats) -> list[dict]:
    """Per UCR class: its test beats and the share flagged abnormal at the model's threshold."""
    recalls = per_class_recall(evaluation.test_scores, test.y, evaluation.threshold)
    counts = {int(c): int(n) for c, n in zip(*np.unique(test.y, return_counts=True))}
    return [{"class": c, "name": CLASS_NAMES[c], "beats": counts[c], "flagged": recalls[c]} for c in sorted(recalls)]


def diagnose(detector: AutoencoderDetector, evaluation: Evaluation, split: Split) -> list[ModelWarning]:
    warnings = []
    codes = detector.encode(split.test.x)
    zeros = zero_code_share(codes)
    if zeros >= COLLAPSED_SHARE:
        warnings.append(ModelWarning("collapsed", (
            f"{zeros:.0%} of the test beats get an all-zero bottleneck code: the model has collapsed, "
            "so it rebuilds them all the same way and its verdicts come from one template, not from "
            "what it learned. Retrain with another seed, a lower learning rate or a wider bottleneck.")))
    spread = output_spread(detector, split.test.x)
    if spread < CONSTANT_OUTPUT:
        warnings.append(ModelWarning("constant output", (
            f"The reconstructions barely depend on the input (they vary {spread:.0%} as much as the beats "
            "do): the model outputs nearly the same beat for everything.")))
    backwards = [f"{name} AUC {value:.3f}" for name, value in
                 (("test", evaluation.test_auc), ("validation", evaluation.val_auc)) if value < 0.5]
    if backwards:
        warnings.append(ModelWarning("backwards", (
            f"This model ranks beats backwards ({', '.join(backwards)}: below 0.5, worse than chance): "
            "it rebuilds abnormal beats better than normal ones. Typical when it trained on many abnormal "
            "beats or far too briefly.")))
    few = [r for r in class_recalls(evaluation, split.test) if r["beats"] < FEW_BEATS and r["class"] != 1]
    if few:
        parts = ", ".join(f"class {r['class']} ({r['name']}): {r['flagged']:.0%} flagged of {r['beats']} beats"
                          for r in few)
        warnings.append(ModelWarning("few beats", (
            f"Some numbers rest on few beats: {parts}. One beat more or less moves such a share by "
            f"{100 / min(r['beats'] for r in few):.0f} points.")))
    return warnings
